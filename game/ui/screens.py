"""Whole screens, drawn from a ScreenState: the flow, the newest EngineResult and the settings.

Layouts are fixed rects on the 1280x720 logical canvas (pygame.SCALED fits it to any
window), one per (players, watch pane shown) combination."""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pygame


from game.config import UiSettings
from game.flow import GameFlow, Outcome, Phase
from game.i18n import text
from game.scores import ScoreEntry, shown_peak, shown_seconds
from game.settings import Settings
from game.types import EngineResult, Judgement, Verdict
from game.ui import theme
from game.ui.theme import Fonts, draw_prompt, draw_text, fit_text, panel, shade, wrap_items, wrap_text
from game.ui.widgets import (AnalysisLine, Button, ButtonRow, CameraView, Chip, EmotionBars, RoundTimer, SmileCurve,
                             SmileGauge, StatsReadout, ThresholdSlider, VerdictBanner)

W, H = theme.SCREEN_SIZE
SCORE_TABLE = pygame.Rect(240, 288, 800, 388)   # solo results, under the round's curve
SCORE_DATE_X = 630   # the score table's date column, from the table's left edge
SCORE_HEAD_Y, SCORE_ROW0_Y, SCORE_ROW_H = 58, 86, 29   # column titles, first row, row pitch (from the top)
HEADER_Y = 32        # the header's middle line (the toast sits there, between the chips and the stats)
TOAST_Y = 22         # the toast on screens without a header: above their titles
TITLE_MENU = ("menu_solo", "menu_faceoff", "menu_practice", "menu_record", "menu_quit")
SOURCE_MENU = ("nosrc_retry", "nosrc_file")   # the screen shown when the source cannot be opened
HELP_KEYS = (
    ("Enter / Space", "key_start"), ("← → / - +", "key_threshold"), ("T", "key_two_stage"),
    ("P", "key_pause"), ("F / F11", "key_fullscreen"), ("L", "key_language"), ("I", "key_stats"),
    ("S", "key_save"), ("W", "key_watch"), ("M", "key_sound"), ("C", "key_recalibrate"), ("H / F1", "key_help"),
    ("Esc", "key_back"), ("Q", "key_quit"),
)


@dataclass
class ScreenState:
    """Everything a frame of the game screen shows."""

    flow: GameFlow
    settings: Settings
    result: EngineResult | None = None
    mirror: bool = False                 # show the camera as a mirror (webcam)
    watch_frame: np.ndarray | None = None
    watch_name: str = ""                 # the clip playing; '' = no watch pane
    watch_count: int = 0                 # clips in the playlist
    watch_visible: bool = True
    fps: float = 0.0
    infer_rate: float = 0.0
    toast: str = ""
    show_help: bool = False
    menu_index: int = 0
    scores: list[ScoreEntry] = field(default_factory=list)
    new_rank: int | None = None
    laugh_note: str = ""                 # where the laugh moment was saved, or why not
    source_note: str = ""                # the source has ended / failed / is reconnecting
    now: float = 0.0                     # for animations

    @property
    def lang(self) -> str:
        return self.settings.language

    def judgement(self, player: int) -> Judgement | None:
        if self.result is None or player >= len(self.result.players):
            return None
        return self.result.players[player].judgement

    @property
    def watching(self) -> bool:
        return bool(self.watch_name) and self.watch_visible


@dataclass
class PlayerPanel:
    """One player's gauge, verdict, emotion bars and analysis."""

    gauge: SmileGauge
    verdict: VerdictBanner
    emotions: EmotionBars
    analysis: AnalysisLine
    frame: pygame.Rect | None = None       # the panel background (face-off)
    titles: tuple[tuple[int, int], tuple[int, int]] | None = None   # where the gauge/emotion titles go


@dataclass
class PlayLayout:
    camera: CameraView
    timer: RoundTimer
    timer_panel: pygame.Rect
    slider: ThresholdSlider
    panels: list[PlayerPanel]
    watch: CameraView | None                      # the watch pane (no face boxes)
    side_panel: pygame.Rect | None
    slider_label: tuple[int, int] | None = None   # face-off: where the "threshold" label goes (midleft)


