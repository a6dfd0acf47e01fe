"""The game as a player meets it (issue 16): the real App and GameFlow driven by a scripted
engine and a scripted clock, checked by what they do and by the pixels they draw."""
from __future__ import annotations

import numpy as np
import pygame
import pytest

from game.flow import Event, GameFlow, Outcome, Phase
from game.types import Verdict
from model.face import FACE_CROP_SIZE, FaceBox
from model.preprocess import Preprocessing
from game.ui import theme
from game.ui.screens import TITLE_MENU
from tests.conftest import game_config
from tests.test_game_flow import (Clock, make_app, make_result, press, private_dirs, quick_config,  # noqa: F401
                                  run_for, tick)
from tests.test_ui import fonts, near  # noqa: F401


def play_until(app, host, clock, phase: Phase, seconds: float = 10.0, **result_kw) -> None:
    """Tick (1/30 s at a time) until the flow reaches ``phase``."""
    for _ in range(round(seconds * 30)):
        if app.flow.phase is phase:
            return
        tick(app, host, clock, 1 / 30, **result_kw)
    assert app.flow.phase is phase, f"stuck in {app.flow.phase}"


# --- 1: --players 2 selects the face-off --------------------------------------------------
def test_players_2_selects_face_off_on_the_title_and_enter_starts_it():
    clock = Clock()
    app, host, _ = make_app(clock, players=2)
    tick(app, host, clock, 0.1, smiles=(0.1, 0.1))
    faceoff = app.screens.menu_buttons[TITLE_MENU.index("menu_faceoff")].rect
    solo = app.screens.menu_buttons[TITLE_MENU.index("menu_solo")].rect
    assert near(app.surface, faceoff, theme.ACCENT, tol=10) > near(app.surface, solo, theme.ACCENT, tol=10)
    press(app, pygame.K_RETURN)
    assert host.started == [2] and app.flow.players == 2 and app.flow.phase is Phase.CALIBRATE


# --- 5: no verdict before GO; a grin is not a baseline ------------------------------------
def test_countdown_shows_no_red_gauge_and_no_out_before_go():
    clock = Clock()
    app, host, _ = make_app(clock)
    app.start_game(1)
    play_until(app, host, clock, Phase.COUNTDOWN, smiles=(0.1,))
    tick(app, host, clock, 0.2, smiles=(0.95,), verdicts=[Verdict.OUT])   # grinning during 3-2-1
    assert app.flow.phase is Phase.COUNTDOWN
    panel = app.screens.layout(1, False).panels[0]
    assert near(app.surface, panel.verdict.rect, theme.OUT_RED, tol=30) == 0
    assert near(app.surface, panel.gauge.bar, theme.OUT_RED, tol=30) == 0
    assert near(app.surface, panel.verdict.rect, theme.ACCENT, tol=12) > 300   # READY in the banner


def test_a_smile_at_go_is_not_out_at_zero_and_not_a_record():
    clock = Clock()
    app, host, sounds = make_app(clock)
    app.start_game(1)
    play_until(app, host, clock, Phase.COUNTDOWN, smiles=(0.1,))
    tick(app, host, clock, 2.0, smiles=(0.95,), verdicts=[Verdict.OUT])   # still grinning when 3-2-1 ends
    assert app.flow.phase is Phase.COUNTDOWN and app.flow.holding_go and "go" not in sounds.played
    assert app.flow.result is None and app.scores.entries == []
    tick(app, host, clock, 1 / 30, smiles=(0.1,))                        # a straight face: GO
    assert app.flow.phase is Phase.PLAYING and sounds.played[-1] == "go"
    tick(app, host, clock, 1.0, smiles=(0.1,))
    tick(app, host, clock, 1 / 30, smiles=(0.95,), verdicts=[Verdict.OUT])
    assert app.flow.result.outcome is Outcome.LAUGHED and app.flow.result.seconds >= 1.0


def test_calibration_refuses_a_grin_says_so_and_measures_again():
    clock, flow = Clock(), GameFlow(quick_config(calibration_s=1.0, max_baseline=0.5))
    flow.begin()
    events = run_for(flow, clock, 1.2, smiles=(0.95,))
    assert Event.RECALIBRATE in events and Event.CALIBRATED not in events
    assert flow.phase is Phase.CALIBRATE and flow.refused == ((0, pytest.approx(0.95)),)
    assert flow.calibrated_for < 0.3 and flow.baselines == [0.0]
    events = run_for(flow, clock, 1.2, smiles=(0.3,))
    assert Event.CALIBRATED in events and flow.baselines == [pytest.approx(0.3)] and flow.refused == ()


