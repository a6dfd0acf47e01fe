import csv
import json

import pytest

from experiments.compare import main as compare_main
from experiments.compare import mcnemar_p
from model.labels import EMOTIONS


def write(path, rows):
    """rows: (label_smile, smile score, emotion label, predicted emotion)."""
    with path.open("w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f)
        writer.writerow(["path", "label_smile", "emotion", "face_found", "smile", "pred_emotion",
                         *(f"p_{e}" for e in EMOTIONS)])
        for k, (label, score, emotion, predicted) in enumerate(rows):
            writer.writerow([f"face{k}.png", label, emotion, 1, score, predicted, *["0.1"] * len(EMOTIONS)])
    return path


def test_mcnemar_exact_values():
    assert mcnemar_p(0, 0) == 1.0
    assert mcnemar_p(0, 6) == pytest.approx(2 / 64)   # six of six discordant faces one way
    assert mcnemar_p(3, 3) == 1.0
    assert mcnemar_p(2, 8) == pytest.approx(2 * (1 + 10 + 45) / 1024)


def test_compare_counts_the_faces_each_model_gets_right(tmp_path, capsys):
    # 40 smile faces: both right on 30, only after on 8, only before on 2; 10 emotion faces
    smile_rows = ([("1", "0.9", "", "happy")] * 30 + [("1", "0.4", "", "happy")] * 8
                  + [("0", "0.3", "", "happy")] * 2)
    emotion_rows = [("", "0.5", "sad", "sad")] * 10
    before = write(tmp_path / "a.csv", smile_rows + emotion_rows)
    after_smile = ([("1", "0.9", "", "happy")] * 30 + [("1", "0.8", "", "happy")] * 8
                   + [("0", "0.7", "", "happy")] * 2)
    after = write(tmp_path / "b.csv", after_smile + [("", "0.5", "sad", "neutral")] * 3
                  + [("", "0.5", "sad", "sad")] * 7)
    assert compare_main([str(before), str(after), "--json", str(tmp_path / "c.json")]) == 0
    report = json.loads((tmp_path / "c.json").read_text())
    smile = report["smile"]
    assert (smile["n"], smile["only_before_right"], smile["only_after_right"]) == (40, 2, 8)
    assert smile["accuracy_before"] == pytest.approx(32 / 40) and smile["accuracy_after"] == pytest.approx(38 / 40)
    assert smile["mcnemar_p"] == pytest.approx(mcnemar_p(2, 8))
    low, high = smile["difference_ci95"]
    assert low < 0.15 < high
    emotion = report["emotion"]
    assert (emotion["n"], emotion["only_before_right"], emotion["only_after_right"]) == (10, 3, 0)
    assert emotion["difference"] == pytest.approx(-0.3)
    assert "smile: 40 faces, accuracy 80.00% -> 95.00% (+15.00 points" in capsys.readouterr().out


def test_compare_refuses_different_faces(tmp_path, capsys):
    before = write(tmp_path / "a.csv", [("1", "0.9", "", "happy"), ("0", "0.1", "", "sad")])
    after = write(tmp_path / "b.csv", [("1", "0.9", "", "happy")])
    assert compare_main([str(before), str(after)]) == 2
    assert "b.csv: its rows are not the faces of" in capsys.readouterr().err
    other = write(tmp_path / "c.csv", [("1", "0.9", "", "happy"), ("1", "0.1", "", "sad")])
    assert compare_main([str(before), str(other)]) == 2
    assert "c.csv: its labels differ" in capsys.readouterr().err
    (tmp_path / "d.csv").write_text("x,y\n1,2\n")
    assert compare_main([str(before), str(tmp_path / "d.csv")]) == 2
    assert "d.csv: not a model.evaluate --predictions file" in capsys.readouterr().err
    assert compare_main([str(before), str(tmp_path / "missing.csv")]) == 2
    assert "missing.csv: cannot read" in capsys.readouterr().err


def test_error_sheet_tiles_the_wrong_faces_misses_first(tmp_path, capsys):
    import cv2
    import numpy as np

    from model.checkpoint import save_checkpoint
    from model.network import ModelConfig, SmileEmotionNet
    from model.preprocess import Preprocessing
    from experiments.error_sheet import COLUMNS, TILE, wrong_faces
    from experiments.error_sheet import main as sheet_main

    weights = save_checkpoint(tmp_path / "w.pt", SmileEmotionNet(ModelConfig(preprocessing=Preprocessing(input_size=32))))
    rows = [("1", "0.9", "", "happy"), ("1", "0.2", "", "happy"), ("0", "0.7", "", "happy"),
            ("1", "0.4", "", "happy"), ("0", "0.1", "", "happy"), ("0", "0.95", "", "happy")]
    predictions = write(tmp_path / "p.csv", rows)
    rng = np.random.default_rng(0)
    for k in range(len(rows)):  # noise images: no face found, drawn whole
        cv2.imwrite(str(tmp_path / f"face{k}.png"), rng.integers(0, 256, (40, 30, 3), dtype=np.uint8))
    text = predictions.read_text().replace("face", str(tmp_path / "face"))
    predictions.write_text(text)
    from model.evaluate import read_predictions
    assert wrong_faces(read_predictions(predictions)) == [1, 3, 5, 2]  # misses by score, then false smiles
    out = tmp_path / "sheet.png"
    assert sheet_main([str(predictions), "--weights", str(weights), "--out", str(out)]) == 0
    assert "4 faces wrong at 0.5 of 6 (2 smiles missed)" in capsys.readouterr().out
    assert cv2.imread(str(out)).shape == (TILE, TILE * COLUMNS, 3)
    (tmp_path / "face3.png").write_bytes(b"not an image")
    assert sheet_main([str(predictions), "--weights", str(weights), "--out", str(out)]) == 2
    assert "face3.png" in capsys.readouterr().err
