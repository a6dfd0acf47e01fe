"""The recordings folder loses nothing: player IDs are plain names, delete touches only that
player's rows and clips, and a recording killed mid-way leaves every finished clip in the
manifest (real signals on a real `python -m game.record` process)."""
import csv
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import cv2
import numpy as np
import pytest

from game.record import main
from game.recording import PARTIAL_SUFFIX, RecordingError, RecordingStore, check_player

REPO = Path(__file__).resolve().parents[1]


def manifest_rows(out: Path) -> list[dict]:
    with (out / "manifest.csv").open(newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


def two_players(out: Path) -> None:
    out.mkdir(parents=True)
    for player in ("kim", "lee"):
        (out / player / "s1" / "neutral_01").mkdir(parents=True)
        (out / player / "s1" / "neutral_01" / "0000.png").write_bytes(b"png")
    (out / "manifest.csv").write_text("path,smile,emotion,subject\nkim/s1/neutral_01/,0,neutral,kim\n"
                                      "lee/s1/neutral_01/,0,neutral,lee\n", encoding="utf-8")


# ---------------------------------------------------------------- player IDs and delete
@pytest.mark.parametrize("player", ["manifest.csv", "kim.lee", ".", "..", "a/b", "-x", "_x", "", "x" * 65])
def test_player_ids_that_are_not_plain_names_are_refused(player):
    with pytest.raises(RecordingError, match="player id"):
        check_player(player)


@pytest.mark.parametrize("player", ["kim", "민수", "kim_2", "a-b", "P1"])
def test_plain_player_ids_are_accepted(player):
    assert check_player(player) == player


def test_deleting_a_player_named_like_the_manifest_keeps_everyones_labels(tmp_path, capsys):
    out = tmp_path / "rec"
    two_players(out)
    before = (out / "manifest.csv").read_bytes()
    assert main(["delete", "--player", "manifest.csv", "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: player id 'manifest.csv'") and err.count("\n") == 1
    assert (out / "manifest.csv").read_bytes() == before
    assert (out / "kim" / "s1" / "neutral_01" / "0000.png").exists()


def test_delete_leaves_another_players_clip_that_a_row_points_at(tmp_path, capsys):
    out = tmp_path / "rec"
    two_players(out)
    with (out / "manifest.csv").open("a", encoding="utf-8") as f:   # a hand-edited row
        f.write("lee/s1/neutral_01/,0.5,happy,kim\nmanifest.csv,0,neutral,kim\n")
    assert main(["delete", "--player", "kim", "--out", str(out)]) == 0
    assert not (out / "kim").exists()
    assert (out / "lee" / "s1" / "neutral_01" / "0000.png").exists()
    assert [r["subject"] for r in manifest_rows(out)] == ["lee"]
    err = capsys.readouterr().err
    assert "lee/s1/neutral_01" in err and "not deleted" in err


# ---------------------------------------------------------------- a recording that is killed
def start_recording(out: Path, video: Path) -> subprocess.Popen:
    """A real recording process: every prompt, 20 clips of 5 frames each (more than the video holds)."""
    argv = [sys.executable, "-m", "game.record", "--player", "kim", "--source", str(video), "--out", str(out),
            "--i-consent", "--clips", "20", "--clip-frames", "5", "--prepare-seconds", "0"]
    return subprocess.Popen(argv, cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env={**os.environ, "OMP_NUM_THREADS": "1"})


def wait_for_rows(process: subprocess.Popen, out: Path, rows: int, timeout: float = 120.0) -> int:
    """Manifest rows once at least ``rows`` are there while the recording still runs."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and process.poll() is None:
        try:
            n = len(manifest_rows(out))
        except FileNotFoundError:
            n = 0
        if n >= rows:
            return n
        time.sleep(0.01)
    process.kill()
    stdout, stderr = process.communicate()
    pytest.fail(f"no {rows} manifest rows while recording (exit {process.returncode}): "
                f"{sorted(p.relative_to(out).as_posix() for p in out.glob('kim/*/*'))} {stderr[-500:]}")


def clip_folders(out: Path) -> set[str]:
    return {f"{p.relative_to(out).as_posix()}/" for p in out.glob("kim/*/*") if p.is_dir()
            and not p.name.endswith(PARTIAL_SUFFIX)}


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGKILL], ids=["SIGTERM", "SIGKILL"])
def test_a_killed_recording_keeps_a_manifest_row_for_every_finished_clip(videos_dir, tmp_path, capsys, sig):
    out = tmp_path / "rec"
    process = start_recording(out, videos_dir / "neutral_blinks.mp4")
    wait_for_rows(process, out, 3)
    process.send_signal(sig)
    stdout, stderr = process.communicate(timeout=30)
    assert "Traceback" not in stderr
    rows = {r["path"] for r in manifest_rows(out)}
    folders = clip_folders(out)
    assert len(rows) >= 3 and rows <= folders
    capsys.readouterr()
    assert main(["list", "--out", str(out)]) == 0
    listed = capsys.readouterr()
    assert f"kim  {len(rows)} clip(s)" in listed.out
    partial = [p for p in out.glob("kim/*/*") if p.name.endswith(PARTIAL_SUFFIX)]
    if sig == signal.SIGTERM:
        # stopped like Ctrl+C: the clip being recorded is dropped, the session is closed
        assert process.returncode == 0 and "stopped: keeping the finished clips" in stderr
        assert rows == folders and not partial and listed.err == ""
    else:
        # SIGKILL can land between a clip's folder being renamed into place and its row:
        # at most that one clip lacks a row, and `list` says what is left over and how to clean it
        assert len(folders - rows) <= 1
        if partial or folders - rows:
            assert "left by a recording that was stopped" in listed.err and "game.record clean" in listed.err
            assert (f"{len(partial)} unfinished clip folder(s)" in listed.err) == bool(partial)
    assert main(["clean", "--out", str(out)]) == 0
    assert clip_folders(out) == rows and not list(out.rglob(f"*{PARTIAL_SUFFIX}"))
    assert {r["path"] for r in manifest_rows(out)} == rows
    capsys.readouterr()
    assert main(["list", "--out", str(out)]) == 0 and capsys.readouterr().err == ""


def test_list_reports_and_clean_removes_what_a_killed_recording_left(tmp_path, capsys):
    out = tmp_path / "rec"
    two_players(out)
    (out / "kim" / "s1" / "sneer_01.partial").mkdir()
    (out / "kim" / "s1" / "sneer_01.partial" / "0000.png").write_bytes(b"png")
    (out / "kim" / "s2" / "neutral_01").mkdir(parents=True)          # finished, but no row
    (out / "kim" / "s2" / "neutral_01" / "0000.png").write_bytes(b"png")
    stale = out / "manifest.csv.abc123.tmp"
    stale.write_text("path,smile", encoding="utf-8")
    os.utime(stale, (time.time() - 3600, time.time() - 3600))
    fresh = out / "manifest.csv.def456.tmp"                            # another recording writing now
    fresh.write_text("path,smile", encoding="utf-8")
    assert main(["list", "--out", str(out)]) == 0
    err = capsys.readouterr().err
    assert ("1 unfinished clip folder(s) (*.partial), 1 clip folder(s) with no manifest row, "
            "1 temporary manifest file(s)") in err and "kim 2" in err and err.count("\n") == 1
    assert main(["clean", "--out", str(out)]) == 0
    assert not (out / "kim" / "s1" / "sneer_01.partial").exists() and not (out / "kim" / "s2" / "neutral_01").exists()
    assert not stale.exists() and fresh.exists()
    assert (out / "kim" / "s1" / "neutral_01" / "0000.png").exists() and (out / "lee" / "s1" / "neutral_01").exists()
    assert len(manifest_rows(out)) == 2


def test_delete_says_it_removed_a_players_leftovers(tmp_path, capsys):
    out = tmp_path / "rec"
    two_players(out)
    (out / "kim" / "s1" / "sneer_01.partial").mkdir()
    assert main(["delete", "--player", "kim", "--out", str(out)]) == 0
    assert "with 1 unfinished clip folder(s)" in capsys.readouterr().out
    assert not (out / "kim").exists() and (out / "lee" / "s1" / "neutral_01").exists()


def test_a_finished_clip_is_in_the_manifest_before_the_session_is_closed(tmp_path):
    from game.recording import Consent, Label, Session
    from model.face import FACE_CROP_SIZE
    from model.preprocess import Preprocessing

    session = Session(RecordingStore(tmp_path), Consent("kim", "t", "test"), "test", 2, Preprocessing())
    crop = np.zeros((FACE_CROP_SIZE, FACE_CROP_SIZE, 3), np.uint8)
    label = Label("neutral", 0, "neutral")
    session.add_frame(label, crop, 0.0)
    assert not (tmp_path / "manifest.csv").exists()            # nothing listed mid-clip
    session.add_frame(label, crop, 0.04)
    assert [r["path"] for r in manifest_rows(tmp_path)] == [f"{session.folder.relative_to(tmp_path).as_posix()}/neutral_01/"]
    sidecar = (session.folder / "session.json").read_text(encoding="utf-8")
    assert '"ended_at": null' in sidecar and "neutral_01" in sidecar
    session.add_frame(label, crop, 0.08)                        # a second clip, cut off by a kill
    assert len(manifest_rows(tmp_path)) == 1
    session.close()
    assert len(manifest_rows(tmp_path)) == 1 and '"ended_at": null' not in (session.folder / "session.json").read_text()
