"""Manifests: a CSV listing face media with both labels (the Korean phase-2 data, game recordings).

    path,smile,emotion,subject
    kim/happy_01.jpg,0.9,happy,kim          an image
    kim/take3/,0.3,neutral,kim              a folder of frames (sorted by name) = one clip
    lee/clip.mp4,,surprise,lee              a video clip (decoded with OpenCV)

``path`` is relative to the CSV's folder (or absolute); ``smile`` is 0..1 or empty (no smile
label), ``emotion`` an emotion name or empty (no emotion label); a row needs at least one.
Splits go by subject: a hash of (seed, subject) puts every subject in exactly one split, the
same one whatever else the manifest holds, so nobody's face is both trained and tested on.
Personalisation (``subject=``) keeps one person's rows and splits them by clip instead: a
hash of (seed, the row's path as the CSV gives it).

A published set may fix its test rows itself: with a ``split`` column (``train`` / ``test``), the
``test`` rows are the test split, and validation subjects are drawn (by the same hash) from the
``train`` rows only. Other columns are kept for options such as ``agree_with``.

``exclude`` names a CSV with a ``path`` column (paths as the manifest gives them): rows whose
labels were found doubtful (experiments.doubtful_labels), left out of training.
"""
from __future__ import annotations

import dataclasses
import hashlib
import logging
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterator

import cv2
import numpy as np

from model.data.errors import DatasetError
from model.data.faceset import FaceSet
from model.data.folds import SPLITS, read_csv_rows
from model.data.images import (CROP_MODES, IMAGE_EXTENSIONS, NO_FACE, UnreadableImage, centre_square,
                               load_images, natural_key, read_image)
from model.face import FACE_CROP_SIZE, FaceCropper
from model.labels import EMOTIONS, EXPRESSIVE_NON_SMILE, emotion_index

log = logging.getLogger(__name__)

COLUMNS = ("path", "smile", "emotion", "subject")
PUBLISHED_SPLITS = ("train", "test")  # values of an optional split column
VIDEO_EXTENSIONS = frozenset({".mp4", ".avi", ".mov", ".mkv", ".webm", ".m4v", ".mpg", ".mpeg", ".wmv"})


@dataclass(frozen=True)
class ManifestRow:
    path: Path
    smile: float       # NaN = no smile label
    emotion: int       # -1 = no emotion label
    subject: str
    split: str | None = None   # the publisher's split column, if the manifest has one
    extra: dict[str, str] = field(default_factory=dict, compare=False)  # the other columns

    @property
    def is_clip(self) -> bool:
        return self.path.is_dir() or self.path.suffix.lower() in VIDEO_EXTENSIONS


class UnreadableClip(Exception):
    """A video or frame folder that cannot be decoded (skipped, never fatal)."""


