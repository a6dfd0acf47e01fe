"""Evaluate a checkpoint on a labelled dataset: metrics as JSON, per-sample predictions as CSV,
and a confusion-matrix PNG next to the JSON.

    python -m model.evaluate --weights weights/model.pt --dataset genki4k \\
        --root ../shared/datasets/genki4k --json runs/genki4k_test.json

Inference is the game's: a still face is a static window (its one backbone pass repeated
over the sequence), a clip is a window of its own frames (SequenceDataset, augment=False).
Each head is scored on the samples that carry its label; a set with both labels (a
manifest) reports both, nested under "smile" and "emotion".
"""
from __future__ import annotations

import argparse
import csv
import json
import logging
import sys
import time
from pathlib import Path

import numpy as np
import torch
from torch.utils.data import DataLoader
from tqdm import tqdm

from model.checkpoint import CheckpointError, load_model, pick_device, unwrap
from model.data import load_dataset
from model.data.errors import DatasetError
from model.errors import CompareError
from model.data.faceset import FaceSet
from model.data.sequences import SequenceDataset
from model.labels import EMOTIONS
from model.metrics import SMILE_CLASSES, emotion_metrics, expressive_metrics, expressive_non_smiles, smile_metrics
from model.files import replaced_atomically
from model.network import SmileEmotionNet
from model.preprocess import Preprocessing

# Per dataset: default split, default crop (None: faces come cropped, no --crop option),
# and the head the dataset is known for (its top-level "accuracy").
DATASET_DEFAULTS: dict[str, tuple[str | None, str | None, str]] = {
    "genki4k": ("test", "auto", "smile"),
    "smilesmiled": ("test", None, "smile"),
    "fer2013": ("test", None, "emotion"),
    "imagefolder": (None, "auto", "emotion"),
    "manifest": ("test", "auto", "emotion"),
}


@torch.inference_mode()
def evaluate(model: SmileEmotionNet, faceset: FaceSet, preprocessing: Preprocessing, batch_size: int = 256,
             device: str | torch.device = "cpu", tta_flip: bool = False, progress: bool = False,
             ) -> tuple[np.ndarray, np.ndarray]:
    """-> (smile probabilities (N,), emotion probabilities (N, 7)) for every item of ``faceset``.

    With ``tta_flip`` the mirrored faces are scored too and the probabilities averaged.
    The model is put in eval mode and given back in the mode it came in."""
    net = unwrap(model)
    device = torch.device(device)
    dataset = SequenceDataset(faceset, preprocessing, seq_len=net.config.seq_len, augment=False)
    # Items differ in frame count (stills 1, clips T): batched by hand in _predict.
    loader = DataLoader(dataset, batch_size=batch_size, shuffle=False, collate_fn=list)
    smile = np.zeros(len(faceset), np.float32)
    probs = np.zeros((len(faceset), len(EMOTIONS)), np.float32)
    was_training = net.training
    net.eval()
    try:
        for batch in tqdm(loader, desc="evaluating", unit="batch", disable=not progress):
            items = [static_window(item) if not faceset.is_clip(int(item["index"])) else item
                     for item in batch]
            frames = torch.cat([item["frames"] for item in items]).to(device)
            counts = [len(item["frames"]) for item in items]
            orders = [item["order"] for item in items]
            index = [int(item["index"]) for item in items]
            s, p = _predict(net, frames, counts, orders)
            if tta_flip:
                s_flip, p_flip = _predict(net, frames.flip(-1), counts, orders)
                s, p = (s + s_flip) / 2, (p + p_flip) / 2
            smile[index], probs[index] = s.cpu().numpy(), p.cpu().numpy()
    finally:
        net.train(was_training)
    return smile, probs


def static_window(item: dict) -> dict:
    """A still's views are all the same face without augmentation (SequenceDataset repeats it
    to K = T when the set also holds clips): keep one view, so one backbone pass per image."""
    return {**item, "frames": item["frames"][:1], "order": torch.zeros_like(item["order"])}


