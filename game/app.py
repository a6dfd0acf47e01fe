"""The windowed game: ``App`` is the pygame loop (input -> update -> draw) around the round's
state machine (game/flow.py), fed with the engine's newest result.

The UI thread never waits on the model: the engine runs on its own threads
(game/host.py) and the loop reads the newest result once per tick, for the flow and
the screen alike. App handles the input and the player's settings and hands the rest to
the objects that own it: the recording mode (game/ui/recording_screen.py ``RecordingMode``),
the watch pane (game/watch.py ``WatchPane``), the high-score table (game/scores.py
``HighScores``), the laugh pictures (game/pictures.py ``LaughPictures``) and the screens
(game/ui/). ``--screenshot`` runs the engine synchronously on a file instead, so the saved
screen shows a known frame. The rules and the window's timings are the game config's
(``configs/game.yaml``); the player's settings hold their own choices.
"""
from __future__ import annotations

import os

os.environ.setdefault("PYGAME_HIDE_SUPPORT_PROMPT", "1")

import argparse  # noqa: E402
import logging  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
from collections import deque  # noqa: E402
from pathlib import Path  # noqa: E402
from typing import Callable  # noqa: E402

import pygame  # noqa: E402

from model.checkpoint import load_model, pick_device  # noqa: E402

from game.capture import SourceError, SourceState, SourceStatus  # noqa: E402
from game.config import ConfigError, GameConfig, load_config, snap_threshold  # noqa: E402
from game.flow import Event, GameFlow, Phase  # noqa: E402
from game.errors import log_dir, write_error_log  # noqa: E402
from game.i18n import LANGUAGES, text  # noqa: E402
from game.inference import configure_torch_threads  # noqa: E402
from game.pictures import LaughPictures  # noqa: E402
from game.recording import Plan  # noqa: E402
from game.scores import HighScores  # noqa: E402
from game.host import EngineHost, Host  # noqa: E402
from game.settings import SettingsStore, config_dir, pictures_dir, remove_stale_temporary_files  # noqa: E402
from game.sounds import Sounds  # noqa: E402
from game.types import EngineResult  # noqa: E402
from game.ui import theme  # noqa: E402
from game.ui.error_screen import ErrorScreen  # noqa: E402
from game.ui.recording_screen import RecordingMode  # noqa: E402
from game.ui.screens import TITLE_MENU, Screens, ScreenState  # noqa: E402
from game.ui.window import MOUSE_EVENTS, Window, ask_video_file, open_window  # noqa: E402
from game.watch import WatchError, WatchPane  # noqa: E402

log = logging.getLogger(__name__)

# Keys that act in every phase, and the App method each one calls (the help overlay lists them:
# game/ui/screens.py HELP_KEYS); every other key goes by the phase (App._phase_key).
KEY_ACTIONS: dict[int, str] = {key: action for keys, action in (
    ((pygame.K_q,), "quit"),
    ((pygame.K_h, pygame.K_F1), "open_help"),
    ((pygame.K_LEFT, pygame.K_MINUS, pygame.K_KP_MINUS), "threshold_down"),
    ((pygame.K_RIGHT, pygame.K_EQUALS, pygame.K_PLUS, pygame.K_KP_PLUS), "threshold_up"),
    ((pygame.K_t,), "toggle_two_stage"),
    ((pygame.K_p,), "toggle_pause"),
    ((pygame.K_f, pygame.K_F11), "toggle_fullscreen"),
    ((pygame.K_l,), "next_language"),
    ((pygame.K_i,), "toggle_stats"),
    ((pygame.K_s,), "toggle_save_laugh_moment"),
    ((pygame.K_m,), "toggle_sound"),
    ((pygame.K_w,), "toggle_watch"),
) for key in keys}
RATE_WINDOW = 240   # event times kept for the FPS and inference-rate readouts (more than a second's worth)
PAUSABLE = (Phase.CALIBRATE, Phase.COUNTDOWN, Phase.PLAYING)


def _is_camera(spec: str | int) -> bool:
    return str(spec).isdigit()


