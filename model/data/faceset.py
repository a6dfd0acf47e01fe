"""FaceSet: labelled face crops (stills or clips) in memory, the common currency of all loaders.

Every dataset loader returns a FaceSet; SequenceDataset turns one into model inputs.
A missing label is NaN (smile) or -1 (emotion): it becomes a mask in the loss.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from model.labels import EMOTIONS


@dataclass
class FaceSet:
    name: str
    # Each item is uint8: (H, W) grey or (H, W, 3) RGB for a still face crop,
    # or (T, H, W) / (T, H, W, 3) for a clip of consecutive face crops.
    items: list[np.ndarray]
    smile: np.ndarray                    # float32 (N,), 0..1, NaN = no smile label
    emotion: np.ndarray                  # int64 (N,), FER2013 index, -1 = no emotion label
    paths: list[str]                     # where each item came from (file, or "file:row N")
    emotion_soft: np.ndarray | None = None   # float32 (N, 7) label distribution (FER+ votes)
    subjects: list[str] | None = None        # person id per item (manifests), for subject splits
    face_found: np.ndarray | None = None     # bool (N,): False where the whole image was used
    skipped: list[str] = field(default_factory=list)  # "path: reason" for unreadable items
    # Chance of each item to be drawn into a training epoch (relative; None = uniform). Set from
    # a data.train entry's ``share`` so sources are balanced by sampling, not by their size.
    sample_weight: np.ndarray | None = None

    def __post_init__(self) -> None:
        n = len(self.items)
        self.smile = np.asarray(self.smile, dtype=np.float32)
        self.emotion = np.asarray(self.emotion, dtype=np.int64)
        if self.face_found is None:
            self.face_found = np.ones(n, dtype=bool)
        for name in ("smile", "emotion", "paths", "face_found"):
            if len(getattr(self, name)) != n:
                raise ValueError(f"FaceSet {self.name}: {name} has {len(getattr(self, name))} rows, items {n}")
        if self.sample_weight is not None and len(self.sample_weight) != n:
            raise ValueError(f"FaceSet {self.name}: sample_weight has {len(self.sample_weight)} rows, items {n}")
        if self.emotion_soft is not None and self.emotion_soft.shape != (n, len(EMOTIONS)):
            raise ValueError(f"FaceSet {self.name}: emotion_soft must be ({n}, {len(EMOTIONS)})")

    def __len__(self) -> int:
        return len(self.items)

    @property
    def has_smile(self) -> np.ndarray:
        return ~np.isnan(self.smile)

    @property
    def has_emotion(self) -> np.ndarray:
        return self.emotion >= 0

    def is_clip(self, i: int) -> bool:
        item = self.items[i]
        return item.ndim == 4 or (item.ndim == 3 and item.shape[-1] != 3)

    def subset(self, index: np.ndarray | list[int]) -> "FaceSet":
        idx = np.asarray(index, dtype=np.int64)
        return FaceSet(
            name=self.name,
            items=[self.items[i] for i in idx],
            smile=self.smile[idx], emotion=self.emotion[idx],
            paths=[self.paths[i] for i in idx],
            emotion_soft=None if self.emotion_soft is None else self.emotion_soft[idx],
            subjects=None if self.subjects is None else [self.subjects[i] for i in idx],
            face_found=self.face_found[idx], skipped=list(self.skipped),
            sample_weight=None if self.sample_weight is None else self.sample_weight[idx])

    @staticmethod
    def concat(sets: list["FaceSet"], name: str | None = None) -> "FaceSet":
        """Join sets; soft emotion targets stay where present (zeros rows elsewhere). Sampling
        weights are kept only when every set has them (a mix would have no meaning)."""
        soft = None
        if any(s.emotion_soft is not None for s in sets):
            soft = np.concatenate([s.emotion_soft if s.emotion_soft is not None
                                   else np.zeros((len(s), len(EMOTIONS)), np.float32) for s in sets])
        subjects = None
        if any(s.subjects is not None for s in sets):
            subjects = [x for s in sets for x in (s.subjects or [f"{s.name}:{i}" for i in range(len(s))])]
        return FaceSet(
            name=name or "+".join(s.name for s in sets),
            items=[x for s in sets for x in s.items],
            smile=np.concatenate([s.smile for s in sets]),
            emotion=np.concatenate([s.emotion for s in sets]),
            paths=[p for s in sets for p in s.paths],
            emotion_soft=soft, subjects=subjects,
            face_found=np.concatenate([s.face_found for s in sets]),
            skipped=[x for s in sets for x in s.skipped],
            sample_weight=np.concatenate([s.sample_weight for s in sets])
            if sets and all(s.sample_weight is not None for s in sets) else None)
