"""Reading image files into face crops (detect / auto / none), cached on disk.

Shared by the loaders of image datasets (GENKI-4K, SMILES, image folders). Decoding
goes through ``np.fromfile`` + ``cv2.imdecode`` so paths with Hangul work on Windows.
"""
from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path
from typing import Literal, Sequence

import cv2
import numpy as np
from tqdm import tqdm

from model.data.cache import cache_path, file_signature, load_cache, save_cache
from model.data.errors import DatasetError
from model.face import FaceCropper

log = logging.getLogger(__name__)

IMAGE_EXTENSIONS = frozenset({".jpg", ".jpeg", ".png", ".bmp", ".webp", ".tif", ".tiff"})


def natural_key(path: Path) -> tuple:
    """Sort key of a file name with its numbers compared as numbers (frame2 before frame10),
    case-insensitive; text and number parts never meet in a comparison."""
    parts = re.split(r"(\d+)", path.name.casefold())
    return tuple((1, int(part), part) if part.isdigit() else (0, 0, part) for part in parts)
CROP_MODES = ("detect", "auto", "none")
Colour = Literal["rgb", "grey", "keep"]
_CACHE_VERSION = 1
NO_FACE = "no face found"


class UnreadableImage(Exception):
    """A single image file that cannot be decoded (skipped by loaders, never fatal)."""


def read_image(path: str | Path, colour: Colour = "rgb") -> np.ndarray:
    """uint8 image: (H, W, 3) RGB for "rgb", (H, W) for "grey"; "keep" keeps grey files grey."""
    try:
        data = np.fromfile(str(path), dtype=np.uint8)
    except OSError as exc:
        raise UnreadableImage("missing" if not Path(path).exists() else f"cannot read ({exc})") from None
    flag = {"rgb": cv2.IMREAD_COLOR, "grey": cv2.IMREAD_GRAYSCALE, "keep": cv2.IMREAD_UNCHANGED}[colour]
    img = cv2.imdecode(data, flag) if data.size else None
    if img is None:
        raise UnreadableImage("not a readable image (corrupt or unsupported)")
    if img.dtype != np.uint8:  # 16-bit PNG/TIFF
        img = (img >> 8).astype(np.uint8) if img.dtype == np.uint16 else img.astype(np.uint8)
    if img.ndim == 3:
        if img.shape[2] == 1:
            img = img[:, :, 0]
        else:
            img = cv2.cvtColor(img[:, :, :3], cv2.COLOR_BGR2RGB)
    return img


def centre_square(img: np.ndarray, size: int | None) -> np.ndarray:
    """Largest centred square of the image, resized to ``size`` (unchanged when None)."""
    if size is None:
        return img
    h, w = img.shape[:2]
    s = min(h, w)
    y0, x0 = (h - s) // 2, (w - s) // 2
    img = img[y0:y0 + s, x0:x0 + s]
    if s != size:
        img = cv2.resize(img, (size, size), interpolation=cv2.INTER_AREA if s > size else cv2.INTER_LINEAR)
    return np.ascontiguousarray(img)


@dataclass
class LoadedImages:
    items: list[np.ndarray]
    index: np.ndarray        # int64: position in the requested path list of each item
    face_found: np.ndarray   # bool per item
    skipped: list[str]       # "path: reason" for files not turned into items
    skipped_index: np.ndarray  # int64: position in the path list of each skipped file

    def skipped_where(self, keep: np.ndarray) -> list[str]:
        """The skipped entries of the files selected by the bool mask ``keep`` (a split)."""
        return [s for s, i in zip(self.skipped, self.skipped_index) if keep[i]]


