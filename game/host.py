"""The engine on the game's source, as the window needs it: ``EngineHost``.

The window (game/app.py) never waits on the model: the host runs the engine's threads
(game/engine.py) on the source and the window reads ``latest()`` once per tick. A new
player count builds a new Engine on the same network; the face finder belongs to the
host, which lends it to each engine and closes it once. A video file that ends starts
again, so a file plays like a camera that never stops. ``run_sync`` processes the source
on the calling thread instead (``--screenshot``: the saved screen shows a known frame).
"""
from __future__ import annotations

import logging
from typing import Iterator, Protocol

from model.network import SmileEmotionNet
from model.preprocess import Preprocessing

from game.capture import SourceState, SourceStatus, open_source
from game.config import GameConfig
from game.engine import Engine
from game.tracker import FaceFinder
from game.types import EngineResult

log = logging.getLogger(__name__)


class Host(Protocol):
    """What the app needs from the engine side (EngineHost, or a scripted fake in tests)."""

    live: bool
    spec: str | int        # the source, as given (named in a recording's session file)
    preprocessing: Preprocessing   # the model's: named in a recording's session file

    def start(self, players: int) -> None: ...
    def latest(self) -> EngineResult | None: ...
    def poll(self) -> SourceState: ...
    def configure(self, threshold: float, two_stage: bool) -> None: ...
    def set_baselines(self, baselines: list[float]) -> None: ...
    def close(self) -> None: ...


class EngineHost:
    """The engine on ``source`` with the player's choices (``configure``) and baselines."""

    def __init__(self, model: SmileEmotionNet, config: GameConfig, source: str | int, device="cpu"):
        self.model, self.config, self.spec, self.device = model, config, source, device
        self.preprocessing = model.config.preprocessing
        self.engine: Engine | None = None
        self.live = False
        self._finder: FaceFinder | None = None    # made with the first engine

    def _build(self, players: int) -> Engine:
        """A new engine for ``players`` with the config as configured; the borrowed finder stays open."""
        if self.engine is not None:
            self.engine.close()   # stops its threads
        if self._finder is None:
            self._finder = FaceFinder(self.preprocessing, self.config.tracking)
        self.engine = Engine(self.model, self.config, players, finder=self._finder, device=self.device)
        return self.engine

    def start(self, players: int) -> None:
        """The engine's threads on the source (a running engine for ``players`` is kept)."""
        if self.engine is not None and self.engine.players == players and self.engine.running:
            return
        self.stop()
        source = open_source(self.spec, self.config.source)
        self.live = source.live
        if self.engine is None or self.engine.players != players:
            self._build(players)
        self.engine.start(source, realtime=True)

    def run_sync(self, players: int, max_frames: int | None = None) -> Iterator[EngineResult]:
        """The source processed on the calling thread, in order (Engine.run); ``latest()``
        follows it."""
        source = open_source(self.spec, self.config.source)
        self.live = source.live
        return self._build(players).run(source, max_frames)

    def latest(self) -> EngineResult | None:
        return self.engine.latest() if self.engine is not None else None

    @property
    def error(self) -> BaseException | None:
        """The exception that stopped the engine's processing thread, if one did."""
        return self.engine.error if self.engine is not None else None

    def poll(self) -> SourceState:
        """The source's state; restarts a video file once its last frame has been processed."""
        if self.engine is None:
            return SourceState(SourceStatus.RUNNING)
        if self.engine.error is not None:
            return SourceState(SourceStatus.FAILED, f"{type(self.engine.error).__name__}: {self.engine.error}")
        state = self.engine.source_state
        if state.status is SourceStatus.ENDED and not self.live:
            if not self.engine.running:   # both threads are done: restarting cannot block the UI
                self.start(self.engine.players)
            return SourceState(SourceStatus.RUNNING)
        return state

    def configure(self, threshold: float, two_stage: bool) -> None:
        """The player's choice, for the running engine and every engine built after."""
        self.config = self.config.with_overrides(threshold, two_stage)
        if self.engine is not None:
            self.engine.configure(threshold, two_stage)

    def set_baselines(self, baselines: list[float]) -> None:
        """A calibration's baselines: the judges keep them (Engine.set_baseline)."""
        for player, baseline in enumerate(baselines):
            self.engine.set_baseline(baseline, player)

    def stop(self) -> None:
        if self.engine is not None and not self.engine.stop():
            log.warning("engine threads did not stop within 1 s")

    def close(self) -> None:
        if self.engine is not None:
            self.engine.close()
        if self._finder is not None:
            self._finder.close()
            self._finder = None
