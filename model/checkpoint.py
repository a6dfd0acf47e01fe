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

from pathlib import Path
from typing import Any

import torch

from model.files import replaced_atomically
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
    with replaced_atomically(path, "wb", private=False) as f:   # a checkpoint is an ordinary file
        torch.save(checkpoint_dict(model, **extra), f)
    return path


def read_checkpoint(path: str | Path) -> dict:
    """The checkpoint dict, its header, labels, model_config and weights checked;
    CheckpointError with one line naming the file and what is wrong."""
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
    problem = config_problem(ckpt.get("model_config")) or weights_problem(ckpt.get("state_dict"))
    if problem:
        raise CheckpointError(f"{path}: {problem}")
    return ckpt


def _is_int(value: Any, lo: int, hi: int) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and lo <= value <= hi


def _is_number(value: Any, lo: float, hi: float) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and lo <= value <= hi   # NaN fails


# What a stored model_config may hold (a missing key takes ModelConfig's default, as in
# checkpoints from before the key existed): name -> (check, what is allowed).
_CONFIG_CHECKS = {
    "seq_len": (lambda v: _is_int(v, 1, 10_000), "an integer >= 1"),
    "lstm_hidden": (lambda v: _is_int(v, 1, 65_536), "an integer >= 1"),
    "dropout": (lambda v: _is_number(v, 0.0, 1.0), "a number from 0 to 1"),
}
_PREPROCESSING_CHECKS = {
    "input_size": (lambda v: _is_int(v, 16, 4096), "an integer from 16 to 4096 (pixels)"),
    "grayscale": (lambda v: isinstance(v, bool), "true or false"),
    "align": (lambda v: isinstance(v, bool), "true or false"),
    "mean": (lambda v: isinstance(v, (list, tuple)) and len(v) == 3 and all(_is_number(x, -1e3, 1e3) for x in v),
             "a list of 3 finite numbers"),
    "std": (lambda v: isinstance(v, (list, tuple)) and len(v) == 3 and all(_is_number(x, 1e-6, 1e3) for x in v),
            "a list of 3 positive finite numbers"),
    "crop_margin": (lambda v: _is_number(v, 0.0, 10.0), "a number from 0 to 10"),
}


def config_problem(config: Any) -> str | None:
    """What is wrong with a checkpoint's model_config, in a few words (None: nothing)."""
    if not isinstance(config, dict):
        return ("no model_config (the network's size and preprocessing)" if config is None
                else f"model_config must be a mapping, got {type(config).__name__}")
    preprocessing = config.get("preprocessing", {})
    if not isinstance(preprocessing, dict):
        return f"model_config.preprocessing must be a mapping, got {type(preprocessing).__name__}"
    for where, values, checks in (("model_config", config, _CONFIG_CHECKS),
                                  ("model_config.preprocessing", preprocessing, _PREPROCESSING_CHECKS)):
        for key, (ok, allowed) in checks.items():
            if key in values and not ok(values[key]):
                return f"{where}.{key} must be {allowed}, got {values[key]!r}"
    return None


def weights_problem(state: Any) -> str | None:
    """What is wrong with a checkpoint's state_dict beyond its shapes (None: nothing):
    NaN or infinite weights make every prediction NaN."""
    if not isinstance(state, dict) or not state:
        return "no state_dict (the weights)"
    for key, value in state.items():
        if not isinstance(value, torch.Tensor):
            return f"weight {key} is not a tensor ({type(value).__name__})"
        if value.is_floating_point() and not bool(torch.isfinite(value).all()):
            return f"weight {key} holds NaN or infinite values (a diverged training run?)"
    return None


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
