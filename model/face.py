"""Face detection and square face crops: one cropper for training loaders and the game.

MediaPipe's short-range face detector runs from the model bundled in the
mediapipe==0.10.21 wheel (``mediapipe/modules/face_detection``): nothing is
downloaded. Frames are RGB uint8 arrays (H, W, 3).
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import cv2
import numpy as np

# Side of the face crops that loaders cache and the game cuts (then resized to the model's input
# size by Preprocessing): one crop size everywhere, so a webcam face is resampled as training's were.
FACE_CROP_SIZE = 112


@dataclass(frozen=True)
class FaceBox:
    """A detected face in pixel coordinates of the frame it was found in."""

    x: float
    y: float
    w: float
    h: float
    score: float
    # Tilt of the eye line in degrees, positive when it runs down to the image's right (the
    # head leans clockwise on screen); 0 when unknown. ``square_crop(..., align=True)`` levels it.
    roll: float = 0.0

    @property
    def area(self) -> float:
        return self.w * self.h

    @property
    def center(self) -> tuple[float, float]:
        return self.x + self.w / 2, self.y + self.h / 2

    def scaled(self, k: float) -> "FaceBox":
        """The same face in a frame resized by k (the tilt does not change)."""
        return FaceBox(self.x * k, self.y * k, self.w * k, self.h * k, self.score, self.roll)

    def iou(self, other: "FaceBox") -> float:
        ix = max(0.0, min(self.x + self.w, other.x + other.w) - max(self.x, other.x))
        iy = max(0.0, min(self.y + self.h, other.y + other.h) - max(self.y, other.y))
        inter = ix * iy
        union = self.area + other.area - inter
        return inter / union if union > 0 else 0.0


def square_crop(frame: np.ndarray, box: FaceBox, margin: float, size: int | None = None,
                align: bool = False) -> np.ndarray:
    """Square crop centred on the box, side = max(w, h) * (1 + 2 * margin).

    Parts outside the frame are filled by replicating the border, so a face at the
    edge keeps its position in the crop (as it had in training). With ``align`` the
    crop is turned about the box centre by the face's roll, so the eyes are level:
    a tilted head then looks like the upright faces that most training faces are."""
    side = max(box.w, box.h) * (1 + 2 * margin)
    cx, cy = box.center
    s = max(1, int(round(side)))
    if align and abs(box.roll) >= 1.0:  # under a degree: not worth a resampling
        # The affine that maps the frame onto the s x s crop: rotate about the centre, then
        # move the centre to the crop's.
        m = cv2.getRotationMatrix2D((cx, cy), box.roll, 1.0)
        m[:, 2] += (s / 2 - cx, s / 2 - cy)
        crop = cv2.warpAffine(frame, m, (s, s), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)
    else:
        x0, y0 = int(round(cx - side / 2)), int(round(cy - side / 2))
        h, w = frame.shape[:2]
        pad = max(0, -x0, -y0, x0 + s - w, y0 + s - h)
        if pad:
            frame = cv2.copyMakeBorder(frame, pad, pad, pad, pad, cv2.BORDER_REPLICATE)
            x0, y0 = x0 + pad, y0 + pad
        crop = frame[y0:y0 + s, x0:x0 + s]
    if size is not None and crop.shape[0] != size:
        interp = cv2.INTER_AREA if crop.shape[0] > size else cv2.INTER_LINEAR
        crop = cv2.resize(crop, (size, size), interpolation=interp)
    return np.ascontiguousarray(crop)


def eye_roll(right_eye: tuple[float, float], left_eye: tuple[float, float]) -> float:
    """FaceBox.roll from the eye centres in pixels. The person's right eye is on the image's
    left; when it is not (a detector glitch on a profile face) the roll is unknown: 0."""
    dx, dy = left_eye[0] - right_eye[0], left_eye[1] - right_eye[1]
    return math.degrees(math.atan2(dy, dx)) if dx > 0 else 0.0


class FaceDetector:
    """MediaPipe face detection; ``detect`` returns faces largest first.

    MediaPipe's short-range model (faces within ~2 m, what a webcam sees) runs first; only
    when it finds nothing does the full-range model (to ~5 m) look: it finds the small faces
    of a player sitting back, or of full-body photos (all 14 GENKI-4K training photos that
    the short-range model misses), and costs nothing while a face is in view."""

    def __init__(self, min_confidence: float = 0.5):
        import mediapipe as mp  # imported here: loading it costs ~1 s

        self._make = lambda selection: mp.solutions.face_detection.FaceDetection(
            model_selection=selection, min_detection_confidence=min_confidence)
        self._short_range, self._full_range = self._make(0), None

    def detect(self, rgb: np.ndarray) -> list[FaceBox]:
        if rgb.dtype != np.uint8 or rgb.ndim != 3 or rgb.shape[2] != 3:
            raise ValueError(f"expected an RGB uint8 frame (H, W, 3), got {rgb.dtype} {rgb.shape}")
        rgb = np.ascontiguousarray(rgb)
        boxes = self._boxes(self._short_range, rgb)
        if not boxes:
            if self._full_range is None:
                self._full_range = self._make(1)
            boxes = self._boxes(self._full_range, rgb)
        return sorted(boxes, key=lambda b: b.area, reverse=True)

    @staticmethod
    def _boxes(detector, rgb: np.ndarray) -> list[FaceBox]:
        h, w = rgb.shape[:2]
        boxes = []
        for det in detector.process(rgb).detections or ():
            rel = det.location_data.relative_bounding_box
            eyes = det.location_data.relative_keypoints  # 0: right eye, 1: left eye (the person's)
            roll = eye_roll((eyes[0].x * w, eyes[0].y * h), (eyes[1].x * w, eyes[1].y * h))
            box = FaceBox(rel.xmin * w, rel.ymin * h, rel.width * w, rel.height * h, float(det.score[0]), roll)
            if box.w > 1 and box.h > 1:
                boxes.append(box)
        return boxes

    def close(self) -> None:
        for detector in (self._short_range, self._full_range):
            if detector is not None:
                detector.close()

    def __enter__(self) -> "FaceDetector":
        return self

    def __exit__(self, *exc) -> None:
        self.close()


class FaceCropper:
    """frame -> (box, square crop) of the largest face, or None when there is no face.
    ``align``: level the eyes (square_crop)."""

    def __init__(self, margin: float = 0.2, size: int | None = None, min_confidence: float = 0.5,
                 align: bool = False):
        self.margin, self.size, self.align = margin, size, align
        self.detector = FaceDetector(min_confidence)

    def find(self, rgb: np.ndarray) -> list[FaceBox]:
        return self.detector.detect(rgb)

    def crop(self, rgb: np.ndarray, box: FaceBox) -> np.ndarray:
        return square_crop(rgb, box, self.margin, self.size, self.align)

    def __call__(self, rgb: np.ndarray) -> tuple[FaceBox, np.ndarray] | None:
        faces = self.find(rgb)
        if not faces:
            return None
        return faces[0], self.crop(rgb, faces[0])

    def close(self) -> None:
        self.detector.close()
