"""The screen shown when the engine's processing thread fails: what happened in the player's
language, where the traceback was written, and two choices: try again or quit."""
from __future__ import annotations

from pathlib import Path

import pygame

from game.i18n import text
from game.ui import theme
from game.ui.theme import Fonts, draw_text, fit_text
from game.ui.widgets import Button

W, H = theme.SCREEN_SIZE
ERROR_MENU = ("err_retry", "err_quit")


class ErrorScreen:
    def __init__(self, fonts: Fonts):
        self.fonts = fonts
        self.buttons = [Button(pygame.Rect(W // 2 - 510 + 520 * i, 470, 500, 64), key, fonts)
                        for i, key in enumerate(ERROR_MENU)]
        self.selected = 0

    def handle_event(self, event: pygame.event.Event) -> str | None:
        """-> "retry", "quit" or None. Enter / Space take the selected button, R retries, Esc / Q quit."""
        if event.type == pygame.KEYDOWN:
            if event.key in (pygame.K_ESCAPE, pygame.K_q):
                return "quit"
            if event.key == pygame.K_r:
                return "retry"
            if event.key in (pygame.K_LEFT, pygame.K_RIGHT, pygame.K_UP, pygame.K_DOWN, pygame.K_TAB):
                self.selected = 1 - self.selected
            elif event.key in (pygame.K_RETURN, pygame.K_KP_ENTER, pygame.K_SPACE):
                return ERROR_MENU[self.selected].removeprefix("err_")
        elif event.type == pygame.MOUSEBUTTONDOWN and event.button == 1:
            for i, button in enumerate(self.buttons):
                if button.hit(event.pos):
                    self.selected = i
                    return ERROR_MENU[i].removeprefix("err_")
        return None

    def draw(self, surface: pygame.Surface, lang: str, detail: str, log_path: Path | None) -> None:
        surface.fill(theme.BACKGROUND)
        draw_text(surface, self.fonts.get(34, bold=True), text(lang, "game_title"), theme.ACCENT, (W // 2, 90), "center")
        draw_text(surface, self.fonts.get(52, bold=True), text(lang, "err_title"), theme.TEXT, (W // 2, 210), "center")
        draw_text(surface, self.fonts.get(24), text(lang, "err_body"), theme.TEXT_DIM, (W // 2, 282), "center")
        small = self.fonts.get(16)
        draw_text(surface, small, fit_text(small, detail, W - 160), theme.TEXT_DIM, (W // 2, 330), "center")
        where = text(lang, "err_log", path=log_path) if log_path else text(lang, "err_no_log")
        draw_text(surface, small, fit_text(small, where, W - 160), theme.WARN_AMBER, (W // 2, 370), "center")
        for i, button in enumerate(self.buttons):
            button.draw(surface, lang, i == self.selected)
        draw_text(surface, self.fonts.get(20), text(lang, "err_hint"), theme.TEXT_DIM, (W // 2, 600), "center")
