"""The tilted-head check (scripts/tilt_robustness.py) on one real face."""
from __future__ import annotations

import cv2
import numpy as np

from model.data.faceset import FaceSet
from model.face import FACE_CROP_SIZE
from model.preprocess import Preprocessing
from scripts.tilt_robustness import tilted_faces, turned


def test_turned_turns_about_the_centre():
    img = np.zeros((41, 41, 3), np.uint8)
    img[20, 30] = 255                                  # 10 px right of the centre
    ys, xs = np.nonzero(turned(img, 90)[:, :, 0] > 60)
    assert (round(ys.mean()), round(xs.mean())) == (10, 20)   # counter-clockwise: now 10 px above


def test_each_photo_is_cropped_turned_both_ways_with_its_label(videos_dir, tmp_path):
    cap = cv2.VideoCapture(str(videos_dir / "smile_transition_a.mp4"))
    ok, frame = cap.read()
    cap.release()
    path = tmp_path / "face.png"
    cv2.imwrite(str(path), frame)
    photos = FaceSet(name="one", items=[np.zeros((8, 8, 3), np.uint8)], smile=np.array([1.0]),
                     emotion=np.array([-1]), paths=[str(path)])
    for align in (False, True):
        faces = tilted_faces(photos, 20, Preprocessing(align=align))
        assert len(faces) == 2 and list(faces.smile) == [1.0, 1.0]
        assert {item.shape for item in faces.items} == {(FACE_CROP_SIZE, FACE_CROP_SIZE, 3)}
    assert len(tilted_faces(photos, 0, Preprocessing())) == 1
