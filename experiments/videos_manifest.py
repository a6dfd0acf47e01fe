"""A labelled manifest from the four sample videos of ../shared/datasets/videos, recorded
through the game's recording code (face tracking, crops, clips, manifest rows), one
subject per video. A small stand-in for player recordings: for tests and a first look at
fine-tuning, not a Korean dataset.

    python -m experiments.videos_manifest --videos ../shared/datasets/videos --out runs/videos_manifest

Segments are the stretches whose expression is clear, read off the frames by eye (the
README's times are +-0.3 s, so each stretch keeps clear of the transitions). Labels follow
docs/labelling.md. Running it again replaces the clips of these videos.
"""
from __future__ import annotations

import os

os.environ.setdefault("OPENCV_LOG_LEVEL", "SILENT")
os.environ.setdefault("OPENCV_FFMPEG_LOGLEVEL", "-8")

import argparse  # noqa: E402
import sys  # noqa: E402
from contextlib import closing  # noqa: E402
from pathlib import Path  # noqa: E402

from game.capture import SourceError, VideoFileSource, capture_frames  # noqa: E402
from game.config import SourceSettings, TrackingSettings  # noqa: E402
from game.recording import (Consent, FaceTrack, Label, RecordingError, RecordingStore, Segment,  # noqa: E402
                            Session, crop_preprocessing, now_iso, record_segments)
from model.checkpoint import CheckpointError  # noqa: E402
from model.data.errors import DatasetError  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_VIDEOS = ROOT.parent / "shared" / "datasets" / "videos"
DEFAULT_WEIGHTS = ROOT / "weights" / "smile_emotion.pt"

NEUTRAL = Label("neutral", 0.0, "neutral")
TALKING = Label("talking", 0.0, "neutral")          # mouth moves, but no smile
TOOTHY = Label("toothy_smile", 0.75, "happy")       # teeth showing
FORCED = Label("forced_smile", 0.75, "neutral")     # teeth bared, eyes not smiling

# video -> labelled stretches (seconds). neutral_blinks is "neutral throughout" in the
# README, but 0.73-1.67 s is a teeth-baring grimace (labelled a forced smile here) and
# 12-14 s a pout (left out).
SEGMENTS: dict[str, tuple[Segment, ...]] = {
    "smile_transition_a.mp4": (Segment(0.0, 0.6, NEUTRAL), Segment(1.0, 2.4, TOOTHY)),
    "neutral_blinks.mp4": (Segment(0.0, 0.6, NEUTRAL), Segment(0.8, 1.6, FORCED), Segment(1.9, 11.8, NEUTRAL),
                           Segment(14.6, 17.8, NEUTRAL)),
    "talking_with_smiles.mp4": (Segment(1.0, 4.7, TOOTHY), Segment(6.8, 10.2, TALKING),
                                Segment(10.6, 11.4, TOOTHY), Segment(12.0, 14.8, TALKING)),
    "selfie_talk_grin.mp4": (Segment(3.8, 6.2, TALKING), Segment(6.5, 7.5, TOOTHY)),
}


def build_manifest(videos: Path, out: Path, clip_frames: int = 10, max_clips: int | None = None,
                   weights: str | Path | None = None, names: list[str] | None = None) -> Path:
    """Record the segments of each video into ``out``; -> the manifest path."""
    preprocessing = crop_preprocessing(weights)
    store = RecordingStore(out)
    names = names or list(SEGMENTS)
    unknown = [name for name in names if name not in SEGMENTS]
    if unknown:
        raise RecordingError(f"no segments are known for {unknown[0]!r} (known: {', '.join(SEGMENTS)})")
    track = FaceTrack(preprocessing, TrackingSettings())
    try:
        for name in names:
            subject = Path(name).stem
            if subject in store.clip_counts() or (store.root / subject).exists():
                store.delete_player(subject)
            source = VideoFileSource(videos / name)
            consent = Consent(subject, now_iso(), "public sample video, not a player")
            session = Session(store, consent, name, clip_frames, preprocessing)
            try:
                with closing(capture_frames(source, SourceSettings())) as frames:
                    counts = record_segments(frames, track, session, SEGMENTS[name], max_clips)
            finally:
                clips = session.close()
            print(f"{name}: {len(clips)} clip(s) " + ", ".join(
                f"{s.label.key} {s.start:g}-{s.end:g} s: {counts[i]}" for i, s in enumerate(SEGMENTS[name])))
    finally:
        track.close()
    return store.manifest


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m experiments.videos_manifest", description=__doc__.split("\n\n")[0])
    parser.add_argument("--videos", type=Path, default=DEFAULT_VIDEOS, help="folder with the four sample videos")
    parser.add_argument("--out", type=Path, required=True, help="recordings folder to write (manifest.csv inside)")
    parser.add_argument("--clip-frames", type=int, default=10,
                        help="frames per clip (default 10: one model window)")
    parser.add_argument("--max-clips", type=int, default=None, help="at most this many clips per segment")
    parser.add_argument("--weights", default=None,
                        help="checkpoint whose crop margin to use (default: weights/smile_emotion.pt if present)")
    args = parser.parse_args(argv)
    weights = args.weights or (DEFAULT_WEIGHTS if DEFAULT_WEIGHTS.is_file() else None)
    try:
        manifest = build_manifest(args.videos, args.out, args.clip_frames, args.max_clips, weights)
    except (RecordingError, SourceError, CheckpointError, DatasetError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(f"manifest: {manifest}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
