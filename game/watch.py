"""The watch pane: the player's own funny clips, played beside the camera view.

Nothing is bundled: the player names a video file or a folder of clips
(``--watch PATH`` or by dropping it on the window). A thread decodes at the
clip's own frame rate and keeps only the newest frame, so the 60 fps UI never
waits on the decoder. Clips play one after another and loop. Picture only: the
clips' sound is not played. ``WatchPane`` is the pane as the window keeps it (what
plays, whether it is shown); ``WatchPlayer`` plays the clips.
"""
from __future__ import annotations

import threading
import time
from pathlib import Path

import cv2
import numpy as np

VIDEO_SUFFIXES = {".mp4", ".m4v", ".mov", ".avi", ".mkv", ".webm", ".mpg", ".mpeg", ".wmv"}


class WatchError(ValueError):
    """A watch path with nothing playable; the message names the path."""


def list_clips(path: str | Path) -> list[Path]:
    """The video files at ``path`` (one file, or a folder's videos in name order)."""
    path = Path(path).expanduser()
    if path.is_file():
        return [path]
    if path.is_dir():
        clips = sorted(p for p in path.iterdir() if p.is_file() and p.suffix.lower() in VIDEO_SUFFIXES)
        if not clips:
            raise WatchError(f"{path}: no video files in this folder ({', '.join(sorted(VIDEO_SUFFIXES))})")
        return clips
    raise WatchError(f"{path}: no such file or folder")


class WatchPlayer:
    """Plays ``clips`` in a loop on a thread; ``latest()`` is the newest RGB frame (or None)."""

    def __init__(self, clips: list[Path]):
        self.clips = clips
        self.problems: list[str] = []     # clips that could not be decoded, one line each
        self.current: Path | None = None
        self._frame: np.ndarray | None = None
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    @classmethod
    def open(cls, path: str | Path) -> "WatchPlayer":
        """Check the path and the first clip now, so a bad path is reported at once."""
        clips = list_clips(path)
        cap = cv2.VideoCapture(str(clips[0]))
        ok = cap.isOpened() and cap.read()[0]
        cap.release()
        if not ok and len(clips) == 1:
            raise WatchError(f"{clips[0]}: not a readable video")
        return cls(clips)

    @property
    def name(self) -> str:
        return (self.current or self.clips[0]).name

    def start(self) -> "WatchPlayer":
        self._thread = threading.Thread(target=self._run, name="watch-player", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=1.0)

    def latest(self) -> np.ndarray | None:
        with self._lock:
            return self._frame

    def _run(self) -> None:
        while not self._stop.is_set():
            played = sum(self._play(clip) for clip in self.clips if not self._stop.is_set())
            if not played:   # nothing decodes: stop trying instead of spinning
                return

    def _play(self, clip: Path) -> bool:
        cap = cv2.VideoCapture(str(clip))
        try:
            fps = cap.get(cv2.CAP_PROP_FPS)
            period = 1.0 / fps if 1 <= fps <= 240 else 1 / 30
            self.current, frames, next_at = clip, 0, time.monotonic()
            while not self._stop.is_set():
                ok, bgr = cap.read()
                if not ok:
                    break
                frames += 1
                rgb = cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB)
                with self._lock:
                    self._frame = rgb
                next_at += period
                self._stop.wait(max(0.0, next_at - time.monotonic()))
            if frames == 0 and f"{clip}: not a readable video" not in self.problems:
                self.problems.append(f"{clip}: not a readable video")
            return frames > 0
        finally:
            cap.release()


class WatchPane:
    """The pane as the window keeps it: the clips playing (none until a path is given) and
    whether the player shows them (key W)."""

    def __init__(self) -> None:
        self.player: WatchPlayer | None = None
        self.visible = True

    def open(self, path: str | Path) -> WatchPlayer:
        """Play ``path`` in place of what played, shown; WatchError (and nothing changes) if it
        holds nothing playable."""
        player = WatchPlayer.open(path)
        self.stop()
        self.player, self.visible = player.start(), True
        return player

    def toggle(self) -> None:
        self.visible = not self.visible

    def view(self) -> dict:
        """What the screen shows of the pane (ScreenState's ``watch_*`` fields)."""
        player = self.player
        return {"watch_frame": player.latest() if player else None, "watch_name": player.name if player else "",
                "watch_count": len(player.clips) if player else 0, "watch_visible": self.visible}

    def stop(self) -> None:
        if self.player is not None:
            self.player.stop()
