"""The two-head model: face frames -> MobileNetV3-Small -> BiLSTM -> smile + emotion.

    frames (B, T, 3, S, S)
      -> MobileNetV3-Small features, global average pool     (B, T, 576)
      -> bidirectional LSTM                                  (B, T, 2H)
      -> output at the newest frame                          (B, 2H)
      ├-> head 1: smile intensity logit  (sigmoid -> 0..1)
      └-> head 2: 7 emotion logits in FER2013 order

The heads read the BiLSTM output at the *newest* frame: its forward half has seen
the whole window (context), its backward half only the newest frame, so the
game's gauge follows the current face without waiting for the window to fill.
"""
from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field
from typing import NamedTuple, Sequence

import numpy as np
import torch
from torch import nn

from model.labels import EMOTIONS
from model.mobilenetv3 import FEATURE_DIM, MobileNetV3Small, load_imagenet_weights
from model.preprocess import Preprocessing


@dataclass(frozen=True)
class ModelConfig:
    seq_len: int = 10          # frames in the window the game feeds
    lstm_hidden: int = 128
    dropout: float = 0.2
    preprocessing: Preprocessing = field(default_factory=Preprocessing)

    def to_dict(self) -> dict:
        return {"seq_len": self.seq_len, "lstm_hidden": self.lstm_hidden,
                "dropout": self.dropout, "preprocessing": self.preprocessing.to_dict()}

    @classmethod
    def from_dict(cls, d: dict) -> "ModelConfig":
        return cls(seq_len=int(d.get("seq_len", 10)), lstm_hidden=int(d.get("lstm_hidden", 128)),
                   dropout=float(d.get("dropout", 0.2)),
                   preprocessing=Preprocessing.from_dict(d.get("preprocessing", {})))


class Output(NamedTuple):
    smile_logit: torch.Tensor      # (B,)
    emotion_logits: torch.Tensor   # (B, 7)

    @property
    def smile(self) -> torch.Tensor:
        return torch.sigmoid(self.smile_logit)

    @property
    def emotion_probs(self) -> torch.Tensor:
        return torch.softmax(self.emotion_logits, dim=-1)


class SmileEmotionNet(nn.Module):
    def __init__(self, config: ModelConfig = ModelConfig(), imagenet_weights: str | None = None):
        super().__init__()
        self.config = config
        backbone = MobileNetV3Small()
        if imagenet_weights:
            load_imagenet_weights(backbone, imagenet_weights)
        self.features = backbone.features  # keys features.* as in torchvision
        self.lstm = nn.LSTM(FEATURE_DIM, config.lstm_hidden, batch_first=True, bidirectional=True)
        self.dropout = nn.Dropout(config.dropout)
        self.smile_head = nn.Linear(2 * config.lstm_hidden, 1)
        self.emotion_head = nn.Linear(2 * config.lstm_hidden, len(EMOTIONS))

    def embed(self, images: torch.Tensor) -> torch.Tensor:
        """(N, 3, S, S) normalised images -> (N, 576) per-frame features."""
        return self.features(images).mean(dim=(2, 3))

    def temporal(self, feats: torch.Tensor) -> Output:
        """(B, T, 576) features of consecutive frames, oldest first -> both heads."""
        out, _ = self.lstm(feats)
        newest = self.dropout(out[:, -1])
        return Output(self.smile_head(newest).squeeze(-1), self.emotion_head(newest))

    def forward(self, frames: torch.Tensor, order: torch.Tensor | None = None) -> Output:
        """frames (B, K, 3, S, S). Without ``order`` the K frames are the sequence.

        ``order`` (B, T) indexes the K frames to build a T-step sequence: a still
        photo can be seen as K jittered views arranged into a T-frame window, which
        costs K backbone passes instead of T (see the model card)."""
        b, k = frames.shape[:2]
        feats = self.embed(frames.flatten(0, 1)).view(b, k, -1)
        if order is not None:
            feats = torch.gather(feats, 1, order.unsqueeze(-1).expand(-1, -1, feats.shape[-1]))
        return self.temporal(feats)


