"""The game screen's widgets and screens, drawn from scripted states (no camera, no model),
checked by their pixels."""
from __future__ import annotations

import numpy as np
import pygame
import pytest

from game.flow import GameFlow, Outcome, Phase, RoundResult
from game.i18n import EMOTION_DISPLAY_ORDER, STRINGS, _ANALYSIS, analysis_lines, emotion_name, text
from game.scores import ScoreEntry
from game.settings import Settings
from game.types import Analysis, EngineResult, Frame, Judgement, Mode, PlayerResult, Verdict
from game.ui import theme
from game.ui.screens import SCORE_ROW0_Y, SCORE_ROW_H, SCORE_TABLE, Screens, ScreenState
from game.ui.theme import Fonts
from game.ui.widgets import EmotionBars, SmileGauge, ThresholdSlider, VerdictBanner
from model.face import FaceBox
from model.preprocess import Preprocessing
from model.labels import EMOTIONS, HAPPY, NEUTRAL
from tests.conftest import game_config

MOCKUP_PROBS = np.array([0.0003, 0.0032, 0.0, 0.8811, 0.0005, 0.0002, 0.0547])


@pytest.fixture(scope="module")
def fonts() -> Fonts:
    pygame.font.init()
    return Fonts()


@pytest.fixture(scope="module")
def screens(fonts) -> Screens:
    return Screens(fonts)


def judgement(smile=0.82, verdict=Verdict.OUT, probs=MOCKUP_PROBS, analysis=Analysis.GENUINE, active=True,
              threshold=0.8) -> Judgement:
    return Judgement(verdict, Mode.SIMPLE, smile, smile, np.asarray(probs, dtype=np.float32), analysis, active,
                     threshold)