def test_calibration_screen_says_the_face_was_not_calm():
    clock = Clock()
    app, host, _ = make_app(clock)
    app.start_game(1)
    tick(app, host, clock, 0.1, smiles=(0.1,))
    calm = pygame.surfarray.array3d(app.surface).copy()
    camera = app.screens.calib_camera.rect
    assert near(app.surface, camera, theme.OUT_RED, tol=60) < 200
    tick(app, host, clock, 0.6, smiles=(1.0,))
    assert app.flow.refused and app.flow.phase is Phase.CALIBRATE and host.baselines is None
    assert near(app.surface, camera, theme.OUT_RED, tol=60) > 3000    # the red notice over the camera
    assert not np.array_equal(calm, pygame.surfarray.array3d(app.surface))


# --- 4: an overlay pauses the round -------------------------------------------------------
def test_help_overlay_pauses_the_round_timer_and_judging():
    clock = Clock()
    app, host, _ = make_app(clock)
    app.start_game(1)
    play_until(app, host, clock, Phase.PLAYING, smiles=(0.1,))
    tick(app, host, clock, 1.0, smiles=(0.1,))
    held = app.flow.elapsed
    press(app, pygame.K_h)
    assert app.show_help and app.flow.paused
    tick(app, host, clock, 3.0, smiles=(0.95,), verdicts=[Verdict.OUT])   # laughing behind the help
    assert app.flow.elapsed == pytest.approx(held) and app.flow.phase is Phase.PLAYING
    press(app, pygame.K_SPACE)                                            # any key closes it
    assert not app.show_help and not app.flow.paused
    tick(app, host, clock, 1.0, smiles=(0.1,))
    assert app.flow.elapsed == pytest.approx(held + 1.0, abs=0.05)


def test_a_player_pause_stays_paused_after_the_help_closes():
    clock = Clock()
    app, host, _ = make_app(clock)
    app.start_game(1)
    play_until(app, host, clock, Phase.PLAYING, smiles=(0.1,))
    press(app, pygame.K_p, pygame.K_h, pygame.K_x)
    assert app.flow.paused and not app.show_help


# --- 3: face-off with one face in view ----------------------------------------------------
@pytest.fixture
def prompts(monkeypatch) -> list[str]:
    """The messages the screens put over the camera view, in the order drawn."""
    import game.ui.screens as screens_module

    seen: list[str] = []
    real = screens_module.draw_prompt

    def recording(surface, fonts, rect, message, colour):
        seen.append(message)
        real(surface, fonts, rect, message, colour)

    monkeypatch.setattr(screens_module, "draw_prompt", recording)
    return seen


def test_face_off_with_one_face_names_the_missing_player_and_esc_leaves(prompts):
    clock = Clock()
    app, host, _ = make_app(clock)
    app.settings.language = "en"
    press(app, pygame.K_2, pygame.K_RETURN)
    tick(app, host, clock, 2.0, smiles=(0.1, 0.0), faces=[True, False])
    assert app.flow.phase is Phase.CALIBRATE and app.flow.missing == (1,)
    assert near(app.surface, app.screens.calib_camera.rect, theme.WARN_AMBER, tol=60) > 3000
    assert prompts[-1].startswith("P2 not in view") and "Esc" in prompts[-1]
    assert "(5" not in prompts[-1]                 # no countdown that never runs
    press(app, pygame.K_ESCAPE)
    assert app.flow.phase is Phase.TITLE and app.running


# --- 6: high scores -----------------------------------------------------------------------
def lose_at(app, host, clock, seconds: float, peak: float = 0.95) -> None:
    """Calibrate, count down, keep a straight face for ``seconds``, then laugh; on to the results."""
    app.start_game(1)
    play_until(app, host, clock, Phase.PLAYING, smiles=(0.1,))
    while app.flow.elapsed + 1 / 30 < seconds:
        tick(app, host, clock, 1 / 30, smiles=(0.1,))
    tick(app, host, clock, 1 / 30, smiles=(peak,), verdicts=[Verdict.OUT])
    tick(app, host, clock, 1.5, smiles=(0.1,))
    press(app, pygame.K_RETURN)
    assert app.flow.phase is Phase.RESULTS


