"""Colours, fonts and drawing helpers shared by every widget and screen."""
from __future__ import annotations

import importlib.util
import logging
from pathlib import Path

import pygame

log = logging.getLogger(__name__)

# The logical canvas: everything is laid out at this size; pygame.SCALED fits it to the window.
SCREEN_SIZE = (1280, 720)

BACKGROUND = (16, 18, 26)
PANEL = (28, 32, 44)
PANEL_EDGE = (48, 54, 72)
TRACK = (52, 58, 76)        # the empty part of a gauge or bar
TEXT = (236, 239, 246)
TEXT_DIM = (146, 153, 172)
ACCENT = (255, 196, 40)     # titles, the threshold marker, the top emotion
OUT_RED = (236, 64, 72)
SAFE_GREEN = (52, 199, 118)
WARN_AMBER = (255, 150, 40)  # smile close to the threshold
INACTIVE_GREY = (104, 108, 120)
NO_FACE_GREY = (150, 150, 160)
EMOTION_BAR = (92, 140, 255)
PLAYER_COLOURS = ((80, 170, 255), (255, 128, 200))  # P1, P2 in face-off

VERDICT_COLOURS = {"OUT": OUT_RED, "SAFE": SAFE_GREEN, "NO_FACE": NO_FACE_GREY}
# The smile curve's emotion bands, by FER2013 name.
EMOTION_COLOURS = {"angry": (220, 70, 60), "disgust": (120, 170, 50), "fear": (150, 100, 225),
                   "happy": (255, 196, 40), "sad": (70, 125, 235), "surprise": (50, 205, 215),
                   "neutral": (110, 116, 132)}


def koreanize_font_dir() -> Path | None:
    """koreanize-matplotlib's fonts folder, found without importing it (that would load matplotlib)."""
    spec = importlib.util.find_spec("koreanize_matplotlib")
    if spec is None or not spec.submodule_search_locations:
        return None
    return Path(list(spec.submodule_search_locations)[0]) / "fonts"


class Fonts:
    """NanumGothic (Hangul) at any size, cached; Bold when the package has it.

    Without the font the game still runs with pygame's default font (which has no
    Hangul), logged once; ``has_hangul`` tells the app to start in English then."""

    def __init__(self, font_dir: Path | None = None):
        font_dir = font_dir if font_dir is not None else koreanize_font_dir()
        regular = font_dir / "NanumGothic.ttf" if font_dir else None
        bold = font_dir / "NanumGothicBold.ttf" if font_dir else None
        self.regular = regular if regular and regular.is_file() else None
        self.bold = bold if bold and bold.is_file() else self.regular
        self.has_hangul = self.regular is not None
        if not self.has_hangul:
            log.warning("NanumGothic not found (koreanize-matplotlib missing?): Korean text cannot be shown")
        self._cache: dict[tuple[int, bool], pygame.font.Font] = {}

    def get(self, size: int, bold: bool = False) -> pygame.font.Font:
        key = (size, bold)
        if key not in self._cache:
            path = self.bold if bold else self.regular
            font = pygame.font.Font(str(path) if path else None, size)
            if bold and path == self.regular:
                font.set_bold(True)   # no Bold file: let SDL_ttf embolden
            self._cache[key] = font
        return self._cache[key]


def draw_text(surface: pygame.Surface, font: pygame.font.Font, text: str, colour, pos,
              anchor: str = "topleft") -> pygame.Rect:
    """Blit ``text`` with its rect's ``anchor`` (e.g. 'center', 'midright') at ``pos``."""
    image = font.render(text, True, colour)
    rect = image.get_rect(**{anchor: pos})
    surface.blit(image, rect)
    return rect


def fit_text(font: pygame.font.Font, text: str, width: int) -> str:
    """``text`` cut with an ellipsis so it renders no wider than ``width``."""
    if font.size(text)[0] <= width:
        return text
    while text and font.size(text + "…")[0] > width:
        text = text[:-1]
    return text + "…"


