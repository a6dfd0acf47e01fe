"""Dataset loaders and SequenceDataset, on tiny layouts built in tmp_path (plus real GENKI-4K when present)."""
import csv
import gzip
import logging
import shutil
from pathlib import Path

import cv2
import numpy as np
import pytest
import torch
from torch.utils.data import DataLoader

import model.data.images as images
from model.data import DATASETS, load_dataset
from model.data.errors import DatasetError
from model.data.faceset import FaceSet
from model.data.fer2013 import load_fer2013
from model.data.genki4k import load_genki4k
from model.data.imagefolder import load_imagefolder
from model.data.sequences import CameraAugmentation, SequenceDataset
from model.data.smilesmiled import load_smilesmiled
from model.labels import EMOTIONS, HAPPY, NEUTRAL, emotion_index
from model.preprocess import Preprocessing

torch.set_num_threads(1)
SHARED = Path(__file__).resolve().parents[1].parent / "shared" / "datasets"
needs_shared = pytest.mark.skipif(not SHARED.is_dir(), reason=f"datasets not found at {SHARED}")
FOLDS = 10


def synthetic_image(rng, h=40, w=44):
    """A smooth random colour image (JPEG-friendly), not a face."""
    small = rng.integers(0, 256, (4, 4, 3), dtype=np.uint8)
    return cv2.resize(small, (w, h), interpolation=cv2.INTER_LINEAR)


def make_genki(root: Path, n: int = 20, seed: int = 0) -> Path:
    """GENKI-4K layout: files/fileNNNN.jpg, labels.txt, folds.csv (file i in fold i % 10)."""
    rng = np.random.default_rng(seed)
    (root / "files").mkdir(parents=True)
    labels, rows = [], []
    for i in range(1, n + 1):
        cv2.imwrite(str(root / "files" / f"file{i:04d}.jpg"), synthetic_image(rng, 40 + i % 3, 44))
        smile = i % 2
        labels.append(f"{smile} 0.1 -0.2 0.05")
        rows.append(f"file{i:04d}.jpg,{smile},{i % FOLDS}")
    (root / "labels.txt").write_text("\n".join(labels) + "\n")
    (root / "folds.csv").write_text("file,smile,fold\n" + "\n".join(rows) + "\n")
    return root


def file_numbers(faces: FaceSet) -> set[int]:
    return {int(Path(p).stem[4:]) for p in faces.paths}


@pytest.fixture
def genki(tmp_path):
    return make_genki(tmp_path / "genki4k")


@pytest.fixture
def cache(tmp_path):
    return tmp_path / "cache"


# ---------------------------------------------------------------- GENKI-4K

def test_genki_splits_keep_fold_0_out_of_training(genki, cache):
    train = load_genki4k(genki, "train", val_fold=3, crop="none", cache_dir=cache, size=32)
    val = load_genki4k(genki, "val", val_fold=3, crop="none", cache_dir=cache, size=32)
    test = load_genki4k(genki, "test", crop="none", cache_dir=cache, size=32)
    every = load_genki4k(genki, "all", crop="none", cache_dir=cache, size=32)
    assert file_numbers(test) == {i for i in range(1, 21) if i % FOLDS == 0}
    assert file_numbers(val) == {i for i in range(1, 21) if i % FOLDS == 3}
    assert file_numbers(train) == {i for i in range(1, 21) if i % FOLDS not in (0, 3)}
    assert len(train) + len(val) + len(test) == len(every) == 20
    assert file_numbers(load_genki4k(genki, "train", crop="none", cache_dir=cache, size=32)).isdisjoint(
        file_numbers(test))
    for faces in (train, val, test):
        assert all(x.shape == (32, 32, 3) and x.dtype == np.uint8 for x in faces.items)
        assert np.array_equal(faces.smile, [n % 2 for n in sorted(file_numbers(faces))])
        assert (faces.emotion == -1).all() and not faces.has_emotion.any()


def test_genki_split_errors(genki, cache):
    with pytest.raises(DatasetError, match="val_fold"):
        load_genki4k(genki, "val", crop="none", cache_dir=cache)
    with pytest.raises(DatasetError, match="val_fold 0"):
        load_genki4k(genki, "train", val_fold=0, crop="none", cache_dir=cache)
    with pytest.raises(DatasetError, match="split"):
        load_genki4k(genki, "training", crop="none", cache_dir=cache)
    (genki / "folds.csv").unlink()
    with pytest.raises(DatasetError, match="folds.csv: missing"):
        load_genki4k(genki, "train", crop="none", cache_dir=cache)
    assert len(load_genki4k(genki, "all", crop="none", cache_dir=cache)) == 20


