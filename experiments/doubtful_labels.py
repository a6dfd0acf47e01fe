"""Smile labels a checkpoint contradicts with confidence: a list of rows to leave out of training.

    python -m experiments.doubtful_labels PREDICTIONS.csv --manifest ../shared/datasets/mtfl/manifest.csv \
        --out assets/labels/mtfl_doubtful.csv [--below 0.1] [--above 0.9]

PREDICTIONS.csv is ``model.evaluate --predictions`` on the manifest's *training* rows. A row is
doubtful when it is labelled a smile and scored below --below, or labelled no smile and scored
above --above. Written as ``path,smile,score`` with paths as the manifest gives them, the list is
what a training entry's ``exclude:`` leaves out (model.data.manifest). Check it by eye first
(experiments.error_sheet on the same predictions): it is only worth using where the contradicted
labels are plainly wrong, not where the model is (docs/experiments.md, MTFL). Run it on train
rows only; the validation and test labels stay as published.
"""
from __future__ import annotations

import argparse
import csv
import sys
from pathlib import Path

import numpy as np

from model.data.errors import DatasetError
from model.evaluate import read_predictions
from model.files import replaced_atomically


def doubtful(predictions: dict[str, np.ndarray], below: float, above: float) -> np.ndarray:
    """Indices of the faces whose smile label the score contradicts beyond the two bounds."""
    label, score = predictions["label_smile"], predictions["smile"]
    return np.flatnonzero(((label == 1) & (score < below)) | ((label == 0) & (score > above)))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m experiments.doubtful_labels", description=__doc__.split("\n\n")[0])
    parser.add_argument("predictions", type=Path)
    parser.add_argument("--manifest", type=Path, required=True, help="the manifest the predictions were made on")
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--below", type=float, default=0.1, help="a smile label scored below this is doubtful")
    parser.add_argument("--above", type=float, default=0.9, help="a no-smile label scored above this is doubtful")
    args = parser.parse_args(argv)
    if not 0 <= args.below <= args.above <= 1:
        parser.error(f"need 0 <= --below <= --above <= 1, got {args.below} and {args.above}")
    if args.out.exists():
        parser.error(f"{args.out}: exists; remove it first (it is data others may rely on)")
    try:
        p = read_predictions(args.predictions)
    except DatasetError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    base = args.manifest.resolve().parent
    picked = doubtful(p, args.below, args.above)
    with replaced_atomically(args.out, private=False, newline="", encoding="utf-8") as f:
        writer = csv.writer(f)
        writer.writerow(["path", "smile", "score"])
        for i in picked:
            writer.writerow([Path(p["path"][i]).resolve().relative_to(base).as_posix(),
                             f"{p['label_smile'][i]:g}", f"{p['smile'][i]:.4f}"])
    labelled = ~np.isnan(p["label_smile"])
    smiles = int((p["label_smile"][picked] == 1).sum())
    print(f"{len(picked)} of {int(labelled.sum())} labels doubtful ({smiles} smiles scored below {args.below:g}, "
          f"{len(picked) - smiles} non-smiles above {args.above:g}); wrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