class Rates:
    """The FPS and inference-rate readouts: when the last screen frames were drawn and the last
    new engine results arrived."""

    def __init__(self) -> None:
        self._frames: deque[float] = deque(maxlen=RATE_WINDOW)
        self._results: deque[float] = deque(maxlen=RATE_WINDOW)
        self._last: EngineResult | None = None

    def tick(self, now: float, result: EngineResult | None) -> None:
        """A screen frame at ``now`` that read ``result`` (counted once as a new result)."""
        self._frames.append(now)
        if result is not None and result is not self._last:
            self._results.append(now)
        self._last = result

    def fps(self, now: float) -> int:
        return per_second(self._frames, now)

    def infer_rate(self, now: float) -> int:
        return per_second(self._results, now)


def per_second(times: deque[float], now: float) -> int:
    """How many of the recent event ``times`` fall in the last second."""
    return sum(t > now - 1.0 for t in times)


class App:
    """One window (or an off-screen canvas in tests): input, the player's settings, sounds, and
    the loop that hands the engine's newest result to the flow, the recording mode and the screens."""

    def __init__(self, host: Host, config: GameConfig = GameConfig(), players: int = 1,
                 sounds: Sounds | None = None, clock: Callable[[], float] = time.monotonic,
                 record_plan: Plan = Plan(), choose_file: Callable[[], str | None] = ask_video_file):
        """config: the rules and timings (``ui``, ``judge``); record_plan: how the recording mode
        records; sounds, clock and choose_file replace what the game would use itself (tests
        script them)."""
        self.host, self.ui, self.clock, self.choose_file = host, config.ui, clock, choose_file
        self.store = SettingsStore(config=config)
        self.scores = HighScores()
        for path in (self.store.path, self.scores.path):   # left by a game that was killed mid-save
            for stale in remove_stale_temporary_files(path):
                log.info("removed %s (an unfinished save)", stale)
        self.settings, problems = self.store.load()
        problems += self.scores.load()
        fonts = theme.Fonts()
        if not fonts.has_hangul:
            self.settings.language = "en"
        self.screens = Screens(fonts, self.ui.threshold_step)
        self.error_screen = ErrorScreen(fonts)
        self.failure: tuple[str, Path | None] | None = None   # processing failed: (what, traceback log)
        self.window = Window()
        self.sounds = sounds or Sounds(self.settings.sound, start=False)   # opened once the source is known
        self.sounds.enabled = self.settings.sound
        self.flow = GameFlow(config, players)
        self.watch = WatchPane()
        self.recording = RecordingMode(fonts, record_plan)
        self.pictures = LaughPictures()
        self.running = True
        self.source_problem = ""    # why the source could not be opened: the no-camera screen is up
        self._players_wanted = players
        self.show_help = False
        self._overlay_paused = False   # the help overlay paused the round (and resumes it when closed)
        self.menu_index = TITLE_MENU.index("menu_faceoff" if players == 2 else "menu_solo")   # --players 2
        self._toast, self._toast_until = "", 0.0
        self._source_note = ""
        self.rates = Rates()
        self._result: EngineResult | None = None   # the engine's newest, read once per tick (step)
        self._shown: EngineResult | None = None    # what the screen shows: frozen while paused
        for problem in problems:
            log.warning("%s", problem)
        if problems:
            self.toast(self.t("toast_file_problem", file=Path(problems[0].split(": ")[0]).name), self.ui.notice_s)
        if (self.settings.threshold, self.settings.two_stage) != (self.store.defaults.threshold,
                                                                  self.store.defaults.two_stage):
            log.info("playing at threshold %.2f%s, the choice saved in %s (the game config's judge.threshold "
                     "%.2f%s is where a new player starts)", self.settings.threshold,
                     ", two-stage" if self.settings.two_stage else "", self.store.path,
                     self.store.defaults.threshold, ", two-stage" if self.store.defaults.two_stage else "")
        self.host.configure(self.settings.threshold, self.settings.two_stage)

    def choose(self, threshold: float | None = None, two_stage: bool | None = None) -> None:
        """The command line's --threshold / --two-stage: the player's choice for this run."""
        if threshold is not None:
            self.settings.threshold = snap_threshold(threshold, self.ui.threshold_step)
        if two_stage is not None:
            self.settings.two_stage = two_stage
        self.host.configure(self.settings.threshold, self.settings.two_stage)

    @property
    def surface(self) -> pygame.Surface:
        """The window's canvas: every screen is drawn here."""
        return self.window.canvas

    # --- small services ----------------------------------------------------------------------
    def toast(self, message: str, seconds: float | None = None) -> None:
        self._toast, self._toast_until = message, self.clock() + (self.ui.toast_s if seconds is None else seconds)

    def t(self, key: str, **values) -> str:
        return text(self.settings.language, key, **values)

    def _settings_changed(self) -> None:
        self.host.configure(self.settings.threshold, self.settings.two_stage)
        problem = self.store.save(self.settings)
        if problem:
            log.warning("%s", problem)

    def set_threshold(self, value: float) -> None:
        value = snap_threshold(value, self.ui.threshold_step)
        if value != self.settings.threshold:
            self.settings.threshold = value
            self._settings_changed()
        self.toast(self.t("toast_threshold", value=value))

    def open_watch(self, path: str | Path) -> None:
        """A video file or folder dropped on the window plays in the watch pane."""
        try:
            player = self.watch.open(path)
        except WatchError as exc:
            log.warning("%s", exc)
            self.toast(self.t("toast_watch_error", error=exc))
            return
        self.toast(self.t("toast_watch", name=player.name))

    def connect(self, players: int) -> bool:
        """Start the engine on the source; when it cannot be opened, the no-camera screen says so."""
        self._players_wanted = players
        try:
            self.host.start(players)
        except SourceError as exc:
            log.warning("%s", exc)
            self.source_problem = str(exc) or type(exc).__name__
            return False
        self.source_problem = ""
        self.sounds.start()
        return True

    def use_file(self, path: str | Path) -> bool:
        """Play from a video file instead of the camera (the no-camera screen's second choice)."""
        self.host.spec = str(path)
        return self.connect(self._players_wanted)

    def _source_event(self, event: pygame.event.Event) -> None:
        """Input while the no-camera screen is up: try again, choose or drop a video file, quit."""
        if event.type == pygame.DROPFILE:
            self.use_file(event.file)
            return
        choice = self.screens.source_menu.handle_event(event)
        if choice == "quit":
            self.running = False
        elif choice == "nosrc_retry":
            self.connect(self._players_wanted)
        elif choice == "nosrc_file":
            try:
                path = self.choose_file()
            except OSError as exc:
                log.info("%s", exc)
                self.toast(self.t("nosrc_no_dialog"))
                return
            if path:
                self.use_file(path)

    def open_recording(self) -> None:
        """The recording mode (title menu): consent first, then guided clips of the engine's face."""
        if self.connect(1):
            self.recording.open(self.host.preprocessing, str(self.host.spec))

    # --- input -----------------------------------------------------------------------------
    def handle_event(self, event: pygame.event.Event) -> None:
        event = self.window.on_canvas(event)   # mouse positions on the canvas, whatever the window's size
        if event.type == pygame.QUIT:
            self.running = False
        elif self.failure is not None:
            choice = self.error_screen.handle_event(event)
            if choice == "retry":
                self.retry_processing()
            elif choice == "quit":
                self.running = False
        elif self.source_problem:
            self._source_event(event)
        elif not self.recording.handle_event(event):   # while open, it takes every event (typing an ID)
            self._game_event(event)

    def _game_event(self, event: pygame.event.Event) -> None:
        if event.type == pygame.DROPFILE:
            self.open_watch(event.file)
        elif event.type == pygame.KEYDOWN:
            self.handle_key(event.key)
        elif event.type in MOUSE_EVENTS:
            self._handle_mouse(event)

    def _handle_mouse(self, event: pygame.event.Event) -> None:
        if self.flow.phase is Phase.TITLE and event.type != pygame.MOUSEBUTTONUP:
            for i, button in enumerate(self.screens.menu_buttons):
                if button.hit(event.pos):
                    self.menu_index = i
                    if event.type == pygame.MOUSEBUTTONDOWN and event.button == 1:
                        self._activate_menu()
            return
        slider = self.screens.active_slider(self._state())
        if slider is not None:
            value = slider.handle(event)
            if value is not None and value != self.settings.threshold:
                self.set_threshold(value)

    def set_help(self, show: bool) -> None:
        """The help overlay; while it covers a round the round is paused (timer and judging stop)."""
        self.show_help = show
        if show and not self.flow.paused and self.flow.phase in PAUSABLE:
            self.flow.toggle_pause()
            self._overlay_paused = True
        elif not show and self._overlay_paused:
            if self.flow.paused:
                self.flow.toggle_pause()
            self._overlay_paused = False

    def handle_key(self, key: int) -> None:
        if self.show_help:
            self.set_help(False)   # any key closes the help
            return
        action = KEY_ACTIONS.get(key)
        if action is None:
            self._phase_key(key)
        else:
            getattr(self, action)()

    # the actions of KEY_ACTIONS
    def quit(self) -> None:
        self.running = False

    def open_help(self) -> None:
        self.set_help(True)

    def threshold_down(self) -> None:
        self.set_threshold(self.settings.threshold - self.ui.threshold_step)

    def threshold_up(self) -> None:
        self.set_threshold(self.settings.threshold + self.ui.threshold_step)

    def toggle_two_stage(self) -> None:
        self.settings.two_stage = not self.settings.two_stage
        self._settings_changed()
        self.toast(self.t("toast_two_stage_on" if self.settings.two_stage else "toast_two_stage_off"))

    def toggle_pause(self) -> None:
        self.flow.toggle_pause()

    def next_language(self) -> None:
        self.settings.language = LANGUAGES[(LANGUAGES.index(self.settings.language) + 1) % len(LANGUAGES)]
        self._settings_changed()

    def toggle_stats(self) -> None:
        self.settings.show_stats = not self.settings.show_stats
        self._settings_changed()

    def toggle_save_laugh_moment(self) -> None:
        s = self.settings
        s.save_laugh_moment = not s.save_laugh_moment
        self._settings_changed()
        self.toast(self.t("toast_save_on", path=pictures_dir()) if s.save_laugh_moment else self.t("toast_save_off"))

    def toggle_sound(self) -> None:
        self.settings.sound = self.sounds.enabled = not self.settings.sound
        self._settings_changed()
        self.toast(self.t("toast_sound_on" if self.settings.sound else "toast_sound_off"))

    def toggle_watch(self) -> None:
        self.watch.toggle()

    def _phase_key(self, key: int) -> None:
        phase, go = self.flow.phase, key in (pygame.K_RETURN, pygame.K_SPACE, pygame.K_KP_ENTER)
        if phase is Phase.TITLE:
            if key == pygame.K_ESCAPE:
                self.running = False
            elif key in (pygame.K_UP, pygame.K_DOWN):
                step = 1 if key == pygame.K_DOWN else -1
                self.menu_index = (self.menu_index + step) % len(TITLE_MENU)
            elif key in (pygame.K_1, pygame.K_2, pygame.K_KP1, pygame.K_KP2):
                self.menu_index = 0 if key in (pygame.K_1, pygame.K_KP1) else 1
            elif go:
                self._activate_menu()
        elif phase is Phase.LAUGH and go:
            self.flow.advance()
        elif phase is Phase.LAUGH and key == pygame.K_g:
            self.save_replay()
        elif phase is Phase.RESULTS and go:
            self.scores.new_rank = None
            self.flow.again()
        elif phase is Phase.RESULTS and key == pygame.K_c:
            self.start_game(self.flow.players)
        elif key == pygame.K_ESCAPE:
            self.flow.to_title()

    def _activate_menu(self) -> None:
        choice = TITLE_MENU[self.menu_index]
        if choice == "menu_quit":
            self.running = False
        elif choice == "menu_practice":
            self.start_game(1, practice=True)
        elif choice == "menu_record":
            self.open_recording()
        else:
            self.start_game(2 if choice == "menu_faceoff" else 1)

    def start_game(self, players: int, practice: bool = False) -> None:
        if not self.connect(players):   # e.g. the camera was unplugged while on the title screen
            return
        self.scores.new_rank = None
        if practice:
            self.flow.begin_practice(players)
        else:
            self.flow.begin(players)

    def toggle_fullscreen(self) -> None:
        try:
            open_window(not self.settings.fullscreen)
        except pygame.error as exc:
            log.info("fullscreen not available: %s", exc)
            return
        self.settings.fullscreen = not self.settings.fullscreen
        self._settings_changed()

    # --- the clock ---------------------------------------------------------------------------
    def step(self, now: float) -> None:
        result = self.host.latest()   # the one read this tick: flow, recording and screen see it
        self.rates.tick(now, result)
        self._result = result
        if not self.flow.paused:
            self._shown = result
        if self.source_problem:
            return
        state = self.host.poll()
        error = getattr(self.host, "error", None)
        if error is not None:
            if self.failure is None:
                self._processing_failed(error)
            return
        self._source_note = self._describe(state)
        if self.recording.update(result):   # while open, the result is the recording's
            return
        for event in self.flow.update(now, result):
            self._on_event(event)
        self.pictures.update(self.flow, self.settings.save_laugh_moment, self.settings.language)

    def _processing_failed(self, error: BaseException) -> None:
        """The engine's processing thread stopped: the traceback goes to a log file, the
        player gets the error screen (in their language) with retry."""
        self.failure = (f"{type(error).__name__}: {error}", write_error_log(error, "the processing thread failed"))

    def retry_processing(self) -> None:
        """The error screen's retry: the engine starts again on the source (a round goes on)."""
        self.failure = None
        self.connect(self._players_wanted)   # the stopped engine is started again on a new thread

    def _describe(self, state: SourceState) -> str:
        """A line for the screen about the source, '' while it is fine."""
        if state.status is SourceStatus.LOST:
            return self.t("camera_lost")
        if state.status is SourceStatus.FAILED:
            return state.message
        return ""

    def _on_event(self, event: Event) -> None:
        if event in (Event.BEEP, Event.GO, Event.OUT, Event.WIN):
            self.sounds.play(event.value)
        elif event is Event.CALIBRATED:
            self.host.set_baselines(self.flow.baselines)
            self.toast(self.t("calib_done", values=" / ".join(f"{b:.2f}" for b in self.flow.baselines)))
        elif event is Event.ROUND_OVER:
            self.pictures.new_round()
            problem = self.scores.record_round(self.flow, self.settings.threshold)
            if problem:
                log.warning("%s", problem)

    def save_replay(self) -> None:
        """G on the laugh replay: the players' faces in their order on screen, as a GIF."""
        order = self.screens.panel_order(self.host.live) if self.flow.players == 2 else [0]
        tracks = [self.flow.tracks[player] for player in sorted(range(self.flow.players), key=order.__getitem__)]
        self.pictures.save_replay(tracks, self.host.live, self.ui.replay_speed, self.settings.language)

    # --- drawing -----------------------------------------------------------------------------
    def _state(self, now: float | None = None) -> ScreenState:
        now = self.clock() if now is None else now
        return ScreenState(
            flow=self.flow, settings=self.settings, result=self._shown, mirror=self.host.live, **self.watch.view(),
            fps=self.rates.fps(now), infer_rate=self.rates.infer_rate(now),
            toast=self._toast if now < self._toast_until else "", show_help=self.show_help, menu_index=self.menu_index,
            scores=self.scores.table(self.ui.round_seconds), new_rank=self.scores.new_rank,
            laugh_note=self.pictures.note, source_note=self._source_note, now=now)

    def draw(self, now: float) -> pygame.Surface:
        if self.failure is not None:
            self.error_screen.draw(self.surface, self.settings.language, *self.failure)
        elif self.source_problem:
            self.screens.draw_no_source(self.surface, self.settings.language, camera=_is_camera(self.host.spec),
                                        detail=self.source_problem,
                                        toast=self._toast if now < self._toast_until else "")
        elif not self.recording.draw(self.surface, self._result, self.settings.language, self.host.live,
                                     self._source_note):
            self.screens.draw(self.surface, self._state(now))
        return self.surface

    def run(self) -> None:
        """The 60 fps loop; returns when the player quits."""
        ticker = pygame.time.Clock()
        while self.running:
            for event in pygame.event.get():
                self.handle_event(event)
            now = self.clock()
            self.step(now)
            self.draw(now)
            self.window.present()
            ticker.tick(self.ui.fps)

    def close(self) -> None:
        self.recording.close()   # a session still recording keeps its finished clips
        self.watch.stop()
        self.host.close()


