"""The round's state machine, the app's controls, settings, high scores, sounds and the
watch pane; scripted engine results and a scripted clock, plus one round through the
real engine on a short clip."""
from __future__ import annotations

import csv
import json
import logging
import time
from pathlib import Path

import cv2
import numpy as np
import pygame
import pytest

import main
from game.app import App
from game.capture import SourceState, SourceStatus
from game.config import ConfigError, GameConfig, UiSettings, load_config
from game.flow import Event, GameFlow, Outcome, Phase
from game.host import EngineHost
from game.recording import Plan, select_prompts
from game.scores import TABLE_SIZE, HighScores, ScoreEntry, shown_seconds
from game.settings import Settings, SettingsStore, config_dir
from game.sounds import EFFECTS, RATE, Sounds
from game.types import Analysis, EngineResult, Frame, Judgement, Mode, PlayerResult, Verdict
from game.ui.recording_screen import Stage
from game.ui.screens import TITLE_MENU
from game.watch import WatchError, WatchPlayer, list_clips
from model.checkpoint import load_model
from model.face import FaceBox
from model.preprocess import Preprocessing
from tests.conftest import game_config

BOX = FaceBox(100, 60, 120, 120, 0.9)
CROP = np.full((112, 112, 3), 90, np.uint8)   # the engine's crop of BOX, as a PlayerResult carries it
PROBS = np.array([0.01, 0.01, 0.01, 0.2, 0.01, 0.01, 0.75], dtype=np.float32)


