from pathlib import Path

import numpy as np
import pytest
import torch

from model.checkpoint import CheckpointError, load_model, save_checkpoint
from model.mobilenetv3 import MobileNetV3Small, load_imagenet_weights
from model.network import ModelConfig, SmileEmotionNet, StreamingBatch, StreamingModel
from model.preprocess import Preprocessing
from tests.conftest import responsive_model

SHARED = Path(__file__).resolve().parents[1].parent / "shared"
IMAGENET = SHARED / "weights" / "mobilenet_v3_small_imagenet_tfslim.pth"


def test_backbone_matches_torchvision_layout():
    net = MobileNetV3Small()
    # torchvision's mobilenet_v3_small has 2,542,856 parameters and these key names
    assert sum(p.numel() for p in net.parameters()) == 2_542_856
    keys = set(net.state_dict())
    for key in ("features.0.0.weight", "features.1.block.0.0.weight", "features.1.block.1.fc1.weight",
                "features.2.block.2.1.running_var", "features.4.block.2.fc2.bias",
                "features.12.0.weight", "classifier.0.weight", "classifier.3.bias"):
        assert key in keys
    assert net(torch.zeros(1, 3, 224, 224)).shape == (1, 1000)


@pytest.mark.skipif(not IMAGENET.exists(), reason="../shared/weights is absent")
def test_imagenet_weights_load_strictly():
    net = MobileNetV3Small()
    load_imagenet_weights(net, IMAGENET)
    two_head = SmileEmotionNet(imagenet_weights=str(IMAGENET))
    assert torch.equal(two_head.features[0][0].weight, net.features[0][0].weight)


def test_bad_imagenet_file_is_one_clear_error(tmp_path):
    bad = tmp_path / "bad.pth"
    bad.write_bytes(b"not a checkpoint")
    with pytest.raises(ValueError, match="bad.pth"):
        load_imagenet_weights(MobileNetV3Small(), bad)
    wrong = tmp_path / "wrong.pth"
    torch.save({"x": torch.zeros(1)}, wrong)
    with pytest.raises(ValueError, match="wrong.pth: not a mobilenet_v3_small"):
        load_imagenet_weights(MobileNetV3Small(), wrong)


def test_forward_shapes_and_order():
    torch.manual_seed(0)
    net = SmileEmotionNet().eval()
    frames = torch.randn(3, 2, 3, 64, 64)
    order = torch.tensor([[0] * 5 + [1] * 5] * 3)
    out = net(frames, order)
    assert out.smile_logit.shape == (3,) and out.emotion_logits.shape == (3, 7)
    assert ((out.smile >= 0) & (out.smile <= 1)).all()
    assert torch.allclose(out.emotion_probs.sum(-1), torch.ones(3))
    # order is a gather: the same as feeding the expanded 10-frame sequence
    expanded = torch.stack([frames[:, i] for i in order[0].tolist()], dim=1)
    full = net(expanded)
    assert torch.allclose(out.smile_logit, full.smile_logit, atol=1e-5)


def test_streaming_equals_full_window_forward():
    torch.manual_seed(0)
    net = SmileEmotionNet().eval()
    stream = StreamingModel(net)
    rng = np.random.default_rng(0)
    crops = [rng.integers(0, 256, (80, 80, 3), dtype=np.uint8) for _ in range(14)]
    for i, crop in enumerate(crops):
        pred = stream.push(crop)
        window = crops[max(0, i - 9): i + 1]
        with torch.no_grad():
            full = net(net.config.preprocessing(window).unsqueeze(0))
        assert pred.frames_in_window == len(window)
        assert abs(pred.smile - float(full.smile[0])) < 1e-5
        assert np.allclose(pred.emotion_probs, full.emotion_probs[0].numpy(), atol=1e-5)
    stream.reset()
    assert stream.push(crops[0]).frames_in_window == 1


@pytest.mark.parametrize("tta_flip", [False, True])
def test_batched_push_equals_separate_pushes(tta_flip):
    """One backbone call for every stream's crop gives each stream what its own push gives,
    a missing face resets only that stream, and stream windows stay apart."""
    net = responsive_model(seed=3)
    batch, alone = StreamingBatch(net, 3, tta_flip=tta_flip), [StreamingModel(net, tta_flip=tta_flip) for _ in range(3)]
    rng = np.random.default_rng(3)
    for step in range(13):
        crops = [rng.integers(0, 256, (70 + 10 * i, 70 + 10 * i, 3), dtype=np.uint8) for i in range(3)]
        if step in (4, 5):
            crops[1] = None                      # player 2's face is lost for two frames
        if step == 7:
            crops = [None, None, None]
        got = batch.push_many(crops)
        for i, (crop, pred) in enumerate(zip(crops, got)):
            if crop is None:
                alone[i].reset()
                assert pred is None and len(batch.streams[i].window) == 0
                continue
            want = alone[i].push(crop)
            assert pred.frames_in_window == want.frames_in_window
            assert abs(pred.smile - want.smile) < 1e-5
            np.testing.assert_allclose(pred.emotion_probs, want.emotion_probs, atol=1e-5)
    assert [len(w.window) for w in batch.streams] == [5, 5, 5]
    assert all(len(window) == 5 for w in batch.streams for window in w.windows)
    smiles = [p.smile for p in got]
    assert max(smiles) - min(smiles) > 1e-4      # different faces, different answers: not vacuous
    with pytest.raises(ValueError, match="expected 3 crops"):
        batch.push_many([crops[0]])


def test_checkpoint_round_trip_keeps_preprocessing(tmp_path):
    cfg = ModelConfig(lstm_hidden=32, preprocessing=Preprocessing(input_size=48, grayscale=False, crop_margin=0.3))
    net = SmileEmotionNet(cfg)
    path = save_checkpoint(tmp_path / "m.pt", net, metrics={"val_score": 0.5})
    loaded, ckpt = load_model(path)
    assert loaded.config == cfg
    assert ckpt["metrics"] == {"val_score": 0.5}
    for key, value in net.state_dict().items():
        assert torch.equal(value, loaded.state_dict()[key])
    assert list(tmp_path.iterdir()) == [path]  # no temp file left behind


def test_checkpoint_errors_name_the_file(tmp_path):
    with pytest.raises(CheckpointError, match="missing.pt: weights file not found"):
        load_model(tmp_path / "missing.pt")
    corrupt = tmp_path / "corrupt.pt"
    corrupt.write_bytes(b"\x00garbage")
    with pytest.raises(CheckpointError, match="corrupt.pt: corrupt"):
        load_model(corrupt)
    foreign = tmp_path / "foreign.pt"
    torch.save({"state_dict": {}}, foreign)
    with pytest.raises(CheckpointError, match="foreign.pt: not a"):
        load_model(foreign)
    truncated = tmp_path / "truncated.pt"
    save_checkpoint(truncated, SmileEmotionNet())
    truncated.write_bytes(truncated.read_bytes()[:5000])
    with pytest.raises(CheckpointError, match="truncated.pt"):
        load_model(truncated)