def test_a_disqualified_round_is_never_ranked(texts):
    clock = Clock()
    app, host, _ = make_app(clock)
    app.settings.language = "en"
    app.start_game(1)
    play_until(app, host, clock, Phase.PLAYING, smiles=(0.1,))
    tick(app, host, clock, 1.0, smiles=(0.1,))
    play_until(app, host, clock, Phase.RESULTS, faces=[False])
    assert app.flow.result.outcome is Outcome.HID
    assert app.scores.entries == [] and app.scores.new_rank is None
    texts.clear()
    app.draw(clock())
    assert "Disqualified rounds are not ranked" in texts
    assert not any(t.startswith(("Rank", "New record", "#")) for t in texts)


def test_a_laugh_is_placed_quietly_a_win_is_marked_and_celebrated(texts):
    clock = Clock()
    app, host, _ = make_app(clock)          # 5 s rounds
    app.settings.language = "en"
    lose_at(app, host, clock, 3.0)
    assert app.scores.new_rank == 1
    lose_at(app, host, clock, 1.0)
    assert app.scores.new_rank == 2
    texts.clear()
    app.draw(clock())
    assert "#2" in texts and "Rank #2!" not in texts and "New record!" not in texts
    from game.ui.screens import SCORE_TABLE

    badge = pygame.Rect(SCORE_TABLE.right - 200, SCORE_TABLE.y + 8, 180, 40)
    assert near(app.surface, badge, theme.OUT_RED, tol=40) == 0      # a loss is not celebrated in red
    press(app, pygame.K_RETURN)                                      # again: survive the whole round
    play_until(app, host, clock, Phase.RESULTS, smiles=(0.1,))
    assert app.flow.result.outcome is Outcome.SURVIVED and app.scores.new_rank == 1
    texts.clear()
    app.draw(clock())
    assert "5 s rounds" in texts and texts.count("Won") == 1 and texts.count("Laughed") == 2
    assert [e.won for e in app.scores.table(5.0)] == [True, False, False]


def test_rounds_of_different_lengths_are_ranked_apart():
    from game.scores import HighScores, ScoreEntry

    scores = HighScores()
    assert scores.add(ScoreEntry.now(13.0, 0.9, 0.8, False, round_seconds=30.0)) == 1
    assert scores.add(ScoreEntry.now(8.0, 0.4, 0.8, True, round_seconds=8.0)) == 1   # a win tops its own table
    assert [e.seconds for e in scores.table(8.0)] == [8.0] and [e.seconds for e in scores.table(30.0)] == [13.0]
    assert scores.save() is None
    again = HighScores()
    again.load()
    assert again.table(8.0) == scores.table(8.0)


def test_results_headline_and_table_round_the_same_way(texts):
    clock = Clock()
    app, host, _ = make_app(clock)
    app.settings.language = "en"
    lose_at(app, host, clock, 3.95, peak=0.915)
    entry = app.scores.table(5.0)[0]
    texts.clear()
    app.draw(clock())
    headline = next(t for t in texts if t.startswith("Survived "))
    assert headline == f"Survived {entry.seconds:.1f} s · peak smile {entry.peak:.2f}"
    assert f"{entry.seconds:.1f} s" in texts and f"{entry.peak:.2f}" in texts


# --- 8: the analysis names a dominant emotion ---------------------------------------------
@pytest.mark.parametrize("lang, emotion, headline", [("ko", "fear", "겁먹은 표정이에요."),
                                                      ("en", "surprise", "A surprised face."),
                                                      ("en", "neutral", "A calm face.")])
def test_analysis_names_a_dominant_non_happy_emotion_on_the_play_screen(texts, lang, emotion, headline):
    from game.types import Analysis, Judgement, Mode, PlayerResult
    from model.labels import EMOTIONS
    from tests.test_game_flow import BOX

    clock = Clock()
    app, host, _ = make_app(clock)
    app.settings.language = lang
    app.flow.begin_practice()
    probs = np.full(7, 0.04, np.float32)
    probs[EMOTIONS.index(emotion)] = 0.66
    tick(app, host, clock, 1 / 30)
    j = Judgement(Verdict.SAFE, Mode.SIMPLE, 0.05, 0.05, probs, Analysis.CALM, True, 0.8)
    host.result = make_result(clock)
    host.result.players[0] = PlayerResult(BOX, j)
    app.step(clock())
    texts.clear()
    app.draw(clock())
    assert headline in texts
    assert ("평온한 표정입니다." in texts or "A calm face." in texts) == (emotion == "neutral")


