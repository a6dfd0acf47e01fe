import csv
import json
from pathlib import Path

import cv2
import numpy as np
import pytest

from model.checkpoint import load_model, save_checkpoint
from model.data import load_imagefolder
from model.data.faceset import FaceSet
from model.evaluate import evaluate
from model.evaluate import main as evaluate_main
from model.labels import EMOTIONS
from model.network import ModelConfig, StreamingModel
from model.preprocess import Preprocessing
from tests.conftest import responsive_model

SIZE = 32
PREDICTION_COLUMNS = ["path", "label_smile", "emotion", "face_found", "smile", "pred_emotion",
                      *(f"p_{e}" for e in EMOTIONS)]


@pytest.fixture(autouse=True)
def private_cache(tmp_path, monkeypatch):
    """Face-crop caches go to the test's folder, not ~/.cache."""
    monkeypatch.setenv("UTCHAM_CACHE", str(tmp_path / "cache"))


@pytest.fixture(scope="module")
def weights(tmp_path_factory) -> Path:
    net = responsive_model(ModelConfig(preprocessing=Preprocessing(input_size=SIZE)))
    return save_checkpoint(tmp_path_factory.mktemp("weights") / "random.pt", net)


def textured(rng: np.random.Generator, shape=(40, 36, 3)) -> np.ndarray:
    base = cv2.resize(rng.integers(0, 256, (5, 5, 3), dtype=np.uint8), shape[1::-1])
    return np.clip(base + rng.integers(-30, 31, shape), 0, 255).astype(np.uint8)


def image_folder(root: Path, classes: dict[str, int], seed: int = 0) -> Path:
    rng = np.random.default_rng(seed)
    for name, count in classes.items():
        (root / name).mkdir(parents=True)
        for k in range(count):
            cv2.imwrite(str(root / name / f"{k}.png"), textured(rng))
    return root


def run(tmp_path: Path, weights: Path, *args: str) -> tuple[int, dict, list[dict]]:
    out = tmp_path / "out"
    rc = evaluate_main(["--weights", str(weights), "--json", str(out / "report.json"),
                        "--predictions", str(out / "pred.csv"), "--device", "cpu", "--batch-size", "4",
                        *args])
    if rc != 0:
        return rc, {}, []
    report = json.loads((out / "report.json").read_text(encoding="utf-8"))
    with (out / "pred.csv").open(newline="", encoding="utf-8") as f:
        reader = csv.DictReader(f)
        assert reader.fieldnames == PREDICTION_COLUMNS
        rows = list(reader)
    png = out / "report.confusion.png"
    assert png.is_file() and png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    return rc, report, rows


def test_emotion_imagefolder_end_to_end(tmp_path, weights):
    root = image_folder(tmp_path / "faces", {"happy": 4, "neutral": 3, "sad": 2})
    rc, report, rows = run(tmp_path, weights, "--dataset", "imagefolder", "--root", str(root))
    assert rc == 0
    for key in ("n", "faces_not_found", "seconds", "dataset", "split", "weights", "accuracy", "macro_f1",
                "per_class_recall", "confusion"):
        assert key in report, key
    assert "auc" not in report and "smile" not in report
    assert report["n"] == 9 and report["dataset"] == "imagefolder" and report["head"] == "emotion"
    # crop auto: images where the detector finds no face are scored whole and counted.
    assert report["faces_not_found"] == sum(r["face_found"] == "0" for r in rows) > 0
    assert np.array(report["confusion"]).shape == (7, 7) and np.sum(report["confusion"]) == 9
    assert set(report["per_class_recall"]) == set(EMOTIONS)
    assert report["per_class_recall"]["angry"] is None  # no angry faces: no recall
    # The JSON agrees with the per-sample predictions.
    assert len(rows) == 9
    hits = [r["emotion"] == EMOTIONS[int(np.argmax([float(r[f"p_{e}"]) for e in EMOTIONS]))] for r in rows]
    assert report["accuracy"] == pytest.approx(np.mean(hits))
    assert sorted(r["emotion"] for r in rows) == ["happy"] * 4 + ["neutral"] * 3 + ["sad"] * 2
    assert all(r["label_smile"] == "" for r in rows)
    probs = np.array([[float(r[f"p_{e}"]) for e in EMOTIONS] for r in rows])
    np.testing.assert_allclose(probs.sum(axis=1), 1.0, atol=1e-4)
    assert len({r["pred_emotion"] for r in rows}) > 1, "random weights should not give one answer for all"


