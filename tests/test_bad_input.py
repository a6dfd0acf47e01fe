"""Bad input is refused in one line naming the file and what is wrong, before anything is
written: a log path that is one of the run's inputs, non-finite numbers, unknown config sections."""
import shutil
from pathlib import Path

import cv2
import numpy as np
import pytest

import main

REPO = Path(__file__).resolve().parents[1]


def write_video(path: Path, frames: int = 5) -> Path:
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"MJPG"), 25, (64, 48))
    for i in range(frames):
        writer.write(np.full((48, 64, 3), i * 20, np.uint8))
    writer.release()
    return path


@pytest.fixture
def inputs(tmp_path, random_checkpoint) -> dict[str, Path]:
    return {"source": write_video(tmp_path / "copy.mp4"),
            "weights": Path(shutil.copy(random_checkpoint, tmp_path / "w.pt")),
            "config": Path(shutil.copy(REPO / "configs" / "game.yaml", tmp_path / "game.yaml"))}


def headless(inputs: dict[str, Path], log: Path) -> int:
    return main.main(["--source", str(inputs["source"]), "--weights", str(inputs["weights"]),
                      "--config", str(inputs["config"]), "--headless", "--log", str(log), "--max-frames", "2"])


# ---------------------------------------------------------------- --log
@pytest.mark.parametrize("which", ["source", "weights", "config"])
def test_a_log_path_that_is_an_input_is_refused_and_the_input_kept(inputs, capsys, which):
    before = {name: path.read_bytes() for name, path in inputs.items()}
    assert headless(inputs, inputs[which]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"error: --log {inputs[which]}: ") and f"is the {which}" in err and err.count("\n") == 1
    assert {name: path.read_bytes() for name, path in inputs.items()} == before


def test_a_log_path_linked_to_the_source_is_refused(inputs, tmp_path, capsys):
    link = tmp_path / "other.csv"
    link.symlink_to(inputs["source"])
    before = inputs["source"].read_bytes()
    assert headless(inputs, link) == 2
    assert "is the source" in capsys.readouterr().err and inputs["source"].read_bytes() == before


def test_a_log_path_holding_some_other_file_is_refused(inputs, tmp_path, capsys):
    notes = tmp_path / "notes.csv"
    notes.write_text("name,phone\nkim,010\n", encoding="utf-8")
    assert headless(inputs, notes) == 2
    err = capsys.readouterr().err
    assert f"--log {notes}: " in err and "not a log" in err and err.count("\n") == 1
    assert notes.read_text(encoding="utf-8") == "name,phone\nkim,010\n"


def test_an_earlier_log_is_replaced(inputs, tmp_path, capsys):
    log = tmp_path / "out.csv"
    assert headless(inputs, log) == 0
    log.write_text(log.read_text(encoding="utf-8") + "an earlier run's row\n", encoding="utf-8")
    assert headless(inputs, log) == 0
    lines = log.read_text(encoding="utf-8").splitlines()
    assert lines[0].startswith("frame,t,face_found") and len(lines) == 3


# ---------------------------------------------------------------- numbers and sections of the game config
def config_file(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "bad.yaml"
    path.write_text(text, encoding="utf-8")
    return path


@pytest.mark.parametrize("text, key", [
    ("judge:\n  threshold: .nan\n", "judge.threshold"),
    ("smoothing:\n  ema_alpha: .nan\n", "smoothing.ema_alpha"),
    ("source:\n  folder_fps: .inf\n", "source.folder_fps"),
    ("tracking:\n  min_iou: -.inf\n", "tracking.min_iou"),
])
def test_non_finite_config_numbers_are_refused(tmp_path, text, key):
    from game.config import ConfigError, load_config
    path = config_file(tmp_path, text)
    with pytest.raises(ConfigError, match=rf"^{path}: {key} must be a finite number"):
        load_config(path)


def test_a_non_finite_round_length_is_refused(tmp_path):
    from game.config import ConfigError, load_config
    path = config_file(tmp_path, "ui:\n  round_seconds: .nan\n")
    with pytest.raises(ConfigError, match=rf"^{path}: ui.round_seconds must be a finite number"):
        load_config(path)


@pytest.mark.parametrize("flag", ["--round-seconds", "--threshold"])
@pytest.mark.parametrize("value", ["nan", "inf"])
def test_non_finite_numbers_on_the_command_line_are_refused(inputs, tmp_path, capsys, flag, value):
    shot = tmp_path / "shot.png"   # a one-frame screenshot run, so a flag let through ends too
    assert main.main(["--source", str(inputs["source"]), "--weights", str(inputs["weights"]), flag, value,
                      "--screenshot", str(shot), "--frames", "1"]) == 2
    assert not shot.exists()
    err = capsys.readouterr().err
    assert err.startswith("error: ") and flag in err and err.count("\n") == 1


@pytest.mark.parametrize("flag", ["--clip-seconds", "--prepare-seconds"])
def test_non_finite_recording_times_are_refused(inputs, tmp_path, capsys, flag):
    from game.record import main as record
    out = tmp_path / "rec"
    assert record(["--player", "kim", "--source", str(inputs["source"]), "--out", str(out), "--i-consent",
                   flag, "nan"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: ") and flag in err and err.count("\n") == 1
    assert not out.exists()


def test_a_misspelt_config_section_is_refused(tmp_path):
    from game.config import ConfigError, load_config
    path = config_file(tmp_path, "jugde:\n  threshold: 0.6\n")
    with pytest.raises(ConfigError, match=rf"^{path}: unknown section 'jugde' \(known: .*judge.*ui"):
        load_config(path)


def test_the_shipped_config_has_only_known_sections():
    from game.config import GameConfig, load_config
    assert load_config(REPO / "configs" / "game.yaml") == GameConfig()   # and it says the defaults