def load_manifest(csv_path: str | Path, split: str = "all", val_fraction: float = 0.15,
                  test_fraction: float = 0.15, seed: int = 0, crop: str = "auto", margin: float = 0.2,
                  size: int = FACE_CROP_SIZE, max_frames: int | None = None,
                  cache_dir: str | Path | None = None, subject: str | None = None, align: bool = False,
                  smile_from_emotion: bool = False, agree_with: str | None = None,
                  exclude: str | Path | None = None) -> FaceSet:
    """Face crops (size x size RGB; clips as (T, size, size, 3)) of one subject split.

    subject: only this person's rows, split by clip (one player's personal fine-tuning).

    crop: "detect" drops images / clip frames without a face; "auto" does too, but an image
    or clip with no face at all is kept whole (centre square, face_found False), for files
    that are face crops already; "none" takes every file as a face crop. max_frames caps the
    frames read from the start of each clip. Image crops are cached (see model.data.cache).
    align: level the eyes of each face found (model.face.square_crop).
    smile_from_emotion: a row without a smile label whose emotion is an expressive non-smile
    (angry, disgust, fear, sad, surprise) gets smile 0: hard negatives for head 1 from sets that
    only name emotions (SFEW). Happy and neutral rows stay without one (a happy movie face is not
    always smiling; a calm one may hold a quiet smile).
    agree_with: a column naming an emotion (raters' majority, e.g. ``vote_top``); rows whose
    emotion label differs from it are left out.
    exclude: a CSV whose ``path`` column lists rows (as this manifest names them) to leave out;
    a listed path the manifest lacks is an error (the list belongs to another file)."""
    csv_path = Path(csv_path)
    if split not in SPLITS:
        raise DatasetError(f"{csv_path}: split must be one of {', '.join(SPLITS)}, got {split!r}")
    if crop not in CROP_MODES:
        raise DatasetError(f"{csv_path}: crop must be one of {', '.join(CROP_MODES)}, got {crop!r}")
    if not (0 <= val_fraction and 0 <= test_fraction and val_fraction + test_fraction < 1):
        raise DatasetError(f"{csv_path}: val_fraction {val_fraction} and test_fraction {test_fraction} "
                           "must be >= 0 and sum to less than 1")
    if max_frames is not None and max_frames < 1:
        raise DatasetError(f"{csv_path}: max_frames must be at least 1, got {max_frames}")
    rows = read_manifest(csv_path)
    if not rows:
        raise DatasetError(f"{csv_path}: no rows")
    if agree_with is not None:
        rows = agreeing_rows(rows, agree_with, csv_path)
    if exclude is not None:
        rows = rows_not_listed(rows, Path(exclude), csv_path)
    if smile_from_emotion:
        rows = [r if not math.isnan(r.smile) or r.emotion not in EXPRESSIVE_NON_SMILE
                else dataclasses.replace(r, smile=0.0) for r in rows]
    subjects = sorted({r.subject for r in rows})
    if subject is not None:
        rows = [r for r in rows if r.subject == subject]
        if not rows:
            raise DatasetError(f"{csv_path}: no rows of subject {subject!r} (subjects: {', '.join(subjects)})")
    published = subject is None and rows[0].split is not None
    if split != "all" and published:
        n_subjects = len({r.subject for r in rows if r.split == "train"})
        rows = [r for r in rows if r.split == split] if split == "test" else \
            [r for r in rows if r.split == "train" and subject_split(r.subject, seed, val_fraction, 0.0) == split]
        if not rows:
            raise DatasetError(f"{csv_path}: no row falls in split {split!r} (the split column's test rows, or "
                               f"val_fraction {val_fraction} of its {n_subjects} train subjects, seed {seed})")
    elif split != "all":
        base = csv_path.resolve().parent
        units = f"clips of subject {subject!r}" if subject is not None else "subjects"
        split_key = (lambda r: clip_key(r, base)) if subject is not None else (lambda r: r.subject)
        n_units = len({split_key(r) for r in rows})
        rows = [r for r in rows if subject_split(split_key(r), seed, val_fraction, test_fraction) == split]
        if not rows:
            raise DatasetError(f"{csv_path}: none of the {n_units} {units} falls in split {split!r} "
                               f"(val_fraction {val_fraction}, test_fraction {test_fraction}, seed {seed}); "
                               f"more {units.split()[0]} are needed")

    is_clip = [r.is_clip for r in rows]
    items: dict[int, np.ndarray] = {}  # row position -> item
    found: dict[int, bool] = {}
    skipped: list[str] = []
    stills = [i for i, clip in enumerate(is_clip) if not clip]
    if stills:
        # Files that are face crops already decode faster than a cache file reads.
        loaded = load_images([rows[i].path for i in stills], crop=crop, margin=margin, size=size,
                             colour="rgb", cache_dir=cache_dir, name="manifest", cache=crop != "none",
                             align=align)
        for item, j, face in zip(loaded.items, loaded.index, loaded.face_found):
            items[stills[j]], found[stills[j]] = item, bool(face)
        skipped += loaded.skipped
    clips = [i for i, clip in enumerate(is_clip) if clip]
    if clips:
        results, unreadable = read_clips([rows[i].path for i in clips], crop, margin, size, max_frames, align)
        for i, result in zip(clips, results):
            if result is not None:
                items[i], found[i] = result
        skipped += unreadable

    kept = sorted(items)
    return FaceSet(
        name="manifest",
        items=[items[i] for i in kept],
        smile=np.array([rows[i].smile for i in kept], np.float32),
        emotion=np.array([rows[i].emotion for i in kept], np.int64),
        paths=[str(rows[i].path) for i in kept],
        subjects=[rows[i].subject for i in kept],
        face_found=np.array([found[i] for i in kept], bool),
        skipped=skipped)


