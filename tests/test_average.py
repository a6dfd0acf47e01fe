import torch
import pytest

from experiments.average import average_weights, main
from model.checkpoint import CheckpointError, load_model, save_checkpoint
from model.network import ModelConfig, SmileEmotionNet
from model.preprocess import Preprocessing
from tests.test_train import make_tiny_data, tiny_config

CONFIG = ModelConfig(lstm_hidden=16, preprocessing=Preprocessing(input_size=32))


def checkpoint(path, seed, config=CONFIG):
    torch.manual_seed(seed)
    return save_checkpoint(path, SmileEmotionNet(config))


def test_float_tensors_are_averaged_and_counters_kept(tmp_path):
    paths = [checkpoint(tmp_path / f"{s}.pt", s) for s in range(3)]
    states = [load_model(p)[0].state_dict() for p in paths]
    mean = average_weights(paths).state_dict()
    for key, value in mean.items():
        if value.is_floating_point():
            assert torch.allclose(value, sum(s[key] for s in states) / 3, atol=1e-6), key
        else:
            assert torch.equal(value, states[0][key]), key
    assert not torch.allclose(mean["emotion_head.weight"], states[0]["emotion_head.weight"])


def test_refuses_one_checkpoint_or_different_models(tmp_path):
    a = checkpoint(tmp_path / "a.pt", 0)
    with pytest.raises(CheckpointError, match="at least two"):
        average_weights([a])
    b = checkpoint(tmp_path / "b.pt", 1, ModelConfig(lstm_hidden=8, preprocessing=Preprocessing(input_size=32)))
    with pytest.raises(CheckpointError, match="b.pt: model settings differ"):
        average_weights([a, b])


def test_cli_re_estimates_batchnorm_on_the_training_data(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("UTCHAM_CACHE", str(tmp_path / "cache"))
    make_tiny_data(tmp_path)
    paths = [checkpoint(tmp_path / f"{s}.pt", s) for s in range(2)]
    out = tmp_path / "avg.pt"
    assert main(["--config", str(tiny_config(tmp_path)), "--out", str(out), *map(str, paths)]) == 0
    model, ckpt = load_model(out)
    assert ckpt["averaged_from"] == [str(p) for p in paths]
    plain = average_weights(paths).state_dict()
    stats = [k for k in plain if k.endswith("running_mean")]
    # untrained checkpoints carry the initial statistics (0); re-estimated ones come from the data
    assert stats and all(not torch.equal(model.state_dict()[k], plain[k]) for k in stats)
    assert main(["--config", str(tmp_path / "missing.yaml"), "--out", str(out), *map(str, paths)]) == 2
    assert "missing.yaml: config file not found" in capsys.readouterr().err
