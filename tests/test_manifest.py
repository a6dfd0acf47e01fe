from pathlib import Path

import cv2
import numpy as np
import pytest

from model.data.errors import DatasetError
from model.data.manifest import load_manifest, subject_split
from model.labels import EMOTION_INDEX
from tests.conftest import require

VIDEO_NAME = "smile_transition_a.mp4"


def write_image(path: Path, value: int, shape=(40, 30, 3)) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    assert cv2.imwrite(str(path), np.full(shape, value, np.uint8))
    return path


def write_csv(path: Path, lines: list[str], header: str = "path,smile,emotion,subject") -> Path:
    path.write_text("\n".join([header, *lines]) + "\n", encoding="utf-8")
    return path


def load(csv: Path, **kw):
    kw.setdefault("crop", "none")
    kw.setdefault("size", 16)
    return load_manifest(csv, cache_dir=csv.parent / "cache", **kw)


def test_images_clips_and_labels_in_csv_order(tmp_path):
    write_image(tmp_path / "a.png", 10)
    write_image(tmp_path / "김민수" / "웃음.png", 20)  # Hangul paths decode too
    for n in (1, 2, 10):  # natural order: f1, f2, f10 (not f1, f10, f2)
        write_image(tmp_path / "take" / f"f{n}.png", 100 + n)
    absolute = write_image(tmp_path / "elsewhere" / "c.png", 30)
    csv = write_csv(tmp_path / "m.csv", [
        "a.png,0.9,happy,kim",
        "김민수/웃음.png,,Happiness,김민수",  # alias, any case; no smile label
        "take,0.25,,lee",                  # a folder of frames = one clip; no emotion label
        f"{absolute},0,neutral,park",
    ])
    fs = load(csv)
    assert fs.name == "manifest" and len(fs) == 4 and fs.skipped == []
    assert [Path(p).name for p in fs.paths] == ["a.png", "웃음.png", "take", "c.png"]
    assert fs.subjects == ["kim", "김민수", "lee", "park"]
    np.testing.assert_allclose(fs.smile[[0, 2, 3]], [0.9, 0.25, 0.0])
    assert np.isnan(fs.smile[1])
    assert fs.emotion.tolist() == [EMOTION_INDEX["happy"], EMOTION_INDEX["happy"], -1, EMOTION_INDEX["neutral"]]
    assert fs.items[0].shape == (16, 16, 3) and fs.items[0][0, 0, 0] == 10 and fs.items[1][0, 0, 0] == 20
    assert fs.is_clip(2) and fs.items[2].shape == (3, 16, 16, 3)
    assert fs.items[2][:, 0, 0, 0].tolist() == [101, 102, 110]
    assert not fs.is_clip(3) and fs.items[3][0, 0, 0] == 30
    assert fs.face_found.all()


def test_missing_and_corrupt_media_are_skipped_and_listed(tmp_path):
    write_image(tmp_path / "good.png", 50)
    (tmp_path / "broken.jpg").write_bytes(b"not a jpeg at all")
    (tmp_path / "broken.mp4").write_bytes(b"\x00\x01 not a video")
    (tmp_path / "empty_take").mkdir()
    csv = write_csv(tmp_path / "m.csv", [
        "good.png,1,,a", "gone.png,1,,a", "broken.jpg,0,,b", "broken.mp4,,sad,b",
        "gone.mp4,,sad,c", "empty_take,,sad,c"])
    fs = load(csv)
    assert [Path(p).name for p in fs.paths] == ["good.png"]
    assert len(fs.skipped) == 5
    for name in ("gone.png", "broken.jpg", "broken.mp4", "gone.mp4", "empty_take"):
        assert sum(name in s for s in fs.skipped) == 1, (name, fs.skipped)


@pytest.mark.parametrize("lines, header, message", [
    (["a.png,0.5,happy,kim", "a.png,0.5,joy,kim"], None, r"m\.csv:3: unknown emotion 'joy'"),
    (["a.png,1.5,happy,kim"], None, r"m\.csv:2: smile must be a number from 0 to 1"),
    (["a.png,-0.1,,kim"], None, r"m\.csv:2: smile must be"),
    (["a.png,yes,,kim"], None, r"m\.csv:2: smile must be"),
    (["a.png,nan,,kim"], None, r"m\.csv:2: smile must be"),
    (["a.png,,,kim"], None, r"m\.csv:2: no label"),
    (["a.png,0.5,happy,"], None, r"m\.csv:2: empty subject"),
    ([",0.5,happy,kim"], None, r"m\.csv:2: empty path"),
    (["a.png,0.5,happy"], "path,smile,emotion", r"m\.csv:1: .*lacks column\(s\) subject"),
    (["a.png,0.5,happy,kim,extra"], None, r"m\.csv:2: expected 4 fields"),
])
def test_bad_rows_name_the_file_and_line(tmp_path, lines, header, message):
    write_image(tmp_path / "a.png", 1)
    csv = write_csv(tmp_path / "m.csv", lines, **({"header": header} if header else {}))
    with pytest.raises(DatasetError, match=message) as info:
        load(csv)
    assert "\n" not in str(info.value)


