"""When the game says OUT on each sample clip: the model card's "Behaviour on real clips" table.

    python -m experiments.clip_verdicts [--weights weights/smile_emotion.pt] [--videos ../shared/datasets/videos]
        [--config configs/game.yaml] [--threshold 0.7] [--two-stage]

Plays every video in the folder frame by frame through ``game.engine.Engine`` with
configs/game.yaml (the engine a player gets, as experiments/talking_out.py does) and prints one
markdown row per clip: the time spans with verdict OUT, the highest smile score and, for the clips
whose smiles assets/labels/sample_clips.csv annotates, the seconds of OUT outside those smiles
(false OUT, with a ±0.3 s tolerance), the share of each annotated smile's core that is OUT, and
for a clip with a grimace the mean and highest smile score over it (what must not read as a
smile, whatever the threshold).
"""
from __future__ import annotations

import argparse
import math
import sys
from pathlib import Path
from typing import NamedTuple

from experiments.talking_out import ROOT, add_engine_arguments, engine_from
from game.capture import open_source
from game.config import ConfigError, SourceSettings
from game.engine import Engine
from game.types import Verdict
from model.checkpoint import CheckpointError
from model.data.spans import read_sample_clips

# The sample clips' smiles (those that should make a player OUT at the default threshold) and
# grimaces (that must not read as a smile): data. A quiet closed-lip smile (0.5 on
# docs/labelling.md's scale, below 0.8) counts as no smile there.
ANNOTATIONS = ROOT / "assets" / "labels" / "sample_clips.csv"
TOLERANCE_S = 0.3


class Row(NamedTuple):
    """One engine frame of a clip: what the table is made of."""

    t: float        # source seconds
    face: bool      # the player's face was found
    smile: float    # head 1's raw score (0 without a face)
    out: bool       # the verdict is OUT


def clip_rows(engine: Engine, video: Path, source: SourceSettings) -> list[Row]:
    """Every frame of the clip through the engine, in order; times and scores at the headless
    log's precision (0.1 ms, 1e-6), so a frame on a span's edge counts as it does in that log."""
    return [Row(round(r.frame.t_source, 4), r.face_found, round(r.judgement.smile, 6),
                r.judgement.verdict is Verdict.OUT) for r in engine.run(open_source(video, source))]


def out_spans(rows: list[Row]) -> list[tuple[float, float]]:
    """[(first t, last t)] of each run of consecutive OUT rows."""
    spans: list[tuple[float, float]] = []
    start = prev = None
    for row in rows:
        if row.out and start is None:
            start = row.t
        elif not row.out and start is not None:
            spans.append((start, prev))
            start = None
        prev = row.t
    if start is not None:
        spans.append((start, prev))
    return spans


def against_annotation(rows: list[Row], smiles: list[tuple[float, float]]) -> tuple[float, float]:
    """(seconds of OUT farther than TOLERANCE_S from every annotated smile,
    share of the frames inside the smiles' cores (each shrunk by TOLERANCE_S) that are OUT)."""
    dt = (rows[-1].t - rows[0].t) / max(1, len(rows) - 1)
    false_out = sum(dt for r in rows if r.out and not any(a - TOLERANCE_S <= r.t <= b + TOLERANCE_S for a, b in smiles))
    cores = [(a + TOLERANCE_S, b - TOLERANCE_S) if b - a > 2 * TOLERANCE_S else ((a + b) / 2,) * 2
             for a, b in smiles]
    core = [r.out for r in rows if any(lo - dt / 2 <= r.t <= hi + dt / 2 for lo, hi in cores)]
    return false_out, (sum(core) / len(core) if core else float("nan"))


def smile_within(rows: list[Row], spans: list[tuple[float, float]]) -> tuple[float, float] | None:
    """(mean, highest) smile score of the frames with a face inside the spans; None if there are none."""
    scores = [r.smile for r in rows if r.face and any(a <= r.t <= b for a, b in spans)]
    return (sum(scores) / len(scores), max(scores)) if scores else None


def clip_row(name: str, rows: list[Row], annotations: dict) -> str:
    """The clip's markdown row."""
    spans = ", ".join(f"{a:.2f}–{b:.2f} s" for a, b in out_spans(rows)) or "never"
    whole = smile_within(rows, [(0.0, math.inf)])
    cells = [f"`{name}`", spans, f"{whole[1]:.2f}" if whole else "–"]
    marked = annotations.get(name)
    if marked is not None:
        false_out, caught = against_annotation(rows, marked["smile"])
        cells += [f"{false_out:.1f} s", "–" if math.isnan(caught) else f"{100 * caught:.0f} %"]
    else:
        cells += ["–", "–"]
    grimace = smile_within(rows, marked["grimace"] if marked else [])
    cells.append(f"{grimace[0]:.2f} / {grimace[1]:.2f}" if grimace else "–")
    return "| " + " | ".join(cells) + " |"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m experiments.clip_verdicts", description=__doc__.split("\n\n")[0])
    add_engine_arguments(parser)
    parser.add_argument("--videos", type=Path, default=ROOT.parent / "shared" / "datasets" / "videos")
    args = parser.parse_args(argv)
    videos = sorted(args.videos.glob("*.mp4"))
    if not videos:
        print(f"{args.videos}: no .mp4 clips", file=sys.stderr)
        return 2
    try:
        config, engine = engine_from(args)
    except (ConfigError, CheckpointError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print("| clip | OUT | highest smile | false OUT | annotated smiles OUT | smile in a grimace (mean / highest) |\n"
          "|---|---|---|---|---|---|")
    annotations = read_sample_clips(ANNOTATIONS)
    try:
        for video in videos:
            print(clip_row(video.name, clip_rows(engine, video, config.source), annotations), flush=True)
    finally:
        engine.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
