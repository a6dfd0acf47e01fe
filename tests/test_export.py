import json
from collections import deque

import numpy as np
import onnx
import onnxruntime as ort
import pytest
import torch

from model.checkpoint import load_model, save_checkpoint
from model.export import main as export_main
from model.network import ModelConfig, StreamingModel
from model.preprocess import Preprocessing
from tests.conftest import responsive_model

ATOL = 1e-4


@pytest.fixture(scope="module")
def exported(tmp_path_factory):
    """A random-weight checkpoint with non-default preprocessing, exported by the CLI."""
    tmp = tmp_path_factory.mktemp("export")
    net = responsive_model(ModelConfig(preprocessing=Preprocessing(input_size=48, grayscale=False)))
    weights = save_checkpoint(tmp / "random.pt", net)
    assert export_main(["--weights", str(weights), "--onnx", str(tmp / "utcham.onnx")]) == 0
    model, _ = load_model(weights)
    sessions = {name: ort.InferenceSession(str(tmp / f"utcham.{name}.onnx"),
                                           providers=["CPUExecutionProvider"])
                for name in ("backbone", "temporal")}
    return model, sessions, tmp


def test_metadata_carries_the_checkpoint_preprocessing(exported):
    model, _, tmp = exported
    for name in ("backbone", "temporal"):
        props = {p.key: p.value for p in onnx.load(str(tmp / f"utcham.{name}.onnx")).metadata_props}
        assert props["graph"] == name
        pre = Preprocessing.from_dict(json.loads(props["preprocessing"]))
        assert pre == model.config.preprocessing and pre.input_size == 48 and not pre.grayscale
        assert json.loads(props["emotions"])[3] == "happy"
        assert json.loads(props["model_config"])["seq_len"] == model.config.seq_len


def test_backbone_matches_torch_with_dynamic_batch(exported):
    model, sessions, _ = exported
    rng = np.random.default_rng(1)
    for n in (1, 5):
        crops = [rng.integers(0, 256, (70, 70, 3), dtype=np.uint8) for _ in range(n)]
        images = model.config.preprocessing(crops)
        (features,) = sessions["backbone"].run(None, {"images": images.numpy()})
        with torch.no_grad():
            expected = model.embed(images).numpy()
        assert features.shape == (n, 576)
        if n > 1:  # the comparison means something only if faces give different features
            assert features.std(axis=0).mean() > 0.1
        np.testing.assert_allclose(features, expected, atol=ATOL)


def test_full_ten_frame_windows_match_torch_forward(exported):
    model, sessions, _ = exported
    rng = np.random.default_rng(2)
    b, t = 3, model.config.seq_len
    crops = [rng.integers(0, 256, (60, 60, 3), dtype=np.uint8) for _ in range(b * t)]
    frames = model.config.preprocessing(crops).view(b, t, 3, 48, 48)
    (features,) = sessions["backbone"].run(None, {"images": frames.flatten(0, 1).numpy()})
    smile, probs = sessions["temporal"].run(None, {"features": features.reshape(b, t, -1)})
    with torch.no_grad():
        out = model(frames)
    assert smile.shape == (b,) and probs.shape == (b, 7)
    np.testing.assert_allclose(smile, out.smile.numpy(), atol=ATOL)
    np.testing.assert_allclose(probs, out.emotion_probs.numpy(), atol=ATOL)
    np.testing.assert_allclose(probs.sum(axis=1), 1.0, atol=1e-5)


def test_streaming_sequence_matches_streaming_model(exported):
    """Backbone once per frame, a rolling window of features, temporal graph per step:
    the same numbers as the game's StreamingModel, while the window fills and slides."""
    model, sessions, _ = exported
    stream = StreamingModel(model)
    window: deque[np.ndarray] = deque(maxlen=model.config.seq_len)
    rng = np.random.default_rng(3)
    base = rng.integers(0, 256, (64, 64, 3)).astype(np.int16)
    for step in range(model.config.seq_len + 4):
        crop = np.clip(base + rng.integers(-20, 21, base.shape), 0, 255).astype(np.uint8)
        expected = stream.push(crop)
        images = model.config.preprocessing([crop]).numpy()
        window.append(sessions["backbone"].run(None, {"images": images})[0][0])
        smile, probs = sessions["temporal"].run(None, {"features": np.stack(window)[None]})
        assert expected.frames_in_window == len(window), step
        assert abs(float(smile[0]) - expected.smile) <= ATOL, step
        np.testing.assert_allclose(probs[0], expected.emotion_probs, atol=ATOL)


def test_missing_weights_is_a_one_line_error(tmp_path, capsys):
    assert export_main(["--weights", str(tmp_path / "nope.pt"), "--onnx", str(tmp_path / "x.onnx")]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("error: ") and "nope.pt" in err and "\n" not in err
    assert not list(tmp_path.glob("*.onnx"))
