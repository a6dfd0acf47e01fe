"""Plain data passed between the stages of the real-time pipeline:

    Frame -> (face box, crop) -> Prediction (model.network) -> Judgement -> PlayerResult -> EngineResult

Every stage takes and returns these, so each can be tested alone with no camera
and no window.
"""
from __future__ import annotations

import time
from dataclasses import dataclass, field
from enum import Enum

import numpy as np

from model.face import FaceBox
from model.labels import EMOTIONS


class Verdict(str, Enum):
    OUT = "OUT"
    SAFE = "SAFE"
    NO_FACE = "NO_FACE"


class Mode(str, Enum):
    SIMPLE = "simple"        # head 1 alone: smile > threshold
    TWO_STAGE = "two_stage"  # head 2 must say happy (> gate) before head 1 is judged


class Analysis(str, Enum):
    """The reading of both heads together (the design's table)."""

    GENUINE = "genuine_laugh"      # smile high, happy high
    FORCED = "forced_smile"        # smile high, neutral
    HOLDING_BACK = "holding_back"  # smile low, happy high
    SNEER = "sneer"                # smile with disgust
    CALM = "calm"
    NO_FACE = "no_face"


@dataclass
class Frame:
    image: np.ndarray   # RGB uint8 (H, W, 3)
    index: int          # 0-based position in the source
    t_source: float     # seconds since the source started (file time for videos)
    t_capture: float    # time.monotonic() when the frame was grabbed

    @classmethod
    def captured(cls, image: np.ndarray, index: int, t_source: float) -> "Frame":
        """A frame read from its source just now (latency is measured from this moment)."""
        return cls(image, index, t_source, time.monotonic())


@dataclass
class Judgement:
    verdict: Verdict
    mode: Mode
    smile: float                 # raw head-1 output of this frame (0 when no face)
    smile_smoothed: float        # after smoothing (and baseline calibration)
    emotion_probs: np.ndarray    # (7,), FER2013 order; zeros when no face
    analysis: Analysis
    gauge_active: bool           # False in two-stage mode when head 2 is not happy
    threshold: float

    def emotion(self, name: str) -> float:
        return float(self.emotion_probs[EMOTIONS.index(name)])


@dataclass
class PlayerResult:
    """One player's face and judgement in a frame (face-off has two, left to right)."""

    box: FaceBox | None
    judgement: Judgement
    crop: np.ndarray | None = None   # the face as the model saw it (the checkpoint's crop); None: no face


@dataclass
class EngineResult:
    """Everything the screen or the headless log needs about one processed frame."""

    frame: Frame
    players: list[PlayerResult]
    process_ms: float            # detect + crop + inference + judge for this frame
    latency_ms: float            # capture -> verdict
    stage_ms: dict[str, float] = field(default_factory=dict)  # per-stage timings

    @property
    def box(self) -> FaceBox | None:
        return self.players[0].box

    @property
    def judgement(self) -> Judgement:
        return self.players[0].judgement

    @property
    def face_found(self) -> bool:
        return self.box is not None
