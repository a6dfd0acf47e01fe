"""웃참 (Utcham): try not to laugh in front of the webcam.

    python main.py                                   # play with camera 0
    python main.py --source clip.mp4 --headless --log out.csv
"""
from __future__ import annotations

import os

# Our own one-line errors replace OpenCV's and FFmpeg's console noise (override to debug).
os.environ.setdefault("OPENCV_LOG_LEVEL", "SILENT")
os.environ.setdefault("OPENCV_FFMPEG_LOGLEVEL", "-8")

import argparse  # noqa: E402
import sys  # noqa: E402
from pathlib import Path  # noqa: E402

from game import app  # noqa: E402
from game.capture import SourceError  # noqa: E402
from game.config import ConfigError  # noqa: E402
from game.headless import HeadlessError, run_headless  # noqa: E402
from model.checkpoint import CheckpointError  # noqa: E402

ROOT = Path(__file__).resolve().parent
DEFAULT_WEIGHTS = ROOT / "weights" / "smile_emotion.pt"
DEFAULT_CONFIG = ROOT / "configs" / "game.yaml"


def _positive_int(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, got {value}")
    return value


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="main.py", description="웃참: try not to laugh (smile + emotion AI).")
    parser.add_argument("--source", default="0",
                        help="camera index, video file or image folder (default: camera 0)")
    parser.add_argument("--weights", default=str(DEFAULT_WEIGHTS), help="model checkpoint (.pt)")
    parser.add_argument("--config", default=str(DEFAULT_CONFIG), help="game settings (YAML)")
    parser.add_argument("--threshold", type=float, default=None,
                        help="OUT threshold for the smile score, 0.5-0.9 (default: from the config)")
    parser.add_argument("--two-stage", action="store_true",
                        help="two-stage mode: the smile only counts while head 2 says happy")
    parser.add_argument("--players", type=int, choices=(1, 2), default=1, help="2: face-off mode")
    parser.add_argument("--headless", action="store_true", help="no window: log verdicts (see --log)")
    parser.add_argument("--log", default=None, help="with --headless: write one CSV row per frame here")
    parser.add_argument("--realtime", action="store_true",
                        help="play a file at its own speed, dropping frames like a camera")
    parser.add_argument("--max-frames", type=_positive_int, default=None, help="stop after N frames")
    app.add_game_arguments(parser)  # the windowed game's own flags (--screenshot, --lang, ...)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.log and not args.headless:
        parser.error("--log needs --headless")
    try:
        if args.headless:
            return run_headless(args)
        return app.run_game(args)
    except (CheckpointError, ConfigError, SourceError, HeadlessError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:   # Ctrl+C while loading: a clean stop, not a traceback
        print("stopped (Ctrl+C)", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