def subject_split(subject: str, seed: int, val_fraction: float, test_fraction: float) -> str:
    """"train" / "val" / "test" for a subject (or a clip key), from a stable hash (not Python's
    salted hash())."""
    digest = hashlib.sha256(f"{seed}\0{subject}".encode("utf-8")).digest()
    u = int.from_bytes(digest[:8], "big") / 2.0 ** 64  # uniform in [0, 1)
    if u < test_fraction:
        return "test"
    return "val" if u < test_fraction + val_fraction else "train"


def clip_key(row: ManifestRow, base: Path) -> str:
    """The row's path relative to the manifest's folder: the same when the dataset moves."""
    try:
        return row.path.relative_to(base).as_posix()
    except ValueError:
        return row.path.as_posix()


def read_manifest(csv_path: Path) -> list[ManifestRow]:
    """Every row, validated; DatasetError naming the file and line for a bad one."""
    if not csv_path.is_file():
        raise DatasetError(f"{csv_path}: manifest not found")
    base = csv_path.resolve().parent
    rows: list[ManifestRow] = []
    try:
        for line, row in read_csv_rows(csv_path, COLUMNS):
            rows.append(parse_row(row, f"{csv_path}:{line}", base))
    except UnicodeDecodeError:
        raise DatasetError(f"{csv_path}: not UTF-8 text (save it as \"CSV UTF-8\"; "
                           "Korean Excel writes CP949 by default)") from None
    return rows


def parse_row(row: dict[str, str], where: str, base: Path) -> ManifestRow:
    if not row["path"]:
        raise DatasetError(f"{where}: empty path")
    if not row["subject"]:
        raise DatasetError(f"{where}: empty subject (needed to keep each person in one split)")
    smile = parse_smile(row["smile"], where)
    emotion = parse_emotion(row["emotion"], where)
    if math.isnan(smile) and emotion < 0:
        raise DatasetError(f"{where}: no label (smile and emotion are both empty)")
    path = Path(row["path"]).expanduser()
    split = row.get("split")
    if split is not None and split not in PUBLISHED_SPLITS:
        raise DatasetError(f"{where}: split must be one of {', '.join(PUBLISHED_SPLITS)}, got {split!r}")
    extra = {k: v for k, v in row.items() if k not in COLUMNS and k != "split"}
    return ManifestRow(path if path.is_absolute() else base / path, smile, emotion, row["subject"], split, extra)


def agreeing_rows(rows: list[ManifestRow], column: str, csv_path: Path) -> list[ManifestRow]:
    """The rows whose emotion agrees with ``column`` (rows without an emotion label stay)."""
    if column not in rows[0].extra:
        raise DatasetError(f"{csv_path}: agree_with names column {column!r}, which the manifest lacks "
                           f"(columns: {', '.join(rows[0].extra) or 'none beyond path,smile,emotion,subject'})")
    kept = []
    for r in rows:
        other = r.extra[column]
        try:
            agrees = r.emotion < 0 or not other or emotion_index(other) == r.emotion
        except KeyError:
            raise DatasetError(f"{csv_path}: {column} value {other!r} of {r.path.name} is not an emotion "
                               f"(expected one of {', '.join(EMOTIONS)})") from None
        if agrees:
            kept.append(r)
    return kept


