"""The pictures a player may keep of a laugh, written only to ``pictures_dir()``: the laugh
moment (the camera frame at the round's peak smile, a PNG, only when the player turned saving
on: key S) and the laugh replay (the round's face crops, an animated GIF: key G on the replay).
Otherwise both stay in memory and go with the round.
"""
from __future__ import annotations

import logging
from datetime import datetime
from pathlib import Path
from typing import Callable

import cv2
import numpy as np

from game.flow import GameFlow, Phase, PlayerTrack
from game.i18n import text
from game.settings import pictures_dir

log = logging.getLogger(__name__)


def save_laugh_moment(image: np.ndarray, folder: Path) -> Path:
    """Write the laugh frame as a PNG (only when the player turned saving on)."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"utcham_laugh_{datetime.now():%Y%m%d_%H%M%S}.png"
    if not cv2.imwrite(str(path), cv2.cvtColor(image, cv2.COLOR_RGB2BGR)):
        raise OSError(f"cannot write {path}")
    return path


def save_replay_gif(tracks: list[PlayerTrack], folder: Path, mirror: bool, speed: float) -> Path:
    """The replay's face crops as an animated GIF, players side by side, slowed like on screen
    (only when the player presses G)."""
    from PIL import Image

    times = sorted({t for track in tracks for t, _ in track.replay})
    if not times:
        raise OSError("no replay was kept")
    blank = np.zeros_like(next(track.replay[0][1] for track in tracks if track.replay))
    frames = []
    for t in times:
        faces = [track.replay_at(t) if track.replay else blank for track in tracks]
        frames.append(Image.fromarray(np.concatenate([f[:, ::-1] if mirror else f for f in faces], axis=1)))
    gaps = [b - a for a, b in zip(times, times[1:])] or [1 / 30]
    durations = [max(20, round(1000 * gap / speed)) for gap in gaps + gaps[-1:]]
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"utcham_replay_{datetime.now():%Y%m%d_%H%M%S}.gif"
    frames[0].save(path, save_all=True, append_images=frames[1:], duration=durations, loop=0)
    return path


class LaughPictures:
    """A round's laugh pictures: ``note`` says, in the player's language, where the last one
    was saved or why it was not ('' until one is)."""

    def __init__(self) -> None:
        self.note = ""
        self._moment_done = False   # this round's laugh moment was saved or passed over

    def new_round(self) -> None:
        self.note, self._moment_done = "", False

    def update(self, flow: GameFlow, opted_in: bool, lang: str) -> None:
        """Once the OUT flash is over, the peak frame of the player who laughed is saved, only
        if the player opted in; otherwise it stays in memory."""
        if flow.phase is not Phase.LAUGH or self._moment_done or flow.phase_time < flow.config.ui.laugh_flash_s:
            return
        self._moment_done = True
        track = flow.tracks[flow.result.losers[0]]
        if opted_in and track.peak_frame is not None:
            self._save("laugh moment", "laugh_saved", lang, lambda folder: save_laugh_moment(track.peak_frame, folder))

    def save_replay(self, tracks: list[PlayerTrack], mirror: bool, speed: float, lang: str) -> None:
        """G on the laugh replay: ``tracks`` in their order on screen, written as a GIF."""
        self._save("replay", "replay_saved", lang, lambda folder: save_replay_gif(tracks, folder, mirror, speed))

    def _save(self, what: str, saved_key: str, lang: str, write: Callable[[Path], Path]) -> None:
        try:
            path = write(pictures_dir())
        except (OSError, ValueError) as exc:
            self.note = text(lang, "laugh_save_failed", error=exc)
            log.warning("%s not saved: %s", what, exc)
            return
        self.note = text(lang, saved_key, path=path)
        log.info("%s saved to %s", what, path)
