"""The local high-score table of solo rounds, kept in ``<config dir>/scores.json``.

Longer survival ranks higher; at equal time a higher threshold (harder game) and
then a lower peak smile win. A bad file is reported and the table starts empty.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import datetime
from pathlib import Path

from game.settings import config_dir, read_json, write_json_atomic

TABLE_SIZE = 10


@dataclass(frozen=True)
class ScoreEntry:
    seconds: float      # time survived
    peak: float         # highest smile value of the round
    threshold: float
    won: bool           # survived the whole round
    date: str           # YYYY-MM-DD

    def sort_key(self) -> tuple:
        return (-round(self.seconds, 1), -self.threshold, self.peak)

    @classmethod
    def now(cls, seconds: float, peak: float, threshold: float, won: bool) -> "ScoreEntry":
        return cls(round(seconds, 2), round(peak, 3), round(threshold, 2), won,
                   datetime.now().strftime("%Y-%m-%d"))


def _entry_from(data: object) -> ScoreEntry | None:
    if not isinstance(data, dict):
        return None
    try:
        entry = ScoreEntry(seconds=float(data["seconds"]), peak=float(data["peak"]),
                           threshold=float(data["threshold"]), won=bool(data["won"]), date=str(data["date"]))
    except (KeyError, TypeError, ValueError):
        return None
    return entry if entry.seconds >= 0 else None


class HighScores:
    """The sorted table; ``add`` returns the 1-based rank of a new entry (None if it did not place)."""

    def __init__(self, path: Path | None = None):
        self.path = path or config_dir() / "scores.json"
        self.entries: list[ScoreEntry] = []

    def load(self) -> list[str]:
        """Read the table; -> messages about what was wrong with the file."""
        data, problem = read_json(self.path)
        self.entries = []
        if data is None:
            return [problem] if problem else []
        if not isinstance(data, list):
            return [f"{self.path}: expected a JSON list of scores; starting an empty table"]
        entries = [_entry_from(row) for row in data]
        self.entries = sorted((e for e in entries if e is not None), key=ScoreEntry.sort_key)[:TABLE_SIZE]
        bad = sum(e is None for e in entries)
        return [f"{self.path}: skipped {bad} malformed score row(s)"] if bad else []

    def add(self, entry: ScoreEntry) -> int | None:
        self.entries.append(entry)
        self.entries.sort(key=ScoreEntry.sort_key)
        rank = next(i for i, e in enumerate(self.entries) if e is entry) + 1
        del self.entries[TABLE_SIZE:]
        return rank if rank <= TABLE_SIZE else None

    def save(self) -> str | None:
        try:
            write_json_atomic(self.path, [asdict(e) for e in self.entries])
        except OSError as exc:
            return f"{self.path}: cannot save high scores ({exc.strerror or type(exc).__name__})"
        return None

