"""Judge: the design's verdict table, K-frame rule, hysteresis, smoothing, baseline,
and the game config's validation."""
from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from game.config import (AnalysisThresholds, ConfigError, GameConfig, JudgeSettings, SmoothingSettings,
                         load_config)
from game.judge import Ema, Judge, OneEuro, analyse, baseline_from, calibrate
from game.types import Analysis, Mode, Verdict
from model.labels import EMOTIONS

REPO = Path(__file__).resolve().parents[1]


def probs(**named: float) -> np.ndarray:
    """7 emotion probabilities: the named ones as given, the rest share what is left."""
    p = np.zeros(len(EMOTIONS), dtype=np.float32)
    for name, value in named.items():
        p[EMOTIONS.index(name)] = value
    rest = [i for i, e in enumerate(EMOTIONS) if e not in named]
    p[rest] = (1.0 - p.sum()) / len(rest)
    return p


def make_judge(**judge: object) -> Judge:
    config = GameConfig()
    return Judge(replace(config.judge, **judge), config.smoothing, config.analysis)


def feed(judge: Judge, smiles: list[float], emotion: np.ndarray, fps: float = 30.0):
    return [judge.judge(s, emotion, i / fps) for i, s in enumerate(smiles)]


# The design's table: head 1, head 2 -> verdict at threshold 0.8, and the reading.
DESIGN_TABLE = [
    (0.90, dict(happy=0.88), Verdict.OUT, Analysis.GENUINE),
    (0.75, dict(happy=0.10, neutral=0.85), Verdict.SAFE, Analysis.FORCED),
    (0.30, dict(happy=0.85), Verdict.SAFE, Analysis.HOLDING_BACK),
    (0.55, dict(disgust=0.70), Verdict.SAFE, Analysis.SNEER),
]


@pytest.mark.parametrize("smile, emotion, verdict, analysis", DESIGN_TABLE)
def test_design_table_simple_mode(smile, emotion, verdict, analysis):
    judge = make_judge(threshold=0.8)
    last = feed(judge, [smile] * 10, probs(**emotion))[-1]
    assert (last.verdict, last.analysis, last.mode) == (verdict, analysis, Mode.SIMPLE)
    assert last.smile == pytest.approx(smile) and last.smile_smoothed == pytest.approx(smile, abs=1e-3)
    assert last.gauge_active


def test_analysis_calm_and_pure_function():
    th = AnalysisThresholds()
    assert analyse(0.1, probs(neutral=0.9), th) is Analysis.CALM
    assert analyse(0.9, probs(happy=0.9), th) is Analysis.GENUINE
    # Disgust outranks a smile: a broad smile with disgust is still a sneer.
    assert analyse(0.9, probs(disgust=0.6), th) is Analysis.SNEER
    assert analyse(0.3, probs(disgust=0.9), th) is Analysis.CALM  # disgust without a smile


def test_two_stage_gates_on_happy():
    genuine = feed(make_judge(threshold=0.7, two_stage=True), [0.9] * 5, probs(happy=0.88))[-1]
    assert genuine.verdict is Verdict.OUT and genuine.gauge_active and genuine.mode is Mode.TWO_STAGE
    # Forced smile: above the threshold, but head 2 is not happy -> SAFE, gauge inactive.
    forced = feed(make_judge(threshold=0.7, two_stage=True), [0.75] * 5, probs(happy=0.1, neutral=0.85))[-1]
    assert forced.verdict is Verdict.SAFE and not forced.gauge_active
    assert forced.analysis is Analysis.FORCED
    # The same frames in simple mode are OUT.
    assert feed(make_judge(threshold=0.7), [0.75] * 5, probs(happy=0.1, neutral=0.85))[-1].verdict is Verdict.OUT
    # Happy but not smiling enough: gauge active, SAFE.
    held = feed(make_judge(threshold=0.7, two_stage=True), [0.3] * 5, probs(happy=0.85))[-1]
    assert held.verdict is Verdict.SAFE and held.gauge_active


def test_out_needs_k_frames_in_a_row():
    judge = make_judge(threshold=0.8, out_frames=4)
    judge.smoother = Ema(1.0)  # no smoothing: count frames exactly
    happy = probs(happy=0.9)
    verdicts = [j.verdict for j in feed(judge, [0.9, 0.9, 0.9, 0.5, 0.9, 0.9, 0.9, 0.9], happy)]
    assert verdicts == [Verdict.SAFE] * 7 + [Verdict.OUT]
    # Exactly at the threshold is not above it.
    judge.reset()
    assert all(j.verdict is Verdict.SAFE for j in feed(judge, [0.8] * 10, happy))


def test_hysteresis_holds_out_until_well_below():
    judge = make_judge(threshold=0.8, out_frames=2, hysteresis=0.1)
    judge.smoother = Ema(1.0)
    smiles = [0.85, 0.85, 0.78, 0.72, 0.69, 0.85, 0.85]
    verdicts = [j.verdict.value for j in feed(judge, smiles, probs(happy=0.9))]
    # OUT at the 2nd frame; 0.78 and 0.72 stay above 0.8 - 0.1; 0.69 releases;
    # coming back needs K frames again.
    assert verdicts == ["SAFE", "OUT", "OUT", "OUT", "SAFE", "SAFE", "OUT"]


