"""Record labelled face clips for fine-tuning (see game/recording.py), list them, delete them.

    python -m game.record --player kim --source 0                  # guided prompts, webcam 0
    python -m game.record --player kim --source clip.mp4 --i-consent --prompts neutral,sneer
    python -m game.record list [--out DIR]
    python -m game.record delete --player kim [--out DIR]
    python -m game.record clean [--out DIR]      # what a killed recording left behind

Only face crops are saved, and only after the player consents (--i-consent, or y at the
prompt, which says exactly what is saved and where). Default folder: recordings/ in
$UTCHAM_DATA_DIR, else $XDG_DATA_HOME/utcham, else ~/.local/share/utcham. The game's
title menu has the same recording mode (game/ui/recording_screen.py).
"""
from __future__ import annotations

import os

os.environ.setdefault("OPENCV_LOG_LEVEL", "SILENT")
os.environ.setdefault("OPENCV_FFMPEG_LOGLEVEL", "-8")

import argparse  # noqa: E402
import signal  # noqa: E402
import sys  # noqa: E402
from contextlib import closing  # noqa: E402
from dataclasses import replace  # noqa: E402
from pathlib import Path  # noqa: E402
from typing import Callable  # noqa: E402

from game.capture import SourceError, SourceState, SourceStatus, capture_frames, open_source  # noqa: E402
from game.config import ConfigError, load_config  # noqa: E402
from game.recording import (PROMPTS, Consent, FaceTrack, GuidedRecording, Plan, Progress,  # noqa: E402
                            RecordingError, RecordingStore, Session, check_player, consent_text,
                            crop_preprocessing, now_iso, record_guided, recordings_dir,
                            select_prompts)
from game.settings import remove_stale_temporary_files  # noqa: E402
from model.checkpoint import CheckpointError  # noqa: E402
from model.data.errors import DatasetError  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_WEIGHTS = ROOT / "weights" / "smile_emotion.pt"
COMMANDS = ("record", "list", "delete", "clean")
YES = ("y", "yes", "예", "네", "응")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m game.record", description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter,
                                     epilog=__doc__.split("\n\n", 1)[1])
    commands = parser.add_subparsers(dest="command", required=True)
    rec = commands.add_parser("record", help="record guided clips (the default command)")
    rec.add_argument("--player", required=True, help="player id: names the folder and the manifest's subject")
    rec.add_argument("--source", default="0", help="camera index, video file or image folder (default: camera 0)")
    rec.add_argument("--out", type=Path, default=None, help=f"recordings folder (default: {recordings_dir()})")
    rec.add_argument("--i-consent", action="store_true",
                     help="the player has read the consent text and agrees (otherwise asked interactively)")
    rec.add_argument("--prompts", default=None,
                     help=f"comma-separated prompts, in order (default: all: {','.join(p.key for p in PROMPTS)})")
    rec.add_argument("--label", action="append", default=[], metavar="PROMPT=SMILE,EMOTION",
                     help="override a prompt's label, e.g. genuine_laugh=0.8,happy (repeatable)")
    # The defaults are the Plan's (game/recording.py), as the game's recording mode records.
    rec.add_argument("--clips", type=int, default=Plan.clips_per_prompt, help="clips per prompt (default %(default)g)")
    rec.add_argument("--clip-seconds", type=float, default=Plan.clip_s, help="clip length in seconds (default %(default)g)")
    rec.add_argument("--clip-frames", type=int, default=None, help="clip length in frames (overrides --clip-seconds)")
    rec.add_argument("--prepare-seconds", type=float, default=Plan.prepare_s,
                     help="time to get ready after each prompt is shown (default %(default)g)")
    rec.add_argument("--weights", default=None,
                     help="checkpoint whose crop margin the crops use (default: weights/smile_emotion.pt if present)")
    rec.add_argument("--config", default=None, help="game settings YAML for tracking and camera (default: built-in)")
    for name, help_text in (("list", "players and their clip counts"),
                            ("delete", "delete all clips and manifest rows of a player"),
                            ("clean", "remove unfinished clips and clip folders without a manifest row")):
        sub = commands.add_parser(name, help=help_text)
        sub.add_argument("--out", type=Path, default=None, help=f"recordings folder (default: {recordings_dir()})")
        if name == "delete":
            sub.add_argument("--player", required=True)
    return parser


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    argv = list(sys.argv[1:] if argv is None else argv)
    if not argv or (argv[0] not in COMMANDS and argv[0] not in ("-h", "--help")):
        argv.insert(0, "record")   # recording is the default command
    args = build_parser().parse_args(argv)
    args.out = (args.out or recordings_dir()).expanduser()
    return args


