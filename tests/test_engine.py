"""The real-time engine with no camera and no window: tracking, NO_FACE, threads,
sources that fail or vanish, frame dropping, the headless CLI and its CSV."""
from __future__ import annotations

import csv
import time
from dataclasses import replace
from pathlib import Path

import cv2
import numpy as np
import pytest
import torch

import main
from game.capture import (CaptureThread, LatestSlot, SourceError, SourceState, SourceStatus, VideoFileSource,
                          open_source)
from game.config import (THRESHOLD_RANGE, ConfigError, GameConfig, InferenceSettings, SourceSettings, TrackingSettings,
                         load_config)
from game.engine import Engine, build_engine
from game.headless import COLUMNS
from game.inference import PlayerModels, resolve_runtime
from game.tracker import PlayerTracker
from game.types import Judgement, Verdict
from model.face import FaceBox, square_crop
from model.network import SmileEmotionNet, StreamingModel
from model.data.spans import read_sample_clips

FAST_RECONNECT = SourceSettings(reconnect_first_s=0.01, reconnect_max_s=0.04)


class StubFinder:
    """Face 'detection' from a script: call i returns boxes[i] (the last entry repeats)."""

    def __init__(self, boxes: list[list[FaceBox]], delay_s: float = 0.0):
        self.boxes, self.delay_s, self.calls = boxes, delay_s, 0

    def find(self, rgb: np.ndarray) -> list[FaceBox]:
        time.sleep(self.delay_s)
        found = self.boxes[min(self.calls, len(self.boxes) - 1)]
        self.calls += 1
        return list(found)

    def crop(self, rgb: np.ndarray, box: FaceBox) -> np.ndarray:
        return square_crop(rgb, box, 0.2, 64)

    def close(self) -> None:
        pass


class ScriptedSource:
    """Frames from memory. ``gaps``: read numbers that fail (None); ``raise_at``: read
    number that raises SourceError; ``reopen_failures``: reopen attempts that fail."""

    def __init__(self, n: int, live: bool = False, fps: float = 30.0, gaps: range = range(0),
                 raise_at: int | None = None, reopen_failures: int = 0):
        self.n, self.live, self.fps, self.gaps, self.raise_at = n, live, fps, gaps, raise_at
        self.reopen_failures = reopen_failures
        self.name, self.reads, self.reopens, self.closed = "scripted", 0, 0, False
        self.rng = np.random.default_rng(0)

    def read(self):
        i, self.reads = self.reads, self.reads + 1
        if self.live:
            time.sleep(1 / self.fps)
        if i == self.raise_at:
            raise SourceError("scripted: decoder broke")
        if i in self.gaps:
            return None
        if i >= self.n:
            return None
        return self.rng.integers(0, 255, (48, 64, 3), dtype=np.uint8), i / self.fps

    def reopen(self) -> None:
        self.reopens += 1
        if self.reopens <= self.reopen_failures:
            raise SourceError("scripted: still gone")

    def close(self) -> None:
        self.closed = True


def box(x: float, y: float, side: float = 20.0) -> FaceBox:
    return FaceBox(x, y, side, side, 0.9)


@pytest.fixture(scope="module")
def model() -> SmileEmotionNet:
    torch.manual_seed(0)
    return SmileEmotionNet().eval()


def make_engine(model, boxes, players=1, config=GameConfig(), delay_s=0.0) -> Engine:
    return Engine(model, config, players, finder=StubFinder(boxes, delay_s))


# -- tracking ------------------------------------------------------------------------------

def test_tracker_keeps_the_player_then_coasts_then_loses():
    tracker = PlayerTracker(1, TrackingSettings(no_face_frames=3))
    player, bystander = box(10, 10, 30), box(100, 10, 20)
    assert tracker.update([bystander, player]) == [player]            # the largest face
    moved, bigger_bystander = box(14, 12, 30), box(100, 10, 50)
    assert tracker.update([bigger_bystander, moved]) == [moved]      # tracked, not re-picked
    assert tracker.update([bigger_bystander]) == [moved]             # missed once: last box kept
    assert tracker.update([bigger_bystander]) == [moved]             # twice
    assert tracker.update([]) == [None]                              # third miss: NO_FACE
    assert tracker.update([bigger_bystander]) == [bigger_bystander]  # next face becomes the player


