"""Frame sources (webcam, video file, image folder) and the capture thread.

A source hands out RGB frames; the capture thread stamps each with its capture
time and puts it into a LatestSlot. For a camera (or a file played in real time)
the slot keeps only the newest frame, so a slow consumer never works through a
backlog: stale frames are dropped. For a deterministic file run the slot is
lossless instead: the reader waits until the consumer has taken the frame.
"""
from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from enum import Enum
from pathlib import Path
from typing import Callable, Generic, Iterator, Protocol, TypeVar

import cv2
import numpy as np

from game.config import SourceSettings
from game.types import Frame
from model.data.images import natural_key

IMAGE_SUFFIXES = (".jpg", ".jpeg", ".png", ".bmp", ".webp")
# A webcam occasionally returns one bad read; reopening costs a second, so a camera
# counts as lost only after this many failed reads in a row.
FAILED_READS_BEFORE_LOST = 5

T = TypeVar("T")


class SourceError(RuntimeError):
    """A source that cannot be opened or read; the message names it and says what to do."""


class FrameSource(Protocol):
    name: str
    live: bool      # a camera: frames arrive in real time and the newest one matters
    fps: float

    def read(self) -> tuple[np.ndarray, float] | None:
        """-> (RGB uint8 frame, seconds since the source started), or None at the end
        of a file / on a failed camera read. Raises SourceError for a broken file."""

    def reopen(self) -> None:
        """Try to open the device again (live sources); raises SourceError on failure."""

    def close(self) -> None: ...


def _open_camera(index: int, settings: SourceSettings) -> cv2.VideoCapture:
    cap = cv2.VideoCapture(index)
    if cap.isOpened():
        cap.set(cv2.CAP_PROP_BUFFERSIZE, 1)  # the driver queues no stale frames
        cap.set(cv2.CAP_PROP_FRAME_WIDTH, settings.camera_width)
        cap.set(cv2.CAP_PROP_FRAME_HEIGHT, settings.camera_height)
        cap.set(cv2.CAP_PROP_FPS, settings.camera_fps)
        if cap.read()[0]:
            return cap
    cap.release()
    raise SourceError(f"no camera found at index {index} (unplugged, or in use by another program); "
                      f"to play from a video instead use --source FILE")


class CameraSource:
    live = True

    def __init__(self, index: int, settings: SourceSettings):
        self.index, self.settings = index, settings
        self.name = f"camera {index}"
        self._cap = _open_camera(index, settings)
        self.fps = float(self._cap.get(cv2.CAP_PROP_FPS) or settings.camera_fps)
        self._t0 = time.monotonic()

    def read(self) -> tuple[np.ndarray, float] | None:
        ok, bgr = self._cap.read()
        if not ok or bgr is None:
            return None
        return cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB), time.monotonic() - self._t0

    def reopen(self) -> None:
        self._cap.release()
        self._cap = _open_camera(self.index, self.settings)

    def close(self) -> None:
        self._cap.release()


class VideoFileSource:
    """A video file, frame by frame; t = frame index / fps."""

    live = False

    def __init__(self, path: str | Path):
        self.path = Path(path)
        self.name = str(self.path)
        if not self.path.is_file():
            raise SourceError(f"{self.path}: no such video file")
        self._cap = cv2.VideoCapture(str(self.path))
        ok, first = self._cap.read() if self._cap.isOpened() else (False, None)
        if not ok or first is None:
            self._cap.release()
            raise SourceError(f"{self.path}: cannot read as a video (corrupt or unsupported format)")
        self._pending: np.ndarray | None = first  # read above to check the file
        self.fps = float(self._cap.get(cv2.CAP_PROP_FPS) or 0) or 30.0
        self.frame_count = int(self._cap.get(cv2.CAP_PROP_FRAME_COUNT) or 0)
        self._index = 0

    def read(self) -> tuple[np.ndarray, float] | None:
        if self._pending is not None:
            bgr, self._pending = self._pending, None
        else:
            ok, bgr = self._cap.read()
            if not ok or bgr is None:
                # Container frame counts can be off by a frame or two; a larger gap is a broken file.
                if self.frame_count and self._index < self.frame_count - 2:
                    raise SourceError(f"{self.path}: video stops at frame {self._index} of "
                                      f"{self.frame_count} (truncated or corrupt)")
                return None
        t = self._index / self.fps
        self._index += 1
        return cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB), t

    def reopen(self) -> None:
        raise SourceError(f"{self.path}: a video file cannot be reopened")

    def close(self) -> None:
        self._cap.release()


