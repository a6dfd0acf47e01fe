"""Training as a library: the validated config (TrainingSettings, DataSettings), the training data,
validation, and the training loop. ``python -m model.train`` is its command line; ``experiments.ablate``
and ``experiments.average`` use the same pieces.
"""
from __future__ import annotations

import csv
import math
import os
import random
import sys
import time
from dataclasses import MISSING, dataclass, field, fields, replace
from functools import partial
from pathlib import Path
from typing import Callable

import numpy as np
import torch
import torch.distributed as dist
import yaml
from torch.nn.parallel import DistributedDataParallel
from torch.utils.data import DataLoader, DistributedSampler, RandomSampler, WeightedRandomSampler
from tqdm import tqdm

from model.checkpoint import CheckpointError, load_model, read_checkpoint, save_checkpoint, unwrap, pick_device
from model.data import load_dataset
from model.data.errors import DatasetError
from model.errors import ConfigError
from model.data.faceset import FaceSet
from model.data.sequences import ClipStillBatches, SequenceDataset, emotion_targets
from model.evaluate import evaluate
from model.loss import LossConfig, MultiTaskLoss
from model.metrics import emotion_metrics, expressive_non_smiles, smile_metrics
from model.network import ModelConfig, SmileEmotionNet
from model.preprocess import Preprocessing


# ---------------------------------------------------------------- settings
HEADS = ("smile", "emotion")
SECTIONS = ("name", "model", "init_from", "init_input_size", "data", "training")


def checked(cls, section: dict | None, where: str):
    """An instance of the settings dataclass ``cls`` from a YAML section: every key known, every
    value of its field's kind (numbers finite), the defaults of ``cls`` for what is left out."""
    section = dict(section or {})
    known = {f.name: f for f in fields(cls)}
    unknown = sorted(set(section) - set(known))
    if unknown:
        raise ConfigError(f"{where}: unknown setting(s) {', '.join(unknown)} (known: {', '.join(known)})")
    missing = [n for n, f in known.items() if n not in section and f.default is MISSING
               and f.default_factory is MISSING]
    if missing:
        raise ConfigError(f"{where}: missing setting(s) {', '.join(missing)}")
    values = {}
    for name, value in section.items():
        kind = known[name].metadata.get("kind")
        if kind is not None and value is not None:
            value = coerce(value, kind, f"{where}.{name}")
        values[name] = value
    return cls(**values)


def coerce(value, kind: type, where: str):
    """``value`` as ``kind`` (int, float, bool or str), or ConfigError naming the key."""
    if kind is bool:
        if not isinstance(value, bool):
            raise ConfigError(f"{where} must be true or false, got {value!r}")
        return value
    if kind is str:
        if not isinstance(value, str):
            raise ConfigError(f"{where} must be text, got {value!r}")
        return value
    if isinstance(value, str):  # YAML reads 1e-5 (no dot) as text
        try:
            value = float(value)
        except ValueError:
            raise ConfigError(f"{where} must be a number, got {value!r}") from None
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ConfigError(f"{where} must be a number, got {value!r}")
    if not math.isfinite(value):
        raise ConfigError(f"{where} must be a finite number, got {value!r}")
    if kind is int and value != int(value):
        raise ConfigError(f"{where} must be a whole number, got {value!r}")
    return kind(value)


def setting(default=MISSING, kind: type | None = None):
    return field(default=default, metadata={"kind": kind})


@dataclass(frozen=True)
class TrainingSettings:
    """The ``training`` section: each default here and nowhere else."""
    out_dir: str = setting(kind=str)
    epochs: int = setting(kind=int)
    batch_size: int = setting(kind=int)
    lr: float = setting(kind=float)
    min_lr: float = setting(0.0, float)
    warmup_epochs: float = setting(0.0, float)
    weight_decay: float = setting(0.0, float)
    grad_clip: float | None = setting(None, float)          # None: no clipping
    bn_recalibration_batches: int = setting(50, int)        # BatchNorm re-estimated after each epoch
    num_workers: int = setting(0, int)
    device: str = setting("auto", str)
    seed: int = setting(0, int)
    loss: dict | None = setting(None)                       # LossConfig's keys

    def __post_init__(self):
        if self.epochs < 1 or self.batch_size < 1 or self.lr <= 0 or self.min_lr < 0 or self.num_workers < 0:
            raise ConfigError("training: epochs and batch_size must be >= 1, lr > 0, min_lr and num_workers >= 0")
        try:
            self.loss_config
        except (TypeError, ValueError) as exc:
            raise ConfigError(f"training.loss: {exc}") from None

    @property
    def loss_config(self) -> LossConfig:
        return LossConfig.from_dict(self.loss)