def test_two_players_left_to_right_and_stay_themselves():
    tracker = PlayerTracker(2, TrackingSettings(no_face_frames=2))
    left, right = box(10, 10, 20), box(100, 10, 40)
    assert tracker.update([right, left, box(200, 10, 5)]) == [left, right]  # two largest, by x
    # They move towards each other; each slot follows its own face.
    l2, r2 = box(16, 10, 20), box(90, 10, 40)
    assert tracker.update([r2, l2]) == [l2, r2]
    assert tracker.update([r2]) == [l2, r2]   # player 1 missed once: kept
    assert tracker.update([r2]) == [None, r2]  # gone
    with pytest.raises(ValueError):
        PlayerTracker(3, TrackingSettings())


# -- the per-frame path ----------------------------------------------------------------------

def test_no_face_for_n_frames_clears_the_window_and_is_never_out(model):
    face = box(10, 5, 30)
    config = replace(GameConfig(), tracking=TrackingSettings(no_face_frames=3))
    engine = make_engine(model, [[face]] * 4 + [[]] * 4 + [[face]], config=config)
    results = list(engine.run(ScriptedSource(9)))
    verdicts = [r.judgement.verdict for r in results]
    assert verdicts[:6] == [Verdict.SAFE] * 6          # 4 seen + 2 coasting on the last box
    assert verdicts[6:8] == [Verdict.NO_FACE] * 2
    assert results[6].box is None and not results[6].face_found
    assert results[8].face_found and verdicts[8] is not Verdict.NO_FACE
    assert len(engine.models.streams[0].window) == 1  # cleared at NO_FACE, one frame since
    assert [r.frame.index for r in results] == list(range(9))
    assert set(results[0].stage_ms) == {"detect", "track_crop", "model", "judge"}


def test_face_off_keeps_a_window_and_judge_per_player(model):
    left, right = box(2, 5, 20), box(40, 5, 20)
    config = replace(GameConfig(), tracking=TrackingSettings(no_face_frames=1))
    engine = make_engine(model, [[right, left]] * 3 + [[left]] * 2, players=2, config=config)
    results = list(engine.run(ScriptedSource(5)))
    assert [p.box for p in results[0].players] == [left, right]
    assert [p.judgement.verdict for p in results[-1].players] == [Verdict.SAFE, Verdict.NO_FACE]
    assert [len(w.window) for w in engine.models.streams] == [5, 0]
    assert results[-1].box == left  # EngineResult.box is player 1's


def test_runtime_configure_validates(model):
    engine = make_engine(model, [[]])
    engine.configure(threshold=0.6, two_stage=True)
    engine.set_baseline(0.3)
    assert engine.judges[0].settings.threshold == 0.6 and engine.judges[0].settings.two_stage
    with pytest.raises(ValueError, match="judge.threshold"):
        engine.configure(threshold=0.95)


@pytest.mark.parametrize("runtime, tolerance", [("torch", 1e-5), ("onnxruntime", 1e-4)])
@pytest.mark.parametrize("tta_flip", [False, True])
def test_player_models_match_the_plain_streaming_model(runtime, tolerance, tta_flip):
    torch.manual_seed(1)
    net = SmileEmotionNet().eval()
    for bn in (m for m in net.modules() if isinstance(m, torch.nn.BatchNorm2d)):
        bn.running_mean.uniform_(-0.5, 0.5)  # non-trivial statistics, as after training
        bn.running_var.uniform_(0.5, 2.0)
    plain, players = StreamingModel(net, tta_flip=tta_flip), PlayerModels(net, 2, runtime=runtime, tta_flip=tta_flip)
    assert players.runtime == runtime
    rng = np.random.default_rng(2)
    for _ in range(12):
        crop = rng.integers(0, 255, (64, 64, 3), dtype=np.uint8)
        a, (_, b) = plain.push(crop), players.push_many([None, crop])
        assert b.smile == pytest.approx(a.smile, abs=tolerance)
        np.testing.assert_allclose(b.emotion_probs, a.emotion_probs, atol=tolerance)
    assert [len(w.window) for w in players.streams] == [0, 10]
    assert any(isinstance(m, torch.nn.BatchNorm2d) for m in net.modules())  # the caller's model is untouched


