"""Ablations: short training runs that differ from a baseline in one setting each,
scored on the VALIDATION sets (GENKI-4K / SMILEsmileD fold 1, FER2013 PublicTest),
never on a test set.

    python -m experiments.ablate --config configs/pretrain.yaml --out runs/ablate \\
        [key=value ...] [--variants baseline scratch ...]

The key=value overrides (e.g. data.max_per_dataset=2500 training.epochs=3) set the
budget of every run; put them before --variants, which takes every word after it.
Runs already finished in --out are reused, so the command can be resumed. Writes
OUT/ablation.csv and OUT/ablation.md (a table for the model card).
"""
from __future__ import annotations

import argparse
import copy
import csv
import sys
from pathlib import Path

from model.checkpoint import CheckpointError, load_model, pick_device
from model.data.errors import DatasetError
from model.training import ConfigError, apply_override, load_config, load_sets, train, validate

# name -> (what differs from the baseline, overrides)
VARIANTS: dict[str, tuple[str, list[str]]] = {
    "baseline": ("ImageNet init, 64 px, FER2013 labels, fixed weights, 2 views per still", []),
    "scratch": ("backbone from scratch", ["model.imagenet_weights=null"]),
    "ferplus": ("FER+ vote distributions as head-2 targets",
                ["data.train.fer2013.ferplus=ferplus/fer2013new.csv"]),
    "size48": ("input 48 px", ["model.preprocessing.input_size=48"]),
    "size96": ("input 96 px", ["model.preprocessing.input_size=96"]),
    "size112": ("input 112 px", ["model.preprocessing.input_size=112"]),
    "adaptive": ("adaptive loss weights (Kendall et al.)", ["training.loss.adaptive=true"]),
    "views1": ("1 view per still (static window)", ["data.still_views=1"]),
    "views10": ("10 views per still (a new jitter every frame)", ["data.still_views=10"]),
    "noaug": ("no augmentation (identical views: a static window, like views1)", ["data.augment=false"]),
    "colour": ("colour input (grey only where the data is grey)", ["model.preprocessing.grayscale=false"]),
}


def run_variant(base: dict, name: str, out: Path) -> dict:
    cfg = copy.deepcopy(base)
    for item in VARIANTS[name][1]:
        apply_override(cfg, item)
    cfg["training"]["out_dir"] = str(out / name)
    rows_path = out / name / "metrics.csv"
    if not (rows_path.exists() and len(list(csv.DictReader(rows_path.open()))) >= int(cfg["training"]["epochs"])):
        train(cfg, resume=True)
    rows = list(csv.DictReader(rows_path.open()))
    best = max(rows, key=lambda r: float(r["val_score"]))
    return {"variant": name, "change": VARIANTS[name][0], "epochs": len(rows),
            "val_smile_acc": float(best["val_smile_acc"]), "val_smile_auc": float(best["val_smile_auc"]),
            "val_emotion_acc": float(best["val_emotion_acc"]), "val_emotion_f1": float(best["val_emotion_f1"]),
            "val_score": float(best["val_score"]),
            "epoch_seconds": sum(float(r["epoch_seconds"]) for r in rows) / len(rows)}


def tta_row(base: dict, out: Path) -> dict:
    """Test-time flip on the baseline's best checkpoint (no training)."""
    model, _ = load_model(out / "baseline" / "best.pt")
    val_sets = load_sets(base["data"], "val", 0, model.config.preprocessing)
    metrics = validate(model, val_sets, pick_device("auto"), 256, tta_flip=True)
    return {"variant": "baseline+flip", "change": "baseline, test-time horizontal flip averaged",
            "epochs": "", **{k: metrics[k] for k in ("val_smile_acc", "val_smile_auc", "val_emotion_acc",
                                                      "val_emotion_f1", "val_score")}, "epoch_seconds": ""}


def write_tables(rows: list[dict], out: Path) -> None:
    with (out / "ablation.csv").open("w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=list(rows[0]), lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
    lines = ["| variant | change | smile acc | smile AUC | emotion acc | emotion macro-F1 | s/epoch |",
             "|---|---|---|---|---|---|---|"]
    for r in rows:
        sec = f"{r['epoch_seconds']:.0f}" if r["epoch_seconds"] != "" else "–"
        lines.append(f"| {r['variant']} | {r['change']} | {r['val_smile_acc']:.3f} | {r['val_smile_auc']:.3f} | "
                     f"{r['val_emotion_acc']:.3f} | {r['val_emotion_f1']:.3f} | {sec} |")
    (out / "ablation.md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--config", default="configs/pretrain.yaml")
    parser.add_argument("--out", default="runs/ablate")
    parser.add_argument("--variants", nargs="+", default=list(VARIANTS), choices=list(VARIANTS))
    parser.add_argument("overrides", nargs="*", help="budget for every run, e.g. training.epochs=3")
    args = parser.parse_args(argv)
    out = Path(args.out)
    try:
        base = load_config(args.config, args.overrides)
        rows = [run_variant(base, name, out) for name in args.variants]
        if "baseline" in args.variants:
            rows.append(tta_row(base, out))
    except (ConfigError, DatasetError, CheckpointError, FileNotFoundError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    write_tables(rows, out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
