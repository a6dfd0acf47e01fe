"""GENKI-4K (MPLab, UCSD) as published: files/file0001.jpg..., labels.txt, plus our folds.csv.

Photos are uncropped, so faces are found and cropped with the game's FaceCropper;
the crops of the whole dataset are cached once and every split is cut from them.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np

from model.data.errors import DatasetError
from model.data.faceset import FaceSet
from model.data.folds import fold_mask, parse_int, read_csv_rows
from model.data.images import load_images
from model.face import FACE_CROP_SIZE


def load_genki4k(root: str | Path, split: str = "train", val_fold: int | None = None, crop: str = "detect",
                 margin: float = 0.2, cache_dir: str | Path | None = None, size: int = FACE_CROP_SIZE,
                 align: bool = False) -> FaceSet:
    """Smile-labelled RGB face crops (size x size) of one split; emotion is missing (-1).

    split: "test" = fold 0, "val" = val_fold, "train" = other folds, "all". Without
    folds.csv only "all" exists. crop: "detect" skips photos without a face, "auto"
    uses their centre square (face_found False), "none" uses every centre square. align: level
    the eyes (model.face.square_crop)."""
    root = Path(root).resolve()
    smile = read_labels(root / "labels.txt")
    files = [root / "files" / f"file{i + 1:04d}.jpg" for i in range(len(smile))]
    folds_csv = root / "folds.csv"
    if folds_csv.is_file():
        folds = read_folds(folds_csv, [f.name for f in files], smile)
        keep = fold_mask(folds, split, val_fold, str(folds_csv))
    elif split != "all":
        raise DatasetError(f"{folds_csv}: missing, so only split 'all' is available (asked for {split!r})")
    else:
        keep = np.ones(len(files), bool)
    loaded = load_images(files, crop=crop, margin=margin, size=size, colour="rgb", cache_dir=cache_dir,
                         name="genki4k", align=align)
    rows = keep[loaded.index]
    index = loaded.index[rows]
    return FaceSet(
        name="genki4k",
        items=[item for item, k in zip(loaded.items, rows) if k],
        smile=smile[index], emotion=np.full(len(index), -1),
        paths=[str(files[i]) for i in index],
        face_found=loaded.face_found[rows],
        skipped=loaded.skipped_where(keep))


def read_labels(path: Path) -> np.ndarray:
    """labels.txt: line i = "smile yaw pitch roll" for file i -> smile per file (float32 0/1)."""
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except OSError as exc:
        raise DatasetError(f"{path}: cannot read GENKI-4K labels ({exc.strerror})") from None
    while lines and not lines[-1].strip():
        lines.pop()
    if not lines:
        raise DatasetError(f"{path}: empty, expected one 'smile yaw pitch roll' line per image")
    smile = np.empty(len(lines), np.float32)
    for n, line in enumerate(lines, 1):
        fields = line.split()
        try:
            if len(fields) != 4:
                raise ValueError
            values = [float(x) for x in fields]
        except ValueError:
            raise DatasetError(f"{path}:{n}: expected 'smile yaw pitch roll', got {line.strip()!r}") from None
        if values[0] not in (0.0, 1.0):
            raise DatasetError(f"{path}:{n}: smile must be 0 or 1, got {fields[0]!r}")
        smile[n - 1] = values[0]
    return smile


def read_folds(path: Path, names: list[str], smile: np.ndarray) -> np.ndarray:
    """folds.csv (file,smile,fold) -> fold per file; every labelled file must have one."""
    number = {name: i for i, name in enumerate(names)}
    folds = np.full(len(names), -1, np.int64)
    for line, row in read_csv_rows(path, ("file", "smile", "fold")):
        i = number.get(row["file"])
        if i is None:
            raise DatasetError(f"{path}:{line}: {row['file']!r} is not one of the {len(names)} labelled files")
        if folds[i] >= 0:
            raise DatasetError(f"{path}:{line}: {row['file']} listed twice")
        if parse_int(row["smile"], path, line, "smile", {0, 1}) != smile[i]:
            raise DatasetError(f"{path}:{line}: smile {row['smile']} disagrees with labels.txt line {i + 1}")
        folds[i] = parse_int(row["fold"], path, line, "fold")
        if folds[i] < 0:
            raise DatasetError(f"{path}:{line}: fold must be >= 0, got {row['fold']!r}")
    if (folds < 0).any():
        raise DatasetError(f"{path}: no fold for {names[int(np.argmin(folds))]} (and {(folds < 0).sum() - 1} more)")
    return folds

