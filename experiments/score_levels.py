"""Does the threshold still read easy -> hard? The smile score on kinds of faces, from test predictions.

    python -m experiments.score_levels DIR [--markdown]

DIR holds the predictions of ``python -m experiments.evaluate_weights --weights WEIGHTS --predictions DIR`` (the
test sets) and ``talking_out.json``. For each kind of face it prints how many there are, the median
and 90th percentile of the smile score, and the share above each threshold a player can pick
(0.5 easy … 0.9 hard): calm faces and grimaces should stay below 0.5, broad smiles above 0.9.
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np

from model.data.errors import DatasetError
from model.evaluate import read_predictions
from model.labels import EMOTION_INDEX, EXPRESSIVE_NON_SMILE, HAPPY
from experiments.talking_out import THRESHOLDS

POSED = ("kdef_test", "taiwan_performers_test")


def kinds(folder: Path) -> dict[str, np.ndarray]:
    """Smile scores per kind of face, from the test prediction files in ``folder``."""
    sets = {name: read_predictions(folder / f"{name}.csv")
            for name in (*POSED, "sfew_test", "fer2013_privatetest_ferplus", "mtfl_test", "kerc2020_test")}

    def pick(names, rule):
        return np.concatenate([sets[n]["smile"][rule(sets[n])] for n in names])

    no_smile = lambda p: np.nan_to_num(p["label_smile"], nan=0.0) < 0.5  # noqa: E731
    return {
        "calm (neutral, no smile label)": pick((*POSED, "sfew_test", "fer2013_privatetest_ferplus"),
                                              lambda p: (p["emotion"] == EMOTION_INDEX["neutral"]) & no_smile(p)),
        "expressive non-smiles (angry, disgust, fear, sad, surprise)": pick(
            (*POSED, "sfew_test", "fer2013_privatetest_ferplus"),
            lambda p: np.isin(p["emotion"], EXPRESSIVE_NON_SMILE) & no_smile(p)),
        "in-the-wild non-smiles, many talking (MTFL)": pick(("mtfl_test",), lambda p: p["label_smile"] == 0),
        "in-the-wild smiles, many slight (MTFL)": pick(("mtfl_test",), lambda p: p["label_smile"] == 1),
        "posed happy faces (KDEF, Taiwanese performers)": pick(POSED, lambda p: p["emotion"] == HAPPY),
        "crying and screaming film clips (KERC2020)": pick(("kerc2020_test",), lambda p: p["label_smile"] == 0),
        "laughing film clips (KERC2020)": pick(("kerc2020_test",), lambda p: p["label_smile"] == 1),
    }


def row(name: str, n: int, median: float, p90: float, above: dict[str, float]) -> str:
    shares = " | ".join(f"{100 * above[f'{t:g}']:.0f} %" for t in THRESHOLDS)
    return f"| {name} | {n} | {median:.2f} | {p90:.2f} | {shares} |"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m experiments.score_levels", description=__doc__.split("\n\n")[0])
    parser.add_argument("folder", type=Path, help="test predictions and talking_out.json of one checkpoint")
    args = parser.parse_args(argv)
    try:
        faces = kinds(args.folder)
        talking = json.loads((args.folder / "talking_out.json").read_text(encoding="utf-8"))["score_by_level"]
    except (DatasetError, OSError, ValueError, KeyError) as exc:
        print(f"error: {args.folder}: {exc}", file=sys.stderr)
        return 2
    print("| faces | n | median | p90 | " + " | ".join(f"> {t:g}" for t in THRESHOLDS) + " |")
    print("|---|---|---|---|" + "---|" * len(THRESHOLDS))
    for name, scores in faces.items():
        print(row(name, len(scores), float(np.median(scores)), float(np.quantile(scores, 0.9)),
                  {f"{t:g}": float((scores > t).mean()) for t in THRESHOLDS}))
    for level, s in talking.items():
        print(row(f"held-out talking clips, frames labelled {level}", s["frames"], s["median"], s["p90"],
                  s["share_above"]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