# --- command line --------------------------------------------------------------------------
def add_game_arguments(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("windowed game")
    group.add_argument("--watch", default=None, metavar="PATH",
                       help="a video file or a folder of clips to play beside the camera view")
    group.add_argument("--round-seconds", type=float, default=None,
                       help="seconds to survive in a round (default: ui.round_seconds in the config)")
    group.add_argument("--fullscreen", action="store_true", help="start in fullscreen")
    group.add_argument("--screenshot", default=None, metavar="OUT.png",
                       help="render the game screen from --source (practice mode) and save it after --frames")
    group.add_argument("--frames", type=int, default=60, help="with --screenshot: frames to process first")


def run_game(args: argparse.Namespace) -> int:
    """The windowed game for main.py; known user errors are raised for main() to print."""
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    config = load_config(args.config)
    config.with_overrides(args.threshold)   # a bad --threshold stops here; the player's choice takes it below
    config = config.with_overrides(round_seconds=args.round_seconds)
    if args.screenshot and args.frames < 1:
        raise ConfigError(f"--frames must be at least 1, got {args.frames}")
    configure_torch_threads(config.inference.torch_threads)
    device = pick_device(config.inference.device)
    model, _ = load_model(args.weights, device)
    host = EngineHost(model, config, args.source, device)
    pygame.font.init()
    app = App(host, config, players=args.players)
    app.choose(args.threshold, True if args.two_stage else None)
    try:
        try:
            open_window(args.fullscreen or app.settings.fullscreen)
            app.settings.fullscreen = bool(args.fullscreen or app.settings.fullscreen)
        except pygame.error as exc:
            print(f"error: cannot open a window ({exc}); to play without one use --headless", file=sys.stderr)
            return 2
        if args.watch:
            try:
                app.watch.open(args.watch)
            except WatchError as exc:
                print(f"error: {exc}", file=sys.stderr)
                return 2
        if args.screenshot:
            return screenshot(app, host, args.players, Path(args.screenshot), args.frames)
        app.connect(args.players)   # no camera: the window says so and offers a video file
        log.info("playing (Q quits); settings and scores in %s, error logs in %s", config_dir(), log_dir())
        try:
            app.run()
        except KeyboardInterrupt:   # Ctrl+C in the terminal: a clean stop, not a traceback
            print("stopped (Ctrl+C)", file=sys.stderr)
            return 130
        return 0
    finally:
        app.close()
        pygame.quit()


def screenshot(app: App, host: EngineHost, players: int, out: Path, frames: int) -> int:
    """Practice mode on the source, processed frame by frame; the screen after ``frames`` is saved."""
    app.flow.begin_practice(players)
    done = 0
    for done, _ in enumerate(host.run_sync(players, frames), 1):
        now = app.clock()
        app.step(now)
        app.draw(now)
        app.window.present()
    out.parent.mkdir(parents=True, exist_ok=True)
    pygame.image.save(app.surface, str(out))
    print(f"saved {out} after {done} frames of {host.spec}")
    return 0
