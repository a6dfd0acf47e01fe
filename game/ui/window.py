"""The window: every screen is drawn on one logical canvas (theme.SCREEN_SIZE), copied as is
into a window of that size and scaled letterboxed into any other window or the fullscreen
display; mouse positions are mapped back onto the canvas. ``ask_video_file`` is the system's
file chooser, for the no-camera screen."""
from __future__ import annotations

import pygame

from game.ui import theme
from game.watch import VIDEO_SUFFIXES

MOUSE_EVENTS = (pygame.MOUSEBUTTONDOWN, pygame.MOUSEMOTION, pygame.MOUSEBUTTONUP)


def open_window(fullscreen: bool) -> pygame.Surface:
    """A resizable window at the canvas's size, or the whole display; Window.present scales into it."""
    if not pygame.display.get_init():
        pygame.display.init()
        pygame.display.set_caption("웃참 · 웃음 참기 게임")
        pygame.display.set_icon(theme.make_icon())
    if fullscreen:
        return pygame.display.set_mode((0, 0), pygame.FULLSCREEN)
    current = pygame.display.get_surface()
    if current is not None and current.get_flags() & pygame.FULLSCREEN:
        pygame.display.set_mode(theme.SCREEN_SIZE)   # a resizable window would keep the display's size
    return pygame.display.set_mode(theme.SCREEN_SIZE, pygame.RESIZABLE)


class Window:
    """The canvas (an off-screen surface in tests) and how it is shown in the display's window."""

    def __init__(self, canvas: pygame.Surface | None = None):
        self.canvas = canvas if canvas is not None else pygame.Surface(theme.SCREEN_SIZE)
        self._scaled: pygame.Surface | None = None   # the canvas at the window's size
        self._scaled_for: tuple | None = None

    def _view(self, window: pygame.Surface) -> pygame.Rect:
        return theme.fit_rect(self.canvas.get_size(), window.get_rect())

    def to_canvas(self, pos: tuple[int, int]) -> tuple[int, int]:
        """A window position (mouse) on the logical canvas."""
        window = pygame.display.get_surface() if pygame.display.get_init() else None
        if window is None or window.get_size() == self.canvas.get_size():
            return pos
        view = self._view(window)
        cw, ch = self.canvas.get_size()
        return (round((pos[0] - view.x) * cw / view.w), round((pos[1] - view.y) * ch / view.h))

    def on_canvas(self, event: pygame.event.Event) -> pygame.event.Event:
        """A mouse event with its position on the canvas; any other event as it is."""
        if event.type not in MOUSE_EVENTS:
            return event
        return pygame.event.Event(event.type, {**event.dict, "pos": self.to_canvas(event.pos)})

    def present(self) -> None:
        """Show the canvas in the window at any size; at the canvas's own size it is a plain copy."""
        window = pygame.display.get_surface()
        if window is None:
            return
        if window.get_size() == self.canvas.get_size():
            window.blit(self.canvas, (0, 0))
        else:
            view = self._view(window)
            if self._scaled is None or self._scaled_for != (window, window.get_size()):
                self._scaled, self._scaled_for = pygame.Surface(view.size), (window, window.get_size())
                window.fill((0, 0, 0))   # the letterbox bars: once per window size
            pygame.transform.smoothscale(self.canvas, view.size, self._scaled)
            window.blit(self._scaled, view)
        pygame.display.flip()


VIDEO_PATTERNS = " ".join(f"*{suffix}" for suffix in sorted(VIDEO_SUFFIXES))   # the file chooser's filter


def ask_video_file() -> str | None:
    """A file chooser for a video (None: cancelled); OSError where none can be shown."""
    try:
        import tkinter
        from tkinter import filedialog
    except ImportError as exc:
        raise OSError(f"no file chooser ({exc})") from None
    try:
        root = tkinter.Tk()
        root.withdraw()
        try:
            path = filedialog.askopenfilename(title="웃참 · video", filetypes=[("video", VIDEO_PATTERNS), ("*", "*")])
        finally:
            root.destroy()
    except tkinter.TclError as exc:
        raise OSError(f"no file chooser ({exc})") from None
    return path or None