@pytest.fixture(autouse=True)
def private_dirs(tmp_path, monkeypatch):
    """Settings, scores, pictures and recordings go to tmp_path, never to the real home."""
    monkeypatch.setenv("UTCHAM_CONFIG_DIR", str(tmp_path / "config"))
    monkeypatch.setenv("UTCHAM_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("XDG_PICTURES_DIR", str(tmp_path / "pictures"))
    pygame.font.init()


class Clock:
    def __init__(self, t: float = 1000.0):
        self.t = t

    def __call__(self) -> float:
        return self.t


def make_result(clock: Clock, smiles=(0.1,), verdicts=None, faces=None, image=None, index=[0]) -> EngineResult:
    """One engine frame captured 'now' with the given per-player smiles / verdicts / faces."""
    index[0] += 1
    verdicts = verdicts or [Verdict.SAFE] * len(smiles)
    faces = faces if faces is not None else [True] * len(smiles)
    players = []
    for smile, verdict, face in zip(smiles, verdicts, faces):
        if not face:
            verdict, smile = Verdict.NO_FACE, 0.0
        j = Judgement(verdict, Mode.SIMPLE, smile, smile, PROBS if face else np.zeros(7), Analysis.CALM, face, 0.8)
        players.append(PlayerResult(BOX if face else None, j, CROP if face else None))
    image = image if image is not None else np.full((120, 160, 3), index[0] % 256, np.uint8)
    return EngineResult(Frame(image, index[0], 0.0, clock()), players, 5.0, 20.0)


def run_for(flow: GameFlow, clock: Clock, seconds: float, dt: float = 1 / 30, **result_kw) -> list[Event]:
    """Advance the clock in UI frames, one new engine result per frame."""
    events = []
    for _ in range(round(seconds / dt)):
        clock.t += dt
        events += flow.update(clock(), make_result(clock, **result_kw))
    return events


# --- the state machine --------------------------------------------------------------------
def test_calibration_takes_the_median_resting_smile_only_while_the_face_is_seen():
    clock, flow = Clock(), GameFlow(game_config(calibration_s=3.0))
    flow.begin()
    run_for(flow, clock, 2.0, faces=[False])
    assert flow.phase is Phase.CALIBRATE and flow.calibrated_for == 0
    events = run_for(flow, clock, 2.0, smiles=(0.30,)) + run_for(flow, clock, 1.2, smiles=(0.36,))
    assert Event.CALIBRATED in events and flow.phase is Phase.COUNTDOWN
    assert flow.baselines == [pytest.approx(0.30)]


def test_countdown_beeps_each_second_then_go():
    clock, flow = Clock(), GameFlow(game_config(calibration_s=0.5, countdown_s=3))
    flow.begin()
    events = run_for(flow, clock, 0.6) + run_for(flow, clock, 3.2)
    assert events.count(Event.BEEP) == 3 and events.count(Event.GO) == 1
    assert flow.phase is Phase.PLAYING


def start_round(flow: GameFlow, clock: Clock, players: int = 1) -> None:
    flow.begin(players)
    run_for(flow, clock, flow.config.judge.calibration_s + 0.2, smiles=(0.1,) * players)
    run_for(flow, clock, flow.config.ui.countdown_s + 0.1, smiles=(0.1,) * players)
    assert flow.phase is Phase.PLAYING


def quick_config(**kw) -> GameConfig:
    return game_config(**{"round_seconds": 10.0, "calibration_s": 0.5, "countdown_s": 1, "face_missing_s": 3.0, **kw})


def test_out_ends_the_round_and_the_laugh_peak_is_kept_in_memory():
    clock, flow = Clock(), GameFlow(quick_config())
    start_round(flow, clock)
    run_for(flow, clock, 2.0, smiles=(0.4,))
    survived = flow.elapsed
    laugh = np.full((120, 160, 3), 77, np.uint8)
    events = flow.update(clock(), make_result(clock, (0.85,), [Verdict.OUT]))
    assert Event.OUT in events and Event.ROUND_OVER in events
    assert flow.phase is Phase.LAUGH and flow.result.outcome is Outcome.LAUGHED and flow.result.losers == (0,)
    assert flow.result.seconds == survived and 2.0 <= survived <= 2.2   # 2 s + the GO frame's overrun
    # The laugh peaks a moment after the verdict flips: still tracked during the OUT flash.
    clock.t += 0.1
    flow.update(clock(), make_result(clock, (0.97,), [Verdict.OUT], image=laugh))
    clock.t += 0.1
    flow.update(clock(), make_result(clock, (0.90,), [Verdict.OUT]))
    track = flow.tracks[0]
    assert track.peak == pytest.approx(0.97) and track.peak_frame is laugh and track.peak_crop is CROP
    flow.advance()
    assert flow.phase is Phase.LAUGH             # not before the flash has played
    run_for(flow, clock, flow.config.ui.laugh_flash_s)
    flow.advance()
    assert flow.phase is Phase.RESULTS
    flow.to_title()
    assert track.peak_frame is None              # dropped with the round


def test_no_face_holds_the_timer_and_hiding_too_long_loses():
    clock, flow = Clock(), GameFlow(quick_config(face_missing_s=3.0))
    start_round(flow, clock)
    run_for(flow, clock, 1.0)
    held = flow.elapsed
    run_for(flow, clock, 2.0, faces=[False])
    assert flow.elapsed == pytest.approx(held) and flow.phase is Phase.PLAYING
    assert flow.forfeit_in == pytest.approx(1.0, abs=0.05)
    run_for(flow, clock, 0.5)                     # back in view: the gap is forgiven
    assert flow.missing_for == 0 and flow.elapsed > held
    events = run_for(flow, clock, 3.1, faces=[False])
    assert flow.phase is Phase.RESULTS and flow.result.outcome is Outcome.HID and Event.OUT in events


def test_surviving_the_round_wins():
    clock, flow = Clock(), GameFlow(quick_config(round_seconds=5.0))
    start_round(flow, clock)
    events = run_for(flow, clock, 5.2, smiles=(0.5,))
    assert flow.phase is Phase.RESULTS and flow.result.outcome is Outcome.SURVIVED
    assert Event.WIN in events and flow.result.seconds == 5.0


def test_stale_engine_and_pause_hold_the_timer():
    clock, flow = Clock(), GameFlow(quick_config())
    start_round(flow, clock)
    old = make_result(clock)
    for _ in range(60):                           # the engine stops producing frames
        clock.t += 1 / 30
        flow.update(clock(), old)
    assert flow.stale and flow.phase is Phase.PLAYING and flow.missing_for == 0
    held = flow.elapsed
    flow.toggle_pause()
    run_for(flow, clock, 2.0)
    assert flow.elapsed == pytest.approx(held)
    flow.toggle_pause()
    run_for(flow, clock, 1.0)
    assert flow.elapsed == pytest.approx(held + 1.0, abs=0.05)


def test_face_off_first_to_laugh_loses():
    clock, flow = Clock(), GameFlow(quick_config(), players=2)
    start_round(flow, clock, players=2)
    run_for(flow, clock, 1.0, smiles=(0.2, 0.3))
    flow.update(clock(), make_result(clock, (0.3, 0.9), [Verdict.SAFE, Verdict.OUT]))
    assert flow.result.losers == (1,) and flow.result.winner == 0
    flow2 = GameFlow(quick_config(), players=2)
    start_round(flow2, clock, players=2)
    flow2.update(clock(), make_result(clock, (0.9, 0.9), [Verdict.OUT, Verdict.OUT]))
    assert flow2.result.losers == (0, 1) and flow2.result.winner is None   # both laughed: a draw


def test_practice_never_ends():
    clock, flow = Clock(), GameFlow(quick_config(round_seconds=5.0, face_missing_s=1.0))
    flow.begin_practice()
    run_for(flow, clock, 6.0, smiles=(0.9,), verdicts=[Verdict.OUT])
    run_for(flow, clock, 2.0, faces=[False])
    assert flow.phase is Phase.PLAYING and flow.result is None


# --- settings and scores ------------------------------------------------------------------
def test_the_config_threshold_is_where_a_new_player_starts_and_a_saved_choice_is_said(caplog):
    config = game_config(threshold=0.7, two_stage=True)
    app, host, _ = make_app(Clock(), config=config)
    assert (app.settings.threshold, app.settings.two_stage) == (0.7, True) == host.configured[-1]
    press(app, pygame.K_RIGHT)                                   # the player's own choice, saved ...
    with caplog.at_level(logging.INFO, logger="game.app"):
        again, host, _ = make_app(Clock(), config=config)        # ... wins at the next start, and says so
    assert host.configured[-1] == (0.75, True) and "judge.threshold 0.70" in caplog.text
    again.choose(threshold=0.62)                                 # --threshold: for this run
    assert host.configured[-1] == (0.6, True)


def test_settings_round_trip_in_the_config_dir(tmp_path):
    store = SettingsStore()
    assert store.path == tmp_path / "config" / "settings.json" == config_dir() / "settings.json"
    assert store.load() == (Settings(), [])      # no file yet: defaults, nothing to report
    wanted = Settings(threshold=0.65, two_stage=True, language="en", show_stats=False, sound=False,
                      save_laugh_moment=True)
    assert store.save(wanted) is None
    assert SettingsStore().load() == (wanted, [])


def test_config_dir_follows_xdg_then_home(monkeypatch, tmp_path):
    monkeypatch.delenv("UTCHAM_CONFIG_DIR")
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg"))
    assert config_dir() == tmp_path / "xdg" / "utcham"
    monkeypatch.delenv("XDG_CONFIG_HOME")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert config_dir() == tmp_path / "home" / ".config" / "utcham"


@pytest.mark.parametrize("content, problem", [
    ("{not json", "not valid JSON"),
    ("[1, 2]", "expected a JSON object"),
    (b"\xff\xfe\x00bad", "unreadable"),
])
def test_corrupt_settings_file_gives_defaults_and_a_message(content, problem):
    store = SettingsStore()
    store.path.parent.mkdir(parents=True)
    store.path.write_bytes(content if isinstance(content, bytes) else content.encode())
    settings, messages = store.load()
    assert settings == Settings()
    assert len(messages) == 1 and problem in messages[0] and str(store.path) in messages[0]


def test_bad_values_are_replaced_one_by_one():
    store = SettingsStore()
    store.path.parent.mkdir(parents=True)
    store.path.write_text(json.dumps({"threshold": 1.7, "two_stage": "yes", "language": "fr",
                                      "sound": False, "unknown_key": 3}))
    settings, messages = store.load()
    assert settings == Settings(sound=False)
    assert len(messages) == 3
    assert any("threshold=1.7" in m for m in messages) and any("language='fr'" in m for m in messages)
    store.path.write_text(json.dumps({"threshold": 0.73}))
    assert store.load()[0].threshold == 0.75     # snapped to the 0.05 grid


def test_high_scores_rank_persist_and_survive_a_corrupt_file():
    scores = HighScores()
    assert scores.load() == []
    ranks = [scores.add(ScoreEntry.now(s, 0.9, 0.8, False)) for s in (5.0, 12.0, 8.0)]
    assert ranks == [1, 1, 2]
    assert scores.save() is None
    again = HighScores()
    assert again.load() == [] and [e.seconds for e in again.entries] == [12.0, 8.0, 5.0]
    for i in range(TABLE_SIZE):
        again.add(ScoreEntry.now(20 + i, 0.9, 0.8, True))
    assert len(again.entries) == TABLE_SIZE and again.add(ScoreEntry.now(1.0, 0.9, 0.8, False)) is None
    again.path.write_text("[{\"seconds\": 3}, {\"seconds\": 4.0, \"peak\": 0.5, \"threshold\": 0.8, "
                          "\"won\": false, \"date\": \"2026-01-14\"}]")
    messages = again.load()
    assert len(again.entries) == 1 and "skipped 1 malformed" in messages[0]
    again.path.write_text("garbage")
    assert "not valid JSON" in again.load()[0] and again.entries == []


# --- sounds and the watch pane ------------------------------------------------------------
def test_sound_effects_are_synthesised_and_a_missing_device_is_silent(monkeypatch, caplog):
    for make in EFFECTS.values():
        wave = make()
        assert 0.1 * RATE < len(wave) < 3 * RATE and np.abs(wave).max() <= 1.0
    sounds = Sounds()
    assert sounds.available
    sounds.play("out")

    def no_device(*a, **k):
        raise pygame.error("Audio target 'pulse' not available")

    monkeypatch.setattr(pygame.mixer, "get_init", lambda: None)
    monkeypatch.setattr(pygame.mixer, "init", no_device)
    with caplog.at_level(logging.INFO, logger="game.sounds"):
        silent = Sounds()
    silent.play("beep")
    assert not silent.available
    assert len(caplog.records) == 1 and "no audio device" in caplog.records[0].getMessage()


def write_clip(path: Path, frames: int = 6, colour=(0, 0, 255)) -> Path:
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"MJPG"), 30, (64, 48))
    for _ in range(frames):
        writer.write(np.full((48, 64, 3), colour, np.uint8))
    writer.release()
    return path


