"""Recording labelled face clips: the game builds its own phase-2 (Korean) dataset.

No public set of Korean faces carries both a smile intensity and an emotion, so the game
records one, with the player's consent. Guided prompts (neutral, genuine laugh, forced
smile, holding back, sneer) each give a few short clips of face crops, never whole camera
frames, labelled with the prompt's smile target and emotion. The folder is a manifest the
trainer reads as it is (model/data/manifest.py, ``crop="none"`` or the default "auto")::

    <out>/manifest.csv                                   path,smile,emotion,subject
    <out>/<player>/<session>/session.json                prompts, times, consent time
    <out>/<player>/<session>/<prompt>_<n>/0000.png ...   one clip: PNG face crops in order

Faces are found and followed by the engine's FaceFinder and PlayerTracker and cut by the
same square crop with the checkpoint's crop margin and alignment, so a recorded crop is what
the game shows the model (at FACE_CROP_SIZE pixels, in colour, before the model's own
preprocessing).
"""
from __future__ import annotations

import csv
import math
import os
import re
import shutil
from collections import Counter
from dataclasses import dataclass, replace
from datetime import datetime
from enum import Enum
from pathlib import Path
from typing import Callable, Iterable, Sequence

import cv2
import numpy as np

from game.config import TrackingSettings
from game.i18n import text
from game.settings import data_dir, stale_temporary_files, write_json_atomic
from game.tracker import FaceFinder, PlayerFaces
from game.types import Frame
from model.checkpoint import read_checkpoint
from model.data.errors import DatasetError
from model.data.folds import read_csv_rows
from model.data.manifest import COLUMNS
from model.face import FACE_CROP_SIZE
from model.labels import EMOTIONS, emotion_index
from model.files import replaced_atomically
from model.network import ModelConfig
from model.preprocess import Preprocessing

MANIFEST_NAME = "manifest.csv"
SESSION_FILE = "session.json"
PARTIAL_SUFFIX = ".partial"   # a clip being written; renamed into place only when complete
SESSION_FORMAT = "utcham-recording-session"
# \w takes Hangul too. No dots: an ID names a folder beside manifest.csv and must never
# name a file of the store (delete --player manifest.csv would remove everyone's labels).
_PLAYER_ID = re.compile(r"[^\W_][\w-]{0,63}")


class RecordingError(RuntimeError):
    """Recording cannot go on as asked (bad player id or label, unwritable folder, nothing
    recorded); the one-line message says what to do."""


# ---------------------------------------------------------------- labels and prompts
@dataclass(frozen=True)
class Label:
    """What a clip is labelled: a name for its folders, head 1's target and head 2's class."""

    key: str
    smile: float
    emotion: str

    def __post_init__(self) -> None:
        if not 0.0 <= self.smile <= 1.0:
            raise RecordingError(f"label {self.key}: smile must be from 0 to 1, got {self.smile}")
        try:
            object.__setattr__(self, "emotion", EMOTIONS[emotion_index(self.emotion)])
        except KeyError:
            raise RecordingError(f"label {self.key}: unknown emotion {self.emotion!r} "
                                 f"(one of {', '.join(EMOTIONS)})") from None


@dataclass(frozen=True)
class Prompt:
    """One guided expression: what the player is asked to do, and the label its clips get."""

    label: Label
    title: dict[str, str]         # language -> short name
    instruction: dict[str, str]   # language -> what to do

    @property
    def key(self) -> str:
        return self.label.key


def _prompt(key: str, smile: float, emotion: str, ko: str, en: str, do_ko: str, do_en: str) -> Prompt:
    return Prompt(Label(key, smile, emotion), {"ko": ko, "en": en}, {"ko": do_ko, "en": do_en})


# Default labels: the design's table (docs/labelling.md explains the anchors).
PROMPTS: tuple[Prompt, ...] = (
    _prompt("neutral", 0.0, "neutral", "무표정", "Neutral",
            "편안한 무표정으로 카메라를 바라보세요.", "Look at the camera with a relaxed, neutral face."),
    _prompt("genuine_laugh", 0.9, "happy", "진심 웃음", "Genuine laugh",
            "정말 웃겼던 일을 떠올리고 마음껏 웃으세요.", "Think of something really funny and laugh freely."),
    _prompt("forced_smile", 0.75, "neutral", "억지 웃음", "Forced smile",
            "재미있지 않아도 사진 찍을 때처럼 이를 보이며 웃어 보세요.",
            "Smile showing your teeth, as for a photo, without finding anything funny."),
    _prompt("holding_back", 0.3, "happy", "웃음 참기", "Holding back",
            "웃긴 일을 떠올리되 입술을 다물고 웃음을 꾹 참으세요.",
            "Think of something funny, but keep your lips together and hold the laugh in."),
    _prompt("sneer", 0.55, "disgust", "비웃음", "Sneer",
            "한쪽 입꼬리만 올리고 코를 살짝 찡그려 비웃어 보세요.",
            "Sneer: raise one corner of your mouth and wrinkle your nose a little."),
)