@pytest.mark.parametrize("line3, expected", [
    ("1 0.1 oops 0.2", "expected 'smile yaw pitch roll'"),
    ("2 0.1 0.1 0.2", "smile must be 0 or 1"),
    ("1 0.1 0.2", "expected 'smile yaw pitch roll'"),
])
def test_genki_malformed_labels_name_file_and_line(genki, cache, line3, expected):
    lines = (genki / "labels.txt").read_text().splitlines()
    lines[2] = line3
    (genki / "labels.txt").write_text("\n".join(lines) + "\n")
    with pytest.raises(DatasetError) as err:
        load_genki4k(genki, "all", crop="none", cache_dir=cache)
    assert f"{genki / 'labels.txt'}:3:" in str(err.value) and expected in str(err.value)


@pytest.mark.parametrize("row5, expected", [
    ("file0004.jpg,0,x", "fold must be an integer"),
    ("file0004.jpg,1,4", "disagrees with labels.txt line 4"),
    ("file9999.jpg,0,4", "not one of the 20 labelled files"),
    ("file0004.jpg,0", "expected 3 fields"),
])
def test_genki_malformed_folds_name_file_and_line(genki, cache, row5, expected):
    lines = (genki / "folds.csv").read_text().splitlines()
    lines[4] = row5
    (genki / "folds.csv").write_text("\n".join(lines) + "\n")
    with pytest.raises(DatasetError) as err:
        load_genki4k(genki, "all", crop="none", cache_dir=cache)
    assert f"{genki / 'folds.csv'}:5:" in str(err.value) and expected in str(err.value)


def test_genki_corrupt_and_missing_images_are_skipped_and_counted(genki, cache, caplog):
    (genki / "files" / "file0004.jpg").write_bytes(b"\xff\xd8\xff\xe0 this is not a jpeg")
    (genki / "files" / "file0007.jpg").unlink()
    with caplog.at_level(logging.WARNING):
        faces = load_genki4k(genki, "all", crop="none", cache_dir=cache, size=32)
    assert len(faces) == 18 and 4 not in file_numbers(faces) and 7 not in file_numbers(faces)
    assert len(faces.skipped) == 2
    assert any("file0004.jpg" in s and "not a readable image" in s for s in faces.skipped)
    assert any("file0007.jpg" in s and "missing" in s for s in faces.skipped)
    assert "file0004.jpg" in caplog.text and "file0007.jpg" in caplog.text
    # A split only reports the skipped files that belong to it (file 4 is in fold 4, 7 in fold 7).
    val = load_genki4k(genki, "val", val_fold=4, crop="none", cache_dir=cache, size=32)
    assert [Path(s.split(": ")[0]).name for s in val.skipped] == ["file0004.jpg"]


def test_genki_cache_is_reused_and_invalidated_by_a_changed_file(genki, cache, monkeypatch):
    first = load_genki4k(genki, "all", crop="none", cache_dir=cache, size=32)
    assert len(list(cache.glob("genki4k-*.npz"))) == 1 and not list(cache.glob("*.tmp"))

    def no_decoding(*args, **kwargs):
        raise AssertionError("decoded although cached")

    monkeypatch.setattr(images, "_decode_all", no_decoding)
    again = load_genki4k(genki, "test", crop="none", cache_dir=cache, size=32)
    assert all(np.array_equal(a, first.items[first.paths.index(p)]) for a, p in zip(again.items, again.paths))
    cv2.imwrite(str(genki / "files" / "file0002.jpg"), np.zeros((30, 30, 3), np.uint8))
    with pytest.raises(AssertionError, match="decoded although cached"):
        load_genki4k(genki, "all", crop="none", cache_dir=cache, size=32)


def test_genki_auto_crop_without_faces_uses_the_whole_image(genki, cache):
    faces = load_genki4k(genki, "test", crop="auto", cache_dir=cache, size=24)
    assert len(faces) == 2 and not faces.face_found.any()
    assert all(x.shape == (24, 24, 3) for x in faces.items)
    detected = load_genki4k(genki, "test", crop="detect", cache_dir=cache, size=24)
    assert len(detected) == 0 and all(s.endswith("no face found") for s in detected.skipped)


