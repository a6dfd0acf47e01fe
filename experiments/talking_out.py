"""False OUT while talking: the game's real engine and judge over labelled clips.

    python -m experiments.talking_out [--weights weights/smile_emotion.pt] [--split test]
        [--labels assets/labels/clip_spans.csv] [--datasets ../shared/datasets] [--threshold 0.8]
        [--two-stage] [--json OUT.json]

Each clip of the span labels (docs/labelling.md) is played frame by frame through
``game.engine.Engine`` with configs/game.yaml (the engine a player gets, threshold 0.8 unless
told). Printed per clip, and in total: the seconds judged OUT inside spans labelled no smile
(level below 0.5: talking, pressed lips; the cost a player feels), the share of frames OUT inside
smiles of level 0.75 and up (a smile with teeth must still count), and the smile score's mean and
95th percentile for each labelled level (does 0.5-0.9 still read as easy -> hard?). Spans left
empty (cannot tell) count nowhere.
"""
from __future__ import annotations

import argparse
import math
import sys
from collections import defaultdict
from pathlib import Path

import numpy as np

from game.capture import open_source
from game.config import ConfigError, GameConfig, load_config
from game.engine import Engine, build_engine
from game.types import Verdict
from model.checkpoint import CheckpointError
from model.data.errors import DatasetError
from model.data.spans import clips_of, read_spans
from model.evaluate import write_json

ROOT = Path(__file__).resolve().parents[1]
NO_SMILE_BELOW = 0.5   # a span level under this is no smile at any threshold the game offers
BROAD_SMILE_FROM = 0.75  # a smile with teeth and up: should be OUT at the default threshold


def clip_report(engine, video: Path, spans, source_settings) -> dict:
    """Per-frame verdicts and scores of one clip, summed over its labelled spans."""
    rows = [(r.frame.t_source, r.judgement) for r in engine.run(open_source(video, source_settings))]
    times = [t for t, _ in rows]
    dt = (times[-1] - times[0]) / max(1, len(times) - 1) if len(times) > 1 else 0.0
    out_no_smile = no_smile_s = 0.0
    broad = []
    scores: dict[str, list[float]] = defaultdict(list)
    for t, j in rows:
        span = next((s for s in spans if s.holds(t)), None)
        if span is None or math.isnan(span.smile):
            continue
        scores[f"{span.smile:g}"].append(j.smile)
        if span.smile < NO_SMILE_BELOW:
            no_smile_s += dt
            out_no_smile += dt if j.verdict is Verdict.OUT else 0.0
        elif span.smile >= BROAD_SMILE_FROM:
            broad.append(j.verdict is Verdict.OUT)
    return {"seconds": len(rows) * dt, "no_smile_s": no_smile_s, "out_in_no_smile_s": out_no_smile,
            "broad_smile_frames": len(broad), "broad_smile_out_share": float(np.mean(broad)) if broad else None,
            "scores_by_level": {level: v for level, v in scores.items()}}


THRESHOLDS = (0.5, 0.6, 0.7, 0.8, 0.9)  # the difficulties a player can pick, easy to hard


def summarise(scores: list[float]) -> dict:
    a = np.asarray(scores)
    return {"frames": len(a), "mean": float(a.mean()), "median": float(np.median(a)),
            "p90": float(np.quantile(a, 0.9)), "p95": float(np.quantile(a, 0.95)), "max": float(a.max()),
            "share_above": {f"{t:g}": float((a > t).mean()) for t in THRESHOLDS}}


def add_engine_arguments(parser: argparse.ArgumentParser) -> None:
    """The game's engine as a player gets it: the checkpoint, configs/game.yaml, the difficulty."""
    parser.add_argument("--weights", type=Path, default=ROOT / "weights" / "smile_emotion.pt")
    parser.add_argument("--config", type=Path, default=ROOT / "configs" / "game.yaml")
    parser.add_argument("--threshold", type=float, help="the judge's threshold (default: the config's)")
    parser.add_argument("--two-stage", action="store_true", help="two-stage verification on")


def engine_from(args: argparse.Namespace) -> tuple[GameConfig, Engine]:
    """The engine add_engine_arguments describes; ConfigError or CheckpointError in one line."""
    config = load_config(args.config).with_overrides(args.threshold, True if args.two_stage else None)
    return config, build_engine(args.weights, config)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m experiments.talking_out", description=__doc__.split("\n\n")[0])
    add_engine_arguments(parser)
    parser.add_argument("--labels", type=Path, default=ROOT / "assets" / "labels" / "clip_spans.csv")
    parser.add_argument("--datasets", type=Path, default=ROOT.parent / "shared" / "datasets")
    parser.add_argument("--split", default="test", choices=("train", "test", "all"))
    parser.add_argument("--json", type=Path, help="also write every figure here")
    args = parser.parse_args(argv)
    try:
        by_clip = clips_of(read_spans(args.labels), args.split)
        config, engine = engine_from(args)
    except (ConfigError, DatasetError, CheckpointError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    clips, levels = {}, defaultdict(list)
    print(f"threshold {config.judge.threshold:g}{', two-stage' if config.judge.two_stage else ''}; "
          f"{args.weights}\n\n| clip | seconds | no-smile s | OUT in no smile | broad smiles OUT |\n|---|---|---|---|---|")
    try:
        for clip, spans in by_clip.items():
            report = clip_report(engine, args.datasets / clip, spans, config.source)
            for level, v in report.pop("scores_by_level").items():
                levels[level] += v
            clips[clip] = report
            share = report["broad_smile_out_share"]
            print(f"| `{Path(clip).name}` | {report['seconds']:.1f} | {report['no_smile_s']:.1f} | "
                  f"{report['out_in_no_smile_s']:.2f} s | {'–' if share is None else f'{100 * share:.0f} %'} |",
                  flush=True)
    finally:
        engine.close()
    total = sum(c["out_in_no_smile_s"] for c in clips.values())
    print(f"\nOUT in no-smile spans: {total:.2f} s of {sum(c['no_smile_s'] for c in clips.values()):.1f} s")
    by_level = {level: summarise(v) for level, v in sorted(levels.items(), key=lambda kv: float(kv[0]))}
    for level, s in by_level.items():
        print(f"smile score on spans labelled {level}: mean {s['mean']:.2f}, p95 {s['p95']:.2f}, "
              f"max {s['max']:.2f} ({s['frames']} frames)")
    if args.json:
        write_json(args.json, {"weights": str(args.weights), "split": args.split,
                               "threshold": config.judge.threshold, "two_stage": config.judge.two_stage,
                               "out_in_no_smile_s": total, "clips": clips, "score_by_level": by_level})
    return 0


if __name__ == "__main__":
    sys.exit(main())
