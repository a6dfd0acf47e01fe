"""The in-game recording mode: a consent page (Korean and English), the guided prompts over
the live camera, and a summary. It records through game/recording.py with a ``Plan`` (the
prompts, clips per prompt, preparation and clip seconds), so the game writes the same clips,
sidecar and manifest rows as ``python -m game.record``.

``RecordingMode`` is the mode as the window (game/app.py) runs it. The app opens it from the
title menu with the engine running on one player, and each tick hands it the events, the
engine's newest result and the surface; while it is open it takes them all::

    mode.open(host.preprocessing, str(host.spec))   # the consent page; the player types an ID
    mode.handle_event(event)     # True while open: every event is the screen's
    mode.update(result)          # True while open: records the engine's crop of its tracked
                                 # face, and closes the mode once the player has left
    mode.draw(surface, result, lang, mirror=host.live, note=source_note)

Nothing is written before the player presses Enter on the consent page.
"""
from __future__ import annotations

from collections import deque
from enum import Enum

import numpy as np

import pygame

from game.i18n import emotion_name, text
from game.recording import (ClipRecord, Consent, GuidedRecording, Plan, RecordingError,
                            RecordingStore, Session, Step, check_player, consent_text, now_iso,
                            recordings_dir)
from game.types import EngineResult
from game.ui import theme
from game.ui.theme import Fonts, draw_prompt, draw_text, fit_text, panel, wrap_text
from game.ui.widgets import CameraView
from model.data.errors import DatasetError
from model.labels import emotion_index
from model.preprocess import Preprocessing

W, H = theme.SCREEN_SIZE
MIN_CLIP_FRAMES = 10        # one model window
MAX_RATE = 60.0             # results per second a clip is sized for at most (a burst is not a rate)
FALLBACK_RATE = 15.0        # results per second assumed before the engine's rate is known
RATE_SAMPLES = 90           # arrival times the rate is measured over
CONSENT_FONT_SIZES = (19, 17, 15, 13)   # the consent text shrinks to fit a long recordings path
PARAGRAPH_GAP = 6
ID_PUNCTUATION = "_-"       # besides letters and digits, what a player ID may hold (recording.check_player)


class Stage(str, Enum):
    CONSENT = "consent"
    RECORDING = "recording"
    DONE = "done"


