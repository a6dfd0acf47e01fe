"""FER2013 in either published form: the Kaggle csv (optionally gzipped) or the image-folder
tree root/{train,test}/<class>/*.jpg; optional FER+ relabelling (csv form only).

Split names: the csv's Usage values ("Training", "PublicTest", "PrivateTest") or
"train" = Training, "val" = PublicTest, "test" = PrivateTest (the standard benchmark
protocol), "all". The image-folder tree has only its own folders ("train" or "Training",
"test" = PublicTest + PrivateTest as that tree is usually published).
"""
from __future__ import annotations

import gzip
from pathlib import Path
from typing import Iterator

import numpy as np

from model.data.cache import cache_path, file_signature, load_cache, save_cache
from model.data.errors import DatasetError
from model.data.faceset import FaceSet
from model.data.folds import parse_int, read_csv_rows
from model.data.imagefolder import load_imagefolder
from model.labels import EMOTIONS, emotion_index

SIDE = 48
USAGES = ("Training", "PublicTest", "PrivateTest")
SPLIT_USAGE = {"train": "Training", "val": "PublicTest", "test": "PrivateTest"}
CSV_NAMES = ("fer2013.csv", "fer2013.csv.gz")
# FER+ vote columns (fer2013new.csv); the first seven are FER2013's emotions, contempt, unknown and
# NF ("not a face") are not.
FERPLUS_COLUMNS = ("neutral", "happiness", "surprise", "sadness", "anger", "disgust", "fear",
                   "contempt", "unknown", "NF")
FERPLUS_EMOTIONS = FERPLUS_COLUMNS[:7]
# A FER+ face is a smile where at least this share of its annotators chose happiness ...
SMILE_VOTE_SHARE = 0.7
# ... and no smile where none chose happiness, nor disgust or contempt (a sneer or a smirk
# can lift a mouth corner), nor said it is not a face. Everything between stays unlabelled.
NO_SMILE_VOTES_ZERO = ("happiness", "disgust", "contempt", "NF")
_CACHE_VERSION = 1


def load_fer2013(path: str | Path, split: str = "Training", ferplus: str | Path | None = None,
                 label_source: str = "fer2013", ferplus_for: tuple[str, ...] | list[str] = ("emotion",),
                 cache_dir: str | Path | None = None) -> FaceSet:
    """48x48 grey faces with FER2013 emotion labels (no smile labels unless FER+ gives them).

    ``ferplus`` (fer2013new.csv, same row order) adds what ``ferplus_for`` names:

    - "emotion": ``emotion_soft``, each row's share of votes per FER2013 emotion. Votes for
      contempt, unknown and NF are dropped (none is one of the 7 emotions the head predicts);
      a row left with no votes gets an all-zero soft row, which SequenceDataset reads as "no
      soft target". label_source "ferplus" also replaces ``emotion`` by the emotion with the
      most votes, -1 where no vote is left or the top count is tied (no majority to train on).
    - "smile": ``smile`` labels where the ten annotators agree (``smile_from_votes``), so
      head 1 also learns from FER2013's open-mouthed, teeth-baring faces that are no smile."""
    path = Path(path)
    if label_source not in ("fer2013", "ferplus"):
        raise DatasetError(f"label_source must be 'fer2013' or 'ferplus', got {label_source!r}")
    unknown = set(ferplus_for) - {"emotion", "smile", "smile_share"}
    if unknown:
        raise DatasetError(f"ferplus_for takes 'emotion', 'smile' and 'smile_share', got {sorted(unknown)}")
    if label_source == "ferplus" and (ferplus is None or "emotion" not in ferplus_for):
        raise DatasetError("label_source 'ferplus' needs the ferplus csv path, used for 'emotion'")
    csv_path = find_csv(path)
    if csv_path is None:
        if ferplus is not None:
            raise DatasetError(f"{path}: FER+ labels apply to the fer2013.csv layout only (row order)")
        if not any((path / d).is_dir() for d in ("train", "test")):
            raise DatasetError(f"{path}: neither fer2013.csv(.gz) nor train/ test/ class folders")
        faces = load_imagefolder(path, "train" if split == "Training" else split, crop="none", cache_dir=cache_dir)
        faces.name = "fer2013"
        return faces
    pixels, emotion, usage = read_fer_csv(csv_path, cache_dir)
    rows = _split_rows(usage, split, csv_path)
    soft, smile = None, np.full(len(usage), np.nan, np.float32)
    if ferplus is not None:
        table = read_ferplus_votes(Path(ferplus), usage)
        if "emotion" in ferplus_for:
            votes = emotion_votes(table)
            soft = np.divide(votes, votes.sum(1, keepdims=True), out=np.zeros_like(votes),
                             where=votes.sum(1, keepdims=True) > 0)[rows]
            if label_source == "ferplus":
                emotion = majority(votes)
        if "smile" in ferplus_for or "smile_share" in ferplus_for:
            smile = smile_from_votes(table, graded="smile_share" in ferplus_for)
    return FaceSet(name="fer2013", items=list(pixels[rows]), smile=smile[rows],
                   emotion=emotion[rows], paths=[f"{csv_path}:row {i + 2}" for i in rows], emotion_soft=soft)


