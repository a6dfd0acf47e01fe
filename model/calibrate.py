"""Calibrate the smile score on validation data and write the checkpoint to ship.

    python -m model.calibrate --weights runs/main/best.pt --out weights/smile_emotion.pt \\
        [--fit-on genki4k|validation] [--datasets ../shared/datasets] [--align]

The game reads "smile > threshold" with thresholds 0.5–0.9, so 0.5 must mean "as likely a smile as
not". Platt scaling fits sigmoid(a * logit + b) to validation smile labels (never a test set):

- ``--fit-on genki4k`` (v2.1's calibration): GENKI-4K fold 1, photos in the wild, every face
  weighing the same.
- ``--fit-on validation``: every validation set of model.eval_sets marked ``calibrates`` (GENKI-4K
  and SMILEsmileD fold 1, FER2013 PublicTest where FER+'s annotators agree, the KDEF and Taiwanese
  performers' validation subjects). Each set weighs the same, and within a set smiles and
  non-smiles weigh the same, so neither a set's size nor its share of smiles moves 0.5.

Because head 1 is linear, a and b fold into its weights (W' = aW, c' = ac + b): the shipped model
needs no extra step at run time. The output keeps weights and settings only (no optimiser
state), so it stays small.

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
from model.data.errors import DatasetError
from model.eval_sets import VALIDATION_SETS, EvalSet
from model.evaluate import evaluate, load_eval_set
from model.metrics import smile_metrics

FIT_ON = {
    "genki4k": tuple(s for s in VALIDATION_SETS if s.name == "val_genki4k_fold1"),
    "validation": tuple(s for s in VALIDATION_SETS if s.calibrates),
}
ROOT = Path(__file__).resolve().parents[1]


def fit_platt(logits: np.ndarray, labels: np.ndarray, weights: np.ndarray | None = None,
              steps: int = 500) -> tuple[float, float]:
    """(a, b) minimising the (weighted) log-loss of sigmoid(a * logit + b) against 0/1 labels."""
    x = torch.tensor(logits, dtype=torch.float64)
    y = torch.tensor(labels, dtype=torch.float64)
    w = None if weights is None else torch.tensor(weights / np.mean(weights), dtype=torch.float64)
    params = torch.tensor([1.0, 0.0], dtype=torch.float64, requires_grad=True)
    opt = torch.optim.LBFGS([params], max_iter=steps, line_search_fn="strong_wolfe")

    def closure():
        opt.zero_grad()
        loss = torch.nn.functional.binary_cross_entropy_with_logits(params[0] * x + params[1], y, weight=w)
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


def balanced_weights(labels: np.ndarray) -> np.ndarray:
    """Per-face weights that give a set's smiles and non-smiles half of its weight each."""
    weights = np.zeros(len(labels))
    for value in (True, False):
        chosen = labels == value
        if chosen.any():
            weights[chosen] = 0.5 / chosen.sum()
    return weights / weights.sum()


def accuracy_at_half(scores: np.ndarray, labels: np.ndarray) -> float:
    return float(((scores > 0.5) == labels).mean())


def score_sets(model, sets: tuple[EvalSet, ...], datasets: Path) -> list[tuple[str, np.ndarray, np.ndarray]]:
    """(name, smile scores, smile labels) of each set's faces that carry a smile label."""
    scored = []
    for s in sets:
        ferplus = None if s.ferplus is None else str(datasets / s.ferplus)
        faces = load_eval_set(s.dataset, str(datasets / s.root), s.split, s.crop, ferplus,
                              model.config.preprocessing, s.val_fold)
        labelled = ~np.isnan(faces.smile)
        if not labelled.any():
            raise DatasetError(f"{datasets / s.root}: no smile label in {s.name} to calibrate on")
        scores, _ = evaluate(model, faces, model.config.preprocessing)
        scored.append((s.name, scores[labelled], faces.smile[labelled] >= 0.5))
    return scored


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--weights", required=True, help="checkpoint from model.train")
    parser.add_argument("--out", required=True, help="calibrated checkpoint to write")
    parser.add_argument("--fit-on", choices=sorted(FIT_ON), default="genki4k",
                        help="which validation smile labels place 0.5 (default: genki4k, v2.1's)")
    parser.add_argument("--datasets", type=Path, default=ROOT.parent / "shared" / "datasets",
                        help="the datasets folder (../shared/datasets)")
    parser.add_argument("--align", action="store_true", help="from now on cut faces with the eyes level")
    args = parser.parse_args(argv)
    try:
        model, ckpt = load_model(args.weights)
        if args.align:
            model.config = replace(model.config, preprocessing=replace(model.config.preprocessing, align=True))
        scored = score_sets(model, FIT_ON[args.fit_on], args.datasets)
    except (CheckpointError, DatasetError, FileNotFoundError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    scores = np.concatenate([s for _, s, _ in scored])
    labels = np.concatenate([y for _, _, y in scored])
    # one set: every face weighs the same (v2.1's fit); several: each set and each class alike
    weights = None if len(scored) == 1 else np.concatenate([balanced_weights(y) / len(scored) for _, _, y in scored])
    a, b = fit_platt(logit(scores), labels.astype(np.float64), weights)
    fold_into_head(model.smile_head, a, b)
    per_set = {}
    for name, raw, y in scored:
        calibrated = 1 / (1 + np.exp(-(a * logit(raw) + b)))
        per_set[name] = {"n": int(len(y)), "before": accuracy_at_half(raw, y), "after": accuracy_at_half(calibrated, y),
                         "best": smile_metrics(y, raw)["best_accuracy"]}
        print(f"{name}: {len(y)} faces, accuracy at 0.5 {per_set[name]['before']:.4f} -> "
              f"{per_set[name]['after']:.4f} (best {per_set[name]['best']:.4f})")
    extra = {k: ckpt[k] for k in ("train_config", "metrics", "epoch") if k in ckpt}
    calibration = {"method": "platt", "a": a, "b": b, "fitted_on": args.fit_on,
                   "sets": per_set, "n": int(len(labels)), "balanced": weights is not None}
    if "calibration" in ckpt:  # calibrating a calibrated checkpoint: the fits compose, keep the earlier one
        calibration["previous"] = ckpt["calibration"]
    out = save_checkpoint(args.out, model, calibration=calibration, source=str(args.weights), **extra)
    print(f"platt a={a:.3f} b={b:.3f} on {len(labels)} faces of {', '.join(per_set)}; "
          f"wrote {out} ({out.stat().st_size / 1e6:.1f} MB)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
