"""The robustness check (experiments/robustness.py): alterations, and one real face through them."""
from __future__ import annotations

import cv2
import numpy as np
import pytest

from model.data.faceset import FaceSet
from model.face import FACE_CROP_SIZE
from model.preprocess import Preprocessing
from experiments.robustness import CONDITIONS, altered_faces, tilts, turned


def test_turned_turns_about_the_centre():
    img = np.zeros((41, 41, 3), np.uint8)
    img[20, 30] = 255                                  # 10 px right of the centre
    ys, xs = np.nonzero(turned(img, 90)[:, :, 0] > 60)
    assert (round(ys.mean()), round(xs.mean())) == (10, 20)   # counter-clockwise: now 10 px above


@pytest.mark.parametrize("name", sorted(CONDITIONS))
def test_each_condition_keeps_the_photo_shape_and_changes_it(name):
    img = np.random.default_rng(0).integers(30, 220, (60, 80, 3), dtype=np.uint8)
    altered = CONDITIONS[name][1](img)
    assert altered.shape == img.shape and altered.dtype == np.uint8
    assert np.abs(altered.astype(int) - img).mean() > 2
    assert np.array_equal(altered, CONDITIONS[name][1](img))   # the same photo, the same alteration


def test_each_photo_is_cropped_after_each_alteration_with_its_label(videos_dir, tmp_path):
    cap = cv2.VideoCapture(str(videos_dir / "smile_transition_a.mp4"))
    ok, frame = cap.read()
    cap.release()
    path = tmp_path / "face.png"
    cv2.imwrite(str(path), frame)
    photos = FaceSet(name="one", items=[np.zeros((8, 8, 3), np.uint8)], smile=np.array([1.0]),
                     emotion=np.array([-1]), paths=[str(path)])
    for align in (False, True):
        faces = altered_faces(photos, tilts(20), Preprocessing(align=align), "turned")
        assert len(faces) == 2 and list(faces.smile) == [1.0, 1.0]
        assert {item.shape for item in faces.items} == {(FACE_CROP_SIZE, FACE_CROP_SIZE, 3)}
    assert len(tilts(0)) == 1
    assert len(altered_faces(photos, [CONDITIONS["dim"][1]], Preprocessing(), "dim")) == 1