# --- 2: recording from a looping video file -----------------------------------------------
def test_recording_clips_from_a_looping_file_are_bounded_by_time_and_frames(tmp_path):
    """The title was open for longer than one loop of the clip (its time starts again at 0),
    and a backlog arrives in a burst: each clip is still ~2 s of 30 fps, never a runaway."""
    from game.recording import Plan, select_prompts
    from game.types import EngineResult, Frame
    from game.ui.recording_screen import Stage
    from tests.test_game_flow import choose, type_text

    clock = Clock()
    plan = Plan(select_prompts(["neutral"]), clips_per_prompt=2, prepare_s=0.5, clip_s=2.0)
    app, host, _ = make_app(clock, record_plan=plan)
    index = [0]

    def deliver(seconds: float, burst: int = 1) -> None:
        for _ in range(round(seconds * 30)):
            clock.t += 1 / 30
            for _ in range(burst):   # a backlog: several results in one screen frame
                index[0] += 1
                frame = make_result(clock).frame
                frame.t_source = (index[0] % 93) / 30      # a 3.1 s clip, looping
                host.result = EngineResult(Frame(frame.image, index[0], frame.t_source, clock()),
                                           make_result(clock).players, 5.0, 20.0)
                app.step(clock())
            app.draw(clock())

    deliver(7.0)                                   # the title, open through two loops of the file
    choose(app, "menu_record")
    type_text(app, "kim")
    deliver(1.0, burst=3)                          # a burst while the consent page is open
    deliver(2.0)
    press(app, pygame.K_RETURN)
    screen = app.recording.screen
    assert screen.stage is Stage.RECORDING and screen.session.clip_frames == 60   # 2 s at 30 fps
    started = clock()
    while screen.stage is Stage.RECORDING and clock() - started < 20:
        deliver(1 / 30)
    assert screen.stage is Stage.DONE and [c.frames for c in screen.clips] == [60, 60]
    assert clock() - started < 0.5 + 2 * 2.0 + 0.5   # prepare + two 2 s clips
    crops = sorted((tmp_path / "data" / "recordings").glob("kim/*/*/*.png"))
    assert len(crops) == 120


# --- 10: no camera ------------------------------------------------------------------------
class CameraMissingHost:
    """A host whose camera is absent; a video file (any other spec) opens."""

    live = False
    preprocessing = None

    def __init__(self):
        from tests.test_game_flow import FakeHost

        self.fake, self.spec, self.attempts = FakeHost(), "0", []

    def start(self, players):
        from game.capture import SourceError

        self.attempts.append((self.spec, players))
        if self.spec == "0":
            raise SourceError("no camera found at index 0 (unplugged, or in use by another program)")

    def __getattr__(self, name):
        return getattr(self.fake, name)


def test_no_camera_opens_a_screen_with_retry_and_a_video_file(texts):
    from game.app import App
    from game.sounds import Sounds

    clock, host, chosen = Clock(), CameraMissingHost(), []
    app = App(host, clock=clock, choose_file=lambda: chosen.pop() if chosen else None)
    app.settings.language = "en"
    assert not app.sounds.started                     # no audio before the source is known
    assert app.connect(1) is False and app.source_problem
    app.step(clock())
    app.draw(clock())
    assert "No camera found" in texts and "Try again (Enter)" in texts and "Play a video file instead (O)" in texts
    assert not app.sounds.started
    press(app, pygame.K_RETURN)                       # try again: still no camera
    assert host.attempts == [("0", 1), ("0", 1)] and app.source_problem
    press(app, pygame.K_o)                            # the file chooser, cancelled
    assert app.source_problem and len(host.attempts) == 2
    chosen.append("/videos/clip.mp4")
    press(app, pygame.K_o)
    assert host.attempts[-1] == ("/videos/clip.mp4", 1) and not app.source_problem
    assert app.sounds.started and isinstance(app.sounds, Sounds)
    texts.clear()
    app.draw(clock())
    assert "No camera found" not in texts and "Try Not to Laugh" in texts   # the title screen