def _predict(net: SmileEmotionNet, frames: torch.Tensor, counts: list[int],
             orders: list[torch.Tensor]) -> tuple[torch.Tensor, torch.Tensor]:
    """One backbone pass over all frames of the batch, then each item's window of features."""
    feats = net.embed(frames).split(counts)
    windows = torch.stack([f[order.to(f.device)] for f, order in zip(feats, orders)])
    out = net.temporal(windows)
    return out.smile, out.emotion_probs


def head_metrics(faceset: FaceSet, smile: np.ndarray, probs: np.ndarray) -> dict[str, dict]:
    """Metrics of each head that has labels in ``faceset``: {"smile": ..., "emotion": ...}."""
    out = {}
    if faceset.has_smile.any():
        out["smile"] = smile_metrics(faceset.smile, smile, intervals=True)
    if faceset.has_emotion.any():
        out["emotion"] = emotion_metrics(faceset.emotion, probs, intervals=True)
    if expressive_non_smiles(faceset).any():  # emotions that must not read as a smile
        out["expressive"] = expressive_metrics(faceset.emotion, faceset.smile, smile, intervals=True)
    return out


def build_report(faceset: FaceSet, heads: dict[str, dict], known_for: str, **info) -> dict:
    """The JSON report. One labelled head: its metrics at the top level. Both: nested under
    "smile" / "emotion", with the top-level "accuracy" that of the head the dataset is known for."""
    head = known_for if known_for in heads else next(iter(heads))
    report = {**info, "n": len(faceset), "faces_not_found": int((~faceset.face_found).sum()),
              "skipped": len(faceset.skipped), "head": head}
    if len(heads.keys() & {"smile", "emotion"}) == 1:
        report.update(heads[head], **{k: v for k, v in heads.items() if k != head})
    else:
        report.update(accuracy=heads[head]["accuracy"], **heads)
    report["skipped_items"] = list(faceset.skipped)
    return report


def json_safe(value):
    """NaN (e.g. AUC of a one-class set) -> null: JSON has no NaN."""
    if isinstance(value, float) and value != value:
        return None
    if isinstance(value, dict):
        return {k: json_safe(v) for k, v in value.items()}
    if isinstance(value, list):
        return [json_safe(v) for v in value]
    return value


def write_json(path: str | Path, report: dict) -> Path:
    """``report`` as indented UTF-8 JSON (NaN as null), written whole, its folder made if needed."""
    path = Path(path)
    with replaced_atomically(path, private=False, encoding="utf-8") as f:
        f.write(json.dumps(json_safe(report), indent=2, ensure_ascii=False) + "\n")
    return path


def positive_int(text: str) -> int:
    """argparse type of a count such as --batch-size."""
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, got {value}")
    return value


def write_predictions(path: Path, faceset: FaceSet, smile: np.ndarray, probs: np.ndarray) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f)
        writer.writerow(["path", "label_smile", "emotion", "face_found", "smile", "pred_emotion",
                         *(f"p_{name}" for name in EMOTIONS)])
        for i in range(len(faceset)):
            label_smile = "" if np.isnan(faceset.smile[i]) else f"{faceset.smile[i]:g}"
            emotion = EMOTIONS[faceset.emotion[i]] if faceset.emotion[i] >= 0 else ""
            writer.writerow([faceset.paths[i], label_smile, emotion, int(faceset.face_found[i]),
                             f"{smile[i]:.6f}", EMOTIONS[int(probs[i].argmax())],
                             *(f"{p:.6f}" for p in probs[i])])


def read_predictions(path: Path) -> dict[str, np.ndarray]:
    """A CSV of write_predictions -> columns: path, smile label (NaN = none), smile score,
    emotion label and prediction (-1 = none)."""
    try:
        with path.open(newline="", encoding="utf-8") as f:
            rows = list(csv.DictReader(f))
    except OSError as exc:
        raise DatasetError(f"{path}: cannot read ({exc.strerror or exc})") from None
    need = {"path", "label_smile", "emotion", "smile", "pred_emotion"}
    if not rows or not need <= set(rows[0]):
        raise DatasetError(f"{path}: not a model.evaluate --predictions file (needs columns {', '.join(sorted(need))})")
    index = {name: i for i, name in enumerate(EMOTIONS)}
    return {
        "path": np.array([r["path"] for r in rows]),
        "label_smile": np.array([float(r["label_smile"]) if r["label_smile"] else np.nan for r in rows]),
        "smile": np.array([float(r["smile"]) for r in rows]),
        "emotion": np.array([index.get(r["emotion"], -1) for r in rows]),
        "pred_emotion": np.array([index[r["pred_emotion"]] for r in rows]),
    }