def test_watch_pane_plays_a_folder_of_clips_and_stops_promptly(tmp_path):
    folder = tmp_path / "clips"
    folder.mkdir()
    write_clip(folder / "b.avi")
    write_clip(folder / "a.avi", colour=(255, 0, 0))
    (folder / "notes.txt").write_text("not a video")
    assert [p.name for p in list_clips(folder)] == ["a.avi", "b.avi"]
    player = WatchPlayer.open(folder).start()
    deadline = time.monotonic() + 5
    while player.latest() is None and time.monotonic() < deadline:
        time.sleep(0.01)
    frame = player.latest()
    assert frame is not None and frame.shape == (48, 64, 3)
    t0 = time.monotonic()
    player.stop()
    assert time.monotonic() - t0 < 1.0 and not player._thread.is_alive()
    with pytest.raises(WatchError, match="no such file"):
        WatchPlayer.open(tmp_path / "missing.mp4")
    (tmp_path / "empty").mkdir()
    with pytest.raises(WatchError, match="no video files"):
        WatchPlayer.open(tmp_path / "empty")
    (tmp_path / "fake.mp4").write_text("not a video")
    with pytest.raises(WatchError, match="not a readable video"):
        WatchPlayer.open(tmp_path / "fake.mp4")


# --- the app with a scripted engine -------------------------------------------------------
class FakeHost:
    """Stands in for EngineHost: the test sets ``result``; calls are recorded."""

    live = False
    spec = "scripted"
    preprocessing = Preprocessing()

    def __init__(self):
        self.result: EngineResult | None = None
        self.started: list[int] = []
        self.configured: list[tuple[float, bool]] = []
        self.baselines: list[float] | None = None

    def start(self, players):
        self.started.append(players)

    def latest(self):
        return self.result

    def poll(self):
        return SourceState(SourceStatus.RUNNING)

    def configure(self, threshold, two_stage):
        self.configured.append((threshold, two_stage))

    def set_baselines(self, baselines):
        self.baselines = list(baselines)

    def close(self):
        pass