@needs_shared
def test_real_genki_fold_0_faces_are_found(tmp_path):
    """The first 40 fold-0 photos of GENKI-4K, copied into a tmp layout, through the game's cropper."""
    src = SHARED / "genki4k"
    with open(src / "folds.csv") as f:
        rows = [r for r in csv.DictReader(f) if r["fold"] == "0"][:40]
    root = tmp_path / "genki4k"
    (root / "files").mkdir(parents=True)
    labels = []
    for i, row in enumerate(rows, 1):
        shutil.copy(src / "files" / row["file"], root / "files" / f"file{i:04d}.jpg")
        labels.append(f"{row['smile']} 0 0 0")
    (root / "labels.txt").write_text("\n".join(labels) + "\n")
    (root / "folds.csv").write_text("file,smile,fold\n" + "".join(
        f"file{i:04d}.jpg,{row['smile']},0\n" for i, row in enumerate(rows, 1)))
    faces = load_genki4k(root, "test", crop="detect", cache_dir=tmp_path / "cache", size=64)
    assert len(faces) + len(faces.skipped) == 40
    assert len(faces) >= 36, faces.skipped
    assert faces.face_found.all() and all(x.shape == (64, 64, 3) for x in faces.items)
    # A face crop is centred on a face: the centre is brighter and more varied than the border.
    assert np.mean([x[16:48, 16:48].std() for x in faces.items]) > 20


# ---------------------------------------------------------------- SMILES

def make_smiles(root: Path) -> Path:
    rng = np.random.default_rng(1)
    rows = ["path,smile,fold,exclude"]
    for cls, smile in (("positives", 1), ("negatives", 0)):
        folder = root / "SMILEs" / cls / f"{cls}7"
        folder.mkdir(parents=True)
        for i in range(6):
            cv2.imwrite(str(folder / f"{i}.jpg"), rng.integers(0, 256, (64, 64), dtype=np.uint8))
            rows.append(f"SMILEs/{cls}/{cls}7/{i}.jpg,{smile},{i % 3},{'contradictory_duplicate' if i == 5 else ''}")
    (root / "folds.csv").write_text("\n".join(rows) + "\n")
    return root


def test_smilesmiled_folds_exclusions_and_grey(tmp_path):
    root = make_smiles(tmp_path / "smiles")
    test = load_smilesmiled(root, "test")
    train = load_smilesmiled(root, "train", val_fold=1)
    every = load_smilesmiled(root, "all")
    assert len(every) == 10 and not any(p.endswith("/5.jpg") for p in every.paths)
    assert {Path(p).stem for p in test.paths} == {"0", "3"} and len(test) == 4
    assert {Path(p).stem for p in train.paths} == {"2"}
    assert all(x.shape == (64, 64) and x.dtype == np.uint8 for x in every.items)
    assert all((s == 1.0) == ("positives" in p) for s, p in zip(every.smile, every.paths))


def test_smilesmiled_errors(tmp_path):
    root = make_smiles(tmp_path / "smiles")
    text = (root / "folds.csv").read_text().replace("positives7/2.jpg,1", "positives7/2.jpg,0")
    (root / "folds.csv").write_text(text)
    with pytest.raises(DatasetError, match=r"folds.csv:4: smile 0 contradicts"):
        load_smilesmiled(root, "all")
    (root / "folds.csv").unlink()
    with pytest.raises(DatasetError, match="only split 'all'"):
        load_smilesmiled(root, "train")
    assert len(load_smilesmiled(root, "all")) == 12


# ---------------------------------------------------------------- FER2013 / FER+

FER_USAGE = ["Training"] * 8 + ["PublicTest"] * 2 + ["PrivateTest"] * 4


@pytest.fixture
def fer(tmp_path):
    """A 14-row fer2013.csv.gz and the same rows as an image-folder tree (lossless PNG)."""
    rng = np.random.default_rng(2)
    pixels = rng.integers(0, 256, (len(FER_USAGE), 48, 48), dtype=np.uint8)
    pixels[0, 0, :3] = (0, 7, 255)  # 1- and 3-digit values
    emotion = np.arange(len(FER_USAGE)) % 7
    lines = ["emotion,pixels,Usage"] + [f"{e},{' '.join(map(str, p.ravel()))},{u}"
                                         for e, p, u in zip(emotion, pixels, FER_USAGE)]
    csv_gz = tmp_path / "fer2013" / "fer2013.csv.gz"
    csv_gz.parent.mkdir()
    csv_gz.write_bytes(gzip.compress(("\n".join(lines) + "\n").encode()))
    tree = tmp_path / "fer_images"
    for i, (e, p, u) in enumerate(zip(emotion, pixels, FER_USAGE)):
        if u == "PublicTest":
            continue
        folder = tree / ("train" if u == "Training" else "test") / EMOTIONS[e]
        folder.mkdir(parents=True, exist_ok=True)
        cv2.imwrite(str(folder / f"{i:05d}.png"), p)
    return csv_gz, tree, pixels, emotion