def test_runtime_auto_is_onnxruntime_on_the_cpu_and_torch_on_a_gpu():
    assert resolve_runtime("auto", "cpu") == "onnxruntime"
    assert resolve_runtime("auto", "cuda") == "torch"
    assert resolve_runtime("torch", "cpu") == "torch"
    with pytest.raises(ValueError, match="runtime"):
        PlayerModels(SmileEmotionNet(), 1, runtime="tensorflow")


def test_onnxruntime_on_a_gpu_device_is_a_config_error(monkeypatch, tmp_path):
    import game.engine

    monkeypatch.setattr(game.engine, "pick_device", lambda name: torch.device("cuda"))
    config = load_config(Path(__file__).resolve().parents[1] / "configs" / "game.yaml")
    config = replace(config, inference=replace(config.inference, runtime="onnxruntime"))
    with pytest.raises(ConfigError, match="inference.runtime = onnxruntime runs on the CPU"):
        build_engine(tmp_path / "never_read.pt", config)


@pytest.mark.parametrize("tta_flip", [False, True])
def test_face_off_batches_both_players_through_one_backbone_call(model, monkeypatch, tta_flip):
    """inference.tta_flip reaches the engine: each face, and with tta_flip each mirrored face too,
    in one backbone call per frame."""
    left, right = box(2, 5, 20), box(40, 5, 20)
    engine = make_engine(model, [[left, right]], players=2,
                         config=GameConfig(inference=InferenceSettings(tta_flip=tta_flip)))
    calls = []
    backbone = engine.models.streams[0].model
    real_embed = backbone.embed
    monkeypatch.setattr(backbone, "embed", lambda images: calls.append(len(images)) or real_embed(images))
    list(engine.run(ScriptedSource(3)))
    assert calls == [4 if tta_flip else 2] * 3


class ClosableFinder(StubFinder):
    """A StubFinder that counts close() and, like MediaPipe, cannot detect once closed."""

    def __init__(self, boxes):
        super().__init__(boxes)
        self.closes = 0

    def find(self, rgb):
        if self.closes:
            raise RuntimeError("the face detector was closed")
        return super().find(rgb)

    def close(self) -> None:
        self.closes += 1


def test_an_engine_closes_only_the_finder_it_made(model, monkeypatch):
    lent = ClosableFinder([[box(10, 5, 30)]])
    Engine(model, GameConfig(), finder=lent).close()
    assert lent.closes == 0
    made = []
    monkeypatch.setattr("game.engine.FaceFinder", lambda *a: made.append(ClosableFinder([[]])) or made[-1])
    Engine(model, GameConfig()).close()
    assert made[0].closes == 1


def test_host_lends_one_finder_to_each_engine_and_closes_it_once(model, tmp_path, monkeypatch):
    from game.host import EngineHost

    folder = tmp_path / "frames"
    folder.mkdir()
    for i in range(4):
        cv2.imwrite(str(folder / f"{i:03d}.png"), np.full((48, 64, 3), 90, np.uint8))
    made = []
    monkeypatch.setattr("game.host.FaceFinder",
                        lambda *a: made.append(ClosableFinder([[box(4, 4, 24), box(34, 4, 24)]])) or made[-1])
    host = EngineHost(model, GameConfig(), str(folder))
    assert next(host.run_sync(1)).face_found and host.latest().face_found
    solo = host.engine
    faceoff = host.run_sync(2)                   # face-off: a new engine on the same finder
    solo.close()                                 # closing the old engine after the hand-over ...
    result = next(faceoff)                       # ... leaves the new one working
    assert host.engine is not solo and [p.box is not None for p in result.players] == [True, True]
    assert len(made) == 1 and made[0].closes == 0
    host.close()
    assert made[0].closes == 1


# -- threads -------------------------------------------------------------------------------

def test_threads_stop_within_a_second(model):
    source = ScriptedSource(10_000, live=True)
    engine = make_engine(model, [[box(10, 5, 30)]])
    engine.start(source)
    deadline = time.monotonic() + 5
    while engine.latest() is None and time.monotonic() < deadline:
        time.sleep(0.02)
    assert engine.latest() is not None and engine.running
    t = time.monotonic()
    assert engine.stop()
    assert time.monotonic() - t < 1.0
    assert not engine.running and source.closed
    assert engine.source_state.status is SourceStatus.STOPPED


