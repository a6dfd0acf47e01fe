import numpy as np
import pytest
import torch

from model import calibrate
from model.calibrate import FIT_ON, balanced_weights, fit_platt, fold_into_head, logit
from model.checkpoint import load_model, save_checkpoint
from model.eval_sets import VALIDATION_SETS
from model.evaluate import evaluate, load_eval_set
from tests.conftest import responsive_model
from tests.test_data import make_genki


def test_platt_recovers_a_known_scale_and_shift():
    rng = np.random.default_rng(0)
    z = rng.normal(0, 2, 20000)
    labels = rng.random(20000) < 1 / (1 + np.exp(-(0.5 * z - 1.0)))
    a, b = fit_platt(z, labels.astype(float))
    assert abs(a - 0.5) < 0.05 and abs(b + 1.0) < 0.07


def test_folding_into_the_head_equals_scaling_its_logit():
    torch.manual_seed(0)
    head = torch.nn.Linear(8, 1)
    x = torch.randn(5, 8)
    before = head(x)
    fold_into_head(head, 0.7, -0.3)
    assert torch.allclose(head(x), 0.7 * before - 0.3, atol=1e-6)


def test_balanced_weights_give_each_class_half_of_a_set():
    labels = np.array([True] + [False] * 9)
    weights = balanced_weights(labels)
    assert weights.sum() == pytest.approx(1.0)
    assert weights[labels].sum() == pytest.approx(0.5) and weights[~labels].sum() == pytest.approx(0.5)


def test_a_balanced_fit_puts_half_where_both_classes_are_equally_likely_whatever_their_share():
    # smiles' logits around +1, the rest around -1: the likelihood ratio is 1 at logit 0, whatever
    # share of the faces smile; an unweighted fit follows the share (1 in 10 here) instead
    rng = np.random.default_rng(0)
    labels = rng.random(20000) < 0.1
    z = np.where(labels, 1.0, -1.0) + rng.normal(0, 1, len(labels))
    a, b = fit_platt(z, labels.astype(float), balanced_weights(labels))
    assert abs(a - 2.0) < 0.1 and abs(b) < 0.1
    _, b_unweighted = fit_platt(z, labels.astype(float))
    assert b_unweighted < -1.5


def test_the_pooled_fit_reads_validation_sets_with_trusted_smile_labels_only():
    names = {s.name for s in FIT_ON["validation"]}
    assert names == {"val_genki4k_fold1", "val_smilesmiled_fold1", "val_fer2013_publictest_ferplus",
                     "val_kdef", "val_taiwan_performers"}
    assert all(s in VALIDATION_SETS for s in FIT_ON["validation"]) and all(s.split != "test" for s in VALIDATION_SETS)
    assert [s.name for s in FIT_ON["genki4k"]] == ["val_genki4k_fold1"]


def test_calibrating_writes_a_checkpoint_whose_scores_are_the_fitted_map(tmp_path, monkeypatch):
    monkeypatch.setenv("UTCHAM_CACHE", str(tmp_path / "cache"))
    genki = make_genki(tmp_path / "datasets" / "genki4k", n=40)
    # fold 1 with smiles and non-smiles both (make_genki's fold i % 10 gives it smiles only)
    rows = [f"file{i:04d}.jpg,{i % 2},{(i // 2) % 10}" for i in range(1, 41)]
    (genki / "folds.csv").write_text("file,smile,fold\n" + "\n".join(rows) + "\n")
    weights = save_checkpoint(tmp_path / "raw.pt", responsive_model())
    out = tmp_path / "calibrated.pt"
    assert calibrate.main(["--weights", str(weights), "--out", str(out), "--datasets", str(tmp_path / "datasets")]) == 0
    raw_model, _ = load_model(weights)
    model, ckpt = load_model(out)
    faces = load_eval_set("genki4k", str(genki), "val", "auto", None, model.config.preprocessing, 1)
    raw, _ = evaluate(raw_model, faces, raw_model.config.preprocessing)
    calibrated, _ = evaluate(model, faces, model.config.preprocessing)
    fit = ckpt["calibration"]
    assert fit["fitted_on"] == "genki4k" and fit["n"] == len(faces) == 4 and not fit["balanced"]
    expected = 1 / (1 + np.exp(-(fit["a"] * logit(raw) + fit["b"])))
    assert np.allclose(calibrated, expected, atol=1e-4)


def test_calibrating_on_a_missing_folder_says_which_and_writes_nothing(tmp_path, random_checkpoint, capsys):
    out = tmp_path / "calibrated.pt"
    assert calibrate.main(["--weights", str(random_checkpoint), "--out", str(out),
                           "--datasets", str(tmp_path / "nowhere")]) == 2
    assert str(tmp_path / "nowhere") in capsys.readouterr().err and not out.exists()
