"""When the game says OUT on each sample clip: the model card's "Behaviour on real clips" table.

    python -m scripts.clip_verdicts [--weights weights/smile_emotion.pt] [--videos ../shared/datasets/videos]

Runs the headless game (`main.py --headless --log`, the same engine a player gets) on every video
in the folder and prints one markdown row per clip: the time spans with verdict OUT, the highest
smile score and, for the clips whose smiles ../shared/datasets/README.md annotates, the seconds of
OUT outside those smiles (false OUT, with the README's ±0.3 s tolerance), the share of each
annotated smile's core that is OUT, and for a clip with a grimace the mean and highest smile score
over it (what must not read as a smile, whatever the threshold). Extra game flags (--two-stage,
--threshold 0.7) pass through.
"""
from __future__ import annotations

import argparse
import csv
import math
import subprocess
import sys
import tempfile
from pathlib import Path

from model.data.spans import read_sample_clips

ROOT = Path(__file__).resolve().parents[1]
# The sample clips' smiles (those that should make a player OUT at the default threshold) and
# grimaces (that must not read as a smile): data, in assets/labels/sample_clips.csv. A quiet
# closed-lip smile (0.5 on docs/labelling.md's scale, below 0.8) counts as no smile there.
ANNOTATIONS = ROOT / "assets" / "labels" / "sample_clips.csv"
TOLERANCE_S = 0.3


def out_spans(rows: list[dict]) -> list[tuple[float, float]]:
    """[(first t, last t)] of each run of consecutive OUT rows."""
    spans: list[tuple[float, float]] = []
    start = prev = None
    for row in rows:
        t, out = float(row["t"]), row["verdict"] == "OUT"
        if out and start is None:
            start = t
        elif not out and start is not None:
            spans.append((start, prev))
            start = None
        prev = t
    if start is not None:
        spans.append((start, prev))
    return spans


def against_annotation(rows: list[dict], smiles: list[tuple[float, float]]) -> tuple[float, float]:
    """(seconds of OUT farther than TOLERANCE_S from every annotated smile,
    share of the frames inside the smiles' cores (each shrunk by TOLERANCE_S) that are OUT)."""
    times = [float(r["t"]) for r in rows]
    dt = (times[-1] - times[0]) / max(1, len(times) - 1)
    false_out = sum(dt for r, t in zip(rows, times) if r["verdict"] == "OUT"
                    and not any(a - TOLERANCE_S <= t <= b + TOLERANCE_S for a, b in smiles))
    cores = [(a + TOLERANCE_S, b - TOLERANCE_S) if b - a > 2 * TOLERANCE_S else ((a + b) / 2,) * 2
             for a, b in smiles]
    core = [r["verdict"] == "OUT" for r, t in zip(rows, times)
            if any(lo - dt / 2 <= t <= hi + dt / 2 for lo, hi in cores)]
    return false_out, (sum(core) / len(core) if core else float("nan"))


def smile_within(rows: list[dict], spans: list[tuple[float, float]]) -> tuple[float, float] | None:
    """(mean, highest) smile score of the frames with a face inside the spans; None if there are none."""
    scores = [float(r["smile"]) for r in rows if r["face_found"] == "1" and r["smile"]
              and any(a <= float(r["t"]) <= b for a, b in spans)]
    return (sum(scores) / len(scores), max(scores)) if scores else None


def clip_row(video: Path, weights: Path, game_args: list[str], annotations: dict) -> str:
    with tempfile.TemporaryDirectory() as tmp:
        log = Path(tmp) / "log.csv"
        subprocess.run([sys.executable, str(ROOT / "main.py"), "--source", str(video), "--weights", str(weights),
                        "--headless", "--log", str(log), *game_args], check=True, stdout=subprocess.DEVNULL)
        with log.open(newline="", encoding="utf-8") as f:
            rows = list(csv.DictReader(f))
    spans = ", ".join(f"{a:.2f}–{b:.2f} s" for a, b in out_spans(rows)) or "never"
    whole = smile_within(rows, [(0.0, math.inf)])
    peak = f"{whole[1]:.2f}" if whole else "–"
    cells = [f"`{video.name}`", spans, peak]
    marked = annotations.get(video.name)
    if marked is not None:
        false_out, caught = against_annotation(rows, marked["smile"])
        cells += [f"{false_out:.1f} s", "–" if math.isnan(caught) else f"{100 * caught:.0f} %"]
    else:
        cells += ["–", "–"]
    grimace = smile_within(rows, marked["grimace"] if marked else [])
    cells.append(f"{grimace[0]:.2f} / {grimace[1]:.2f}" if grimace else "–")
    return "| " + " | ".join(cells) + " |"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--weights", type=Path, default=ROOT / "weights" / "smile_emotion.pt")
    parser.add_argument("--videos", type=Path, default=ROOT.parent / "shared" / "datasets" / "videos")
    args, game_args = parser.parse_known_args(argv)
    videos = sorted(args.videos.glob("*.mp4"))
    if not videos:
        print(f"{args.videos}: no .mp4 clips", file=sys.stderr)
        return 2
    print("| clip | OUT | highest smile | false OUT | annotated smiles OUT | smile in a grimace (mean / highest) |\n"
          "|---|---|---|---|---|---|")
    annotations = read_sample_clips(ANNOTATIONS)
    for video in videos:
        print(clip_row(video, args.weights, game_args, annotations), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
