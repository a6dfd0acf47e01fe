"""Shared test setup: no window, no sound card, one torch thread, tiny fixtures.

Other test modules may add fixtures here; keep each one small and cheap.
"""
from __future__ import annotations

import os

# Before pygame / OpenCV are imported anywhere: no display, no audio device, quiet OpenCV.
os.environ.setdefault("SDL_VIDEODRIVER", "dummy")
os.environ.setdefault("SDL_AUDIODRIVER", "dummy")
os.environ.setdefault("OPENCV_LOG_LEVEL", "SILENT")
os.environ.setdefault("OPENCV_FFMPEG_LOGLEVEL", "-8")

from pathlib import Path  # noqa: E402

import pytest  # noqa: E402
import torch  # noqa: E402

torch.set_num_threads(1)  # two shared cores: more threads only add contention

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared"
# UTCHAM_TEST_WEIGHTS runs the tests of the trained model on a candidate checkpoint instead
# (the shipping rule's third clause: weights/README.md).
SHIPPED_WEIGHTS = Path(os.environ.get("UTCHAM_TEST_WEIGHTS", REPO / "weights" / "smile_emotion.pt")).resolve()


def require(path: Path, what: str) -> Path:
    """``path`` if it exists, else skip the test saying what is missing."""
    if not path.exists():
        pytest.skip(f"{what} not available: {path} is absent")
    return path


@pytest.fixture(scope="session")
def shared_dir() -> Path:
    """../shared next to the repo (datasets, reference weights); skips when absent."""
    return require(SHARED, "shared datasets")


@pytest.fixture(scope="session")
def videos_dir(shared_dir: Path) -> Path:
    return require(shared_dir / "datasets" / "videos", "test videos")


@pytest.fixture(scope="session")
def shipped_weights() -> Path:
    """The trained checkpoint the game ships with; skips until training has produced it."""
    return require(SHIPPED_WEIGHTS, "trained weights (train the model first)")


@pytest.fixture(scope="session")
def random_checkpoint(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A randomly initialised SmileEmotionNet saved as a real checkpoint (fixed seed)."""
    from model.checkpoint import save_checkpoint
    from model.network import SmileEmotionNet

    torch.manual_seed(0)
    return save_checkpoint(tmp_path_factory.mktemp("weights") / "random.pt", SmileEmotionNet())


def responsive_model(config=None, seed: int = 0):
    """A random-weight SmileEmotionNet whose outputs depend on its input.

    Freshly initialised, eval-mode BatchNorm (running mean 0, var 1) shrinks the backbone's
    features to ~1e-9, so every face gives the same answer and comparisons are vacuous.
    Here the running statistics are measured on random images first, by the trainer's own
    recalibrate_batchnorm."""
    from model.network import ModelConfig, SmileEmotionNet
    from model.training import recalibrate_batchnorm

    torch.manual_seed(seed)
    net = SmileEmotionNet(config or ModelConfig())
    size = net.config.preprocessing.input_size
    frames = torch.randn(16, 1, 3, size, size)   # 16 one-frame sequences: one batch of 16 images
    with torch.no_grad():
        recalibrate_batchnorm(net, [{"frames": frames, "order": torch.zeros(16, 1, dtype=torch.long)}],
                              torch.device("cpu"), batches=1)
    return net.eval()


def game_config(**values):
    """GameConfig() with the named values changed, each in the section that holds it
    (``round_seconds`` -> ui, ``calibration_s`` -> judge, ...)."""
    from dataclasses import fields, replace

    from game.config import GameConfig

    config, left = GameConfig(), dict(values)
    for section in fields(config):
        part = getattr(config, section.name)
        mine = {f.name: left.pop(f.name) for f in fields(part) if f.name in left}
        if mine:
            config = replace(config, **{section.name: replace(part, **mine)})
    if left:
        raise TypeError(f"no config section has {', '.join(left)}")
    return config


@pytest.fixture
def texts(monkeypatch) -> list[str]:
    """Every string the screens and their widgets draw with draw_text, in order."""
    from game.ui import error_screen, recording_screen, screens, theme, widgets

    seen: list[str] = []
    real = theme.draw_text

    def recording(surface, font, label, colour, pos, anchor="topleft"):
        seen.append(label)
        return real(surface, font, label, colour, pos, anchor)

    for module in (screens, widgets, recording_screen, error_screen):
        monkeypatch.setattr(module, "draw_text", recording)
    return seen
