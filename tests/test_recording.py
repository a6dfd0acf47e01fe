"""Recording labelled clips (game/recording.py, python -m game.record, the in-game screen):
consent first, face crops only, a manifest the trainer reads, append, list and delete."""
import csv
import json
import shutil
from datetime import datetime
from pathlib import Path

import cv2
import numpy as np
import pygame
import pytest

from game.record import DEFAULT_WEIGHTS, main
from game.recording import (PARTIAL_SUFFIX, Consent, GuidedRecording, Label, Plan, Progress,
                            RecordingError, RecordingStore, Session, crop_preprocessing, select_prompts)
from game.types import Analysis, EngineResult, Frame, Judgement, Mode, PlayerResult, Verdict
from game.ui.recording_screen import RecordingScreen, Stage
from game.ui.theme import SCREEN_SIZE, Fonts
from model.data.manifest import load_manifest
from model.face import FACE_CROP_SIZE
from model.preprocess import Preprocessing
from model.face import FaceBox, FaceCropper
from model.labels import EMOTION_INDEX

VIDEO = "smile_transition_a.mp4"


def record_argv(out: Path, source: Path, **options: str) -> list[str]:
    """Arguments of a short recording: one 10-frame clip per prompt, no time to get ready."""
    flags = {"--player": "p1", "--source": str(source), "--out": str(out), "--prompts": "neutral,genuine_laugh",
             "--clips": "1", "--clip-frames": "10", "--prepare-seconds": "0"}
    flags.update({f"--{name.replace('_', '-')}": value for name, value in options.items()})
    return [x for pair in flags.items() for x in pair]


def manifest_rows(out: Path) -> list[dict]:
    with (out / "manifest.csv").open(newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


def write_video(path: Path, frames: int = 20) -> Path:
    """A video of smooth colour noise: no face anywhere."""
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"MJPG"), 25, (96, 80))
    rng = np.random.default_rng(0)
    for _ in range(frames):
        writer.write(cv2.resize(rng.integers(0, 256, (4, 4, 3), dtype=np.uint8), (96, 80)))
    writer.release()
    return path


def every_file(folder: Path) -> list[Path]:
    return sorted(p for p in folder.rglob("*") if p.is_file())


@pytest.fixture(scope="module")
def recorded(videos_dir, tmp_path_factory) -> Path:
    """Two 10-frame clips of smile_transition_a.mp4 (neutral, then 'genuine laugh'), recorded once."""
    out = tmp_path_factory.mktemp("recordings")
    assert main(record_argv(out, videos_dir / VIDEO) + ["--i-consent"]) == 0
    return out


# ---------------------------------------------------------------- from a video file
def test_clips_of_face_crops_are_read_back_by_the_manifest_loader(recorded):
    rows = manifest_rows(recorded)
    assert [(r["smile"], r["emotion"], r["subject"]) for r in rows] == [("0", "neutral", "p1"), ("0.9", "happy", "p1")]
    faces = load_manifest(recorded / "manifest.csv", crop="none")
    assert [item.shape for item in faces.items] == [(10, FACE_CROP_SIZE, FACE_CROP_SIZE, 3)] * 2
    assert faces.smile.tolist() == [0.0, pytest.approx(0.9)]
    assert faces.emotion.tolist() == [EMOTION_INDEX["neutral"], EMOTION_INDEX["happy"]]
    assert faces.subjects == ["p1", "p1"]
    # Face crops only: every picture written is a crop, none is a 512x512 frame of the video ...
    pngs = [p for p in every_file(recorded) if p.suffix == ".png"]
    assert len(pngs) == 20
    assert {cv2.imread(str(p)).shape for p in pngs} == {(FACE_CROP_SIZE, FACE_CROP_SIZE, 3)}
    # ... and the crop is the face: it fills the crop as the margin says (side = box * 1.4).
    cropper = FaceCropper()
    try:
        box = cropper.find(faces.items[0][0])[0]
    finally:
        cropper.close()
    assert box.center == pytest.approx((FACE_CROP_SIZE / 2, FACE_CROP_SIZE / 2), abs=6)
    assert max(box.w, box.h) * 1.4 == pytest.approx(FACE_CROP_SIZE, rel=0.1)


