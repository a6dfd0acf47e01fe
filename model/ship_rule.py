"""Does a candidate replace the shipped model? The model card's shipping rule, as a command.

    python -m model.ship_rule SHIPPED_DIR CANDIDATE_DIR [--json OUT]

Each DIR holds one checkpoint's validation figures, written by
``python -m experiments.evaluate_weights --sets validation --weights CHECKPOINT --out DIR
--predictions DIR``: one predictions CSV per validation set of model.eval_sets, and
``talking_out.json`` (``experiments.talking_out``). The rule
measures what a player pays for, a false OUT, and passes the candidate when all of these hold:

1. **False smiles halve.** On the validation faces labelled angry, disgust, fear, sad or surprise
   and known not to smile, pooled over the sets, the share scoring 0.5 or more (the easiest
   threshold a player can pick) is at most half the shipped model's. Known not to smile: smile
   label 0 in a set that has smile labels (FER2013 faces where none of FER+'s annotators saw
   happiness; KDEF and the Taiwanese performers' non-happy faces); the emotion label alone in a
   set that has none (SFEW). Until 2026-12-02's two hard-negative candidates had been judged, the
   FER2013 faces on which FER+'s annotators disagreed counted too (docs/experiments.md).
2. **No more false OUT while talking.** The seconds judged OUT (game engine and judge, threshold
   0.8) inside the no-smile spans of the held-out talking clips are not more than the shipped
   model's.
3. **The benchmarks hold.** On GENKI-4K fold 1 and SMILEsmileD fold 1 (head 1) and FER2013
   PublicTest (head 2), the candidate's accuracy is not below the lower end of the shipped
   model's 95 % bootstrap interval.

The sample clips (tests/test_engine.py's trained-model tests with UTCHAM_TEST_WEIGHTS) are checked
beside it. Written before any candidate of weights/README.md was measured against it.
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np

from model.errors import CompareError
from model.data.errors import DatasetError
from model.eval_sets import TALKING_OUT, VALIDATION_SETS
from model.evaluate import check_same_faces, read_predictions, write_json
from model.labels import EXPRESSIVE_NON_SMILE
from model.metrics import bootstrap_interval

# Validation predictions whose expressive faces count for clause 1, and clause 3's (set, head).
EXPRESSIVE_SETS = tuple(s.name for s in VALIDATION_SETS if s.expressive)
BENCHMARKS = tuple((s.name, s.benchmark) for s in VALIDATION_SETS if s.benchmark)
FALSE_SMILE_AT = 0.5   # the lowest threshold a player can choose
HALVING = 0.5


def read_sets(folder: Path, names) -> dict[str, dict[str, np.ndarray]]:
    """The validation predictions of ``names`` in ``folder`` (model.evaluate.read_predictions)."""
    return {name: read_predictions(folder / f"{name}.csv") for name in names}


def false_smiles(sets: dict[str, dict[str, np.ndarray]]) -> dict:
    """Expressive faces known not to smile and the share of them scoring FALSE_SMILE_AT or
    more, per set and pooled."""
    per_set, flags = {}, []
    for name, p in sets.items():
        labelled = ~np.isnan(p["label_smile"])
        no_smile = p["label_smile"] == 0 if labelled.any() else ~labelled
        false = p["smile"][np.isin(p["emotion"], EXPRESSIVE_NON_SMILE) & no_smile] >= FALSE_SMILE_AT
        per_set[name] = {"faces": int(len(false)), "rate": float(false.mean()) if len(false) else float("nan")}
        flags.append(false)
    pooled = np.concatenate(flags)
    if not len(pooled):
        raise CompareError(f"no expressive non-smile face in {', '.join(sets)}")
    return {"faces": int(len(pooled)), "rate": float(pooled.mean()), "sets": per_set}


def correct(p: dict[str, np.ndarray], head: str) -> np.ndarray:
    """Per-face correctness of one head, on the faces labelled for it."""
    if head == "smile":
        keep = ~np.isnan(p["label_smile"])
        return (p["smile"][keep] > 0.5) == (p["label_smile"][keep] >= 0.5)
    keep = p["emotion"] >= 0
    return p["pred_emotion"][keep] == p["emotion"][keep]


def talking_seconds(folder: Path) -> float:
    path = folder / TALKING_OUT
    try:
        return float(json.loads(path.read_text(encoding="utf-8"))["out_in_no_smile_s"])
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise CompareError(f"{path}: not an experiments.talking_out --json report ({exc})") from None


def judge(shipped: Path, candidate: Path) -> dict:
    names = (*EXPRESSIVE_SETS, *(name for name, _ in BENCHMARKS))
    before, after = read_sets(shipped, names), read_sets(candidate, names)
    for name in names:  # every figure below compares the two on the same faces
        check_same_faces(before[name], after[name], (shipped / f"{name}.csv", candidate / f"{name}.csv"))
    fs = {side: false_smiles({name: sets[name] for name in EXPRESSIVE_SETS})
          for side, sets in (("shipped", before), ("candidate", after))}
    halves = fs["candidate"]["rate"] <= HALVING * fs["shipped"]["rate"]
    talk = {"shipped": talking_seconds(shipped), "candidate": talking_seconds(candidate)}
    no_more_talking = talk["candidate"] <= talk["shipped"]
    holds = {}
    for name, head in BENCHMARKS:
        right_before, right_after = correct(before[name], head), correct(after[name], head)
        if not len(right_before):
            raise CompareError(f"{shipped / name}.csv: no {head} labels")
        low, _ = bootstrap_interval(lambda i: right_before[i].mean(), len(right_before))
        holds[f"{name} {head}"] = {"shipped": float(right_before.mean()), "shipped_ci95_low": low,
                                   "candidate": float(right_after.mean()), "holds": bool(right_after.mean() >= low)}
    benchmarks_hold = all(h["holds"] for h in holds.values())
    return {"shipped": str(shipped), "candidate": str(candidate),
            "false_smiles": fs, "false_smiles_halve": bool(halves),
            "talking_out_s": talk, "no_more_talking_out": bool(no_more_talking),
            "benchmarks": holds, "benchmarks_hold": benchmarks_hold,
            "passes": bool(halves and no_more_talking and benchmarks_hold)}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m model.ship_rule", description=__doc__.split("\n\n")[0])
    parser.add_argument("shipped", type=Path, help="validation figures of the shipped checkpoint (a folder)")
    parser.add_argument("candidate", type=Path, help="the same, of the candidate")
    parser.add_argument("--json", type=Path, help="also write the verdict and every figure here")
    args = parser.parse_args(argv)
    try:
        verdict = judge(args.shipped, args.candidate)
    except (CompareError, DatasetError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    fs = verdict["false_smiles"]
    print(f"1. false smiles at {FALSE_SMILE_AT} on {fs['shipped']['faces']} expressive faces: "
          f"{100 * fs['shipped']['rate']:.2f} % -> {100 * fs['candidate']['rate']:.2f} % "
          f"({'halved' if verdict['false_smiles_halve'] else 'not halved'})")
    for name in EXPRESSIVE_SETS:
        a, b = fs["shipped"]["sets"][name], fs["candidate"]["sets"][name]
        print(f"   {name}: {100 * a['rate']:.2f} % -> {100 * b['rate']:.2f} % of {a['faces']}")
    talk = verdict["talking_out_s"]
    print(f"2. OUT in no-smile spans of the held-out talking clips: {talk['shipped']:.2f} s -> "
          f"{talk['candidate']:.2f} s ({'no more' if verdict['no_more_talking_out'] else 'more'})")
    for label, h in verdict["benchmarks"].items():
        print(f"3. {label}: {100 * h['shipped']:.2f} % (95 % low {100 * h['shipped_ci95_low']:.2f}) -> "
              f"{100 * h['candidate']:.2f} % ({'holds' if h['holds'] else 'below the interval'})")
    print("verdict: " + ("PASS, the candidate may replace the shipped model (the sample clips are still to check)"
                         if verdict["passes"] else "FAIL, the shipped model stays"))
    if args.json:
        write_json(args.json, verdict)
    return 0 if verdict["passes"] else 1


if __name__ == "__main__":
    sys.exit(main())