def test_a_video_dropped_on_the_no_camera_screen_is_played():
    from game.app import App

    clock, host = Clock(), CameraMissingHost()
    app = App(host, clock=clock, choose_file=lambda: None)
    app.connect(2)
    app.handle_event(pygame.event.Event(pygame.DROPFILE, file="/videos/two_faces.mp4"))
    assert host.attempts[-1] == ("/videos/two_faces.mp4", 2) and not app.source_problem


def test_run_game_without_a_camera_opens_the_window_instead_of_exiting(monkeypatch, random_checkpoint, capfd):
    import main
    from game.app import App

    shown = []

    def one_frame(app):
        app.step(app.clock())
        shown.append((app.source_problem, pygame.surfarray.array3d(app.draw(app.clock())).copy()))

    monkeypatch.setattr(App, "run", one_frame)
    code = main.main(["--source", "97", "--weights", str(random_checkpoint)])
    pygame.font.init()
    assert code == 0 and len(shown) == 1
    problem, pixels = shown[0]
    assert "no camera" in problem and pixels.std() > 5     # drawn, not a blank window
    assert "ALSA" not in capfd.readouterr().err


def test_quiet_stderr_keeps_c_library_noise_off_the_terminal(capfd):
    import os

    from game.sounds import quiet_stderr

    with quiet_stderr():
        os.write(2, b"ALSA lib confmisc.c:855:(parse_card) cannot find card '0'\n")
    os.write(2, b"after\n")
    err = capfd.readouterr().err
    assert "ALSA" not in err and "after" in err


# --- 7: one logical canvas, scaled letterboxed to any window ------------------------------
@pytest.mark.parametrize("size", [(1280, 720), (1920, 1080), (800, 600), (640, 300)])
def test_any_window_size_shows_the_whole_canvas_letterboxed_and_clicks_land(size):
    clock = Clock()
    app, host, _ = make_app(clock)
    window = pygame.display.set_mode(size)
    tick(app, host, clock, 0.1)
    app.window.present()
    shown = pygame.surfarray.array3d(window).astype(int)
    view = theme.fit_rect(theme.SCREEN_SIZE, window.get_rect())
    assert view.w == size[0] or view.h == size[1]                   # fills one direction
    expected = pygame.surfarray.array3d(pygame.transform.smoothscale(app.surface, view.size)).astype(int)
    inside = shown[view.left:view.right, view.top:view.bottom]
    assert np.abs(inside - expected).mean() < 1.0                  # the whole canvas, title and menu included
    outside = np.ones(size, bool)
    outside[view.left:view.right, view.top:view.bottom] = False
    assert (shown[outside] == 0).all()                             # black bars, nothing cut
    # A click on the face-off button, in window pixels, selects it on the canvas.
    button = app.screens.menu_buttons[TITLE_MENU.index("menu_faceoff")].rect
    x = view.x + button.centerx * view.w / theme.SCREEN_SIZE[0]
    y = view.y + button.centery * view.h / theme.SCREEN_SIZE[1]
    app.handle_event(pygame.event.Event(pygame.MOUSEMOTION, pos=(round(x), round(y)), rel=(0, 0), buttons=(0, 0, 0)))
    assert app.menu_index == TITLE_MENU.index("menu_faceoff")


def test_fullscreen_key_fills_the_display_and_keeps_the_canvas_whole():
    from game.ui.window import open_window

    clock = Clock()
    app, host, _ = make_app(clock)
    open_window(False)
    press(app, pygame.K_f)
    window = pygame.display.get_surface()
    assert app.settings.fullscreen and window.get_flags() & pygame.FULLSCREEN
    tick(app, host, clock, 0.1)
    app.window.present()
    view = theme.fit_rect(theme.SCREEN_SIZE, window.get_rect())
    shown = pygame.surfarray.array3d(window)[view.left:view.right, view.top:view.bottom].astype(int)
    expected = pygame.surfarray.array3d(pygame.transform.smoothscale(app.surface, view.size)).astype(int)
    assert np.abs(shown - expected).mean() < 1.0
    press(app, pygame.K_f)
    assert not app.settings.fullscreen and pygame.display.get_surface().get_size() == theme.SCREEN_SIZE