def test_stop_during_camera_reconnect_backoff_is_prompt(model):
    config = replace(GameConfig(), source=SourceSettings(reconnect_first_s=5.0, reconnect_max_s=5.0))
    source = ScriptedSource(10_000, live=True, gaps=range(0, 10_000))  # the camera never delivers
    engine = make_engine(model, [[]], config=config)
    engine.start(source)
    deadline = time.monotonic() + 5
    while engine.source_state.status is not SourceStatus.LOST and time.monotonic() < deadline:
        time.sleep(0.02)
    assert engine.source_state.status is SourceStatus.LOST
    t = time.monotonic()
    assert engine.stop() and time.monotonic() - t < 1.0


def test_file_run_is_lossless_and_in_order(model):
    seen: list[int] = []
    engine = make_engine(model, [[box(10, 5, 30)]], delay_s=0.005)
    engine.start(ScriptedSource(25), realtime=False, on_result=lambda r: seen.append(r.frame.index))
    assert engine.wait(10)
    assert seen == list(range(25)) and engine.frames_dropped == 0
    assert engine.source_state.status is SourceStatus.ENDED


def test_source_failing_mid_run_is_reported_not_hung(model):
    engine = make_engine(model, [[box(10, 5, 30)]])
    engine.start(ScriptedSource(100, raise_at=7), realtime=False)
    assert engine.wait(5), "the run must end when its source breaks"
    state = engine.source_state
    assert state.status is SourceStatus.FAILED and "decoder broke" in state.message
    assert engine.frames_processed == 7


def test_processing_error_ends_the_run(model):
    class BrokenFinder(StubFinder):
        def find(self, rgb):
            raise RuntimeError("detector crashed")

    engine = Engine(model, GameConfig(), finder=BrokenFinder([[]]))
    engine.start(ScriptedSource(10_000, live=True))
    assert engine.wait(5)
    assert isinstance(engine.error, RuntimeError)
    assert engine.stop()


def test_lost_camera_is_reported_and_reopened(model):
    states: list[SourceState] = []
    source = ScriptedSource(60, live=True, fps=200, gaps=range(10, 15), reopen_failures=2)
    frames: LatestSlot = LatestSlot(drop=True)
    capture = CaptureThread(source, frames, FAST_RECONNECT, on_state=states.append)
    got: list[int] = []
    capture.start()
    deadline = time.monotonic() + 5
    while len(got) < 25 and time.monotonic() < deadline:
        frame = frames.get(0.05)
        if frame is not None:
            got.append(frame.index)
    capture.stop()
    capture.join(1.0)
    statuses = [s.status for s in states]
    assert SourceStatus.LOST in statuses
    assert statuses.count(SourceStatus.LOST) == 3  # one report per attempt: 2 failed reopens, 1 good
    assert any(s.status is SourceStatus.RUNNING and "reconnected" in s.message for s in states)
    assert source.reopens == 3 and len(got) >= 25  # frames flow again after the reconnect
    assert not capture.is_alive()


def test_realtime_drops_stale_frames_instead_of_queueing(model):
    # 1 s of video at 30 fps, but processing takes ~80 ms a frame.
    results = []
    engine = make_engine(model, [[box(10, 5, 30)]], delay_s=0.08)
    engine.start(ScriptedSource(30), realtime=True, on_result=results.append)
    assert engine.wait(10)
    assert engine.frames_dropped > 5 and len(results) < 25
    # Without a backlog, latency stays near one or two process times instead of growing: a
    # queue would add ~50 ms per frame (80 ms work, 33 ms arrivals), ~500 ms by the 12th result.
    # Compared with the run's own start, so a loaded machine's slower frames do not matter.
    latency = [r.latency_ms for r in results]
    assert sorted(latency[-4:])[1] < sorted(latency[:4])[1] + 250
    indices = [r.frame.index for r in results]
    assert indices == sorted(indices) and indices[-1] >= 25  # it kept up with the newest frames


# -- sources -------------------------------------------------------------------------------

def write_noise_video(path: Path, frames: int = 12, size: tuple[int, int] = (160, 120)) -> Path:
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"mp4v"), 25.0, size)
    rng = np.random.default_rng(1)
    for _ in range(frames):
        writer.write(rng.integers(0, 255, (size[1], size[0], 3), dtype=np.uint8))
    writer.release()
    return path


