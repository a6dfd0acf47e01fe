"""The round as a state machine, free of pygame and threads:

    TITLE -> CALIBRATE (neutral face, per player) -> COUNTDOWN -> PLAYING
          -> LAUGH (someone laughed: the laugh moment) -> RESULTS
          -> PLAYING ended by surviving or by hiding  -> RESULTS

``update(now, result)`` is fed the newest EngineResult once per rendered frame
(the same result may come several times: samples are taken once per engine
frame) and returns the events the app turns into sounds and engine calls.
Time is passed in, so tests script it. Its rules are the game config's: ``ui`` (round
length, countdown, replay, ...) and ``judge`` (calibration seconds, max_baseline). A
calibration's baselines are handed to the engine's judges, which own them.
"""
from __future__ import annotations

import bisect
import math
from dataclasses import dataclass, field
from enum import Enum

import numpy as np

from game.config import GameConfig
from game.judge import baseline_from
from game.types import EngineResult, Verdict


class Phase(str, Enum):
    TITLE = "title"
    CALIBRATE = "calibrate"
    COUNTDOWN = "countdown"
    PLAYING = "playing"
    LAUGH = "laugh"
    RESULTS = "results"


class Outcome(str, Enum):
    LAUGHED = "laughed"      # a player's verdict went OUT
    SURVIVED = "survived"    # the timer ran out with every face straight
    HID = "hid"              # a face stayed out of view too long


class Event(str, Enum):
    BEEP = "beep"                # a countdown number
    GO = "go"                    # the round starts
    CALIBRATED = "calibrated"    # baselines measured (GameFlow.baselines), for the judges
    RECALIBRATE = "recalibrate"  # a face was not calm: its calibration is refused and measured again
    OUT = "out"                  # someone laughed or hid
    WIN = "win"                  # the round was survived
    ROUND_OVER = "round_over"    # RoundResult ready (GameFlow.result)


@dataclass
class PlayerTrack:
    """One player's round: calibration samples and the laugh peak (memory only)."""

    samples: list[float] = field(default_factory=list)
    peak: float = 0.0
    peak_at: float = 0.0                  # round seconds at the peak
    peak_frame: np.ndarray | None = None  # the camera frame at the peak; never written unless opted in
    peak_crop: np.ndarray | None = None   # the face at the peak, as the engine cropped it
    # The round as the replay shows it: (round seconds, smoothed smile, top emotion) per engine
    # frame, and the engine's face crops (round seconds, RGB) of the last ui.replay_s before OUT
    # and of the OUT flash. Memory only, dropped with the round; written only when the player saves a GIF.
    curve: list[tuple[float, float, int]] = field(default_factory=list)
    replay: list[tuple[float, np.ndarray]] = field(default_factory=list)

    def reset_round(self) -> None:
        self.peak, self.peak_at, self.peak_frame, self.peak_crop = 0.0, 0.0, None, None
        self.curve, self.replay = [], []

    def replay_at(self, t: float) -> np.ndarray | None:
        """The kept face crop shown at round time ``t`` (the last one taken at or before it)."""
        if not self.replay:
            return None
        i = bisect.bisect_right([s for s, _ in self.replay], t) - 1
        return self.replay[max(0, i)][1]


@dataclass(frozen=True)
class RoundResult:
    outcome: Outcome
    losers: tuple[int, ...]   # player indices; () when the round was survived
    seconds: float            # time survived (the round timer at the end)
    players: int

    @property
    def winner(self) -> int | None:
        """Face-off winner: the one player who did not lose."""
        if self.players == 2 and len(self.losers) == 1:
            return 1 - self.losers[0]
        return None


