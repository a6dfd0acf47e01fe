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