def test_cp949_manifest_is_a_clear_error(tmp_path):
    (tmp_path / "m.csv").write_bytes("path,smile,emotion,subject\n웃음.png,1,happy,김민수\n".encode("cp949"))
    with pytest.raises(DatasetError, match=r"m\.csv: not UTF-8 text"):
        load(tmp_path / "m.csv")


def test_bad_arguments_and_missing_manifest(tmp_path):
    with pytest.raises(DatasetError, match="manifest not found"):
        load(tmp_path / "none.csv")
    csv = write_csv(tmp_path / "m.csv", ["a.png,1,,kim"])
    with pytest.raises(DatasetError, match="split must be"):
        load(csv, split="validation")
    with pytest.raises(DatasetError, match="crop must be"):
        load(csv, crop="face")
    with pytest.raises(DatasetError, match="sum to less than 1"):
        load(csv, val_fraction=0.5, test_fraction=0.5)
    with pytest.raises(DatasetError, match="max_frames must be at least 1"):
        load(csv, max_frames=0)


def test_splits_keep_each_subject_in_one_split(tmp_path):
    lines = []
    for s in range(40):
        for k in range(2):
            write_image(tmp_path / f"s{s}_{k}.png", s, shape=(8, 8, 3))
            lines.append(f"s{s}_{k}.png,{k},,person{s}")
    csv = write_csv(tmp_path / "m.csv", lines)
    parts = {split: load(csv, split=split, size=8) for split in ("train", "val", "test")}
    subjects = {split: set(fs.subjects) for split, fs in parts.items()}
    assert not (subjects["train"] & subjects["val"] or subjects["train"] & subjects["test"]
                or subjects["val"] & subjects["test"])
    assert set.union(*subjects.values()) == {f"person{s}" for s in range(40)}
    assert sum(len(fs) for fs in parts.values()) == 80
    assert all(len(fs) % 2 == 0 for fs in parts.values())  # both rows of a subject travel together
    assert len(parts["train"]) > len(parts["val"]) > 0 and len(parts["test"]) > 0
    # Deterministic, and a subject's split depends on nothing but (seed, subject, fractions).
    assert load(csv, split="val", size=8).paths == parts["val"].paths
    for s in range(40):
        expected = next(k for k, v in subjects.items() if f"person{s}" in v)
        assert subject_split(f"person{s}", 0, 0.15, 0.15) == expected
    reseeded = {f"person{s}": subject_split(f"person{s}", 1, 0.15, 0.15) for s in range(40)}
    assert reseeded != {f"person{s}": subject_split(f"person{s}", 0, 0.15, 0.15) for s in range(40)}


def test_split_without_subjects_is_an_error(tmp_path):
    write_image(tmp_path / "a.png", 1)
    csv = write_csv(tmp_path / "m.csv", ["a.png,1,happy,only-one"])
    empty = next(s for s in ("train", "val", "test") if s != subject_split("only-one", 0, 0.15, 0.15))
    with pytest.raises(DatasetError, match=f"none of the 1 subjects falls in split '{empty}'"):
        load(csv, split=empty)


def test_max_frames_caps_clips_from_the_start(tmp_path):
    for n in range(1, 8):
        write_image(tmp_path / "take" / f"{n:03d}.png", n)
    csv = write_csv(tmp_path / "m.csv", ["take,0.5,,kim"])
    clip = load(csv, max_frames=3).items[0]
    assert clip[:, 0, 0, 0].tolist() == [1, 2, 3]