def wrap_text(font: pygame.font.Font, line: str, width: int) -> list[str]:
    """Break ``line`` at spaces (or anywhere, for a long path) so each piece fits ``width``."""
    out, current = [], ""
    for word in line.split(" "):
        candidate = f"{current} {word}".strip()
        if font.size(candidate)[0] <= width:
            current = candidate
            continue
        if current:
            out.append(current)
        current = word
        while font.size(current)[0] > width:   # a word longer than the line (a file path)
            cut = len(current)
            while cut > 1 and font.size(current[:cut])[0] > width:
                cut -= 1
            slash = current.rfind("/", 0, cut) + 1   # a path breaks after a folder, not inside a name
            cut = slash if slash > 0 else cut
            out.append(current[:cut])
            current = current[cut:]
    if current:
        out.append(current)
    return out


def wrap_items(font: pygame.font.Font, line: str, width: int, sep: str = " · ") -> list[str]:
    """Break a list of hints ('P: pause · H: help') between its items, never inside one."""
    out, current = [], ""
    for item in line.split(sep):
        candidate = f"{current}{sep}{item}" if current else item
        if font.size(candidate)[0] <= width:
            current = candidate
            continue
        if current:
            out.append(current)
        current = item
        if font.size(item)[0] > width:   # one item wider than the line: break it at spaces
            *whole, current = wrap_text(font, item, width)
            out += whole
    if current:
        out.append(current)
    return out


def panel(surface: pygame.Surface, rect: pygame.Rect, colour=PANEL, edge=PANEL_EDGE, radius: int = 14) -> None:
    pygame.draw.rect(surface, colour, rect, border_radius=radius)
    if edge is not None:
        pygame.draw.rect(surface, edge, rect, width=1, border_radius=radius)


def draw_prompt(surface: pygame.Surface, fonts: Fonts, rect: pygame.Rect, message: str, colour) -> None:
    """A one-line message on a ``colour`` plate at the bottom of ``rect`` (over the camera view)."""
    font = fonts.get(24, bold=True)
    message = fit_text(font, message, rect.w - 60)
    image = font.render(message, True, TEXT)
    box = image.get_rect().inflate(40, 24)
    box.midbottom = (rect.centerx, rect.bottom - 20)
    veil = pygame.Surface(box.size, pygame.SRCALPHA)
    pygame.draw.rect(veil, (*colour, 215), veil.get_rect(), border_radius=12)
    surface.blit(veil, box)
    surface.blit(image, image.get_rect(center=box.center))


def shade(surface: pygame.Surface, alpha: int = 170) -> None:
    """Darken the whole surface (behind overlays and prompts)."""
    veil = pygame.Surface(surface.get_size(), pygame.SRCALPHA)
    veil.fill((0, 0, 0, alpha))
    surface.blit(veil, (0, 0))


def make_icon(size: int = 64) -> pygame.Surface:
    """The window icon: a yellow face biting its lip (drawn, so no image file ships)."""
    icon = pygame.Surface((size, size), pygame.SRCALPHA)
    c = size // 2
    pygame.draw.circle(icon, ACCENT, (c, c), c - 2)
    for dx in (-size // 6, size // 6):
        pygame.draw.circle(icon, BACKGROUND, (c + dx, c - size // 8), size // 14)
    pygame.draw.line(icon, BACKGROUND, (c - size // 5, c + size // 5), (c + size // 5, c + size // 5), max(2, size // 16))
    return icon


def frame_to_surface(image, size: tuple[int, int], mirror: bool = False) -> pygame.Surface:
    """RGB uint8 (H, W, 3) array -> a surface scaled to ``size``."""
    h, w = image.shape[:2]
    surface = pygame.image.frombuffer(image.tobytes(), (w, h), "RGB")
    if mirror:
        surface = pygame.transform.flip(surface, True, False)
    if (w, h) != size:
        surface = pygame.transform.smoothscale(surface, size)
    return surface


def fit_rect(src_size: tuple[int, int], into: pygame.Rect) -> pygame.Rect:
    """The largest rect of the source's aspect ratio centred in ``into`` (letterboxing)."""
    sw, sh = src_size
    scale = min(into.w / sw, into.h / sh)
    rect = pygame.Rect(0, 0, max(1, int(sw * scale)), max(1, int(sh * scale)))
    rect.center = into.center
    return rect
