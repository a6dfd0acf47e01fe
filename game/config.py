"""Game settings: configs/game.yaml -> GameConfig, every value checked.

Each section of the YAML file is one frozen dataclass; a field's metadata gives its
allowed range (or choices), so the defaults, the ranges and the checks live in one
place. A bad value raises ConfigError with one line naming the file and the key.
Any other top-level name is an error (a misspelt section would otherwise be ignored
without a word). GameConfig owns every default and range; the player's own choices
(game/settings.py) start from it.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any, ClassVar, TypeVar

import yaml

from model.errors import ConfigError

THRESHOLD_RANGE = (0.5, 0.9)  # the difficulty range the design allows


def snap_threshold(value: float, step: float) -> float:
    """The nearest ``step`` inside THRESHOLD_RANGE (a threshold the player can choose)."""
    lo, hi = THRESHOLD_RANGE
    steps = max(0, min(round((float(value) - lo) / step), round((hi - lo) / step)))
    return round(min(hi, lo + steps * step), 2)


def setting(default: Any, lo: float | None = None, hi: float | None = None,
            choices: tuple[str, ...] | None = None, lo_open: bool = False) -> Any:
    """A settings field: its default and its allowed range (or choices)."""
    return field(default=default, metadata={"lo": lo, "hi": hi, "choices": choices, "lo_open": lo_open})


class Section:
    """Base of a settings section: a frozen dataclass named by ``SECTION`` whose fields are
    made with setting(); every field is type- and range-checked on construction."""

    SECTION: ClassVar[str]

    def __post_init__(self) -> None:
        for f in fields(self):
            key, value, meta = f"{self.SECTION}.{f.name}", getattr(self, f.name), f.metadata
            kind = type(f.default)
            if kind is bool:
                if not isinstance(value, bool):
                    raise ConfigError(f"{key} must be true or false, got {value!r}")
                continue
            if kind is str:
                if value not in meta["choices"]:
                    raise ConfigError(f"{key} must be one of {', '.join(meta['choices'])}, got {value!r}")
                continue
            numeric = (int,) if kind is int else (int, float)
            if isinstance(value, bool) or not isinstance(value, numeric):
                raise ConfigError(f"{key} must be {'an integer' if kind is int else 'a number'}, got {value!r}")
            if not math.isfinite(value):   # NaN passes every range check below
                raise ConfigError(f"{key} must be a finite number, got {value}")
            if kind is float:
                object.__setattr__(self, f.name, float(value))
            lo, hi = meta["lo"], meta["hi"]
            below = value <= lo if meta["lo_open"] else value < lo
            if below or value > hi:
                bracket = "(" if meta["lo_open"] else "["
                raise ConfigError(f"{key} = {value} is outside {bracket}{lo}, {hi}]")


S = TypeVar("S", bound=Section)


def parse_section(cls: type[S], values: Any, path: str | Path | None = None) -> S:
    """The section ``cls`` from its YAML mapping (None: the defaults); ConfigError naming
    the file and the key for a non-mapping, an unknown key or a bad value."""
    where = f"{path}: " if path else ""
    if values is None:
        values = {}
    if not isinstance(values, dict):
        raise ConfigError(f"{where}section '{cls.SECTION}' must be a mapping of keys")
    known = {f.name for f in fields(cls)}
    unknown = sorted(set(values) - known)
    if unknown:
        raise ConfigError(f"{where}unknown key {cls.SECTION}.{unknown[0]} (known: {', '.join(sorted(known))})")
    try:
        return cls(**values)
    except ConfigError as exc:
        raise ConfigError(f"{where}{exc}") from None


@dataclass(frozen=True)
class JudgeSettings(Section):
    """When a smile is OUT (see game/judge.py)."""

    SECTION: ClassVar[str] = "judge"
    threshold: float = setting(0.8, *THRESHOLD_RANGE)
    two_stage: bool = setting(False)
    happy_gate: float = setting(0.5, 0.05, 0.95)
    out_frames: int = setting(3, 1, 60)
    hysteresis: float = setting(0.05, 0.0, 0.3)
    baseline: float = setting(0.0, 0.0, 0.8)
    calibration_s: float = setting(3.0, 0.5, 30.0)
    max_baseline: float = setting(0.5, 0.0, 0.8)


@dataclass(frozen=True)
class SmoothingSettings(Section):
    SECTION: ClassVar[str] = "smoothing"
    method: str = setting("ema", choices=("ema", "one_euro", "none"))
    ema_alpha: float = setting(0.5, 0.0, 1.0, lo_open=True)
    one_euro_min_cutoff: float = setting(1.0, 0.0, 100.0, lo_open=True)
    one_euro_beta: float = setting(0.5, 0.0, 100.0)
    one_euro_d_cutoff: float = setting(1.0, 0.0, 100.0, lo_open=True)


@dataclass(frozen=True)
class AnalysisThresholds(Section):
    """The reading of both heads (the design's table); see judge.analyse."""

    SECTION: ClassVar[str] = "analysis"
    smile_high: float = setting(0.6, 0.0, 1.0)
    happy_high: float = setting(0.5, 0.0, 1.0)
    disgust_high: float = setting(0.5, 0.0, 1.0)
    sneer_smile: float = setting(0.4, 0.0, 1.0)


@dataclass(frozen=True)
class TrackingSettings(Section):
    SECTION: ClassVar[str] = "tracking"
    no_face_frames: int = setting(5, 1, 300)
    min_iou: float = setting(0.3, 0.0, 1.0)
    max_center_shift: float = setting(0.5, 0.0, 5.0)
    detect_width: int = setting(640, 64, 4096)
    min_confidence: float = setting(0.5, 0.05, 0.99)


@dataclass(frozen=True)
class SourceSettings(Section):
    SECTION: ClassVar[str] = "source"
    camera_width: int = setting(640, 160, 3840)
    camera_height: int = setting(480, 120, 2160)
    camera_fps: int = setting(30, 1, 240)
    folder_fps: float = setting(30.0, 0.0, 240.0, lo_open=True)
    reconnect_first_s: float = setting(0.25, 0.0, 10.0, lo_open=True)
    reconnect_max_s: float = setting(5.0, 0.0, 60.0, lo_open=True)


@dataclass(frozen=True)
class InferenceSettings(Section):
    SECTION: ClassVar[str] = "inference"
    device: str = setting("auto", choices=("auto", "cpu", "cuda", "mps"))
    torch_threads: int = setting(0, 0, 64)  # 0: chosen from the core count
    runtime: str = setting("auto", choices=("auto", "torch", "onnxruntime"))  # auto: onnxruntime on CPU
    tta_flip: bool = setting(False)  # also score the mirrored face and average (a second backbone pass)


@dataclass(frozen=True)
class UiSettings(Section):
    """The windowed game: how a round is played (game/flow.py) and the window (game/app.py)."""

    SECTION: ClassVar[str] = "ui"
    round_seconds: float = setting(30.0, 5.0, 600.0)
    face_missing_s: float = setting(5.0, 1.0, 60.0)   # longer without a face ends the round
    countdown_s: int = setting(3, 1, 10)
    replay_s: float = setting(3.0, 1.0, 10.0)      # seconds of face crops before OUT kept for the replay
    replay_speed: float = setting(0.5, 0.1, 1.0)   # the replay's speed (1 = real time)
    laugh_flash_s: float = setting(1.2, 0.2, 5.0)  # the OUT!!! flash; the laugh's peak is still tracked
    stale_s: float = setting(1.0, 0.1, 10.0)       # no new engine result this long: waiting for the camera
    min_calibration_samples: int = setting(3, 1, 100)
    threshold_step: float = setting(0.05, 0.01, 0.1)   # ← → and the slider move the threshold by this
    fps: int = setting(60, 10, 240)                # the window's frame rate (never waits for the model)
    toast_s: float = setting(2.5, 0.5, 10.0)       # a short notice (threshold, mode) stays up this long
    notice_s: float = setting(5.0, 1.0, 30.0)      # a problem with the player's files stays up this long


_SECTIONS = {"judge": JudgeSettings, "smoothing": SmoothingSettings, "analysis": AnalysisThresholds,
             "tracking": TrackingSettings, "source": SourceSettings, "inference": InferenceSettings,
             "ui": UiSettings}


@dataclass(frozen=True)
class GameConfig:
    judge: JudgeSettings = field(default_factory=JudgeSettings)
    smoothing: SmoothingSettings = field(default_factory=SmoothingSettings)
    analysis: AnalysisThresholds = field(default_factory=AnalysisThresholds)
    tracking: TrackingSettings = field(default_factory=TrackingSettings)
    source: SourceSettings = field(default_factory=SourceSettings)
    inference: InferenceSettings = field(default_factory=InferenceSettings)
    ui: UiSettings = field(default_factory=UiSettings)

    def with_overrides(self, threshold: float | None = None, two_stage: bool | None = None,
                       round_seconds: float | None = None) -> "GameConfig":
        """Command-line overrides; a bad value gets an error naming the flag."""
        changes: dict[str, Any] = {}
        if threshold is not None:
            lo, hi = THRESHOLD_RANGE
            if not lo <= threshold <= hi:   # NaN fails this too
                raise ConfigError(f"--threshold {threshold} is outside the difficulty range {lo}–{hi}")
            changes["threshold"] = threshold
        if two_stage is not None:
            changes["two_stage"] = two_stage
        config = replace(self, judge=replace(self.judge, **changes)) if changes else self
        if round_seconds is not None:
            try:
                config = replace(config, ui=replace(config.ui, round_seconds=round_seconds))
            except ConfigError as exc:
                raise ConfigError(f"--round-seconds: {exc}") from None
        return config


def load_config(path: str | Path | None) -> GameConfig:
    """Read and check a game config; None gives the defaults."""
    if path is None:
        return GameConfig()
    path = Path(path)
    if not path.is_file():
        raise ConfigError(f"{path}: config file not found")
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}" if mark is not None else ""
        raise ConfigError(f"{path}: not valid YAML{where}") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: cannot read config ({exc})") from None
    if raw is None:
        raw = {}
    if not isinstance(raw, dict):
        raise ConfigError(f"{path}: expected a mapping of sections at the top level")
    unknown = [k for k in raw if k not in _SECTIONS]
    if unknown:
        raise ConfigError(f"{path}: unknown section {unknown[0]!r} (known: {', '.join(_SECTIONS)})")
    return GameConfig(**{name: parse_section(cls, raw.get(name), path) for name, cls in _SECTIONS.items()})