def select_prompts(keys: Sequence[str] | None = None, overrides: Sequence[str] = ()) -> tuple[Prompt, ...]:
    """The prompts named by ``keys`` (all, in the default order, when None) with labels
    overridden by specs like ``genuine_laugh=0.8,happy``."""
    by_key = {p.key: p for p in PROMPTS}
    chosen = list(PROMPTS) if keys is None else []
    for key in keys or ():
        if key not in by_key:
            raise RecordingError(f"unknown prompt {key!r} (known: {', '.join(by_key)})")
        chosen.append(by_key[key])
    for spec in overrides:
        key, smile, emotion = parse_label_override(spec)
        if key not in by_key:
            raise RecordingError(f"--label {spec!r}: unknown prompt {key!r} (known: {', '.join(by_key)})")
        label = Label(key, smile, emotion)
        chosen = [replace(p, label=label) if p.key == key else p for p in chosen]
    if not chosen:
        raise RecordingError("no prompts to record")
    return tuple(chosen)


def parse_label_override(spec: str) -> tuple[str, float, str]:
    """'genuine_laugh=0.8,happy' -> ('genuine_laugh', 0.8, 'happy')."""
    key, sep, value = spec.partition("=")
    smile_text, comma, emotion = value.partition(",")
    try:
        smile = float(smile_text)
    except ValueError:
        smile = float("nan")
    if not sep or not comma or not key.strip() or not emotion.strip() or not 0.0 <= smile <= 1.0:
        raise RecordingError(f"--label {spec!r}: expected PROMPT=SMILE,EMOTION with SMILE from 0 to 1, "
                             "e.g. genuine_laugh=0.8,happy")
    return key.strip(), smile, emotion.strip()


def check_player(player: str) -> str:
    if not _PLAYER_ID.fullmatch(player or ""):
        raise RecordingError(f"player id {player!r}: use 1-64 letters (Hangul too), digits, '_' or '-', "
                             "starting with a letter or digit (it names a folder)")
    return player


# ---------------------------------------------------------------- where, and with what consent
def recordings_dir() -> Path:
    """``recordings`` in the game's data folder (game.settings.data_dir)."""
    return data_dir() / "recordings"


def now_iso() -> str:
    return datetime.now().astimezone().isoformat(timespec="seconds")


@dataclass(frozen=True)
class Consent:
    player: str
    given_at: str     # ISO 8601 local time with its UTC offset
    how: str          # e.g. "--i-consent flag", "answered y at the prompt", "game screen"


def consent_text(lang: str, player: str, out: Path, plan: Plan, size: int = FACE_CROP_SIZE) -> str:
    """Exactly what is saved and where, in ``lang`` ("ko" or "en")."""
    return text(lang, "rec_consent", player=player, out=out, prompts=len(plan.prompts),
                clips=plan.clips_per_prompt, seconds=round(plan.clip_s, 1), size=size)


def crop_preprocessing(weights: str | Path | None) -> Preprocessing:
    """The checkpoint's preprocessing (its crop margin is the one recorded clips must have);
    the default one when there is no checkpoint yet. CheckpointError for a bad file."""
    if weights is None:
        return Preprocessing()
    return ModelConfig.from_dict(read_checkpoint(weights)["model_config"]).preprocessing


# ---------------------------------------------------------------- the dataset folder
@dataclass
class DeleteReport:
    rows: int                    # manifest rows removed
    removed: list[Path]          # files and folders deleted
    outside: list[Path]          # rows' files left alone: they lie outside the player's folder