def face_image(h=240, w=320) -> np.ndarray:
    """A frame with a recognisable colour pattern (magenta left half, cyan right half)."""
    img = np.zeros((h, w, 3), np.uint8)
    img[:, : w // 2] = (200, 0, 200)
    img[:, w // 2:] = (0, 200, 200)
    return img


def engine_result(players: list[PlayerResult], image=None) -> EngineResult:
    image = face_image() if image is None else image
    return EngineResult(Frame(image, 0, 0.0, 0.0), players, 10.0, 30.0)


def row_pixels(surface: pygame.Surface, y: int, x0: int, x1: int) -> np.ndarray:
    """RGB of the pixels (x0..x1-1, y): (N, 3)."""
    return pygame.surfarray.pixels3d(surface)[x0:x1, y].copy()


def matches(pixels: np.ndarray, colour, tol: int = 3) -> np.ndarray:
    return np.all(np.abs(pixels.astype(int) - np.array(colour)) <= tol, axis=-1)


def near(surface: pygame.Surface, rect: pygame.Rect, colour, tol: int = 40) -> int:
    """How many pixels in ``rect`` are close to ``colour``."""
    block = pygame.surfarray.pixels3d(surface)[rect.left:rect.right, rect.top:rect.bottom].astype(int)
    return int(np.sum(np.all(np.abs(block - np.array(colour)) <= tol, axis=-1)))


# --- SmileGauge ---------------------------------------------------------------------------
@pytest.mark.parametrize("value", [0.0, 0.05, 0.23, 0.5, 0.82, 0.97, 1.0])
def test_gauge_fill_length_matches_value(fonts, value):
    surface = pygame.Surface((700, 100))
    gauge = SmileGauge(pygame.Rect(20, 30, 600, 40), fonts)
    gauge.draw(surface, value, threshold=0.5 if value > 0.6 else 0.9, active=True, out=False)
    colour = gauge.fill_colour(value, 0.5 if value > 0.6 else 0.9, True, False)
    # The centre row: the rounded corners do not cut it, the ticks sit at the bottom edge.
    filled = np.flatnonzero(matches(row_pixels(surface, gauge.bar.centery - 4, 0, 700), colour))
    expected = round(value * gauge.bar.w)
    if expected == 0:
        assert filled.size == 0
    else:
        assert filled[0] == gauge.bar.x
        assert abs((filled[-1] + 1 - gauge.bar.x) - expected) <= 1


@pytest.mark.parametrize("threshold", [0.5, 0.55, 0.7, 0.85, 0.9])
def test_gauge_threshold_marker_is_at_the_threshold_x(fonts, threshold):
    surface = pygame.Surface((700, 100))
    gauge = SmileGauge(pygame.Rect(20, 30, 600, 40), fonts)
    gauge.draw(surface, 0.3, threshold)
    # Above the bar only the marker is drawn.
    columns = np.flatnonzero(matches(row_pixels(surface, gauge.bar.y - 4, 0, 700), theme.ACCENT))
    assert columns.size > 0
    assert abs(columns.mean() - (gauge.bar.x + threshold * gauge.bar.w)) <= 1.5


def test_gauge_colours_follow_the_verdict_and_grey_when_inactive(fonts):
    gauge = SmileGauge(pygame.Rect(20, 30, 600, 40), fonts)
    row = gauge.bar.centery - 4

    def fill_row(**kw) -> np.ndarray:
        surface = pygame.Surface((700, 100))
        gauge.draw(surface, **kw)
        return row_pixels(surface, row, gauge.bar.x, gauge.x_at(kw["value"]) - 8)

    safe = fill_row(value=0.3, threshold=0.8, active=True, out=False)
    assert matches(safe, theme.SAFE_GREEN).all()
    close = fill_row(value=0.75, threshold=0.8, active=True, out=False)
    assert matches(close, theme.WARN_AMBER).all()
    out = fill_row(value=0.9, threshold=0.8, active=True, out=True)
    assert matches(out[: len(out) // 2], theme.OUT_RED).all()
    inactive = fill_row(value=0.9, threshold=0.8, active=False, out=False)
    grey = inactive[: len(inactive) // 2]
    assert matches(grey, theme.INACTIVE_GREY).all()
    assert np.ptp(grey.astype(int), axis=1).max() < 20   # r ≈ g ≈ b: no hue at all


# --- ThresholdSlider ----------------------------------------------------------------------
def test_slider_click_and_drag_snap_to_steps_within_range(fonts):
    bar = pygame.Rect(100, 0, 400, 40)
    slider = ThresholdSlider(pygame.Rect(100, 60, 500, 30), bar, fonts)
    y = slider.rect.centery

    def event(kind, x, **kw):
        return pygame.event.Event(kind, pos=(x, y), **kw)

    assert slider.handle(event(pygame.MOUSEBUTTONDOWN, slider.x_at(0.7) + 3, button=1)) == pytest.approx(0.7)
    assert slider.handle(event(pygame.MOUSEMOTION, slider.x_at(0.86), rel=(0, 0), buttons=(1, 0, 0))) == \
        pytest.approx(0.85)
    assert slider.handle(event(pygame.MOUSEMOTION, 10_000, rel=(0, 0), buttons=(1, 0, 0))) == pytest.approx(0.9)
    assert slider.handle(event(pygame.MOUSEMOTION, -10_000, rel=(0, 0), buttons=(1, 0, 0))) == pytest.approx(0.5)
    assert slider.handle(event(pygame.MOUSEBUTTONUP, slider.x_at(0.6), button=1)) is None
    assert slider.handle(event(pygame.MOUSEMOTION, slider.x_at(0.6), rel=(0, 0), buttons=(0, 0, 0))) is None
    # A click far from the track does not grab it.
    assert slider.handle(pygame.event.Event(pygame.MOUSEBUTTONDOWN, pos=(slider.x_at(0.7), y + 200),
                                            button=1)) is None


def test_slider_handle_sits_under_the_gauge_marker(fonts):
    surface = pygame.Surface((800, 200))
    gauge = SmileGauge(pygame.Rect(20, 20, 700, 40), fonts)
    slider = ThresholdSlider(pygame.Rect(20, 90, 700, 34), gauge.bar, fonts)
    gauge.draw(surface, 0.2, 0.65)
    slider.draw(surface, 0.65, "ko")
    handle_cols = np.flatnonzero(matches(row_pixels(surface, slider.rect.centery - 10, 0, 640), theme.ACCENT))
    assert abs(handle_cols.mean() - gauge.x_at(0.65)) <= 1.5


# --- VerdictBanner, EmotionBars, text -----------------------------------------------------
@pytest.mark.parametrize("verdict, colour, other", [(Verdict.OUT, theme.OUT_RED, theme.SAFE_GREEN),
                                                     (Verdict.SAFE, theme.SAFE_GREEN, theme.OUT_RED)])
def test_verdict_banner_colour(fonts, verdict, colour, other):
    surface = pygame.Surface((600, 160))
    surface.fill(theme.PANEL)
    banner = VerdictBanner(pygame.Rect(20, 20, 560, 110), fonts)
    banner.draw(surface, verdict, "ko")
    assert near(surface, banner.rect, colour, tol=12) > 2000   # the large letters and the frame
    assert near(surface, banner.rect, other, tol=60) == 0


def test_emotion_bars_fill_in_proportion_with_the_top_emotion_highlighted(fonts):
    surface = pygame.Surface((600, 260))
    bars = EmotionBars(pygame.Rect(10, 10, 560, 210), fonts)
    bars.draw(surface, MOCKUP_PROBS, "ko")
    lengths = {}
    for position, index in enumerate(EMOTION_DISPLAY_ORDER):
        row = bars.row(position)
        pixels = row_pixels(surface, row.centery, row.x, row.right)
        colour = theme.ACCENT if index == HAPPY else theme.EMOTION_BAR
        lengths[index] = int(matches(pixels, colour).sum())
    assert EMOTION_DISPLAY_ORDER[0] == NEUTRAL                         # the mock-up's order
    assert lengths[HAPPY] > 10 * lengths[NEUTRAL] > 0                   # 88% vs 5.5%
    assert lengths[HAPPY] / lengths[NEUTRAL] == pytest.approx(0.8811 / 0.0547, rel=0.15)


def test_hangul_renders_with_nanumgothic(fonts):
    assert fonts.has_hangul and fonts.regular.name == "NanumGothic.ttf"
    font = fonts.get(24)
    # A font without Hangul draws the same "missing glyph" box for every syllable.
    a, b = (pygame.surfarray.array3d(font.render(s, True, (255, 255, 255), (0, 0, 0))) for s in ("행복", "중립"))
    assert a.shape == b.shape and not np.array_equal(a, b)
    assert [emotion_name("ko", i) for i in EMOTION_DISPLAY_ORDER] == ["중립", "분노", "혐오", "공포", "행복", "슬픔", "놀람"]
    assert emotion_name("en", HAPPY) == "Happy"


def test_analysis_sentence_gives_both_numbers_like_the_mockup():
    headline, detail = analysis_lines("ko", judgement())
    assert headline == "진심으로 웃고 있습니다!"
    assert detail == "(행복 88% + 웃음 82% = 감정 표정 일치)"
    headline, detail = analysis_lines("en", judgement(0.75, Verdict.SAFE, [0, 0, 0, 0.1, 0, 0, 0.9], Analysis.FORCED))
    assert headline == "A forced smile!" and "neutral 90%" in detail and "smile 75%" in detail


def test_every_string_and_analysis_exists_in_both_languages():
    assert set(STRINGS["ko"]) == set(STRINGS["en"])
    for lang in ("ko", "en"):
        assert set(_ANALYSIS[lang]) == set(Analysis)
        for analysis in Analysis:
            analysis_lines(lang, judgement(analysis=analysis))   # formats without a KeyError
    assert text("xx", "verdict_OUT") == "OUT!!!"   # unknown language falls back to Korean


# --- whole screens ------------------------------------------------------------------------
def playing_flow(players=1, phase=Phase.PLAYING) -> GameFlow:
    flow = GameFlow(game_config(round_seconds=30.0), players)
    flow.phase, flow.phase_time, flow.elapsed, flow.faces_ok = phase, 5.0, 12.4, True
    return flow


BOX = FaceBox(100, 60, 120, 120, 0.9)


def test_play_screen_shows_out_in_red_and_the_gauge_at_its_value(screens):
    surface = pygame.Surface(theme.SCREEN_SIZE)
    state = ScreenState(playing_flow(), Settings(), engine_result([PlayerResult(BOX, judgement(0.86))]))
    screens.draw(surface, state)
    layout = screens.layout(1, False)
    panel = layout.panels[0]
    assert near(surface, panel.verdict.rect, theme.OUT_RED, tol=12) > 2000
    assert near(surface, panel.verdict.rect, theme.SAFE_GREEN, tol=60) == 0
    red = np.flatnonzero(matches(row_pixels(surface, panel.gauge.bar.centery - 4, 0, 1280), theme.OUT_RED))
    assert abs(red[-1] + 1 - panel.gauge.x_at(0.86)) <= 1
    # The camera frame (magenta/cyan) is drawn into the camera view.
    assert near(surface, layout.camera.rect, (200, 0, 200), tol=10) > 10_000


def test_two_stage_not_happy_shows_a_grey_gauge_and_safe(screens):
    surface = pygame.Surface(theme.SCREEN_SIZE)
    j = judgement(0.75, Verdict.SAFE, [0.01, 0.01, 0.02, 0.1, 0.03, 0.03, 0.8], Analysis.FORCED, active=False)
    j.mode = Mode.TWO_STAGE
    state = ScreenState(playing_flow(), Settings(two_stage=True), engine_result([PlayerResult(BOX, j)]))
    screens.draw(surface, state)
    panel = screens.layout(1, False).panels[0]
    fill = row_pixels(surface, panel.gauge.bar.centery - 4, panel.gauge.bar.x, panel.gauge.x_at(0.7))
    assert matches(fill, theme.INACTIVE_GREY).all()
    assert near(surface, panel.verdict.rect, theme.SAFE_GREEN, tol=12) > 2000


def test_face_off_screen_has_a_panel_per_player_in_their_colours(screens):
    surface = pygame.Surface(theme.SCREEN_SIZE)
    left, right = FaceBox(20, 60, 80, 80, 0.9), FaceBox(200, 60, 80, 80, 0.9)
    players = [PlayerResult(left, judgement(0.3, Verdict.SAFE, analysis=Analysis.HOLDING_BACK)),
               PlayerResult(right, judgement(0.9, Verdict.OUT))]
    state = ScreenState(playing_flow(players=2), Settings(), engine_result(players))
    screens.draw(surface, state)
    layout = screens.layout(2, False)
    p1, p2 = layout.panels   # not mirrored: P1 (left in the image) on the left
    assert near(surface, p1.frame, theme.PLAYER_COLOURS[0], tol=8) > 500
    assert near(surface, p2.frame, theme.PLAYER_COLOURS[1], tol=8) > 500
    assert near(surface, p1.verdict.rect, theme.SAFE_GREEN, tol=12) > 1000
    assert near(surface, p2.verdict.rect, theme.OUT_RED, tol=12) > 1000
    # Mirrored (webcam): P1 appears on the right of the screen, so its panel moves there.
    state.mirror = True
    screens.draw(surface, state)
    assert near(surface, layout.panels[1].frame, theme.PLAYER_COLOURS[0], tol=8) > 500


def test_no_face_prompt_and_paused_overlay(screens):
    surface = pygame.Surface(theme.SCREEN_SIZE)
    flow = playing_flow()
    flow.faces_ok, flow.missing_for = False, 2.0
    no_face = Judgement(Verdict.NO_FACE, Mode.SIMPLE, 0, 0, np.zeros(7), Analysis.NO_FACE, False, 0.8)
    state = ScreenState(flow, Settings(), engine_result([PlayerResult(None, no_face)]))
    screens.draw(surface, state)
    camera = screens.layout(1, False).camera.rect
    assert near(surface, camera, theme.OUT_RED, tol=40) > 3000   # the red prompt box over the view
    flow.paused = True
    before = pygame.surfarray.array3d(surface).mean()
    screens.draw(surface, state)
    assert pygame.surfarray.array3d(surface).mean() < before     # dimmed behind "paused"


def test_title_calibration_laugh_and_results_screens_draw(screens):
    surface = pygame.Surface(theme.SCREEN_SIZE)
    result = engine_result([PlayerResult(BOX, judgement(0.1, Verdict.SAFE, analysis=Analysis.CALM))])
    title = ScreenState(GameFlow(), Settings(), result, menu_index=1)
    screens.draw(surface, title)
    selected, other = screens.menu_buttons[1].rect, screens.menu_buttons[0].rect
    assert near(surface, selected, theme.ACCENT, tol=10) > near(surface, other, theme.ACCENT, tol=10)

    flow = GameFlow()
    flow.phase, flow.calibrated_for, flow.faces_ok = Phase.CALIBRATE, 1.5, True
    screens.draw(surface, ScreenState(flow, Settings(), result))
    bar_y = 580 + 120 - 22 + 5
    green = np.flatnonzero(matches(row_pixels(surface, bar_y, 0, 1280), theme.SAFE_GREEN))
    assert abs((green[-1] - green[0] + 1) / (880 - 56) - 0.5) < 0.02   # half of the 3 s done

    flow = GameFlow()
    flow.phase, flow.phase_time = Phase.LAUGH, 5.0
    flow.result = RoundResult(Outcome.LAUGHED, (0,), 12.4, 1)
    track = flow.tracks[0]
    track.peak, track.peak_frame, track.peak_crop = 0.93, face_image(), Preprocessing().crop(face_image(), BOX)
    screens.draw(surface, ScreenState(flow, Settings(), result))
    replay = screens.replay_views(1, False)[0][1]
    assert near(surface, replay, (0, 200, 200), tol=10) > 10_000   # the peak face, with no replay kept

    flow.phase = Phase.RESULTS
    scores = [ScoreEntry(20.0, 0.7, 0.8, False, "2026-01-14"), ScoreEntry(12.4, 0.93, 0.8, False, "2026-01-14")]
    screens.draw(surface, ScreenState(flow, Settings(), None, scores=scores, new_rank=2))
    highlight = pygame.Rect(SCORE_TABLE.x + 16, SCORE_TABLE.y + SCORE_ROW0_Y + SCORE_ROW_H - 3, 760, SCORE_ROW_H - 1)
    assert near(surface, highlight, (70, 58, 20), tol=4) > 5000   # the new entry's row is highlighted


def test_english_switch_changes_the_labels(screens):
    a, b = pygame.Surface(theme.SCREEN_SIZE), pygame.Surface(theme.SCREEN_SIZE)
    result = engine_result([PlayerResult(BOX, judgement())])
    screens.draw(a, ScreenState(playing_flow(), Settings(language="ko"), result))
    screens.draw(b, ScreenState(playing_flow(), Settings(language="en"), result))
    emotions = screens.layout(1, False).panels[0].emotions.rect
    ka = pygame.surfarray.array3d(a)[emotions.left:emotions.left + 80, emotions.top:emotions.bottom]
    kb = pygame.surfarray.array3d(b)[emotions.left:emotions.left + 80, emotions.top:emotions.bottom]
    assert not np.array_equal(ka, kb)
    assert len(EMOTIONS) == len(EMOTION_DISPLAY_ORDER) == 7