def test_open_source_errors_are_one_line(tmp_path):
    settings = SourceSettings()
    with pytest.raises(SourceError, match="no such video file or image folder"):
        open_source(tmp_path / "missing.mp4", settings)
    corrupt = tmp_path / "corrupt.mp4"
    corrupt.write_bytes(b"not a video" * 100)
    with pytest.raises(SourceError, match=r"corrupt\.mp4: cannot read as a video"):
        open_source(str(corrupt), settings)
    with pytest.raises(SourceError, match=r"no camera found at index 99.*--source FILE") as err:
        open_source("99", settings)
    assert "\n" not in str(err.value)
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(SourceError, match="no images"):
        open_source(empty, settings)


def test_image_folder_and_video_sources(tmp_path):
    folder = tmp_path / "frames"
    folder.mkdir()
    for i in range(3):
        cv2.imwrite(str(folder / f"{i:03d}.png"), np.full((20, 30, 3), (255, 0, 0), np.uint8))  # BGR blue
    (folder / "notes.txt").write_text("ignored")
    source = open_source(folder, SourceSettings(folder_fps=10.0))
    frames = [source.read() for _ in range(4)]
    assert frames[-1] is None and [t for _, t in frames[:3]] == [0.0, 0.1, 0.2]
    assert tuple(frames[0][0][0, 0]) == (0, 0, 255)  # RGB
    (folder / "003.png").write_bytes(b"broken")
    source = open_source(folder, SourceSettings())
    with pytest.raises(SourceError, match=r"003\.png: cannot read image"):
        for _ in range(5):
            source.read()
    video = VideoFileSource(write_noise_video(tmp_path / "noise.mp4"))
    assert video.fps == 25.0 and sum(1 for _ in iter(video.read, None)) == 12


# -- headless CLI --------------------------------------------------------------------------