class ImageFolderSource:
    """The images of a folder in natural name order (frame2 before frame10), as frames at ``fps``."""

    live = False

    def __init__(self, folder: str | Path, fps: float):
        self.folder = Path(folder)
        self.name = str(self.folder)
        self.fps = fps
        self.paths = sorted((p for p in self.folder.iterdir() if p.suffix.lower() in IMAGE_SUFFIXES), key=natural_key)
        if not self.paths:
            raise SourceError(f"{self.folder}: no images ({', '.join(IMAGE_SUFFIXES)}) in this folder")
        self._index = 0

    def read(self) -> tuple[np.ndarray, float] | None:
        if self._index >= len(self.paths):
            return None
        path = self.paths[self._index]
        bgr = cv2.imread(str(path), cv2.IMREAD_COLOR)
        if bgr is None:
            raise SourceError(f"{path}: cannot read image (corrupt or not an image)")
        t = self._index / self.fps
        self._index += 1
        return cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB), t

    def reopen(self) -> None:
        raise SourceError(f"{self.folder}: an image folder cannot be reopened")

    def close(self) -> None:
        pass


def parse_source(spec: str | int | Path) -> int | Path:
    """'0' -> camera index 0; anything else is a path."""
    if isinstance(spec, int):
        return spec
    return int(spec) if str(spec).strip().isdigit() else Path(spec)


def open_source(spec: str | int | Path, settings: SourceSettings) -> FrameSource:
    path = parse_source(spec)
    if isinstance(path, int):
        return CameraSource(path, settings)
    if path.is_dir():
        return ImageFolderSource(path, settings.folder_fps)
    if not path.exists():
        raise SourceError(f"{path}: no such video file or image folder")
    return VideoFileSource(path)


def frames_in_order(source: FrameSource, max_frames: int | None = None) -> Iterator[Frame]:
    """Every frame of ``source`` in order, read on the calling thread (CaptureThread is the
    threaded reader); the source is closed when they end or the caller stops."""
    try:
        index = 0
        while max_frames is None or index < max_frames:
            got = source.read()
            if got is None:
                return
            image, t_source = got
            yield Frame.captured(image, index, t_source)
            index += 1
    finally:
        source.close()


class LatestSlot(Generic[T]):
    """A one-item hand-over between two threads.

    drop=True: put() replaces an item not yet taken (counted in ``dropped``), so the
    consumer always gets the newest. drop=False: put() waits until the item is taken.
    After close(), get() drains what is left and then returns None."""

    def __init__(self, drop: bool = True):
        self.drop = drop
        self.dropped = 0
        self._item: T | None = None
        self._closed = False
        self._cond = threading.Condition()

    def put(self, item: T) -> bool:
        """False when the slot was closed (the consumer has stopped)."""
        with self._cond:
            if not self.drop:
                while self._item is not None and not self._closed:
                    self._cond.wait(0.1)
            if self._closed:
                return False
            if self._item is not None:
                self.dropped += 1
            self._item = item
            self._cond.notify_all()
            return True

    def get(self, timeout: float | None = None) -> T | None:
        """The newest item, or None on timeout / once closed and empty."""
        with self._cond:
            if self._item is None and not self._closed:
                self._cond.wait(timeout)
            item, self._item = self._item, None
            self._cond.notify_all()
            return item

    def close(self) -> None:
        with self._cond:
            self._closed = True
            self._cond.notify_all()

    @property
    def finished(self) -> bool:
        """Closed and nothing left to take."""
        with self._cond:
            return self._closed and self._item is None


class SourceStatus(str, Enum):
    RUNNING = "running"
    LOST = "lost"          # camera gone, reopening with backoff
    ENDED = "ended"        # end of file / folder
    FAILED = "failed"      # unreadable source; message says why
    STOPPED = "stopped"    # stopped by the caller


