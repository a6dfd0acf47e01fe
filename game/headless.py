"""The game with no window: the same engine threads, one CSV row per processed frame
(per player in face-off mode) and a one-line summary.

A file is processed frame by frame in order (deterministic) unless --realtime,
which paces it at the file's fps and drops frames as a camera would.
"""
from __future__ import annotations

import argparse
import csv
import sys
from pathlib import Path
from typing import TextIO

import numpy as np

from game.capture import SourceState, SourceStatus, open_source
from game.config import load_config
from game.engine import build_engine
from game.types import EngineResult, Verdict
from model.labels import EMOTIONS

COLUMNS = ("frame", "t", "face_found", "smile", "smile_smoothed", *(f"p_{e}" for e in EMOTIONS),
           "mode", "verdict", "analysis", "process_ms", "latency_ms")


class HeadlessError(RuntimeError):
    """The run cannot be logged (e.g. the CSV path is not writable)."""


def check_log_path(log: str | Path, inputs: dict[str, str | Path | None]) -> None:
    """HeadlessError unless ``log`` may be (over)written: it must not be one of the run's
    inputs (``{"source": ..., "weights": ..., "config": ...}``, links followed), and a file
    already there must be an earlier log (same header), never some other file of the user's."""
    path = Path(log)
    if path.is_dir():
        raise HeadlessError(f"--log {path}: is a folder; give a file name, e.g. {path / 'log.csv'}")
    if not path.exists():
        return
    for what, other in inputs.items():
        try:
            same = other is not None and Path(other).exists() and path.samefile(other)
        except OSError:
            same = False
        if same:
            raise HeadlessError(f"--log {path}: is the {what} of this run; it would be overwritten, "
                                "give another file for the log")
    if path.is_file() and path.stat().st_size == 0:
        return
    try:
        with path.open(encoding="utf-8", newline="") as f:
            first = next(csv.reader(f), [])
    except (OSError, UnicodeDecodeError, csv.Error):
        first = []
    if not first or first[0] != COLUMNS[0] or not set(COLUMNS) <= set(first):
        raise HeadlessError(f"--log {path}: exists and is not a log of main.py --headless; "
                            "give another file, or delete it first")


class CsvLog:
    """One row per frame; with two players one row per player, with a 'player' column."""

    def __init__(self, path: str | Path, players: int):
        self.path = Path(path)
        self.players = players
        try:
            self._file: TextIO = open(self.path, "w", newline="", encoding="utf-8")
        except OSError as exc:
            raise HeadlessError(f"{self.path}: cannot write the log ({exc.strerror})") from None
        self._writer = csv.writer(self._file)
        header = list(COLUMNS)
        if players > 1:
            header.insert(1, "player")
        self._writer.writerow(header)

    def write(self, result: EngineResult) -> None:
        for player, pr in enumerate(result.players):
            j = pr.judgement
            row = [result.frame.index, f"{result.frame.t_source:.4f}", int(pr.box is not None),
                   f"{j.smile:.6f}", f"{j.smile_smoothed:.6f}", *(f"{p:.6f}" for p in j.emotion_probs),
                   j.mode.value, j.verdict.value, j.analysis.value,
                   f"{result.process_ms:.2f}", f"{result.latency_ms:.2f}"]
            if self.players > 1:
                row.insert(1, player + 1)
            self._writer.writerow(row)

    def close(self) -> None:
        self._file.close()


class RunStats:
    """Counts and timings for the summary line."""

    def __init__(self, players: int):
        self.frames = 0
        self.faces = [0] * players
        self.outs = [0] * players
        self.first_out: list[float | None] = [None] * players
        self.process_ms: list[float] = []
        self.latency_ms: list[float] = []

    def add(self, result: EngineResult) -> None:
        self.frames += 1
        self.process_ms.append(result.process_ms)
        self.latency_ms.append(result.latency_ms)
        for i, pr in enumerate(result.players):
            self.faces[i] += pr.box is not None
            if pr.judgement.verdict is Verdict.OUT:
                self.outs[i] += 1
                if self.first_out[i] is None:
                    self.first_out[i] = result.frame.t_source

    def summary(self, source: str, dropped: int, log: Path | None) -> str:
        players = []
        for i, (faces, outs, first) in enumerate(zip(self.faces, self.outs, self.first_out)):
            who = f"player {i + 1}: " if len(self.faces) > 1 else ""
            when = f", first OUT at {first:.2f} s" if first is not None else ""
            players.append(f"{who}face in {faces}, OUT in {outs}{when}")
        timing = ""
        if self.frames:
            process, latency = np.percentile(self.process_ms, [50, 95]), np.percentile(self.latency_ms, [50, 95])
            timing = (f"; process_ms p50 {process[0]:.1f} p95 {process[1]:.1f}"
                      f", latency_ms p50 {latency[0]:.1f} p95 {latency[1]:.1f}")
        logged = f"; log {log}" if log else ""
        return (f"done: {self.frames} frames of {source} ({'; '.join(players)}; {dropped} dropped)"
                f"{timing}{logged}")


def _report_state(state: SourceState) -> None:
    if state.status in (SourceStatus.LOST, SourceStatus.RUNNING) and state.message:
        print(f"source: {state.message}", file=sys.stderr, flush=True)


def run_headless(args: argparse.Namespace) -> int:
    """main.py --headless. Raises the known setup errors (config, weights, source, log)
    for main() to print; a source that fails mid-run is reported here (exit 2)."""
    if args.log:
        check_log_path(args.log, {"source": args.source, "weights": args.weights, "config": args.config})
    config = load_config(args.config).with_overrides(args.threshold, True if args.two_stage else None)
    stats = RunStats(args.players)
    engine = build_engine(args.weights, config, args.players)
    try:
        source = open_source(args.source, config.source)
        try:
            log = CsvLog(args.log, args.players) if args.log else None
        except HeadlessError:
            source.close()
            raise

        def on_result(result: EngineResult) -> None:
            stats.add(result)
            if log:
                log.write(result)

        try:  # from here on the capture thread owns the source and closes it
            engine.start(source, realtime=args.realtime, on_result=on_result, on_state=_report_state,
                         max_frames=args.max_frames)
            while not engine.wait(0.2):
                pass
        except KeyboardInterrupt:
            print("stopped by the user", file=sys.stderr)
        finally:
            engine.stop()  # before closing the log the results are written to
            if log:
                log.close()
    finally:
        engine.close()
    print(stats.summary(source.name, engine.frames_dropped, log.path if log else None))
    state = engine.source_state
    if engine.error is not None:
        print(f"error: processing failed: {type(engine.error).__name__}: {engine.error}", file=sys.stderr)
        return 2
    if state.status is SourceStatus.FAILED:
        print(f"error: {state.message}", file=sys.stderr)
        return 2
    return 0