def test_real_faces_in_video_images_and_frame_folders(tmp_path, videos_dir):
    """A clip cut from a real video (first 6 frames), one of its frames as a still, and a blank
    'face' (a uniform grey image and frame folder) to show detect / auto behaviour."""
    video = require(videos_dir / VIDEO_NAME, "real face clip")
    capture = cv2.VideoCapture(str(video))
    frames = [capture.read()[1] for _ in range(6)]
    capture.release()
    cv2.imwrite(str(tmp_path / "still.jpg"), frames[0])
    (tmp_path / "take").mkdir()
    for n, frame in enumerate(frames[:3]):
        cv2.imwrite(str(tmp_path / "take" / f"{n}.jpg"), frame)
    write_image(tmp_path / "blank.png", 128, shape=(64, 64, 3))
    for n in range(2):
        write_image(tmp_path / "blank_take" / f"{n}.png", 128, shape=(64, 64, 3))
    csv = write_csv(tmp_path / "m.csv", [
        f"{video},0.1,neutral,kim", "still.jpg,0,neutral,kim", "take,0,neutral,kim",
        "blank.png,0,neutral,lee", "blank_take,0,neutral,lee"])

    fs = load(csv, crop="detect", size=48, max_frames=6)
    assert [Path(p).name for p in fs.paths] == [VIDEO_NAME, "still.jpg", "take"]
    assert fs.items[0].shape == (6, 48, 48, 3) and fs.items[2].shape == (3, 48, 48, 3)
    assert fs.items[1].shape == (48, 48, 3) and fs.face_found.all()
    assert sorted(Path(s.rsplit(": ", 1)[0]).name for s in fs.skipped) == ["blank.png", "blank_take"]
    assert all(s.endswith("no face found") for s in fs.skipped)
    # The face crop of the still is the first frame of the clip: same detector, same crop.
    assert np.abs(fs.items[1].astype(int) - fs.items[0][0].astype(int)).mean() < 8

    auto = load(csv, crop="auto", size=48, max_frames=6)
    assert len(auto) == 5 and auto.skipped == []
    assert auto.face_found.tolist() == [True, True, True, False, False]
    assert auto.items[4].shape == (2, 48, 48, 3) and (auto.items[4] == 128).all()


# -- a published split column (KDEF, SFEW, MTFL, the Taiwanese performers, KERC2020) ----------

def published(tmp_path, extra_header="", rows=None):
    """A manifest with a split column: 12 train subjects and one test subject."""
    rows = rows or [f"s{i}.png,{i % 2},{'happy' if i % 2 else 'fear'},p{i},train" for i in range(12)] + \
        ["t.png,0,angry,ptest,test"]
    for row in rows:
        write_image(tmp_path / row.split(",")[0], 40)
    return write_csv(tmp_path / "m.csv", rows, header="path,smile,emotion,subject,split" + extra_header)


def test_a_split_column_decides_test_and_validation_comes_from_its_train_subjects(tmp_path):
    csv = published(tmp_path)
    test = load(csv, split="test")
    assert test.subjects == ["ptest"]
    train, val = load(csv, split="train", val_fraction=0.3), load(csv, split="val", val_fraction=0.3)
    assert "ptest" not in train.subjects + val.subjects
    assert set(train.subjects).isdisjoint(val.subjects) and len(train) + len(val) == 12 and len(val) > 0
    assert len(load(csv, split="all")) == 13  # the whole file, for --split all


def test_a_split_value_other_than_train_or_test_is_named(tmp_path):
    write_image(tmp_path / "a.png", 1)
    csv = write_csv(tmp_path / "m.csv", ["a.png,1,happy,p1,validation"], header="path,smile,emotion,subject,split")
    with pytest.raises(DatasetError, match=r"m\.csv:2: split must be one of train, test, got 'validation'"):
        load(csv)


def test_smile_from_emotion_labels_expressive_faces_as_no_smile_only(tmp_path):
    rows = [f"{e}.png,,{e},p{i},train" for i, e in enumerate(("angry", "disgust", "fear", "sad", "surprise",
                                                              "happy", "neutral"))]
    csv = published(tmp_path, rows=rows)
    fs = load(csv, smile_from_emotion=True)
    assert fs.smile[:5].tolist() == [0.0] * 5
    assert np.isnan(fs.smile[5:]).all()  # a happy movie face is not always smiling; neutral may hold a quiet smile
    assert np.isnan(load(csv).smile).all()


def test_agree_with_drops_rows_whose_raters_saw_another_emotion(tmp_path):
    csv = published(tmp_path, extra_header=",vote_top", rows=[
        "a.png,0,fear,p1,train,surprise", "b.png,0,fear,p2,train,fear", "c.png,1,happy,p3,train,"])
    fs = load(csv, agree_with="vote_top")
    assert [Path(p).name for p in fs.paths] == ["b.png", "c.png"]
    with pytest.raises(DatasetError, match="agree_with names column 'votes'"):
        load(csv, agree_with="votes")


def test_exclude_leaves_out_the_listed_rows_and_refuses_a_list_of_another_file(tmp_path):
    csv = published(tmp_path, rows=["a.png,1,,p1,train", "b.png,0,,p2,train", "c.png,1,,p3,train"])
    listing = write_csv(tmp_path / "doubtful.csv", ["b.png,0,0.97"], header="path,smile,score")
    assert [Path(p).name for p in load(csv, exclude=listing).paths] == ["a.png", "c.png"]
    stale = write_csv(tmp_path / "stale.csv", ["z.png,1,0.01"], header="path,smile,score")
    with pytest.raises(DatasetError, match=r"stale\.csv: 1 listed path\(s\) are not rows of"):
        load(csv, exclude=stale)
    no_column = write_csv(tmp_path / "bad.csv", ["b.png"], header="file")
    with pytest.raises(DatasetError, match=r"bad\.csv:1: header file lacks column\(s\) path"):
        load(csv, exclude=no_column)
