"""Export a checkpoint to ONNX as two graphs, split where the streaming game splits the work:

    OUT.backbone.onnx   images (N, 3, S, S) normalised -> features (N, 576); once per new frame
    OUT.temporal.onnx   features (B, T, 576), oldest first -> smile (B,) 0..1,
                        emotion_probs (B, 7); over the window of cached features

N, B and T are dynamic. Each graph carries the checkpoint's preprocessing, model config and
emotion names as JSON in ``metadata_props``, so a runtime needs no torch to prepare its input.
After writing, both graphs are run with ONNX Runtime and compared against torch.

    python -m model.export --weights weights/model.pt --onnx weights/model.onnx
"""
from __future__ import annotations

import argparse
import io
import json
import sys
import warnings
from pathlib import Path

import numpy as np
import torch
from torch import nn

from model.checkpoint import CheckpointError, load_model
from model.labels import EMOTIONS
from model.mobilenetv3 import FEATURE_DIM
from model.network import SmileEmotionNet

OPSET = 17
TOLERANCE = 1e-4


class ExportError(RuntimeError):
    """The exported graphs do not reproduce the torch model."""


class BackboneGraph(nn.Module):
    """images -> per-frame features (the part that runs once per frame)."""

    def __init__(self, model: SmileEmotionNet):
        super().__init__()
        self.model = model

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        return self.model.embed(images)


class TemporalGraph(nn.Module):
    """window of features -> probabilities (sigmoid / softmax inside the graph)."""

    def __init__(self, model: SmileEmotionNet):
        super().__init__()
        self.model = model

    def forward(self, features: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        out = self.model.temporal(features)
        return out.smile, out.emotion_probs


def graph_paths(onnx_path: str | Path) -> tuple[Path, Path]:
    """OUT.onnx -> (OUT.backbone.onnx, OUT.temporal.onnx)."""
    path = Path(onnx_path)
    stem = path.with_suffix("") if path.suffix == ".onnx" else path
    return stem.with_name(stem.name + ".backbone.onnx"), stem.with_name(stem.name + ".temporal.onnx")


def metadata(model: SmileEmotionNet, graph: str, weights: str) -> dict[str, str]:
    config = model.config
    return {"graph": graph, "weights": weights,
            "preprocessing": json.dumps(config.preprocessing.to_dict()),
            "model_config": json.dumps(config.to_dict()),
            "emotions": json.dumps(list(EMOTIONS)),
            "feature_dim": str(FEATURE_DIM)}


def _graph(module: nn.Module, example: torch.Tensor, input_names: list[str], output_names: list[str],
           dynamic_axes: dict, props: dict[str, str]) -> bytes:
    """One checked ONNX graph, serialised."""
    import onnx

    module.eval()
    buffer = io.BytesIO()
    # The torch.export-based exporter needs onnxscript, which we do not pin; the
    # TorchScript exporter handles this model (LSTM included) and is still shipped.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch.onnx.export(module, (example,), buffer, dynamo=False, opset_version=OPSET,
                          input_names=input_names, output_names=output_names,
                          dynamic_axes=dynamic_axes)
    graph = onnx.load_from_string(buffer.getvalue())
    onnx.helper.set_model_props(graph, props)
    onnx.checker.check_model(graph)
    return graph.SerializeToString()


def onnx_graphs(model: SmileEmotionNet, weights: str = "") -> tuple[bytes, bytes]:
    """(backbone graph, temporal graph), serialised: for files (export_onnx) or for ONNX
    Runtime sessions made in memory (the game's CPU runtime)."""
    model = model.cpu().eval()
    size = model.config.preprocessing.input_size
    backbone = _graph(BackboneGraph(model), torch.zeros(2, 3, size, size), ["images"], ["features"],
                      {"images": {0: "n"}, "features": {0: "n"}}, metadata(model, "backbone", weights))
    temporal = _graph(TemporalGraph(model), torch.zeros(2, model.config.seq_len, FEATURE_DIM),
                      ["features"], ["smile", "emotion_probs"],
                      {"features": {0: "b", 1: "t"}, "smile": {0: "b"}, "emotion_probs": {0: "b"}},
                      metadata(model, "temporal", weights))
    return backbone, temporal


def export_onnx(model: SmileEmotionNet, onnx_path: str | Path, weights: str = "") -> tuple[Path, Path]:
    """Write both graphs next to ``onnx_path``; -> (backbone path, temporal path)."""
    paths = graph_paths(onnx_path)
    paths[0].parent.mkdir(parents=True, exist_ok=True)
    for path, graph in zip(paths, onnx_graphs(model, weights)):
        path.write_bytes(graph)
    return paths


@torch.inference_mode()
def verify_export(model: SmileEmotionNet, backbone_path: Path, temporal_path: Path,
                  seed: int = 0) -> float:
    """Largest |ONNX Runtime - torch| over random inputs of several batch sizes and window
    lengths (1 to seq_len); raises ExportError above TOLERANCE."""
    import onnxruntime as ort

    ort.disable_telemetry_events()   # Windows' event tracing; elsewhere model/__init__.py turns it off
    model = model.cpu().eval()
    gen = torch.Generator().manual_seed(seed)
    backbone = ort.InferenceSession(str(backbone_path), providers=["CPUExecutionProvider"])
    temporal = ort.InferenceSession(str(temporal_path), providers=["CPUExecutionProvider"])
    size = model.config.preprocessing.input_size
    worst = 0.0
    for n in (1, 3):
        images = torch.randn(n, 3, size, size, generator=gen)
        (features,) = backbone.run(None, {"images": images.numpy()})
        worst = max(worst, float(np.abs(features - model.embed(images).numpy()).max()))
    for b, t in ((1, 1), (2, 3), (3, model.config.seq_len)):
        feats = torch.randn(b, t, FEATURE_DIM, generator=gen)
        smile, probs = temporal.run(None, {"features": feats.numpy()})
        out = model.temporal(feats)
        worst = max(worst, float(np.abs(smile - out.smile.numpy()).max()),
                    float(np.abs(probs - out.emotion_probs.numpy()).max()))
    if not worst <= TOLERANCE:
        raise ExportError(f"ONNX Runtime differs from torch by {worst:.2e} (> {TOLERANCE:g})")
    return worst


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m model.export", description=__doc__.split("\n\n")[0])
    parser.add_argument("--weights", required=True, help="checkpoint written by model.train")
    parser.add_argument("--onnx", required=True,
                        help="OUT.onnx: writes OUT.backbone.onnx and OUT.temporal.onnx")
    args = parser.parse_args(argv)
    try:
        model, _ = load_model(args.weights, "cpu")
        paths = export_onnx(model, args.onnx, weights=Path(args.weights).name)
        worst = verify_export(model, *paths)
    except (CheckpointError, ExportError, OSError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    for path in paths:
        print(f"wrote {path} ({path.stat().st_size / 1e6:.1f} MB)")
    print(f"ONNX Runtime matches torch (max abs difference {worst:.1e})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
