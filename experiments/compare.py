"""Compare two checkpoints on the same faces: is the difference more than the luck of the sample?

    python -m experiments.compare BEFORE.csv AFTER.csv [--json OUT]

Each CSV is ``model.evaluate --predictions`` of one checkpoint on the same set (same rows in
the same order). For each head with labels it reports both accuracies, the difference with
a paired bootstrap 95 % interval (the same resampled faces for both), the exact McNemar test
on the faces only one of them gets right, and for head 1 the AUC difference. On a set of
400 faces one face is 0.25 points: a gain of a point can be chance, and this says how likely.
"""
from __future__ import annotations

import argparse
import sys
from math import comb
from pathlib import Path

import numpy as np

from model.data.errors import DatasetError
from model.errors import CompareError
from model.evaluate import check_same_faces, read_predictions, write_json
from model.metrics import bootstrap_interval, roc_auc


def mcnemar_p(only_before: int, only_after: int) -> float:
    """Exact two-sided McNemar test: the chance of a split at least this uneven of the faces
    that only one model gets right, if either were as likely to be the one."""
    n = only_before + only_after
    if n == 0:
        return 1.0
    tail = sum(comb(n, k) for k in range(min(only_before, only_after) + 1))
    return min(1.0, 2 * tail / 2 ** n)


def paired(correct_before: np.ndarray, correct_after: np.ndarray) -> dict:
    n = len(correct_before)
    only_before = int((correct_before & ~correct_after).sum())
    only_after = int((correct_after & ~correct_before).sum())
    return {
        "n": n,
        "accuracy_before": float(correct_before.mean()),
        "accuracy_after": float(correct_after.mean()),
        "difference": float(correct_after.mean() - correct_before.mean()),
        "difference_ci95": bootstrap_interval(lambda i: correct_after[i].mean() - correct_before[i].mean(), n),
        "only_before_right": only_before,
        "only_after_right": only_after,
        "mcnemar_p": mcnemar_p(only_before, only_after),
    }


def compare(before: dict[str, np.ndarray], after: dict[str, np.ndarray]) -> dict[str, dict]:
    out = {}
    smile = ~np.isnan(before["label_smile"])
    if smile.any():
        truth = before["label_smile"][smile] >= 0.5
        s0, s1 = before["smile"][smile], after["smile"][smile]
        out["smile"] = paired((s0 > 0.5) == truth, (s1 > 0.5) == truth)
        out["smile"].update(
            auc_before=roc_auc(truth, s0), auc_after=roc_auc(truth, s1),
            auc_difference_ci95=bootstrap_interval(lambda i: roc_auc(truth[i], s1[i]) - roc_auc(truth[i], s0[i]),
                                                   len(truth)))
    emotion = before["emotion"] >= 0
    if emotion.any():
        truth = before["emotion"][emotion]
        out["emotion"] = paired(before["pred_emotion"][emotion] == truth, after["pred_emotion"][emotion] == truth)
    return out


def compare_files(before_path: Path, after_path: Path) -> dict[str, dict]:
    """compare() of two model.evaluate --predictions files of the same faces."""
    before, after = read_predictions(before_path), read_predictions(after_path)
    check_same_faces(before, after, (before_path, after_path))
    return compare(before, after)


def describe(head: str, m: dict) -> str:
    low, high = m["difference_ci95"]
    line = (f"{head}: {m['n']} faces, accuracy {m['accuracy_before']:.2%} -> {m['accuracy_after']:.2%} "
            f"({m['difference'] * 100:+.2f} points, 95 % interval {low * 100:+.2f} to {high * 100:+.2f}); "
            f"right only before {m['only_before_right']}, only after {m['only_after_right']}, "
            f"McNemar p = {m['mcnemar_p']:.3f}")
    if "auc_before" in m:
        a_low, a_high = m["auc_difference_ci95"]
        line += f"; AUC {m['auc_before']:.4f} -> {m['auc_after']:.4f} (interval {a_low:+.4f} to {a_high:+.4f})"
    return line


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m experiments.compare", description=__doc__.split("\n\n")[0])
    parser.add_argument("before", type=Path, help="model.evaluate --predictions CSV of the first checkpoint")
    parser.add_argument("after", type=Path, help="the same set, second checkpoint")
    parser.add_argument("--json", type=Path, help="also write the figures here")
    args = parser.parse_args(argv)
    try:
        result = compare_files(args.before, args.after)
        if not result:
            raise CompareError(f"{args.before}: no row carries a smile or emotion label")
    except (CompareError, DatasetError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    for head, m in result.items():
        print(describe(head, m))
    if args.json:
        write_json(args.json, {"before": str(args.before), "after": str(args.after), **result})
    return 0


if __name__ == "__main__":
    sys.exit(main())
