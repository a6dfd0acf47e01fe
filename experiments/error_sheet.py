"""The faces a checkpoint gets wrong, on one contact sheet: what the errors look like.

    python -m experiments.error_sheet PREDICTIONS.csv --weights weights/smile_emotion.pt --out runs/errors.png

PREDICTIONS.csv is ``model.evaluate --predictions`` (or ``python -m experiments.evaluate_weights --predictions DIR``)
of that checkpoint on a smile set. Each face it gets wrong at 0.5 is cut as the checkpoint cuts it
(its own cropper; the whole image where no face is found) and tiled with its label and score,
misses of a smile first, then false smiles, each by how wrong the score is. Dataset images only:
use it on validation folds, not to tune on a test set.
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

import cv2
import numpy as np

from model.checkpoint import CheckpointError, read_checkpoint
from model.data.errors import DatasetError
from model.data.images import UnreadableImage, read_image
from model.evaluate import read_predictions
from model.preprocess import Preprocessing

TILE = 160
COLUMNS = 8


def wrong_faces(predictions: dict[str, np.ndarray]) -> list[int]:
    """Rows wrong at 0.5: missed smiles (lowest score first), then false smiles (highest first)."""
    label, score = predictions["label_smile"], predictions["smile"]
    missed = np.flatnonzero((label >= 0.5) & (score <= 0.5))
    false = np.flatnonzero((label < 0.5) & (score > 0.5))
    return [*missed[np.argsort(score[missed])], *false[np.argsort(-score[false])]]


def tile(crop: np.ndarray, *caption: str) -> np.ndarray:
    """The crop at TILE px with one caption line per argument on a dark band at the top."""
    out = cv2.resize(crop, (TILE, TILE), interpolation=cv2.INTER_AREA)
    cv2.rectangle(out, (0, 0), (TILE, 16 * len(caption) + 2), (0, 0, 0), -1)
    for k, line in enumerate(caption):
        cv2.putText(out, line, (3, 13 + 16 * k), cv2.FONT_HERSHEY_SIMPLEX, 0.42, (255, 255, 0), 1, cv2.LINE_AA)
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m experiments.error_sheet", description=__doc__.split("\n\n")[0])
    parser.add_argument("predictions", type=Path)
    parser.add_argument("--weights", default="weights/smile_emotion.pt", help="the checkpoint that made them")
    parser.add_argument("--out", type=Path, required=True, help="PNG to write")
    args = parser.parse_args(argv)
    try:
        pre = Preprocessing.from_dict(read_checkpoint(args.weights)["model_config"]["preprocessing"])
        rows = read_predictions(args.predictions)
    except (CheckpointError, DatasetError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    wrong = wrong_faces(rows)
    if not wrong:
        print(f"{args.predictions}: no face is wrong at 0.5; nothing to draw")
        return 0
    cropper = pre.cropper()
    tiles = []
    try:
        for i in wrong:
            path = rows["path"][i]
            try:
                img = read_image(Path(path), "rgb")
            except UnreadableImage as exc:
                print(f"error: {path}: {exc}", file=sys.stderr)
                return 2
            found = cropper(img)
            crop = found[1] if found else img
            tiles.append(tile(crop, Path(path).name, f"label {rows['label_smile'][i]:g}, score {rows['smile'][i]:.2f}"))
    finally:
        cropper.close()
    tiles += [np.zeros_like(tiles[0])] * (-len(tiles) % COLUMNS)
    sheet = np.vstack([np.hstack(tiles[r:r + COLUMNS]) for r in range(0, len(tiles), COLUMNS)])
    args.out.parent.mkdir(parents=True, exist_ok=True)
    cv2.imwrite(str(args.out), cv2.cvtColor(sheet, cv2.COLOR_RGB2BGR))
    print(f"{len(wrong)} faces wrong at 0.5 of {len(rows['path'])} "
          f"({sum(rows['label_smile'][i] >= 0.5 for i in wrong)} smiles missed); wrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
