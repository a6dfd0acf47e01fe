import json

from model.eval_sets import TALKING_OUT as TALKING
from model.ship_rule import BENCHMARKS, EXPRESSIVE_SETS
from model.ship_rule import main as ship_rule_main
from tests.test_compare import write

RIGHT_SMILE, WRONG_SMILE = ("1", "0.9", "", "happy"), ("1", "0.2", "", "happy")
RIGHT_SAD, WRONG_SAD = ("", "0.1", "sad", "sad"), ("", "0.1", "sad", "neutral")
CALM_ANGER, TOOTHY_ANGER = ("0", "0.1", "angry", "angry"), ("0", "0.7", "angry", "angry")


def figures(folder, genki, fer, expressive, talking_s, smiles=None):
    """One checkpoint's validation figures: the prediction CSVs the rule reads and its talking report."""
    folder.mkdir()
    rows = {"val_genki4k_fold1": genki, "val_smilesmiled_fold1": smiles or genki, "val_fer2013_publictest": fer}
    for name in EXPRESSIVE_SETS:
        rows[name] = expressive
    for name, content in rows.items():
        write(folder / f"{name}.csv", content)
    (folder / TALKING).write_text(json.dumps({"out_in_no_smile_s": talking_s}))
    return folder


def test_halved_false_smiles_with_benchmarks_in_their_interval_pass(tmp_path, capsys):
    shipped = figures(tmp_path / "a", [RIGHT_SMILE] * 95 + [WRONG_SMILE] * 5, [RIGHT_SAD] * 60 + [WRONG_SAD] * 40,
                      [CALM_ANGER] * 90 + [TOOTHY_ANGER] * 10, talking_s=3.5)
    # one GENKI face fewer is inside the shipped model's interval; false smiles 10 % -> 4 %
    candidate = figures(tmp_path / "b", [RIGHT_SMILE] * 94 + [WRONG_SMILE] * 6, [RIGHT_SAD] * 60 + [WRONG_SAD] * 40,
                        [CALM_ANGER] * 96 + [TOOTHY_ANGER] * 4, talking_s=0.0)
    assert ship_rule_main([str(shipped), str(candidate), "--json", str(tmp_path / "v.json")]) == 0
    verdict = json.loads((tmp_path / "v.json").read_text())
    assert verdict["passes"] and verdict["false_smiles"]["candidate"]["rate"] == 0.04
    assert {label for label in verdict["benchmarks"]} == {f"{name} {head}" for name, head in BENCHMARKS}
    assert "verdict: PASS" in capsys.readouterr().out


def test_false_smiles_that_do_not_halve_fail(tmp_path):
    same = dict(genki=[RIGHT_SMILE] * 50, fer=[RIGHT_SAD] * 50, talking_s=0.0)
    shipped = figures(tmp_path / "a", expressive=[CALM_ANGER] * 90 + [TOOTHY_ANGER] * 10, **same)
    candidate = figures(tmp_path / "b", expressive=[CALM_ANGER] * 94 + [TOOTHY_ANGER] * 6, **same)
    assert ship_rule_main([str(shipped), str(candidate), "--json", str(tmp_path / "v.json")]) == 1
    verdict = json.loads((tmp_path / "v.json").read_text())
    assert not verdict["false_smiles_halve"] and verdict["benchmarks_hold"] and verdict["no_more_talking_out"]


def test_a_benchmark_below_the_shipped_interval_fails_even_when_false_smiles_vanish(tmp_path, capsys):
    shipped = figures(tmp_path / "a", [RIGHT_SMILE] * 100, [RIGHT_SAD] * 50,
                      [CALM_ANGER] * 90 + [TOOTHY_ANGER] * 10, talking_s=1.0)
    candidate = figures(tmp_path / "b", [RIGHT_SMILE] * 90 + [WRONG_SMILE] * 10, [RIGHT_SAD] * 50,
                        [CALM_ANGER] * 100, talking_s=0.0)
    assert ship_rule_main([str(shipped), str(candidate)]) == 1
    out = capsys.readouterr().out
    assert "val_genki4k_fold1 smile: 100.00 %" in out and "below the interval" in out and "verdict: FAIL" in out


def test_more_false_out_while_talking_fails(tmp_path):
    same = dict(genki=[RIGHT_SMILE] * 50, fer=[RIGHT_SAD] * 50)
    shipped = figures(tmp_path / "a", expressive=[TOOTHY_ANGER] * 10, talking_s=0.4, **same)
    candidate = figures(tmp_path / "b", expressive=[CALM_ANGER] * 10, talking_s=0.8, **same)
    assert ship_rule_main([str(shipped), str(candidate)]) == 1


def test_a_missing_report_is_named_in_one_line(tmp_path, capsys):
    rows = dict(genki=[RIGHT_SMILE] * 4, fer=[RIGHT_SAD] * 4, expressive=[CALM_ANGER] * 4, talking_s=0.0)
    shipped, candidate = figures(tmp_path / "a", **rows), figures(tmp_path / "b", **rows)
    (candidate / TALKING).unlink()
    assert ship_rule_main([str(shipped), str(candidate)]) == 2
    err = capsys.readouterr().err
    assert TALKING in err and err.count("\n") == 1


def test_only_faces_known_not_to_smile_count_as_false_smiles(tmp_path):
    # in a set with smile labels, an angry face without one (annotators disagreed) is not counted;
    # in a set without any (SFEW), the emotion label alone decides
    unsure_anger, unlabelled_set_anger = ("", "0.9", "angry", "angry"), ("", "0.9", "angry", "angry")
    folder = figures(tmp_path / "a", [RIGHT_SMILE] * 4, [RIGHT_SAD] * 4, [CALM_ANGER] * 3 + [unsure_anger], talking_s=0.0)
    write(folder / "val_sfew.csv", [unlabelled_set_anger, ("", "0.1", "sad", "sad")])
    from model.ship_rule import false_smiles, read_sets

    counted = false_smiles(read_sets(folder, EXPRESSIVE_SETS))
    assert counted["sets"]["val_kdef"] == {"faces": 3, "rate": 0.0}
    assert counted["sets"]["val_sfew"] == {"faces": 2, "rate": 0.5}