@dataclass(frozen=True)
class DataSettings:
    """The ``data`` section: each default here and nowhere else. ``train`` and ``val`` list the
    datasets (kind, root, split and the loader's options; ``share`` or ``repeat``, ``max``)."""
    root: str = setting(".", str)            # dataset roots below are relative to this
    train: list | None = setting(None)
    val: list | None = setting(None)
    still_views: int = setting(2, int)       # backbone passes per still photo
    augment: bool = setting(True, bool)
    camera_augment: bool = setting(False, bool)
    hide_upper_face: float = setting(0.0, float)  # share of samples with brows and eyes hidden (sequences.py)
    hide_mouth: float = setting(0.0, float)       # share with mouth and chin hidden
    max_per_dataset: int | None = setting(None, int)
    epoch_samples: int | None = setting(None, int)  # with shares: draws per epoch (default: the set's size)
    teacher: str | list | None = setting(None)      # a checkpoint, or a list whose mean teaches
    teacher_weight: float = setting(0.5, float)
    teacher_heads: list | tuple = setting(HEADS)
    # phase 2 shortcut (load_config turns it into train/val): a manifest split by subject
    manifest: str | None = setting(None, str)
    manifest_crop: str | None = setting(None, str)
    manifest_repeat: int | None = setting(None, int)
    subject: str | int | None = setting(None)
    replay: list | None = setting(None)

    def __post_init__(self):
        if not (0.0 <= self.hide_upper_face and 0.0 <= self.hide_mouth and self.hide_upper_face + self.hide_mouth <= 1.0):
            raise ConfigError(f"data.hide_upper_face and data.hide_mouth are probabilities summing to 1 at most, "
                              f"got {self.hide_upper_face} and {self.hide_mouth}")


def settings(cfg: dict) -> tuple[TrainingSettings, DataSettings]:
    """The checked ``training`` and ``data`` sections of a loaded config."""
    return checked(TrainingSettings, cfg["training"], "training"), checked(DataSettings, cfg["data"], "data")


# ---------------------------------------------------------------- config
def apply_override(cfg: dict, item: str) -> None:
    """'a.b.c=value' -> cfg['a']['b']['c'] = yaml-parsed value. In a list of datasets a part
    picks the entry of that kind: data.train.fer2013.ferplus=ferplus/fer2013new.csv."""
    key, sep, raw = item.partition("=")
    if not sep or not key:
        raise ConfigError(f"override '{item}' is not key=value")
    node = cfg
    *parents, leaf = key.split(".")
    for part in parents:
        if isinstance(node, list):
            node = next((entry for entry in node if isinstance(entry, dict) and entry.get("kind") == part), None)
            if node is None:
                raise ConfigError(f"override '{item}': no '{part}' dataset in the list")
        elif isinstance(node.get(part), (dict, list)):
            node = node[part]
        else:
            raise ConfigError(f"override '{item}': '{part}' is not a section of the config")
    if not isinstance(node, dict):
        raise ConfigError(f"override '{item}': '{key}' names a list, not a setting (pick a dataset by its kind)")
    node[leaf] = yaml.safe_load(raw)


