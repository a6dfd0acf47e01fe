"""experiments.score_levels: the smile score by kind of face, from test predictions."""
import json

from experiments.score_levels import POSED, main
from tests.test_compare import write


def test_each_kind_of_face_gets_its_scores_and_shares_above_each_threshold(tmp_path, capsys):
    calm, toothy_fear, happy = ("0", "0.2", "neutral", "neutral"), ("0", "0.85", "fear", "fear"), ("1", "0.95", "happy", "happy")
    for name in POSED:
        write(tmp_path / f"{name}.csv", [calm, toothy_fear, happy, happy])
    write(tmp_path / "sfew_test.csv", [("", "0.1", "neutral", "neutral")])
    write(tmp_path / "fer2013_privatetest_ferplus.csv", [calm])
    write(tmp_path / "mtfl_test.csv", [("0", "0.6", "", "neutral"), ("1", "0.7", "", "happy")])
    write(tmp_path / "kerc2020_test.csv", [("0", "0.3", "", "sad"), ("1", "0.99", "", "happy")])
    level = {"frames": 50, "mean": 0.1, "median": 0.05, "p90": 0.3, "p95": 0.4, "max": 0.6,
             "share_above": {"0.5": 0.04, "0.6": 0.0, "0.7": 0.0, "0.8": 0.0, "0.9": 0.0}}
    (tmp_path / "talking_out.json").write_text(json.dumps({"score_by_level": {"0": level}}))
    assert main([str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert "| calm (neutral, no smile label) | 4 | 0.20 |" in out  # the SFEW face without a smile label counts too
    assert "| expressive non-smiles (angry, disgust, fear, sad, surprise) | 2 | 0.85 | 0.85 | 100 % | 100 % | 100 % | 100 % | 0 % |" in out
    assert "| posed happy faces (KDEF, Taiwanese performers) | 4 |" in out
    assert "| held-out talking clips, frames labelled 0 | 50 | 0.05 | 0.30 | 4 % | 0 % |" in out


def test_a_missing_prediction_file_is_one_line(tmp_path, capsys):
    assert main([str(tmp_path)]) == 2
    assert capsys.readouterr().err.count("\n") == 1
