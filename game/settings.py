"""The player's settings, kept between runs in ``<config dir>/settings.json``.

The threshold and the mode start from the game config (``judge.threshold``,
``judge.two_stage``: GameConfig owns the defaults and ranges); the player's saved choice
wins over them and the app pushes it to the engine.

The config dir is ``$UTCHAM_CONFIG_DIR`` (tests), else ``$XDG_CONFIG_HOME/utcham``,
else ``~/.config/utcham``. A bad file or value never stops the game: it is
reported in one line, what could be read is kept, the default is used for the rest,
and the file as it was is kept beside it as ``settings.json.corrupt-<timestamp>``.
"""
from __future__ import annotations

import json
import math
import os
import re
import time
from dataclasses import asdict, dataclass, fields
from datetime import datetime
from pathlib import Path

from game.config import THRESHOLD_RANGE, GameConfig, snap_threshold
from game.i18n import LANGUAGES
from model.files import replaced_atomically

_DEFAULT = GameConfig()


def config_dir() -> Path:
    if os.environ.get("UTCHAM_CONFIG_DIR"):
        return Path(os.environ["UTCHAM_CONFIG_DIR"])
    base = os.environ.get("XDG_CONFIG_HOME") or Path.home() / ".config"
    return Path(base) / "utcham"


def data_dir() -> Path:
    """``$UTCHAM_DATA_DIR`` (tests), else ``$XDG_DATA_HOME/utcham``, else ``~/.local/share/utcham``."""
    if os.environ.get("UTCHAM_DATA_DIR"):
        return Path(os.environ["UTCHAM_DATA_DIR"])
    base = os.environ.get("XDG_DATA_HOME") or Path.home() / ".local" / "share"
    return Path(base) / "utcham"


def pictures_dir() -> Path:
    """Where saved laugh moments go: ~/Pictures/utcham when ~/Pictures exists, else the data dir."""
    if os.environ.get("XDG_PICTURES_DIR"):
        return Path(os.environ["XDG_PICTURES_DIR"]) / "utcham"
    pictures = Path.home() / "Pictures"
    if pictures.is_dir():
        return pictures / "utcham"
    return data_dir() / "laughs"


def write_json_atomic(path: Path, data: object) -> None:
    """A crash mid-write never leaves a half file behind."""
    with replaced_atomically(path, encoding="utf-8") as f:
        json.dump(data, f, ensure_ascii=False, indent=2)


STALE_TMP_S = 60.0   # an atomic write takes milliseconds: an older temporary file was left by a kill


def stale_temporary_files(folder: Path, name: str, age_s: float = STALE_TMP_S) -> list[Path]:
    """The temporary files of ``name``'s atomic writes in ``folder`` older than ``age_s``."""
    cutoff = time.time() - age_s
    found = []
    for path in sorted(folder.glob(f"{name}.*.tmp")) if folder.is_dir() else []:
        try:
            if path.is_file() and path.stat().st_mtime < cutoff:
                found.append(path)
        except OSError:
            pass
    return found


def remove_stale_temporary_files(path: Path) -> list[Path]:
    """Delete what killed atomic writes of ``path`` left beside it; -> the files removed."""
    removed = []
    for tmp in stale_temporary_files(path.parent, path.name):
        try:
            tmp.unlink()
            removed.append(tmp)
        except OSError:
            pass
    return removed


def read_json(path: Path) -> tuple[object | None, str | None]:
    """-> (data, None); (None, None) when the file does not exist; (None, message) when it
    cannot be read; (what could be read, message) when it is not valid JSON: the complete
    leading entries of a cut-off object or list (a dict or list, possibly empty), else None.
    NaN and Infinity are read as floats: the callers' validators reject them."""
    try:
        raw = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return None, None
    except (OSError, UnicodeDecodeError) as exc:
        return None, f"{path}: unreadable ({type(exc).__name__}); using defaults"
    try:
        return json.loads(raw), None
    except json.JSONDecodeError as exc:
        partial = salvage_json(raw)
        kept = f"kept the {len(partial)} entries before it" if partial else "using defaults"
        return partial, f"{path}: not valid JSON (line {exc.lineno}, column {exc.colno}); {kept}"


_SEPARATOR = re.compile(r"[\s,]*")
_COLON = re.compile(r"\s*:\s*")
_AFTER_VALUE = re.compile(r"\s*[,}\]]")   # a value is complete only when a delimiter follows it