class GameFlow:
    def __init__(self, config: GameConfig = GameConfig(), players: int = 1):
        self.config = config
        self.players = players
        self.practice = False     # free play: verdicts are shown but nothing ends the round
        self.phase = Phase.TITLE
        self.paused = False
        self.tracks = [PlayerTrack() for _ in range(players)]
        self.baselines = [0.0] * players   # the last calibration's, handed to the judges (Event.CALIBRATED)
        self.result: RoundResult | None = None
        self.elapsed = 0.0        # round timer: runs only while every face is in view
        self.phase_time = 0.0     # unpaused seconds since the phase began
        self.calibrated_for = 0.0  # seconds of calibration with every face in view
        self.missing_for = 0.0    # seconds the current face gap has lasted
        self.stale = False        # the engine has produced nothing recent
        self.faces_ok = False
        self.missing: tuple[int, ...] = ()   # players whose face is not in view (newest result)
        self.refused: tuple[tuple[int, float], ...] = ()   # (player, reading) of a refused calibration
        self.holding_go = False   # the countdown ran out while a face still smiles: GO waits for it
        self._last_now: float | None = None
        self._last_result: EngineResult | None = None
        self._beeped: int | None = None   # the countdown number already beeped

    # --- commands from the player ---------------------------------------------------------
    def begin(self, players: int | None = None) -> None:
        """Title -> calibration (a new game, new baselines)."""
        self._new_players(players)
        self.calibrated_for, self.practice, self.refused = 0.0, False, ()
        self._enter(Phase.CALIBRATE)

    def begin_practice(self, players: int | None = None) -> None:
        """Title -> free play at once, with the baselines the engine already has."""
        self._new_players(players)
        self.practice = True
        self._reset_round()
        self._enter(Phase.PLAYING)

    def _new_players(self, players: int | None) -> None:
        if players is not None:
            self.players = players
        self.tracks = [PlayerTrack() for _ in range(self.players)]
        self.baselines = [0.0] * self.players

    def again(self) -> None:
        """Results -> a new round with the same baselines."""
        self._reset_round()
        self._enter(Phase.COUNTDOWN)

    def advance(self) -> None:
        """Leave the laugh moment for the results (once the OUT flash has played)."""
        if self.phase is Phase.LAUGH and self.phase_time >= self.config.ui.laugh_flash_s:
            self._enter(Phase.RESULTS)

    def to_title(self) -> None:
        for track in self.tracks:
            track.reset_round()   # the laugh frame and the replay are dropped with the round
        self._enter(Phase.TITLE)

    def toggle_pause(self) -> None:
        if self.phase in (Phase.CALIBRATE, Phase.COUNTDOWN, Phase.PLAYING):
            self.paused = not self.paused

    @property
    def countdown_number(self) -> int:
        return max(0, math.ceil(self.config.ui.countdown_s - self.phase_time))

    @property
    def calibration_left(self) -> float:
        return max(0.0, self.config.judge.calibration_s - self.calibrated_for)

    @property
    def forfeit_in(self) -> float:
        return max(0.0, self.config.ui.face_missing_s - self.missing_for)

    # --- the clock --------------------------------------------------------------------------
    def update(self, now: float, result: EngineResult | None) -> list[Event]:
        dt = 0.0 if self._last_now is None else min(0.25, max(0.0, now - self._last_now))
        self._last_now = now
        fresh = result is not None and result is not self._last_result
        self._last_result = result
        self.stale = result is None or now - result.frame.t_capture > self.config.ui.stale_s
        self.missing = () if result is None else tuple(
            i for i in range(self.players) if i >= len(result.players) or result.players[i].box is None)
        self.faces_ok = not self.stale and not self.missing
        if self.paused or self.phase is Phase.TITLE:
            return []
        self.phase_time += dt
        step = {Phase.CALIBRATE: self._calibrate, Phase.COUNTDOWN: self._countdown,
                Phase.PLAYING: self._play, Phase.LAUGH: self._laugh}.get(self.phase)
        return step(dt, result, fresh) if step else []

    def _calibrate(self, dt: float, result: EngineResult | None, fresh: bool) -> list[Event]:
        if not self.faces_ok:
            return []
        self.calibrated_for += dt
        if fresh:
            for track, player in zip(self.tracks, result.players):
                track.samples.append(player.judgement.smile)
        enough = all(len(t.samples) >= self.config.ui.min_calibration_samples for t in self.tracks)
        if self.calibrated_for < self.config.judge.calibration_s or not enough:
            return []
        readings = [float(np.median(t.samples)) for t in self.tracks]
        self.refused = tuple((i, r) for i, r in enumerate(readings) if r > self.config.judge.max_baseline)
        if self.refused:   # a grin is not a resting face: capping it would hide that, so say so and retry
            for track in self.tracks:
                track.samples.clear()
            self.calibrated_for = 0.0
            return [Event.RECALIBRATE]
        self.baselines = [baseline_from(t.samples, self.config.judge.max_baseline) for t in self.tracks]
        self._reset_round()
        self._enter(Phase.COUNTDOWN)
        return [Event.CALIBRATED]

    def _countdown(self, dt: float, result: EngineResult | None, fresh: bool) -> list[Event]:
        if self.countdown_number == 0:
            # The round starts on a straight face: a smile carried over from the countdown is no verdict.
            self.holding_go = result is not None and any(
                p.judgement.verdict is Verdict.OUT for p in result.players[:self.players])
            if self.holding_go:
                return []
            self._enter(Phase.PLAYING)
            return [Event.GO]
        if self.countdown_number != self._beeped:
            self._beeped = self.countdown_number
            return [Event.BEEP]
        return []

    def _play(self, dt: float, result: EngineResult | None, fresh: bool) -> list[Event]:
        if self.stale:
            return []
        if not self.faces_ok:
            self.missing_for += dt
            if self.practice or self.missing_for < self.config.ui.face_missing_s:
                return []
            return self._finish(Outcome.HID, self.missing)
        self.missing_for = 0.0
        self.elapsed += dt
        if self.practice:
            return []
        if fresh:
            self._track_peaks(result, range(self.players))
            self._keep(result, self.elapsed)
        laughed = tuple(i for i, p in enumerate(result.players[:self.players]) if p.judgement.verdict is Verdict.OUT)
        if laughed:
            return self._finish(Outcome.LAUGHED, laughed)
        if self.elapsed >= self.config.ui.round_seconds:
            self.elapsed = self.config.ui.round_seconds
            return self._finish(Outcome.SURVIVED, ())
        return []

    def _laugh(self, dt: float, result: EngineResult | None, fresh: bool) -> list[Event]:
        # The verdict flips on the way up; the laugh peaks a moment later, so keep looking.
        if fresh and not self.stale and self.phase_time <= self.config.ui.laugh_flash_s:
            self._track_peaks(result, self.result.losers)
            self._keep(result, self.elapsed + self.phase_time, prune=False)   # the laugh itself, after OUT
        return []

    def _keep(self, result: EngineResult, t: float, prune: bool = True) -> None:
        """The curve sample and the replay crop of every player at round time ``t``."""
        for track, player in zip(self.tracks, result.players[:self.players]):
            if player.box is None:
                continue
            j = player.judgement
            track.curve.append((t, j.smile_smoothed, int(np.argmax(j.emotion_probs))))
            if player.crop is not None:
                track.replay.append((t, player.crop))
            if prune:
                while track.replay and track.replay[0][0] < t - self.config.ui.replay_s:
                    track.replay.pop(0)

    def _track_peaks(self, result: EngineResult, players) -> None:
        for i in players:
            if i >= len(result.players):
                continue
            player = result.players[i]
            track = self.tracks[i]
            if player.box is not None and player.judgement.smile_smoothed >= track.peak:
                track.peak, track.peak_at = player.judgement.smile_smoothed, self.elapsed
                track.peak_frame, track.peak_crop = result.frame.image, player.crop

    def _finish(self, outcome: Outcome, losers: tuple[int, ...]) -> list[Event]:
        self.result = RoundResult(outcome, losers, self.elapsed, self.players)
        self._enter(Phase.LAUGH if outcome is Outcome.LAUGHED else Phase.RESULTS)
        return [Event.WIN if outcome is Outcome.SURVIVED else Event.OUT, Event.ROUND_OVER]

    def _reset_round(self) -> None:
        self.elapsed, self.missing_for, self.result, self._beeped = 0.0, 0.0, None, None
        self.holding_go = False
        for track in self.tracks:
            track.reset_round()

    def _enter(self, phase: Phase) -> None:
        self.phase = phase
        self.phase_time = 0.0
        self.paused = self.holding_go = False