def test_smile_imagefolder_reports_smile_metrics(tmp_path, weights):
    root = image_folder(tmp_path / "smiles", {"smile": 3, "non_smile": 3})
    rc, report, rows = run(tmp_path, weights, "--dataset", "imagefolder", "--root", str(root),
                           "--crop", "none", "--tta-flip")
    assert rc == 0 and report["head"] == "smile" and report["tta_flip"] is True
    for key in ("accuracy", "auc", "best_threshold", "best_accuracy"):
        assert isinstance(report[key], float), key
    assert np.array(report["confusion"]).shape == (2, 2) and report["faces_not_found"] == 0
    assert report["best_accuracy"] >= report["accuracy"]
    labels = np.array([float(r["label_smile"]) for r in rows])
    scores = np.array([float(r["smile"]) for r in rows])
    assert report["accuracy"] == pytest.approx(np.mean((scores > 0.5) == (labels >= 0.5)))


def test_manifest_with_both_labels_nests_both_heads(tmp_path, weights):
    rng = np.random.default_rng(5)
    lines = ["path,smile,emotion,subject"]
    for k, (smile, emotion) in enumerate([(0.9, "happy"), (0.1, "neutral"), (0.7, "happy"), ("", "sad")]):
        cv2.imwrite(str(tmp_path / f"{k}.png"), textured(rng))
        lines.append(f"{k}.png,{smile},{emotion},person{k % 2}")
    (tmp_path / "take").mkdir()
    for k in range(12):
        cv2.imwrite(str(tmp_path / "take" / f"{k}.png"), textured(rng))
    lines.append("take,0.2,,person1")  # a clip with a smile label only
    (tmp_path / "m.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    rc, report, rows = run(tmp_path, weights, "--dataset", "manifest", "--root", str(tmp_path / "m.csv"),
                           "--split", "all", "--crop", "none")
    assert rc == 0 and report["n"] == 5 and report["head"] == "emotion"
    assert report["smile"]["labelled"] == 4 and report["emotion"]["labelled"] == 4
    for key in ("accuracy", "auc", "best_threshold", "best_accuracy"):
        assert key in report["smile"]
    for key in ("accuracy", "macro_f1", "per_class_recall", "confusion"):
        assert key in report["emotion"]
    assert report["accuracy"] == report["emotion"]["accuracy"]
    assert [r["label_smile"] for r in rows] == ["0.9", "0.1", "0.7", "", "0.2"]
    assert [r["emotion"] for r in rows] == ["happy", "neutral", "happy", "sad", ""]


def test_still_is_scored_as_a_static_window_like_the_game(tmp_path, weights):
    """evaluate() on a still == the game's StreamingModel after seeing that face for a full
    window; a clip is scored on T of its own frames."""
    model, _ = load_model(weights)
    rng = np.random.default_rng(7)
    still = textured(rng)
    clip = np.stack([textured(rng) for _ in range(model.config.seq_len)])
    faces = FaceSet("t", [still, clip], smile=[1.0, 0.0], emotion=[3, -1], paths=["still", "clip"])
    smile, probs = evaluate(model, faces, model.config.preprocessing, batch_size=2, device="cpu")
    for item, (s, p) in zip(([still] * model.config.seq_len, list(clip)), zip(smile, probs)):
        stream = StreamingModel(model)
        for frame in item:
            prediction = stream.push(frame)
        assert s == pytest.approx(prediction.smile, abs=1e-5)
        np.testing.assert_allclose(p, prediction.emotion_probs, atol=1e-5)


def test_mirrored_stream_is_tta_flip_evaluation_streamed(weights):
    """The game's tta_flip option on a still held for a full window == evaluate(tta_flip=True),
    and it differs from the plain score (the mirrored face counts)."""
    model, _ = load_model(weights)
    still = textured(np.random.default_rng(8))
    faces = FaceSet("t", [still], smile=[1.0], emotion=[3], paths=["still"])
    (smile,), (probs,) = evaluate(model, faces, model.config.preprocessing, device="cpu", tta_flip=True)
    mirrored, plain = StreamingModel(model, tta_flip=True), StreamingModel(model)
    for _ in range(model.config.seq_len):
        prediction, unmirrored = mirrored.push(still), plain.push(still)
    assert smile == pytest.approx(prediction.smile, abs=1e-5)
    np.testing.assert_allclose(probs, prediction.emotion_probs, atol=1e-5)
    assert abs(prediction.smile - unmirrored.smile) > 1e-6


def test_tta_flip_averages_with_the_mirrored_faces(tmp_path, weights):
    model, _ = load_model(weights)
    model.train()
    root = image_folder(tmp_path / "faces", {"happy": 3}, seed=3)
    faces = load_imagefolder(root, crop="none", cache_dir=tmp_path / "cache")
    mirrored = FaceSet("m", [np.ascontiguousarray(x[:, ::-1]) for x in faces.items], faces.smile,
                       faces.emotion, faces.paths)
    pre = model.config.preprocessing
    s_plain, p_plain = evaluate(model, faces, pre, 2, "cpu")
    s_flip, p_flip = evaluate(model, mirrored, pre, 2, "cpu")
    s_tta, p_tta = evaluate(model, faces, pre, 2, "cpu", tta_flip=True)
    assert model.training, "evaluate gives the model back in the mode it came in"
    np.testing.assert_allclose(s_tta, (s_plain + s_flip) / 2, atol=1e-5)
    np.testing.assert_allclose(p_tta, (p_plain + p_flip) / 2, atol=1e-5)
    assert not np.allclose(s_plain, s_flip, atol=1e-4)


