"""The clip table's span finder and score summary (experiments/clip_verdicts.py)."""
from experiments.clip_verdicts import Row, against_annotation, out_spans, smile_within


def rows(verdicts: str, dt: float = 0.5) -> list[Row]:
    return [Row(i * dt, True, 0.0, v == "O") for i, v in enumerate(verdicts)]


def test_out_spans_are_runs_of_out_rows():
    assert out_spans(rows("SSOOSOS")) == [(1.0, 1.5), (2.5, 2.5)]
    assert out_spans(rows("OOS")) == [(0.0, 0.5)]
    assert out_spans(rows("SOO")) == [(0.5, 1.0)]
    assert out_spans(rows("SSS")) == []


def test_false_out_and_caught_share_against_the_annotation():
    # 0.5 s frames; smile annotated 1.0-2.5 s: core (1.3, 2.2) holds the frames at 1.5 and 2.0
    false_out, caught = against_annotation(rows("SSOSSSOO"), [(1.0, 2.5)])
    assert false_out == 1.0          # the frames at 3.0 and 3.5 are past 2.5 + 0.3
    assert caught == 0.0             # OUT at 1.0 lies in the tolerance, not the core
    false_out, caught = against_annotation(rows("SSSOOS"), [(1.0, 2.5)])
    assert false_out == 0.0 and caught == 1.0
    assert against_annotation(rows("SO"), [])[0] == 0.5


def test_smile_within_spans_skips_frames_without_a_face():
    log = [Row(t, f, s, False) for t, f, s in [(0.0, True, 0.9), (1.0, True, 0.2), (1.5, False, 0.0), (2.0, True, 0.6),
                                                (3.0, True, 0.95)]]
    mean, highest = smile_within(log, [(0.5, 2.0)])
    assert highest == 0.6 and abs(mean - 0.4) < 1e-9
    assert smile_within(log, [(1.2, 1.8)]) is None
    assert smile_within(log, []) is None
