"""The local high-score tables of solo rounds, kept in ``<config dir>/scores.json``.

One table per round length (an 8 s win and a 13 s laugh in a 30 s round are not
comparable). Longer survival ranks higher; at equal time a higher threshold (harder
game) and then a lower peak smile win. Only solo rounds are ranked: face-offs, practice
and disqualified rounds are never entered (``HighScores.record_round``). Times
and peaks are rounded once, here, so the results headline and the table agree. A bad
file is reported, the rows that could be read are kept, and the file as it was is kept
beside it as ``scores.json.corrupt-<timestamp>``.
"""
from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from datetime import datetime
from pathlib import Path

from game.flow import GameFlow, Outcome
from game.settings import config_dir, keep_broken, read_json, write_json_atomic

TABLE_SIZE = 10   # entries kept per round length


def shown_seconds(seconds: float) -> float:
    """Time survived as shown and stored: whole tenths, rounded down (3.97 s did not reach 4.0 s)."""
    return math.floor(seconds * 10 + 1e-6) / 10


def shown_peak(peak: float) -> float:
    return round(peak, 2)


@dataclass(frozen=True)
class ScoreEntry:
    seconds: float      # time survived
    peak: float         # highest smile value of the round
    threshold: float
    won: bool           # survived the whole round
    date: str           # YYYY-MM-DD
    round_seconds: float | None = None   # the round's length; None: a row from before lengths were kept

    def sort_key(self) -> tuple:
        return (-self.seconds, -self.threshold, self.peak)

    @classmethod
    def now(cls, seconds: float, peak: float, threshold: float, won: bool,
            round_seconds: float | None = None) -> "ScoreEntry":
        return cls(shown_seconds(seconds), shown_peak(peak), round(threshold, 2), won,
                   datetime.now().strftime("%Y-%m-%d"), round_seconds)


def _number(value: object) -> float:
    """A finite JSON number (not a bool, not a string, not NaN or Infinity), else ValueError."""
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise ValueError(value)
    return float(value)


def _entry_from(data: object) -> ScoreEntry | None:
    if not isinstance(data, dict):
        return None
    try:
        won = data["won"]
        if not isinstance(won, bool) or not isinstance(data["date"], str):   # bool("false") is True
            return None
        length = data.get("round_seconds", data["seconds"] if won else None)   # a win lasted the round
        entry = ScoreEntry(seconds=_number(data["seconds"]), peak=_number(data["peak"]),
                           threshold=_number(data["threshold"]), won=won, date=data["date"],
                           round_seconds=None if length is None else _number(length))
    except (KeyError, TypeError, ValueError):
        return None
    return entry if entry.seconds >= 0 else None


def _trimmed(entries: list[ScoreEntry]) -> list[ScoreEntry]:
    """Sorted, at most TABLE_SIZE per round length."""
    kept, count = [], {}
    for entry in sorted(entries, key=ScoreEntry.sort_key):
        count[entry.round_seconds] = count.get(entry.round_seconds, 0) + 1
        if count[entry.round_seconds] <= TABLE_SIZE:
            kept.append(entry)
    return kept


class HighScores:
    """The sorted tables; ``add`` returns the 1-based rank of a new entry among the rounds of
    its length (None if it did not place); ``new_rank`` is the last ranked round's, for the
    results screen (None once the next round starts)."""

    def __init__(self, path: Path | None = None):
        self.path = path or config_dir() / "scores.json"
        self.entries: list[ScoreEntry] = []
        self.new_rank: int | None = None

    def load(self) -> list[str]:
        """Read the table; -> messages about what was wrong with the file."""
        data, problem = read_json(self.path)
        self.entries = []
        problems = [problem] if problem else []
        if data is not None and not isinstance(data, list):
            problems.append(f"{self.path}: expected a JSON list of scores; starting an empty table")
        elif data is not None:
            entries = [_entry_from(row) for row in data]
            self.entries = _trimmed([e for e in entries if e is not None])
            bad = sum(e is None for e in entries)
            if bad:
                problems.append(f"{self.path}: skipped {bad} malformed score row(s)")
        if problems:   # the next save would lose what was skipped: keep the file as it was
            problems[0] += f"; {keep_broken(self.path)}"
        return problems

    def table(self, round_seconds: float | None) -> list[ScoreEntry]:
        """The ranking of rounds of this length, best first."""
        return [e for e in self.entries if e.round_seconds == round_seconds]

    def add(self, entry: ScoreEntry) -> int | None:
        self.entries = _trimmed(self.entries + [entry])
        table = self.table(entry.round_seconds)
        return next((i + 1 for i, e in enumerate(table) if e is entry), None)

    def record_round(self, flow: GameFlow, threshold: float) -> str | None:
        """The round ``flow`` just finished, at ``threshold``, entered and saved if it is ranked
        (sets ``new_rank``); -> a problem saving the file."""
        result = flow.result
        if flow.players != 1 or flow.practice or result.outcome is Outcome.HID:
            return None   # face-offs, practice and disqualified rounds are not ranked
        entry = ScoreEntry.now(result.seconds, flow.tracks[0].peak, threshold, won=result.outcome is Outcome.SURVIVED,
                               round_seconds=flow.config.ui.round_seconds)
        self.new_rank = self.add(entry)
        return self.save()

    def save(self) -> str | None:
        try:
            write_json_atomic(self.path, [asdict(e) for e in self.entries])
        except OSError as exc:
            return f"{self.path}: cannot save high scores ({exc.strerror or type(exc).__name__})"
        return None

