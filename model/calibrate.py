"""Calibrate the smile score on validation data and write the checkpoint to ship.

    python -m model.calibrate --weights runs/main/best.pt --out weights/smile_emotion.pt \\
        [--genki ../shared/datasets/genki4k --val-fold 1]

The game reads "smile > threshold" with thresholds 0.5–0.9, so 0.5 must mean "as
likely a smile as not". Platt scaling fits sigmoid(a * logit + b) to the labels of
a validation fold (GENKI-4K fold 1 by default: photos in the wild, the closest to a
webcam; never fold 0, the test set). Because head 1 is linear, a and b fold into its
weights (W' = aW, c' = ac + b): the shipped model needs no extra step at run time.
The output keeps weights and settings only (no optimiser state), so it stays small.

--align turns on eye levelling in the checkpoint's preprocessing (model.face.square_crop):
the game and every loader then cut faces level, and the fit is made on such crops.
"""
from __future__ import annotations

import argparse
import sys
from dataclasses import replace
from pathlib import Path

import numpy as np
import torch

from model.checkpoint import CheckpointError, load_model, save_checkpoint
from model.data import load_dataset
from model.data.errors import DatasetError
from model.evaluate import evaluate
from model.metrics import smile_metrics


def fit_platt(logits: np.ndarray, labels: np.ndarray, steps: int = 500) -> tuple[float, float]:
    """(a, b) minimising the log-loss of sigmoid(a * logit + b) against 0/1 labels."""
    x = torch.tensor(logits, dtype=torch.float64)
    y = torch.tensor(labels, dtype=torch.float64)
    params = torch.tensor([1.0, 0.0], dtype=torch.float64, requires_grad=True)
    opt = torch.optim.LBFGS([params], max_iter=steps, line_search_fn="strong_wolfe")

    def closure():
        opt.zero_grad()
        loss = torch.nn.functional.binary_cross_entropy_with_logits(params[0] * x + params[1], y)
        loss.backward()
        return loss

    opt.step(closure)
    a, b = params.detach().tolist()
    return a, b


def fold_into_head(head: torch.nn.Linear, a: float, b: float) -> None:
    with torch.no_grad():
        head.weight.mul_(a)
        head.bias.mul_(a).add_(b)


def logit(p: np.ndarray) -> np.ndarray:
    p = np.clip(p.astype(np.float64), 1e-7, 1 - 1e-7)
    return np.log(p / (1 - p))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--weights", required=True, help="checkpoint from model.train")
    parser.add_argument("--out", required=True, help="calibrated checkpoint to write")
    parser.add_argument("--genki", default="../shared/datasets/genki4k", help="GENKI-4K as published")
    parser.add_argument("--val-fold", type=int, default=1, help="fold to fit on (never 0: the test set)")
    parser.add_argument("--align", action="store_true", help="from now on cut faces with the eyes level")
    args = parser.parse_args(argv)
    try:
        model, ckpt = load_model(args.weights)
        if args.align:
            model.config = replace(model.config, preprocessing=replace(model.config.preprocessing, align=True))
        val = load_dataset("genki4k", args.genki, "val", model.config.preprocessing, val_fold=args.val_fold,
                           crop="auto")
    except (CheckpointError, DatasetError, FileNotFoundError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    scores, _ = evaluate(model, val, model.config.preprocessing)
    labels = val.smile >= 0.5
    before = smile_metrics(labels, scores)
    a, b = fit_platt(logit(scores), labels.astype(np.float64))
    fold_into_head(model.smile_head, a, b)
    after = smile_metrics(labels, evaluate(model, val, model.config.preprocessing)[0])
    extra = {k: ckpt[k] for k in ("train_config", "metrics", "epoch") if k in ckpt}
    calibration = {"method": "platt", "a": a, "b": b, "fitted_on": f"genki4k fold {args.val_fold}",
                   "n": int(len(val)), "before": {k: before[k] for k in ("accuracy", "best_threshold", "best_accuracy")},
                   "after": {k: after[k] for k in ("accuracy", "best_threshold", "best_accuracy")}}
    if "calibration" in ckpt:  # calibrating a calibrated checkpoint: the fits compose, keep the earlier one
        calibration["previous"] = ckpt["calibration"]
    out = save_checkpoint(args.out, model, calibration=calibration, source=str(args.weights), **extra)
    print(f"platt a={a:.3f} b={b:.3f} on {len(val)} GENKI-4K fold-{args.val_fold} faces: accuracy at 0.5 "
          f"{before['accuracy']:.4f} -> {after['accuracy']:.4f} (best {after['best_accuracy']:.4f} at "
          f"{after['best_threshold']:.3f}); wrote {out} ({out.stat().st_size / 1e6:.1f} MB)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
