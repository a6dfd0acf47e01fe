"""The pieces of the game screen. Each widget owns a rect and draws plain values
(numbers, a Judgement, a frame), so every one can be drawn from a scripted state."""
from __future__ import annotations

import numpy as np
import pygame

from game.i18n import EMOTION_DISPLAY_ORDER, analysis_lines, emotion_name, text
from game.config import THRESHOLD_RANGE, UiSettings, snap_threshold
from game.types import Judgement, Verdict
from model.labels import EMOTIONS
from game.ui import theme
from game.ui.theme import Fonts, draw_text, wrap_text

WARN_MARGIN = 0.10   # the gauge turns amber this close below the threshold


class SmileGauge:
    """Head 1's smile value as a bar over 0..1, its value with two decimals and the threshold marker.

    Grey when inactive (two-stage mode with head 2 not happy), red when the verdict is OUT."""

    def __init__(self, rect: pygame.Rect, fonts: Fonts, value_size: int = 34):
        self.rect = pygame.Rect(rect)
        self.fonts, self.value_size = fonts, value_size
        value_w = fonts.get(value_size, bold=True).size("0.00")[0] + 16
        self.bar = pygame.Rect(self.rect.x, self.rect.y, self.rect.w - value_w, self.rect.h)

    def x_at(self, value: float) -> int:
        """Screen x of ``value`` on the bar's 0..1 scale."""
        return self.bar.x + round(min(max(value, 0.0), 1.0) * self.bar.w)

    def fill_colour(self, value: float, threshold: float, active: bool, out: bool) -> tuple:
        if not active:
            return theme.INACTIVE_GREY
        if out:
            return theme.OUT_RED
        return theme.WARN_AMBER if value >= threshold - WARN_MARGIN else theme.SAFE_GREEN

    def draw(self, surface: pygame.Surface, value: float, threshold: float, active: bool = True,
             out: bool = False) -> None:
        radius = self.bar.h // 3
        pygame.draw.rect(surface, theme.TRACK, self.bar, border_radius=radius)
        fill = self.bar.copy()
        fill.w = self.x_at(value) - self.bar.x
        if fill.w > 0:
            pygame.draw.rect(surface, self.fill_colour(value, threshold, active, out), fill, border_radius=radius)
        for q in (0.25, 0.5, 0.75):   # faint scale ticks along the bottom edge
            x = self.x_at(q)
            pygame.draw.line(surface, theme.BACKGROUND, (x, self.bar.bottom - 6), (x, self.bar.bottom - 1), 2)
        mx = self.x_at(threshold)
        pygame.draw.rect(surface, theme.ACCENT, (mx - 2, self.bar.y - 7, 4, self.bar.h + 14), border_radius=2)
        colour = theme.TEXT if active else theme.INACTIVE_GREY
        draw_text(surface, self.fonts.get(self.value_size, bold=True), f"{value:.2f}", colour,
                  (self.rect.right, self.bar.centery), "midright")


class ThresholdSlider:
    """The threshold (0.5–0.9, in ``step``s) on the same 0..1 x scale as its gauge: click or drag."""

    def __init__(self, rect: pygame.Rect, scale: pygame.Rect, fonts: Fonts, show_label: bool = True,
                 step: float = UiSettings().threshold_step):
        self.rect, self.scale, self.fonts = pygame.Rect(rect), pygame.Rect(scale), fonts
        self.show_label, self.step = show_label, step
        self.dragging = False

    def x_at(self, value: float) -> int:
        return self.scale.x + round(value * self.scale.w)

    @property
    def track(self) -> pygame.Rect:
        x0, x1 = (self.x_at(v) for v in THRESHOLD_RANGE)
        return pygame.Rect(x0, self.rect.centery - 3, x1 - x0, 6)

    def value_at(self, x: int) -> float:
        return snap_threshold((x - self.scale.x) / self.scale.w, self.step)

    def handle(self, event: pygame.event.Event) -> float | None:
        """-> the new threshold when the event moved the slider, else None."""
        if event.type == pygame.MOUSEBUTTONDOWN and event.button == 1:
            if self.track.inflate(28, 28).collidepoint(event.pos):
                self.dragging = True
                return self.value_at(event.pos[0])
        elif event.type == pygame.MOUSEMOTION and self.dragging:
            return self.value_at(event.pos[0])
        elif event.type == pygame.MOUSEBUTTONUP and event.button == 1:
            self.dragging = False
        return None

    def draw(self, surface: pygame.Surface, threshold: float, lang: str) -> None:
        font = self.fonts.get(18)
        if self.show_label:
            draw_text(surface, font, text(lang, "threshold"), theme.TEXT_DIM,
                      (self.scale.x, self.rect.centery), "midleft")
        track = self.track
        pygame.draw.rect(surface, theme.TRACK, track, border_radius=3)
        lo, hi = THRESHOLD_RANGE
        for i in range(round((hi - lo) / self.step) + 1):
            x = self.x_at(lo + i * self.step)
            tall = 8 if i % 2 == 0 else 4
            pygame.draw.line(surface, theme.TEXT_DIM, (x, track.bottom + 3), (x, track.bottom + 3 + tall))
        hx = self.x_at(threshold)
        handle = pygame.Rect(0, 0, 10, 28)
        handle.center = (hx, self.rect.centery)
        pygame.draw.rect(surface, theme.ACCENT, handle, border_radius=4)
        draw_text(surface, self.fonts.get(22, bold=True), f"{threshold:.2f}", theme.ACCENT,
                  (self.rect.right, self.rect.centery), "midright")


