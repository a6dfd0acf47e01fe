"""The clip table's span finder (scripts/clip_verdicts.py)."""
from scripts.clip_verdicts import out_spans


def rows(verdicts: str, dt: float = 0.5) -> list[dict]:
    return [{"t": str(i * dt), "verdict": "OUT" if v == "O" else "SAFE"} for i, v in enumerate(verdicts)]


def test_out_spans_are_runs_of_out_rows():
    assert out_spans(rows("SSOOSOS")) == [(1.0, 1.5), (2.5, 2.5)]
    assert out_spans(rows("OOS")) == [(0.0, 0.5)]
    assert out_spans(rows("SOO")) == [(0.5, 1.0)]
    assert out_spans(rows("SSS")) == []