# --- 9: the smaller items -----------------------------------------------------------------
def test_a_broken_settings_file_is_reported_in_the_players_language_for_five_seconds():
    from game.settings import SettingsStore

    store = SettingsStore()
    store.path.parent.mkdir(parents=True)
    store.path.write_text('{"language": "ko", oops')
    clock = Clock()
    app, host, _ = make_app(clock)
    notice = app._state().toast
    assert notice.startswith("settings.json 파일에 문제가 있어") and "JSON" not in notice
    tick(app, host, clock, 4.5)
    assert app._state().toast == notice
    tick(app, host, clock, 1.0)
    assert app._state().toast == ""


def test_pause_freezes_the_picture_and_hides_the_countdown_number():
    clock = Clock()
    app, host, _ = make_app(clock)
    app.start_game(1)
    play_until(app, host, clock, Phase.COUNTDOWN, smiles=(0.1,))
    press(app, pygame.K_p)
    tick(app, host, clock, 0.1, smiles=(0.1,))
    below_header = np.s_[:, 60:]   # the header's FPS readout goes on counting
    frozen = pygame.surfarray.array3d(app.surface)[below_header].copy()
    tick(app, host, clock, 0.5, smiles=(0.95,), verdicts=[Verdict.OUT])   # the engine goes on underneath
    assert np.array_equal(frozen, pygame.surfarray.array3d(app.surface)[below_header])   # no OUT!!!/SAFE flicker
    camera = app.screens.layout(1, False).camera.rect
    assert near(app.surface, camera, theme.ACCENT, tol=40) < 50      # no yellow countdown digit over "paused"
    press(app, pygame.K_p)
    tick(app, host, clock, 0.1, smiles=(0.1,))
    assert near(app.surface, camera, theme.ACCENT, tol=40) > 500
    assert not np.array_equal(frozen, pygame.surfarray.array3d(app.surface)[below_header])


def test_hint_lines_break_between_items_never_inside_one(fonts):
    from game.i18n import text as tr
    from game.ui.theme import wrap_items

    font = fonts.get(16)
    hint = tr("ko", "play_hint")
    for width in range(120, font.size(hint)[0] + 10, 7):
        lines = wrap_items(font, hint, width)
        assert " · ".join(lines) == hint
        assert not any(line.endswith("H:") or line == "도움말" for line in lines)


def test_a_saved_path_breaks_between_folders_not_inside_the_file_name(fonts):
    from game.ui.theme import wrap_text

    font = fonts.get(17)
    name = "utcham_laugh_20260114_123456.png"
    path = "/home/someone/a/rather/long/folder/name/for/pictures/utcham/" + name
    lines = wrap_text(font, f"저장됨: {path}", 400)
    assert len(lines) > 1 and name in lines[-1]
    assert all(font.size(line)[0] <= 400 for line in lines)


def test_results_table_keeps_clear_of_the_panel_edge():
    from game.scores import ScoreEntry

    clock = Clock()
    app, host, _ = make_app(clock)
    for seconds in (4.2, 3.1):
        app.scores.add(ScoreEntry(seconds, 0.92, 0.8, False, "2026-12-28", 5.0))
    app.flow.phase = Phase.RESULTS
    app.step(clock())
    app.draw(clock())
    from game.ui.screens import SCORE_TABLE as table

    edge_strip = pygame.Rect(table.right - 24, table.y + 50, 20, table.h - 60)
    assert near(app.surface, edge_strip, theme.TEXT, tol=60) == 0


def test_the_toast_never_covers_the_laugh_title(texts, monkeypatch):
    import game.ui.screens as screens_module

    rects = {}
    real = screens_module.draw_text

    def keep(surface, font, label, colour, pos, anchor="topleft"):
        rects[label] = real(surface, font, label, colour, pos, anchor)
        return rects[label]

    monkeypatch.setattr(screens_module, "draw_text", keep)
    clock = Clock()
    app, host, _ = make_app(clock)
    app.start_game(1)
    play_until(app, host, clock, Phase.PLAYING, smiles=(0.1,))
    tick(app, host, clock, 1 / 30, smiles=(0.95,), verdicts=[Verdict.OUT])
    tick(app, host, clock, 1.5, smiles=(0.1,))
    press(app, pygame.K_t)                               # the two-stage toast
    app.draw(clock())
    assert app.flow.phase is Phase.LAUGH and app._state().toast
    assert not app.screens.toast_box.colliderect(rects["웃었다!"])