def find_csv(path: Path) -> Path | None:
    """The csv file itself, or fer2013.csv(.gz) inside a directory; None for a folder tree."""
    if path.is_file():
        return path
    if not path.is_dir():
        raise DatasetError(f"{path}: no such file or directory")
    return next((path / n for n in CSV_NAMES if (path / n).is_file()), None)


def _split_rows(usage: np.ndarray, split: str, source: Path) -> np.ndarray:
    if split == "all":
        return np.arange(len(usage))
    name = SPLIT_USAGE.get(split, split)
    if name not in USAGES:
        raise DatasetError(f"{source}: split must be one of {', '.join((*USAGES, *SPLIT_USAGE, 'all'))}, "
                           f"got {split!r}")
    return np.flatnonzero(usage == USAGES.index(name))


def read_fer_csv(path: Path, cache_dir: str | Path | None = None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(pixels uint8 (N,48,48), emotion int64 (N,), usage index int8 (N,)), cached by file size/mtime."""
    where = cache_path(cache_dir, "fer2013", {"version": _CACHE_VERSION, "file": str(path.resolve()),
                                              "signature": file_signature(path)})
    cached = load_cache(where)
    if cached is not None:
        return cached["pixels"], cached["emotion"], cached["usage"]
    pixels, emotion, usage = parse_fer_csv(path)
    save_cache(where, {"pixels": pixels, "emotion": emotion, "usage": usage})
    return pixels, emotion, usage


def parse_fer_csv(path: Path) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Parse the Kaggle csv (header emotion,pixels[,Usage]); rows without Usage get -1."""
    try:
        raw = gzip.decompress(path.read_bytes()) if path.suffix == ".gz" else path.read_bytes()
    except (OSError, EOFError, gzip.BadGzipFile) as exc:
        raise DatasetError(f"{path}: cannot read ({exc})") from None
    head_end = raw.find(b"\n")
    header = raw[:head_end if head_end >= 0 else len(raw)].strip().decode("utf-8-sig", "replace").split(",")
    if "emotion" not in header or "pixels" not in header:
        raise DatasetError(f"{path}:1: header {','.join(header)!r} lacks emotion,pixels")
    col_e, col_p = header.index("emotion"), header.index("pixels")
    col_u = header.index("Usage") if "Usage" in header else None
    rows = list(_split_lines(raw, head_end + 1 if head_end >= 0 else len(raw), len(header), path))
    emotion, usage = np.empty(len(rows), np.int64), np.full(len(rows), -1, np.int8)
    usage_code = {u.encode(): i for i, u in enumerate(USAGES)}
    for i, parts in enumerate(rows):
        try:
            emotion[i] = int(bytes(parts[col_e]))
        except ValueError:
            raise DatasetError(f"{path}:{i + 2}: emotion must be an integer, "
                               f"got {bytes(parts[col_e][:20])!r}") from None
        if col_u is not None:
            code = usage_code.get(bytes(parts[col_u]).strip())
            if code is None:
                raise DatasetError(f"{path}:{i + 2}: Usage must be one of {', '.join(USAGES)}, "
                                   f"got {bytes(parts[col_u][:20]).decode(errors='replace')!r}")
            usage[i] = code
    bad = np.flatnonzero((emotion < 0) | (emotion >= len(EMOTIONS)))
    if bad.size:
        raise DatasetError(f"{path}:{bad[0] + 2}: emotion must be 0..{len(EMOTIONS) - 1}, got {emotion[bad[0]]}")
    return parse_pixel_rows([parts[col_p] for parts in rows], path), emotion, usage


def _split_lines(raw: bytes, pos: int, n_fields: int, path: Path) -> Iterator[list[memoryview]]:
    """Fields of each data line as memoryviews into ``raw`` (the 290 MB text is never copied
    line by line); trailing blank lines are ignored, any other malformed line is an error."""
    view, end_all = memoryview(raw), len(raw)
    while end_all > pos and raw[end_all - 1] in b"\r\n \t":
        end_all -= 1
    line = 2
    while pos < end_all:
        end = raw.find(b"\n", pos, end_all)
        end = end_all if end < 0 else end
        stop = end - 1 if end > pos and raw[end - 1] == 13 else end  # \r of \r\n
        cuts = [pos - 1]
        for _ in range(n_fields - 1):
            cuts.append(raw.find(b",", cuts[-1] + 1, stop))
            if cuts[-1] < 0:
                raise DatasetError(f"{path}:{line}: expected {n_fields} comma-separated fields")
        if raw.find(b",", cuts[-1] + 1, stop) >= 0:
            raise DatasetError(f"{path}:{line}: expected {n_fields} comma-separated fields")
        cuts.append(stop)
        yield [view[a + 1:b] for a, b in zip(cuts, cuts[1:])]
        pos, line = end + 1, line + 1


def parse_pixel_rows(fields: list[bytes | memoryview], path: Path, chunk: int = 2048) -> np.ndarray:
    """Space-separated grey values, 2304 per row -> uint8 (N, 48, 48), parsed with numpy.

    Values have at most 3 digits, so each is the digit before a separator plus 10x and
    100x the one or two digits in front of it, when those are digits too."""
    out = np.empty((len(fields), SIDE * SIDE), np.uint8)
    for start in range(0, len(fields), chunk):
        part = fields[start:start + chunk]
        buf = np.frombuffer(b" ".join(part) + b" ", np.uint8)
        digit = (buf >= 48) & (buf <= 57)
        if not (digit | (buf == 32)).all():
            first = np.flatnonzero(~(digit | (buf == 32)))[0]
            row = start + int(np.searchsorted(np.cumsum([len(f) + 1 for f in part]), first, side="right"))
            raise DatasetError(f"{path}:{row + 2}: pixels must be space-separated integers")
        value = buf.astype(np.int16) - 48
        ends = np.flatnonzero(digit[:-1] & ~digit[1:])
        v = value[ends].copy()
        tens = digit[np.maximum(ends - 1, 0)] & (ends >= 1)
        v[tens] += 10 * value[ends[tens] - 1]
        hundreds = tens & digit[np.maximum(ends - 2, 0)] & (ends >= 2)
        v[hundreds] += 100 * value[ends[hundreds] - 2]
        thousands = hundreds & digit[np.maximum(ends - 3, 0)] & (ends >= 3)
        counts = np.diff(np.searchsorted(ends, np.cumsum([0] + [len(f) + 1 for f in part])))
        bad_rows = np.flatnonzero(counts != SIDE * SIDE)
        if bad_rows.size:
            r = int(bad_rows[0])
            raise DatasetError(f"{path}:{start + r + 2}: expected {SIDE * SIDE} pixel values, got {counts[r]}")
        if thousands.any() or (v > 255).any():
            bad = ends[thousands | (v > 255)][0]
            row = start + int(np.searchsorted(np.cumsum([len(f) + 1 for f in part]), bad, side="right"))
            raise DatasetError(f"{path}:{row + 2}: pixel values must be 0..255")
        out[start:start + len(part)] = v.reshape(len(part), -1)
    return out.reshape(-1, SIDE, SIDE)


def read_ferplus_votes(path: Path, usage: np.ndarray) -> np.ndarray:
    """fer2013new.csv -> float32 (N, 10) vote counts in FERPLUS_COLUMNS order; rows must line up
    with fer2013.csv."""
    votes = []
    for line, row in read_csv_rows(path, ("Usage", *FERPLUS_COLUMNS)):
        i = len(votes)
        if i < len(usage) and usage[i] >= 0 and row["Usage"] != USAGES[usage[i]]:
            raise DatasetError(f"{path}:{line}: Usage {row['Usage']!r} but fer2013.csv row {i + 2} is "
                               f"{USAGES[usage[i]]!r}; the files are not in the same row order")
        counts = np.array([parse_int(row[name], path, line, name) for name in FERPLUS_COLUMNS], np.float32)
        if (counts < 0).any():
            raise DatasetError(f"{path}:{line}: vote counts must be >= 0")
        votes.append(counts)
    if len(votes) != len(usage):
        raise DatasetError(f"{path}: {len(votes)} rows but fer2013.csv has {len(usage)}")
    return np.stack(votes)


def emotion_votes(table: np.ndarray) -> np.ndarray:
    """(N, 10) FER+ votes -> (N, 7) votes for the FER2013 emotions, in FER2013 order."""
    votes = np.zeros((len(table), len(EMOTIONS)), np.float32)
    for col, name in enumerate(FERPLUS_EMOTIONS):
        votes[:, emotion_index(name)] = table[:, col]
    return votes


def smile_from_votes(table: np.ndarray, graded: bool = False) -> np.ndarray:
    """(N, 10) FER+ votes -> smile labels: 1 where SMILE_VOTE_SHARE of the votes say happiness,
    0 where none of NO_SMILE_VOTES_ZERO got a vote, NaN (no label) otherwise.

    ``graded`` ("smile_share"): the faces left between, where some but fewer than
    SMILE_VOTE_SHARE of the annotators saw happiness, get that share as a graded label (an
    angry face one annotator in ten read as happy: 0.1), so head 1 learns them as at most half a
    smile. Faces with a vote for disgust, contempt or "not a face" stay unlabelled: a sneer may
    smile."""
    column = {name: table[:, i] for i, name in enumerate(FERPLUS_COLUMNS)}
    total = table.sum(1)
    smile = np.full(len(table), np.nan, np.float32)
    if graded:
        clean = (total > 0) & (sum(column[name] for name in NO_SMILE_VOTES_ZERO if name != "happiness") == 0)
        smile[clean] = column["happiness"][clean] / total[clean]
    smile[(total > 0) & (column["happiness"] >= SMILE_VOTE_SHARE * total)] = 1.0
    smile[(total > 0) & (sum(column[name] for name in NO_SMILE_VOTES_ZERO) == 0)] = 0.0
    return smile


def majority(votes: np.ndarray) -> np.ndarray:
    """Emotion with the most votes per row; -1 where there are no votes or the top is tied."""
    top = votes.max(1)
    label = votes.argmax(1).astype(np.int64)
    label[(top <= 0) | ((votes == top[:, None]).sum(1) > 1)] = -1
    return label