def ask_consent(text: str, ask: Callable[[str], str] = input) -> bool:
    """The player reads what is saved and answers; anything but yes (or no terminal) is no."""
    print(text, flush=True)
    try:
        return ask("동의하십니까? / Do you consent? [y/N] ").strip().lower() in YES
    except EOFError:
        return False


def plan_for(args: argparse.Namespace, camera_fps: int) -> Plan:
    """The Plan the flags ask for; a bad value is an error naming its flag. A length in
    frames (--clip-frames) is told in seconds at the camera's rate, as the consent text says
    it before the camera is opened."""
    prompts = select_prompts(args.prompts.split(",") if args.prompts else None, args.label)
    if args.clip_frames is not None and args.clip_frames < 1:
        raise RecordingError(f"--clip-frames must be at least 1, got {args.clip_frames}")
    seconds = args.clip_frames / camera_fps if args.clip_frames is not None else args.clip_seconds
    plan = Plan(prompts)
    for flag, name, value in (("--prepare-seconds", "prepare_s", args.prepare_seconds),
                              ("--clips", "clips_per_prompt", args.clips), ("--clip-seconds", "clip_s", seconds)):
        try:
            plan = replace(plan, **{name: value})   # Plan checks each value
        except RecordingError as exc:
            raise RecordingError(f"{flag}: {exc}") from None
    return plan


def clip_frames_for(args: argparse.Namespace, plan: Plan, fps: float) -> int:
    if args.clip_frames is not None:
        return args.clip_frames
    return max(1, round(plan.clip_s * fps))


def describe(event: Progress, guided: GuidedRecording) -> str | None:
    prompt, plan = guided.prompt, guided.plan
    if event is Progress.PROMPT:
        return (f"\n[{guided.index + 1}/{len(plan.prompts)}] {prompt.title['ko']} · {prompt.title['en']}  "
                f"(smile {prompt.label.smile:g}, {prompt.label.emotion})\n  {prompt.instruction['ko']}\n"
                f"  {prompt.instruction['en']}\n  {plan.prepare_s:g} s to get ready...")
    if event is Progress.RECORDING:
        return f"  recording {plan.clips_per_prompt} clip(s)"
    if event is Progress.CLIP_SAVED:
        clip = guided.session.clips[-1]
        return f"  saved {clip.name} ({clip.frames} frames, {clip.t_start:.2f}-{clip.t_end:.2f} s)"
    if event is Progress.CLIP_DROPPED:
        return "  face lost: clip dropped, recording it again when the face is back"
    return None