def test_a_recording_stopped_before_any_clip_does_not_say_finished(texts):
    from tests.test_game_flow import choose, type_text

    clock = Clock()
    app, host, _ = make_app(clock)
    app.settings.language = "en"
    tick(app, host, clock, 0.5)
    choose(app, "menu_record")
    type_text(app, "kim /..")
    assert app.recording.screen.player == "kim"        # only what can name a folder is typed
    press(app, pygame.K_RETURN)
    tick(app, host, clock, 0.2)
    press(app, pygame.K_ESCAPE)                        # stopped before the first clip
    texts.clear()
    tick(app, host, clock, 1 / 30)
    assert app.recording.screen.clips == []
    assert "Recording stopped" in texts and "Recording finished" not in texts


# --- 11, 12: the laugh replay -------------------------------------------------------------
def two_tone(value: int) -> np.ndarray:
    """A 240x320 frame: the left half red-ish and the right half blue-ish, both carrying ``value``."""
    img = np.zeros((240, 320, 3), np.uint8)
    img[:, :160] = (200, value, 0)
    img[:, 160:] = (0, value, 200)
    return img


LEFT, RIGHT = FaceBox(40, 60, 80, 80, 0.9), FaceBox(200, 60, 80, 80, 0.9)


def deliver(app, host, clock, smiles, verdicts=None, emotion="neutral", n=1):
    """n engine frames, 1/30 s apart; frame i's picture carries its index in the green channel."""
    from game.types import Analysis, EngineResult, Frame, Judgement, Mode, PlayerResult
    from model.labels import EMOTIONS

    for _ in range(n):
        clock.t += 1 / 30
        deliver.index += 1
        probs = np.full(7, 0.02, np.float32)
        probs[EMOTIONS.index(emotion)] = 0.88
        image = two_tone(deliver.index % 200)
        players = [PlayerResult(box, Judgement(v, Mode.SIMPLE, s, s, probs, Analysis.CALM, True, 0.8),
                                Preprocessing().crop(image, box))
                   for box, s, v in zip((LEFT, RIGHT), smiles, verdicts or [Verdict.SAFE] * len(smiles))]
        host.result = EngineResult(Frame(image, deliver.index, 0.0, clock()), players, 5, 20)
        app.step(clock())
        app.draw(clock())


deliver.index = 0


def laugh_round(app, host, clock, players=1):
    """Calibrate, count down, 4 s straight (neutral then surprised), P1 laughs (happy): the replay."""
    press(app, pygame.K_2 if players == 2 else pygame.K_1, pygame.K_RETURN)
    for _ in range(300):
        if app.flow.phase is Phase.PLAYING:
            break
        deliver(app, host, clock, (0.1,) * players)
    deliver(app, host, clock, (0.2,) * players, n=60)
    deliver(app, host, clock, (0.3,) * players, emotion="surprise", n=60)
    out = [Verdict.OUT] + [Verdict.SAFE] * (players - 1)
    deliver(app, host, clock, (0.95, 0.3)[:players], out, emotion="happy", n=50)   # the OUT flash (1.2 s)
    assert app.flow.phase is Phase.LAUGH and app.flow.phase_time > app.flow.config.ui.laugh_flash_s


def test_the_laugh_replay_keeps_the_last_seconds_in_memory_and_loops_them_slowed(tmp_path):
    clock = Clock()
    app, host, _ = make_app(clock, config=game_config(round_seconds=30.0, face_missing_s=5.0, countdown_s=1, calibration_s=0.5))
    laugh_round(app, host, clock)
    flow, track = app.flow, app.flow.tracks[0]
    out_at = flow.result.seconds
    times = [t for t, _ in track.replay]
    assert times[0] >= out_at - flow.config.ui.replay_s - 0.05 and times[0] <= out_at - 2.9
    assert times[-1] > out_at + 1.0                                    # the laugh after OUT too
    assert all(crop.shape == (FACE_CROP_SIZE, FACE_CROP_SIZE, 3) for _, crop in track.replay)   # the engine's
    assert len(track.curve) > 100 and track.curve[-1][2] == 3           # happy at the end
    assert not (tmp_path / "pictures").exists()                         # memory only
    # Slowed: half a second of replay per second of screen time, looping over the kept span.
    t0 = app.screens.replay_time(flow)
    tick_once = flow.phase_time
    flow.phase_time = tick_once + 1.0
    assert app.screens.replay_time(flow) == pytest.approx(t0 + 0.5, abs=1e-6)
    flow.phase_time = tick_once + 2 * (times[-1] - times[0])            # one whole loop later
    assert app.screens.replay_time(flow) == pytest.approx(t0, abs=1e-6)
    # The replay view shows the crop of that moment: its green channel is the frame's index.
    app.draw(clock())
    view = app.screens.replay_views(1, False)[0][1].inflate(-40, -40)
    shown = pygame.surfarray.array3d(app.surface)[view.left:view.right, view.top:view.bottom]
    assert abs(float(np.median(shown[..., 1])) - float(track.replay_at(t0)[0, 0, 1])) <= 2