def test_fer_csv_splits_pixels_and_cache(fer, cache, monkeypatch):
    csv_gz, _, pixels, emotion = fer
    train = load_fer2013(csv_gz, "Training", cache_dir=cache)
    assert len(train) == 8 and train.items[0].shape == (48, 48) and train.items[0].dtype == np.uint8
    assert np.array_equal(np.stack(train.items), pixels[:8]) and np.array_equal(train.emotion, emotion[:8])
    assert np.isnan(train.smile).all() and train.emotion_soft is None
    assert [len(load_fer2013(csv_gz.parent, s, cache_dir=cache)) for s in ("val", "PublicTest", "test", "all")] \
        == [2, 2, 4, 14]
    monkeypatch.setattr("model.data.fer2013.parse_fer_csv", lambda *a: pytest.fail("parsed although cached"))
    assert np.array_equal(np.stack(load_fer2013(csv_gz, "train", cache_dir=cache).items), pixels[:8])


def test_fer_csv_and_image_folder_give_the_same_faces(fer, cache):
    csv_gz, tree, _, _ = fer
    for csv_split, folder_split in (("Training", "train"), ("Training", "Training"), ("PrivateTest", "test")):
        from_csv = load_fer2013(csv_gz, csv_split, cache_dir=cache)
        from_tree = load_fer2013(tree, folder_split, cache_dir=cache)
        rows = [int(p.split(":row ")[1]) - 2 for p in from_csv.paths]
        by_row = {int(Path(p).stem): i for i, p in enumerate(from_tree.paths)}
        assert sorted(by_row) == rows
        for j, row in enumerate(rows):
            assert from_tree.emotion[by_row[row]] == from_csv.emotion[j]
            assert np.array_equal(from_tree.items[by_row[row]], from_csv.items[j])


def test_fer_csv_errors_name_the_line(tmp_path, cache):
    bad = tmp_path / "fer2013.csv"
    good = " ".join(["1"] * 2304)
    bad.write_text(f"emotion,pixels,Usage\n3,{good},Training\n2,{good} 5,Training\n")
    with pytest.raises(DatasetError, match=r"fer2013.csv:3: expected 2304 pixel values, got 2305"):
        load_fer2013(bad, cache_dir=cache)
    bad.write_text(f"emotion,pixels,Usage\n3,{good},Training\n9,{good},Training\n")
    with pytest.raises(DatasetError, match=r"fer2013.csv:3: emotion must be 0..6"):
        load_fer2013(bad, cache_dir=cache)
    bad.write_text(f"emotion,pixels,Usage\n3,{good.replace('1', '256', 1)},Training\n")
    with pytest.raises(DatasetError, match=r"fer2013.csv:2: pixel values must be 0..255"):
        load_fer2013(bad, cache_dir=cache)
    bad.write_text(f"emotion,pixels,Usage\r\n3,{good},Training\r\n4,{good},PrivateTest\r\n\r\n")
    crlf = load_fer2013(bad, "all", cache_dir=cache)
    assert crlf.emotion.tolist() == [3, 4] and (np.stack(crlf.items) == 1).all()
    (tmp_path / "empty").mkdir()
    with pytest.raises(DatasetError, match="neither fer2013.csv"):
        load_fer2013(tmp_path / "empty", cache_dir=cache)


FERPLUS_HEADER = "Usage,Image name,neutral,happiness,surprise,sadness,anger,disgust,fear,contempt,unknown,NF"


def write_ferplus(path: Path, votes: dict[int, str]) -> Path:
    """votes: row -> the 10 vote counts; other rows get 10 neutral votes."""
    lines = [FERPLUS_HEADER] + [f"{u},fer{i:07d}.png,{votes.get(i, '10,0,0,0,0,0,0,0,0,0')}"
                                for i, u in enumerate(FER_USAGE)]
    path.write_text("\n".join(lines) + "\n")
    return path