def rows_not_listed(rows: list[ManifestRow], listing: Path, csv_path: Path) -> list[ManifestRow]:
    """The rows whose path ``listing`` (a CSV with a path column) does not name."""
    base = csv_path.resolve().parent
    try:
        listed = {(base / row["path"]).resolve() for _, row in read_csv_rows(listing, ("path",))}
    except UnicodeDecodeError:
        raise DatasetError(f"{listing}: not UTF-8 text") from None
    unknown = listed - {r.path.resolve() for r in rows}
    if unknown:
        raise DatasetError(f"{listing}: {len(unknown)} listed path(s) are not rows of {csv_path}, "
                           f"e.g. {sorted(unknown)[0]}")
    return [r for r in rows if r.path.resolve() not in listed]


def parse_smile(text: str, where: str) -> float:
    if not text:
        return math.nan
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if not 0.0 <= value <= 1.0:  # also rejects "nan"
        raise DatasetError(f"{where}: smile must be a number from 0 to 1 (or empty), got {text!r}")
    return value


def parse_emotion(text: str, where: str) -> int:
    if not text:
        return -1
    try:
        return emotion_index(text)
    except KeyError:
        raise DatasetError(f"{where}: unknown emotion {text!r} (expected one of {', '.join(EMOTIONS)})") from None


def read_clips(paths: list[Path], crop: str, margin: float, size: int, max_frames: int | None,
               align: bool = False) -> tuple[list[tuple[np.ndarray, bool] | None], list[str]]:
    """(clip, face_found) per path, None for a skipped one; and "path: reason" per skipped one."""
    cropper = FaceCropper(margin=margin, size=size, align=align) if crop != "none" else None
    results: list[tuple[np.ndarray, bool] | None] = []
    skipped: list[str] = []
    try:
        for path in paths:
            try:
                results.append(read_clip(path, cropper, crop, size, max_frames))
            except UnreadableClip as exc:
                log.warning("skipping %s: %s", path, exc)
                skipped.append(f"{path}: {exc}")
                results.append(None)
    finally:
        if cropper is not None:
            cropper.close()
    return results, skipped


def read_clip(path: Path, cropper: FaceCropper | None, crop: str, size: int,
              max_frames: int | None) -> tuple[np.ndarray, bool]:
    """-> ((T, size, size, 3) uint8 face crops, face_found). Frames without a face are
    dropped; a clip without any face is skipped ("detect") or kept whole ("auto")."""
    frames = list(iter_frames(path, max_frames))
    if not frames:
        raise UnreadableClip("no frames decoded (empty, corrupt or unsupported)")
    if cropper is not None:
        faces = [face[1] for face in map(cropper, frames) if face is not None]
        if faces:
            return np.stack(faces), True
        if crop == "detect":
            raise UnreadableClip(NO_FACE)
        log.warning("%s: no face in any of %d frames, using whole frames", path, len(frames))
    return np.stack([centre_square(f, size) for f in frames]), cropper is None


def iter_frames(path: Path, max_frames: int | None) -> Iterator[np.ndarray]:
    """RGB frames of a video file or a folder of images (in natural name order)."""
    limit = max_frames if max_frames is not None else math.inf
    if path.is_dir():
        files = sorted((p for p in path.iterdir() if p.suffix.lower() in IMAGE_EXTENSIONS), key=natural_key)
        for n, file in enumerate(files):
            if n >= limit:
                return
            try:
                yield read_image(file, "rgb")
            except UnreadableImage as exc:
                raise UnreadableClip(f"frame {file.name}: {exc}") from None
        return
    if not path.is_file():
        raise UnreadableClip("missing")
    capture = cv2.VideoCapture(str(path))
    try:
        if not capture.isOpened():
            raise UnreadableClip("not a readable video (corrupt or unsupported)")
        n = 0
        while n < limit:
            ok, bgr = capture.read()
            if not ok:
                return
            n += 1
            yield cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB)
    finally:
        capture.release()