def test_session_sidecar_records_prompts_times_and_consent(recorded):
    (sidecar,) = recorded.glob("p1/*/session.json")
    data = json.loads(sidecar.read_text(encoding="utf-8"))
    assert data["player"] == "p1" and data["consent"]["how"] == "--i-consent flag"
    consent_time = datetime.fromisoformat(data["consent"]["given_at"])
    assert consent_time <= datetime.fromisoformat(data["started_at"]) <= datetime.fromisoformat(data["ended_at"])
    used = crop_preprocessing(DEFAULT_WEIGHTS if DEFAULT_WEIGHTS.is_file() else None)  # what game.record cut with
    assert data["crop"] == {"margin": used.crop_margin, "align": used.align, "size": FACE_CROP_SIZE,
                            "format": "png", "colour": "rgb"}
    assert [(p["key"], p["smile"], p["emotion"], p["clips"]) for p in data["prompts"]] == [
        ("neutral", 0.0, "neutral", 1), ("genuine_laugh", 0.9, "happy", 1)]
    first, second = data["clips"]
    assert (first["frames"], first["t_start"], first["t_end"]) == (10, 0.0, 0.36)   # 25 fps
    assert second["t_start"] == 0.4


def test_a_second_session_appends_and_keeps_earlier_rows(recorded, videos_dir, tmp_path):
    out = tmp_path / "rec"
    shutil.copytree(recorded, out)
    before = (out / "manifest.csv").read_text(encoding="utf-8")
    argv = record_argv(out, videos_dir / VIDEO, player="p2", prompts="sneer", label="sneer=0.6,disgust")
    assert main(argv + ["--i-consent"]) == 0
    after = (out / "manifest.csv").read_text(encoding="utf-8")
    assert after.startswith(before)
    assert [(r["smile"], r["emotion"], r["subject"]) for r in manifest_rows(out)][2:] == [("0.6", "disgust", "p2")]
    assert len(load_manifest(out / "manifest.csv", crop="none")) == 3


def test_list_and_delete_remove_a_players_files_and_rows(recorded, videos_dir, tmp_path, capsys):
    out = tmp_path / "rec"
    shutil.copytree(recorded, out)
    store = RecordingStore(out)
    store.append([{"path": "p2/x/", "smile": "0.5", "emotion": "happy", "subject": "p2"}])
    (out / "p2" / "x").mkdir(parents=True)
    capsys.readouterr()
    assert main(["list", "--out", str(out)]) == 0
    assert "p1  2 clip(s)" in capsys.readouterr().out
    assert main(["delete", "--player", "p1", "--out", str(out)]) == 0
    assert not (out / "p1").exists()
    assert [r["subject"] for r in manifest_rows(out)] == ["p2"]
    assert (out / "p2" / "x").is_dir()
    assert not list(out.glob("*.tmp"))    # the manifest was replaced whole
    assert main(["delete", "--player", "p1", "--out", str(out)]) == 2
    assert "no recordings of player 'p1' (players: p2)" in capsys.readouterr().err


def test_append_keeps_extra_columns_and_delete_never_leaves_the_folder(tmp_path):
    out = tmp_path / "rec"
    out.mkdir()
    (out / "manifest.csv").write_text("path,smile,emotion,subject,note\nkim/a.png,0.3,happy,kim,checked\n"
                                      "/elsewhere/b.png,0.1,neutral,kim,\n", encoding="utf-8")
    store = RecordingStore(out)
    store.append([{"path": "lee/c/", "smile": "0", "emotion": "neutral", "subject": "lee"}])
    assert manifest_rows(out)[0]["note"] == "checked" and manifest_rows(out)[2]["note"] == ""
    report = store.delete_player("kim")
    assert report.rows == 2 and report.outside == [Path("/elsewhere/b.png")]
    assert [r["subject"] for r in manifest_rows(out)] == ["lee"]