class EmotionBars:
    """Head 2's seven probabilities as labelled bars with percentages; the top one is highlighted."""

    def __init__(self, rect: pygame.Rect, fonts: Fonts, size: int = 20):
        self.rect, self.fonts, self.size = pygame.Rect(rect), fonts, size

    def row(self, position: int) -> pygame.Rect:
        h = self.rect.h // len(EMOTION_DISPLAY_ORDER)
        return pygame.Rect(self.rect.x, self.rect.y + position * h, self.rect.w, h)

    def draw(self, surface: pygame.Surface, probs: np.ndarray, lang: str, active: bool = True) -> None:
        font = self.fonts.get(self.size)
        label_w = max(font.size(emotion_name(lang, i))[0] for i in EMOTION_DISPLAY_ORDER) + 12
        pct_w = font.size("100.00%")[0] + 8
        top = int(np.argmax(probs)) if active and np.sum(probs) > 0 else -1
        for position, index in enumerate(EMOTION_DISPLAY_ORDER):
            row = self.row(position)
            p = float(probs[index])
            colour = theme.TEXT if index == top else theme.TEXT_DIM
            draw_text(surface, font, emotion_name(lang, index), colour, (row.x, row.centery), "midleft")
            bar = pygame.Rect(row.x + label_w, row.centery - row.h // 4, row.w - label_w - pct_w, max(6, row.h // 2))
            pygame.draw.rect(surface, theme.TRACK, bar, border_radius=bar.h // 2)
            fill = bar.copy()
            fill.w = round(min(max(p, 0.0), 1.0) * bar.w)
            if fill.w > 0:
                fill_colour = theme.ACCENT if index == top else theme.EMOTION_BAR
                pygame.draw.rect(surface, fill_colour, fill, border_radius=bar.h // 2)
            draw_text(surface, font, f"{100 * p:.2f}%", colour, (row.right, row.centery), "midright")


class VerdictBanner:
    """OUT!!! (red), SAFE (green) or no face (grey) in large type."""

    def __init__(self, rect: pygame.Rect, fonts: Fonts, size: int | None = None):
        self.rect, self.fonts = pygame.Rect(rect), fonts
        self.size = size or int(self.rect.h * 0.72)

    def draw(self, surface: pygame.Surface, verdict: Verdict, lang: str, pulse: float = 0.0) -> None:
        strength = 60 + int(50 * pulse) if verdict is Verdict.OUT else 34
        size = self.size if verdict is not Verdict.NO_FACE else int(self.size * 0.6)
        self.draw_label(surface, text(lang, f"verdict_{verdict.value}"), theme.VERDICT_COLOURS[verdict.value],
                        strength, size)

    def draw_label(self, surface: pygame.Surface, label: str, colour, strength: int = 34,
                   size: int | None = None) -> None:
        """Any word in the banner's frame (e.g. READY during the countdown, when there is no verdict)."""
        tint = pygame.Surface(self.rect.size, pygame.SRCALPHA)
        pygame.draw.rect(tint, (*colour, strength), tint.get_rect(), border_radius=16)
        surface.blit(tint, self.rect.topleft)
        pygame.draw.rect(surface, colour, self.rect, width=3, border_radius=16)
        draw_text(surface, self.fonts.get(size or int(self.size * 0.6), bold=True), label, colour,
                  self.rect.center, "center")


class AnalysisLine:
    """The two heads read together: '분석: 진심으로 웃고 있습니다!' and the numbers behind it."""

    def __init__(self, rect: pygame.Rect, fonts: Fonts, size: int = 24):
        self.rect, self.fonts, self.size = pygame.Rect(rect), fonts, size

    def draw(self, surface: pygame.Surface, judgement: Judgement, lang: str) -> None:
        headline, detail = analysis_lines(lang, judgement)
        font, detail_font = self.fonts.get(self.size, bold=True), self.fonts.get(int(self.size * 0.8))
        label = draw_text(surface, font, text(lang, "analysis"), theme.ACCENT, self.rect.topleft)
        x, y = label.right + 10, label.y
        for line in wrap_text(font, headline, self.rect.right - x):
            y = draw_text(surface, font, line, theme.TEXT, (x, y)).bottom + 2
        y += 6
        for line in wrap_text(detail_font, detail, self.rect.w) if detail else ():
            if y + detail_font.get_linesize() > self.rect.bottom:
                break
            y = draw_text(surface, detail_font, line, theme.TEXT_DIM, (self.rect.x, y)).bottom + 2


class CameraView:
    """The camera frame letterboxed into its rect with each player's face box.

    The frame is converted once per engine frame, not once per screen refresh."""

    def __init__(self, rect: pygame.Rect, fonts: Fonts):
        self.rect, self.fonts = pygame.Rect(rect), fonts
        self._key: tuple | None = None
        self._image: np.ndarray | None = None   # held so the cache key cannot match a new frame
        self._surface: pygame.Surface | None = None
        self.view = self.rect

    def draw(self, surface: pygame.Surface, image: np.ndarray | None, boxes=(), mirror: bool = False) -> None:
        """boxes: (FaceBox, colour, label) in frame pixels."""
        pygame.draw.rect(surface, (0, 0, 0), self.rect, border_radius=12)
        if image is None:
            pygame.draw.rect(surface, theme.PANEL_EDGE, self.rect, width=1, border_radius=12)
            return
        h, w = image.shape[:2]
        self.view = theme.fit_rect((w, h), self.rect)
        key = (self.view.size, mirror)
        if image is not self._image or key != self._key:
            self._surface = theme.frame_to_surface(image, self.view.size, mirror)
            self._image, self._key = image, key
        surface.blit(self._surface, self.view)
        sx, sy = self.view.w / w, self.view.h / h
        font = self.fonts.get(20, bold=True)
        for box, colour, label in boxes:
            x = w - box.x - box.w if mirror else box.x
            r = pygame.Rect(self.view.x + round(x * sx), self.view.y + round(box.y * sy),
                            round(box.w * sx), round(box.h * sy)).clip(self.view)
            pygame.draw.rect(surface, colour, r, width=3, border_radius=6)
            if label:
                tag = font.render(label, True, theme.BACKGROUND)
                tag_rect = tag.get_rect().inflate(12, 4)
                tag_rect.bottomleft = (r.x, max(self.view.y + tag_rect.h, r.y))
                pygame.draw.rect(surface, colour, tag_rect, border_radius=4)
                surface.blit(tag, tag.get_rect(center=tag_rect.center))


class RoundTimer:
    """Time survived against the round length, as a number and a draining bar."""

    def __init__(self, rect: pygame.Rect, fonts: Fonts, size: int = 44):
        self.rect, self.fonts, self.size = pygame.Rect(rect), fonts, size

    def draw(self, surface: pygame.Surface, elapsed: float, total: float | None, lang: str, holding: bool) -> None:
        """total None: practice, the time only counts up."""
        font = self.fonts.get(self.size, bold=True)
        colour = theme.TEXT_DIM if holding else theme.TEXT
        label = text(lang, "timer", elapsed=elapsed, total=total) if total else text(lang, "practice_timer",
                                                                                     elapsed=elapsed)
        drawn = draw_text(surface, font, label, colour, self.rect.topleft)
        if not total:
            return
        bar = pygame.Rect(self.rect.x, drawn.bottom + 10, self.rect.w, 12)
        pygame.draw.rect(surface, theme.TRACK, bar, border_radius=6)
        left = bar.copy()
        left.w = round(bar.w * max(0.0, 1 - elapsed / total))
        if left.w > 0:
            pygame.draw.rect(surface, theme.ACCENT if not holding else theme.INACTIVE_GREY, left, border_radius=6)


class StatsReadout:
    """Small FPS / inference rate / latency line; hidden with a key."""

    def __init__(self, anchor: tuple[int, int], fonts: Fonts):
        self.anchor, self.fonts = anchor, fonts

    def draw(self, surface: pygame.Surface, lang: str, fps: float, infer: float, process_ms: float,
             latency_ms: float) -> pygame.Rect:
        line = text(lang, "stats", fps=fps, infer=infer, process=process_ms, latency=latency_ms)
        return draw_text(surface, self.fonts.get(15), line, theme.TEXT_DIM, self.anchor, "topright")


class Chip:
    """A small rounded label (the mode, the player count)."""

    def __init__(self, fonts: Fonts, size: int = 16):
        self.fonts, self.size = fonts, size

    def draw(self, surface: pygame.Surface, label: str, pos: tuple[int, int], colour=theme.TEXT_DIM) -> pygame.Rect:
        image = self.fonts.get(self.size, bold=True).render(label, True, colour)
        rect = image.get_rect(midleft=pos).inflate(20, 10)
        rect.midleft = pos
        pygame.draw.rect(surface, colour, rect, width=2, border_radius=rect.h // 2)
        surface.blit(image, image.get_rect(center=rect.center))
        return rect


class Button:
    def __init__(self, rect: pygame.Rect, key: str, fonts: Fonts):
        self.rect, self.key, self.fonts = pygame.Rect(rect), key, fonts

    def hit(self, pos: tuple[int, int]) -> bool:
        return self.rect.collidepoint(pos)

    def draw(self, surface: pygame.Surface, lang: str, selected: bool) -> None:
        colour = theme.ACCENT if selected else theme.PANEL_EDGE
        theme.panel(surface, self.rect, theme.PANEL if not selected else (56, 48, 24), colour, radius=12)
        draw_text(surface, self.fonts.get(28, bold=True), text(lang, self.key),
                  theme.TEXT if selected else theme.TEXT_DIM, self.rect.center, "center")


class ButtonRow:
    """Two wide buttons side by side across the screen, one selected (the error and no-camera
    screens): arrows or Tab move, Enter / Space take the selected one, a click takes the one under
    it, a shortcut key takes its button, Esc / Q quit."""

    MOVE = (pygame.K_LEFT, pygame.K_RIGHT, pygame.K_UP, pygame.K_DOWN, pygame.K_TAB)
    TAKE = (pygame.K_RETURN, pygame.K_KP_ENTER, pygame.K_SPACE)

    def __init__(self, keys: tuple[str, str], y: int, fonts: Fonts, shortcuts: dict[int, str]):
        centre = theme.SCREEN_SIZE[0] // 2
        self.keys, self.shortcuts, self.selected = keys, shortcuts, 0
        self.buttons = [Button(pygame.Rect(centre - 510 + 520 * i, y, 500, 64), key, fonts) for i, key in enumerate(keys)]

    def handle_event(self, event: pygame.event.Event) -> str | None:
        """-> the key of the button taken, "quit", or None."""
        if event.type == pygame.KEYDOWN:
            if event.key in (pygame.K_ESCAPE, pygame.K_q):
                return "quit"
            if event.key in self.shortcuts:
                return self.shortcuts[event.key]
            if event.key in self.MOVE:
                self.selected = 1 - self.selected
            elif event.key in self.TAKE:
                return self.keys[self.selected]
        elif event.type == pygame.MOUSEBUTTONDOWN and event.button == 1:
            for i, button in enumerate(self.buttons):
                if button.hit(event.pos):
                    self.selected = i
                    return self.keys[i]
        return None

    def draw(self, surface: pygame.Surface, lang: str) -> None:
        for i, button in enumerate(self.buttons):
            button.draw(surface, lang, i == self.selected)


class SmileCurve:
    """The round's smile over time: one line per player, the threshold, the OUT mark, and a band
    under each line coloured by the emotion head 2 gave most at that moment (with a legend).

    The curve is drawn once per round onto a cached surface; a frame only adds the playhead."""

    BAND_H = 8

    def __init__(self, rect: pygame.Rect, fonts: Fonts):
        self.rect, self.fonts = pygame.Rect(rect), fonts
        self.plot = pygame.Rect(self.rect.x + 44, self.rect.y + 12, self.rect.w - 60, self.rect.h - 56)
        self._key: tuple | None = None
        self._cache: pygame.Surface | None = None

    def x_at(self, t: float, span: float) -> int:
        return self.plot.x + round(min(max(t / span, 0.0), 1.0) * self.plot.w)

    def y_at(self, smile: float) -> int:
        return self.plot.bottom - round(min(max(smile, 0.0), 1.0) * self.plot.h)

    def draw(self, surface: pygame.Surface, curves: list[tuple[list, tuple]], threshold: float, span: float,
             out_at: float | None, lang: str, playhead: float | None = None) -> None:
        """curves: (samples of (t, smile, emotion index), colour) per player; span: seconds on the x axis."""
        span = max(span, 1e-3)
        key = (tuple((len(c), c[-1] if c else None, colour) for c, colour in curves), threshold, span, out_at, lang)
        if key != self._key:
            self._cache = self._render(curves, threshold, span, out_at, lang)
            self._key = key
        surface.blit(self._cache, self.rect)
        if playhead is not None:
            x = self.x_at(playhead, span)
            pygame.draw.line(surface, theme.TEXT, (x, self.plot.y), (x, self.plot.bottom + self.BAND_H * len(curves)), 2)

    def _render(self, curves, threshold: float, span: float, out_at: float | None, lang: str) -> pygame.Surface:
        canvas = pygame.Surface(self.rect.size)
        canvas.fill(theme.BACKGROUND)
        local = pygame.Rect(0, 0, *self.rect.size)
        theme.panel(canvas, local)
        plot = self.plot.move(-self.rect.x, -self.rect.y)
        small = self.fonts.get(14)
        for value in (0.0, 0.5, 1.0):
            y = plot.bottom - round(value * plot.h)
            pygame.draw.line(canvas, theme.PANEL_EDGE, (plot.x, y), (plot.right, y))
            draw_text(canvas, small, f"{value:.1f}", theme.TEXT_DIM, (plot.x - 6, y), "midright")
        ty = plot.bottom - round(threshold * plot.h)
        for x in range(plot.x, plot.right, 12):   # the threshold, dashed
            pygame.draw.line(canvas, theme.TEXT_DIM, (x, ty), (min(x + 6, plot.right), ty), 2)
        bands_y = plot.bottom + 4
        seen: list[int] = []
        for row, (samples, colour) in enumerate(curves):
            if not samples:
                continue
            ts = [t for t, _, _ in samples]
            xs = [plot.x + round(min(max(t / span, 0.0), 1.0) * plot.w) for t in ts]
            for i, (_, _, emotion) in enumerate(samples):   # a band segment until the next sample
                right = xs[i + 1] if i + 1 < len(xs) else xs[i] + 2
                band = pygame.Rect(xs[i], bands_y + row * self.BAND_H, max(1, right - xs[i]), self.BAND_H - 2)
                canvas.fill(theme.EMOTION_COLOURS[EMOTIONS[emotion]], band)
                if emotion not in seen:
                    seen.append(emotion)
            points = [(x, plot.bottom - round(min(max(s, 0.0), 1.0) * plot.h)) for x, (_, s, _) in zip(xs, samples)]
            if len(points) > 1:
                pygame.draw.lines(canvas, colour, False, points, 3)
        if out_at is not None:
            x = plot.x + round(min(max(out_at / span, 0.0), 1.0) * plot.w)
            pygame.draw.line(canvas, theme.OUT_RED, (x, plot.y), (x, plot.bottom), 3)
            draw_text(canvas, self.fonts.get(15, bold=True), "OUT", theme.OUT_RED, (x + 4, plot.y), "topleft")
        x = plot.x
        legend_y = local.bottom - 14
        for emotion in sorted(seen):
            pygame.draw.rect(canvas, theme.EMOTION_COLOURS[EMOTIONS[emotion]], (x, legend_y - 5, 12, 10), border_radius=2)
            x = draw_text(canvas, small, emotion_name(lang, emotion), theme.TEXT_DIM, (x + 16, legend_y), "midleft").right + 14
        label = text(lang, "curve_caption", seconds=span)
        draw_text(canvas, small, label, theme.TEXT_DIM, (plot.right, legend_y), "midright")
        return canvas