def check_same_faces(before: dict, after: dict, paths: tuple[Path, Path]) -> None:
    """CompareError unless two read_predictions tables hold the same faces, in the same order,
    with the same labels (two checkpoints' predictions on one set)."""
    if len(before["path"]) != len(after["path"]) or (before["path"] != after["path"]).any():
        raise CompareError(f"{paths[1]}: its rows are not the faces of {paths[0]} in the same order")
    for key in ("label_smile", "emotion"):
        if not np.array_equal(before[key], after[key], equal_nan=key == "label_smile"):
            raise CompareError(f"{paths[1]}: its labels differ from those of {paths[0]}")


def plot_confusion(path: Path, heads: dict[str, dict], title: str) -> None:
    """One panel per head: counts in the cells, colour = share of the row (the true class)."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    panels = [(name, heads[name]) for name in ("smile", "emotion") if name in heads]
    widths = [2 if name == "smile" else len(EMOTIONS) for name, _ in panels]
    fig = Figure(figsize=(2.4 + 0.75 * sum(widths), 2.4 + 0.5 * max(widths)))
    FigureCanvasAgg(fig)
    axes = fig.subplots(1, len(panels), squeeze=False, gridspec_kw={"width_ratios": widths})[0]
    for ax, (name, metrics) in zip(axes, panels):
        labels = SMILE_CLASSES if name == "smile" else EMOTIONS
        counts = np.asarray(metrics["confusion"], dtype=np.float64)
        share = counts / np.maximum(counts.sum(axis=1, keepdims=True), 1)
        ax.imshow(share, cmap="Blues", vmin=0, vmax=1)
        for r in range(len(labels)):
            for c in range(len(labels)):
                ax.text(c, r, f"{int(counts[r, c])}", ha="center", va="center", fontsize=8,
                        color="white" if share[r, c] > 0.6 else "black")
        ax.set_xticks(range(len(labels)), labels, rotation=45, ha="right")
        ax.set_yticks(range(len(labels)), labels)
        ax.set_xlabel("predicted")
        ax.set_ylabel("true")
        rule = " (smile > 0.5)" if name == "smile" else ""
        ax.set_title(f"{name}: accuracy {metrics['accuracy']:.3f}{rule}", fontsize=9)
    fig.suptitle(title, fontsize=10)
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110)


def confusion_png_path(json_path: Path) -> Path:
    return json_path.with_name(json_path.stem + ".confusion.png")


def load_eval_set(dataset: str, root: str, split: str | None, crop: str | None, ferplus: str | None,
                  preprocessing: Preprocessing, val_fold: int | None = None) -> FaceSet:
    kwargs: dict = {}
    if val_fold is not None:
        kwargs["val_fold"] = val_fold
    if crop is not None:
        kwargs["crop"] = crop
    if ferplus is not None:
        kwargs.update(ferplus=ferplus, label_source="ferplus", ferplus_for=("emotion", "smile"))
    return load_dataset(dataset, Path(root), split, preprocessing, **kwargs)


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m model.evaluate", description=__doc__.split("\n\n")[0])
    parser.add_argument("--weights", required=True, help="checkpoint written by model.train")
    parser.add_argument("--dataset", required=True, choices=sorted(DATASET_DEFAULTS))
    parser.add_argument("--root", required=True, help="the dataset as published (manifest: the csv file)")
    parser.add_argument("--split", help="default: test (imagefolder: every image)")
    parser.add_argument("--crop", choices=("detect", "auto", "none"),
                        help="face cropping for uncropped images; default auto (detect, else whole "
                             "image); smilesmiled and fer2013 come cropped")
    parser.add_argument("--val-fold", type=positive_int,
                        help="genki4k, smilesmiled: the validation fold of --split val (training used 1)")
    parser.add_argument("--ferplus", help="fer2013new.csv: score head 2 against FER+ majority labels, and head 1 "
                             "against smile labels where the annotators agree (model.data.fer2013)")
    parser.add_argument("--tta-flip", action="store_true", help="average with the mirrored face")
    parser.add_argument("--batch-size", type=positive_int, default=256)
    parser.add_argument("--device", default="auto", help="auto, cpu, cuda, cuda:1, mps")
    parser.add_argument("--json", required=True, help="where to write the metrics")
    parser.add_argument("--predictions", help="optional CSV with one row per sample")
    args = parser.parse_args(argv)
    default_split, default_crop, _ = DATASET_DEFAULTS[args.dataset]
    if args.crop is None:
        args.crop = default_crop
    elif default_crop is None and args.crop != "none":
        parser.error(f"--crop {args.crop}: {args.dataset} faces come cropped (use --crop none or leave it out)")
    elif default_crop is None:
        args.crop = None
    if args.val_fold is not None and args.dataset not in ("genki4k", "smilesmiled"):
        parser.error("--val-fold applies to --dataset genki4k and smilesmiled only")
    if args.ferplus is not None and args.dataset != "fer2013":
        parser.error("--ferplus applies to --dataset fer2013 only")
    if args.split is None:
        args.split = default_split
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s: %(message)s")
    try:
        device = pick_device(args.device)
        model, _ = load_model(args.weights, device)
        start = time.perf_counter()
        faceset = load_eval_set(args.dataset, args.root, args.split, args.crop, args.ferplus,
                                model.config.preprocessing, args.val_fold)
        load_seconds = time.perf_counter() - start
        if len(faceset) == 0:
            raise DatasetError(f"{args.root}: nothing to evaluate ({len(faceset.skipped)} files skipped)")
        start = time.perf_counter()
        smile, probs = evaluate(model, faceset, model.config.preprocessing, args.batch_size, device,
                                tta_flip=args.tta_flip, progress=True)
        seconds = time.perf_counter() - start
        heads = head_metrics(faceset, smile, probs)
        if not heads:
            raise DatasetError(f"{args.root}: no sample carries a smile or emotion label")
        report = build_report(
            faceset, heads, DATASET_DEFAULTS[args.dataset][2],
            dataset=args.dataset, split=args.split, root=str(args.root), weights=str(args.weights),
            crop=args.crop, val_fold=args.val_fold, ferplus=args.ferplus, tta_flip=args.tta_flip, device=str(device),
            seconds=round(seconds, 3), load_seconds=round(load_seconds, 3))
        json_path = write_json(args.json, report)
        plot_confusion(confusion_png_path(json_path), heads,
                       f"{args.dataset} {args.split or ''} — {Path(args.weights).name}")
        if args.predictions:
            write_predictions(Path(args.predictions), faceset, smile, probs)
    except (CheckpointError, DatasetError, OSError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(summary(report, heads))
    return 0


# One summary phrase per head, filled from its metrics.
HEAD_SUMMARY = {"smile": "smile acc {accuracy:.4f} auc {auc:.4f} (best {best_accuracy:.4f} at {best_threshold:.3f})",
                "emotion": "emotion acc {accuracy:.4f} macro-F1 {macro_f1:.4f}",
                "expressive": "false smiles {false_smile_rate:.4f} of {expressive_faces} expressive faces, "
                              "happy-vs-rest auc {happy_vs_rest_auc:.4f}"}


def summary(report: dict, heads: dict[str, dict]) -> str:
    parts = [f"{report['dataset']} {report['split'] or 'all'}: n={report['n']}",
             f"faces not found {report['faces_not_found']}"]
    parts += [phrase.format(**heads[head]) for head, phrase in HEAD_SUMMARY.items() if head in heads]
    parts.append(f"{report['seconds']:.1f} s")
    return ", ".join(parts)

if __name__ == "__main__":
    sys.exit(main())
