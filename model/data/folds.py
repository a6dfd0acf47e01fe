"""folds.csv reading and fold-based splits, shared by the loaders of GENKI-4K and SMILES (fold 0 = test)."""
from __future__ import annotations

import csv
from pathlib import Path
from typing import Iterator

import numpy as np

from model.data.errors import DatasetError

TEST_FOLD = 0
SPLITS = ("train", "val", "test", "all")


def fold_mask(folds: np.ndarray, split: str, val_fold: int | None, source: str) -> np.ndarray:
    """Rows of ``split``: test = fold 0, val = val_fold, train = the other folds, all = every row."""
    if split not in SPLITS:
        raise DatasetError(f"{source}: split must be one of {', '.join(SPLITS)}, got {split!r}")
    if val_fold is not None and (val_fold == TEST_FOLD or val_fold not in set(folds.tolist())):
        raise DatasetError(f"{source}: val_fold {val_fold} is not a training fold "
                           f"(folds are {sorted(set(folds.tolist()) - {TEST_FOLD})})")
    if split == "all":
        return np.ones(len(folds), bool)
    if split == "test":
        return folds == TEST_FOLD
    if split == "val":
        if val_fold is None:
            raise DatasetError(f"{source}: split 'val' needs val_fold")
        return folds == val_fold
    return (folds != TEST_FOLD) & (folds != (val_fold if val_fold is not None else TEST_FOLD))


def read_csv_rows(path: Path, required: tuple[str, ...]) -> Iterator[tuple[int, dict[str, str]]]:
    """(line number, row) for each data row; DatasetError naming the file when columns are missing."""
    try:
        f = open(path, newline="", encoding="utf-8-sig")
    except OSError as exc:
        raise DatasetError(f"{path}: cannot read ({exc.strerror})") from None
    with f:
        reader = csv.DictReader(f)
        header = [h.strip() for h in reader.fieldnames or []]
        missing = [c for c in required if c not in header]
        if missing:
            raise DatasetError(f"{path}:1: header {','.join(header) or '(empty)'} lacks column(s) "
                               f"{', '.join(missing)}")
        reader.fieldnames = header
        try:
            for row in reader:
                if None in row or any(row[c] is None for c in required):
                    raise DatasetError(f"{path}:{reader.line_num}: expected {len(header)} fields")
                yield reader.line_num, {k: v.strip() for k, v in row.items()}
        except csv.Error as exc:
            raise DatasetError(f"{path}:{reader.line_num}: {exc}") from None


def parse_int(text: str, path: Path, line: int, column: str, allowed: set[int] | None = None) -> int:
    """An integer field, or DatasetError naming the file, line and column."""
    try:
        value = int(float(text)) if text and float(text).is_integer() else int(text)
    except ValueError:
        raise DatasetError(f"{path}:{line}: {column} must be an integer, got {text!r}") from None
    if allowed is not None and value not in allowed:
        raise DatasetError(f"{path}:{line}: {column} must be one of {sorted(allowed)}, got {text!r}")
    return value