def load_config(path: str | Path, overrides: list[str] = ()) -> dict:
    path = Path(path)
    try:
        cfg = yaml.safe_load(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(f"{path}: config file not found") from None
    except yaml.YAMLError as exc:
        raise ConfigError(f"{path}: not valid YAML ({str(exc).splitlines()[0]})") from None
    if not isinstance(cfg, dict) or not {"model", "data", "training"} <= set(cfg):
        raise ConfigError(f"{path}: needs sections model, data and training")
    for item in overrides:
        apply_override(cfg, item)
    unknown = sorted(set(cfg) - set(SECTIONS))
    if unknown:
        raise ConfigError(f"{path}: unknown section(s) {', '.join(unknown)} (known: {', '.join(SECTIONS)})")
    try:
        _, dcfg = settings(cfg)
    except ConfigError as exc:
        raise ConfigError(f"{path}: {exc}") from None
    if dcfg.subject is not None and not dcfg.manifest:
        raise ConfigError(f"{path}: data.subject needs data.manifest (the CSV holding that player's clips)")
    if dcfg.manifest:
        # data.subject: personalise on one player's clips, split by clip instead of by subject;
        # data.manifest_crop: none for files that are face crops already (game.record clips).
        options = {"crop": dcfg.manifest_crop or "auto"}
        if dcfg.subject is not None:
            options["subject"] = str(dcfg.subject)
        repeat = dcfg.manifest_repeat or 1
        cfg["data"]["train"] = [{"kind": "manifest", "root": dcfg.manifest, "split": "train", **options,
                                 **({"repeat": repeat} if repeat > 1 else {})}]
        # data.replay: phase-1 data mixed in (rehearsal) so the public benchmarks are not forgotten
        cfg["data"]["train"] += list(dcfg.replay or [])
        cfg["data"]["val"] = [{"kind": "manifest", "root": dcfg.manifest, "split": "val", **options}]
    if not cfg["data"].get("train"):
        raise ConfigError(f"{path}: data.train lists no dataset (set data.manifest=CSV for phase 2)")
    return cfg


# ---------------------------------------------------------------- data
def load_sets(data_cfg: dict, which: str, seed: int, preprocessing: Preprocessing,
              prepare: Callable[[FaceSet], FaceSet] | None = None) -> list[FaceSet]:
    """Load the data.train or data.val entries, each repeated/capped as configured, with
    faces cut as ``preprocessing`` (the model's) says; ``prepare`` goes over each set once,
    before it is repeated."""
    data = checked(DataSettings, data_cfg, "data")
    root = Path(data.root)
    sets = []
    for entry in getattr(data, which) or []:
        entry = dict(entry)
        kind, split = entry.pop("kind"), entry.pop("split", None)
        cap = entry.pop("max", None) or data.max_per_dataset
        repeat = int(entry.pop("repeat", 1))
        share = entry.pop("share", None)
        if share is not None and (repeat != 1 or not isinstance(share, (int, float)) or not 0 < share < math.inf):
            raise ConfigError(f"data.{which}: {kind} share must be a positive number and comes without repeat "
                              f"(got share {share!r}, repeat {repeat})")
        path = Path(entry.pop("root"))
        if entry.get("labels") and not Path(entry["labels"]).is_absolute():
            entry["labels"] = Path(entry["labels"])  # span labels: relative to where training runs
        if entry.get("ferplus") and not Path(entry["ferplus"]).is_absolute():
            entry["ferplus"] = root / entry["ferplus"]
        fs = load_dataset(kind, path if path.is_absolute() else root / path, split, preprocessing, **entry)
        if cap and len(fs) > cap:
            fs = fs.subset(np.random.default_rng(seed).choice(len(fs), cap, replace=False))
        if prepare is not None:
            fs = prepare(fs)
        if share is not None:  # the set's share of each epoch, spread evenly over its items
            fs = replace(fs, sample_weight=np.full(len(fs), share / max(1, len(fs)), np.float64))
        sets.append(FaceSet.concat([fs] * repeat, name=fs.name) if repeat > 1 else fs)
    if which == "train" and 0 < sum(s.sample_weight is not None for s in sets) < len(sets):
        raise ConfigError(f"data.{which}: give every dataset a share, or none")
    return sets


# ---------------------------------------------------------------- validation
@torch.no_grad()
def validate(model: SmileEmotionNet, val_sets: list[FaceSet], device: torch.device,
             batch_size: int, tta_flip: bool = False) -> dict[str, float]:
    """Pool each head over all validation sets; score = mean accuracy of the heads present."""
    smile_true, smile_score, emo_true, emo_prob, expressive = [], [], [], [], []
    for fs in val_sets:
        scores, probs = evaluate(model, fs, model.config.preprocessing, batch_size, device, tta_flip=tta_flip)
        smile_true.append(fs.smile[fs.has_smile])
        smile_score.append(scores[fs.has_smile])
        emo_true.append(fs.emotion[fs.has_emotion])
        emo_prob.append(probs[fs.has_emotion])
        expressive.append(scores[expressive_non_smiles(fs)])
    out: dict[str, float] = {}
    if sum(len(x) for x in expressive):  # what a player pays for: teeth and grimaces read as a smile
        out["val_false_smile"] = float(np.mean(np.concatenate(expressive) >= 0.5))
    accs = []
    if sum(len(x) for x in smile_true):
        m = smile_metrics(np.concatenate(smile_true) >= 0.5, np.concatenate(smile_score))
        out.update(val_smile_acc=m["accuracy"], val_smile_auc=m["auc"])
        accs.append(m["accuracy"])
    if sum(len(x) for x in emo_true):
        m = emotion_metrics(np.concatenate(emo_true), np.concatenate(emo_prob))
        out.update(val_emotion_acc=m["accuracy"], val_emotion_f1=m["macro_f1"])
        accs.append(m["accuracy"])
    out["val_score"] = float(np.mean(accs)) if accs else float("nan")
    return out


@torch.no_grad()
def recalibrate_batchnorm(model: SmileEmotionNet, loader: DataLoader, device: torch.device, batches: int) -> None:
    """Re-estimate BatchNorm statistics for the current weights.

    With MobileNetV3's BN momentum (0.01, as torchvision) the running statistics
    average over ~100 steps of weights that keep moving; measured after one epoch,
    they cut validation smile AUC from 0.89 (batch statistics) to 0.41. An exact
    average over a few training batches at the final weights fixes that."""
    norms = [m for m in model.modules() if isinstance(m, torch.nn.modules.batchnorm._BatchNorm)]
    momenta = [m.momentum for m in norms]
    for m in norms:
        m.reset_running_stats()
        m.momentum = None  # cumulative moving average
    model.train()
    for i, batch in enumerate(loader):
        if i >= batches:
            break
        model(batch["frames"].to(device), batch["order"].to(device))
    for m, momentum in zip(norms, momenta):
        m.momentum = momentum


# ---------------------------------------------------------------- logging
def append_metrics(path: Path, row: dict) -> None:
    new = not path.exists()
    with path.open("a", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=list(row))
        if new:
            writer.writeheader()
        writer.writerow(row)


def plot_curves(csv_path: Path, png_path: Path) -> None:
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    with csv_path.open() as f:
        rows = list(csv.DictReader(f))
    if not rows:
        return
    epochs = [int(r["epoch"]) for r in rows]
    fig, (ax_loss, ax_acc) = plt.subplots(1, 2, figsize=(10, 4))
    for key in ("train_smile_loss", "train_emotion_loss", "train_total_loss"):
        ax_loss.plot(epochs, [float(r[key]) for r in rows], marker="o", label=key[6:])
    ax_loss.set(xlabel="epoch", ylabel="training loss", title="loss")
    for key in ("val_smile_acc", "val_emotion_acc", "val_score"):
        if key in rows[0] and rows[0][key] not in ("", "nan"):
            ax_acc.plot(epochs, [float(r[key]) for r in rows], marker="o", label=key[4:])
    ax_acc.set(xlabel="epoch", ylabel="validation accuracy", title="validation")
    for ax in (ax_loss, ax_acc):
        ax.grid(alpha=0.3)
        ax.legend()
    fig.tight_layout()
    fig.savefig(png_path, dpi=100)
    plt.close(fig)


# ---------------------------------------------------------------- training
def lr_factor(step: int, warmup: int, total: int, min_ratio: float) -> float:
    """Linear warm-up, then cosine decay to min_ratio."""
    if step < warmup:
        return (step + 1) / warmup
    progress = min(1.0, (step - warmup) / max(1, total - warmup))
    return min_ratio + (1 - min_ratio) * 0.5 * (1 + math.cos(math.pi * progress))


def training_set(cfg: dict, preprocessing: Preprocessing) -> FaceSet:
    """Every data.train entry (capped and repeated as configured) as one set, cut for a model
    with this preprocessing; with data.teacher, its labels softened by the teacher's."""
    tcfg, data = settings(cfg)
    prepare = None
    if data.teacher:
        named = data.teacher
        device = pick_device(tcfg.device)
        teachers = [load_model(path, device)[0] for path in ([named] if isinstance(named, str) else named)]
        prepare = partial(taught, teachers=teachers, weight=data.teacher_weight,
                          heads=tuple(data.teacher_heads))  # once per set, not per repeat
    return FaceSet.concat(load_sets(cfg["data"], "train", tcfg.seed, preprocessing, prepare), name="train")


def taught(faces: FaceSet, teachers: list[SmileEmotionNet], weight: float,
           heads: tuple[str, ...] = HEADS) -> FaceSet:
    """Self-distillation: each label of the named heads becomes (1 - weight) x the label +
    weight x the teachers' prediction: for each teacher the mean of the face and its mirror
    image (evaluate --tta-flip), then the mean over teachers. A head keeps its mask: a face still
    teaches only the heads it has labels for. Passing on the mirrored view's knowledge is what
    one pass could gain (weights/README.md)."""
    if not 0.0 <= weight <= 1.0:
        raise ConfigError(f"data.teacher_weight must be within 0..1, got {weight}")
    if not heads or set(heads) - set(HEADS):
        raise ConfigError(f"data.teacher_heads takes 'smile' and 'emotion', got {list(heads)}")
    predictions = [evaluate(t, faces, t.config.preprocessing, device=next(t.parameters()).device,
                            tta_flip=True, progress=True) for t in teachers]
    smile = np.mean([p[0] for p in predictions], axis=0)
    probs = np.mean([p[1] for p in predictions], axis=0)
    labels, has_emotion = emotion_targets(faces)
    smile_weight = weight if "smile" in heads else 0.0
    emotion_weight = weight if "emotion" in heads else 0.0
    soft = np.where(has_emotion[:, None], (1 - emotion_weight) * labels + emotion_weight * probs, 0.0)
    smile = (1 - smile_weight) * faces.smile + smile_weight * smile
    return replace(faces, smile=smile.astype(np.float32), emotion_soft=soft.astype(np.float32))


def training_loader(cfg: dict, model: SmileEmotionNet, train_set: FaceSet, distributed: bool = False) -> DataLoader:
    """Windows of the training set (augmented unless data.augment is false) at the model's input
    size, in random order."""
    tcfg, data = settings(cfg)
    seed, batch_size, workers = tcfg.seed, tcfg.batch_size, tcfg.num_workers
    weights = train_set.sample_weight
    if weights is not None:
        # Balanced sources: data.epoch_samples draws (with replacement) by each entry's share, in
        # batches that keep clips and stills apart, so a still costs its own views, not T.
        if distributed:
            raise ConfigError("data.train shares (weighted sampling) run in one process, not under torchrun")
        dataset = SequenceDataset(train_set, model.config.preprocessing, seq_len=model.config.seq_len,
                                  still_views=data.still_views, augment=data.augment, seed=seed,
                                  camera=data.camera_augment, clip_batches=True,
                                  hide_upper_face=data.hide_upper_face, hide_mouth=data.hide_mouth)
        draws = data.epoch_samples or len(train_set)
        # torch's global RNG draws (seeded by training.seed, saved in last.pt for --resume)
        sampler = WeightedRandomSampler(torch.as_tensor(weights, dtype=torch.double), draws)
        is_clip = np.array([train_set.is_clip(i) for i in range(len(train_set))])
        batches = ClipStillBatches(sampler, is_clip, batch_size, weights)
        return DataLoader(dataset, batch_sampler=batches, num_workers=workers)
    dataset = SequenceDataset(train_set, model.config.preprocessing, seq_len=model.config.seq_len,
                              still_views=data.still_views, augment=data.augment, seed=seed,
                              camera=data.camera_augment, hide_upper_face=data.hide_upper_face,
                              hide_mouth=data.hide_mouth)
    sampler = DistributedSampler(dataset, seed=seed) if distributed else RandomSampler(dataset)
    # Workers start afresh each epoch (not persistent): they copy the dataset with its epoch set,
    # and take their seeds from torch's RNG, so --resume continues the same draws.
    return DataLoader(dataset, batch_size=batch_size, sampler=sampler, drop_last=len(dataset) > batch_size,
                      num_workers=workers)


def build_model(cfg: dict) -> SmileEmotionNet:
    if cfg.get("init_from"):
        model, _ = load_model(cfg["init_from"])
        if cfg.get("init_input_size"):
            # Progressive resizing: the backbone ends in global pooling, so weights trained at
            # one input size go on training at another (weights/README.md measures why).
            prep = replace(model.config.preprocessing, input_size=int(cfg["init_input_size"]))
            model.config = replace(model.config, preprocessing=prep)
        return model.train()
    mcfg = dict(cfg["model"])
    imagenet = mcfg.pop("imagenet_weights", None)
    return SmileEmotionNet(ModelConfig.from_dict(mcfg), imagenet_weights=imagenet)


# What a run writes into training.out_dir: a folder holding any of them is an earlier run.
RUN_FILES = ("last.pt", "best.pt", "metrics.csv")
# Keys a resumed run may change: how long it runs and where it runs, not what it learns.
RESUMABLE_CHANGES = frozenset({"training.epochs", "training.num_workers", "training.device"})


def flat(cfg: dict, prefix: str = "") -> dict:
    """{'a.b.c': value} of a nested config (lists kept whole)."""
    out = {}
    for key, value in cfg.items():
        if isinstance(value, dict):
            out.update(flat(value, f"{prefix}{key}."))
        else:
            out[f"{prefix}{key}"] = value
    return out


def check_resumable(saved: dict | None, cfg: dict, where: Path) -> None:
    """ConfigError naming each setting that differs from the run being resumed (but its length)."""
    if not isinstance(saved, dict):
        raise ConfigError(f"{where}: holds no training config to resume")
    before, after = flat(saved), flat(cfg)
    changed = sorted(k for k in before.keys() | after.keys()
                     if before.get(k) != after.get(k) and k not in RESUMABLE_CHANGES)
    if changed:
        shown = "; ".join(f"{k}: {before.get(k)!r} -> {after.get(k)!r}" for k in changed[:5])
        raise ConfigError(f"{where}: --resume with settings that differ from the run's ({shown}); only "
                          f"{', '.join(sorted(RESUMABLE_CHANGES))} may change, else start a new training.out_dir")


def train(cfg: dict, resume: bool = False) -> dict:
    tcfg, _ = settings(cfg)
    ddp = int(os.environ.get("WORLD_SIZE", "1")) > 1
    rank = int(os.environ.get("RANK", "0"))
    device = pick_device(tcfg.device)
    if ddp:
        dist.init_process_group("nccl" if device.type == "cuda" else "gloo")
        if device.type == "cuda":
            device = torch.device("cuda", int(os.environ["LOCAL_RANK"]))
            torch.cuda.set_device(device)
        else:  # share the cores between the processes instead of oversubscribing them
            torch.set_num_threads(max(1, (os.cpu_count() or 2) // dist.get_world_size()))
    master = rank == 0
    seed = tcfg.seed
    torch.manual_seed(seed + rank)
    random.seed(seed + rank)
    np.random.seed(seed + rank)
    out_dir = Path(tcfg.out_dir)
    earlier = [name for name in RUN_FILES if (out_dir / name).exists()]
    if earlier and not resume:
        raise ConfigError(f"{out_dir}: holds an earlier run ({', '.join(earlier)}); continue it with --resume, "
                          f"or train into a new folder with training.out_dir=...")
    previous = read_checkpoint(out_dir / "last.pt") if resume and (out_dir / "last.pt").exists() else None
    if previous is not None:
        check_resumable(previous.get("train_config"), cfg, out_dir / "last.pt")
    if master:
        out_dir.mkdir(parents=True, exist_ok=True)
        for stale in out_dir.glob("*.pt.*.tmp"):  # a checkpoint write cut short by a kill (save_checkpoint)
            stale.unlink()
        (out_dir / "config.yaml").write_text(yaml.safe_dump(cfg, sort_keys=False, allow_unicode=True))

    model = build_model(cfg).to(device)
    criterion = MultiTaskLoss(tcfg.loss_config).to(device)
    train_set = training_set(cfg, model.config.preprocessing)
    val_sets = load_sets(cfg["data"], "val", seed, model.config.preprocessing) if master else []
    if master:
        print(f"train: {len(train_set)} samples ({int(train_set.has_smile.sum())} smile, "
              f"{int(train_set.has_emotion.sum())} emotion); skipped {len(train_set.skipped)}; "
              f"val: {', '.join(f'{s.name} {len(s)}' for s in val_sets) or 'none'}", flush=True)
    loader = training_loader(cfg, model, train_set, distributed=ddp)

    params = list(model.parameters()) + list(criterion.parameters())
    optimizer = torch.optim.AdamW(params, lr=tcfg.lr, weight_decay=tcfg.weight_decay)
    epochs = tcfg.epochs
    total_steps = epochs * len(loader)
    warmup = int(tcfg.warmup_epochs * len(loader))
    min_ratio = tcfg.min_lr / tcfg.lr
    scheduler = torch.optim.lr_scheduler.LambdaLR(optimizer, lambda s: lr_factor(s, warmup, total_steps, min_ratio))

    start_epoch, best_score = 0, -1.0
    if previous is not None:
        state = previous
        model.load_state_dict(state["state_dict"])
        criterion.load_state_dict(state["loss_state"])
        optimizer.load_state_dict(state["optimizer"])
        scheduler.load_state_dict(state["scheduler"])
        start_epoch, best_score = int(state["epoch"]) + 1, float(state["best_score"])
        if "rng" in state:  # the draws of the uninterrupted run: sampling order, worker seeds
            torch.set_rng_state(state["rng"]["torch"])
            random.setstate((3, tuple(int(x) for x in state["rng"]["python"]), None))
        if master:
            print(f"resumed from {out_dir / 'last.pt'} at the start of epoch {start_epoch + 1} (an epoch "
                  f"interrupted part-way is run again from its first step, with the same draws)", flush=True)
    train_model = DistributedDataParallel(model) if ddp else model

    metrics: dict = {}
    for epoch in range(start_epoch, epochs):
        loader.dataset.epoch = epoch
        if ddp:
            loader.sampler.set_epoch(epoch)
        model.train()
        t0 = time.time()
        sums = {"total_loss": 0.0, "smile_loss": 0.0, "emotion_loss": 0.0}
        n_batches = n_images = 0
        for batch in tqdm(loader, desc=f"epoch {epoch + 1}/{epochs}", disable=not master,
                          mininterval=10, file=sys.stdout):
            batch = {k: v.to(device, non_blocking=True) for k, v in batch.items()}
            with torch.autocast(device.type, dtype=torch.bfloat16, enabled=device.type == "cuda"):
                out = train_model(batch["frames"], batch["order"])
            losses = criterion(out.smile_logit.float(), out.emotion_logits.float(), batch["smile"],
                               batch["emotion"], batch["smile_mask"], batch["emotion_mask"])
            optimizer.zero_grad(set_to_none=True)
            losses["total_loss"].backward()
            if tcfg.grad_clip:
                torch.nn.utils.clip_grad_norm_(params, tcfg.grad_clip)
            optimizer.step()
            scheduler.step()
            for key in sums:
                sums[key] += losses[key].item()
            n_batches += 1
            n_images += batch["frames"].shape[0] * batch["frames"].shape[1]
        seconds = time.time() - t0
        recalibrate_batchnorm(model, loader, device, tcfg.bn_recalibration_batches)
        if not master:
            continue
        metrics = {"epoch": epoch + 1, "lr": optimizer.param_groups[0]["lr"],
                   **{f"train_{k}": v / max(1, n_batches) for k, v in sums.items()},
                   "smile_weight": float(losses["smile_weight"]), "emotion_weight": float(losses["emotion_weight"]),
                   "epoch_seconds": round(seconds, 1), "images_per_s": round(n_images * (dist.get_world_size() if ddp else 1) / seconds, 1)}
        metrics.update(validate(model, val_sets, device, batch_size=256))
        append_metrics(out_dir / "metrics.csv", metrics)
        plot_curves(out_dir / "metrics.csv", out_dir / "curves.png")
        print(" ".join(f"{k}={v:.4g}" if isinstance(v, float) else f"{k}={v}" for k, v in metrics.items()), flush=True)
        improved = not (metrics["val_score"] <= best_score)  # NaN (no val set) counts as improved
        if improved:
            best_score = metrics["val_score"] if not math.isnan(metrics["val_score"]) else best_score
            save_checkpoint(out_dir / "best.pt", model, train_config=cfg, metrics=metrics, epoch=epoch)
        save_checkpoint(out_dir / "last.pt", model, train_config=cfg, metrics=metrics, epoch=epoch,
                        best_score=best_score, optimizer=optimizer.state_dict(),
                        scheduler=scheduler.state_dict(), loss_state=criterion.state_dict(),
                        rng={"torch": torch.get_rng_state(), "python": list(random.getstate()[1])})
    if ddp:
        dist.barrier()
        dist.destroy_process_group()
    return metrics
