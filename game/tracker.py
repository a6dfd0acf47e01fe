"""Which face is the player: detection on a (downscaled) frame, tracking across frames,
and the square crop the checkpoint's preprocessing expects.

Detection and cropping reuse model.face.FaceCropper, the same code the training
loaders crop with, so the game's crops match the training crops.
"""
from __future__ import annotations

import math
import os
import sys
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Iterator, Protocol, Sequence

import cv2
import numpy as np

from game.config import TrackingSettings
from model.face import FaceBox
from model.preprocess import Preprocessing


@contextmanager
def _native_stderr_muted() -> Iterator[None]:
    """MediaPipe's C++ start-up chatter goes straight to file descriptor 2, past Python."""
    sys.stderr.flush()
    saved, devnull = os.dup(2), os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(devnull, 2)
        yield
    finally:
        os.dup2(saved, 2)
        os.close(devnull)
        os.close(saved)


class FaceFinder:
    """Faces of a frame, largest first, in full-frame pixels, and their model crops.

    Frames wider than ``detect_width`` are downscaled for detection only; the crop
    is always cut from the full-resolution frame."""

    def __init__(self, preprocessing: Preprocessing, settings: TrackingSettings):
        self.detect_width = settings.detect_width
        self.cropper = preprocessing.cropper(settings.min_confidence)
        with _native_stderr_muted():  # the first detection starts the graph and logs
            self.cropper.find(np.zeros((64, 64, 3), np.uint8))

    def find(self, rgb: np.ndarray) -> list[FaceBox]:
        w = rgb.shape[1]
        if w <= self.detect_width:
            return self.cropper.find(rgb)
        scale = self.detect_width / w
        small = cv2.resize(rgb, (self.detect_width, max(1, round(rgb.shape[0] * scale))),
                           interpolation=cv2.INTER_AREA)
        return [b.scaled(1 / scale) for b in self.cropper.find(small)]

    def crop(self, rgb: np.ndarray, box: FaceBox) -> np.ndarray:
        return self.cropper.crop(rgb, box)

    def close(self) -> None:
        self.cropper.close()


def center_shift(a: FaceBox, b: FaceBox) -> float:
    """Distance between the centres, in units of a's size."""
    (ax, ay), (bx, by) = a.center, b.center
    return math.hypot(ax - bx, ay - by) / max(a.w, a.h, 1e-6)


@dataclass
class _Track:
    box: FaceBox
    misses: int = 0  # frames in a row without a matching detection


class PlayerTracker:
    """Keeps each player on their own face from frame to frame.

    A slot starts on the largest free face (with two players, the two largest,
    left to right) and then follows the detection that continues it (IoU or centre
    distance). A missed detection keeps the last box for up to ``no_face_frames - 1``
    frames (detectors flicker); after that the slot is empty (NO_FACE) and takes the
    next free face. Slots keep their player: faces are not re-sorted once tracked."""

    def __init__(self, players: int, settings: TrackingSettings):
        if players not in (1, 2):
            raise ValueError(f"players must be 1 or 2, got {players}")
        self.settings = settings
        self.slots: list[_Track | None] = [None] * players

    def reset(self) -> None:
        self.slots = [None] * len(self.slots)

    def _continues(self, track: FaceBox, box: FaceBox) -> bool:
        s = self.settings
        return track.iou(box) >= s.min_iou or center_shift(track, box) <= s.max_center_shift

    def update(self, boxes: Sequence[FaceBox]) -> list[FaceBox | None]:
        """This frame's detections -> the face of each player (None: no face)."""
        pairs = sorted((center_shift(t.box, b), i, j) for i, t in enumerate(self.slots) if t
                       for j, b in enumerate(boxes) if self._continues(t.box, b))
        matched: set[int] = set()
        used: set[int] = set()
        for _, i, j in pairs:
            if i not in matched and j not in used:
                self.slots[i] = _Track(boxes[j])
                matched.add(i)
                used.add(j)
        for i, track in enumerate(self.slots):
            if track is not None and i not in matched:
                track.misses += 1
                if track.misses >= self.settings.no_face_frames:
                    self.slots[i] = None
        empty = [i for i, t in enumerate(self.slots) if t is None]
        free = sorted((b for j, b in enumerate(boxes) if j not in used), key=lambda b: b.area, reverse=True)
        for i, box in zip(empty, sorted(free[:len(empty)], key=lambda b: b.center[0])):
            self.slots[i] = _Track(box)
        return [t.box if t else None for t in self.slots]


class Finder(Protocol):
    """What finding faces takes (FaceFinder, or a stub in tests)."""

    def find(self, rgb: np.ndarray) -> list[FaceBox]: ...

    def crop(self, rgb: np.ndarray, box: FaceBox) -> np.ndarray: ...

    def close(self) -> None: ...


class PlayerFaces:
    """Each player's face in a frame and the model's crop of it: the engine's first stages
    (game/engine.py), and all that recording a player's face takes (game/recording.py)."""

    def __init__(self, finder: Finder, players: int, settings: TrackingSettings):
        self.finder, self.tracker = finder, PlayerTracker(players, settings)

    def find(self, rgb: np.ndarray) -> list[FaceBox]:
        """Every face in the frame (detection)."""
        return self.finder.find(rgb)

    def follow(self, rgb: np.ndarray, boxes: Sequence[FaceBox]) -> list[tuple[FaceBox | None, np.ndarray | None]]:
        """(box, crop) of each player among this frame's faces; (None, None): no face."""
        faces = self.tracker.update(boxes)
        return [(None, None) if box is None else (box, self.finder.crop(rgb, box)) for box in faces]

    def reset(self) -> None:
        """Forget the tracks (the next frame does not follow the last one)."""
        self.tracker.reset()
