"""Before/after a fine-tune: both checkpoints on the manifest's held-out split and, when
given, on the public benchmarks, with the deltas and a pass/fail for "no accuracy lost
more than one point" (the fine-tune must not make the model forget GENKI-4K or FER2013).

    python -m experiments.finetune_report --before weights/smile_emotion.pt --after runs/finetune/best.pt \\
        --manifest recordings/manifest.csv [--genki ../shared/datasets/genki4k] \\
        [--fer ../shared/datasets/fer2013] --json runs/finetune/report.json

Sets: the manifest's --split (default test; by subject, or by clip with --subject),
GENKI-4K fold 0, FER2013 PrivateTest; scored as model.evaluate scores them. Exit status:
0 pass, 1 some accuracy dropped more than --max-drop, 2 error.
"""
from __future__ import annotations

import argparse
import logging
import sys
from dataclasses import dataclass
from pathlib import Path

from model.checkpoint import CheckpointError, load_model, pick_device
from model.data import load_dataset
from model.data.errors import DatasetError
from model.data.faceset import FaceSet
from model.evaluate import evaluate, head_metrics, load_eval_set, positive_int, write_json
from model.preprocess import Preprocessing

# The figures compared per head; the pass/fail rule looks at accuracy.
KEPT_METRICS = {"smile": ("accuracy", "auc", "mae", "best_accuracy"), "emotion": ("accuracy", "macro_f1")}


@dataclass
class EvalSet:
    name: str        # e.g. "manifest test", "genki4k test"
    faces: FaceSet


def load_sets(args: argparse.Namespace, preprocessing: Preprocessing) -> list[EvalSet]:
    """The sets both checkpoints are scored on, faces cut as ``preprocessing`` (the model's) says."""
    manifest = load_dataset("manifest", Path(args.manifest), args.split, preprocessing, crop=args.crop,
                            subject=args.subject)
    sets = [EvalSet(f"manifest {args.split}" + (f" (subject {args.subject})" if args.subject else ""), manifest)]
    if args.genki:
        genki = load_eval_set("genki4k", args.genki, "test", "auto", None, preprocessing)
        sets.append(EvalSet("genki4k test", genki))
    if args.fer:
        fer = load_eval_set("fer2013", args.fer, "test", None, None, preprocessing)
        sets.append(EvalSet("fer2013 PrivateTest", fer))
    for s in sets:
        if len(s.faces) == 0:
            raise DatasetError(f"{s.name}: nothing to evaluate ({len(s.faces.skipped)} files skipped)")
    return sets


def scores(weights: str, sets: list[EvalSet], device, batch_size: int) -> dict[str, dict[str, dict[str, float]]]:
    """set name -> head -> the kept metrics, for one checkpoint."""
    model, _ = load_model(weights, device)
    out = {}
    for s in sets:
        smile, probs = evaluate(model, s.faces, model.config.preprocessing, batch_size, device)
        heads = head_metrics(s.faces, smile, probs)
        out[s.name] = {head: {k: float(m[k]) for k in KEPT_METRICS[head]} for head, m in heads.items()
                       if head in KEPT_METRICS}  # the heads' accuracies; false smiles are evaluate's
    return out


def compare(before: dict, after: dict, sets: list[EvalSet], max_drop: float) -> dict:
    """Per set and head: before, after, delta (after - before) and whether the accuracy held."""
    report: dict = {"max_drop": max_drop, "sets": {}}
    for s in sets:
        heads = {}
        for head, b in before[s.name].items():
            a = after[s.name][head]
            delta = {k: a[k] - b[k] for k in b}
            heads[head] = {"before": b, "after": a, "delta": delta, "pass": bool(delta["accuracy"] >= -max_drop)}
        report["sets"][s.name] = {"n": len(s.faces), **heads}
    report["pass"] = all(h["pass"] for s in report["sets"].values() for k, h in s.items() if k != "n")
    return report


def table(report: dict) -> str:
    lines = [f"{'set':<32} {'head':<8} {'metric':<14} {'before':>8} {'after':>8} {'delta':>8}"]
    for name, heads in report["sets"].items():
        for head, h in heads.items():
            if head == "n":
                continue
            for metric in h["before"]:
                mark = ("ok" if h["pass"] else "FAIL") if metric == "accuracy" else ""
                lines.append(f"{name:<32} {head:<8} {metric:<14} {h['before'][metric]:>8.4f} "
                             f"{h['after'][metric]:>8.4f} {h['delta'][metric]:>+8.4f} {mark}")
    points = 100 * report["max_drop"]
    lines.append(f"{'PASS' if report['pass'] else 'FAIL'}: "
                 + (f"no accuracy dropped more than {points:g} point(s)" if report["pass"]
                    else f"an accuracy dropped more than {points:g} point(s)"))
    return "\n".join(lines)


def accuracy_drop(text: str) -> float:
    """argparse type of --max-drop: a fraction of accuracy."""
    value = float(text)
    if not 0 <= value < 1:
        raise argparse.ArgumentTypeError(f"must be from 0 to 1 (0.01 = one point), got {value:g}")
    return value


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m experiments.finetune_report", description=__doc__.split("\n\n")[0])
    parser.add_argument("--before", required=True, help="the checkpoint before fine-tuning")
    parser.add_argument("--after", required=True, help="the fine-tuned checkpoint")
    parser.add_argument("--manifest", required=True, help="the fine-tuning manifest CSV")
    parser.add_argument("--split", default="test", choices=("train", "val", "test", "all"),
                        help="the manifest split to score (default test: never trained or selected on)")
    parser.add_argument("--subject", default=None, help="as data.subject: one player's clips, split by clip")
    parser.add_argument("--crop", default="auto", choices=("detect", "auto", "none"),
                        help="as data.manifest_crop: none for game.record clips (face crops already)")
    parser.add_argument("--genki", default=None, help="GENKI-4K root: also score fold 0")
    parser.add_argument("--fer", default=None, help="FER2013 csv(.gz) or its folder: also score PrivateTest")
    parser.add_argument("--max-drop", type=accuracy_drop, default=0.01,
                        help="largest accuracy loss that passes (0.01 = 1 point)")
    parser.add_argument("--batch-size", type=positive_int, default=256)
    parser.add_argument("--device", default="auto")
    parser.add_argument("--json", required=True, help="where to write the report")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s: %(message)s")
    try:
        device = pick_device(args.device)
        # A bad checkpoint fails before the slow loading of the sets. A fine-tuned model keeps
        # the preprocessing of the one it started from, so the sets are cut once.
        before, after = (load_model(weights)[0].config.preprocessing for weights in (args.before, args.after))
        if (before.crop_margin, before.align) != (after.crop_margin, after.align):
            raise CheckpointError(f"{args.after}: cuts faces differently from {args.before} (crop margin, "
                                  "eye levelling): not a fine-tune of it; compare them with model.evaluate")
        sets = load_sets(args, before)
        report = compare(scores(args.before, sets, device, args.batch_size),
                         scores(args.after, sets, device, args.batch_size), sets, args.max_drop)
        report = {"before": args.before, "after": args.after, "manifest": args.manifest, **report}
        write_json(args.json, report)
    except (CheckpointError, DatasetError, OSError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(table(report))
    return 0 if report["pass"] else 1


if __name__ == "__main__":
    sys.exit(main())
