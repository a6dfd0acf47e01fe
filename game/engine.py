"""The real-time engine: camera frame in, one verdict per player out.

    source --CaptureThread--> LatestSlot --InferenceThread--> Engine.process --> latest() / on_result
                                          detect -> track -> crop -> model window -> judge

``process(frame)`` is the whole per-frame path and runs without threads (tests,
deterministic file runs via ``run``); ``start``/``stop`` run it on the threads.
"""
from __future__ import annotations

import time
from contextlib import closing
from dataclasses import replace
from pathlib import Path
from typing import Callable, Iterator

import torch

from game.capture import CaptureThread, FrameSource, LatestSlot, SourceState, SourceStatus, frames_in_order
from game.config import ConfigError, GameConfig
from game.inference import InferenceThread, PlayerModels, configure_torch_threads, resolve_runtime
from game.judge import Judge
from game.tracker import FaceFinder, Finder, PlayerFaces
from game.types import EngineResult, Frame, PlayerResult
from model.checkpoint import load_model, pick_device
from model.network import SmileEmotionNet


def _ms(start: float, end: float) -> float:
    return (end - start) * 1000.0


class Engine:
    def __init__(self, model: SmileEmotionNet, config: GameConfig, players: int = 1,
                 finder: Finder | None = None, device: str | torch.device = "cpu"):
        self.config = config
        self.players = players
        # A finder handed in is borrowed (its owner closes it); one made here is closed by close().
        self._owns_finder = finder is None
        self.finder = finder if finder is not None else FaceFinder(model.config.preprocessing, config.tracking)
        self.faces = PlayerFaces(self.finder, players, config.tracking)
        self.models = PlayerModels(model, players, device, config.inference.runtime, config.inference.tta_flip)
        self.judges = [Judge(config.judge, config.smoothing, config.analysis) for _ in range(players)]
        self._latest: EngineResult | None = None
        self._on_result: Callable[[EngineResult], None] | None = None
        self._capture: CaptureThread | None = None
        self._inference: InferenceThread | None = None

    # -- the per-frame path ----------------------------------------------------------------
    def process(self, frame: Frame) -> EngineResult:
        """Detect, track, crop, run each player's model window, judge."""
        t0 = time.perf_counter()
        boxes = self.faces.find(frame.image)
        t1 = time.perf_counter()
        faces = self.faces.follow(frame.image, boxes)
        crops = [crop for _, crop in faces]
        t2 = time.perf_counter()
        predictions = self.models.push_many(crops)   # one backbone call for every player's face
        t3 = time.perf_counter()
        players = []
        for judge, (box, crop), pred in zip(self.judges, faces, predictions):
            judgement = judge.no_face() if pred is None else judge.judge(pred.smile, pred.emotion_probs,
                                                                         frame.t_source)
            players.append(PlayerResult(box, judgement, crop))
        t4 = time.perf_counter()
        return EngineResult(
            frame=frame, players=players, process_ms=_ms(t0, t4),
            latency_ms=(time.monotonic() - frame.t_capture) * 1000.0,
            stage_ms={"detect": _ms(t0, t1), "track_crop": _ms(t1, t2), "model": _ms(t2, t3),
                      "judge": _ms(t3, t4)})

    def reset(self) -> None:
        """Forget every track, model window and judge state (new round, new source)."""
        self.faces.reset()
        for player, judge in enumerate(self.judges):
            self.models.reset(player)
            judge.reset()

    def run(self, source: FrameSource, max_frames: int | None = None) -> Iterator[EngineResult]:
        """Every frame of ``source`` in order, on the calling thread (deterministic); each
        result is also the newest (``latest()``), as on the threads."""
        if self.running:
            raise RuntimeError("the engine's threads are running; stop() before run()")
        self.reset()
        self._latest = None
        with closing(frames_in_order(source, max_frames)) as frames:
            for frame in frames:
                self._latest = self.process(frame)
                yield self._latest

    # -- run-time settings (UI) -------------------------------------------------------------
    def configure(self, threshold: float | None = None, two_stage: bool | None = None) -> None:
        """Change the difficulty or the mode while playing; ConfigError if out of range."""
        changes = {k: v for k, v in (("threshold", threshold), ("two_stage", two_stage)) if v is not None}
        for judge in self.judges:
            judge.settings = replace(judge.settings, **changes)

    def set_baseline(self, baseline: float, player: int = 0) -> None:
        """A player's resting smile (judge.baseline_from over the calibration seconds)."""
        judge = self.judges[player]
        judge.settings = replace(judge.settings, baseline=baseline)

    # -- threads ----------------------------------------------------------------------------
    @property
    def running(self) -> bool:
        return self._inference is not None and self._inference.is_alive()

    def start(self, source: FrameSource, realtime: bool = True,
              on_result: Callable[[EngineResult], None] | None = None,
              on_state: Callable[[SourceState], None] | None = None,
              max_frames: int | None = None) -> None:
        """Run capture and inference threads on ``source``. A file with realtime=False is
        processed losslessly, frame by frame; otherwise only the newest frame is kept.
        ``on_result`` is called on the inference thread for every processed frame."""
        if self.running:
            raise RuntimeError("the engine is already running")
        self.reset()
        self._latest, self._on_result = None, on_result
        frames: LatestSlot[Frame] = LatestSlot(drop=realtime or source.live)
        self._capture = CaptureThread(source, frames, self.config.source, realtime, on_state)
        self._inference = InferenceThread(frames, self.process, self._publish, max_frames)
        self._capture.start()
        self._inference.start()

    def _publish(self, result: EngineResult) -> None:
        self._latest = result  # one reference assignment: safe to read from the UI thread
        if self._on_result is not None:
            self._on_result(result)

    def latest(self) -> EngineResult | None:
        """The newest result (None before the first); never blocks."""
        return self._latest

    def wait(self, timeout: float | None = None) -> bool:
        """Wait until the run is over (source ended or failed, max_frames, error); True if it is."""
        if self._inference is None:
            return True
        self._inference.join(timeout)
        if self._inference.is_alive():
            return False
        if self._capture is not None:
            self._capture.join(1.0)  # it sees the closed slot at its next frame
        return True

    def stop(self, timeout: float = 1.0) -> bool:
        """Stop both threads; True if they ended within ``timeout`` seconds."""
        deadline = time.monotonic() + timeout
        for thread in (self._capture, self._inference):
            if thread is not None:
                thread.stop()
        for thread in (self._capture, self._inference):
            if thread is not None:
                thread.join(max(0.0, deadline - time.monotonic()))
        return not any(t is not None and t.is_alive() for t in (self._capture, self._inference))

    @property
    def source_state(self) -> SourceState:
        return self._capture.state if self._capture else SourceState(SourceStatus.STOPPED)

    @property
    def error(self) -> BaseException | None:
        """An exception that ended the inference thread, if any."""
        return self._inference.error if self._inference else None

    @property
    def frames_dropped(self) -> int:
        return self._capture.slot.dropped if self._capture else 0

    @property
    def frames_processed(self) -> int:
        return self._inference.processed if self._inference else 0

    def close(self) -> None:
        """Stop the threads; close the face finder if this engine made it."""
        self.stop()
        if self._owns_finder:
            self.finder.close()


def build_engine(weights: str | Path, config: GameConfig, players: int = 1) -> Engine:
    """Load the checkpoint (CheckpointError if missing or bad) onto the configured device."""
    configure_torch_threads(config.inference.torch_threads)
    device = pick_device(config.inference.device)
    try:  # before the weights load: a config that cannot run fails first, in one line
        resolve_runtime(config.inference.runtime, device)
    except ValueError as exc:
        raise ConfigError(str(exc)) from None
    model, _ = load_model(weights, device)
    return Engine(model, config, players, device=device)