@dataclass
class Leftovers:
    """What a recording that was killed can leave in the recordings folder."""

    partial: list[Path]     # the clip it was in the middle of (``*.partial``)
    unlisted: list[Path]    # finished clip folders that no manifest row names
    temporary: list[Path]   # a manifest rewrite cut short (``manifest.csv.*.tmp``)

    def __bool__(self) -> bool:
        return bool(self.partial or self.unlisted or self.temporary)

    def players(self) -> Counter[str]:
        """Leftover clip folders per player folder."""
        return Counter(p.parent.parent.name for p in self.partial + self.unlisted)

    def describe(self) -> str:
        parts = [f"{len(self.partial)} unfinished clip folder(s) (*{PARTIAL_SUFFIX})" if self.partial else "",
                 f"{len(self.unlisted)} clip folder(s) with no manifest row" if self.unlisted else "",
                 f"{len(self.temporary)} temporary manifest file(s)" if self.temporary else ""]
        return ", ".join(p for p in parts if p)


class RecordingStore:
    """A recordings folder: the manifest and the clip folders it lists. Every manifest
    change rewrites the CSV atomically, so a crash never leaves a half file."""

    def __init__(self, root: str | Path):
        self.root = Path(root).expanduser()
        self.manifest = self.root / MANIFEST_NAME

    def read_rows(self) -> tuple[list[str], list[dict[str, str]]]:
        """(header, rows) of the manifest; DatasetError naming the file for a bad one."""
        if not self.manifest.exists():
            return list(COLUMNS), []
        try:
            rows = [row for _, row in read_csv_rows(self.manifest, COLUMNS)]
            if rows:
                return list(rows[0]), rows
            with self.manifest.open(newline="", encoding="utf-8-sig") as f:
                return [h.strip() for h in next(csv.reader(f), [])], rows
        except UnicodeDecodeError:
            raise DatasetError(f"{self.manifest}: not UTF-8 text (save it as \"CSV UTF-8\")") from None

    def _write_rows(self, header: list[str], rows: list[dict[str, str]]) -> None:
        with replaced_atomically(self.manifest, newline="", encoding="utf-8") as f:
            writer = csv.DictWriter(f, fieldnames=header, restval="")
            writer.writeheader()
            writer.writerows(rows)

    def append(self, rows: list[dict[str, str]]) -> None:
        """Add rows after the existing ones (which are kept as they are, extra columns too)."""
        header, existing = self.read_rows()
        self._write_rows(header, existing + rows)

    def clip_counts(self) -> Counter[str]:
        """Manifest rows per subject (player)."""
        return Counter(row["subject"] for row in self.read_rows()[1])

    def delete_player(self, player: str) -> DeleteReport:
        """Remove every manifest row of ``player``, the files those rows name and the
        player's folder (sessions, sidecars, unfinished clips). The manifest is rewritten
        first, so no row ever points at a deleted file. Nothing outside the player's own
        folder is deleted, whatever a (hand-edited) row names: it is reported instead."""
        check_player(player)
        header, rows = self.read_rows()
        gone = [r for r in rows if r["subject"] == player]
        folder = self.root / player
        if not gone and not folder.exists():
            known = ", ".join(sorted(self.clip_counts())) or "none"
            raise RecordingError(f"{self.root}: no recordings of player {player!r} (players: {known})")
        if gone:
            self._write_rows(header, [r for r in rows if r["subject"] != player])
        report = DeleteReport(rows=len(gone), removed=[], outside=[])
        own = folder.resolve()
        for target in [self.root / Path(r["path"]).expanduser() for r in gone] + [folder]:
            target = target.resolve()
            if target != own and own not in target.parents:
                if target not in report.outside:
                    report.outside.append(target)
            elif target.is_dir():
                shutil.rmtree(target)
                report.removed.append(target)
            elif target.exists():
                target.unlink()
                report.removed.append(target)
        return report

    def leftovers(self, player: str | None = None) -> Leftovers:
        """Clip folders (``<player>/<session>/<clip>``) that no manifest row names, unfinished
        clips and temporary manifest files: what a killed recording leaves behind."""
        listed = [(self.root / Path(r["path"]).expanduser()).resolve() for r in self.read_rows()[1]]
        found = Leftovers([], [], stale_temporary_files(self.root, MANIFEST_NAME) if player is None else [])
        players = [self.root / player] if player is not None else sorted(self.root.iterdir()) if self.root.is_dir() else []
        for clip in (c for folder in players if folder.is_dir() for c in sorted(folder.glob("*/*")) if c.is_dir()):
            if clip.name.endswith(PARTIAL_SUFFIX):
                found.partial.append(clip)
                continue
            here = clip.resolve()
            if not any(here == path or here in path.parents or path in here.parents for path in listed):
                found.unlisted.append(clip)
        return found

    def clean(self) -> Leftovers:
        """Remove the leftovers of killed recordings (rows and listed clips are never touched)."""
        found = self.leftovers()
        for path in found.partial + found.unlisted:
            shutil.rmtree(path, ignore_errors=True)
        for path in found.temporary:
            path.unlink(missing_ok=True)
        return found

    def new_session_folder(self, player: str) -> Path:
        stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
        folder, n = self.root / check_player(player) / stamp, 1
        while folder.exists():
            n += 1
            folder = self.root / player / f"{stamp}-{n}"
        return folder


