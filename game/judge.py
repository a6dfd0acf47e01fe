"""From one player's model outputs to a verdict: calibrate, smooth, judge, analyse.

    raw smile --baseline--> calibrated --smoother--> smoothed --K frames, hysteresis--> OUT / SAFE
    smoothed smile + emotion probabilities -------------------------------------------> Analysis

Calibration: a naturally smiley face rests at, say, 0.3. With ``baseline`` b > 0 the
smile is rescaled as  s' = clip((s - b) / (1 - b), 0, 1), so the resting face reads 0
and a full laugh still reads 1; the threshold then means the same for every player.
"""
from __future__ import annotations

import math
from typing import Sequence

import numpy as np

from game.config import AnalysisThresholds, JudgeSettings, SmoothingSettings
from game.types import Analysis, Judgement, Mode, Verdict
from model.labels import DISGUST, EMOTIONS, HAPPY


def calibrate(smile: float, baseline: float) -> float:
    """Rescale so that ``baseline`` reads 0 and 1 stays 1."""
    if baseline <= 0:
        return smile
    return float(np.clip((smile - baseline) / (1.0 - baseline), 0.0, 1.0))


def baseline_from(smiles: Sequence[float], max_baseline: float) -> float:
    """Resting smile from the raw scores of a calibration period (median, capped)."""
    if len(smiles) == 0:
        return 0.0
    return float(min(max(np.median(smiles), 0.0), max_baseline))


def analyse(smile: float, emotion_probs: np.ndarray, th: AnalysisThresholds) -> Analysis:
    """The design's table: what head 1 (smile) and head 2 (emotion) say together."""
    happy = emotion_probs[HAPPY] >= th.happy_high
    smiling = smile >= th.smile_high
    if emotion_probs[DISGUST] >= th.disgust_high and smile >= th.sneer_smile:
        return Analysis.SNEER
    if smiling:
        return Analysis.GENUINE if happy else Analysis.FORCED
    return Analysis.HOLDING_BACK if happy else Analysis.CALM


class Ema:
    """Exponential moving average; alpha is the weight of the newest value."""

    def __init__(self, alpha: float):
        self.alpha = alpha
        self.value: float | None = None

    def __call__(self, x: float, t: float) -> float:
        self.value = x if self.value is None else self.value + self.alpha * (x - self.value)
        return self.value

    def reset(self) -> None:
        self.value = None


class OneEuro:
    """One-Euro filter (Casiez, Roussel & Vogel, CHI 2012): smooth while the score is
    steady, follow it quickly when it moves. ``t`` in seconds."""

    def __init__(self, min_cutoff: float, beta: float, d_cutoff: float):
        self.min_cutoff, self.beta, self.d_cutoff = min_cutoff, beta, d_cutoff
        self.reset()

    @staticmethod
    def _alpha(cutoff: float, dt: float) -> float:
        tau = 1.0 / (2 * math.pi * cutoff)
        return 1.0 / (1.0 + tau / dt)

    def __call__(self, x: float, t: float) -> float:
        if self.value is None:
            self.value, self.t = x, t
            return x
        dt = t - self.t
        if dt <= 0:  # no time has passed: nothing to filter by
            return self.value
        a_d = self._alpha(self.d_cutoff, dt)
        self.dx += a_d * ((x - self.value) / dt - self.dx)
        a = self._alpha(self.min_cutoff + self.beta * abs(self.dx), dt)
        self.value, self.t = self.value + a * (x - self.value), t
        return self.value

    def reset(self) -> None:
        self.value: float | None = None
        self.t = 0.0
        self.dx = 0.0


def make_smoother(s: SmoothingSettings) -> Ema | OneEuro:
    if s.method == "one_euro":
        return OneEuro(s.one_euro_min_cutoff, s.one_euro_beta, s.one_euro_d_cutoff)
    return Ema(1.0 if s.method == "none" else s.ema_alpha)


class Judge:
    """One player's verdict over time.

    OUT needs the smoothed smile above the threshold for ``out_frames`` frames in a
    row (in two-stage mode also head 2 happy > happy_gate); once OUT it stays OUT
    until the smile falls to ``threshold - hysteresis`` or the gate closes."""

    def __init__(self, settings: JudgeSettings, smoothing: SmoothingSettings, thresholds: AnalysisThresholds):
        self.settings = settings  # replaceable at run time (UI threshold slider, mode switch)
        self.thresholds = thresholds   # of the analysis label (the config's analysis section)
        self.smoother = make_smoother(smoothing)
        self._above = 0
        self._out = False

    @property
    def mode(self) -> Mode:
        return Mode.TWO_STAGE if self.settings.two_stage else Mode.SIMPLE

    def reset(self) -> None:
        self.smoother.reset()
        self._above, self._out = 0, False

    def judge(self, smile: float, emotion_probs: np.ndarray, t: float) -> Judgement:
        """One frame: raw head-1 smile, head-2 probabilities, frame time in seconds."""
        s = self.settings
        smoothed = self.smoother(calibrate(smile, s.baseline), t)
        active = not s.two_stage or emotion_probs[HAPPY] > s.happy_gate
        if active and self._out and smoothed > s.threshold - s.hysteresis:
            pass  # hysteresis: stay OUT
        elif active and smoothed > s.threshold:
            self._above += 1
            self._out = self._above >= s.out_frames
        else:
            self._above, self._out = 0, False
        return Judgement(
            verdict=Verdict.OUT if self._out else Verdict.SAFE, mode=self.mode, smile=float(smile),
            smile_smoothed=float(smoothed), emotion_probs=np.asarray(emotion_probs, dtype=np.float32),
            analysis=analyse(smoothed, emotion_probs, self.thresholds), gauge_active=active,
            threshold=s.threshold)

    def no_face(self) -> Judgement:
        """The player's face is gone: never a laugh, and the next face starts fresh."""
        self.reset()
        return Judgement(
            verdict=Verdict.NO_FACE, mode=self.mode, smile=0.0, smile_smoothed=0.0,
            emotion_probs=np.zeros(len(EMOTIONS), dtype=np.float32), analysis=Analysis.NO_FACE,
            gauge_active=False, threshold=self.settings.threshold)
