"""An error in the engine's processing thread, in the window: a translated error screen with
retry (never the raw exception text alone), and the traceback in a log file under the state dir."""
import time

import pygame
import pytest

from game import engine as engine_module
from game.app import App
from game.host import EngineHost
from tests.conftest import game_config
from game.config import load_config
from game.errors import log_dir
from game.flow import Phase
from model.checkpoint import load_model


class Broken(RuntimeError):
    pass


@pytest.fixture
def dirs(tmp_path, monkeypatch):
    monkeypatch.setenv("UTCHAM_CONFIG_DIR", str(tmp_path / "config"))
    monkeypatch.setenv("UTCHAM_STATE_DIR", str(tmp_path / "state"))
    return tmp_path


def run_until(app: App, done, seconds: float = 30.0) -> None:
    deadline = time.monotonic() + seconds
    while not done() and time.monotonic() < deadline:
        now = time.monotonic()
        app.step(now)
        app.draw(now)
        time.sleep(1 / 60)


def key(app: App, k: int) -> None:
    app.handle_event(pygame.event.Event(pygame.KEYDOWN, key=k, mod=0, unicode=""))


def test_a_processing_error_shows_a_translated_screen_logs_the_traceback_and_retries(
        dirs, random_checkpoint, videos_dir, monkeypatch, texts):
    pygame.font.init()
    model, _ = load_model(random_checkpoint)
    host = EngineHost(model, load_config(None), str(videos_dir / "smile_transition_a.mp4"))
    app = App(host, game_config(round_seconds=5.0, face_missing_s=5.0, countdown_s=1, calibration_s=0.5))
    real_process, failing = engine_module.Engine.process, [False]

    def process(self, frame):
        if failing[0]:
            raise Broken("the model fell over")
        return real_process(self, frame)

    monkeypatch.setattr(engine_module.Engine, "process", process)
    try:
        app.start_game(1)
        run_until(app, lambda: host.latest() is not None)
        assert host.latest() is not None and app.failure is None
        failing[0] = True
        run_until(app, lambda: app.failure is not None, 10.0)
        assert app.failure is not None
        (log,) = log_dir().glob("error-*.log")
        assert log.parent == dirs / "state" / "logs"
        content = log.read_text(encoding="utf-8")
        assert "Traceback" in content and "Broken: the model fell over" in content and "in process" in content
        texts.clear()
        app.draw(time.monotonic())
        assert "영상 처리 중 오류가 났어요" in texts                      # Korean by default
        assert any(str(log) in t for t in texts) and "다시 시도 (Enter)" in texts
        app.settings.language = "en"
        texts.clear()
        app.draw(time.monotonic())
        assert "Processing the video failed" in texts and "Try again (Enter)" in texts
        failing[0] = False
        key(app, pygame.K_RETURN)                                        # retry
        assert app.failure is None
        before = host.latest()
        run_until(app, lambda: host.latest() is not before and app.flow.phase is not Phase.CALIBRATE, 30.0)
        assert host.latest() is not before and host.error is None and app.failure is None
        assert app.flow.phase is not Phase.CALIBRATE                  # calibration went on
        failing[0] = True
        run_until(app, lambda: app.failure is not None, 10.0)
        key(app, pygame.K_ESCAPE)                                        # quit from the error screen
        assert not app.running
    finally:
        app.close()