def test_ferplus_votes_become_soft_targets_in_fer2013_order(fer, cache, tmp_path):
    csv_gz = fer[0]
    plus = write_ferplus(tmp_path / "fer2013new.csv", {
        0: "6,4,0,0,0,0,0,0,0,0",   # neutral 6, happiness 4
        1: "0,0,0,0,0,0,0,3,2,5",   # only contempt / unknown / NF: no valid vote
        2: "0,3,0,0,3,0,0,4,0,0",   # happiness 3 = anger 3: tied
        3: "0,0,1,0,0,2,1,0,0,0"})  # disgust 2 of 4 valid (surprise 1, fear 1)
    faces = load_fer2013(csv_gz, "Training", ferplus=plus, cache_dir=cache)
    soft = faces.emotion_soft
    assert soft.shape == (8, 7) and soft.dtype == np.float32
    assert soft[0, NEUTRAL] == pytest.approx(0.6) and soft[0, HAPPY] == pytest.approx(0.4)
    assert (soft[1] == 0).all()
    assert soft[3, emotion_index("disgust")] == pytest.approx(0.5) and soft[3, emotion_index("fear")] == 0.25
    assert np.allclose(soft[[0, 2, 3, 4]].sum(1), 1)
    assert np.array_equal(faces.emotion, fer[3][:8])  # label_source fer2013 keeps FER2013's labels
    relabelled = load_fer2013(csv_gz, "Training", ferplus=plus, label_source="ferplus", cache_dir=cache)
    assert relabelled.emotion[:5].tolist() == [NEUTRAL, -1, -1, emotion_index("disgust"), NEUTRAL]
    assert np.array_equal(relabelled.emotion_soft, soft)


def test_ferplus_votes_become_smile_labels_where_annotators_agree(fer, cache, tmp_path):
    csv_gz = fer[0]
    # columns: neutral, happiness, surprise, sadness, anger, disgust, fear, contempt, unknown, NF
    plus = write_ferplus(tmp_path / "fer2013new.csv", {
        0: "3,7,0,0,0,0,0,0,0,0",   # 7 of 10 happiness: a smile
        1: "4,6,0,0,0,0,0,0,0,0",   # 6 of 10: too few to call
        2: "0,0,6,0,0,0,4,0,0,0",   # surprise and fear, no happiness: open mouth, no smile
        3: "9,1,0,0,0,0,0,0,0,0",   # one happiness vote: maybe a quiet smile, no label
        4: "0,0,0,0,6,4,0,0,0,0",   # anger with disgust: a sneer can lift a corner, no label
        5: "8,0,0,0,0,0,0,2,0,0",   # contempt: a smirk, no label
        6: "0,0,0,0,0,0,0,0,0,0",   # no votes at all
        7: "9,0,0,0,0,0,0,0,0,1"})  # one annotator said not a face
    faces = load_fer2013(csv_gz, "Training", ferplus=plus, ferplus_for=["smile"], cache_dir=cache)
    assert faces.smile[0] == 1.0 and faces.smile[2] == 0.0
    assert np.isnan(faces.smile[[1, 3, 4, 5, 6, 7]]).all()
    assert faces.emotion_soft is None and np.array_equal(faces.emotion, fer[3][:8])
    both = load_fer2013(csv_gz, "all", ferplus=plus, ferplus_for=("emotion", "smile"), cache_dir=cache)
    assert both.emotion_soft is not None and (both.smile[8:] == 0.0).all()  # 10 neutral votes elsewhere
    assert np.isnan(load_fer2013(csv_gz, "Training", ferplus=plus, cache_dir=cache).smile).all()
    with pytest.raises(DatasetError, match="ferplus_for takes 'emotion', 'smile' and 'smile_share'"):
        load_fer2013(csv_gz, "Training", ferplus=plus, ferplus_for=["smiles"], cache_dir=cache)
    with pytest.raises(DatasetError, match="used for 'emotion'"):
        load_fer2013(csv_gz, "Training", ferplus=plus, ferplus_for=["smile"], label_source="ferplus",
                     cache_dir=cache)
    # smile_share: the faces between get the share of annotators who saw happiness; sneers,
    # smirks and "not a face" stay unlabelled
    graded = load_fer2013(csv_gz, "Training", ferplus=plus, ferplus_for=["smile_share"], cache_dir=cache)
    assert graded.smile[[0, 1, 2, 3]] == pytest.approx([1.0, 0.6, 0.0, 0.1])
    assert np.isnan(graded.smile[[4, 5, 6, 7]]).all()


