"""The network, its data, training, evaluation and export (never imports game/)."""
import os

# ONNX Runtime records a device ID and usage in ~/.cache/Microsoft/DeveloperTools/.onnxruntime
# as soon as it is imported; everything here stays on this machine, so its telemetry is off
# before any module of this package (or the game, which imports it) can import onnxruntime.
os.environ["ORT_DISABLE_TELEMETRY"] = "1"