# ---------------------------------------------------------------- clips and sessions
def write_png(path: Path, rgb: np.ndarray) -> None:
    """Lossless, and through imencode + tofile so Hangul folder names work on Windows too."""
    ok, data = cv2.imencode(".png", cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR))
    if not ok:
        raise RecordingError(f"{path}: cannot encode the face crop as PNG")
    try:
        data.tofile(str(path))
    except OSError as exc:
        raise RecordingError(f"{path}: cannot write ({exc.strerror or exc})") from None


class ClipWriter:
    """One clip being written: crops go to ``<name>.partial`` as they arrive (no clip is
    held in memory); finish() renames the folder into place, discard() removes it."""

    def __init__(self, folder: Path):
        self.folder = folder
        self.partial = folder.with_name(folder.name + PARTIAL_SUFFIX)
        try:
            self.partial.mkdir(parents=True, exist_ok=False)
        except OSError as exc:
            raise RecordingError(f"{self.partial}: cannot create the clip folder ({exc.strerror or exc})") from None
        self.frames = 0

    def add(self, crop: np.ndarray) -> None:
        write_png(self.partial / f"{self.frames:04d}.png", crop)
        self.frames += 1

    def finish(self) -> None:
        os.replace(self.partial, self.folder)

    def discard(self) -> None:
        shutil.rmtree(self.partial, ignore_errors=True)


@dataclass
class ClipRecord:
    name: str             # the clip's folder inside the session folder
    label: Label
    frames: int
    t_start: float        # source seconds of the first and last frame
    t_end: float
    recorded_at: str