def test_the_replay_curve_shows_threshold_out_mark_and_emotion_bands():
    from game.ui.widgets import SmileCurve

    clock = Clock()
    app, host, _ = make_app(clock, config=game_config(round_seconds=30.0, face_missing_s=5.0, countdown_s=1, calibration_s=0.5))
    laugh_round(app, host, clock)
    curve, flow = app.screens.curve, app.flow
    span = app.screens._curve_span(flow)
    out_x = curve.x_at(flow.result.seconds, span)
    column = pygame.Rect(out_x - 1, curve.plot.y + 20, 3, curve.plot.h - 30)
    assert near(app.surface, column, theme.OUT_RED, tol=10) > 20                      # the OUT mark
    threshold_row = pygame.Rect(curve.plot.x, curve.y_at(0.8) - 1, curve.plot.w // 3, 3)
    assert near(app.surface, threshold_row, theme.TEXT_DIM, tol=10) > 50              # the dashed threshold
    band = pygame.Rect(curve.plot.x, curve.plot.bottom + 4, curve.plot.w, SmileCurve.BAND_H - 2)
    for emotion in ("neutral", "surprise", "happy"):
        assert near(app.surface, band, theme.EMOTION_COLOURS[emotion], tol=6) > 100, emotion
    # The results screen has the same curve for the round.
    press(app, pygame.K_RETURN)
    app.draw(clock())
    results = app.screens.results_curve
    out_x = results.x_at(flow.result.seconds, span)
    assert near(app.surface, pygame.Rect(out_x - 1, results.plot.y + 20, 3, results.plot.h - 30),
                theme.OUT_RED, tol=10) > 20
    assert near(app.surface, results.rect, theme.EMOTION_COLOURS["surprise"], tol=6) > 100


def test_the_replay_is_saved_as_a_gif_only_when_the_player_asks(tmp_path):
    from PIL import Image

    clock = Clock()
    app, host, _ = make_app(clock, config=game_config(round_seconds=30.0, face_missing_s=5.0, countdown_s=1, calibration_s=0.5))
    laugh_round(app, host, clock)
    pictures = tmp_path / "pictures" / "utcham"
    assert not pictures.exists()
    press(app, pygame.K_g)
    saved = sorted(pictures.glob("*.gif"))
    assert len(saved) == 1 and str(saved[0]) in app.pictures.note
    gif = Image.open(saved[0])
    assert gif.n_frames == len(app.flow.tracks[0].replay) and gif.size == (FACE_CROP_SIZE, FACE_CROP_SIZE)
    assert abs(gif.info["duration"] - 1000 / 30 / 0.5) <= 10   # slowed like on screen (GIF counts in 1/100 s)


def test_face_off_replays_both_faces_side_by_side_at_the_first_laugh(tmp_path):
    from PIL import Image

    clock = Clock()
    app, host, _ = make_app(clock, config=game_config(round_seconds=30.0, face_missing_s=5.0, countdown_s=1, calibration_s=0.5))
    laugh_round(app, host, clock, players=2)
    assert app.flow.result.losers == (0,)
    p1, p2 = app.flow.tracks
    assert p1.replay and [t for t, _ in p1.replay] == [t for t, _ in p2.replay]   # the same moments
    views = dict(app.screens.replay_views(2, False))
    assert views[0].right <= views[1].left                                        # side by side
    for player, red in ((0, True), (1, False)):   # P1's face is in the red half, P2's in the blue
        rect = views[player].inflate(-40, -40)
        block = pygame.surfarray.array3d(app.surface)[rect.left:rect.right, rect.top:rect.bottom].astype(int)
        assert (np.median(block[..., 0]) > np.median(block[..., 2])) == red
    press(app, pygame.K_g)
    gif = Image.open(next((tmp_path / "pictures" / "utcham").glob("*.gif")))
    assert gif.size == (2 * FACE_CROP_SIZE, FACE_CROP_SIZE)
