"""Labelled spans of video clips -> 10-frame windows of face crops (real motion for the LSTM).

The labels are a CSV (``assets/labels/clip_spans.csv``, docs/labelling.md):

    clip,split,start_s,end_s,smile,note
    videos/talking/grid_bbaf2n.mp4,train,0.00,3.00,0,"talking, no smile"

``clip`` is relative to the datasets root the loader is given; the spans of a clip tile it in time
order; ``smile`` is a level of docs/labelling.md's scale, or empty where it cannot be told (such a
span gives no window). Every window lies inside one labelled span, on consecutive frames where a
face was found, and carries that span's level: talking is "no smile" unless a span says otherwise.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from model.data.errors import DatasetError
from model.data.faceset import FaceSet
from model.data.folds import SPLITS, read_csv_rows
from model.data.manifest import iter_frames
from model.face import FACE_CROP_SIZE, FaceCropper

COLUMNS = ("clip", "split", "start_s", "end_s", "smile")
SPAN_SPLITS = ("train", "test")
WINDOW, STRIDE = 10, 5  # frames per window (the model's seq_len) and between window starts


@dataclass(frozen=True)
class Span:
    clip: str
    split: str
    start: float
    end: float
    smile: float  # NaN = cannot tell

    def holds(self, t: float) -> bool:
        return self.start <= t < self.end


def read_spans(csv_path: str | Path) -> list[Span]:
    """Every span, validated (DatasetError naming the file and line): numbers finite, splits known,
    each clip's spans in order without overlap."""
    csv_path = Path(csv_path)
    if not csv_path.is_file():
        raise DatasetError(f"{csv_path}: span labels not found")
    spans: list[Span] = []
    for line, row in read_csv_rows(csv_path, COLUMNS):
        where = f"{csv_path}:{line}"
        if not row["clip"]:
            raise DatasetError(f"{where}: empty clip")
        if row["split"] not in SPAN_SPLITS:
            raise DatasetError(f"{where}: split must be one of {', '.join(SPAN_SPLITS)}, got {row['split']!r}")
        start, end = (finite(row[k], where, k) for k in ("start_s", "end_s"))
        smile = finite(row["smile"], where, "smile") if row["smile"] else math.nan
        if not 0 <= start < end:
            raise DatasetError(f"{where}: need 0 <= start_s < end_s, got {start} and {end}")
        if not math.isnan(smile) and not 0 <= smile <= 1:
            raise DatasetError(f"{where}: smile must be 0..1 or empty, got {row['smile']!r}")
        span = Span(row["clip"], row["split"], start, end, smile)
        previous = next((s for s in reversed(spans) if s.clip == span.clip), None)
        if previous is not None and (span.start < previous.end - 1e-6 or span.split != previous.split):
            raise DatasetError(f"{where}: span starts before the clip's previous one ends "
                               f"({previous.end}), or names another split")
        spans.append(span)
    if not spans:
        raise DatasetError(f"{csv_path}: no spans")
    return spans


def finite(text: str, where: str, column: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if not math.isfinite(value):
        raise DatasetError(f"{where}: {column} must be a finite number, got {text!r}")
    return value


def clips_of(spans: list[Span], split: str) -> dict[str, list[Span]]:
    """clip -> its spans, for the clips of ``split`` ("all": every clip)."""
    if split not in SPLITS or split == "val":
        raise DatasetError(f"span labels have splits train, test and all, got {split!r}")
    out: dict[str, list[Span]] = {}
    for span in spans:
        if split in ("all", span.split):
            out.setdefault(span.clip, []).append(span)
    return out


def load_spans(root: str | Path, split: str, labels: str | Path, margin: float = 0.2,
               size: int = FACE_CROP_SIZE, align: bool = False, window: int = WINDOW,
               stride: int = STRIDE) -> FaceSet:
    """Windows of ``window`` consecutive face crops ((window, size, size, 3) uint8), every
    ``stride`` frames, of the clips of ``split``, inside spans with a smile level."""
    root = Path(root)
    by_clip = clips_of(read_spans(labels), split)
    if not by_clip:
        raise DatasetError(f"{labels}: no clip in split {split!r}")
    items, smile, paths, subjects, skipped = [], [], [], [], []
    cropper = FaceCropper(margin=margin, size=size, align=align)
    try:
        for clip, spans in by_clip.items():
            path = root / clip
            fps = frame_rate(path)
            crops = [face[1] if (face := cropper(frame)) is not None else None
                     for frame in iter_frames(path, None)]
            if not crops:
                skipped.append(f"{path}: no frames decoded")
                continue
            for span in spans:
                if math.isnan(span.smile):
                    continue
                inside = [i for i in range(len(crops)) if span.holds(i / fps) and crops[i] is not None]
                for first in range(0, len(inside) - window + 1, stride):
                    run = inside[first:first + window]
                    if run[-1] - run[0] != window - 1:  # a face lost inside: not consecutive
                        continue
                    items.append(np.stack([crops[i] for i in run]))
                    smile.append(span.smile)
                    paths.append(f"{clip}@{run[0] / fps:.2f}s")
                    subjects.append(clip)
    finally:
        cropper.close()
    return FaceSet(name="spans", items=items, smile=np.array(smile, np.float32),
                   emotion=np.full(len(items), -1, np.int64), paths=paths, subjects=subjects, skipped=skipped)


SAMPLE_COLUMNS = ("clip", "kind", "start_s", "end_s")
SAMPLE_KINDS = ("smile", "grimace")


def read_sample_clips(csv_path: str | Path) -> dict[str, dict[str, list[tuple[float, float]]]]:
    """The sample clips' annotations (``assets/labels/sample_clips.csv``): clip file name ->
    {"smile": [(start, end)], "grimace": [...]}, the smiles that should make a player OUT at the
    default threshold and the grimaces that must not read as a smile. A clip listed with only a
    grimace has no smile (every OUT outside the tolerance is false)."""
    csv_path = Path(csv_path)
    if not csv_path.is_file():
        raise DatasetError(f"{csv_path}: clip annotations not found")
    clips: dict[str, dict[str, list[tuple[float, float]]]] = {}
    for line, row in read_csv_rows(csv_path, SAMPLE_COLUMNS):
        where = f"{csv_path}:{line}"
        if row["kind"] not in SAMPLE_KINDS:
            raise DatasetError(f"{where}: kind must be one of {', '.join(SAMPLE_KINDS)}, got {row['kind']!r}")
        start, end = (finite(row[k], where, k) for k in ("start_s", "end_s"))
        if not 0 <= start < end:
            raise DatasetError(f"{where}: need 0 <= start_s < end_s, got {start} and {end}")
        clips.setdefault(row["clip"], {kind: [] for kind in SAMPLE_KINDS})[row["kind"]].append((start, end))
    return clips


def frame_rate(path: Path) -> float:
    import cv2

    capture = cv2.VideoCapture(str(path))
    try:
        fps = capture.get(cv2.CAP_PROP_FPS)
    finally:
        capture.release()
    if not fps or not math.isfinite(fps) or fps <= 0:
        raise DatasetError(f"{path}: cannot read the frame rate (missing or not a video)")
    return float(fps)