class RecordingSounds:
    enabled = True
    started = False

    def __init__(self):
        self.played: list[str] = []

    def start(self):
        self.started = True

    def play(self, name):
        self.played.append(name)


def make_app(clock: Clock, **kw) -> tuple[App, FakeHost, RecordingSounds]:
    host, sounds = FakeHost(), RecordingSounds()
    config = kw.pop("config", game_config(round_seconds=5.0, face_missing_s=2.0, countdown_s=1, calibration_s=0.5))
    app = App(host, config, sounds=sounds, clock=clock, **kw)
    return app, host, sounds


def press(app: App, *keys: int) -> None:
    for key in keys:
        app.handle_event(pygame.event.Event(pygame.KEYDOWN, key=key, mod=0, unicode=""))


def type_text(app: App, text: str) -> None:
    app.handle_event(pygame.event.Event(pygame.TEXTINPUT, text=text))


def choose(app: App, item: str) -> None:
    """Move the title menu's selection to ``item`` with the arrow keys and press Enter."""
    press(app, *[pygame.K_DOWN] * ((TITLE_MENU.index(item) - app.menu_index) % len(TITLE_MENU)), pygame.K_RETURN)


def tick(app: App, host: FakeHost, clock: Clock, seconds: float, dt: float = 1 / 30, **result_kw) -> None:
    for _ in range(round(seconds / dt)):
        clock.t += dt
        host.result = make_result(clock, **result_kw)
        app.step(clock())
        app.draw(clock())


