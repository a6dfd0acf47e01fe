"""When the game says OUT on each sample clip: the model card's "Behaviour on real clips" table.

    python -m scripts.clip_verdicts [--weights weights/smile_emotion.pt] [--videos ../shared/datasets/videos]

Runs the headless game (`main.py --headless --log`, the same engine a player gets) on every video
in the folder and prints one markdown row per clip: the time spans with verdict OUT, and the
highest smile score. Extra game flags (e.g. --two-stage, --threshold 0.7) are passed through.
"""
from __future__ import annotations

import argparse
import csv
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


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


def clip_row(video: Path, weights: Path, game_args: list[str]) -> str:
    with tempfile.TemporaryDirectory() as tmp:
        log = Path(tmp) / "log.csv"
        subprocess.run([sys.executable, str(ROOT / "main.py"), "--source", str(video), "--weights", str(weights),
                        "--headless", "--log", str(log), *game_args], check=True, stdout=subprocess.DEVNULL)
        with log.open(newline="", encoding="utf-8") as f:
            rows = list(csv.DictReader(f))
    spans = ", ".join(f"{a:.2f}–{b:.2f}" for a, b in out_spans(rows)) or "never"
    smiles = [float(r["smile"]) for r in rows if r["face_found"] == "1" and r["smile"]]
    peak = f"{max(smiles):.2f}" if smiles else "–"
    return f"| `{video.name}` | {spans} s | {peak} |"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--weights", type=Path, default=ROOT / "weights" / "smile_emotion.pt")
    parser.add_argument("--videos", type=Path, default=ROOT.parent / "shared" / "datasets" / "videos")
    args, game_args = parser.parse_known_args(argv)
    videos = sorted(args.videos.glob("*.mp4"))
    if not videos:
        print(f"{args.videos}: no .mp4 clips", file=sys.stderr)
        return 2
    print("| clip | OUT | highest smile |\n|---|---|---|")
    for video in videos:
        print(clip_row(video, args.weights, game_args), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
