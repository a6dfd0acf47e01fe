"""A checkpoint's figures on every evaluation set of model.eval_sets (the model card's numbers).

    python -m experiments.evaluate_weights [--weights weights/smile_emotion.pt] [--out weights/eval]
        [--datasets ../shared/datasets] [--sets test|validation] [--predictions DIR]

Each set is one ``model.evaluate`` run written to OUT/NAME.json (with its confusion plot); with
--predictions also DIR/NAME.csv, one row per face with its labels (for experiments.compare and
model.ship_rule, not for weights/eval). Last, the game's engine over the held-out talking clips
(experiments.talking_out) writes OUT/talking_out.json (and a copy in DIR). --sets validation
scores what model selection may look at, without the mirrored-face runs.
"""
from __future__ import annotations

import argparse
import shutil
import sys
from pathlib import Path

from experiments import talking_out
from model import evaluate
from model.eval_sets import SETS, TALKING_OUT

ROOT = Path(__file__).resolve().parents[1]


def runs(sets, weights: Path, out: Path, datasets: Path, predictions: Path | None):
    """(name, model.evaluate argv) of every run: each set, then its mirrored-face run if asked."""
    for flip in (False, True):
        for s in sets:
            if flip and not s.flip_too:
                continue
            name = s.name + ("_flip" if flip else "")
            argv = ["--weights", str(weights), *s.evaluate_args(str(datasets)), "--json", str(out / f"{name}.json")]
            argv += ["--tta-flip"] if flip else []
            argv += ["--predictions", str(predictions / f"{name}.csv")] if predictions else []
            yield name, argv


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m experiments.evaluate_weights",
                                     description=__doc__.split("\n\n")[0])
    parser.add_argument("--weights", type=Path, default=ROOT / "weights" / "smile_emotion.pt")
    parser.add_argument("--out", type=Path, default=ROOT / "weights" / "eval")
    parser.add_argument("--datasets", type=Path, default=ROOT.parent / "shared" / "datasets")
    parser.add_argument("--sets", choices=sorted(SETS), default="test")
    parser.add_argument("--predictions", type=Path, help="also one per-face CSV per set here")
    args = parser.parse_args(argv)
    for folder in (args.out, args.predictions):
        if folder is not None:
            folder.mkdir(parents=True, exist_ok=True)
    for name, run_argv in runs(SETS[args.sets], args.weights, args.out, args.datasets, args.predictions):
        print(f"== {name}", flush=True)
        if evaluate.main(run_argv) != 0:
            return 2
    talking = args.out / TALKING_OUT
    status = talking_out.main(["--weights", str(args.weights), "--datasets", str(args.datasets),
                               "--split", "test", "--json", str(talking)])
    if status == 0 and args.predictions:
        shutil.copyfile(talking, args.predictions / TALKING_OUT)
    return status


if __name__ == "__main__":
    sys.exit(main())