class Screens:
    """Draws whichever screen the flow's phase calls for, plus the overlays (pause, toast, help)."""

    def __init__(self, fonts: Fonts, threshold_step: float = UiSettings().threshold_step):
        self.fonts, self.threshold_step = fonts, threshold_step
        self.chip = Chip(fonts)
        self.stats = StatsReadout((W - 24, 22), fonts)
        self._layouts: dict[tuple[int, bool], PlayLayout] = {}
        self._toast_span, self._toast_y = (0, W), TOAST_Y
        self.toast_box: pygame.Rect | None = None   # where the last toast went
        self.menu_buttons = [Button(pygame.Rect(720, 240 + 62 * i, 480, 52), key, fonts)
                             for i, key in enumerate(TITLE_MENU)]
        self.title_camera = CameraView(pygame.Rect(80, 250, 560, 380), fonts)
        self.calib_camera = CameraView(pygame.Rect(200, 76, 880, 488), fonts)
        self.curve = SmileCurve(pygame.Rect(40, 560, 1200, 128), fonts)            # the laugh replay's
        self.results_curve = SmileCurve(pygame.Rect(240, 150, 800, 124), fonts)    # solo results
        self.faceoff_curve = SmileCurve(pygame.Rect(150, 548, 980, 128), fonts)    # face-off results
        self._faces: dict[tuple, tuple] = {}   # replay view -> (crop, mirror, surface): converted once per crop
        # the no-camera screen's choices: try again (R), a video file instead (O)
        self.source_menu = ButtonRow(SOURCE_MENU, 430, fonts, {pygame.K_r: "nosrc_retry", pygame.K_o: "nosrc_file"})

    # --- layouts ----------------------------------------------------------------------------
    def layout(self, players: int, watching: bool) -> PlayLayout:
        key = (players, watching)
        if key not in self._layouts:
            self._layouts[key] = self._solo_layout(watching) if players == 1 else self._faceoff_layout(watching)
        return self._layouts[key]

    def _solo_layout(self, watching: bool) -> PlayLayout:
        f = self.fonts
        side = pygame.Rect(688, 72, 568, 624)
        x, w = side.x + 24, side.w - 48
        gauge = SmileGauge(pygame.Rect(x, 128, w, 40), f)
        player = PlayerPanel(
            gauge=gauge, verdict=VerdictBanner(pygame.Rect(x, 232, w, 104), f),
            emotions=EmotionBars(pygame.Rect(x, 392, w, 210), f),
            analysis=AnalysisLine(pygame.Rect(x, 616, w, 72), f), titles=((x, 88), (x, 356)))
        slider = ThresholdSlider(pygame.Rect(x, 182, w, 34), gauge.bar, f, step=self.threshold_step)
        if watching:
            watch, camera = pygame.Rect(24, 72, 640, 360), pygame.Rect(24, 444, 320, 252)
            timer_panel = pygame.Rect(356, 444, 308, 252)
            timer = RoundTimer(pygame.Rect(376, 468, 268, 60), f, size=36)
        else:
            watch, camera = None, pygame.Rect(24, 72, 640, 480)
            timer_panel = pygame.Rect(24, 564, 640, 132)
            timer = RoundTimer(pygame.Rect(48, 582, 592, 60), f)
        return PlayLayout(CameraView(camera, f), timer, timer_panel, slider, [player],
                          CameraView(watch, f) if watch else None, side)

    def _faceoff_layout(self, watching: bool) -> PlayLayout:
        f = self.fonts
        panels = []
        for px in (24, 960):
            frame = pygame.Rect(px, 72, 296, 624)
            x, w = px + 18, 260
            panels.append(PlayerPanel(
                gauge=SmileGauge(pygame.Rect(x, 152, w, 30), f, value_size=26),
                verdict=VerdictBanner(pygame.Rect(x, 204, w, 92), f),
                emotions=EmotionBars(pygame.Rect(x, 350, w, 224), f, size=17),
                analysis=AnalysisLine(pygame.Rect(x, 592, w, 96), f, size=19),
                frame=frame, titles=((x, 120), (x, 318))))
        if watching:
            watch, camera = pygame.Rect(336, 72, 608, 342), pygame.Rect(336, 426, 300, 270)
            timer_panel = pygame.Rect(648, 426, 296, 270)
            timer = RoundTimer(pygame.Rect(668, 446, 256, 60), f, size=32)
            row = pygame.Rect(668, 636, 256, 34)
            label = (668, 604)
        else:
            watch, camera = None, pygame.Rect(336, 72, 608, 456)
            timer_panel = pygame.Rect(336, 540, 608, 156)
            timer = RoundTimer(pygame.Rect(360, 556, 560, 60), f, size=36)
            row = pygame.Rect(460, 644, 460, 34)
            label = (360, row.centery)
        # The slider's own scale: its track (0.5–0.9) spans the row minus the value text.
        track_w = row.w - 80
        scale = pygame.Rect(row.x - round(track_w * 1.25), row.y, round(track_w / 0.4), row.h)
        slider = ThresholdSlider(row, scale, f, show_label=False, step=self.threshold_step)
        return PlayLayout(CameraView(camera, f), timer, timer_panel, slider, panels,
                          CameraView(watch, f) if watch else None, None, label)

    def panel_order(self, mirror: bool) -> list[int]:
        """Face-off: which layout panel shows player i (players are numbered left to right in
        the camera image; a mirrored view puts player 1 on the right of the screen)."""
        return [1, 0] if mirror else [0, 1]

    def active_slider(self, state: ScreenState) -> ThresholdSlider | None:
        """The slider the mouse can move now (the one on screen), if any."""
        if state.flow.phase in (Phase.COUNTDOWN, Phase.PLAYING):
            return self.layout(state.flow.players, state.watching).slider
        return None

    # --- drawing ---------------------------------------------------------------------------
    def draw(self, surface: pygame.Surface, state: ScreenState) -> None:
        surface.fill(theme.BACKGROUND)
        self._toast_span = (0, W)   # the header narrows it to the gap between its title and its stats
        self._toast_y = TOAST_Y     # above the big titles of the screens without a header
        phase = state.flow.phase
        if phase is Phase.TITLE:
            self.draw_title(surface, state)
        elif phase is Phase.CALIBRATE:
            self.draw_calibration(surface, state)
        elif phase in (Phase.COUNTDOWN, Phase.PLAYING):
            self.draw_play(surface, state)
        elif phase is Phase.LAUGH:
            if state.flow.phase_time < state.flow.config.ui.laugh_flash_s:
                self.draw_play(surface, state)
                self.draw_out_flash(surface, state)
            else:
                self.draw_laugh(surface, state)
        elif phase is Phase.RESULTS:
            self.draw_results(surface, state)
        if state.flow.paused:
            self.draw_pause(surface, state)
        if state.toast:
            self.draw_toast(surface, state.toast)
        if state.show_help:
            self.draw_help(surface, state)

    def draw_no_source(self, surface: pygame.Surface, lang: str, camera: bool, detail: str, toast: str = "") -> None:
        """No camera (or an unreadable file): say so, offer to try again or to play a video file."""
        surface.fill(theme.BACKGROUND)
        self._toast_span, self._toast_y = (0, W), TOAST_Y
        draw_text(surface, self.fonts.get(34, bold=True), text(lang, "game_title"), theme.ACCENT, (W // 2, 90), "center")
        kind = "camera" if camera else "file"
        draw_text(surface, self.fonts.get(56, bold=True), text(lang, f"nosrc_{kind}_title"), theme.TEXT,
                  (W // 2, 220), "center")
        draw_text(surface, self.fonts.get(24), text(lang, f"nosrc_{kind}_body"), theme.TEXT_DIM, (W // 2, 292), "center")
        small = self.fonts.get(16)
        draw_text(surface, small, fit_text(small, detail, W - 160), theme.TEXT_DIM, (W // 2, 340), "center")
        self.source_menu.draw(surface, lang)
        draw_text(surface, self.fonts.get(20), text(lang, "nosrc_hint"), theme.TEXT_DIM, (W // 2, 560), "center")
        if toast:
            self.draw_toast(surface, toast)

    def draw_header(self, surface: pygame.Surface, state: ScreenState) -> None:
        lang = state.lang
        title = draw_text(surface, self.fonts.get(28, bold=True), text(lang, "game_title"), theme.ACCENT, (24, 14))
        mode = text(lang, "mode_two_stage" if state.settings.two_stage else "mode_simple")
        chip = self.chip.draw(surface, mode, (title.right + 20, title.centery),
                              theme.ACCENT if state.settings.two_stage else theme.TEXT_DIM)
        chip = self.chip.draw(surface, text(lang, "players_n", n=state.flow.players), (chip.right + 10, title.centery))
        right = W
        if state.settings.show_stats:
            r = state.result
            right = self.stats.draw(surface, lang, state.fps, state.infer_rate, r.process_ms if r else 0.0,
                                    r.latency_ms if r else 0.0).left
        self._toast_span, self._toast_y = (chip.right, right), HEADER_Y

    def _boxes(self, state: ScreenState, judged: bool = True) -> list:
        """Face boxes for the camera view: verdict colours while judging, else neutral."""
        if state.result is None:
            return []
        boxes = []
        for i, player in enumerate(state.result.players[:state.flow.players]):
            if player.box is None:
                continue
            if state.flow.players == 2:
                colour, label = theme.PLAYER_COLOURS[i], text(state.lang, "player", n=i + 1)
            else:
                colour = theme.VERDICT_COLOURS[player.judgement.verdict.value] if judged else theme.ACCENT
                label = ""
            boxes.append((player.box, colour, label))
        return boxes

    def draw_title(self, surface: pygame.Surface, state: ScreenState) -> None:
        lang, other = state.lang, "en" if state.lang == "ko" else "ko"
        draw_text(surface, self.fonts.get(80, bold=True), text(lang, "game_title"), theme.ACCENT, (W // 2, 92), "center")
        draw_text(surface, self.fonts.get(24), text(other, "game_title"), theme.TEXT_DIM, (W // 2, 162), "center")
        draw_text(surface, self.fonts.get(26), text(lang, "tagline"), theme.TEXT, (W // 2, 204), "center")
        image = state.result.frame.image if state.result else None
        self.title_camera.draw(surface, image, self._boxes(state, judged=False), state.mirror)
        for i, button in enumerate(self.menu_buttons):
            button.draw(surface, lang, i == state.menu_index)
        small = self.fonts.get(18)
        mode = text(lang, "mode_two_stage" if state.settings.two_stage else "mode_simple")
        lines = [f"{mode} · {text(lang, 'threshold')} {state.settings.threshold:.2f}",
                 text(lang, "save_on" if state.settings.save_laugh_moment else "save_off"),
                 text(lang, "watch_some", name=state.watch_name, count=state.watch_count)
                 if state.watch_name else text(lang, "watch_none")]
        if state.scores:
            best = state.scores[0]
            lines.insert(0, f"{text(lang, 'scores_title')}: {text(lang, 'seconds', value=best.seconds)}")
        y = 556
        for line in lines:
            draw_text(surface, small, fit_text(small, line, 480), theme.TEXT_DIM, (720, y))
            y += 28
        if state.source_note:
            draw_text(surface, small, fit_text(small, state.source_note, 560), theme.WARN_AMBER, (80, 640))
        draw_text(surface, small, text(lang, "menu_hint"), theme.TEXT_DIM, (W // 2, H - 28), "center")

    def draw_calibration(self, surface: pygame.Surface, state: ScreenState) -> None:
        self.draw_header(surface, state)
        flow, lang = state.flow, state.lang
        image = state.result.frame.image if state.result else None
        self.calib_camera.draw(surface, image, self._boxes(state, judged=False), state.mirror)
        box = pygame.Rect(200, 580, 880, 120)
        panel(surface, box)
        draw_text(surface, self.fonts.get(32, bold=True), text(lang, "calib_title"), theme.ACCENT, (box.x + 28, box.y + 16))
        draw_text(surface, self.fonts.get(20), text(lang, "calib_sub", left=flow.calibration_left), theme.TEXT,
                  (box.x + 28, box.y + 64))
        bar = pygame.Rect(box.x + 28, box.bottom - 22, box.w - 56, 10)
        pygame.draw.rect(surface, theme.TRACK, bar, border_radius=5)
        done = bar.copy()
        done.w = round(bar.w * min(1.0, flow.calibrated_for / flow.config.judge.calibration_s))
        if done.w:
            pygame.draw.rect(surface, theme.SAFE_GREEN, done, border_radius=5)
        readings = []
        for i in range(flow.players):
            j = state.judgement(i)
            if j is not None and j.verdict is not Verdict.NO_FACE:
                readings.append((text(lang, "player", n=i + 1) if flow.players == 2 else "", j.smile))
        x = box.right - 28
        for label, smile in reversed(readings):
            r = draw_text(surface, self.fonts.get(30, bold=True), f"{label} {smile:.2f}".strip(), theme.TEXT,
                          (x, box.y + 40), "midright")
            x = r.x - 24
        if flow.stale:
            draw_prompt(surface, self.fonts, self.calib_camera.rect, text(lang, "stale_prompt"), theme.WARN_AMBER)
        elif flow.missing:
            message = (text(lang, "calib_missing", players=self._names(lang, flow.missing)) if flow.players == 2
                       else text(lang, "calib_no_face"))
            draw_prompt(surface, self.fonts, self.calib_camera.rect, message, theme.WARN_AMBER)
        elif flow.refused:
            values = ", ".join(f"{self._name(lang, flow.players, i)} {r:.2f}".strip() for i, r in flow.refused)
            draw_prompt(surface, self.fonts, self.calib_camera.rect, text(lang, "calib_refused", values=values),
                        theme.OUT_RED)

    @staticmethod
    def _name(lang: str, players: int, player: int) -> str:
        """'P2' in a face-off, '' alone."""
        return text(lang, "player", n=player + 1) if players == 2 else ""

    @staticmethod
    def _names(lang: str, players: tuple[int, ...]) -> str:
        return ", ".join(text(lang, "player", n=i + 1) for i in players)

    def draw_play(self, surface: pygame.Surface, state: ScreenState) -> None:
        flow, lang, settings = state.flow, state.lang, state.settings
        layout = self.layout(flow.players, state.watching)
        self.draw_header(surface, state)
        if layout.side_panel is not None:
            panel(surface, layout.side_panel)
        if layout.watch is not None:
            self._draw_watch(surface, layout.watch, state)
        image = state.result.frame.image if state.result else None
        layout.camera.draw(surface, image, self._boxes(state, judged=flow.phase is not Phase.COUNTDOWN), state.mirror)
        order = self.panel_order(state.mirror) if flow.players == 2 else [0]
        judging = flow.phase is not Phase.COUNTDOWN   # no verdict before GO
        for player, slot in enumerate(order):
            judgement = state.judgement(player)
            if judgement is not None:
                self._draw_player(surface, layout.panels[slot], player, judgement, state, judging)
        panel(surface, layout.timer_panel)
        holding = flow.phase is Phase.PLAYING and (not flow.faces_ok or flow.paused)
        layout.timer.draw(surface, flow.elapsed, None if flow.practice else flow.config.ui.round_seconds, lang, holding)
        if flow.players == 1:
            small = self.fonts.get(16)
            if flow.practice:
                hint = text(lang, "practice_hint")
            elif state.scores:
                hint = text(lang, "play_hint_best", best=text(lang, "seconds", value=state.scores[0].seconds))
            else:
                hint = text(lang, "play_hint")
            pad = layout.timer_panel.bottom - 16
            for line in reversed(wrap_items(small, hint, layout.timer.rect.w)):
                pad = draw_text(surface, small, line, theme.TEXT_DIM, (layout.timer.rect.x, pad), "bottomleft").top - 2
        if layout.slider_label is not None:
            draw_text(surface, self.fonts.get(18), text(lang, "threshold"), theme.TEXT_DIM, layout.slider_label,
                      "midleft")
        layout.slider.draw(surface, settings.threshold, lang)
        if flow.phase is Phase.COUNTDOWN and flow.holding_go:
            draw_prompt(surface, self.fonts, layout.camera.rect, text(lang, "hold_go"), theme.WARN_AMBER)
        elif flow.phase is Phase.COUNTDOWN and not flow.paused:   # the pause title stands alone
            self._draw_countdown(surface, layout.camera.rect, flow)
        elif flow.phase is Phase.PLAYING:
            if flow.phase_time < 0.8 and not flow.practice:   # "GO!" right after the countdown
                self._big_over(surface, layout.camera.rect, text(lang, "countdown_go"), theme.SAFE_GREEN,
                               min(150, int(layout.camera.rect.h * 0.45)))
            if flow.stale:
                draw_prompt(surface, self.fonts, layout.camera.rect,
                            state.source_note or text(lang, "stale_prompt"), theme.WARN_AMBER)
            elif not flow.faces_ok:
                if flow.practice:
                    message = text(lang, "no_face_hold")
                elif flow.players == 2:
                    message = text(lang, "no_face_prompt_player", players=self._names(lang, flow.missing),
                                   left=flow.forfeit_in)
                else:
                    message = text(lang, "no_face_prompt", left=flow.forfeit_in)
                draw_prompt(surface, self.fonts, layout.camera.rect, message, theme.OUT_RED)

    def _draw_player(self, surface: pygame.Surface, p: PlayerPanel, player: int, j: Judgement,
                     state: ScreenState, judging: bool = True) -> None:
        lang = state.lang
        small = self.fonts.get(17 if p.frame else 18)
        if p.frame is not None:
            colour = theme.PLAYER_COLOURS[player]
            panel(surface, p.frame, edge=colour)
            draw_text(surface, self.fonts.get(30, bold=True), text(lang, "player", n=player + 1), colour,
                      (p.frame.x + 18, p.frame.y + 10))
        compact = p.frame is not None
        gauge_title = text(lang, "gauge_short" if compact else "gauge_title")
        if not j.gauge_active and j.verdict is not Verdict.NO_FACE:
            gauge_title = text(lang, "gauge_inactive", happy=round(100 * j.emotion("happy")))
        draw_text(surface, small, fit_text(small, gauge_title, p.gauge.rect.w),
                  theme.TEXT_DIM if j.gauge_active else theme.INACTIVE_GREY, p.titles[0])
        out = judging and j.verdict is Verdict.OUT
        p.gauge.draw(surface, j.smile_smoothed, state.settings.threshold, j.gauge_active, out)
        if judging:
            p.verdict.draw(surface, j.verdict, lang, 0.5 + 0.5 * np.sin(state.now * 10) if out else 0.0)
        else:
            p.verdict.draw_label(surface, text(lang, "verdict_ready"), theme.ACCENT)
        draw_text(surface, small, text(lang, "emotion_short" if compact else "emotion_title"), theme.TEXT_DIM,
                  p.titles[1])
        p.emotions.draw(surface, j.emotion_probs, lang, j.verdict is not Verdict.NO_FACE)
        p.analysis.draw(surface, j, lang)

    def _draw_watch(self, surface: pygame.Surface, pane: CameraView, state: ScreenState) -> None:
        pane.draw(surface, state.watch_frame)
        rect, label = pane.rect, self.fonts.get(15)
        draw_text(surface, label, fit_text(label, state.watch_name, rect.w - 20), theme.TEXT_DIM, (rect.x + 10, rect.bottom - 8),
                  "bottomleft")

    def _draw_countdown(self, surface: pygame.Surface, rect: pygame.Rect, flow: GameFlow) -> None:
        number = flow.countdown_number
        full = min(220, int(rect.h * 0.8))
        size = int(full * (1 - 0.35 * (flow.phase_time % 1.0)))   # each number shrinks as its second runs out
        self._big_over(surface, rect, str(number), theme.ACCENT, size)

    def _big_over(self, surface: pygame.Surface, rect: pygame.Rect, label: str, colour, size: int = 150) -> None:
        veil = pygame.Surface(rect.size, pygame.SRCALPHA)
        veil.fill((0, 0, 0, 110))
        surface.blit(veil, rect)
        font = self.fonts.get(size, bold=True)
        draw_text(surface, font, label, (0, 0, 0), (rect.centerx + 5, rect.centery + 6), "center")
        draw_text(surface, font, label, colour, rect.center, "center")

    def draw_out_flash(self, surface: pygame.Surface, state: ScreenState) -> None:
        t = state.flow.phase_time
        veil = pygame.Surface((W, H), pygame.SRCALPHA)
        veil.fill((*theme.OUT_RED, int(150 * max(0.0, 1 - t / state.flow.config.ui.laugh_flash_s)) + 40))
        surface.blit(veil, (0, 0))
        size = int(200 + 60 * min(1.0, t * 4))
        font = self.fonts.get(size, bold=True)
        draw_text(surface, font, "OUT!!!", (0, 0, 0), (W // 2 + 6, H // 2 + 8), "center")
        draw_text(surface, font, "OUT!!!", theme.TEXT, (W // 2, H // 2), "center")

    # --- the laugh replay ----------------------------------------------------------------------
    def replay_views(self, players: int, mirror: bool) -> list[tuple[int, pygame.Rect]]:
        """(player, rect) of each replayed face; face-off puts each player on their side."""
        if players == 1:
            return [(0, pygame.Rect(40, 128, 420, 420))]
        return [(player, pygame.Rect(40 + 310 * slot, 128, 300, 300))
                for player, slot in enumerate(self.panel_order(mirror))]

    @staticmethod
    def replay_time(flow: GameFlow) -> float:
        """The round time the replay shows now: the kept seconds before OUT and the OUT flash,
        looped, at flow.config.ui.replay_speed."""
        kept = [t for track in flow.tracks for t, _ in track.replay[:1] + track.replay[-1:]]
        if not kept:
            return flow.result.seconds
        start, end = min(kept), max(kept)
        played = max(0.0, flow.phase_time - flow.config.ui.laugh_flash_s) * flow.config.ui.replay_speed
        return start + (played % max(end - start, 1e-3)) if end > start else start

    def _replay_face(self, track, t: float) -> np.ndarray | None:
        face = track.replay_at(t)
        return track.peak_crop if face is None else face

    def _blit_face(self, surface: pygame.Surface, face: np.ndarray | None, rect: pygame.Rect, mirror: bool,
                   colour) -> None:
        key = (rect.topleft, rect.size)
        cached = self._faces.get(key)
        if face is None:
            pygame.draw.rect(surface, theme.TRACK, rect, border_radius=8)
        else:
            if cached is None or cached[0] is not face or cached[1] != mirror:
                cached = (face, mirror, theme.frame_to_surface(face, rect.size, mirror))
                self._faces[key] = cached
            surface.blit(cached[2], rect)
        pygame.draw.rect(surface, colour, rect.inflate(6, 6), width=3, border_radius=6)

    def _curves(self, flow: GameFlow) -> list[tuple[list, tuple]]:
        if flow.players == 1:
            return [(flow.tracks[0].curve, theme.TEXT)]
        return [(track.curve, theme.PLAYER_COLOURS[i]) for i, track in enumerate(flow.tracks)]

    @staticmethod
    def _curve_span(flow: GameFlow) -> float:
        ends = [track.curve[-1][0] for track in flow.tracks if track.curve]
        return max(ends + [flow.result.seconds if flow.result else 0.0, 1.0])

    def draw_laugh(self, surface: pygame.Surface, state: ScreenState) -> None:
        """The laugh replay: the kept face crops looped and slowed, the round's smile curve under them."""
        flow, lang = state.flow, state.lang
        loser = flow.result.losers[0]
        title = text(lang, "laugh_title")
        if flow.players == 2:
            title = f"{text(lang, 'player', n=loser + 1)} · {title}"
        draw_text(surface, self.fonts.get(60, bold=True), title, theme.OUT_RED, (W // 2, 84), "center")
        t = self.replay_time(flow)
        for player, rect in self.replay_views(flow.players, state.mirror):
            track = flow.tracks[player]
            colour = theme.PLAYER_COLOURS[player] if flow.players == 2 else theme.OUT_RED
            self._blit_face(surface, self._replay_face(track, t), rect, state.mirror, colour)
            if flow.players == 2:
                tag = text(lang, "result_lose" if player in flow.result.losers else "result_win")
                draw_text(surface, self.fonts.get(26, bold=True), f"{text(lang, 'player', n=player + 1)} · {tag}",
                          colour, (rect.x, rect.bottom + 14))
                draw_text(surface, self.fonts.get(22), text(lang, "laugh_peak", peak=shown_peak(track.peak)),
                          theme.TEXT, (rect.x, rect.bottom + 52))
        right = self.replay_views(flow.players, state.mirror)[-1][1].right + 20
        card = pygame.Rect(right, 128, W - 40 - right, 420)
        panel(surface, card)
        track = flow.tracks[loser]
        draw_text(surface, self.fonts.get(40, bold=True), text(lang, "laugh_peak", peak=shown_peak(track.peak)),
                  theme.TEXT, (card.centerx, card.y + 60), "center")
        draw_text(surface, self.fonts.get(30), text(lang, "laugh_time", seconds=shown_seconds(flow.result.seconds)),
                  theme.ACCENT, (card.centerx, card.y + 116), "center")
        draw_text(surface, self.fonts.get(20), text(lang, "replay_caption", speed=flow.config.ui.replay_speed,
                                                    at=t), theme.TEXT_DIM, (card.centerx, card.y + 170), "center")
        small = self.fonts.get(17)
        note = state.laugh_note or text(lang, "laugh_private")
        y = card.y + 230
        for line in wrap_text(small, note, card.w - 40):
            draw_text(surface, small, line, theme.TEXT_DIM, (card.centerx, y), "center")
            y += 24
        self.curve.draw(surface, self._curves(flow), state.settings.threshold, self._curve_span(flow),
                        flow.result.seconds, lang, playhead=t)
        draw_text(surface, self.fonts.get(20), text(lang, "replay_hint"), theme.TEXT_DIM, (W // 2, H - 16), "center")

    def draw_results(self, surface: pygame.Surface, state: ScreenState) -> None:
        flow, lang = state.flow, state.lang
        result = flow.result
        headline, colour = self._headline(state)
        draw_text(surface, self.fonts.get(60, bold=True), headline, colour, (W // 2, 62), "center")
        if result is not None and flow.players == 1:
            detail = text(lang, "result_detail", seconds=shown_seconds(result.seconds),
                          peak=shown_peak(flow.tracks[0].peak))
            if result.outcome is Outcome.HID:
                detail = text(lang, "result_not_ranked")
            draw_text(surface, self.fonts.get(24), detail, theme.TEXT, (W // 2, 122), "center")
        if flow.players == 2:
            self._draw_faceoff_cards(surface, state)
            curve = self.faceoff_curve
        else:
            self._draw_score_table(surface, state, SCORE_TABLE)
            curve = self.results_curve
        if result is not None:
            curve.draw(surface, self._curves(flow), state.settings.threshold, self._curve_span(flow),
                       result.seconds if result.outcome is Outcome.LAUGHED else None, lang)
        draw_text(surface, self.fonts.get(20), text(lang, "results_hint"), theme.TEXT_DIM, (W // 2, H - 22), "center")

    def _draw_score_table(self, surface: pygame.Surface, state: ScreenState, table: pygame.Rect) -> None:
        lang = state.lang
        panel(surface, table)
        title = draw_text(surface, self.fonts.get(26, bold=True), text(lang, "scores_title"), theme.ACCENT,
                          (table.x + 28, table.y + 14))
        draw_text(surface, self.fonts.get(20), text(lang, "scores_round", seconds=state.flow.config.ui.round_seconds),
                  theme.TEXT_DIM, (title.right + 14, title.bottom - 4), "bottomleft")
        result = state.flow.result
        if state.new_rank is not None:
            # A new best or a survived round is celebrated; a laugh's place is only stated.
            won = result is not None and result.outcome is Outcome.SURVIVED
            if state.new_rank == 1:
                badge, colour = text(lang, "new_record"), theme.OUT_RED
            elif won:
                badge, colour = text(lang, "rank_entered", rank=state.new_rank), theme.OUT_RED
            else:
                badge, colour = text(lang, "rank_plain", rank=state.new_rank), theme.TEXT_DIM
            draw_text(surface, self.fonts.get(26, bold=True), badge, colour, (table.right - 28, table.y + 14),
                      "topright")
        if not state.scores:
            draw_text(surface, self.fonts.get(22), text(lang, "scores_empty"), theme.TEXT_DIM, table.center, "center")
            return
        # Numbers align right at these x offsets; the result and the date are left-aligned.
        columns = (("col_rank", 64), ("col_time", 330), ("col_peak", 470), ("col_threshold", 600))
        result_x, date_x = 100, SCORE_DATE_X
        head, row_font = self.fonts.get(17), self.fonts.get(22)
        y = table.y + SCORE_HEAD_Y
        for key, right in columns:
            draw_text(surface, head, text(lang, key), theme.TEXT_DIM, (table.x + right, y), "topright")
        draw_text(surface, head, text(lang, "col_result"), theme.TEXT_DIM, (table.x + result_x, y))
        draw_text(surface, head, text(lang, "col_date"), theme.TEXT_DIM, (table.x + date_x, y))
        for i, entry in enumerate(state.scores):
            y = table.y + SCORE_ROW0_Y + SCORE_ROW_H * i
            highlight = state.new_rank == i + 1
            if highlight:
                pygame.draw.rect(surface, (70, 58, 20), (table.x + 16, y - 3, table.w - 32, SCORE_ROW_H - 1),
                                 border_radius=8)
            colour = theme.ACCENT if highlight else theme.TEXT
            cells = (f"{i + 1}", text(lang, "seconds", value=entry.seconds), f"{entry.peak:.2f}",
                     f"{entry.threshold:.2f}")
            for (key, right), cell in zip(columns, cells):
                draw_text(surface, row_font, cell, colour, (table.x + right, y), "topright")
            draw_text(surface, row_font, text(lang, "score_won" if entry.won else "score_laughed"),
                      theme.SAFE_GREEN if entry.won else theme.TEXT_DIM, (table.x + result_x, y))
            draw_text(surface, row_font, entry.date, colour, (table.x + date_x, y))

    def _draw_faceoff_cards(self, surface: pygame.Surface, state: ScreenState) -> None:
        flow, lang, result = state.flow, state.lang, state.flow.result
        for player, slot in enumerate(self.panel_order(state.mirror)):
            card = pygame.Rect(150 + slot * 510, 150, 470, 382)
            colour = theme.PLAYER_COLOURS[player]
            panel(surface, card, edge=colour)
            draw_text(surface, self.fonts.get(36, bold=True), text(lang, "player", n=player + 1), colour,
                      (card.x + 24, card.y + 16))
            if result is not None:
                key = "result_tie" if result.winner is None else (
                    "result_win" if result.winner == player else "result_lose")
                tone = theme.SAFE_GREEN if key == "result_win" else theme.OUT_RED if key == "result_lose" else theme.ACCENT
                draw_text(surface, self.fonts.get(36, bold=True), text(lang, key), tone, (card.right - 24, card.y + 16),
                          "topright")
            track = flow.tracks[player]
            face_rect = pygame.Rect(0, 0, 220, 220)
            face_rect.midtop = (card.centerx, card.y + 72)
            self._blit_face(surface, track.peak_crop, face_rect, state.mirror, colour)
            draw_text(surface, self.fonts.get(26, bold=True), text(lang, "laugh_peak", peak=shown_peak(track.peak)),
                      theme.TEXT, (card.centerx, card.bottom - 56), "center")
            if result is not None:
                draw_text(surface, self.fonts.get(20), text(lang, "laugh_time", seconds=shown_seconds(result.seconds)),
                          theme.TEXT_DIM, (card.centerx, card.bottom - 22), "center")

    def _headline(self, state: ScreenState) -> tuple[str, tuple]:
        lang, result = state.lang, state.flow.result
        if result is None:
            return text(lang, "scores_title"), theme.ACCENT
        if state.flow.players == 2:
            if result.winner is None:
                return text(lang, "result_draw"), theme.ACCENT
            return text(lang, "result_winner", n=result.winner + 1), theme.PLAYER_COLOURS[result.winner]
        if result.outcome is Outcome.SURVIVED:
            return text(lang, "result_survived"), theme.SAFE_GREEN
        key = "result_hid" if result.outcome is Outcome.HID else "result_laughed"
        return text(lang, key), theme.OUT_RED

    def draw_pause(self, surface: pygame.Surface, state: ScreenState) -> None:
        shade(surface, 150)
        draw_text(surface, self.fonts.get(90, bold=True), text(state.lang, "paused"), theme.TEXT, (W // 2, H // 2 - 30),
                  "center")
        draw_text(surface, self.fonts.get(24), text(state.lang, "paused_hint"), theme.TEXT_DIM, (W // 2, H // 2 + 50),
                  "center")

    def draw_toast(self, surface: pygame.Surface, message: str) -> None:
        """A short notice in the middle of the header, between the title chips and the stats."""
        font = self.fonts.get(18, bold=True)
        left, right = self._toast_span
        image = font.render(fit_text(font, message, right - left - 64), True, theme.BACKGROUND)
        box = image.get_rect().inflate(32, 14)
        box.center = ((left + right) // 2, self._toast_y)
        self.toast_box = box
        pygame.draw.rect(surface, theme.ACCENT, box, border_radius=box.h // 2)
        surface.blit(image, image.get_rect(center=box.center))

    def draw_help(self, surface: pygame.Surface, state: ScreenState) -> None:
        shade(surface, 190)
        box = pygame.Rect(0, 0, 780, 640)
        box.center = (W // 2, H // 2)
        panel(surface, box, edge=theme.ACCENT)
        lang = state.lang
        draw_text(surface, self.fonts.get(34, bold=True), text(lang, "help_title"), theme.ACCENT,
                  (box.x + 36, box.y + 24))
        key_font, desc_font = self.fonts.get(20, bold=True), self.fonts.get(20)
        for i, (keys, desc) in enumerate(HELP_KEYS):
            y = box.y + 86 + 34 * i
            draw_text(surface, key_font, keys, theme.TEXT, (box.x + 40, y))
            draw_text(surface, desc_font, text(lang, desc), theme.TEXT_DIM, (box.x + 250, y))
        draw_text(surface, self.fonts.get(17), text(lang, "help_close"), theme.TEXT_DIM,
                  (box.centerx, box.bottom - 22), "center")