def test_ferplus_rows_must_line_up(fer, cache, tmp_path):
    plus = write_ferplus(tmp_path / "fer2013new.csv", {})
    lines = plus.read_text().splitlines()
    plus.write_text("\n".join(lines[:-1]) + "\n")
    with pytest.raises(DatasetError, match="13 rows but fer2013.csv has 14"):
        load_fer2013(fer[0], "all", ferplus=plus, cache_dir=cache)
    plus.write_text("\n".join(lines[:3] + [lines[3].replace("Training", "PublicTest")] + lines[4:]) + "\n")
    with pytest.raises(DatasetError, match=r"fer2013new.csv:4: Usage 'PublicTest' but fer2013.csv row 4"):
        load_fer2013(fer[0], "all", ferplus=plus, cache_dir=cache)
    with pytest.raises(DatasetError, match="csv layout only"):
        load_fer2013(fer[1], "train", ferplus=plus, cache_dir=cache)


# ---------------------------------------------------------------- image folders

def test_imagefolder_smile_classes_aliases_and_unknown_class(tmp_path, cache):
    rng = np.random.default_rng(3)
    for name in ("smile", "Non-Smile", "Happiness"):
        (tmp_path / "tree" / name).mkdir(parents=True)
        cv2.imwrite(str(tmp_path / "tree" / name / "a.jpg"), synthetic_image(rng))
    faces = load_imagefolder(tmp_path / "tree", cache_dir=cache)
    labels = {Path(p).parent.name: (s, e) for p, s, e in zip(faces.paths, faces.smile, faces.emotion)}
    assert labels["smile"] == (1.0, -1) and labels["Non-Smile"] == (0.0, -1)
    assert np.isnan(labels["Happiness"][0]) and labels["Happiness"][1] == HAPPY
    (tmp_path / "tree" / "giggle").mkdir()
    with pytest.raises(DatasetError, match="unknown class folder 'giggle'"):
        load_imagefolder(tmp_path / "tree", cache_dir=cache)


def test_imagefolder_split_selection(fer, cache):
    tree = fer[1]
    assert len(load_imagefolder(tree, "train", cache_dir=cache)) == 8
    assert len(load_imagefolder(tree, "test", cache_dir=cache)) == 4
    assert len(load_imagefolder(tree, None, cache_dir=cache)) == 12
    with pytest.raises(DatasetError, match="no val/ folder"):
        load_imagefolder(tree, "val", cache_dir=cache)


def test_load_dataset_dispatch(genki, cache):
    assert set(DATASETS) >= {"genki4k", "smilesmiled", "fer2013", "imagefolder", "manifest"}
    assert len(load_dataset("genki4k", genki, "test", crop="none", cache_dir=cache)) == 2
    with pytest.raises(DatasetError, match="unknown dataset kind"):
        load_dataset("genki5k", genki, "test")


# ---------------------------------------------------------------- SequenceDataset

def still_set(n=6, side=40, grey=False) -> FaceSet:
    rng = np.random.default_rng(4)
    items = [synthetic_image(rng, side, side) for _ in range(n)]
    if grey:
        items = [x[:, :, 0].copy() for x in items]
    smile = np.array([1, 0, np.nan, np.nan, 1, np.nan], np.float32)[:n]
    emotion = np.array([-1, -1, HAPPY, NEUTRAL, 2, -1])[:n]
    soft = np.zeros((n, 7), np.float32)
    soft[3, [HAPPY, NEUTRAL]] = (0.25, 0.75)
    soft[5, 0] = 1.0
    return FaceSet("stills", items, smile, emotion, [f"s{i}" for i in range(n)], emotion_soft=soft)


PRE = Preprocessing(input_size=32, grayscale=False)


