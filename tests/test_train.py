"""Training end to end on tiny data that the tests make themselves."""
import csv
import gzip
import os
import re
import subprocess
import sys
from pathlib import Path

import cv2
import numpy as np
import pytest
import torch
import yaml

from model.checkpoint import load_model
from model.train import main
from model.training import ConfigError, apply_override, build_model, load_config, training_loader, training_set

ROOT = Path(__file__).resolve().parents[1]


def make_tiny_data(root: Path, n: int = 16) -> None:
    """A SMILEsmileD-layout smile set and a FER2013 csv.gz, with a learnable signal:
    smiles are bright, non-smiles dark; emotion k has a bar at row 4k."""
    rng = np.random.default_rng(0)
    rows = []
    for i in range(n):
        smile = i % 2
        folder = root / "smiles" / "SMILEs" / ("positives/positives7" if smile else "negatives/negatives7")
        folder.mkdir(parents=True, exist_ok=True)
        img = rng.integers(0, 60, (64, 64), dtype=np.uint8) + (150 if smile else 0)
        cv2.imwrite(str(folder / f"{i}.jpg"), img)
        rel = folder.relative_to(root / "smiles") / f"{i}.jpg"
        rows.append((rel.as_posix(), smile, i % 3, ""))
    with (root / "smiles" / "folds.csv").open("w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["path", "smile", "fold", "exclude"])
        w.writerows(rows)
    (root / "fer").mkdir()
    with gzip.open(root / "fer" / "fer2013.csv.gz", "wt") as f:
        f.write("emotion,pixels,Usage\n")
        for i in range(2 * n):
            emo = i % 7
            img = rng.integers(0, 50, (48, 48))
            img[emo * 6: emo * 6 + 6] = 255
            usage = "PublicTest" if i % 4 == 0 else "Training"
            f.write(f"{emo},{' '.join(map(str, img.ravel()))},{usage}\n")


def tiny_config(tmp_path: Path, epochs: int = 2) -> Path:
    cfg = yaml.safe_load((ROOT / "configs" / "pretrain.yaml").read_text())
    cfg["model"].update(imagenet_weights=None, lstm_hidden=16, preprocessing={"input_size": 32})
    cfg["data"].update(root=str(tmp_path), train=[
        {"kind": "smilesmiled", "root": "smiles", "split": "train", "val_fold": 1},
        {"kind": "fer2013", "root": "fer", "split": "Training"}], val=[
        {"kind": "smilesmiled", "root": "smiles", "split": "val", "val_fold": 1},
        {"kind": "fer2013", "root": "fer", "split": "PublicTest"}])
    cfg["training"].update(out_dir=str(tmp_path / "run"), epochs=epochs, batch_size=8, num_workers=0,
                           warmup_epochs=0, device="cpu")
    path = tmp_path / "tiny.yaml"
    path.write_text(yaml.safe_dump(cfg))
    return path


@pytest.fixture
def tiny(tmp_path, monkeypatch):
    monkeypatch.setenv("UTCHAM_CACHE", str(tmp_path / "cache"))
    make_tiny_data(tmp_path)
    return tmp_path


def test_overrides_reach_nested_keys_and_reject_typos(tmp_path):
    cfg = {"model": {"preprocessing": {"input_size": 64}}, "training": {"epochs": 20}}
    apply_override(cfg, "model.preprocessing.input_size=96")
    apply_override(cfg, "training.loss={adaptive: true}")
    assert cfg["model"]["preprocessing"]["input_size"] == 96
    assert cfg["training"]["loss"] == {"adaptive": True}
    with pytest.raises(ConfigError, match="'nope' is not a section"):
        apply_override(cfg, "nope.x=1")
    with pytest.raises(ConfigError, match="not key=value"):
        apply_override(cfg, "training.epochs")


def test_config_errors_name_the_file(tmp_path, capsys):
    with pytest.raises(ConfigError, match="missing.yaml: config file not found"):
        load_config(tmp_path / "missing.yaml")
    bad = tmp_path / "bad.yaml"
    bad.write_text((ROOT / "configs" / "pretrain.yaml").read_text())
    with pytest.raises(ConfigError, match="bad.yaml: training.loss: label_smoothing"):
        load_config(bad, ["training.loss.label_smoothing=2"])
    assert main(["--config", str(bad), "training.loss.focal_gamma=-1"]) == 2
    assert "bad.yaml: training.loss: focal_gamma" in capsys.readouterr().err
    with pytest.raises(ConfigError, match="bad.yaml: data.augment must be true or false, got 'maybe'"):
        load_config(bad, ["data.augment=maybe"])
    with pytest.raises(ConfigError, match="bad.yaml: data.camera_augment must be true or false, got 1"):
        load_config(bad, ["data.camera_augment=1"])


def test_augment_switch_reaches_the_training_windows(tiny):
    """data.augment=false (the noaug ablation): every still is one clean, unjittered view."""
    for augment in (True, False):
        cfg = load_config(tiny_config(tiny), [f"data.augment={str(augment).lower()}"])
        model = build_model(cfg)
        dataset = training_loader(cfg, model, training_set(cfg, model.config.preprocessing)).dataset
        frames = [dataset[0]["frames"] for _ in range(2)]
        assert dataset.augment is augment and (dataset.still_views == 2) is augment
        assert torch.equal(*frames) is not augment  # augmentation redraws the same face each time
    cfg = load_config(tiny_config(tiny), ["data.camera_augment=true"])
    model = build_model(cfg)
    assert training_loader(cfg, model, training_set(cfg, model.config.preprocessing)).dataset.camera


@pytest.mark.parametrize("name", ["pretrain", "finetune", "korean_special"])
def test_shipped_configs_hold_the_design_loss_settings(name):
    design = {"pretrain": (1.0, 1.0, False, 0.1, False), "finetune": (2.0, 1.0, False, 0.05, True),
              "korean_special": (3.0, 1.0, True, 0.0, False)}[name]
    loss = yaml.safe_load((ROOT / "configs" / f"{name}.yaml").read_text())["training"]["loss"]
    assert (loss["head1_weight"], loss["head2_weight"], loss["focal_loss"], loss["label_smoothing"],
            loss["adaptive"]) == design
    if name == "korean_special":
        assert loss["focal_gamma"] == 2.0


def test_train_writes_metrics_curves_checkpoints_and_resumes(tiny):
    config = tiny_config(tiny)
    assert main(["--config", str(config)]) == 0
    run = tiny / "run"
    rows = list(csv.DictReader((run / "metrics.csv").open()))
    assert [r["epoch"] for r in rows] == ["1", "2"]
    for key in ("train_smile_loss", "train_emotion_loss", "val_smile_acc", "val_emotion_acc", "val_score"):
        assert np.isfinite(float(rows[-1][key])), key
    assert (run / "curves.png").stat().st_size > 1000
    model, ckpt = load_model(run / "best.pt")
    assert model.config.preprocessing.input_size == 32
    assert ckpt["train_config"]["training"]["epochs"] == 2
    # an interrupted run continues where it stopped
    assert main(["--config", str(config), "training.epochs=3", "--resume"]) == 0
    rows = list(csv.DictReader((run / "metrics.csv").open()))
    assert [r["epoch"] for r in rows] == ["1", "2", "3"]


def test_init_from_goes_on_at_another_input_size(tiny):
    """Progressive resizing: start from a trained checkpoint, train it at a larger input."""
    config = tiny_config(tiny, epochs=1)
    assert main(["--config", str(config)]) == 0
    small, _ = load_model(tiny / "run" / "best.pt")
    assert main(["--config", str(config), f"init_from={tiny / 'run' / 'best.pt'}", "init_input_size=48",
                 "training.lr=1e-12", "training.min_lr=1e-12", f"training.out_dir={tiny / 'big'}"]) == 0
    big, ckpt = load_model(tiny / "big" / "best.pt")
    assert big.config.preprocessing.input_size == 48
    assert ckpt["model_config"]["preprocessing"]["input_size"] == 48
    # a vanishing learning rate: the trained weights were carried over, not re-initialised
    big_params = dict(big.named_parameters())
    for name, p in small.named_parameters():
        assert torch.allclose(p, big_params[name], atol=1e-6), name


def test_train_learns_the_tiny_signal(tiny):
    config = tiny_config(tiny, epochs=6)
    assert main(["--config", str(config), "training.lr=0.005", "training.loss.label_smoothing=0"]) == 0
    rows = list(csv.DictReader((tiny / "run" / "metrics.csv").open()))
    assert float(rows[-1]["train_total_loss"]) < float(rows[0]["train_total_loss"])


def test_ddp_with_two_cpu_processes(tiny):
    config = tiny_config(tiny, epochs=1)
    env = {**os.environ, "OMP_NUM_THREADS": "1", "PYTHONPATH": str(ROOT)}
    proc = subprocess.run([sys.executable, "-m", "torch.distributed.run", "--nproc_per_node=2",
                           "--master_port=29517", "-m", "model.train", "--config", str(config)],
                          cwd=ROOT, env=env, capture_output=True, text=True, timeout=240)
    assert proc.returncode == 0, proc.stderr[-2000:]
    rows = list(csv.DictReader((tiny / "run" / "metrics.csv").open()))
    assert len(rows) == 1  # only rank 0 logs
    load_model(tiny / "run" / "best.pt")


def test_ablation_runs_variants_and_writes_the_table(tiny):
    from experiments.ablate import main as ablate

    out = tiny / "ablate"
    args = ["--config", str(tiny_config(tiny, epochs=1)), "--out", str(out), "--variants", "baseline", "adaptive"]
    assert ablate(args) == 0
    table = (out / "ablation.md").read_text().splitlines()
    assert [line.split("|")[1].strip() for line in table[2:]] == ["baseline", "adaptive", "baseline+flip"]
    rows = list(csv.DictReader((out / "ablation.csv").open()))
    assert all(0.0 <= float(r["val_smile_acc"]) <= 1.0 for r in rows)
    cfg = yaml.safe_load((out / "adaptive" / "config.yaml").read_text())
    assert cfg["training"]["loss"]["adaptive"] is True
    # a second call reuses the finished runs instead of training again
    mtime = (out / "baseline" / "best.pt").stat().st_mtime_ns
    assert ablate(args) == 0
    assert (out / "baseline" / "best.pt").stat().st_mtime_ns == mtime


def test_override_picks_a_dataset_by_kind():
    cfg = {"data": {"train": [{"kind": "genki4k"}, {"kind": "fer2013", "root": "fer"}]}}
    apply_override(cfg, "data.train.fer2013.ferplus=ferplus/fer2013new.csv")
    apply_override(cfg, "data.train.fer2013.ferplus_for=[smile]")
    assert cfg["data"]["train"][1] == {"kind": "fer2013", "root": "fer", "ferplus": "ferplus/fer2013new.csv",
                                       "ferplus_for": ["smile"]}
    with pytest.raises(ConfigError, match="no 'smiles' dataset"):
        apply_override(cfg, "data.train.smiles.x=1")
    with pytest.raises(ConfigError, match="names a list"):
        apply_override(cfg, "data.train.repeat=2")


def test_teacher_softens_the_labels_a_face_has_and_no_others():
    from model.data.faceset import FaceSet
    from model.evaluate import evaluate
    from model.network import ModelConfig
    from model.preprocess import Preprocessing
    from model.training import taught
    from tests.conftest import responsive_model

    rng = np.random.default_rng(0)
    faces = FaceSet(name="mixed", items=list(rng.integers(0, 256, (6, 40, 40), dtype=np.uint8)),
                    smile=np.array([1, 0, np.nan, np.nan, 1, np.nan], np.float32),
                    emotion=np.array([-1, -1, 3, 6, -1, 0]), paths=[f"{k}.png" for k in range(6)])
    teacher = responsive_model(ModelConfig(preprocessing=Preprocessing(input_size=32)))
    smile, probs = evaluate(teacher, faces, teacher.config.preprocessing, tta_flip=True)
    out = taught(faces, [teacher], 0.25)
    labelled = ~np.isnan(faces.smile)
    assert np.allclose(out.smile[labelled], 0.75 * faces.smile[labelled] + 0.25 * smile[labelled])
    assert np.isnan(out.smile[~labelled]).all()
    onehot = np.eye(7)[[3, 6, 0]]
    assert np.allclose(out.emotion_soft[[2, 3, 5]], 0.75 * onehot + 0.25 * probs[[2, 3, 5]])
    assert (out.emotion_soft[[0, 1, 4]] == 0).all() and np.array_equal(out.emotion, faces.emotion)
    unchanged = taught(faces, [teacher], 0.0)
    assert np.array_equal(unchanged.smile, faces.smile, equal_nan=True)
    with pytest.raises(ConfigError, match="teacher_weight must be within 0..1"):
        taught(faces, [teacher], 1.5)
    # one head taught, the other keeps its labels
    emotion_only = taught(faces, [teacher], 0.25, ("emotion",))
    assert np.array_equal(emotion_only.smile, faces.smile, equal_nan=True)
    assert np.allclose(emotion_only.emotion_soft, out.emotion_soft)
    smile_only = taught(faces, [teacher], 0.25, ("smile",))
    assert np.allclose(smile_only.smile, out.smile, equal_nan=True)
    assert np.allclose(smile_only.emotion_soft[[2, 3, 5]], onehot)
    with pytest.raises(ConfigError, match="teacher_heads takes"):
        taught(faces, [teacher], 0.25, ("smiles",))
    # several teachers: the mean of their (mirrored-face) predictions
    other = responsive_model(ModelConfig(preprocessing=Preprocessing(input_size=32)), seed=1)
    smile2, probs2 = evaluate(other, faces, other.config.preprocessing, tta_flip=True)
    assert not np.allclose(smile2[labelled], smile[labelled])
    both = taught(faces, [teacher, other], 0.5)
    assert np.allclose(both.smile[labelled], 0.5 * faces.smile[labelled] + 0.25 * (smile + smile2)[labelled])
    assert np.allclose(both.emotion_soft[[2, 3, 5]], 0.5 * onehot + 0.25 * (probs + probs2)[[2, 3, 5]])


def test_data_teacher_reaches_the_training_set(tiny):
    from model.checkpoint import save_checkpoint

    cfg = load_config(tiny_config(tiny))
    model = build_model(cfg)
    plain = training_set(cfg, model.config.preprocessing)
    cfg["data"]["teacher"] = str(save_checkpoint(tiny / "teacher.pt", model))
    soft = training_set(cfg, model.config.preprocessing)
    cfg["data"]["teacher"] = [cfg["data"]["teacher"]] * 2  # a list: the mean of the same teacher twice
    assert np.allclose(training_set(cfg, model.config.preprocessing).smile, soft.smile, equal_nan=True)
    labelled = plain.has_smile
    assert set(np.unique(plain.smile[labelled])) == {0.0, 1.0}
    assert ((soft.smile[labelled] > 0) & (soft.smile[labelled] < 1)).all()  # half label, half teacher
    assert soft.emotion_soft is not None and np.allclose(soft.emotion_soft[plain.has_emotion].sum(1), 1)


def test_shares_balance_the_sources_by_sampling_not_by_size(tiny):
    """32 FER faces and ~12 smile faces, equal shares: each source fills about half of every epoch."""
    overrides = ["data.train.smilesmiled.share=1", "data.train.fer2013.share=1", "data.epoch_samples=4000"]
    cfg = load_config(tiny_config(tiny), overrides)
    model = build_model(cfg)
    train_set = training_set(cfg, model.config.preprocessing)
    loader = training_loader(cfg, model, train_set)
    drawn = np.array([i for batch in loader.batch_sampler for i in batch])
    from_smiles = train_set.has_smile[drawn].mean()
    assert len(drawn) == 4000 and 0.45 < from_smiles < 0.55
    assert train_set.has_smile.mean() < 0.35  # by size alone the smile set would be far less


def test_a_share_on_some_sources_only_is_refused(tiny):
    cfg = load_config(tiny_config(tiny), ["data.train.fer2013.share=1"])
    model = build_model(cfg)
    with pytest.raises(ConfigError, match="give every dataset a share, or none"):
        training_set(cfg, model.config.preprocessing)


def test_clip_and_still_batches_never_mix_and_stills_keep_their_views():
    from model.data.faceset import FaceSet
    from model.data.sequences import ClipStillBatches, SequenceDataset
    from model.preprocess import Preprocessing

    stills = [np.full((20, 20, 3), 9, np.uint8)] * 6
    clips = [np.full((12, 20, 20, 3), 9, np.uint8)] * 4
    faces = FaceSet("mixed", stills + clips, np.zeros(10), np.full(10, -1), [str(i) for i in range(10)])
    is_clip = np.array([faces.is_clip(i) for i in range(10)])
    batches = list(ClipStillBatches(range(10), is_clip, batch_size=2))
    assert len(batches) == 5 and all(len(set(is_clip[b])) == 1 for b in batches)
    dataset = SequenceDataset(faces, Preprocessing(input_size=16), seq_len=10, still_views=2, clip_batches=True)
    assert dataset[0]["frames"].shape[0] == 2 and dataset[7]["frames"].shape[0] == 10


def test_training_into_an_earlier_run_is_refused_without_resume(tiny, capsys):
    config = tiny_config(tiny, epochs=1)
    assert main(["--config", str(config)]) == 0
    before = (tiny / "run" / "metrics.csv").read_text()
    assert main(["--config", str(config)]) == 2
    err = capsys.readouterr().err
    assert "holds an earlier run (last.pt, best.pt, metrics.csv)" in err and "--resume" in err
    assert (tiny / "run" / "metrics.csv").read_text() == before  # nothing replaced


def test_resume_refuses_changed_settings_but_takes_overrides_on_both_sides(tiny, capsys):
    config = tiny_config(tiny, epochs=1)
    assert main(["--config", str(config)]) == 0
    assert main(["--config", str(config), "--resume", "model.lstm_hidden=32"]) == 2
    assert "model.lstm_hidden: 16 -> 32" in capsys.readouterr().err
    assert main(["--config", str(config), "training.num_workers=0", "--resume", "training.epochs=2"]) == 0
    assert [r["epoch"] for r in csv.DictReader((tiny / "run" / "metrics.csv").open())] == ["1", "2"]


def test_an_interrupted_run_resumed_trains_exactly_as_the_uninterrupted_one(tiny, monkeypatch, capsys):
    import model.training as trainer

    config = tiny_config(tiny, epochs=2)
    assert main(["--config", str(config), f"training.out_dir={tiny / 'straight'}"]) == 0
    straight = list(csv.DictReader((tiny / "straight" / "metrics.csv").open()))
    save = trainer.save_checkpoint

    def save_then_interrupt(path, *args, **kw):  # Ctrl+C right after the first epoch's last.pt
        save(path, *args, **kw)
        if Path(path).name == "last.pt":
            raise KeyboardInterrupt

    monkeypatch.setattr(trainer, "save_checkpoint", save_then_interrupt)
    assert main(["--config", str(config), f"training.out_dir={tiny / 'cut'}"]) == 130
    assert "continue with the same command and --resume" in capsys.readouterr().err
    monkeypatch.setattr(trainer, "save_checkpoint", save)
    assert main(["--config", str(config), f"training.out_dir={tiny / 'cut'}", "--resume"]) == 0
    resumed = list(csv.DictReader((tiny / "cut" / "metrics.csv").open()))
    assert [r["epoch"] for r in resumed] == ["1", "2"]
    for key in ("train_total_loss", "val_score"):
        assert [float(r[key]) for r in resumed] == pytest.approx([float(r[key]) for r in straight], rel=1e-6), key


def test_a_checkpoint_write_cut_short_by_a_kill_leaves_no_temp_file_after_the_next_start(tiny):
    config = tiny_config(tiny, epochs=1)
    (tiny / "run").mkdir()
    (tiny / "run" / "last.pt.k2j4.tmp").write_bytes(b"half a checkpoint")
    assert main(["--config", str(config)]) == 0
    assert not list((tiny / "run").glob("*.tmp"))


@pytest.mark.parametrize("override, message", [
    ("training.epocs=3", "training: unknown setting(s) epocs"),
    ("training.lr=.nan", "training.lr must be a finite number"),
    ("data.still_views=two", "data.still_views must be a number, got 'two'"),
    ("data.epoch_samples=1.5", "data.epoch_samples must be a whole number"),
    ("trainig={epochs: 3}", "unknown section(s) trainig"),
])
def test_a_misspelt_or_non_finite_setting_is_named_with_the_file(override, message):
    with pytest.raises(ConfigError, match=r"pretrain\.yaml: " + re.escape(message)):
        load_config(ROOT / "configs" / "pretrain.yaml", [override])


def test_hidden_bands_must_be_probabilities(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text((ROOT / "configs" / "pretrain.yaml").read_text())
    with pytest.raises(ConfigError, match="bad.yaml: data.hide_upper_face and data.hide_mouth are probabilities"):
        load_config(bad, ["data.hide_upper_face=0.7", "data.hide_mouth=0.4"])
    with pytest.raises(ConfigError, match="bad.yaml: data.hide_mouth must be a finite number, got nan"):
        load_config(bad, ["data.hide_mouth=.nan"])
