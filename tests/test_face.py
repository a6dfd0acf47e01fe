"""Face crops: eye levelling (roll alignment) and one crop for loaders and the game."""
from __future__ import annotations

import cv2
import numpy as np
import pytest

from model.data import DATASETS, load_dataset
from model.face import FACE_CROP_SIZE, FaceBox, FaceCropper, FaceDetector, eye_roll, square_crop
from model.preprocess import Preprocessing


def rotated(img: np.ndarray, degrees: float, centre: tuple[float, float]) -> np.ndarray:
    """The image turned counter-clockwise on screen by ``degrees`` about ``centre``."""
    m = cv2.getRotationMatrix2D(centre, degrees, 1.0)
    return cv2.warpAffine(img, m, (img.shape[1], img.shape[0]), borderMode=cv2.BORDER_REPLICATE)


def dots(img: np.ndarray) -> list[tuple[float, float]]:
    """Centres (x, y) of the bright blobs, left to right."""
    n, _, _, centres = cv2.connectedComponentsWithStats((img[:, :, 0] > 128).astype(np.uint8))
    return sorted((float(x), float(y)) for x, y in centres[1:n])


def test_eye_roll_sign_and_unknown():
    assert eye_roll((10, 10), (30, 10)) == 0.0
    assert eye_roll((10, 10), (30, 30)) == pytest.approx(45.0)     # runs down to the image's right
    assert eye_roll((10, 30), (30, 10)) == pytest.approx(-45.0)
    assert eye_roll((30, 10), (10, 10)) == 0.0                     # eyes swapped: unknown


def test_aligned_crop_levels_a_tilted_eye_line():
    img = np.zeros((200, 200, 3), np.uint8)
    for x in (80, 120):
        cv2.circle(img, (x, 90), 4, (255, 255, 255), -1)
    tilted = rotated(img, 20, (100, 100))                         # the right-hand eye goes up
    (rx, ry), (lx, ly) = dots(tilted)
    roll = eye_roll((rx, ry), (lx, ly))
    assert roll == pytest.approx(-20, abs=1)
    box = FaceBox(60, 60, 80, 80, 0.9, roll)
    (_, y1), (_, y2) = dots(square_crop(tilted, box, 0.2, 112, align=True))
    assert abs(y1 - y2) < 1.0
    (_, y1), (_, y2) = dots(square_crop(tilted, box, 0.2, 112))
    assert abs(y1 - y2) > 10                                       # 40 px apart at 20°: 13.7 px


def test_align_leaves_an_upright_face_as_it_is():
    img = np.random.default_rng(0).integers(0, 255, (120, 160, 3), np.uint8)
    box = FaceBox(50, 30, 50, 60, 0.9, roll=0.4)
    assert np.array_equal(square_crop(img, box, 0.2, 64, align=True), square_crop(img, box, 0.2, 64))


def test_scaled_box_keeps_its_roll():
    box = FaceBox(10, 20, 30, 40, 0.8, roll=12.5).scaled(2.0)
    assert (box.x, box.y, box.w, box.h, box.score, box.roll) == (20, 40, 60, 80, 0.8, 12.5)


def test_preprocessing_align_round_trips_and_is_off_in_older_checkpoints():
    p = Preprocessing(input_size=96, align=True)
    assert Preprocessing.from_dict(p.to_dict()) == p
    old = {k: v for k, v in p.to_dict().items() if k != "align"}
    assert Preprocessing.from_dict(old).align is False


def test_the_model_crop_is_cut_at_the_loaders_size_and_aligned_as_configured():
    img = np.zeros((300, 300, 3), np.uint8)
    for x in (130, 170):
        cv2.circle(img, (x, 140), 5, (255, 255, 255), -1)
    tilted = rotated(img, -15, (150, 150))
    box = FaceBox(100, 100, 100, 100, 0.9, eye_roll(*dots(tilted)))
    level = Preprocessing(input_size=64, align=True).crop(tilted, box)
    assert level.shape == (FACE_CROP_SIZE, FACE_CROP_SIZE, 3)
    (_, y1), (_, y2) = dots(level)
    assert abs(y1 - y2) < 1.0
    assert np.array_equal(Preprocessing(input_size=64).crop(tilted, box), square_crop(tilted, box, 0.2, FACE_CROP_SIZE))


def test_load_dataset_cuts_faces_with_the_models_margin_and_alignment(monkeypatch):
    calls = {}
    for kind in ("genki4k", "smilesmiled"):
        monkeypatch.setitem(DATASETS, kind, lambda root, split, _kind=kind, **kw: calls.setdefault(_kind, kw))
    p = Preprocessing(crop_margin=0.3, align=True)
    load_dataset("genki4k", "root", "test", p, crop="auto")
    load_dataset("smilesmiled", "root", "test", p)
    assert calls["genki4k"] == {"margin": 0.3, "align": True, "crop": "auto"}
    assert calls["smilesmiled"] == {}   # comes cropped: nothing to cut


def test_detected_roll_follows_a_turned_head_and_alignment_undoes_it(videos_dir):
    cap = cv2.VideoCapture(str(videos_dir / "smile_transition_a.mp4"))
    ok, bgr = cap.read()
    cap.release()
    assert ok
    frame = cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB)
    cropper = FaceCropper(margin=0.2, size=FACE_CROP_SIZE, align=True)
    try:
        upright = cropper.find(frame)[0]
        turned_frame = rotated(frame, 15, upright.center)
        turned = cropper.find(turned_frame)[0]
        reference = cropper.crop(frame, upright).astype(np.float32)
        aligned = cropper.crop(turned_frame, turned).astype(np.float32)
    finally:
        cropper.close()
    assert turned.roll - upright.roll == pytest.approx(-15, abs=4)
    unaligned = square_crop(turned_frame, turned, 0.2, FACE_CROP_SIZE).astype(np.float32)
    # the boxes differ a little between the two frames, so the aligned crop is not identical
    assert np.abs(aligned - reference).mean() < 0.7 * np.abs(unaligned - reference).mean()


def test_a_small_far_face_is_found_by_the_full_range_model(videos_dir):
    """A player sitting back: the face, 120 px of a 640x480 frame, is too small for MediaPipe's
    short-range model; the detector then asks the full-range one."""
    cap = cv2.VideoCapture(str(videos_dir / "smile_transition_a.mp4"))
    ok, bgr = cap.read()
    cap.release()
    assert ok
    far = np.full((480, 640, 3), 90, np.uint8)
    far[300:420, 400:520] = cv2.resize(cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB), (120, 120), interpolation=cv2.INTER_AREA)
    with FaceDetector() as detector:
        assert detector._boxes(detector._short_range, far) == []
        faces = detector.detect(far)
        assert detector.detect(np.full((480, 640, 3), 90, np.uint8)) == []  # nothing there: still nothing
    assert len(faces) == 1
    x, y = faces[0].center
    assert 400 < x < 520 and 300 < y < 420 and 30 < faces[0].w < 100