def load_images(paths: Sequence[Path], *, crop: str = "none", margin: float = 0.2, size: int | None = None,
                colour: Colour = "rgb", cache_dir: str | Path | None = None, name: str = "images",
                cache: bool = True, align: bool = False) -> LoadedImages:
    """Decode (and with crop="detect"/"auto" face-crop) every file, or reuse the cache.

    crop="detect": images without a face are skipped; "auto": they become a centre
    square with face_found False; "none": centre square (or the image as is when
    size is None). Crops from the detector are RGB; colour applies to crop="none".
    Unreadable files are skipped with a warning, never raised. cache=False suits
    small pre-cropped images, which decode faster than a cache file reads. ``align`` levels
    the eyes of each face crop (model.face.square_crop)."""
    if crop not in CROP_MODES:
        raise DatasetError(f"crop must be one of {', '.join(CROP_MODES)}, got {crop!r}")
    if crop != "none" and size is None:
        raise DatasetError("face crops need a size")
    paths = [Path(p).absolute() for p in paths]
    key = {"version": _CACHE_VERSION, "name": name, "crop": crop, "margin": margin if crop != "none" else None,
           "size": size, "colour": colour if crop == "none" else "rgb",
           "files": [(str(p), *file_signature(p)[1:]) for p in paths]}
    if crop != "none":
        key["detector"] = ("mediapipe", metadata.version("mediapipe"), "short-range, else full-range", 0.5)
        if align:  # only when set, so the caches of unaligned crops keep their names
            key["align"] = True
    where = cache_path(cache_dir, name, key) if cache else None
    cached = load_cache(where) if where else None
    if cached is not None:
        result = _unpack(cached)
    else:
        result = _decode_all(paths, crop, margin, size, colour, name, align)
        if where:
            save_cache(where, _pack(result))
    _report(result, name)
    return result


def _decode_all(paths: list[Path], crop: str, margin: float, size: int | None, colour: Colour,
                name: str, align: bool) -> LoadedImages:
    cropper = FaceCropper(margin=margin, size=size, align=align) if crop != "none" else None
    items, index, found, skipped, skipped_index = [], [], [], [], []
    try:
        for i, path in enumerate(tqdm(paths, desc=f"{name}: {'detecting faces' if cropper else 'decoding'}",
                                      unit="img", mininterval=1.0)):
            try:
                img = read_image(path, colour if cropper is None else "rgb")
            except UnreadableImage as exc:
                log.warning("skipping %s: %s", path, exc)
                skipped.append(f"{path}: {exc}")
                skipped_index.append(i)
                continue
            face = cropper(img) if cropper is not None else None
            if cropper is not None and face is None and crop == "detect":
                skipped.append(f"{path}: {NO_FACE}")
                skipped_index.append(i)
                continue
            items.append(face[1] if face is not None else centre_square(img, size))
            index.append(i)
            found.append(face is not None or cropper is None)
    finally:
        if cropper is not None:
            cropper.close()
    return LoadedImages(items, np.asarray(index, np.int64), np.asarray(found, bool), skipped,
                        np.asarray(skipped_index, np.int64))


def _pack(r: LoadedImages) -> dict[str, np.ndarray]:
    """Items of any shapes as one flat buffer plus shapes (no pickles in the cache)."""
    shapes = np.zeros((len(r.items), 3), np.int64)  # (H, W, C); C = 0 for grey
    for j, item in enumerate(r.items):
        shapes[j, :item.ndim] = item.shape
    flat = np.concatenate([x.reshape(-1) for x in r.items]) if r.items else np.zeros(0, np.uint8)
    return {"flat": flat, "shapes": shapes, "index": r.index, "face_found": r.face_found,
            "skipped": np.asarray(r.skipped, dtype=str), "skipped_index": r.skipped_index}


def _unpack(d: dict[str, np.ndarray]) -> LoadedImages:
    flat, items, offset = d["flat"], [], 0
    for shape in d["shapes"]:
        shape = tuple(int(s) for s in shape if s)
        n = int(np.prod(shape))
        items.append(flat[offset:offset + n].reshape(shape))
        offset += n
    return LoadedImages(items, d["index"].astype(np.int64), d["face_found"].astype(bool),
                        [str(s) for s in d["skipped"]], d["skipped_index"].astype(np.int64))


def _report(r: LoadedImages, name: str) -> None:
    if r.skipped:
        unreadable = sum(not s.endswith(NO_FACE) for s in r.skipped)
        log.log(logging.WARNING if unreadable else logging.INFO, "%s: skipped %d files (%d without a face, "
                "%d unreadable)", name, len(r.skipped), len(r.skipped) - unreadable, unreadable)
