"""Checkpoints: weights together with everything needed to use them.

A checkpoint is a plain dict (loadable with ``weights_only=True``)::

    format        "utcham-smile-emotion"
    version       1
    model_config  ModelConfig.to_dict(): seq_len, lstm_hidden, preprocessing (input size,
                  grey/colour, mean/std, crop margin)
    emotions      label names in head-2 order
    state_dict    the model's weights
    train_config  the training config that produced it (for the model card)
    metrics       validation figures at save time
    + anything the trainer adds for --resume (optimizer, epoch, ...)
"""
from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import Any

import torch

from model.labels import EMOTIONS
from model.network import ModelConfig, SmileEmotionNet

FORMAT = "utcham-smile-emotion"
VERSION = 1


class CheckpointError(ValueError):
    """A weights file that is missing, corrupt or not ours; the message names the file."""


def checkpoint_dict(model: SmileEmotionNet, **extra: Any) -> dict:
    state = {k: v.detach().cpu() for k, v in unwrap(model).state_dict().items()}
    return {"format": FORMAT, "version": VERSION, "model_config": unwrap(model).config.to_dict(),
            "emotions": list(EMOTIONS), "state_dict": state, **extra}


def save_checkpoint(path: str | Path, model: SmileEmotionNet, **extra: Any) -> Path:
    """Write atomically: a crash mid-write never leaves a half checkpoint at ``path``."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=path.name + ".", suffix=".tmp", dir=path.parent)
    os.close(fd)
    try:
        torch.save(checkpoint_dict(model, **extra), tmp)
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)  # mkstemp makes 0600; a checkpoint is an ordinary file
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
    return path


def read_checkpoint(path: str | Path) -> dict:
    path = Path(path)
    if not path.is_file():
        raise CheckpointError(f"{path}: weights file not found")
    try:
        ckpt = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as exc:
        raise CheckpointError(f"{path}: corrupt or unreadable weights file ({type(exc).__name__})") from None
    if not isinstance(ckpt, dict) or ckpt.get("format") != FORMAT:
        raise CheckpointError(f"{path}: not a 웃참 smile/emotion checkpoint (no '{FORMAT}' header)")
    if ckpt.get("version", 0) > VERSION:
        raise CheckpointError(f"{path}: checkpoint version {ckpt['version']} is newer than this code ({VERSION})")
    if list(ckpt.get("emotions", [])) != list(EMOTIONS):
        raise CheckpointError(f"{path}: emotion labels {ckpt.get('emotions')} differ from {list(EMOTIONS)}")
    return ckpt


def load_model(path: str | Path, device: str | torch.device = "cpu") -> tuple[SmileEmotionNet, dict]:
    """-> (model in eval mode on ``device``, the checkpoint dict)."""
    ckpt = read_checkpoint(path)
    model = SmileEmotionNet(ModelConfig.from_dict(ckpt["model_config"]))
    try:
        model.load_state_dict(ckpt["state_dict"], strict=True)
    except (RuntimeError, KeyError) as exc:
        raise CheckpointError(f"{path}: weights do not fit the model ({str(exc).splitlines()[0]})") from None
    return model.to(device).eval(), ckpt


def unwrap(model: torch.nn.Module) -> SmileEmotionNet:
    """The bare model inside DDP / torch.compile wrappers."""
    while hasattr(model, "module") or hasattr(model, "_orig_mod"):
        model = getattr(model, "module", None) or getattr(model, "_orig_mod")
    return model


def pick_device(name: str = "auto") -> torch.device:
    """'auto' -> cuda, else mps, else cpu; anything else is taken as a torch device name."""
    if name != "auto":
        return torch.device(name)
    if torch.cuda.is_available():
        return torch.device("cuda")
    if getattr(torch.backends, "mps", None) is not None and torch.backends.mps.is_available():
        return torch.device("mps")
    return torch.device("cpu")