def test_sequence_still_shapes_masks_and_targets():
    ds = SequenceDataset(still_set(), PRE, seq_len=10, still_views=3)
    s = ds[0]
    assert s["frames"].shape == (3, 3, 32, 32) and s["frames"].dtype == torch.float32
    assert s["order"].shape == (10,) and s["order"].dtype == torch.long and s["index"].item() == 0
    masks = [(bool(ds[i]["smile_mask"]), bool(ds[i]["emotion_mask"])) for i in range(6)]
    assert masks == [(True, False), (True, False), (False, True), (False, True), (True, True), (False, True)]
    assert [float(ds[i]["smile"]) for i in range(6)] == [1, 0, 0, 0, 1, 0]
    assert torch.equal(ds[0]["emotion"], torch.zeros(7))
    assert torch.equal(ds[2]["emotion"], torch.eye(7)[HAPPY])
    assert ds[3]["emotion"][NEUTRAL] == 0.75 and ds[3]["emotion"].sum() == 1  # soft row wins over the label
    assert torch.equal(ds[5]["emotion"], torch.eye(7)[0])                     # soft row without a label


def test_sequence_order_is_a_sorted_covering_assignment():
    ds = SequenceDataset(still_set(), PRE, seq_len=10, still_views=4)
    orders = set()
    for _ in range(5):
        for i in range(len(ds)):
            order = ds[i]["order"]
            assert (order.diff() >= 0).all() and order.min() == 0
            assert set(order.tolist()) == {0, 1, 2, 3}
            orders.add(tuple(order.tolist()))
    assert len(orders) > 5  # random, not one fixed pattern


def test_sequence_views_are_small_motions_of_one_face():
    ds = SequenceDataset(still_set(), PRE, seq_len=10, still_views=2)
    for i in range(len(ds)):
        views, other = ds[i]["frames"], ds[(i + 1) % len(ds)]["frames"]
        assert 0 < (views[0] - views[1]).abs().mean() < (views[0] - other[0]).abs().mean()


def test_sequence_is_deterministic_per_seed():
    a = [SequenceDataset(still_set(), PRE, seed=7)[i]["frames"] for i in range(6)]
    b = [SequenceDataset(still_set(), PRE, seed=7)[i]["frames"] for i in range(6)]
    c = [SequenceDataset(still_set(), PRE, seed=8)[i]["frames"] for i in range(6)]
    assert all(torch.equal(x, y) for x, y in zip(a, b))
    assert not all(torch.equal(x, y) for x, y in zip(a, c))
    ds = SequenceDataset(still_set(), PRE, seed=7)
    assert not torch.equal(ds[0]["frames"], ds[0]["frames"])  # a new draw every visit (every epoch)


def test_sequence_without_augmentation_is_a_static_window():
    faces = still_set()
    ds = SequenceDataset(faces, PRE, seq_len=10, still_views=3, augment=False)
    s = ds[2]
    assert s["frames"].shape == (1, 3, 32, 32) and torch.equal(s["order"], torch.zeros(10, dtype=torch.long))
    assert torch.equal(s["frames"], PRE([faces.items[2]]))
    assert torch.equal(ds[2]["frames"], s["frames"])


def test_camera_augmentation_darkens_adds_noise_and_compresses():
    rng = np.random.default_rng(0)
    img = np.full((32, 32, 3), 128, np.uint8)
    assert np.array_equal(CameraAugmentation(1.0, 0.0, 0)(img, rng), img)      # drawn all off: untouched
    dark = CameraAugmentation(2.2, 0.0, 0)(img, rng)
    assert dark.dtype == np.uint8 and dark.max() == 55                         # 255 * (128/255)**2.2, rounded down
    noisy = CameraAugmentation(1.0, 6.0, 0)
    a, b = noisy(img, rng), noisy(img, rng)
    assert 3 < np.abs(a.astype(int) - 128).mean() < 8 and not np.array_equal(a, b)  # new noise every view
    textured = rng.integers(0, 255, (32, 32, 3), dtype=np.uint8)
    assert not np.array_equal(CameraAugmentation(1.0, 0.0, 15)(textured, rng), textured)
    draws = [CameraAugmentation.draw(rng) for _ in range(400)]
    assert 0.3 < np.mean([d.gamma > 1 for d in draws]) < 0.5                  # DARK_P 0.4
    assert 0.2 < np.mean([d.noise_sigma > 0 for d in draws]) < 0.4            # NOISE_P 0.3


def test_camera_augmentation_reaches_the_windows_only_when_augmenting():
    faces = still_set()
    plain = SequenceDataset(faces, PRE, seed=3)
    camera = SequenceDataset(faces, PRE, seed=3, camera=True)
    assert camera.camera and not plain.camera
    assert not all(torch.equal(plain[i]["frames"], camera[i]["frames"]) for i in range(6))
    static = SequenceDataset(faces, PRE, augment=False, camera=True)
    assert not static.camera and torch.equal(static[2]["frames"], PRE([faces.items[2]]))


