import json

from model.ship_rule import main as ship_rule_main
from tests.test_compare import write

RIGHT_SMILE, WRONG_SMILE = ("1", "0.9", "", "happy"), ("1", "0.2", "", "happy")
RIGHT_SAD, WRONG_SAD = ("", "0.5", "sad", "sad"), ("", "0.5", "sad", "neutral")


def predictions(folder, genki, smiles, fer, ferplus=None):
    """One checkpoint's validation predictions: each set as rows for tests.test_compare.write."""
    folder.mkdir()
    for name, rows in (("val_genki4k_fold1", genki), ("val_smilesmiled_fold1", smiles),
                       ("val_fer2013_publictest", fer), ("val_fer2013_publictest_ferplus", ferplus or fer)):
        write(folder / f"{name}.csv", rows)
    return folder


def test_a_gain_with_no_loss_beyond_chance_passes(tmp_path, capsys):
    shipped = predictions(tmp_path / "a", [RIGHT_SMILE] * 38 + [WRONG_SMILE] * 2, [RIGHT_SMILE] * 20,
                          [RIGHT_SAD] * 60 + [WRONG_SAD] * 40)
    # one GENKI face fewer (1 of 1 discordant: p = 1), 12 FER faces more
    candidate = predictions(tmp_path / "b", [RIGHT_SMILE] * 37 + [WRONG_SMILE] * 3, [RIGHT_SMILE] * 20,
                            [RIGHT_SAD] * 72 + [WRONG_SAD] * 28)
    assert ship_rule_main([str(shipped), str(candidate), "--json", str(tmp_path / "v.json")]) == 0
    verdict = json.loads((tmp_path / "v.json").read_text())
    assert verdict["passes"] and verdict["losses_beyond_chance"] == []
    # (pooled smile 58/60 -> 57/60, emotion 0.60 -> 0.72) / 2
    assert abs(verdict["validation_score"]["shipped"] - (58 / 60 + 0.60) / 2) < 1e-9
    assert abs(verdict["validation_score"]["candidate"] - (57 / 60 + 0.72) / 2) < 1e-9
    assert "verdict: PASS" in capsys.readouterr().out


def test_a_loss_beyond_chance_fails_even_when_the_score_rises(tmp_path, capsys):
    shipped = predictions(tmp_path / "a", [RIGHT_SMILE] * 40, [RIGHT_SMILE] * 20, [RIGHT_SAD] * 50 + [WRONG_SAD] * 50)
    # 8 GENKI faces lost, none won: p = 2 / 256; FER gains 30 faces, so the score rises
    candidate = predictions(tmp_path / "b", [RIGHT_SMILE] * 32 + [WRONG_SMILE] * 8, [RIGHT_SMILE] * 20,
                            [RIGHT_SAD] * 80 + [WRONG_SAD] * 20)
    assert ship_rule_main([str(shipped), str(candidate), "--json", str(tmp_path / "v.json")]) == 1
    verdict = json.loads((tmp_path / "v.json").read_text())
    assert verdict["score_rises"] and not verdict["passes"]
    assert verdict["losses_beyond_chance"] == ["val_genki4k_fold1 smile"]
    assert "verdict: FAIL" in capsys.readouterr().out


def test_a_score_that_does_not_rise_fails(tmp_path):
    rows = ([RIGHT_SMILE] * 40, [RIGHT_SMILE] * 20, [RIGHT_SAD] * 60 + [WRONG_SAD] * 40)
    shipped, candidate = predictions(tmp_path / "a", *rows), predictions(tmp_path / "b", *rows)
    assert ship_rule_main([str(shipped), str(candidate)]) == 1


def test_a_missing_set_is_named(tmp_path, capsys):
    rows = ([RIGHT_SMILE] * 4, [RIGHT_SMILE] * 4, [RIGHT_SAD] * 4)
    shipped, candidate = predictions(tmp_path / "a", *rows), predictions(tmp_path / "b", *rows)
    (candidate / "val_smilesmiled_fold1.csv").unlink()
    assert ship_rule_main([str(shipped), str(candidate)]) == 2
    err = capsys.readouterr().err
    assert "val_smilesmiled_fold1.csv" in err and err.count("\n") == 1


def test_sets_without_the_labels_of_the_score_are_refused(tmp_path, capsys):
    # the FER2013 file holds smile rows only: there is no emotion accuracy to score
    rows = ([RIGHT_SMILE] * 4, [RIGHT_SMILE] * 4, [RIGHT_SMILE] * 4)
    shipped, candidate = predictions(tmp_path / "a", *rows), predictions(tmp_path / "b", *rows)
    assert ship_rule_main([str(shipped), str(candidate)]) == 2
    assert "no emotion labels" in capsys.readouterr().err