def test_threshold_keys_stay_within_range_and_persist():
    clock = Clock()
    app, host, _ = make_app(clock)
    press(app, *[pygame.K_RIGHT] * 20)
    assert app.settings.threshold == 0.9 and host.configured[-1] == (0.9, False)
    press(app, *[pygame.K_LEFT] * 3)
    assert app.settings.threshold == pytest.approx(0.75)
    press(app, *[pygame.K_MINUS] * 20)
    assert app.settings.threshold == 0.5
    press(app, pygame.K_EQUALS, pygame.K_t, pygame.K_l, pygame.K_i)
    saved = SettingsStore().load()[0]
    assert (saved.threshold, saved.two_stage, saved.language, saved.show_stats) == (0.55, True, "en", False)
    assert host.configured[-1] == (0.55, True)


def test_slider_drag_in_game_sets_the_threshold():
    clock = Clock()
    app, host, _ = make_app(clock)
    app.flow.begin_practice()
    slider = app.screens.active_slider(app._state())
    y = slider.rect.centery
    app.handle_event(pygame.event.Event(pygame.MOUSEBUTTONDOWN, pos=(slider.x_at(0.6), y), button=1))
    assert app.settings.threshold == 0.6
    app.handle_event(pygame.event.Event(pygame.MOUSEMOTION, pos=(slider.x_at(0.7), y), rel=(0, 0),
                                        buttons=(1, 0, 0)))
    app.handle_event(pygame.event.Event(pygame.MOUSEBUTTONUP, pos=(slider.x_at(0.7), y), button=1))
    assert app.settings.threshold == 0.7 and host.configured[-1][0] == 0.7