def read_csv(path: Path) -> list[dict[str, str]]:
    with open(path, newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


def test_headless_noise_video_is_no_face(tmp_path, random_checkpoint, capsys):
    video = write_noise_video(tmp_path / "noise.mp4")
    log = tmp_path / "noise.csv"
    code = main.main(["--source", str(video), "--headless", "--weights", str(random_checkpoint),
                      "--log", str(log)])
    assert code == 0
    rows = read_csv(log)
    assert len(rows) == 12
    assert {r["verdict"] for r in rows} == {"NO_FACE"} and {r["face_found"] for r in rows} == {"0"}
    assert {r["analysis"] for r in rows} == {"no_face"}
    out = capsys.readouterr().out.strip().splitlines()
    assert len(out) == 1 and out[0].startswith("done: 12 frames") and "OUT in 0" in out[0]


def test_headless_csv_columns_and_determinism(tmp_path, random_checkpoint, videos_dir):
    video = videos_dir / "smile_transition_a.mp4"
    runs = []
    for name in ("a.csv", "b.csv"):
        args = ["--source", str(video), "--headless", "--weights", str(random_checkpoint),
                "--log", str(tmp_path / name), "--max-frames", "40", "--two-stage"]
        assert main.main(args) == 0
        runs.append(read_csv(tmp_path / name))
    with open(tmp_path / "a.csv", encoding="utf-8") as f:
        assert tuple(f.readline().strip().split(",")) == COLUMNS
    a, b = runs
    assert len(a) == 40 and [int(r["frame"]) for r in a] == list(range(40))
    assert float(a[25]["t"]) == pytest.approx(1.0)  # 25 fps
    assert sum(r["face_found"] == "1" for r in a) >= 38 and {r["mode"] for r in a} == {"two_stage"}
    for row in a:
        p = [float(row[f"p_{e}"]) for e in ("angry", "disgust", "fear", "happy", "sad", "surprise", "neutral")]
        assert sum(p) == pytest.approx(1.0, abs=1e-4) and 0 <= float(row["smile"]) <= 1
        assert float(row["process_ms"]) > 0 and float(row["latency_ms"]) >= float(row["process_ms"]) * 0.5
    timing = {"process_ms", "latency_ms"}
    strip = lambda rows: [{k: v for k, v in r.items() if k not in timing} for r in rows]  # noqa: E731
    assert strip(a) == strip(b)


@pytest.mark.parametrize("extra, message", [
    (["--weights", "WEIGHTS_DIR/missing.pt"], "missing.pt: weights file not found"),
    (["--threshold", "0.95"], "--threshold 0.95 is outside the difficulty range"),
    (["--source", "SOURCE_DIR/corrupt.mp4"], "corrupt.mp4: cannot read as a video"),
    (["--source", "99"], "no camera found at index 99"),
    (["--config", "SOURCE_DIR/bad.yaml"], "bad.yaml: judge.out_frames = 0 is outside"),
])
def test_cli_errors_are_one_line_and_exit_2(tmp_path, random_checkpoint, capsys, extra, message):
    (tmp_path / "corrupt.mp4").write_bytes(b"\x00garbage" * 64)
    (tmp_path / "bad.yaml").write_text("judge:\n  out_frames: 0\n")
    args = ["--source", str(write_noise_video(tmp_path / "ok.mp4")), "--headless",
            "--weights", str(random_checkpoint)]
    args += [a.replace("WEIGHTS_DIR", str(tmp_path)).replace("SOURCE_DIR", str(tmp_path)) for a in extra]
    assert main.main(args) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("error: ") and message in err[0]


def test_corrupt_weights_are_a_checkpoint_error(tmp_path, capsys):
    bad = tmp_path / "bad.pt"
    bad.write_bytes(b"not a checkpoint")
    assert main.main(["--source", "0", "--headless", "--weights", str(bad)]) == 2
    assert "bad.pt: corrupt or unreadable weights file" in capsys.readouterr().err


# -- with the trained weights ----------------------------------------------------------------

def judgements_over(video: Path, weights: Path) -> list[tuple[float, Judgement]]:
    config = load_config(Path(__file__).resolve().parents[1] / "configs" / "game.yaml")
    engine = build_engine(weights, config)
    torch.set_num_threads(1)
    try:
        return [(r.frame.t_source, r.judgement) for r in engine.run(open_source(video, config.source))]
    finally:
        engine.close()


def test_trained_smile_transition_is_out_during_the_smile(shipped_weights, videos_dir):
    verdicts = [(t, j.verdict) for t, j in judgements_over(videos_dir / "smile_transition_a.mp4", shipped_weights)]
    assert all(v is Verdict.SAFE for t, v in verdicts if t < 0.5)
    during = [v for t, v in verdicts if 1.2 <= t <= 2.3]  # broad smile ~0.8-2.6 s, after smoothing
    assert sum(v is Verdict.OUT for v in during) >= 0.8 * len(during)


# neutral_blinks.mp4 is not neutral throughout, whatever its README says: it bares its teeth in a
# wide-eyed grimace (timed in assets/labels/sample_clips.csv), which must not make the player OUT.
# Everything after it (blinks, closed eyes, a pout) must stay SAFE too. Not asserted: the quiet
# closed-lip smile the clip opens with (to ~0.7 s; 0.5 on docs/labelling.md's scale, so SAFE at
# 0.8 by that guide); weights/README.md reports what the shipped model does there. The verdict
# stays SAFE to the grimace's end plus the smoothing's tail (the smoothed score decays after).
(GRIMACE,) = read_sample_clips(Path(__file__).resolve().parents[1] / "assets" / "labels" / "sample_clips.csv")[
    "neutral_blinks.mp4"]["grimace"]
SMOOTHING_TAIL_S = 0.23
GRIMACE_S = (GRIMACE[0], GRIMACE[1] + SMOOTHING_TAIL_S)


@pytest.fixture(scope="module")
def neutral_blinks_judgements(shipped_weights, videos_dir):
    return judgements_over(videos_dir / "neutral_blinks.mp4", shipped_weights)


def test_trained_neutral_blinks_is_never_out_after_the_grimace(neutral_blinks_judgements):
    after = [j.verdict for t, j in neutral_blinks_judgements if t > GRIMACE_S[1]]
    assert len(after) > 400 and not any(v is Verdict.OUT for v in after)


def test_trained_neutral_blinks_grimace_is_not_out(neutral_blinks_judgements):
    assert not any(j.verdict is Verdict.OUT for t, j in neutral_blinks_judgements if GRIMACE_S[0] <= t <= GRIMACE_S[1])


# Not only SAFE at the default threshold after smoothing: the grimace must not read as a smile at
# any difficulty a player can choose, so head 1's raw score stays below the lowest threshold (0.5)
# on every frame of it (the span clip_verdicts reports).
def test_trained_neutral_blinks_grimace_scores_below_every_threshold(neutral_blinks_judgements):
    start, end = GRIMACE
    scores = [j.smile for t, j in neutral_blinks_judgements if start <= t <= end]
    assert len(scores) > 20 and max(scores) < THRESHOLD_RANGE[0]
