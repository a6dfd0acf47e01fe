"""The model side of the engine: one streaming window per player over one shared
network, the torch thread budget, and the inference thread that turns the newest
frame into the newest result."""
from __future__ import annotations

import copy
import os
import threading
from typing import Callable, NamedTuple

import torch
from torch import nn
from torch.nn.utils.fusion import fuse_conv_bn_eval

from game.capture import LatestSlot
from game.types import EngineResult, Frame
from model.network import SmileEmotionNet, StreamingBatch


def usable_cpus() -> int:
    """CPUs this process may run on (its affinity mask, where the OS has one)."""
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0))
    return os.cpu_count() or 1


def default_torch_threads(cpu_count: int | None = None) -> int:
    """Half the cores, at most 4: capture, decoding and face detection need the rest,
    and a small MobileNet on one or two faces gains little from more threads."""
    return max(1, min(4, (cpu_count or usable_cpus()) // 2))


def configure_torch_threads(threads: int = 0) -> int:
    """Set torch's intra-op threads (0: default_torch_threads()); returns the count."""
    n = threads or default_torch_threads()
    torch.set_num_threads(n)
    return n


def fold_batchnorm(model: SmileEmotionNet) -> SmileEmotionNet:
    """An eval-mode copy with every Conv2d -> BatchNorm2d pair merged into one conv:
    the same outputs up to float rounding, and a faster backbone (docs/engine.md measures it)."""
    folded = copy.deepcopy(model).eval()
    for seq in [m for m in folded.modules() if isinstance(m, nn.Sequential)]:
        for i in range(len(seq) - 1):
            if isinstance(seq[i], nn.Conv2d) and isinstance(seq[i + 1], nn.BatchNorm2d):
                seq[i] = fuse_conv_bn_eval(seq[i], seq[i + 1])
                seq[i + 1] = nn.Identity()
    return folded


class Probabilities(NamedTuple):
    smile: torch.Tensor           # (B,) 0..1
    emotion_probs: torch.Tensor   # (B, 7)


class OnnxRuntimeNetwork:
    """The network as two ONNX Runtime sessions (model/export.py's backbone and temporal
    graphs, made in memory at start), with the calls StreamingModel makes.

    Why: for one 96-px face per frame, torch's per-operator overhead dominates; the engine's
    model stage drops from ~9 to ~3 ms p50 (benchmarks/bench_engine.py --runtime; docs/engine.md).
    Outputs equal torch's within model.export.TOLERANCE."""

    def __init__(self, model: SmileEmotionNet, threads: int = 1):
        import onnxruntime as ort

        from model.export import onnx_graphs

        ort.disable_telemetry_events()   # Windows' event tracing; elsewhere model/__init__.py turns it off
        self.config = model.config
        options = ort.SessionOptions()
        options.intra_op_num_threads = max(1, threads)
        options.inter_op_num_threads = 1
        backbone, temporal = onnx_graphs(model)
        self._backbone = ort.InferenceSession(backbone, options, providers=["CPUExecutionProvider"])
        self._temporal = ort.InferenceSession(temporal, options, providers=["CPUExecutionProvider"])

    def eval(self) -> "OnnxRuntimeNetwork":
        return self

    def to(self, device: str | torch.device) -> "OnnxRuntimeNetwork":
        return self  # CPU only: resolve_runtime() refuses any other device

    def embed(self, images: torch.Tensor) -> torch.Tensor:
        (features,) = self._backbone.run(None, {"images": images.numpy()})
        return torch.from_numpy(features)

    def temporal(self, features: torch.Tensor) -> Probabilities:
        smile, probs = self._temporal.run(None, {"features": features.numpy()})
        return Probabilities(torch.from_numpy(smile), torch.from_numpy(probs))


def resolve_runtime(runtime: str, device: str | torch.device) -> str:
    """'auto' -> ONNX Runtime on the CPU, torch on a GPU. ValueError for an unknown runtime
    or for ONNX Runtime on a GPU (its sessions here are CPU-only)."""
    kind = torch.device(device).type
    if runtime == "auto":
        return "onnxruntime" if kind == "cpu" else "torch"
    if runtime not in ("torch", "onnxruntime"):
        raise ValueError(f"inference runtime must be auto, torch or onnxruntime, not {runtime!r}")
    if runtime == "onnxruntime" and kind != "cpu":
        raise ValueError(f"inference.runtime = onnxruntime runs on the CPU, but inference.device is {kind}: "
                         f"set runtime to auto or torch, or device to cpu")
    return runtime


class PlayerModels(StreamingBatch):
    """A StreamingModel window per player over one shared network — ONNX Runtime sessions or
    a BatchNorm-folded torch copy (``runtime``: auto, torch, onnxruntime); the caller's model
    is left untouched. ``push_many`` serves every player with one backbone call (a face-off
    costs far less than two separate pushes)."""

    def __init__(self, model: SmileEmotionNet, players: int, device: str | torch.device = "cpu",
                 runtime: str = "auto", tta_flip: bool = False):
        self.runtime = resolve_runtime(runtime, device)
        network = (OnnxRuntimeNetwork(model, torch.get_num_threads()) if self.runtime == "onnxruntime"
                   else fold_batchnorm(model))
        super().__init__(network, players, device, tta_flip)


class InferenceThread(threading.Thread):
    """Takes the newest frame from ``frames``, runs ``process`` on it and publishes the
    result, until the frames run out, ``max_frames`` are done, or stop() is called.
    An error in ``process`` ends the thread and is kept in ``error``."""

    def __init__(self, frames: LatestSlot[Frame], process: Callable[[Frame], EngineResult],
                 publish: Callable[[EngineResult], None], max_frames: int | None = None):
        super().__init__(name="inference", daemon=True)
        self.frames, self.process, self.publish = frames, process, publish
        self.max_frames = max_frames
        self.processed = 0
        self.error: BaseException | None = None
        self._stop_event = threading.Event()

    def stop(self) -> None:
        self._stop_event.set()

    def run(self) -> None:
        try:
            while not self._stop_event.is_set():
                if self.max_frames is not None and self.processed >= self.max_frames:
                    break
                frame = self.frames.get(timeout=0.1)
                if frame is None:
                    if self.frames.finished:
                        break
                    continue
                self.publish(self.process(frame))
                self.processed += 1
        except Exception as exc:  # kept for the caller; the capture side is told to stop below
            self.error = exc
        finally:
            self.frames.close()