class Session:
    """One player's recording session. Clips of ``clip_frames`` consecutive face crops go to
    ``<root>/<player>/<session>/``. Each clip's manifest row and the updated session.json are
    written the moment the clip is finished, so a recording that is killed loses at most the
    clip it was in the middle of (left as a ``.partial`` folder that ``list`` reports and
    ``clean`` removes). Nothing is written before the first crop arrives, and a session
    without a finished clip leaves nothing behind."""

    def __init__(self, store: RecordingStore, consent: Consent, source: str, clip_frames: int,
                 preprocessing: Preprocessing):
        """preprocessing: the checkpoint's, whose crop margin and alignment the clips were cut
        with (recorded in session.json)."""
        if clip_frames < 1:
            raise RecordingError(f"clip length must be at least 1 frame, got {clip_frames}")
        self.store, self.consent, self.source = store, consent, source
        self.clip_frames, self.preprocessing, self.crop_size = clip_frames, preprocessing, FACE_CROP_SIZE
        self.folder = store.new_session_folder(consent.player)
        self.started_at = now_iso()
        self.clips: list[ClipRecord] = []
        self._writer: ClipWriter | None = None
        self._label: Label | None = None
        self._t_start = 0.0
        self._numbers: Counter[str] = Counter()

    @property
    def frames_in_clip(self) -> int:
        return self._writer.frames if self._writer else 0

    def add_frame(self, label: Label, crop: np.ndarray, t: float) -> ClipRecord | None:
        """Add a face crop to the clip of ``label`` (starting one if needed); the finished
        clip's record when this frame completes it."""
        if crop.shape[:2] != (self.crop_size, self.crop_size):
            raise ValueError(f"expected a {self.crop_size}x{self.crop_size} crop, got {crop.shape}")
        if self._writer is not None and label != self._label:
            self.drop_clip()
        if self._writer is None:
            self._numbers[label.key] += 1
            self._writer = ClipWriter(self.folder / f"{label.key}_{self._numbers[label.key]:02d}")
            self._label, self._t_start = label, t
        self._writer.add(crop)
        if self._writer.frames < self.clip_frames:
            return None
        self._writer.finish()
        record = ClipRecord(self._writer.folder.name, label, self._writer.frames, self._t_start, t, now_iso())
        self.clips.append(record)
        self._writer = None
        self._commit(record)
        return record

    def _commit(self, clip: ClipRecord) -> None:
        """The finished clip's manifest row (one atomic rewrite) and the sidecar listing it."""
        rel = self.folder.relative_to(self.store.root).as_posix()
        try:
            self.store.append([{"path": f"{rel}/{clip.name}/", "smile": f"{clip.label.smile:g}",
                                "emotion": clip.label.emotion, "subject": self.consent.player}])
            self._write_sidecar()
        except DatasetError as exc:
            raise RecordingError(str(exc)) from None
        except OSError as exc:
            raise RecordingError(f"{self.store.manifest}: cannot add clip {rel}/{clip.name} "
                                 f"({exc.strerror or exc})") from None

    def drop_clip(self) -> None:
        """Throw away the clip being recorded (the face was lost, or the prompt changed)."""
        if self._writer is not None:
            self._writer.discard()
            self._numbers[self._label.key] -= 1
            self._writer = None

    def close(self) -> list[ClipRecord]:
        """Finish the session: drop an unfinished clip and date the sidecar (every finished
        clip is already in the manifest)."""
        self.drop_clip()
        if not self.clips:
            for folder in (self.folder, self.folder.parent):   # only if nothing else is in them
                if folder.is_dir() and not any(folder.iterdir()):
                    folder.rmdir()
            return []
        self._write_sidecar(ended=True)
        return self.clips

    def _write_sidecar(self, ended: bool = False) -> None:
        """ended_at stays null in the sidecar of a recording that was killed."""
        labels = {c.label.key: c.label for c in self.clips}
        sidecar = {
            "format": SESSION_FORMAT, "version": 1,
            "player": self.consent.player, "session": self.folder.name,
            "consent": {"given_at": self.consent.given_at, "how": self.consent.how},
            "started_at": self.started_at, "ended_at": now_iso() if ended else None, "source": self.source,
            "crop": {"margin": self.preprocessing.crop_margin, "align": self.preprocessing.align,
                     "size": self.crop_size, "format": "png", "colour": "rgb"},
            "clip_frames": self.clip_frames,
            "prompts": [{"key": k, "smile": v.smile, "emotion": v.emotion,
                         "clips": sum(c.label.key == k for c in self.clips)} for k, v in labels.items()],
            "clips": [{"path": c.name, "prompt": c.label.key, "smile": c.label.smile, "emotion": c.label.emotion,
                       "frames": c.frames, "t_start": round(c.t_start, 3), "t_end": round(c.t_end, 3),
                       "recorded_at": c.recorded_at} for c in self.clips],
        }
        write_json_atomic(self.folder / SESSION_FILE, sidecar)


# ---------------------------------------------------------------- guided prompts
class Step(str, Enum):
    PREPARE = "prepare"    # the prompt is shown; the player gets ready
    RECORD = "record"      # its clips are being recorded
    DONE = "done"


class Progress(str, Enum):
    PROMPT = "prompt"              # a new prompt is up
    RECORDING = "recording"        # its clips start now
    CLIP_SAVED = "clip_saved"
    CLIP_DROPPED = "clip_dropped"  # the face was lost mid-clip; the clip starts again
    DONE = "done"


@dataclass(frozen=True)
class Plan:
    """How a guided session runs (times are source seconds, so a file works like a camera).

    The one owner of the recording defaults and their checks: the game's recording mode
    (game/ui/recording_screen.py) records with a Plan, and ``python -m game.record`` takes its
    flags' defaults from these fields."""

    prompts: tuple[Prompt, ...] = PROMPTS
    clips_per_prompt: int = 3
    prepare_s: float = 3.0     # the prompt is shown this long before its clips start
    clip_s: float = 2.0        # one clip's length (in frames at the rate the faces arrive)

    def __post_init__(self) -> None:
        if self.clips_per_prompt < 1:
            raise RecordingError(f"clips per prompt must be at least 1, got {self.clips_per_prompt}")
        if not 0 <= self.prepare_s < math.inf:   # NaN fails this too
            raise RecordingError(f"prepare seconds must be a number >= 0, got {self.prepare_s}")
        if not 0 < self.clip_s < math.inf:
            raise RecordingError(f"clip seconds must be a positive number, got {self.clip_s}")


