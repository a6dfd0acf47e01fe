"""Phase 2: one player's clips split by clip, the data.subject / data.manifest_crop options,
the before/after report, and a fine-tune end to end on clips recorded from the sample videos."""
import gzip
import json
from pathlib import Path

import cv2
import numpy as np
import pytest
import torch

from model.checkpoint import load_model, save_checkpoint
from model.data.errors import DatasetError
from model.data.manifest import load_manifest
from experiments.finetune_report import EvalSet, compare
from experiments.finetune_report import main as report_main
from model.network import ModelConfig, SmileEmotionNet
from model.preprocess import Preprocessing
from model.training import ConfigError, load_config
from model.train import main as train_main
from experiments.videos_manifest import build_manifest
from tests.test_data import make_genki

ROOT = Path(__file__).resolve().parents[1]
FINETUNE = str(ROOT / "configs" / "finetune.yaml")


def write_clips(root: Path, subjects: dict[str, int], frames: int = 3) -> Path:
    """A manifest of clip folders (frames of one grey level), n clips per subject."""
    lines = ["path,smile,emotion,subject"]
    for subject, n in subjects.items():
        for i in range(n):
            folder = root / subject / f"clip_{i:02d}"
            folder.mkdir(parents=True)
            for f in range(frames):
                cv2.imwrite(str(folder / f"{f:04d}.png"), np.full((16, 16, 3), 10 * i + f, np.uint8))
            lines.append(f"{subject}/clip_{i:02d}/,{i % 2},{'happy' if i % 2 else 'neutral'},{subject}")
    (root / "manifest.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return root / "manifest.csv"


def tiny_checkpoint(path: Path, align: bool = False) -> Path:
    torch.manual_seed(0)
    config = ModelConfig(lstm_hidden=16, preprocessing=Preprocessing(input_size=32, align=align))
    return save_checkpoint(path, SmileEmotionNet(config))


# ---------------------------------------------------------------- one player's clips
def test_subject_keeps_one_player_and_splits_their_clips(tmp_path):
    csv = write_clips(tmp_path, {"kim": 20, "lee": 4})
    load = lambda split, **kw: load_manifest(csv, split, crop="none", size=16, **kw)  # noqa: E731
    splits = {s: load(s, subject="kim") for s in ("train", "val", "test")}
    assert all(faces.subjects == ["kim"] * len(faces) for faces in splits.values())
    paths = [set(faces.paths) for faces in splits.values()]
    assert sum(map(len, paths)) == 20 and len(set.union(*paths)) == 20     # every clip in one split
    assert all(paths) and len(paths[0]) > len(paths[1])                    # by clip, mostly training
    assert set(load("train", subject="kim").paths) == paths[0]              # stable
    assert len(load("all", subject="lee")) == 4
    with pytest.raises(DatasetError, match="no rows of subject 'park' \\(subjects: kim, lee\\)"):
        load("train", subject="park")
    solo = write_clips(tmp_path / "solo", {"solo": 1})
    with pytest.raises(DatasetError, match="none of the 1 clips of subject 'solo' falls in split 'val'"):
        load_manifest(solo, "val", crop="none", size=16, subject="solo", val_fraction=0.0)


def test_data_subject_and_manifest_crop_reach_the_manifest_loader(tmp_path):
    cfg = load_config(FINETUNE, ["data.manifest=m.csv", "data.subject=kim", "data.manifest_crop=none"])
    assert cfg["data"]["train"][0] == {"kind": "manifest", "root": "m.csv", "split": "train", "crop": "none",
                                       "subject": "kim", "repeat": 5}
    assert [e["kind"] for e in cfg["data"]["train"][1:]] == ["fer2013", "genki4k", "smilesmiled"]  # rehearsal
    assert cfg["data"]["val"][0]["split"] == "val" and cfg["data"]["val"][0]["subject"] == "kim"
    assert load_config(FINETUNE, ["data.manifest=m.csv", "data.manifest_repeat=1", "data.replay=[]"])[
        "data"]["train"] == [{"kind": "manifest", "root": "m.csv", "split": "train", "crop": "auto"}]
    with pytest.raises(ConfigError, match="data.subject needs data.manifest"):
        load_config(FINETUNE, ["data.subject=kim"])


def test_personal_fine_tune_on_one_players_clips(tmp_path):
    csv = write_clips(tmp_path / "data", {"kim": 20, "lee": 6}, frames=10)
    before = tiny_checkpoint(tmp_path / "w0.pt")
    assert train_main(["--config", FINETUNE, f"init_from={before}", f"data.manifest={csv}", "data.subject=kim",
                       "data.manifest_crop=none", "training.epochs=1", "training.batch_size=8", "data.replay=[]",
                       "data.manifest_repeat=1",
                       "training.device=cpu", f"training.out_dir={tmp_path / 'run'}"]) == 0
    _, ckpt = load_model(tmp_path / "run" / "best.pt")
    assert ckpt["train_config"]["data"]["train"][0]["subject"] == "kim"


# ---------------------------------------------------------------- the report's rule
def test_pass_means_no_accuracy_lost_more_than_max_drop():
    sets = [EvalSet("genki4k test", [0] * 10), EvalSet("fer2013 PrivateTest", [0] * 10)]   # only len() is read
    before = {"genki4k test": {"smile": {"accuracy": 0.90, "auc": 0.95}},
              "fer2013 PrivateTest": {"emotion": {"accuracy": 0.60}}}
    held = {"genki4k test": {"smile": {"accuracy": 0.891, "auc": 0.96}},
            "fer2013 PrivateTest": {"emotion": {"accuracy": 0.65}}}
    report = compare(before, held, sets, max_drop=0.01)
    assert report["pass"] and report["sets"]["genki4k test"]["smile"]["delta"]["accuracy"] == pytest.approx(-0.009)
    dropped = {**held, "fer2013 PrivateTest": {"emotion": {"accuracy": 0.585}}}
    report = compare(before, dropped, sets, max_drop=0.01)
    assert not report["pass"] and report["sets"]["genki4k test"]["smile"]["pass"]
    assert not report["sets"]["fer2013 PrivateTest"]["emotion"]["pass"]


# ---------------------------------------------------------------- end to end on the sample videos
@pytest.fixture(scope="module")
def videos_manifest(videos_dir, tmp_path_factory) -> Path:
    """One 10-frame clip per labelled stretch of two sample videos, recorded through game.recording:
    smile_transition_a falls in the training split, neutral_blinks in validation."""
    out = tmp_path_factory.mktemp("videos_manifest")
    return build_manifest(videos_dir, out, clip_frames=10, max_clips=1,
                          names=["smile_transition_a.mp4", "neutral_blinks.mp4"])


def write_fer(path: Path) -> Path:
    rng = np.random.default_rng(0)
    lines = ["emotion,pixels,Usage"] + [f"{i % 7},{' '.join(map(str, rng.integers(0, 256, 48 * 48)))},PrivateTest"
                                        for i in range(7)]
    path.parent.mkdir(parents=True)
    path.write_bytes(gzip.compress(("\n".join(lines) + "\n").encode()))
    return path


def test_fine_tune_from_a_checkpoint_on_recorded_clips_and_report(videos_manifest, tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("UTCHAM_CACHE", str(tmp_path / "cache"))
    rows = videos_manifest.read_text(encoding="utf-8").splitlines()[1:]
    assert len(rows) == 6 and {r.rsplit(",", 1)[1] for r in rows} == {"smile_transition_a", "neutral_blinks"}
    before = tiny_checkpoint(tmp_path / "w0.pt")
    run = tmp_path / "run"
    assert train_main(["--config", FINETUNE, f"init_from={before}", f"data.manifest={videos_manifest}",
                       "data.manifest_crop=none", "training.epochs=1", "training.batch_size=8", "data.replay=[]",
                       "data.manifest_repeat=1",
                       "training.device=cpu", f"training.out_dir={run}"]) == 0
    out = capsys.readouterr().out
    assert "train: 2 samples (2 smile, 2 emotion)" in out and "val: manifest 4" in out
    after, ckpt = load_model(run / "best.pt")
    assert after.config.preprocessing.input_size == 32     # the init checkpoint's settings won
    start = load_model(before)[0].state_dict()
    assert any(not torch.equal(v, start[k]) for k, v in after.state_dict().items())   # it trained

    json_path = tmp_path / "report.json"
    code = report_main(["--before", str(before), "--after", str(run / "best.pt"), "--manifest", str(videos_manifest),
                        "--split", "val", "--crop", "none", "--genki", str(make_genki(tmp_path / "genki4k")),
                        "--fer", str(write_fer(tmp_path / "fer" / "fer2013.csv.gz")), "--device", "cpu",
                        "--json", str(json_path)])
    report = json.loads(json_path.read_text(encoding="utf-8"))
    assert code == (0 if report["pass"] else 1)
    assert set(report["sets"]) == {"manifest val", "genki4k test", "fer2013 PrivateTest"}
    manifest = report["sets"]["manifest val"]
    assert manifest["n"] == 4 and set(manifest) == {"n", "smile", "emotion"}
    assert manifest["smile"]["delta"]["accuracy"] == pytest.approx(
        manifest["smile"]["after"]["accuracy"] - manifest["smile"]["before"]["accuracy"])
    assert report["sets"]["genki4k test"]["n"] == 2 and set(report["sets"]["fer2013 PrivateTest"]) == {"n", "emotion"}
    assert ("PASS" if report["pass"] else "FAIL") in capsys.readouterr().out


def test_report_errors_are_one_line(videos_manifest, tmp_path, capsys):
    before = tiny_checkpoint(tmp_path / "w0.pt")
    assert report_main(["--before", str(before), "--after", str(tmp_path / "nope.pt"), "--manifest",
                        str(videos_manifest), "--json", str(tmp_path / "r.json")]) == 2
    assert "nope.pt: weights file not found" in capsys.readouterr().err
    assert report_main(["--before", str(before), "--after", str(before), "--manifest", str(videos_manifest),
                        "--json", str(tmp_path / "r.json")]) == 2   # two videos: no subject in the test split
    assert "falls in split 'test'" in capsys.readouterr().err
    with pytest.raises(SystemExit) as exc:
        report_main(["--before", str(before), "--after", str(before), "--manifest", str(videos_manifest),
                     "--json", str(tmp_path / "r.json"), "--max-drop", "5"])
    assert exc.value.code == 2 and "--max-drop: must be from 0 to 1" in capsys.readouterr().err
    levelled = tiny_checkpoint(tmp_path / "w1.pt", align=True)
    assert report_main(["--before", str(before), "--after", str(levelled), "--manifest", str(videos_manifest),
                        "--json", str(tmp_path / "r.json")]) == 2
    assert "w1.pt: cuts faces differently from" in capsys.readouterr().err