def test_readout_counts_screen_frames_and_engine_results_separately():
    clock = Clock()
    app, host, _ = make_app(clock)
    for i in range(120):                          # 2 s of screen frames at 60 fps, a new result every 3rd
        clock.t += 1 / 60
        if i % 3 == 0:
            host.result = make_result(clock)
        app.step(clock())
    state = app._state()
    assert abs(state.fps - 60) <= 1 and abs(state.infer_rate - 20) <= 1
    for _ in range(60):                           # the engine stalls: its rate falls, the screen's does not
        clock.t += 1 / 60
        app.step(clock())
    state = app._state()
    assert abs(state.fps - 60) <= 1 and state.infer_rate == 0


def test_help_overlay_opens_and_any_key_closes_it():
    app, _, _ = make_app(Clock())
    press(app, pygame.K_h)
    assert app.show_help
    press(app, pygame.K_RIGHT)                   # closes the help, does not change the threshold
    assert not app.show_help and app.settings.threshold == 0.8
    press(app, pygame.K_q)
    assert not app.running


def test_corrupt_settings_are_reported_in_game_not_a_crash(caplog):
    store = SettingsStore()
    store.path.parent.mkdir(parents=True)
    store.path.write_text("{oops")
    with caplog.at_level(logging.WARNING, logger="game.app"):
        app, _, _ = make_app(Clock())
    assert app.settings == Settings()
    assert "settings.json" in app._state().toast and "not valid JSON" in caplog.text


def test_a_whole_solo_round_from_title_to_high_score(tmp_path):
    clock = Clock()
    app, host, sounds = make_app(clock)
    tick(app, host, clock, 0.2)
    press(app, pygame.K_RETURN)                  # title: "1인 플레이"
    assert host.started == [1] and app.flow.phase is Phase.CALIBRATE
    tick(app, host, clock, 0.7, smiles=(0.2,))
    assert host.baselines == [pytest.approx(0.2)] and app.flow.phase is Phase.COUNTDOWN
    tick(app, host, clock, 1.1, smiles=(0.2,))
    assert app.flow.phase is Phase.PLAYING and sounds.played[:2] == ["beep", "go"]
    tick(app, host, clock, 2.0, smiles=(0.3,))
    survived = app.flow.elapsed + 1 / 30
    tick(app, host, clock, 1 / 30, smiles=(0.95,), verdicts=[Verdict.OUT])
    assert app.flow.phase is Phase.LAUGH and sounds.played[-1] == "out"
    tick(app, host, clock, 1.5, smiles=(0.5,))
    assert not (tmp_path / "pictures").exists()     # saving is off by default: the frame stays in memory
    press(app, pygame.K_RETURN)
    assert app.flow.phase is Phase.RESULTS and app.scores.new_rank == 1
    stored = HighScores()
    stored.load()
    assert len(stored.entries) == 1 and stored.entries[0].seconds == shown_seconds(survived)
    assert stored.entries[0].peak == pytest.approx(0.95) and not stored.entries[0].won
    press(app, pygame.K_RETURN)                  # again, same baselines, straight to the countdown
    assert app.flow.phase is Phase.COUNTDOWN and app.scores.new_rank is None
    tick(app, host, clock, 1.1 + 5.1, smiles=(0.2,))
    assert app.flow.result.outcome is Outcome.SURVIVED and sounds.played[-1] == "win"
    assert app.scores.new_rank == 1 and [e.won for e in app.scores.entries] == [True, False]


def test_laugh_moment_is_saved_only_when_opted_in(tmp_path):
    clock = Clock()
    pictures = tmp_path / "pictures" / "utcham"
    for opted_in in (False, True):
        app, host, _ = make_app(clock)
        if opted_in:
            press(app, pygame.K_s)
        app.start_game(1)
        tick(app, host, clock, 0.7 + 1.1)
        tick(app, host, clock, 1 / 30, smiles=(0.95,), verdicts=[Verdict.OUT])
        tick(app, host, clock, 1.5)
        saved = sorted(pictures.glob("*.png")) if pictures.exists() else []
        if not opted_in:
            assert saved == [] and app.pictures.note == ""
        else:
            assert len(saved) == 1 and str(saved[0]) in app.pictures.note
            assert cv2.imread(str(saved[0])).shape == (120, 160, 3)