def test_ema_ignores_a_one_frame_spike():
    judge = make_judge(threshold=0.8, out_frames=1)  # EMA alpha 0.5 from the defaults
    out = feed(judge, [0.2] * 5 + [1.0] + [0.2] * 5, probs(neutral=0.9))
    assert all(j.verdict is Verdict.SAFE for j in out)
    assert max(j.smile_smoothed for j in out) == pytest.approx(0.6, abs=0.01)


def test_one_euro_smooths_noise_and_follows_a_step():
    rng = np.random.default_rng(0)
    f = OneEuro(min_cutoff=1.0, beta=0.5, d_cutoff=1.0)
    still = [f(0.3 + rng.normal(0, 0.05), i / 30) for i in range(60)]
    assert np.std(still[30:]) < 0.5 * 0.05  # noise is damped
    after = [f(0.9, (60 + i) / 30) for i in range(15)]  # half a second after a step up
    assert after[-1] > 0.85
    config = GameConfig()
    judge = Judge(config.judge, replace(config.smoothing, method="one_euro"), config.analysis)
    assert feed(judge, [0.95] * 30, probs(happy=0.9))[-1].verdict is Verdict.OUT


def test_baseline_rescales_a_smiley_resting_face():
    assert calibrate(0.5, 0.0) == 0.5
    assert calibrate(0.3, 0.4) == 0.0
    assert calibrate(0.7, 0.4) == pytest.approx(0.5)
    assert calibrate(1.0, 0.4) == 1.0
    # A resting score of 0.82 would be OUT at 0.8 without calibration; with it, SAFE.
    resting = [0.82] * 20
    assert feed(make_judge(), resting, probs(neutral=0.9))[-1].verdict is Verdict.OUT
    calibrated = make_judge(baseline=baseline_from([0.6, 0.62, 0.58], max_baseline=0.8))
    assert feed(calibrated, resting, probs(neutral=0.9))[-1].verdict is Verdict.SAFE
    assert feed(calibrated, [0.99] * 20, probs(happy=0.9))[-1].verdict is Verdict.OUT
    assert baseline_from([0.7, 0.9], max_baseline=0.5) == 0.5 and baseline_from([], 0.5) == 0.0


def test_no_face_is_never_out_and_restarts_the_count():
    judge = make_judge(out_frames=3)
    judge.smoother = Ema(1.0)
    happy = probs(happy=0.9)
    assert feed(judge, [0.95] * 3, happy)[-1].verdict is Verdict.OUT
    lost = judge.no_face()
    assert lost.verdict is Verdict.NO_FACE and lost.analysis is Analysis.NO_FACE
    assert not lost.gauge_active and not lost.emotion_probs.any()
    verdicts = [j.verdict for j in feed(judge, [0.95] * 3, happy)]
    assert verdicts == [Verdict.SAFE, Verdict.SAFE, Verdict.OUT]


@pytest.mark.parametrize("threshold", [0.49, 0.95, 1.5])
def test_threshold_outside_difficulty_range_is_an_error(threshold):
    with pytest.raises(ConfigError, match=r"judge\.threshold"):
        JudgeSettings(threshold=threshold)
    with pytest.raises(ConfigError, match=r"--threshold .* outside the difficulty range 0\.5–0\.9"):
        GameConfig().with_overrides(threshold=threshold)
    assert GameConfig().with_overrides(threshold=0.5).judge.threshold == 0.5


def test_shipped_config_loads():
    config = load_config(REPO / "configs" / "game.yaml")
    assert config.judge == JudgeSettings() and config.smoothing == SmoothingSettings()
    assert config.with_overrides(threshold=0.7, two_stage=True).judge.two_stage


@pytest.mark.parametrize("text, message", [
    ("judge:\n  threshold: 0.95\n", r"judge\.threshold = 0\.95 is outside \[0\.5, 0\.9\]"),
    ("judge:\n  threshold: high\n", r"judge\.threshold must be a number"),
    ("judge:\n  two_stage: 1\n", r"judge\.two_stage must be true or false"),
    ("judge:\n  out_frames: 2.5\n", r"judge\.out_frames must be an integer"),
    ("smoothing:\n  method: kalman\n", r"smoothing\.method must be one of ema, one_euro, none"),
    ("smoothing:\n  ema_alpha: 0\n", r"smoothing\.ema_alpha = 0"),
    ("judge:\n  treshold: 0.7\n", r"unknown key judge\.treshold"),
    ("judge: [1, 2]\n", r"section 'judge' must be a mapping"),
    ("judge:\n  threshold: [\n", r"not valid YAML at line"),
    ("- a\n- b\n", r"expected a mapping"),
])
def test_bad_config_values_name_file_and_key(tmp_path, text, message):
    path = tmp_path / "game.yaml"
    path.write_text(text)
    with pytest.raises(ConfigError, match=message) as err:
        load_config(path)
    assert str(err.value).startswith(str(path)) and "\n" not in str(err.value)


def test_missing_config_and_foreign_sections(tmp_path):
    with pytest.raises(ConfigError, match="config file not found"):
        load_config(tmp_path / "nope.yaml")
    path = tmp_path / "game.yaml"
    path.write_text("ui:\n  round_seconds: 45\njudge:\n  threshold: 0.7\n")
    config = load_config(path)
    assert config.judge.threshold == 0.7 and config.ui.round_seconds == 45.0
