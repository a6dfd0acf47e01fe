"""Game settings: configs/game.yaml -> GameConfig, every value checked.

Each section of the YAML file is one frozen dataclass; a field's metadata gives its
allowed range (or choices), so the defaults, the ranges and the checks live in one
place. A bad value raises ConfigError with one line naming the file and the key.
Top-level sections this module does not know (e.g. ``ui``) belong to other parts of
the game and are kept, unchecked, in ``GameConfig.extra``.
"""
from __future__ import annotations

from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any, ClassVar

import yaml

THRESHOLD_RANGE = (0.5, 0.9)  # the difficulty range the design allows


class ConfigError(ValueError):
    """A settings value that is missing, malformed or out of range (one-line message)."""


def _setting(default: Any, lo: float | None = None, hi: float | None = None,
             choices: tuple[str, ...] | None = None, lo_open: bool = False) -> Any:
    return field(default=default, metadata={"lo": lo, "hi": hi, "choices": choices, "lo_open": lo_open})


def _check_section(obj: Any) -> None:
    """Type- and range-check every field of a settings dataclass (called by __post_init__)."""
    for f in fields(obj):
        key, value, meta = f"{obj.SECTION}.{f.name}", getattr(obj, f.name), f.metadata
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
        if kind is float:
            object.__setattr__(obj, f.name, float(value))
        lo, hi = meta["lo"], meta["hi"]
        below = value <= lo if meta["lo_open"] else value < lo
        if below or value > hi:
            bracket = "(" if meta["lo_open"] else "["
            raise ConfigError(f"{key} = {value} is outside {bracket}{lo}, {hi}]")


@dataclass(frozen=True)
class JudgeSettings:
    """When a smile is OUT (see game/judge.py)."""

    SECTION: ClassVar[str] = "judge"
    threshold: float = _setting(0.8, *THRESHOLD_RANGE)
    two_stage: bool = _setting(False)
    happy_gate: float = _setting(0.5, 0.05, 0.95)
    out_frames: int = _setting(3, 1, 60)
    hysteresis: float = _setting(0.05, 0.0, 0.3)
    baseline: float = _setting(0.0, 0.0, 0.8)
    calibration_s: float = _setting(3.0, 0.5, 30.0)
    max_baseline: float = _setting(0.5, 0.0, 0.8)

    def __post_init__(self) -> None:
        _check_section(self)


@dataclass(frozen=True)
class SmoothingSettings:
    SECTION: ClassVar[str] = "smoothing"
    method: str = _setting("ema", choices=("ema", "one_euro", "none"))
    ema_alpha: float = _setting(0.5, 0.0, 1.0, lo_open=True)
    one_euro_min_cutoff: float = _setting(1.0, 0.0, 100.0, lo_open=True)
    one_euro_beta: float = _setting(0.5, 0.0, 100.0)
    one_euro_d_cutoff: float = _setting(1.0, 0.0, 100.0, lo_open=True)

    def __post_init__(self) -> None:
        _check_section(self)


@dataclass(frozen=True)
class AnalysisThresholds:
    """The reading of both heads (the design's table); see judge.analyse."""

    SECTION: ClassVar[str] = "analysis"
    smile_high: float = _setting(0.6, 0.0, 1.0)
    happy_high: float = _setting(0.5, 0.0, 1.0)
    disgust_high: float = _setting(0.5, 0.0, 1.0)
    sneer_smile: float = _setting(0.4, 0.0, 1.0)

    def __post_init__(self) -> None:
        _check_section(self)


@dataclass(frozen=True)
class TrackingSettings:
    SECTION: ClassVar[str] = "tracking"
    no_face_frames: int = _setting(5, 1, 300)
    min_iou: float = _setting(0.3, 0.0, 1.0)
    max_center_shift: float = _setting(0.5, 0.0, 5.0)
    detect_width: int = _setting(640, 64, 4096)
    min_confidence: float = _setting(0.5, 0.05, 0.99)

    def __post_init__(self) -> None:
        _check_section(self)


@dataclass(frozen=True)
class SourceSettings:
    SECTION: ClassVar[str] = "source"
    camera_width: int = _setting(640, 160, 3840)
    camera_height: int = _setting(480, 120, 2160)
    camera_fps: int = _setting(30, 1, 240)
    folder_fps: float = _setting(30.0, 0.0, 240.0, lo_open=True)
    reconnect_first_s: float = _setting(0.25, 0.0, 10.0, lo_open=True)
    reconnect_max_s: float = _setting(5.0, 0.0, 60.0, lo_open=True)

    def __post_init__(self) -> None:
        _check_section(self)


@dataclass(frozen=True)
class InferenceSettings:
    SECTION: ClassVar[str] = "inference"
    device: str = _setting("auto", choices=("auto", "cpu", "cuda", "mps"))
    torch_threads: int = _setting(0, 0, 64)  # 0: chosen from the core count

    def __post_init__(self) -> None:
        _check_section(self)


_SECTIONS = {"judge": JudgeSettings, "smoothing": SmoothingSettings, "analysis": AnalysisThresholds,
             "tracking": TrackingSettings, "source": SourceSettings, "inference": InferenceSettings}


@dataclass(frozen=True)
class GameConfig:
    judge: JudgeSettings = field(default_factory=JudgeSettings)
    smoothing: SmoothingSettings = field(default_factory=SmoothingSettings)
    analysis: AnalysisThresholds = field(default_factory=AnalysisThresholds)
    tracking: TrackingSettings = field(default_factory=TrackingSettings)
    source: SourceSettings = field(default_factory=SourceSettings)
    inference: InferenceSettings = field(default_factory=InferenceSettings)
    extra: dict[str, Any] = field(default_factory=dict)  # other modules' sections, unchecked

    def with_overrides(self, threshold: float | None = None, two_stage: bool | None = None) -> "GameConfig":
        """Command-line overrides; a bad --threshold gets an error naming the flag."""
        changes: dict[str, Any] = {}
        if threshold is not None:
            lo, hi = THRESHOLD_RANGE
            if not lo <= threshold <= hi:
                raise ConfigError(f"--threshold {threshold} is outside the difficulty range {lo}–{hi}")
            changes["threshold"] = threshold
        if two_stage is not None:
            changes["two_stage"] = two_stage
        return replace(self, judge=replace(self.judge, **changes)) if changes else self


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
    sections: dict[str, Any] = {}
    extra = {k: v for k, v in raw.items() if k not in _SECTIONS}
    for name, cls in _SECTIONS.items():
        values = raw.get(name) or {}
        if not isinstance(values, dict):
            raise ConfigError(f"{path}: section '{name}' must be a mapping of keys")
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(values) - known)
        if unknown:
            raise ConfigError(f"{path}: unknown key {name}.{unknown[0]} (known: {', '.join(sorted(known))})")
        try:
            sections[name] = cls(**values)
        except ConfigError as exc:
            raise ConfigError(f"{path}: {exc}") from None
    return GameConfig(**sections, extra=extra)
