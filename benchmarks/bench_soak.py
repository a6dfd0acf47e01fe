"""Soak: the engine on --realtime input for 10 minutes; does its memory stay flat?

    .venv/bin/python benchmarks/bench_soak.py                     # 600 s, RSS every 30 s
    .venv/bin/python benchmarks/bench_soak.py --seconds 120 --interval 10 --players 2

A real clip is played in real time at its own frame rate and looped (each pass is a new
VideoFileSource, as a file the game loops), through the engine's normal capture and
inference threads with realtime pacing: frames drop when the engine is late, as with
``main.py --headless --realtime``. Every ``--interval`` seconds the process's resident
memory (RSS, /proc/self/status) is printed; every minute the latency p50/p95 of that
minute's frames. PASS when RSS grows by less than 5 MB from the end of the first minute
(imports, model loading and the first allocations settle there) to every later sample.
Not a test: it takes minutes and its timings depend on the machine.
"""
from __future__ import annotations

import os

os.environ.setdefault("OPENCV_LOG_LEVEL", "SILENT")
os.environ.setdefault("OPENCV_FFMPEG_LOGLEVEL", "-8")

import argparse  # noqa: E402
import sys  # noqa: E402
import threading  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from game.capture import VideoFileSource  # noqa: E402
from game.config import load_config  # noqa: E402
from game.engine import Engine, build_engine  # noqa: E402
from game.types import EngineResult  # noqa: E402
from model.network import SmileEmotionNet  # noqa: E402

DEFAULT_VIDEO = ROOT.parent / "shared" / "datasets" / "videos" / "smile_transition_a.mp4"
SETTLE_S = 60.0          # the first minute is allowed to grow
MAX_GROWTH_MB = 5.0


class LoopedVideo:
    """A video file played again from the start whenever it ends; source times keep rising."""

    live = False

    def __init__(self, path: Path):
        self.path = path
        self._file = VideoFileSource(path)
        self.name, self.fps = f"{path.name} (looped)", self._file.fps
        self.offset = 0.0
        self.loops = 0
        self._read = 0   # frames of this pass

    def read(self) -> tuple[np.ndarray, float] | None:
        got = self._file.read()
        if got is None:
            self._file.close()
            self.offset += self._read / self.fps
            self._file, self._read = VideoFileSource(self.path), 0
            self.loops += 1
            got = self._file.read()
        self._read += 1
        image, t = got
        return image, self.offset + t

    def reopen(self) -> None:
        pass

    def close(self) -> None:
        self._file.close()


def rss_mb() -> float:
    """Resident memory of this process in MB (Linux /proc; elsewhere the peak from resource)."""
    try:
        with open("/proc/self/status", encoding="ascii") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    import resource
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


class Minutes:
    """Latencies of the current minute only (the benchmark itself must not grow)."""

    def __init__(self):
        self.lock = threading.Lock()
        self.latency: list[float] = []
        self.frames = 0

    def add(self, result: EngineResult) -> None:
        with self.lock:
            self.latency.append(result.latency_ms)
            self.frames += 1

    def take(self) -> list[float]:
        with self.lock:
            values, self.latency = self.latency, []
        return values


def report_minute(minute: int, latency_ms: list[float]) -> None:
    p50, p95 = np.percentile(latency_ms, [50, 95]) if latency_ms else (float("nan"), float("nan"))
    print(f"  minute {minute:>2}: {len(latency_ms)} frames, latency_ms p50 {p50:.1f} p95 {p95:.1f}", flush=True)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seconds", type=float, default=600.0, help="soak length (default 600)")
    ap.add_argument("--interval", type=float, default=30.0, help="seconds between RSS samples (default 30)")
    ap.add_argument("--players", type=int, choices=(1, 2), default=1)
    ap.add_argument("--video", type=Path, default=DEFAULT_VIDEO)
    ap.add_argument("--weights", type=Path, default=ROOT / "weights" / "smile_emotion.pt")
    ap.add_argument("--config", type=Path, default=ROOT / "configs" / "game.yaml")
    args = ap.parse_args()
    if not args.seconds > SETTLE_S + args.interval or not args.interval > 0:
        ap.error(f"--seconds must exceed {SETTLE_S:g} s plus one --interval, and --interval must be positive")

    config = load_config(args.config)
    if args.weights.is_file():
        engine = build_engine(args.weights, config, args.players)
    else:  # the same network: memory does not depend on the trained values
        engine = Engine(SmileEmotionNet().eval(), config, args.players)
    source = LoopedVideo(args.video)
    minutes = Minutes()
    print(f"bench_soak: {source.name} at {source.fps:g} fps, realtime, {args.players} player(s), "
          f"runtime {engine.models.runtime}, {args.seconds:g} s; RSS at start {rss_mb():.1f} MB", flush=True)

    engine.start(source, realtime=True, on_result=minutes.add)
    t0 = time.monotonic()
    samples: list[tuple[float, float]] = []
    next_sample, next_minute, minute = args.interval, 60.0, 0
    try:
        while True:
            now = time.monotonic() - t0
            if now >= args.seconds or not engine.running:
                break
            time.sleep(max(0.0, min(next_sample, next_minute, args.seconds) - now))
            now = time.monotonic() - t0
            if now >= next_minute:
                minute += 1
                report_minute(minute, minutes.take())
                next_minute += 60.0
            if now >= next_sample:
                samples.append((now, rss_mb()))
                print(f"  {now:6.0f} s  RSS {samples[-1][1]:.1f} MB  ({minutes.frames} frames, "
                      f"{engine.frames_dropped} dropped, {source.loops} loops)", flush=True)
                next_sample += args.interval
    except KeyboardInterrupt:
        print("  stopped early (Ctrl+C)")
    finally:
        engine.stop()
        engine.close()
    last = minutes.take()
    if last:   # the frames after the last full minute
        report_minute(minute + 1, last)

    if engine.error is not None:
        print(f"FAIL  processing stopped: {type(engine.error).__name__}: {engine.error}")
        return 1
    settled = [rss for t, rss in samples if t >= SETTLE_S - 1e-6]
    if len(settled) < 2:
        print("FAIL  too few samples after the first minute to judge memory")
        return 1
    growth = max(settled) - settled[0]
    ok = growth < MAX_GROWTH_MB
    print(f"{'PASS' if ok else 'FAIL'}  memory flat: RSS {settled[0]:.1f} MB after the first minute, at most "
          f"{max(settled):.1f} MB later (+{growth:.1f} MB; limit {MAX_GROWTH_MB:g} MB) over "
          f"{samples[-1][0]:.0f} s, {minutes.frames} frames")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
