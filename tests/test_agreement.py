"""Agreement between two labellers: kappa, ICC and correlation against published values."""
import json
import math
from pathlib import Path

import numpy as np
import pytest

from experiments.agreement import agreement, cohen_kappa, icc_2_1, main, read_labels


def write(path: Path, rows: list[str]) -> Path:
    path.write_text("path,smile,emotion,subject\n" + "\n".join(rows) + "\n", encoding="utf-8")
    return path


def test_kappa_matches_the_textbook_example():
    # 50 items: both yes 20, A yes / B no 5, A no / B yes 10, both no 15 -> p_o 0.7, p_e 0.5, kappa 0.4
    a = np.array([1] * 25 + [0] * 25)
    b = np.array([1] * 20 + [0] * 5 + [1] * 10 + [0] * 15)
    assert cohen_kappa(a, b) == pytest.approx(0.4)
    assert cohen_kappa(a, a) == pytest.approx(1.0)
    assert math.isnan(cohen_kappa(np.zeros(4, int), np.zeros(4, int)))   # one class only: undefined


def test_icc_matches_shrout_and_fleiss():
    # Shrout & Fleiss (1979), table 2: 6 targets, 4 judges; ICC(2,1) = 0.29
    ratings = np.array([[9, 2, 5, 8], [6, 1, 3, 2], [8, 4, 6, 8], [7, 1, 2, 6], [10, 5, 6, 9], [6, 2, 4, 7]])
    assert icc_2_1(ratings) == pytest.approx(0.29, abs=0.005)
    x = np.linspace(0, 1, 8)
    assert icc_2_1(np.c_[x, x]) == pytest.approx(1.0)
    assert icc_2_1(np.c_[x, x + 0.3]) < 0.85 < icc_2_1(np.c_[x, x + 0.05])   # a constant offset costs agreement


def test_rows_are_matched_by_path_and_reported(tmp_path, capsys):
    a = write(tmp_path / "a.csv", ["kim/c1/,0.9,happy,kim", "./kim/c2,0.3,happy,kim", "kim/c3/,0.0,neutral,kim",
                                   "kim/c4/,0.75,neutral,kim", "only_a/,0.5,happy,kim"])
    b = write(tmp_path / "b.csv", ["kim/c4/,0.55,disgust,kim", "kim/c3,0.1,neutral,kim", "kim/c2/,0.3,happy,kim",
                                   "kim/c1/,1.0,happy,kim", "only_b/,,sad,kim"])
    report = agreement(read_labels(a), read_labels(b))
    assert (report["matched"], report["only_in_a"], report["only_in_b"]) == (4, 1, 1)
    emotion, smile = report["emotion"], report["smile"]
    # (a, b): happy/happy, happy/happy, neutral/neutral, neutral/disgust -> p_o = 3/4,
    # p_e = happy 2/4 * 2/4 + neutral 2/4 * 1/4 = 0.375, kappa = (0.75 - 0.375) / (1 - 0.375) = 0.6
    assert emotion["agreement"] == 0.75 and emotion["kappa"] == pytest.approx(0.6)
    assert smile["mean_abs_diff"] == pytest.approx((0.1 + 0 + 0.1 + 0.2) / 4)
    assert smile["largest_differences"][0] == {"path": "kim/c4", "a": 0.75, "b": 0.55}
    json_path = tmp_path / "out" / "agreement.json"
    assert main([str(a), str(b), "--json", str(json_path)]) == 0
    assert json.loads(json_path.read_text())["smile"]["n"] == 4
    out = capsys.readouterr().out
    assert "Cohen's kappa" in out and "ICC(2,1)" in out and "4 path(s) in both" in out


def test_bad_files_are_one_line_errors(tmp_path, capsys):
    good = write(tmp_path / "good.csv", ["x/,0.5,happy,kim"])
    bad = write(tmp_path / "bad.csv", ["x/,1.5,happy,kim"])
    twice = write(tmp_path / "twice.csv", ["x/,0.5,happy,kim", "./x,0.5,happy,kim"])
    other = write(tmp_path / "other.csv", ["y/,0.5,happy,kim"])
    for args, message in (([good, bad], "bad.csv:2: smile must be a number from 0 to 1"),
                          ([good, twice], "twice.csv:3: path './x' is labelled twice"),
                          ([good, other], "share no path"),
                          ([good, tmp_path / "none.csv"], "none.csv: labels file not found")):
        assert main([str(a) for a in args]) == 2
        err = capsys.readouterr().err
        assert err.startswith("error: ") and message in err and err.count("\n") == 1