def clip_set(lengths=(6, 14)) -> FaceSet:
    items = [np.stack([np.full((20, 20, 3), 10 * t, np.uint8) for t in range(n)]) for n in lengths]
    n = len(items)
    return FaceSet("clips", items, np.full(n, 0.5, np.float32), np.full(n, HAPPY), [f"c{i}" for i in range(n)])


def test_sequence_clips_pad_and_window_and_stills_match_their_shape():
    faces = FaceSet.concat([clip_set(), still_set().subset([0, 1])])
    plain = SequenceDataset(faces, PRE, seq_len=10, augment=False)
    short, long_, still = plain[0], plain[1], plain[2]
    means = [float(f.mean()) for f in short["frames"]]
    assert short["frames"].shape == (10, 3, 32, 32)
    assert means[5:] == [means[5]] * 5 and means[:5] == sorted(means[:5])  # 6 frames, last repeated
    assert torch.equal(long_["frames"][0], PRE([faces.items[1][2]])[0])    # centre window of 14: frames 2..11
    assert still["frames"].shape == (10, 3, 32, 32) and torch.equal(still["order"], torch.arange(10))
    augmented = SequenceDataset(faces, PRE, seq_len=10)
    batch = next(iter(DataLoader(augmented, batch_size=4)))
    assert batch["frames"].shape == (4, 10, 3, 32, 32) and batch["order"].shape == (4, 10)
    assert batch["smile_mask"].tolist() == [True, True, True, True]
    starts = {round(float(augmented[1]["frames"][0].mean()), 3) for _ in range(12)}
    assert len(starts) > 1  # random windows (and light) per visit


def test_sequence_rejects_more_views_than_steps():
    with pytest.raises(ValueError, match="still_views"):
        SequenceDataset(still_set(), PRE, seq_len=4, still_views=5)


def hidden_rows(sample) -> tuple[int, int]:
    """The one band of rows that is flat (one grey) on every view of a sample: (top, bottom)."""
    views = sample["frames"][:, 0].numpy()
    flat_rows = [r for r in range(views.shape[1]) if all(np.ptp(v[r]) == 0 for v in views)]
    assert flat_rows == list(range(flat_rows[0], flat_rows[-1] + 1))   # one band, the same on every view
    return flat_rows[0], flat_rows[-1] + 1


@pytest.mark.parametrize("band, top, bottom", [("upper", (0.08, 0.18), (0.48, 0.54)),
                                               ("mouth", (0.58, 0.64), (0.94, 1.0))])
def test_a_hidden_band_greys_the_same_rows_of_all_views_and_masks_the_emotion(band, top, bottom):
    faces = still_set()
    ds = SequenceDataset(faces, Preprocessing(input_size=32, grayscale=True), seed=5, still_views=3,
                         **{"hide_upper_face" if band == "upper" else "hide_mouth": 1.0})
    for i in range(len(faces)):
        s = ds[i]
        first, last = hidden_rows(s)
        assert top[0] * 32 - 1 <= first <= top[1] * 32 + 1 and bottom[0] * 32 - 1 <= last <= bottom[1] * 32 + 1
        assert not s["emotion_mask"] and bool(s["smile_mask"]) == bool(ds.smile_mask[i])
    never = SequenceDataset(faces, PRE, seed=5)
    assert [bool(never[i]["emotion_mask"]) for i in range(6)] == never.emotion_mask.tolist()
    static = SequenceDataset(faces, PRE, augment=False, hide_mouth=1.0)   # evaluation never hides
    assert torch.equal(static[2]["frames"], PRE([faces.items[2]]))


def test_hidden_bands_split_the_samples_by_their_probabilities():
    ds = SequenceDataset(still_set(), PRE, seed=2, hide_upper_face=0.3, hide_mouth=0.5)
    rng = np.random.default_rng(0)
    drawn = [ds._hidden_band(rng) for _ in range(2000)]
    assert abs(drawn.count("upper") / 2000 - 0.3) < 0.04 and abs(drawn.count("mouth") / 2000 - 0.5) < 0.04


def test_hidden_bands_are_probabilities():
    with pytest.raises(ValueError, match="hide_upper_face and hide_mouth are probabilities"):
        SequenceDataset(still_set(), PRE, hide_upper_face=0.6, hide_mouth=0.6)
