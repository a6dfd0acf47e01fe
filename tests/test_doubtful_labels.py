import csv

import pytest

from experiments.doubtful_labels import main


def write_predictions(path, rows):
    with path.open("w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["path", "label_smile", "emotion", "face_found", "smile", "pred_emotion"])
        for p, label, score in rows:
            w.writerow([p, label, "", 1, score, "neutral"])
    return path


def test_lists_confidently_contradicted_labels_relative_to_the_manifest(tmp_path, capsys):
    data = tmp_path / "set"
    data.mkdir()
    manifest = data / "manifest.csv"
    manifest.write_text("path,smile,emotion,subject\n")
    preds = write_predictions(tmp_path / "p.csv", [
        (data / "a" / "calm.jpg", 1, 0.02),    # a smile label on a face scored calm: doubtful
        (data / "a" / "slight.jpg", 1, 0.3),   # a slight smile: kept
        (data / "grin.jpg", 0, 0.97),          # a no-smile label on a broad grin: doubtful
        (data / "talk.jpg", 0, 0.6),           # kept
        (data / "none.jpg", "", 0.99)])        # no label: never listed
    out = tmp_path / "labels" / "doubtful.csv"
    assert main([str(preds), "--manifest", str(manifest), "--out", str(out)]) == 0
    assert out.read_text().splitlines() == ["path,smile,score", "a/calm.jpg,1,0.0200", "grin.jpg,0,0.9700"]
    assert "2 of 4 labels doubtful (1 smiles scored below 0.1, 1 non-smiles above 0.9)" in capsys.readouterr().out
    with pytest.raises(SystemExit):   # never overwrites a list
        main([str(preds), "--manifest", str(manifest), "--out", str(out)])
    assert "exists" in capsys.readouterr().err
