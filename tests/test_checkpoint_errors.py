"""A malformed checkpoint is refused on load with the one-line CheckpointError naming the
file and what is wrong (never a traceback), and NaN weights are not accepted."""
import math

import pytest
import torch

import main
from model.checkpoint import CheckpointError, checkpoint_dict, load_model, read_checkpoint
from model.network import SmileEmotionNet


@pytest.fixture(scope="module")
def good() -> dict:
    torch.manual_seed(0)
    return checkpoint_dict(SmileEmotionNet())


def broken(good: dict, change) -> dict:
    ckpt = {**good, "model_config": {**good["model_config"],
                                     "preprocessing": dict(good["model_config"]["preprocessing"])},
            "state_dict": dict(good["state_dict"])}
    change(ckpt)
    return ckpt


CASES = {
    "no model_config": (lambda c: c.pop("model_config"), "model_config"),
    "model_config not a mapping": (lambda c: c.update(model_config=[1, 2]), "model_config"),
    "input_size 'big'": (lambda c: c["model_config"]["preprocessing"].update(input_size="big"), "input_size"),
    "input_size 0": (lambda c: c["model_config"]["preprocessing"].update(input_size=0), "input_size"),
    "input_size true": (lambda c: c["model_config"]["preprocessing"].update(input_size=True), "input_size"),
    "seq_len 0": (lambda c: c["model_config"].update(seq_len=0), "seq_len"),
    "lstm_hidden 'x'": (lambda c: c["model_config"].update(lstm_hidden="x"), "lstm_hidden"),
    "dropout nan": (lambda c: c["model_config"].update(dropout=math.nan), "dropout"),
    "mean not a list": (lambda c: c["model_config"]["preprocessing"].update(mean=0.5), "mean"),
    "mean of two": (lambda c: c["model_config"]["preprocessing"].update(mean=[0.5, 0.5]), "mean"),
    "std zero": (lambda c: c["model_config"]["preprocessing"].update(std=[0.2, 0.0, 0.2]), "std"),
    "crop_margin nan": (lambda c: c["model_config"]["preprocessing"].update(crop_margin=math.nan), "crop_margin"),
    "preprocessing not a mapping": (lambda c: c["model_config"].update(preprocessing="grey"), "preprocessing"),
    "state_dict missing": (lambda c: c.pop("state_dict"), "state_dict"),
    "NaN weights": (lambda c: c["state_dict"].update({"smile_head.weight": c["state_dict"]["smile_head.weight"]
                                                      * math.nan}), "smile_head.weight"),
    "inf weights": (lambda c: c["state_dict"].update({"features.0.0.weight": c["state_dict"]["features.0.0.weight"]
                                                       + math.inf}), "features.0.0.weight"),
    "a weight that is not a tensor": (lambda c: c["state_dict"].update({"smile_head.bias": [0.0]}), "smile_head.bias"),
}


@pytest.mark.parametrize("case", list(CASES))
def test_a_malformed_checkpoint_is_one_checkpoint_error(good, tmp_path, case):
    change, key = CASES[case]
    path = tmp_path / "bad.pt"
    torch.save(broken(good, change), path)
    with pytest.raises(CheckpointError) as caught:
        load_model(path)
    message = str(caught.value)
    assert message.startswith(f"{path}: ") and key in message and "\n" not in message
    with pytest.raises(CheckpointError):
        read_checkpoint(path)


@pytest.mark.parametrize("case", ["input_size 'big'", "NaN weights"])
def test_the_game_reports_a_malformed_checkpoint_in_one_line(good, tmp_path, capsys, case):
    path = tmp_path / "bad.pt"
    torch.save(broken(good, CASES[case][0]), path)
    assert main.main(["--source", "0", "--headless", "--weights", str(path)]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"error: {path}: ") and err.count("\n") == 1


def test_a_good_checkpoint_still_loads(good, tmp_path):
    path = tmp_path / "good.pt"
    torch.save(good, path)
    model, ckpt = load_model(path)
    assert model.config.preprocessing.input_size == good["model_config"]["preprocessing"]["input_size"]
