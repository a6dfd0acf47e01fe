"""Does a candidate replace the shipped model? The model card's shipping rule, as a command.

    python -m model.ship_rule SHIPPED_DIR CANDIDATE_DIR [--json OUT]

Each DIR holds one checkpoint's predictions on the validation sets, written by
``SETS=validation PREDICTIONS=DIR bash scripts/evaluate_weights.sh CHECKPOINT ...``. The candidate
passes when

1. the validation score rises: the trainer's score (mean of head 1's accuracy pooled over the
   GENKI-4K and SMILEsmileD folds and head 2's accuracy on FER2013 PublicTest), and
2. nothing is worse beyond chance: on every set and head where the candidate gets fewer faces
   right, the exact McNemar test on the faces only one of them gets right gives p >= 0.05.

The rule's third clause, no more false OUT on the sample clips, is a game run
(``scripts.clip_verdicts``), not a set of faces; weights/README.md reports it beside this.
Why the rule reads so (and what it replaced): weights/README.md, "The shipping rule".
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

from model.compare import CompareError, compare_files, describe
from model.data.errors import DatasetError
from model.evaluate import write_json

SMILE_SETS = ("val_genki4k_fold1", "val_smilesmiled_fold1")
EMOTION_SET = "val_fer2013_publictest"
SCORED = {**{name: "smile" for name in SMILE_SETS}, EMOTION_SET: "emotion"}  # the sets and heads of the score
SETS = (*SCORED, "val_fer2013_publictest_ferplus")
CHANCE = 0.05  # a loss with McNemar p below this is taken as real


def validation_score(per_set: dict[str, dict[str, dict]], side: str) -> float:
    """The trainer's validation score of one side ("before" = shipped, "after" = candidate)."""
    right = sum(per_set[name]["smile"][f"accuracy_{side}"] * per_set[name]["smile"]["n"] for name in SMILE_SETS)
    faces = sum(per_set[name]["smile"]["n"] for name in SMILE_SETS)
    return (right / faces + per_set[EMOTION_SET]["emotion"][f"accuracy_{side}"]) / 2


def judge(shipped: Path, candidate: Path) -> dict:
    per_set = {name: compare_files(shipped / f"{name}.csv", candidate / f"{name}.csv") for name in SETS}
    for name, head in SCORED.items():
        if head not in per_set[name]:
            raise CompareError(f"{shipped / name}.csv: no {head} labels, so no validation score")
    score = {"shipped": validation_score(per_set, "before"), "candidate": validation_score(per_set, "after")}
    rises = score["candidate"] > score["shipped"]
    losses = [f"{name} {head}" for name, heads in per_set.items() for head, m in heads.items()
              if m["difference"] < 0 and m["mcnemar_p"] < CHANCE]
    return {"shipped": str(shipped), "candidate": str(candidate), "validation_score": score,
            "score_rises": rises, "losses_beyond_chance": losses, "passes": rises and not losses, "sets": per_set}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m model.ship_rule", description=__doc__.split("\n\n")[0])
    parser.add_argument("shipped", type=Path, help="validation predictions of the shipped checkpoint (a folder)")
    parser.add_argument("candidate", type=Path, help="the same, of the candidate")
    parser.add_argument("--json", type=Path, help="also write the verdict and every comparison here")
    args = parser.parse_args(argv)
    try:
        verdict = judge(args.shipped, args.candidate)
    except (CompareError, DatasetError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    for name, heads in verdict["sets"].items():
        for head, m in heads.items():
            print(f"{name} {describe(head, m)}")
    score = verdict["validation_score"]
    print(f"validation score {score['shipped']:.4f} -> {score['candidate']:.4f}: "
          f"{'rises' if verdict['score_rises'] else 'does not rise'}")
    print(f"worse beyond chance (p < {CHANCE}): {', '.join(verdict['losses_beyond_chance']) or 'nothing'}")
    print("verdict: " + ("PASS, the candidate may replace the shipped model (the clips are still to check)"
                         if verdict["passes"] else "FAIL, the shipped model stays"))
    if args.json:
        write_json(args.json, verdict)
    return 0 if verdict["passes"] else 1


if __name__ == "__main__":
    sys.exit(main())
