"""Average the weights of checkpoints from one training run (weight averaging, a "uniform soup").

    python -m experiments.average --config configs/pretrain.yaml --out runs/average.pt A.pt B.pt [C.pt ...]

Checkpoints along one run (or a run and its continuation) sit in one basin of the loss; their
mean often generalises better than any of them (Izmailov et al. 2018, SWA; Wortsman et al. 2022,
model soups). Every floating-point tensor is averaged; BatchNorm statistics of averaged weights
are not the average of the statistics, so they are re-estimated on training batches of the
config's data (``training.bn_recalibration_batches``), as the trainer does after each epoch. Then
calibrate and validate the result like any trained checkpoint (weights/README.md).
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

import torch

from model.checkpoint import CheckpointError, load_model, pick_device, save_checkpoint
from model.data.errors import DatasetError
from model.training import ConfigError, load_config, recalibrate_batchnorm, settings, training_loader, training_set


def average_weights(paths: list[str | Path]) -> torch.nn.Module:
    """The first checkpoint's model carrying the mean of every checkpoint's float tensors."""
    if len(paths) < 2:
        raise CheckpointError("averaging needs at least two checkpoints")
    model, _ = load_model(paths[0])
    states = [model.state_dict()]
    for path in paths[1:]:
        other, _ = load_model(path)
        if other.config != model.config:
            raise CheckpointError(f"{path}: model settings differ from {paths[0]}'s ({other.config} vs {model.config})")
        states.append(other.state_dict())
    mean = {k: torch.stack([s[k] for s in states]).mean(0) if v.is_floating_point() else v
            for k, v in states[0].items()}
    model.load_state_dict(mean)
    return model


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m experiments.average", description=__doc__.split("\n\n")[0])
    parser.add_argument("checkpoints", nargs="+", help="checkpoints of one architecture (two or more)")
    parser.add_argument("--config", required=True, help="training config: its data re-estimates BatchNorm")
    parser.add_argument("--out", required=True, help="where to write the averaged checkpoint")
    args = parser.parse_args(argv)
    try:
        cfg = load_config(args.config)
        model = average_weights(args.checkpoints)
        tcfg, _ = settings(cfg)
        batches = tcfg.bn_recalibration_batches
        device = pick_device(tcfg.device)
        loader = training_loader(cfg, model, training_set(cfg, model.config.preprocessing))
        recalibrate_batchnorm(model.to(device), loader, device, batches)
        out = save_checkpoint(args.out, model.eval(), train_config=cfg,
                              averaged_from=[str(p) for p in args.checkpoints])
    except (ConfigError, DatasetError, CheckpointError, FileNotFoundError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(f"averaged {len(args.checkpoints)} checkpoints, BatchNorm re-estimated on {batches} training batches; "
          f"wrote {out} ({out.stat().st_size / 1e6:.1f} MB)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