def test_face_off_round_from_the_menu():
    clock = Clock()
    app, host, sounds = make_app(clock)
    press(app, pygame.K_2, pygame.K_RETURN)
    assert host.started == [2] and app.flow.players == 2
    tick(app, host, clock, 0.7 + 1.1, smiles=(0.1, 0.2))
    assert host.baselines == [pytest.approx(0.1), pytest.approx(0.2)]
    tick(app, host, clock, 1 / 30, smiles=(0.95, 0.2), verdicts=[Verdict.OUT, Verdict.SAFE])
    assert app.flow.result.winner == 1
    tick(app, host, clock, 1.5, smiles=(0.1, 0.2))
    press(app, pygame.K_RETURN)
    assert app.flow.phase is Phase.RESULTS and app.scores.entries == []   # face-offs are not ranked


def test_recording_from_the_title_menu_declined_writes_nothing(tmp_path):
    clock = Clock()
    app, host, _ = make_app(clock)
    tick(app, host, clock, 0.1)
    title = pygame.surfarray.array3d(app.draw(clock())).copy()
    choose(app, "menu_record")
    assert host.started == [1] and app.recording.screen is not None and app.recording.screen.stage is Stage.CONSENT
    type_text(app, "민수")
    press(app, pygame.K_q, pygame.K_2, pygame.K_RIGHT)   # game keys go to the consent page, not the game
    assert app.running and app.settings.threshold == 0.8 and app.recording.screen.player == "민수"
    tick(app, host, clock, 0.2)
    consent = pygame.surfarray.array3d(app.surface)
    assert np.abs(consent.astype(int) - title).mean() > 5      # the consent page is on screen, not the title
    press(app, pygame.K_ESCAPE)                               # declined
    tick(app, host, clock, 1 / 30)
    assert app.recording.screen is None and app.flow.phase is Phase.TITLE and app.running
    assert not (tmp_path / "data").exists()                   # nothing was written anywhere
    choose(app, "menu_solo")                                  # the title menu works again
    assert host.started == [1, 1] and app.flow.phase is Phase.CALIBRATE


def test_round_settings_come_from_the_ui_section(tmp_path):
    assert GameConfig().ui == UiSettings()
    path = tmp_path / "game.yaml"
    path.write_text("ui:\n  round_seconds: 45\n  countdown_s: 5\n")
    assert load_config(path).ui == UiSettings(45.0, 5.0, 5)
    path.write_text("ui:\n  round_seconds: 2\n")
    with pytest.raises(ConfigError, match=r"game.yaml: ui.round_seconds = 2 is outside"):
        load_config(path)
    path.write_text("ui:\n  rounds: 2\n")
    with pytest.raises(ConfigError, match=r"unknown key ui.rounds"):
        load_config(path)


# --- through the real engine --------------------------------------------------------------
@pytest.fixture(scope="module")
def clip(videos_dir) -> Path:
    return videos_dir / "smile_transition_a.mp4"


def test_screenshot_renders_the_real_game_screen(tmp_path, random_checkpoint, clip, capsys):
    out = tmp_path / "shot.png"
    code = main.main(["--source", str(clip), "--weights", str(random_checkpoint), "--screenshot", str(out),
                      "--frames", "8"])
    assert code == 0 and "after 8 frames" in capsys.readouterr().out
    shot = pygame.surfarray.array3d(pygame.image.load(str(out)))
    assert shot.shape == (1280, 720, 3)
    assert shot[24:664, 72:552].std() > 20       # the clip is in the camera view, not a blank box
    pygame.font.init()


