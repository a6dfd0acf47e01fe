"""Dataset loaders (each returns a FaceSet) and the training SequenceDataset."""
from __future__ import annotations

from pathlib import Path
from typing import Callable

from model.data.errors import DatasetError
from model.data.faceset import FaceSet
from model.data.fer2013 import load_fer2013
from model.data.genki4k import load_genki4k
from model.data.imagefolder import load_imagefolder
from model.data.sequences import SequenceDataset
from model.data.smilesmiled import load_smilesmiled
from model.preprocess import Preprocessing


def load_manifest(csv_path: str | Path, split: str, **kw) -> FaceSet:
    """The manifest loader of model/data/manifest.py, imported on first use."""
    from model.data.manifest import load_manifest as load

    return load(csv_path, split, **kw)


def load_spans(root: str | Path, split: str, **kw) -> FaceSet:
    """Windows of labelled clip spans (model/data/spans.py), imported on first use."""
    from model.data.spans import load_spans as load

    return load(root, split, **kw)


DATASETS: dict[str, Callable[..., FaceSet]] = {
    "genki4k": load_genki4k,
    "smilesmiled": load_smilesmiled,
    "fer2013": load_fer2013,
    "imagefolder": load_imagefolder,
    "manifest": load_manifest,
    "spans": load_spans,
}


# Loaders that find the faces in their images themselves (the others come cropped).
FACE_FINDING = frozenset({"genki4k", "imagefolder", "manifest", "spans"})


def load_dataset(kind: str, root: str | Path, split: str, preprocessing: Preprocessing | None = None,
                 **kw) -> FaceSet:
    """DATASETS[kind](root, split, **kw), with a clear error for an unknown kind. With
    ``preprocessing`` (the model's), faces are cut with its crop margin and alignment, as the
    game cuts them; keys in ``kw`` still win."""
    if kind not in DATASETS:
        raise DatasetError(f"unknown dataset kind {kind!r} (known: {', '.join(DATASETS)})")
    if preprocessing is not None and kind in FACE_FINDING:
        kw = {"margin": preprocessing.crop_margin, "align": preprocessing.align, **kw}
    return DATASETS[kind](root, split, **kw)


__all__ = ["DATASETS", "DatasetError", "FaceSet", "SequenceDataset", "load_dataset", "load_fer2013",
           "load_genki4k", "load_imagefolder", "load_manifest", "load_smilesmiled"]