def salvage_json(raw: str) -> dict | list | None:
    """The complete leading entries of a JSON object or list that is cut off or broken
    part-way (a file truncated by a crash): {"a": 1, "b": tr -> {"a": 1}. None when the
    text is not an object or a list."""
    decoder = json.JSONDecoder()
    i = _SEPARATOR.match(raw).end()
    if raw[i:i + 1] not in ("{", "["):
        return None
    found: dict | list = {} if raw[i] == "{" else []
    i += 1
    while True:
        i = _SEPARATOR.match(raw, i).end()
        try:
            if isinstance(found, dict):
                key, i = decoder.raw_decode(raw, i)
                colon = _COLON.match(raw, i)
                if not isinstance(key, str) or colon is None:
                    return found
                value, i = decoder.raw_decode(raw, colon.end())
            else:
                value, i = decoder.raw_decode(raw, i)
        except json.JSONDecodeError:
            return found
        if not _AFTER_VALUE.match(raw, i):
            return found    # e.g. 0.6 cut from 0.65
        if isinstance(found, dict):
            found[key] = value
        else:
            found.append(value)


def keep_broken(path: Path) -> str:
    """Move a file that could not be used whole aside as ``<name>.corrupt-<timestamp>``
    before the next save replaces it; -> what to tell the player."""
    stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
    backup, n = path.with_name(f"{path.name}.corrupt-{stamp}"), 1
    while backup.exists():
        n += 1
        backup = path.with_name(f"{path.name}.corrupt-{stamp}-{n}")
    try:
        os.rename(path, backup)
    except OSError as exc:
        return f"could not keep a copy of it ({exc.strerror or type(exc).__name__})"
    return f"the file as it was is kept as {backup}"


@dataclass
class Settings:
    threshold: float = _DEFAULT.judge.threshold
    two_stage: bool = _DEFAULT.judge.two_stage
    language: str = "ko"
    show_stats: bool = True
    fullscreen: bool = False
    sound: bool = True
    save_laugh_moment: bool = False   # privacy: frames leave memory only when this is on

    @classmethod
    def defaults(cls, config: GameConfig) -> "Settings":
        """A new player's settings: the difficulty and mode the game config gives."""
        return cls(threshold=snap_threshold(config.judge.threshold, config.ui.threshold_step),
                   two_stage=config.judge.two_stage)

    def validated(self, default: "Settings | None" = None,
                  step: float = _DEFAULT.ui.threshold_step) -> tuple["Settings", list[str]]:
        """A copy with every bad value replaced by its default, and one message per bad value;
        the threshold snapped to ``step``."""
        default = default or Settings()
        clean, problems = Settings(**asdict(default)), []
        for f in fields(self):
            value = getattr(self, f.name)
            ok = _valid_threshold(value, step) if f.name == "threshold" else _VALIDATORS[f.name](value)
            if ok is None:
                problems.append(f"{f.name}={value!r} is not valid; using {getattr(default, f.name)!r}")
            else:
                setattr(clean, f.name, ok)
        return clean, problems


def _valid_bool(value: object) -> bool | None:
    return value if isinstance(value, bool) else None


def _valid_threshold(value: object, step: float) -> float | None:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        return None
    lo, hi = THRESHOLD_RANGE
    if not lo - 1e-9 <= value <= hi + 1e-9:
        return None
    return snap_threshold(value, step)


_VALIDATORS = {
    "two_stage": _valid_bool,
    "language": lambda v: v if v in LANGUAGES else None,
    "show_stats": _valid_bool,
    "fullscreen": _valid_bool,
    "sound": _valid_bool,
    "save_laugh_moment": _valid_bool,
}


class SettingsStore:
    """Loads and saves Settings at ``path`` (default: ``config_dir()/settings.json``); what the
    file lacks, or holds badly, comes from ``config`` (Settings.defaults)."""

    def __init__(self, path: Path | None = None, config: GameConfig = _DEFAULT):
        self.path = path or config_dir() / "settings.json"
        self.defaults, self.step = Settings.defaults(config), config.ui.threshold_step

    def load(self) -> tuple[Settings, list[str]]:
        """-> (settings, messages about anything that was replaced by a default). A file that
        could not be used whole is moved aside (keep_broken) and the first message says where."""
        data, problem = read_json(self.path)
        problems = [problem] if problem else []
        settings = Settings(**asdict(self.defaults))
        if data is not None and not isinstance(data, dict):
            problems.append(f"{self.path}: expected a JSON object, got {type(data).__name__}; using defaults")
        elif data is not None:
            known = {f.name for f in fields(Settings)}
            chosen = {**asdict(self.defaults), **{k: v for k, v in data.items() if k in known}}
            settings, bad = Settings(**chosen).validated(self.defaults, self.step)
            problems += [f"{self.path}: {p}" for p in bad]
        if problems:
            problems[0] += f"; {keep_broken(self.path)}"
        return settings, problems

    def save(self, settings: Settings) -> str | None:
        """Write the settings; -> a one-line message when that fails (read-only home), else None."""
        try:
            write_json_atomic(self.path, asdict(settings))
        except OSError as exc:
            return f"{self.path}: cannot save settings ({exc.strerror or type(exc).__name__})"
        return None
