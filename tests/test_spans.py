"""Span labels of clips (assets/labels/clip_spans.csv): reading, checking, and 10-frame windows."""
from __future__ import annotations

import math

import numpy as np
import pytest

from model.data import load_dataset
from model.data.errors import DatasetError
from model.data.spans import clips_of, read_spans
from tests.conftest import REPO, require

LABELS = REPO / "assets" / "labels" / "clip_spans.csv"
HEADER = "clip,split,start_s,end_s,smile,note"


def spans_csv(tmp_path, *rows):
    path = tmp_path / "spans.csv"
    path.write_text("\n".join([HEADER, *rows]) + "\n", encoding="utf-8")
    return path


def test_spans_read_in_order_with_empty_levels_as_cannot_tell(tmp_path):
    spans = read_spans(spans_csv(tmp_path, "a.mp4,train,0,1.5,0,talking", "a.mp4,train,1.5,2,,turning",
                                 "b.mp4,test,0,3,0.75,smiles"))
    assert [(s.clip, s.start, s.end) for s in spans] == [("a.mp4", 0, 1.5), ("a.mp4", 1.5, 2), ("b.mp4", 0, 3)]
    assert spans[0].smile == 0 and math.isnan(spans[1].smile)
    assert list(clips_of(spans, "test")) == ["b.mp4"] and len(clips_of(spans, "all")) == 2


@pytest.mark.parametrize("row, message", [
    ("a.mp4,train,0,nan,0,x", "end_s must be a finite number, got 'nan'"),
    ("a.mp4,train,2,1,0,x", "need 0 <= start_s < end_s"),
    ("a.mp4,val,0,1,0,x", "split must be one of train, test, got 'val'"),
    ("a.mp4,train,0,1,1.5,x", "smile must be 0..1 or empty"),
])
def test_a_bad_span_is_named_by_file_and_line(tmp_path, row, message):
    with pytest.raises(DatasetError, match=rf"spans\.csv:2: {message}"):
        read_spans(spans_csv(tmp_path, row))


def test_overlapping_spans_of_one_clip_are_refused(tmp_path):
    with pytest.raises(DatasetError, match=r"spans\.csv:3: span starts before the clip's previous one ends"):
        read_spans(spans_csv(tmp_path, "a.mp4,train,0,2,0,x", "a.mp4,train,1.5,3,0,x"))


def test_the_committed_labels_tile_every_clip_and_keep_test_clips_apart():
    spans = read_spans(LABELS)
    for clip, own in clips_of(spans, "all").items():
        assert own[0].start == 0 and all(a.end == pytest.approx(b.start) for a, b in zip(own, own[1:])), clip
    assert set(clips_of(spans, "train")).isdisjoint(clips_of(spans, "test"))
    assert any(s.smile >= 0.5 for s in spans if "speech" in s.clip)  # a speaking smile is still a smile


def test_windows_of_a_talking_clip_are_ten_real_frames_labelled_by_their_span(shared_dir, tmp_path):
    datasets = require(shared_dir / "datasets" / "videos" / "talking", "talking clips").parents[1]
    labels = spans_csv(tmp_path, "videos/talking/grid_bbaf2n.mp4,train,0,2,0,talking",
                       "videos/talking/grid_bbaf2n.mp4,train,2,3,,unsure")
    fs = load_dataset("spans", datasets, "train", labels=labels, size=32)
    assert len(fs) == 9  # 50 frames in 0-2 s: window starts 0, 5, ..., 40; the unlabelled second gives none
    assert all(fs.is_clip(i) and fs.items[i].shape == (10, 32, 32, 3) for i in range(len(fs)))
    assert (fs.smile == 0).all() and (fs.emotion == -1).all()
    assert not np.array_equal(fs.items[0][0], fs.items[0][9])  # real motion, not a repeated still


def test_sample_clip_annotations_group_smiles_and_grimaces_by_clip(tmp_path):
    from model.data.spans import read_sample_clips

    path = tmp_path / "sample.csv"
    path.write_text("clip,kind,start_s,end_s,note\na.mp4,smile,1,2,x\nb.mp4,grimace,0.5,1,y\na.mp4,smile,3,4,z\n")
    assert read_sample_clips(path) == {"a.mp4": {"smile": [(1, 2), (3, 4)], "grimace": []},
                                       "b.mp4": {"smile": [], "grimace": [(0.5, 1)]}}
    path.write_text("clip,kind,start_s,end_s,note\na.mp4,laugh,1,2,x\n")
    with pytest.raises(DatasetError, match=r"sample\.csv:2: kind must be one of smile, grimace, got 'laugh'"):
        read_sample_clips(path)