@dataclass
class Prediction:
    """What the game needs from one inference step."""

    smile: float                      # 0..1
    emotion_probs: np.ndarray         # (7,), FER2013 order, sums to 1
    frames_in_window: int


class StreamingModel:
    """Push one face crop at a time: the backbone runs once per frame, the features of
    the last ``seq_len`` frames are kept, and only the LSTM and heads rerun.

    With ``tta_flip`` the mirrored face goes through the network too, in a window of its own,
    and the two predictions are averaged: ``model.evaluate --tta-flip`` streamed, for one
    more backbone pass per frame (weights/README.md measures what it adds)."""

    def __init__(self, model: SmileEmotionNet, device: str | torch.device = "cpu", tta_flip: bool = False):
        self.model = model.eval().to(device)
        self.device = torch.device(device)
        self.preprocessing = model.config.preprocessing
        self.tta_flip = tta_flip
        self.windows = [deque(maxlen=model.config.seq_len) for _ in range(2 if tta_flip else 1)]

    @property
    def window(self) -> deque[torch.Tensor]:
        """The features of the last frames as they came (the mirrored ones are in windows[1])."""
        return self.windows[0]

    def reset(self) -> None:
        """Forget the window (face lost, new player)."""
        for window in self.windows:
            window.clear()

    def images(self, crops: Sequence[np.ndarray]) -> torch.Tensor:
        """The backbone's input for these crops: each crop, then (with tta_flip) each mirrored."""
        images = self.preprocessing(crops).to(self.device)
        return torch.cat([images, images.flip(-1)]) if self.tta_flip else images

    @torch.inference_mode()
    def push(self, crop: np.ndarray) -> Prediction:
        """crop: uint8 RGB (or grey) face crop of any size."""
        return self.push_features(self.model.embed(self.images([crop])))

    @torch.inference_mode()
    def push_features(self, features: torch.Tensor) -> Prediction:
        """The newest frame's backbone features, already computed (StreamingBatch): (1, 576),
        or (2, 576) with tta_flip (the face, then the mirrored face)."""
        for window, f in zip(self.windows, features):
            window.append(f)
        out = self.model.temporal(torch.stack([torch.stack(tuple(w)) for w in self.windows]))
        smile, probs = out.smile.mean(0), out.emotion_probs.mean(0)
        return Prediction(float(smile), probs.cpu().numpy(), len(self.window))


class StreamingBatch:
    """One StreamingModel window per stream (a player) over one network. ``push_many``
    runs the backbone once on every stream's crop as one batch, then each stream's own
    window through the LSTM: the same predictions as separate pushes, one backbone call."""

    def __init__(self, model: SmileEmotionNet, streams: int, device: str | torch.device = "cpu",
                 tta_flip: bool = False):
        if streams < 1:
            raise ValueError(f"streams must be at least 1, got {streams}")
        self.streams = [StreamingModel(model, device, tta_flip) for _ in range(streams)]

    def reset(self, stream: int) -> None:
        self.streams[stream].reset()

    @torch.inference_mode()
    def push_many(self, crops: Sequence[np.ndarray | None]) -> list[Prediction | None]:
        """crops[i]: stream i's newest face crop, or None (no face: its window is reset
        and its prediction is None)."""
        if len(crops) != len(self.streams):
            raise ValueError(f"expected {len(self.streams)} crops (one per stream), got {len(crops)}")
        predictions: list[Prediction | None] = [None] * len(crops)
        present = [i for i, crop in enumerate(crops) if crop is not None]
        for i in set(range(len(crops))) - set(present):
            self.streams[i].reset()
        if present:
            first = self.streams[0]
            features = first.model.embed(first.images([crops[i] for i in present]))
            # Rows: every present face, then (with tta_flip) every mirrored face, in the same order.
            views = features.view(len(first.windows), len(present), -1)
            for k, i in enumerate(present):
                predictions[i] = self.streams[i].push_features(views[:, k])
        return predictions