@pytest.mark.parametrize("case", ["missing weights", "corrupt weights", "missing dataset"])
def test_user_errors_are_one_line_and_exit_2(tmp_path, weights, capsys, case):
    root = image_folder(tmp_path / "faces", {"happy": 1})
    corrupt = tmp_path / "corrupt.pt"
    corrupt.write_bytes(b"garbage")
    weights_arg, root_arg, expected = {
        "missing weights": (tmp_path / "nope.pt", root, "nope.pt"),
        "corrupt weights": (corrupt, root, "corrupt.pt"),
        "missing dataset": (weights, tmp_path / "no_such_dir", "no_such_dir"),
    }[case]
    rc = evaluate_main(["--weights", str(weights_arg), "--dataset", "imagefolder", "--root", str(root_arg),
                        "--json", str(tmp_path / "r.json")])
    err = capsys.readouterr().err.strip()
    assert rc == 2 and err.startswith("error: ") and expected in err and "\n" not in err
    assert not (tmp_path / "r.json").exists()


def test_crop_option_rejected_for_precropped_sets(tmp_path, weights):
    with pytest.raises(SystemExit) as exc:
        evaluate_main(["--weights", str(weights), "--dataset", "fer2013", "--root", str(tmp_path),
                       "--crop", "detect", "--json", str(tmp_path / "r.json")])
    assert exc.value.code == 2


@pytest.mark.parametrize("argv, message", [
    (["--batch-size", "0"], "argument --batch-size: must be at least 1, got 0"),
    (["--batch-size", "x"], "argument --batch-size: invalid positive_int value: 'x'"),
])
def test_bad_counts_are_refused_before_anything_loads(tmp_path, capsys, argv, message):
    with pytest.raises(SystemExit) as exc:
        evaluate_main(["--weights", str(tmp_path / "w.pt"), "--dataset", "imagefolder", "--root", str(tmp_path),
                       "--json", str(tmp_path / "r.json"), *argv])
    assert exc.value.code == 2 and message in capsys.readouterr().err


def test_val_fold_scores_a_validation_fold(tmp_path, weights, capsys):
    from tests.test_data import make_smiles
    root = make_smiles(tmp_path / "smiles")  # files i = 0..4 of each class in fold i % 3, i = 5 excluded
    rc, report, rows = run(tmp_path, weights, "--dataset", "smilesmiled", "--root", str(root),
                           "--split", "val", "--val-fold", "1")
    assert rc == 0 and report["split"] == "val" and report["val_fold"] == 1
    assert sorted(Path(r["path"]).stem for r in rows) == ["1", "1", "4", "4"]
    assert evaluate_main(["--weights", str(weights), "--dataset", "smilesmiled", "--root", str(root),
                          "--split", "val", "--json", str(tmp_path / "r.json")]) == 2
    assert "split 'val' needs val_fold" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        evaluate_main(["--weights", str(weights), "--dataset", "fer2013", "--root", str(root),
                       "--val-fold", "1", "--json", str(tmp_path / "r.json")])


def test_ferplus_scores_both_heads_against_the_annotators(tmp_path, weights):
    from tests.test_data import FER_USAGE, write_ferplus
    rng = np.random.default_rng(6)
    pixels = rng.integers(0, 256, (len(FER_USAGE), 48 * 48))
    rows = [f"{i % 7},{' '.join(map(str, p))},{u}" for i, (p, u) in enumerate(zip(pixels, FER_USAGE))]
    (tmp_path / "fer").mkdir()
    (tmp_path / "fer" / "fer2013.csv").write_text("\n".join(["emotion,pixels,Usage", *rows]) + "\n")
    # PrivateTest = rows 10..13: a smile, a split vote, an open-mouthed surprise, a neutral face
    plus = write_ferplus(tmp_path / "fer2013new.csv", {10: "1,9,0,0,0,0,0,0,0,0", 11: "5,5,0,0,0,0,0,0,0,0",
                                                      12: "0,0,10,0,0,0,0,0,0,0"})
    rc, report, rows = run(tmp_path, weights, "--dataset", "fer2013", "--root", str(tmp_path / "fer"),
                           "--ferplus", str(plus))
    assert rc == 0 and report["head"] == "emotion" and report["ferplus"] == str(plus)
    assert report["smile"]["labelled"] == 3 and report["smile"]["positives"] == 1
    assert report["emotion"]["labelled"] == 3  # the 5-5 tie has no majority
    assert [r["label_smile"] for r in rows] == ["1", "", "0", "0"]
    assert [r["emotion"] for r in rows] == ["happy", "", "surprise", "neutral"]