@dataclass(frozen=True)
class SourceState:
    status: SourceStatus
    message: str = ""


class CaptureThread(threading.Thread):
    """Reads ``source`` into ``slot`` until the source ends, fails, or stop() is called.

    ``realtime`` paces a file at its fps (frames then drop as a camera's would);
    a live source is always real time. A lost camera is reopened with exponential
    backoff; every change of state goes to ``on_state``."""

    def __init__(self, source: FrameSource, slot: LatestSlot[Frame], settings: SourceSettings,
                 realtime: bool = True, on_state: Callable[[SourceState], None] | None = None):
        super().__init__(name="capture", daemon=True)
        self.source, self.slot, self.settings = source, slot, settings
        self.realtime = realtime or source.live
        self.on_state = on_state
        self.state = SourceState(SourceStatus.RUNNING)
        self.frames_read = 0
        self._stop_event = threading.Event()

    def stop(self) -> None:
        self._stop_event.set()
        self.slot.close()

    def _report(self, status: SourceStatus, message: str = "") -> None:
        self.state = SourceState(status, message)
        if self.on_state:
            self.on_state(self.state)

    def run(self) -> None:
        try:
            self._loop()
        except SourceError as exc:
            self._report(SourceStatus.FAILED, str(exc))
        except Exception as exc:  # an unexpected decoder error must end the run, not hang it
            self._report(SourceStatus.FAILED, f"{self.source.name}: {type(exc).__name__}: {exc}")
        finally:
            if self.state.status in (SourceStatus.RUNNING, SourceStatus.LOST):
                self._report(SourceStatus.STOPPED)  # by stop(), or the consumer closed the slot
            self.slot.close()
            self.source.close()

    def _loop(self) -> None:
        start = time.monotonic()
        failed_reads = 0
        while not self._stop_event.is_set():
            got = self.source.read()
            if got is None:
                if not self.source.live:
                    self._report(SourceStatus.ENDED, f"{self.source.name}: end after {self.frames_read} frames")
                    return
                failed_reads += 1
                if failed_reads >= FAILED_READS_BEFORE_LOST and not self._reconnect():
                    return
                continue
            failed_reads = 0
            image, t_source = got
            if self.realtime and not self.source.live:
                # Wait for the moment this frame would come out of a camera.
                if self._stop_event.wait(max(0.0, start + t_source - time.monotonic())):
                    return
            frame = Frame.captured(image, self.frames_read, t_source)
            self.frames_read += 1
            if not self.slot.put(frame):
                return

    def _reconnect(self) -> bool:
        """Reopen a lost camera, waiting longer after each failure. False if stopped meanwhile."""
        delay = self.settings.reconnect_first_s
        attempt = 0
        while True:
            attempt += 1
            self._report(SourceStatus.LOST, f"{self.source.name} lost; reconnecting (attempt {attempt}, "
                                            f"next in {delay:.2g} s)")
            if self._stop_event.wait(delay):
                return False
            try:
                self.source.reopen()
            except SourceError:
                delay = min(delay * 2, self.settings.reconnect_max_s)
                continue
            self._report(SourceStatus.RUNNING, f"{self.source.name} reconnected")
            return True


def capture_frames(source: FrameSource, settings: SourceSettings,
                   on_state: Callable[[SourceState], None] | None = None) -> Iterator[Frame]:
    """Frames read on a CaptureThread, for a caller without the engine (recording): every
    frame of a file, in order; the newest frames of a camera, which the thread reopens when it
    is lost. SourceError when the source fails mid-way."""
    slot: LatestSlot[Frame] = LatestSlot(drop=source.live)
    capture = CaptureThread(source, slot, settings, realtime=False, on_state=on_state)
    capture.start()
    try:
        while True:
            frame = slot.get(timeout=0.5)
            if frame is not None:
                yield frame
            elif slot.finished:
                break
    finally:
        capture.stop()
        capture.join(1.0)
    if capture.state.status is SourceStatus.FAILED:
        raise SourceError(capture.state.message)
