"""A folder tree of labelled images: root/<class>/*.jpg, or root/<split>/<class>/*.jpg.

Class folders are emotions (FER2013 names or common aliases: angry ... neutral) or
smile / non_smile. This is also the layout in which FER2013 circulates as images.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np

from model.data.errors import DatasetError
from model.data.faceset import FaceSet
from model.data.images import IMAGE_EXTENSIONS, load_images
from model.face import FACE_CROP_SIZE
from model.labels import EMOTIONS, emotion_index

SMILE_CLASSES = {"smile": 1.0, "smiling": 1.0, "non_smile": 0.0, "nonsmile": 0.0, "no_smile": 0.0,
                 "not_smile": 0.0, "not_smiling": 0.0}


def class_label(folder: str) -> tuple[float, int] | None:
    """(smile, emotion) for a class folder name (missing = NaN / -1), None when not a class."""
    key = folder.strip().lower().replace("-", "_").replace(" ", "_")
    if key in SMILE_CLASSES:
        return SMILE_CLASSES[key], -1
    try:
        return float("nan"), emotion_index(key)
    except KeyError:
        return None


def load_imagefolder(root: str | Path, split: str | None = None, crop: str = "none", margin: float = 0.2,
                     size: int | None = None, cache_dir: str | Path | None = None, align: bool = False) -> FaceSet:
    """Images labelled by their class folder. With split subfolders (train/, test/, ...)
    ``split`` picks one; None or "all" takes them all. crop="none" keeps images as they
    are (grey stays grey) unless ``size`` is given; "detect"/"auto" face-crop to ``size``
    (default FACE_CROP_SIZE) as GENKI-4K does, with ``align`` levelling the eyes."""
    root = Path(root).resolve()
    if not root.is_dir():
        raise DatasetError(f"{root}: no such folder")
    subdirs = _subdirs(root)
    if not subdirs:
        raise DatasetError(f"{root}: no class folders (expected e.g. happy/, neutral/ or smile/, non_smile/)")
    if any(class_label(d.name) is not None for d in subdirs):  # class folders (unknown ones fail below)
        if split not in (None, "all"):
            raise DatasetError(f"{root}: has class folders but no {split}/ split folder")
        class_dirs = subdirs
    elif split in (None, "all"):
        class_dirs = [c for d in subdirs for c in _subdirs(d)]
    elif (root / split).is_dir():
        class_dirs = _subdirs(root / split)
    else:
        raise DatasetError(f"{root}: no {split}/ folder (found {', '.join(d.name for d in subdirs)})")
    files, smile, emotion = [], [], []
    for folder in class_dirs:
        label = class_label(folder.name)
        if label is None:
            raise DatasetError(f"{folder}: unknown class folder {folder.name!r} (expected one of "
                               f"{', '.join(EMOTIONS)}, or {', '.join(SMILE_CLASSES)})")
        found = sorted(p for p in folder.iterdir() if p.suffix.lower() in IMAGE_EXTENSIONS)
        files += found
        smile += [label[0]] * len(found)
        emotion += [label[1]] * len(found)
    if not files:
        raise DatasetError(f"{root}: no images in the class folders")
    if crop != "none" and size is None:
        size = FACE_CROP_SIZE
    loaded = load_images(files, crop=crop, margin=margin, size=size, colour="keep", cache_dir=cache_dir,
                         name=f"imagefolder-{root.name}", align=align)
    idx = loaded.index
    return FaceSet(name=root.name, items=loaded.items, smile=np.asarray(smile, np.float32)[idx],
                   emotion=np.asarray(emotion, np.int64)[idx], paths=[str(files[i]) for i in idx],
                   face_found=loaded.face_found, skipped=loaded.skipped)


def _subdirs(folder: Path) -> list[Path]:
    return sorted(d for d in folder.iterdir() if d.is_dir() and not d.name.startswith((".", "_")))
