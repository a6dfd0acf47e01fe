"""Stops and starts leave nothing odd: Ctrl+C (a real SIGINT) in the window ends it without a
traceback, temporary files of a killed save are removed at the next start, and an image
folder plays in natural order."""
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import cv2
import numpy as np
import pytest

from game.capture import ImageFolderSource

REPO = Path(__file__).resolve().parents[1]


def test_sigint_in_the_window_stops_cleanly(tmp_path, random_checkpoint, videos_dir):
    env = {**os.environ, "SDL_VIDEODRIVER": "dummy", "SDL_AUDIODRIVER": "dummy", "OMP_NUM_THREADS": "1",
           "UTCHAM_CONFIG_DIR": str(tmp_path / "config"), "UTCHAM_STATE_DIR": str(tmp_path / "state")}
    err = tmp_path / "stderr.txt"
    with err.open("w") as stderr:
        game = subprocess.Popen([sys.executable, "main.py", "--source", str(videos_dir / "smile_transition_a.mp4"),
                                 "--weights", str(random_checkpoint)], cwd=REPO, env=env,
                                stdout=subprocess.DEVNULL, stderr=stderr)
        try:
            deadline = time.monotonic() + 120
            while "playing (Q quits)" not in err.read_text() and game.poll() is None and time.monotonic() < deadline:
                time.sleep(0.05)
            assert "playing (Q quits)" in err.read_text(), err.read_text()
            assert str(tmp_path / "state" / "logs") in err.read_text()   # says where error logs go
            time.sleep(0.5)   # inside the 60 fps loop
            game.send_signal(signal.SIGINT)
            code = game.wait(timeout=30)
        finally:
            if game.poll() is None:
                game.kill()
    text = err.read_text()
    assert code == 130 and "Traceback" not in text and "stopped (Ctrl+C)" in text, text


def test_a_killed_saves_temporary_files_are_removed_at_the_next_start(tmp_path, monkeypatch):
    import pygame

    from game.app import App
    from tests.test_game_flow import FakeHost

    config = tmp_path / "config"
    monkeypatch.setenv("UTCHAM_CONFIG_DIR", str(config))
    config.mkdir()
    old = time.time() - 3600
    stale = [config / "settings.json.k1x2.tmp", config / "scores.json.a9b8.tmp"]
    for path in stale:
        path.write_text('{"threshold": 0.', encoding="utf-8")
        os.utime(path, (old, old))
    fresh = config / "settings.json.zz.tmp"   # another copy of the game saving right now
    fresh.write_text("{}", encoding="utf-8")
    pygame.font.init()
    App(FakeHost())
    assert not any(p.exists() for p in stale) and fresh.exists()


def test_an_image_folder_plays_in_natural_order(tmp_path):
    names = ["frame10.png", "frame2.png", "frame1.png", "Frame3.png", "frame20.png"]
    for i, name in enumerate(names):
        cv2.imwrite(str(tmp_path / name), np.full((8, 8, 3), i, np.uint8))
    source = ImageFolderSource(tmp_path, 10.0)
    assert [p.name for p in source.paths] == ["frame1.png", "frame2.png", "Frame3.png", "frame10.png", "frame20.png"]


def test_a_recording_start_removes_a_killed_manifest_updates_temporary_file(tmp_path, capsys):
    from game.record import main as record

    out = tmp_path / "rec"
    out.mkdir()
    stale = out / "manifest.csv.q1w2.tmp"
    stale.write_text("path,smile,emotion,subject\n", encoding="utf-8")
    os.utime(stale, (time.time() - 3600, time.time() - 3600))
    video = tmp_path / "noface.avi"
    writer = cv2.VideoWriter(str(video), cv2.VideoWriter_fourcc(*"MJPG"), 25, (64, 48))
    for i in range(3):
        writer.write(np.full((48, 64, 3), 30 * i, np.uint8))
    writer.release()
    assert record(["--player", "kim", "--source", str(video), "--out", str(out), "--i-consent"]) == 2  # no face
    assert not stale.exists() and f"removed {stale}" in capsys.readouterr().out