class RecordingScreen:
    """Consent, guided recording and summary; ``finished`` tells the app to leave."""

    def __init__(self, fonts: Fonts, store: RecordingStore, preprocessing: Preprocessing, player: str = "",
                 plan: Plan = Plan(), source: str = "camera"):
        """preprocessing: the model checkpoint's, with which the engine cut the faces (named in the
        session file);
        source: what the engine reads (named in the session file)."""
        self.fonts, self.store, self.preprocessing, self.source = fonts, store, preprocessing, source
        self.plan = plan
        self.player = player
        self.stage = Stage.CONSENT
        self.finished = False
        self.id_rejected = False              # Enter with an ID that cannot name a folder
        self.error = ""                       # why the recordings could not be saved
        self.session: Session | None = None
        self.guided: GuidedRecording | None = None
        self.clips: list[ClipRecord] = []
        self.face_missing = False
        self._last: EngineResult | None = None
        # Clip timing runs on the capture clock, not the source's: a looping file's time
        # starts again and a backlog arrives in a burst, neither of which is the real rate.
        self._t0: float | None = None        # capture time of the first result seen
        self._arrivals: deque[float] = deque(maxlen=RATE_SAMPLES)
        self.camera = CameraView(pygame.Rect(40, 84, 760, 570), fonts)
        self.agree_button = pygame.Rect(300, 640, 400, 52)     # with the ID field: centred, 300..980
        self.decline_button = pygame.Rect(720, 640, 260, 52)

    # -- input --------------------------------------------------------------------------------
    def handle_event(self, event: pygame.event.Event) -> bool:
        if event.type == pygame.TEXTINPUT and self.stage is Stage.CONSENT:
            typed = "".join(ch for ch in event.text if ch.isalnum() or ch in ID_PUNCTUATION)   # it names a folder
            self.player = (self.player + typed)[:64]
            self.id_rejected = False
            return True
        if event.type == pygame.MOUSEBUTTONDOWN and event.button == 1 and self.stage is Stage.CONSENT:
            if self.agree_button.collidepoint(event.pos):
                self.agree()
            elif self.decline_button.collidepoint(event.pos):
                self.finished = True
            return True
        if event.type != pygame.KEYDOWN:
            return event.type in (pygame.TEXTINPUT, pygame.TEXTEDITING, pygame.MOUSEBUTTONDOWN)
        enter = event.key in (pygame.K_RETURN, pygame.K_KP_ENTER)
        if self.stage is Stage.CONSENT:
            if event.key == pygame.K_BACKSPACE:
                self.player = self.player[:-1]
            elif enter:
                self.agree()
            elif event.key == pygame.K_ESCAPE:
                self.finished = True   # declined: nothing was written
        elif self.stage is Stage.RECORDING and event.key == pygame.K_ESCAPE:
            self._finish()
        elif self.stage is Stage.DONE and (enter or event.key == pygame.K_ESCAPE):
            self.finished = True
        return True   # every key belongs to this screen while it is open (typing an ID)

    def agree(self) -> None:
        """The player pressed Enter on the consent page: start the session."""
        try:
            player = check_player(self.player.strip())
        except RecordingError:
            self.id_rejected = True
            return
        try:
            self.store.read_rows()   # a manifest that cannot be appended to stops us before recording
        except DatasetError as exc:
            self.error = str(exc)
            return
        consent = Consent(player, now_iso(), "game screen: pressed Enter on the consent page")
        self.session = Session(self.store, consent, self.source, self._clip_frames(), self.preprocessing)
        self.guided = GuidedRecording(self.session, self.plan)
        self.stage = Stage.RECORDING

    def _clip_frames(self) -> int:
        """The plan's clip seconds at the rate the engine has been giving results (the median gap
        between them, so a burst does not count), at least one model window, at most MAX_RATE."""
        rate = FALLBACK_RATE
        gaps = np.diff(np.asarray(self._arrivals))
        if gaps.size >= 2 and np.median(gaps) > 0:
            rate = min(MAX_RATE, 1.0 / float(np.median(gaps)))
        return max(MIN_CLIP_FRAMES, round(self.plan.clip_s * rate))

    # -- the clock ----------------------------------------------------------------------------
    def update(self, result: EngineResult | None) -> None:
        """Take the engine's newest result (each one once)."""
        if result is None or result is self._last:
            return
        self._last = result
        self._arrivals.append(result.frame.t_capture)
        if self._t0 is None:
            self._t0 = result.frame.t_capture
        if self.stage is not Stage.RECORDING:
            return
        crop = result.players[0].crop
        self.face_missing = crop is None
        try:
            self.guided.feed(result.frame.t_capture - self._t0, crop)
        except (RecordingError, OSError) as exc:
            self.error = str(exc)
            self._finish()
            return
        if self.guided.done:
            self._finish()

    def _finish(self) -> None:
        try:
            self.clips = self.session.close()
        except (RecordingError, DatasetError, OSError) as exc:
            self.error = str(exc)
        self.stage = Stage.DONE

    def close(self) -> None:
        """The app leaves: a session still recording keeps its finished clips."""
        if self.stage is Stage.RECORDING:
            self._finish()

    # -- drawing ------------------------------------------------------------------------------
    def draw(self, surface: pygame.Surface, result: EngineResult | None, lang: str = "ko",
             mirror: bool = False, note: str = "") -> None:
        """note: a line about the source (camera lost), shown over the camera view."""
        surface.fill(theme.BACKGROUND)
        if self.stage is Stage.CONSENT:
            self._draw_consent(surface, lang)
        elif self.stage is Stage.RECORDING:
            self._draw_recording(surface, result, lang, mirror, note)
        else:
            self._draw_done(surface, lang)

    def _fit_texts(self, texts: list[str], width: int, height: int) -> tuple[pygame.font.Font, list[list[list[str]]]]:
        """The largest body font at which each text's paragraphs fit ``width`` x ``height``
        (a long recordings path must not push a line out), and each text wrapped at it."""
        for size in CONSENT_FONT_SIZES:
            font = self.fonts.get(size)
            wrapped = [[wrap_text(font, paragraph, width) for paragraph in body.split("\n")] for body in texts]
            tallest = max(sum(map(len, blocks)) * font.get_linesize() + PARAGRAPH_GAP * (len(blocks) - 1)
                          for blocks in wrapped)
            if tallest <= height:
                break
        return font, wrapped

    def _draw_consent(self, surface: pygame.Surface, lang: str) -> None:
        draw_text(surface, self.fonts.get(34, bold=True), text(lang, "rec_consent_title"), theme.ACCENT,
                  (W // 2, 40), "center")
        player = self.player.strip() or "?"
        boxes = [pygame.Rect(40 + i * 610, 76, 590, 460) for i in range(2)]
        bodies = [consent_text(text_lang, player, self.store.root, self.plan)
                  for text_lang in ("ko", "en")]   # both, whatever the game's language
        font, wrapped = self._fit_texts(bodies, boxes[0].w - 32, boxes[0].h - 32)
        for box, blocks in zip(boxes, wrapped):
            panel(surface, box)
            y = box.y + 16
            for block in blocks:
                for line in block:
                    if y + font.get_linesize() <= box.bottom - 8:   # even the smallest font is too big: clip
                        draw_text(surface, font, line, theme.TEXT, (box.x + 16, y))
                    y += font.get_linesize()
                y += PARAGRAPH_GAP
        label_font = self.fonts.get(22, bold=True)
        left, right = self.agree_button.x, self.decline_button.right
        label = draw_text(surface, label_font, text(lang, "rec_player_id"), theme.TEXT, (left, 578), "midleft")
        field = pygame.Rect(label.right + 16, 556, right - label.right - 16, 44)
        panel(surface, field, radius=8)
        draw_text(surface, label_font, fit_text(label_font, self.player + "_", field.w - 20), theme.ACCENT,
                  (field.x + 10, field.centery), "midleft")
        if self.id_rejected or self.error:
            problem = text(lang, "rec_bad_id") if self.id_rejected else text(lang, "rec_write_error", error=self.error)
            small = self.fonts.get(16)
            draw_text(surface, small, fit_text(small, problem, W - 80), theme.OUT_RED, (W // 2, 618), "center")
        for rect, key, colour in ((self.agree_button, "rec_agree", theme.SAFE_GREEN),
                                  (self.decline_button, "rec_decline", theme.TEXT_DIM)):
            panel(surface, rect, edge=colour, radius=12)
            draw_text(surface, self.fonts.get(20, bold=True), text(lang, key), colour, rect.center, "center")

    def _draw_recording(self, surface: pygame.Surface, result: EngineResult | None, lang: str,
                        mirror: bool, note: str) -> None:
        guided, session = self.guided, self.session
        draw_text(surface, self.fonts.get(26, bold=True), text(lang, "rec_recording", player=session.consent.player),
                  theme.TEXT, (40, 28))
        pygame.draw.circle(surface, theme.OUT_RED, (W - 60, 44), 12)   # the REC light
        image = result.frame.image if result is not None else None
        boxes = [(result.box, theme.SAFE_GREEN, "")] if result is not None and result.box is not None else []
        self.camera.draw(surface, image, boxes, mirror)
        if note or self.face_missing:
            draw_prompt(surface, self.fonts, self.camera.rect, note or text(lang, "rec_no_face"), theme.WARN_AMBER)
        side = pygame.Rect(820, 84, 420, 570)
        panel(surface, side)
        prompt = guided.prompt
        if prompt is None:
            return
        x, y = side.x + 24, side.y + 20
        draw_text(surface, self.fonts.get(18), text(lang, "rec_prompt_n", i=guided.index + 1, n=len(self.plan.prompts)),
                  theme.TEXT_DIM, (x, y))
        other = "en" if lang == "ko" else "ko"
        y = draw_text(surface, self.fonts.get(44, bold=True), prompt.title[lang], theme.ACCENT, (x, y + 30)).bottom
        y = draw_text(surface, self.fonts.get(20), prompt.title[other], theme.TEXT_DIM, (x, y + 4)).bottom + 16
        font = self.fonts.get(20)
        for line in wrap_text(font, prompt.instruction[lang], side.w - 48):
            y = draw_text(surface, font, line, theme.TEXT, (x, y)).bottom + 2
        emotion = emotion_name(lang, emotion_index(prompt.label.emotion))
        y = draw_text(surface, self.fonts.get(16), text(lang, "rec_label", smile=prompt.label.smile, emotion=emotion),
                      theme.TEXT_DIM, (x, y + 12)).bottom
        now = result.frame.t_capture - self._t0 if result is not None and self._t0 is not None else 0.0
        if guided.step is Step.PREPARE:
            draw_text(surface, self.fonts.get(22), text(lang, "rec_get_ready"), theme.TEXT, (side.centerx, y + 50),
                      "center")
            left = guided.seconds_left(now)
            draw_text(surface, self.fonts.get(120, bold=True), f"{max(1, int(left + 0.999))}", theme.ACCENT,
                      (side.centerx, y + 150), "center")
        else:
            draw_text(surface, self.fonts.get(22, bold=True),
                      text(lang, "rec_clip_n", k=guided.clips_done + 1, n=self.plan.clips_per_prompt),
                      theme.OUT_RED, (x, y + 40))
            self._bar(surface, pygame.Rect(x, y + 84, side.w - 48, 16), session.frames_in_clip / session.clip_frames,
                      theme.OUT_RED)
        total = len(self.plan.prompts) * self.plan.clips_per_prompt
        draw_text(surface, self.fonts.get(16), text(lang, "rec_progress", done=len(session.clips), total=total),
                  theme.TEXT_DIM, (x, side.bottom - 62))
        self._bar(surface, pygame.Rect(x, side.bottom - 32, side.w - 48, 10), len(session.clips) / total,
                  theme.SAFE_GREEN)
        draw_text(surface, self.fonts.get(16), text(lang, "rec_stop_hint"), theme.TEXT_DIM, (W // 2, H - 30), "center")

    @staticmethod
    def _bar(surface: pygame.Surface, rect: pygame.Rect, fraction: float, colour) -> None:
        pygame.draw.rect(surface, theme.TRACK, rect, border_radius=rect.h // 2)
        done = rect.copy()
        done.w = round(rect.w * min(1.0, fraction))
        if done.w:
            pygame.draw.rect(surface, colour, done, border_radius=rect.h // 2)

    def _draw_done(self, surface: pygame.Surface, lang: str) -> None:
        draw_text(surface, self.fonts.get(40, bold=True), text(lang, "rec_done_title" if self.clips else "rec_stopped_title"), theme.ACCENT, (W // 2, 150),
                  "center")
        font = self.fonts.get(20)
        lines = []
        if self.clips:
            lines.append(text(lang, "rec_saved", n=len(self.clips), folder=self.session.folder))
            lines.append(text(lang, "rec_delete_hint", player=self.session.consent.player, out=self.store.root))
        else:
            lines.append(text(lang, "rec_nothing"))
        if self.error:
            lines.append(text(lang, "rec_write_error", error=self.error))
        y = 240
        for line in lines:
            for piece in wrap_text(font, line, W - 160):
                y = draw_text(surface, font, piece, theme.TEXT, (80, y)).bottom + 6
            y += 10
        draw_text(surface, self.fonts.get(20, bold=True), text(lang, "rec_back"), theme.TEXT_DIM, (W // 2, H - 60),
                  "center")


class RecordingMode:
    """The recording mode as the window runs it: ``screen`` is the open RecordingScreen (None
    while the mode is closed). While open it takes every event (the player types an ID), records
    and draws the newest result, and closes itself once the player has left the screen."""

    def __init__(self, fonts: Fonts, plan: Plan = Plan()):
        self.fonts, self.plan = fonts, plan
        self.screen: RecordingScreen | None = None

    def open(self, preprocessing: Preprocessing, source: str) -> None:
        """The consent page, for faces the engine cuts with ``preprocessing`` from ``source``."""
        self.screen = RecordingScreen(self.fonts, RecordingStore(recordings_dir()), preprocessing,
                                      plan=self.plan, source=source)
        pygame.key.start_text_input()   # the player types an ID

    def handle_event(self, event: pygame.event.Event) -> bool:
        """True while open: the event was the screen's."""
        if self.screen is None:
            return False
        self.screen.handle_event(event)
        return True

    def update(self, result: EngineResult | None) -> bool:
        """True while open (this tick's result was the screen's); closes a finished screen."""
        if self.screen is None:
            return False
        self.screen.update(result)
        if self.screen.finished:
            self.close()
        return True

    def draw(self, surface: pygame.Surface, result: EngineResult | None, lang: str, mirror: bool,
             note: str) -> bool:
        """True while open: the screen was drawn."""
        if self.screen is None:
            return False
        self.screen.draw(surface, result, lang, mirror=mirror, note=note)
        return True

    def close(self) -> None:
        """Back to the title; a session still recording keeps its finished clips."""
        if self.screen is None:
            return
        self.screen.close()
        self.screen = None
        pygame.key.stop_text_input()