@pytest.mark.parametrize("extra, message", [
    (["--watch", "{tmp}/nope"], "no such file or folder"),
    (["--round-seconds", "1"], "--round-seconds: ui.round_seconds = 1.0 is outside"),
])
def test_bad_game_arguments_are_one_line_exit_2(tmp_path, random_checkpoint, clip, capsys, extra, message):
    extra = [arg.format(tmp=tmp_path) for arg in extra]
    code = main.main(["--source", str(clip), "--weights", str(random_checkpoint), *extra,
                      "--screenshot", str(tmp_path / "x.png")])
    err = capsys.readouterr().err
    assert code == 2 and err.startswith("error: ") and message in err and err.count("\n") == 1
    assert not (tmp_path / "x.png").exists()
    pygame.font.init()


def test_recording_from_the_title_menu_saves_a_clip_of_a_video(tmp_path, random_checkpoint, clip):
    """The real engine on a face video: menu, consent with a typed ID, one short neutral clip,
    the summary, back to the title; the clip is in the data folder's manifest."""
    model, _ = load_model(random_checkpoint)
    host = EngineHost(model, load_config(None), str(clip))
    plan = Plan(select_prompts(["neutral"]), clips_per_prompt=1, prepare_s=0.0, clip_s=0.1)
    app = App(host, sounds=RecordingSounds(), record_plan=plan)
    try:
        choose(app, "menu_record")
        screen = app.recording.screen
        type_text(app, "tester_1")
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and screen.stage is not Stage.DONE:
            if screen.stage is Stage.CONSENT and host.latest() is not None:
                press(app, pygame.K_RETURN)                   # consent, once the engine gives results
            now = time.monotonic()
            app.step(now)
            app.draw(now)
            time.sleep(1 / 60)
        assert screen.stage is Stage.DONE and not screen.error and len(screen.clips) == 1
        press(app, pygame.K_RETURN)                           # leave the summary
        app.step(time.monotonic())
        assert app.recording.screen is None and app.flow.phase is Phase.TITLE
    finally:
        app.close()
    out = tmp_path / "data" / "recordings"
    rows = list(csv.DictReader((out / "manifest.csv").open(encoding="utf-8")))
    assert [(r["subject"], r["smile"], r["emotion"]) for r in rows] == [("tester_1", "0", "neutral")]
    crops = sorted((out / rows[0]["path"]).glob("*.png"))
    assert len(crops) == screen.session.clip_frames >= 10      # at least one model window
    assert cv2.imread(str(crops[0])).shape == (112, 112, 3)  # face crops, never whole frames
    sidecar = json.loads(next(out.glob("tester_1/*/session.json")).read_text(encoding="utf-8"))
    assert sidecar["source"] == str(clip) and sidecar["crop"]["margin"] == model.config.preprocessing.crop_margin


def test_a_round_through_the_real_engine_on_a_clip(random_checkpoint, clip):
    """Engine threads on the file (looped), the UI loop reading latest(): calibrate, count down,
    survive a short round at the hardest threshold, get ranked."""
    model, _ = load_model(random_checkpoint)
    host = EngineHost(model, load_config(None), str(clip))
    app = App(host, game_config(round_seconds=5.0, face_missing_s=5.0, countdown_s=1, calibration_s=0.5),
              sounds=RecordingSounds())
    app.set_threshold(0.9)
    try:
        app.start_game(1)
        deadline = time.monotonic() + 30
        source_times = []
        while app.flow.phase is not Phase.RESULTS and time.monotonic() < deadline:
            now = time.monotonic()
            app.step(now)
            app.draw(now)
            latest = host.latest()
            if latest is not None and (not source_times or latest.frame.t_source != source_times[-1]):
                source_times.append(latest.frame.t_source)
            time.sleep(1 / 60)
        assert app.flow.phase is Phase.RESULTS, f"stuck in {app.flow.phase}"
        assert app.flow.result.outcome is Outcome.SURVIVED and app.scores.new_rank == 1
        # the 3.1 s file played at its own pace and looped under the 6.5 s of play, however
        # few frames a loaded machine managed to process
        assert any(b < a for a, b in zip(source_times, source_times[1:]))
        assert 0 <= app.flow.baselines[0] <= 0.5
        assert host.engine.judges[0].settings.baseline == app.flow.baselines[0]
    finally:
        t0 = time.monotonic()
        app.close()
        assert time.monotonic() - t0 < 2.0
