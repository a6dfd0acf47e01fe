"""Everything stays on this machine: ONNX Runtime's telemetry is off before any session is
created, so a run leaves no ~/.cache/Microsoft/DeveloperTools/.onnxruntime files."""
import os
import subprocess
import sys
from pathlib import Path

import cv2
import numpy as np

REPO = Path(__file__).resolve().parents[1]


def clean_env(home: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("ORT_DISABLE_TELEMETRY", "XDG_CACHE_HOME")}
    return {**env, "HOME": str(home), "OMP_NUM_THREADS": "1"}


def written_under(home: Path) -> list[str]:
    return sorted(p.relative_to(home).as_posix() for p in home.rglob("*") if p.is_file())


def test_a_headless_run_on_onnx_runtime_writes_no_telemetry_files(tmp_path, random_checkpoint):
    home = tmp_path / "home"
    home.mkdir()
    video = tmp_path / "clip.avi"
    writer = cv2.VideoWriter(str(video), cv2.VideoWriter_fourcc(*"MJPG"), 25, (64, 48))
    for i in range(3):
        writer.write(np.full((48, 64, 3), 40 * i, np.uint8))
    writer.release()
    config = tmp_path / "game.yaml"
    config.write_text("inference:\n  runtime: onnxruntime\n  device: cpu\n", encoding="utf-8")
    run = subprocess.run([sys.executable, "main.py", "--source", str(video), "--headless", "--weights",
                          str(random_checkpoint), "--config", str(config)], cwd=REPO, env=clean_env(home),
                         capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stderr
    assert run.stdout.startswith("done: 3 frames")
    assert not [p for p in written_under(home) if "Microsoft" in p or "onnxruntime" in p], written_under(home)