def run_record(args: argparse.Namespace, ask: Callable[[str], str] = input) -> int:
    player = check_player(args.player)
    config = load_config(args.config)
    plan = plan_for(args, config.source.camera_fps)
    weights = args.weights or (DEFAULT_WEIGHTS if DEFAULT_WEIGHTS.is_file() else None)
    preprocessing = crop_preprocessing(weights)   # a bad checkpoint stops us before anything is asked
    store = RecordingStore(args.out)
    store.read_rows()   # a manifest that cannot be appended to stops us before anything is recorded
    for stale in remove_stale_temporary_files(store.manifest):
        print(f"removed {stale} (an unfinished manifest update of a recording that was killed)")
    texts = [consent_text(lang, player, store.root, plan) for lang in ("ko", "en")]
    if args.i_consent:
        print("\n\n".join(texts), flush=True)
        consent = Consent(player, now_iso(), "--i-consent flag")
    elif ask_consent("\n\n".join(texts), ask):
        consent = Consent(player, now_iso(), "answered yes at the prompt")
    else:
        print("error: no consent given: nothing was recorded or saved", file=sys.stderr)
        return 2

    track = FaceTrack(preprocessing, config.tracking)
    try:   # only now, with consent, is the camera opened
        source = open_source(args.source, config.source)
    except SourceError:
        track.close()
        raise
    print(f"crop margin {preprocessing.crop_margin:g}{', eyes levelled' if preprocessing.align else ''} "
          f"({'from ' + str(weights) if weights else 'default: no checkpoint yet'}); source {source.name}")
    session = Session(store, consent, source.name, clip_frames_for(args, plan, source.fps), preprocessing)
    guided = GuidedRecording(session, plan)

    def on_progress(event: Progress, g: GuidedRecording) -> None:
        line = describe(event, g)
        if line:
            print(line, flush=True)

    interrupted, failed = False, None
    previous = signal.signal(signal.SIGTERM, stop_on_sigterm)
    try:
        with closing(capture_frames(source, config.source, report_source)) as frames:
            record_guided(frames, track, guided, on_progress)
    except KeyboardInterrupt:
        interrupted = True
        print("\nstopped: keeping the finished clips", file=sys.stderr)
    except SourceError as exc:
        failed = exc
    finally:
        signal.signal(signal.SIGTERM, previous)
        track.close()
        clips = session.close()   # finished clips are kept whatever stopped the recording
    if failed is not None:
        kept = f" (kept {len(clips)} finished clip(s) in {session.folder})" if clips else ""
        print(f"error: {failed}{kept}", file=sys.stderr)
        return 2
    if not clips:
        reason = "no face found" if not guided.face_seen else "no clip was completed (face lost or source ended)"
        print(f"error: {source.name}: {reason}: nothing recorded", file=sys.stderr)
        return 2
    counts = store.clip_counts()
    print(f"\nsaved {len(clips)} clip(s) of player {player} to {session.folder}"
          f"{'' if guided.done or interrupted else ' (the source ended before the last prompt)'}\n"
          f"{store.manifest}: {sum(counts.values())} clip(s) of {len(counts)} player(s)\n"
          f"delete them any time: python -m game.record delete --player {player} --out {store.root}")
    return 0


def stop_on_sigterm(signum: int, frame: object) -> None:
    """SIGTERM (a logout, ``kill``) stops a recording like Ctrl+C: the clip being recorded is
    dropped, the finished ones are kept."""
    raise KeyboardInterrupt


def report_source(state: SourceState) -> None:
    if state.status in (SourceStatus.LOST, SourceStatus.RUNNING) and state.message:
        print(f"source: {state.message}", file=sys.stderr, flush=True)


def run_list(args: argparse.Namespace) -> int:
    store = RecordingStore(args.out)
    counts = store.clip_counts()
    leftovers = store.leftovers()
    if not counts:
        print(f"{store.root}: no recordings")
    else:
        width = max(len(p) for p in counts)
        for player, n in sorted(counts.items()):
            print(f"{player:<{width}}  {n} clip(s)")
        print(f"{store.manifest}: {sum(counts.values())} clip(s) of {len(counts)} player(s)")
    if leftovers:
        where = ", ".join(f"{player} {n}" for player, n in sorted(leftovers.players().items()))
        print(f"note: {store.root}: {leftovers.describe()} left by a recording that was stopped"
              f"{f' (clip folders per player: {where})' if where else ''}; not in the manifest, so not "
              f"used for training; remove them: python -m game.record clean --out {store.root}", file=sys.stderr)
    return 0


def run_delete(args: argparse.Namespace) -> int:
    store = RecordingStore(args.out)
    check_player(args.player)
    leftovers = store.leftovers(args.player)
    report = store.delete_player(args.player)
    print(f"deleted player {args.player}: {report.rows} manifest row(s), {len(report.removed)} folder(s)/file(s)"
          f"{f' (with {leftovers.describe()})' if leftovers else ''}")
    for path in report.outside:
        print(f"note: {path} is outside {args.out / args.player} and was not deleted", file=sys.stderr)
    return 0


def run_clean(args: argparse.Namespace) -> int:
    removed = RecordingStore(args.out).clean()
    print(f"{args.out}: removed {removed.describe()}" if removed else f"{args.out}: nothing to clean")
    return 0


def main(argv: list[str] | None = None, ask: Callable[[str], str] = input) -> int:
    args = parse_args(argv)
    try:
        if args.command == "list":
            return run_list(args)
        if args.command == "clean":
            return run_clean(args)
        if args.command == "delete":
            return run_delete(args)
        return run_record(args, ask)
    except (RecordingError, SourceError, ConfigError, CheckpointError, DatasetError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