# ---------------------------------------------------------------- consent and bad input
def test_no_consent_writes_nothing(tmp_path, capsys):
    video = write_video(tmp_path / "clip.avi")
    out = tmp_path / "rec"
    for answer in ("n", "", EOFError):
        def ask(prompt, answer=answer):
            if answer is EOFError:
                raise EOFError   # no terminal to answer on
            return answer
        assert main(record_argv(out, video), ask=ask) == 2
        captured = capsys.readouterr()
        assert "face only" in captured.out and str(out) in captured.out   # told what and where first
        assert "no consent given: nothing was recorded or saved" in captured.err
    assert not out.exists()


def test_a_video_without_a_face_gives_a_clear_message_and_no_rows(tmp_path, capsys):
    video = write_video(tmp_path / "noface.avi")
    out = tmp_path / "rec"
    assert main(record_argv(out, video), ask=lambda prompt: "y") == 2
    assert f"error: {video}: no face found: nothing recorded" in capsys.readouterr().err
    assert not out.exists()


@pytest.mark.parametrize("option, value, message", [
    ("player", "../evil", "player id '../evil'"),
    ("label", "sneer=2,disgust", "--label 'sneer=2,disgust'"),
    ("label", "sneer=0.5,smug", "unknown emotion 'smug'"),
    ("prompts", "giggle", "unknown prompt 'giggle'"),
    ("source", "missing.mp4", "missing.mp4: no such video file"),
])
def test_bad_input_is_one_line_and_writes_nothing(tmp_path, capsys, option, value, message):
    out = tmp_path / "rec"
    if option == "source":
        argv = record_argv(out, tmp_path / value)
    else:
        argv = record_argv(out, write_video(tmp_path / "clip.avi"), **{option: value})
    assert main(argv + ["--i-consent"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: ") and message in err and err.count("\n") == 1
    assert not out.exists()


# ---------------------------------------------------------------- the guided prompts
def crop(value: int) -> np.ndarray:
    return np.full((FACE_CROP_SIZE, FACE_CROP_SIZE, 3), value, np.uint8)


def test_guided_prompts_wait_record_and_redo_a_clip_when_the_face_is_lost(tmp_path):
    store = RecordingStore(tmp_path)
    session = Session(store, Consent("kim", "t", "test"), "test", clip_frames=3, preprocessing=Preprocessing())
    plan = Plan(select_prompts(["neutral", "sneer"]), clips_per_prompt=2, prepare_s=0.5)
    guided = GuidedRecording(session, plan)
    events = []
    for i, face in enumerate([1] * 8 + [None] + [1] * 20):   # 8 frames a second (exact times)
        events += guided.feed(i * 0.125, crop(i) if face else None)
        if guided.done:
            break
    assert guided.done and i == 21
    assert events.count(Progress.PROMPT) == 2 and events.count(Progress.CLIP_DROPPED) == 1
    assert [c.name for c in session.clips] == ["neutral_01", "neutral_02", "sneer_01", "sneer_02"]
    assert session.clips[0].t_start == 0.5        # after the 0.5 s to get ready
    assert session.clips[1].t_start == 1.125      # started again after the lost face at 1.0 s
    assert session.clips[2].t_start == 2.0 and session.clips[2].label == Label("sneer", 0.55, "disgust")
    assert not list(tmp_path.rglob(f"*{PARTIAL_SUFFIX}"))
    session.close()
    assert len(load_manifest(tmp_path / "manifest.csv", crop="none")) == 4


def test_a_session_without_a_finished_clip_leaves_nothing(tmp_path):
    session = Session(RecordingStore(tmp_path / "rec"), Consent("kim", "t", "test"), "test", 5, 0.2)
    session.add_frame(Label("neutral", 0, "neutral"), crop(1), 0.0)   # an unfinished clip
    assert session.close() == []
    assert not (tmp_path / "rec").exists() or not any((tmp_path / "rec").rglob("*"))


def test_labels_are_checked():
    with pytest.raises(RecordingError, match="smile must be from 0 to 1"):
        Label("x", 1.5, "happy")
    assert Label("x", 0.5, "Happiness").emotion == "happy"


# ---------------------------------------------------------------- the in-game screen
def engine_result(index: int, t: float, box: FaceBox | None) -> EngineResult:
    image = np.zeros((240, 320, 3), np.uint8)
    image[60:180, 100:220] = 200   # the "face"
    judgement = Judgement(Verdict.SAFE, Mode.SIMPLE, 0.0, 0.0, np.zeros(7), Analysis.CALM, True, 0.8)
    crop = None if box is None else Preprocessing().crop(image, box)   # the engine's crop of its face
    # captured at its source time: the screen times clips on the capture clock
    return EngineResult(Frame(image, index, t, t), [PlayerResult(box, judgement, crop)], 1.0, 1.0)


@pytest.fixture(scope="module")
def fonts():
    pygame.font.init()
    return Fonts()


def key(k: int) -> pygame.event.Event:
    return pygame.event.Event(pygame.KEYDOWN, key=k)


def test_screen_declined_writes_nothing(tmp_path, fonts):
    screen = RecordingScreen(fonts, RecordingStore(tmp_path / "rec"), preprocessing=Preprocessing(), player="kim")
    surface = pygame.Surface(SCREEN_SIZE)
    screen.update(engine_result(0, 0.0, FaceBox(100, 60, 120, 120, 0.9)))
    screen.draw(surface, None, "ko")
    assert screen.handle_event(key(pygame.K_ESCAPE)) and screen.finished
    screen.close()
    assert not (tmp_path / "rec").exists()


def test_screen_records_the_engines_face_after_consent(tmp_path, fonts):
    store = RecordingStore(tmp_path / "rec")
    plan = Plan(select_prompts(["holding_back"]), clips_per_prompt=2, prepare_s=0.2, clip_s=0.4)
    screen = RecordingScreen(fonts, store, preprocessing=Preprocessing(), plan=plan)
    surface = pygame.Surface(SCREEN_SIZE)
    screen.handle_event(key(pygame.K_RETURN))             # no player id yet
    assert screen.stage is Stage.CONSENT and screen.id_rejected
    for text in ("민", "수"):
        screen.handle_event(pygame.event.Event(pygame.TEXTINPUT, text=text))
    box = FaceBox(100, 60, 120, 120, 0.9)
    for i in range(5):                                    # the engine runs at 25 results/s meanwhile
        screen.update(engine_result(i, i * 0.04, box))
    screen.draw(surface, None, "en")
    screen.handle_event(key(pygame.K_RETURN))
    assert screen.stage is Stage.RECORDING and screen.session.clip_frames == 10   # 0.4 s at 25/s
    for i in range(5, 60):
        result = engine_result(i, i * 0.04, box if i != 15 else None)
        screen.update(result)
        screen.draw(surface, result, "ko")
        if screen.stage is Stage.DONE:
            break
    assert screen.stage is Stage.DONE and len(screen.clips) == 2
    screen.draw(surface, None, "ko")
    faces = load_manifest(store.manifest, crop="none")
    assert faces.subjects == ["민수", "민수"] and faces.smile.tolist() == [pytest.approx(0.3)] * 2
    # the crop is the box with the margin: the bright square fills the middle of each crop
    first = faces.items[0][0]
    assert first[FACE_CROP_SIZE // 2, FACE_CROP_SIZE // 2, 0] == 200 and first[2, 2, 0] == 0
    assert screen.handle_event(key(pygame.K_RETURN)) and screen.finished


def test_screen_will_not_record_into_a_manifest_it_cannot_append_to(tmp_path, fonts):
    out = tmp_path / "rec"
    out.mkdir()
    (out / "manifest.csv").write_bytes("path,smile,emotion,subject\n김/a.png,0.5,happy,kim\n".encode("cp949"))
    screen = RecordingScreen(fonts, RecordingStore(out), preprocessing=Preprocessing(), player="kim")
    screen.handle_event(key(pygame.K_RETURN))
    assert screen.stage is Stage.CONSENT and "not UTF-8" in screen.error
    screen.draw(pygame.Surface(SCREEN_SIZE), None, "ko")
    assert [p.name for p in out.iterdir()] == ["manifest.csv"]
