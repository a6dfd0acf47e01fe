"""How a face crop becomes a model input. Stored in every checkpoint, so the game
cannot preprocess differently from training."""
from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Sequence

import cv2
import numpy as np
import torch

from model.face import FACE_CROP_SIZE, FaceBox, FaceCropper, square_crop

IMAGENET_MEAN = (0.485, 0.456, 0.406)
IMAGENET_STD = (0.229, 0.224, 0.225)


@dataclass(frozen=True)
class Preprocessing:
    input_size: int = 64
    # FER2013 and SMILES are grey; training every source in grey keeps colour from
    # telling the model which dataset (and so which head) a face came from.
    grayscale: bool = True
    mean: tuple[float, float, float] = field(default=IMAGENET_MEAN)
    std: tuple[float, float, float] = field(default=IMAGENET_STD)
    # Square crop side = face-box side * (1 + 2 * crop_margin), as the FaceCropper makes it.
    crop_margin: float = 0.2
    # Turn each face found in a photo or a frame so its eyes are level (model.face.square_crop).
    # False in checkpoints from before it existed: they were trained and calibrated without.
    align: bool = False

    def to_dict(self) -> dict:
        d = asdict(self)
        d["mean"], d["std"] = list(self.mean), list(self.std)
        return d

    @classmethod
    def from_dict(cls, d: dict) -> "Preprocessing":
        known = {k: d[k] for k in cls.__dataclass_fields__ if k in d}
        for key in ("mean", "std"):
            if key in known:
                known[key] = tuple(float(v) for v in known[key])
        return cls(**known)

    def cropper(self, min_confidence: float = 0.5) -> FaceCropper:
        """The face finder and cutter that makes this model's crops (FACE_CROP_SIZE, then
        ``image`` resizes them to the input size, as the training loaders' were)."""
        return FaceCropper(self.crop_margin, FACE_CROP_SIZE, min_confidence, self.align)

    def crop(self, frame: np.ndarray, box: FaceBox) -> np.ndarray:
        """This model's crop of a face found in ``frame`` (as ``cropper`` cuts it)."""
        return square_crop(frame, box, self.crop_margin, FACE_CROP_SIZE, self.align)

    def image(self, crop: np.ndarray) -> np.ndarray:
        """uint8 crop (HxW grey or HxWx3 RGB) -> uint8 SxSx3 RGB at the model's size."""
        if crop.ndim == 2:
            crop = cv2.cvtColor(crop, cv2.COLOR_GRAY2RGB)
        elif self.grayscale:
            crop = cv2.cvtColor(cv2.cvtColor(crop, cv2.COLOR_RGB2GRAY), cv2.COLOR_GRAY2RGB)
        if crop.shape[0] != self.input_size or crop.shape[1] != self.input_size:
            interp = cv2.INTER_AREA if crop.shape[0] > self.input_size else cv2.INTER_LINEAR
            crop = cv2.resize(crop, (self.input_size, self.input_size), interpolation=interp)
        return crop

    def normalise(self, images: torch.Tensor) -> torch.Tensor:
        """uint8 tensor (..., S, S, 3) -> float tensor (..., 3, S, S), ImageNet-normalised."""
        x = images.float().div_(255.0)
        mean = torch.tensor(self.mean, device=x.device)
        std = torch.tensor(self.std, device=x.device)
        x = (x - mean) / std
        return x.movedim(-1, -3).contiguous()

    def __call__(self, crops: Sequence[np.ndarray]) -> torch.Tensor:
        """A list of crops -> float tensor (N, 3, S, S) ready for the backbone."""
        batch = np.stack([self.image(c) for c in crops])
        return self.normalise(torch.from_numpy(batch))
