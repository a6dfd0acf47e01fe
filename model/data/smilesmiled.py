"""SMILEsmileD ("SMILES") as published: SMILEs/{positives/positives7,negatives/negatives7}/*.jpg,
plus our folds.csv (path,smile,fold,exclude). Faces are already cropped: 64x64 grey, kept grey."""
from __future__ import annotations

from pathlib import Path

import numpy as np

from model.data.errors import DatasetError
from model.data.faceset import FaceSet
from model.data.folds import fold_mask, parse_int, read_csv_rows
from model.data.images import IMAGE_EXTENSIONS, load_images

CLASS_DIRS = {"SMILEs/positives/positives7": 1.0, "SMILEs/negatives/negatives7": 0.0}


def load_smilesmiled(root: str | Path, split: str = "train", val_fold: int | None = None) -> FaceSet:
    """Smile-labelled grey (H, W) faces of one split; rows of folds.csv with ``exclude`` set
    (images filed under both classes) are dropped. Without folds.csv only split "all" exists."""
    root = Path(root).resolve()
    folds_csv = root / "folds.csv"
    if folds_csv.is_file():
        files, smile, folds = read_folds(folds_csv, root)
        keep = fold_mask(folds, split, val_fold, str(folds_csv))
    elif split != "all":
        raise DatasetError(f"{folds_csv}: missing, so only split 'all' is available (asked for {split!r})")
    else:
        files, smile = list_class_dirs(root)
        keep = np.ones(len(files), bool)
    files = [f for f, k in zip(files, keep) if k]
    loaded = load_images(files, crop="none", colour="grey", name="smilesmiled", cache=False)
    return FaceSet(name="smilesmiled", items=loaded.items, smile=smile[keep][loaded.index],
                   emotion=np.full(len(loaded.items), -1), paths=[str(files[i]) for i in loaded.index],
                   skipped=loaded.skipped)


def read_folds(path: Path, root: Path) -> tuple[list[Path], np.ndarray, np.ndarray]:
    """Rows not excluded -> (files, smile, fold); a smile value contradicting its folder is an error."""
    files, smile, folds, seen = [], [], [], set()
    for line, row in read_csv_rows(path, ("path", "smile", "fold", "exclude")):
        value = parse_int(row["smile"], path, line, "smile", {0, 1})
        fold = parse_int(row["fold"], path, line, "fold")
        if fold < 0:
            raise DatasetError(f"{path}:{line}: fold must be >= 0, got {row['fold']!r}")
        rel = row["path"].replace("\\", "/")
        folder = CLASS_DIRS.get(rel.rsplit("/", 1)[0])
        if folder is not None and folder != value:
            raise DatasetError(f"{path}:{line}: smile {value} contradicts the folder of {rel}")
        if rel in seen:
            raise DatasetError(f"{path}:{line}: {rel} listed twice")
        seen.add(rel)
        if row["exclude"]:
            continue
        files.append(root / rel)
        smile.append(value)
        folds.append(fold)
    if not files:
        raise DatasetError(f"{path}: no usable rows")
    return files, np.asarray(smile, np.float32), np.asarray(folds, np.int64)


def list_class_dirs(root: Path) -> tuple[list[Path], np.ndarray]:
    """Every image of the two published class folders, labelled by folder."""
    files, smile = [], []
    for rel, value in CLASS_DIRS.items():
        folder = root / rel
        if not folder.is_dir():
            raise DatasetError(f"{folder}: missing; not a SMILEsmileD folder as published")
        found = sorted(p for p in folder.iterdir() if p.suffix.lower() in IMAGE_EXTENSIONS)
        files += found
        smile += [value] * len(found)
    return files, np.asarray(smile, np.float32)
