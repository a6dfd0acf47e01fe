"""The screen shown when the engine's processing thread fails: what happened in the player's
language, where the traceback was written, and two choices: try again or quit."""
from __future__ import annotations

from pathlib import Path

import pygame

from game.i18n import text
from game.ui import theme
from game.ui.theme import Fonts, draw_text, fit_text
from game.ui.widgets import ButtonRow

W, H = theme.SCREEN_SIZE
ERROR_MENU = ("err_retry", "err_quit")


class ErrorScreen:
    def __init__(self, fonts: Fonts):
        self.fonts = fonts
        self.menu = ButtonRow(ERROR_MENU, 470, fonts, {pygame.K_r: "err_retry"})

    def handle_event(self, event: pygame.event.Event) -> str | None:
        """-> "retry", "quit" or None. Enter / Space take the selected button, R retries, Esc / Q quit."""
        choice = self.menu.handle_event(event)
        return None if choice is None else choice.removeprefix("err_")

    def draw(self, surface: pygame.Surface, lang: str, detail: str, log_path: Path | None) -> None:
        surface.fill(theme.BACKGROUND)
        draw_text(surface, self.fonts.get(34, bold=True), text(lang, "game_title"), theme.ACCENT, (W // 2, 90), "center")
        draw_text(surface, self.fonts.get(52, bold=True), text(lang, "err_title"), theme.TEXT, (W // 2, 210), "center")
        draw_text(surface, self.fonts.get(24), text(lang, "err_body"), theme.TEXT_DIM, (W // 2, 282), "center")
        small = self.fonts.get(16)
        draw_text(surface, small, fit_text(small, detail, W - 160), theme.TEXT_DIM, (W // 2, 330), "center")
        where = text(lang, "err_log", path=log_path) if log_path else text(lang, "err_no_log")
        draw_text(surface, small, fit_text(small, where, W - 160), theme.WARN_AMBER, (W // 2, 370), "center")
        self.menu.draw(surface, lang)
        draw_text(surface, self.fonts.get(20), text(lang, "err_hint"), theme.TEXT_DIM, (W // 2, 600), "center")