class GuidedRecording:
    """The prompts in order: each is shown for ``prepare_s``, then ``clips_per_prompt``
    clips of face frames are recorded; a clip in which the face is lost is dropped and
    recorded again once the face is back."""

    def __init__(self, session: Session, plan: Plan):
        self.session, self.plan = session, plan
        self.index = 0
        self.step = Step.PREPARE
        self.clips_done = 0           # of the current prompt
        self.face_seen = False        # any face at all so far
        self._since: float | None = None

    @property
    def prompt(self) -> Prompt | None:
        return self.plan.prompts[self.index] if self.step is not Step.DONE else None

    @property
    def done(self) -> bool:
        return self.step is Step.DONE

    def seconds_left(self, t: float) -> float:
        """Of the current prompt's preparation."""
        if self.step is not Step.PREPARE:
            return 0.0
        if self._since is None:
            return self.plan.prepare_s
        return max(0.0, self.plan.prepare_s - (t - self._since))

    def feed(self, t: float, crop: np.ndarray | None) -> list[Progress]:
        """One frame's face crop (None: no face) at source time ``t``."""
        if self.step is Step.DONE:
            return []
        events: list[Progress] = []
        self.face_seen |= crop is not None
        if self._since is None:
            self._since = t
            events.append(Progress.PROMPT)
        if self.step is Step.PREPARE:
            if t - self._since < self.plan.prepare_s:
                return events
            self.step = Step.RECORD
            events.append(Progress.RECORDING)
        if crop is None:
            if self.session.frames_in_clip:
                self.session.drop_clip()
                events.append(Progress.CLIP_DROPPED)
            return events
        if self.session.add_frame(self.prompt.label, crop, t) is None:
            return events
        events.append(Progress.CLIP_SAVED)
        self.clips_done += 1
        if self.clips_done == self.plan.clips_per_prompt:
            self.index, self.clips_done, self._since = self.index + 1, 0, None
            self.step = Step.PREPARE if self.index < len(self.plan.prompts) else Step.DONE
            if self.done:
                events.append(Progress.DONE)
        return events


# ---------------------------------------------------------------- frames and faces
class FaceTrack(PlayerFaces):
    """The engine's face stages (PlayerFaces) for one player, with a face finder of its own."""

    def __init__(self, preprocessing: Preprocessing, tracking: TrackingSettings):
        super().__init__(FaceFinder(preprocessing, tracking), 1, tracking)

    def observe(self, frame: Frame) -> np.ndarray | None:
        """The player's face crop in ``frame`` (None: no face)."""
        ((_, crop),) = self.follow(frame.image, self.find(frame.image))
        return crop

    def close(self) -> None:
        self.finder.close()


def record_guided(frames: Iterable[Frame], track: FaceTrack, guided: GuidedRecording,
                  on_progress: Callable[[Progress, GuidedRecording], None] | None = None) -> None:
    """Feed frames through face tracking into the guided prompts until they are done or the frames end."""
    for frame in frames:
        for event in guided.feed(frame.t_source, track.observe(frame)):
            if on_progress is not None:
                on_progress(event, guided)
        if guided.done:
            return


@dataclass(frozen=True)
class Segment:
    """A stretch of a video whose expression is known (source seconds, end excluded)."""

    start: float
    end: float
    label: Label


def record_segments(frames: Iterable[Frame], track: FaceTrack, session: Session, segments: Sequence[Segment],
                    max_clips: int | None = None) -> Counter[int]:
    """Clips from the labelled stretches of a video: frames inside a segment go into clips
    of its label; a clip never spans two segments or a lost face. Frames outside every
    segment are not even searched for a face. -> clips recorded per segment index."""
    counts: Counter[int] = Counter()
    current: int | None = None
    last_end = max(s.end for s in segments)
    for frame in frames:
        t = frame.t_source
        if t >= last_end or (max_clips is not None and all(counts[i] >= max_clips for i in range(len(segments)))):
            break
        inside = next((i for i, s in enumerate(segments) if s.start <= t < s.end), None)
        if inside != current:
            session.drop_clip()
            track.reset()
            current = inside
        if inside is None or (max_clips is not None and counts[inside] >= max_clips):
            continue
        crop = track.observe(frame)
        if crop is None:
            session.drop_clip()
        elif session.add_frame(segments[inside].label, crop, t) is not None:
            counts[inside] += 1
    session.drop_clip()
    return counts
