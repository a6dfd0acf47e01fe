"""SequenceDataset: FaceSet items -> model inputs (frames, order) with per-head targets and masks.

A still photo becomes K jittered views of one augmented face, arranged by ``order``
into a T-step window (each view held for a few steps), so the LSTM sees the small
motion a live face has while the backbone runs only K times. A clip gives T real
consecutive frames.
"""
from __future__ import annotations

import math

import cv2
import numpy as np
import torch
from torch.utils.data import Dataset, Sampler, get_worker_info

from model.data.faceset import FaceSet
from model.labels import EMOTIONS
from model.preprocess import Preprocessing

# Per-view jitter between the still views of one sample: small, as between video frames.
VIEW_SHIFT, VIEW_SCALE, VIEW_ROTATE_DEG, VIEW_LIGHT = 0.04, 0.05, 5.0, 0.10
# Per-sample augmentation, shared by all views (or all frames of a clip).
FLIP_P, CROP_AREA, LIGHT, BLUR_P = 0.5, (0.85, 1.0), 0.25, 0.2
# Camera augmentation (data.camera_augment): what a cheap webcam in a dim room adds. Each with
# its probability: darkening gamma, sensor noise (σ in grey levels), JPEG compression (quality).
DARK_P, DARK_GAMMA = 0.4, (1.0, 2.2)
NOISE_P, NOISE_SIGMA = 0.3, (2.0, 8.0)
JPEG_P, JPEG_QUALITY = 0.3, (15, 60)
# Hidden bands (data.hide_upper_face, data.hide_mouth: probabilities; a sample gets one band at
# most): rows of the (levelled) crop, top drawn from the first range and bottom from the second,
# filled with the face's mean grey, so the network must find the smile with one part of the face
# hidden. Upper: brows and eyes (only the mouth can say "no smile"). Mouth: mouth and chin (only
# cheeks and eyes can say "smile": bared teeth alone cannot). A face with a band hidden no longer
# shows its emotion, so head 2 does not learn from it.
HIDDEN_BANDS = {"upper": ((0.08, 0.18), (0.48, 0.54)), "mouth": ((0.58, 0.64), (0.94, 1.0))}


class SequenceDataset(Dataset):
    """Items of a FaceSet as dicts of tensors:

    frames (K, 3, S, S) float, normalised; order (T,) long into the K frames;
    smile () float + smile_mask () bool; emotion (7,) float target distribution +
    emotion_mask () bool; index () long. With ``hide_upper_face`` or ``hide_mouth`` > 0 that share
    of training samples has brows and eyes, or mouth and chin, hidden (and its emotion masked).

    Augmentation draws from one generator per process and epoch: seeded by ``seed`` in
    the main process, by (seed, the worker's seed) in a DataLoader worker, plus ``epoch``
    once the training loop sets it. Workers differ from each other and from epoch to epoch,
    a run seeded with torch.manual_seed repeats, and one resumed at an epoch (with torch's
    RNG restored) draws the same augmentations as the run it continues."""

    def __init__(self, faceset: FaceSet, preprocessing: Preprocessing, seq_len: int = 10,
                 still_views: int = 2, augment: bool = True, seed: int = 0, camera: bool = False,
                 clip_batches: bool = False, hide_upper_face: float = 0.0, hide_mouth: float = 0.0):
        if not 1 <= still_views <= seq_len:
            raise ValueError(f"still_views must be 1..seq_len ({seq_len}), got {still_views}")
        if not (0.0 <= hide_upper_face and 0.0 <= hide_mouth and hide_upper_face + hide_mouth <= 1.0):
            raise ValueError(f"hide_upper_face and hide_mouth are probabilities summing to 1 at most, "
                             f"got {hide_upper_face} and {hide_mouth}")
        self.faces, self.pre = faceset, preprocessing
        self.seq_len, self.augment, self.seed = seq_len, augment, seed
        self.camera = camera and augment  # camera augmentation, on top of the rest
        self.hide = {"upper": hide_upper_face, "mouth": hide_mouth} if augment else {}
        self._rng: np.random.Generator | None = None
        self._rng_key: tuple | None = None
        # The training loop sets the epoch before each one: augmentation then depends on (seed,
        # epoch, worker seed) only, so a run resumed at an epoch draws what the uninterrupted run drew.
        self.epoch = 0
        has_clips = any(faceset.is_clip(i) for i in range(len(faceset)))
        # Clips need K = T frames; stills then use K = T too so samples stack into one batch,
        # unless the batches keep clips apart (clip_batches: ClipStillBatches), where a still
        # keeps its K views and costs K backbone passes, not T.
        self.still_views = seq_len if has_clips and not clip_batches else (still_views if augment else 1)
        self.smile = np.nan_to_num(faceset.smile, nan=0.0).astype(np.float32)
        self.smile_mask = faceset.has_smile
        self.emotion, self.emotion_mask = emotion_targets(faceset)

    def __len__(self) -> int:
        return len(self.faces)

    def __getitem__(self, i: int) -> dict[str, torch.Tensor]:
        i = int(i)
        rng = self._generator()
        if self.faces.is_clip(i):
            views = self._clip(self.faces.items[i], rng)
            order = np.arange(self.seq_len)
        else:
            views, order = self._still(self.faces.items[i], rng)
        hidden = self._hidden_band(rng)
        if hidden:
            views = band_hidden(views, rng, HIDDEN_BANDS[hidden])
        frames = self.pre.normalise(torch.from_numpy(np.stack(views)))
        return {"frames": frames, "order": torch.from_numpy(order.astype(np.int64)),
                "smile": torch.tensor(self.smile[i]), "smile_mask": torch.tensor(bool(self.smile_mask[i])),
                "emotion": torch.tensor(self.emotion[i]),
                "emotion_mask": torch.tensor(bool(self.emotion_mask[i]) and not hidden), "index": torch.tensor(i)}

    def _hidden_band(self, rng: np.random.Generator) -> str | None:
        """Which band to hide, if any: one draw, made only when hiding is asked for (so runs
        without it keep their draws)."""
        if not any(self.hide.values()):
            return None
        u, edge = rng.random(), 0.0
        for band, p in self.hide.items():
            edge += p
            if u < edge:
                return band
        return None

    def _generator(self) -> np.random.Generator:
        worker = get_worker_info()
        worker_seed = None if worker is None else worker.seed
        key = (worker_seed, self.epoch)
        if self._rng is None or key != self._rng_key:  # first use in this process, or a new epoch
            entropy = [self.seed] + ([] if worker_seed is None else [worker_seed]) + ([self.epoch] if self.epoch else [])
            self._rng = np.random.default_rng(entropy[0] if len(entropy) == 1 else tuple(entropy))
            self._rng_key = key
        return self._rng

    def _still(self, crop: np.ndarray, rng: np.random.Generator) -> tuple[list[np.ndarray], np.ndarray]:
        img = self.pre.image(crop)
        k, t = self.still_views, self.seq_len
        if not self.augment:  # identical views: a static window, as the game sees a still face
            return [img] * k, np.arange(t) * k // t
        side = img.shape[0]
        base = BaseAugmentation.draw(rng, side)
        camera = CameraAugmentation.draw(rng) if self.camera else None
        img = base.blur(img)
        views = []
        for _ in range(k):  # one warp per view: base crop/flip and view jitter composed
            view = warp(img, view_jitter(rng, side) @ base.matrix)
            view = base.light(view, rng.uniform(1 - VIEW_LIGHT, 1 + VIEW_LIGHT, 2))
            views.append(camera(view, rng) if camera else view)
        return views, step_assignment(rng, k, t)

    def _clip(self, clip: np.ndarray, rng: np.random.Generator) -> list[np.ndarray]:
        n, t = len(clip), self.seq_len
        start = int(rng.integers(0, max(n - t, 0) + 1)) if self.augment else max(n - t, 0) // 2
        frames = [self.pre.image(f) for f in clip[start:start + t]]
        frames += [frames[-1]] * (t - len(frames))
        if not self.augment:
            return frames
        base = BaseAugmentation.draw(rng, frames[0].shape[0])
        frames = [base.light(warp(base.blur(f), base.matrix)) for f in frames]
        if self.camera:
            camera = CameraAugmentation.draw(rng)
            frames = [camera(f, rng) for f in frames]
        return frames


class ClipStillBatches(Sampler[list[int]]):
    """Batches of a sampler's indices, each all clips or all stills (they differ in frame count),
    in the order their last member was drawn; a last incomplete batch of each kind is dropped."""

    def __init__(self, sampler: Sampler[int], is_clip: np.ndarray, batch_size: int,
                 weights: np.ndarray | None = None):
        self.sampler, self.is_clip, self.batch_size = sampler, np.asarray(is_clip, bool), batch_size
        w = np.ones(len(self.is_clip)) if weights is None else np.asarray(weights, np.float64)
        self.clip_share = float(w[self.is_clip].sum() / w.sum()) if len(w) and w.sum() > 0 else 0.0

    def __iter__(self):
        pending: dict[bool, list[int]] = {False: [], True: []}
        for i in self.sampler:
            bucket = pending[bool(self.is_clip[i])]
            bucket.append(int(i))
            if len(bucket) == self.batch_size:
                yield list(bucket)
                bucket.clear()

    def __len__(self) -> int:
        """Expected count (the draw decides how many of each kind come)."""
        n_clips = round(self.clip_share * len(self.sampler))
        return max(1, (len(self.sampler) - n_clips) // self.batch_size + n_clips // self.batch_size)


def band_hidden(views: list[np.ndarray], rng: np.random.Generator,
                band: tuple[tuple[float, float], tuple[float, float]]) -> list[np.ndarray]:
    """The views with one band of rows (top and bottom drawn from ``band``'s two ranges, as
    shares of the side) filled with each view's mean grey: the same rows on every view, as one
    face's features stay put."""
    side = views[0].shape[0]
    top = int(round(rng.uniform(*band[0]) * side))
    bottom = int(round(rng.uniform(*band[1]) * side))
    hidden = []
    for view in views:
        view = view.copy()
        view[top:bottom] = np.uint8(round(float(view.mean())))
        hidden.append(view)
    return hidden


def warp(img: np.ndarray, matrix: np.ndarray) -> np.ndarray:
    """Apply a 3x3 affine to a square image, replicating the border (as square_crop pads)."""
    return cv2.warpAffine(img, matrix[:2], img.shape[1::-1], flags=cv2.INTER_LINEAR,
                          borderMode=cv2.BORDER_REPLICATE)


def emotion_targets(faces: FaceSet) -> tuple[np.ndarray, np.ndarray]:
    """(N, 7) float32 target distributions and (N,) bool mask: the soft FER+ row where it
    has votes, else one-hot of the label, else zeros with mask False."""
    target = np.zeros((len(faces), len(EMOTIONS)), np.float32)
    has = faces.has_emotion
    target[np.flatnonzero(has), faces.emotion[has]] = 1.0
    if faces.emotion_soft is not None:
        soft = faces.emotion_soft.sum(1) > 0
        target[soft] = faces.emotion_soft[soft]
        has = has | soft
    return target, has


def step_assignment(rng: np.random.Generator, k: int, t: int) -> np.ndarray:
    """A sorted assignment of t steps to k views, each view used at least once."""
    cuts = np.sort(rng.choice(np.arange(1, t), size=k - 1, replace=False)) if k > 1 else np.zeros(0, int)
    return np.repeat(np.arange(k), np.diff(np.concatenate(([0], cuts, [t]))))


def view_jitter(rng: np.random.Generator, side: int) -> np.ndarray:
    """3x3 affine: small rotation and scale about the centre plus a shift (one still view)."""
    shift = rng.uniform(-VIEW_SHIFT, VIEW_SHIFT, 2) * side
    return similarity(side, rng.uniform(-VIEW_ROTATE_DEG, VIEW_ROTATE_DEG),
                      rng.uniform(1 - VIEW_SCALE, 1 + VIEW_SCALE), shift)


def similarity(side: int, degrees: float, scale: float, shift: np.ndarray) -> np.ndarray:
    m = np.eye(3)
    m[:2] = cv2.getRotationMatrix2D(((side - 1) / 2, (side - 1) / 2), degrees, scale)
    m[:2, 2] += shift
    return m


class BaseAugmentation:
    """One sample's flip + random resized crop (as a 3x3 affine), light and blur."""

    def __init__(self, matrix: np.ndarray, contrast: float, brightness: float, blur_sigma: float):
        self.matrix, self.contrast, self.brightness, self.blur_sigma = matrix, contrast, brightness, blur_sigma

    @classmethod
    def draw(cls, rng: np.random.Generator, side: int) -> "BaseAugmentation":
        u = rng.random(8)
        m = np.eye(3)
        if u[0] < FLIP_P:
            m = np.array([[-1.0, 0, side - 1], [0, 1, 0], [0, 0, 1]])
        crop = side * math.sqrt(CROP_AREA[0] + u[1] * (CROP_AREA[1] - CROP_AREA[0]))
        x0, y0 = u[2] * (side - crop), u[3] * (side - crop)
        zoom = side / crop
        m = np.array([[zoom, 0, -x0 * zoom], [0, zoom, -y0 * zoom], [0, 0, 1]]) @ m
        contrast = 1 + LIGHT * (2 * u[4] - 1)
        brightness = 1 + LIGHT * (2 * u[5] - 1)
        blur_sigma = (0.4 + 0.6 * u[7]) * side / 64 if u[6] < BLUR_P else 0.0  # webcam-like softness
        return cls(m, contrast, brightness, blur_sigma)

    def blur(self, img: np.ndarray) -> np.ndarray:
        return cv2.GaussianBlur(img, (0, 0), self.blur_sigma) if self.blur_sigma else img

    def light(self, img: np.ndarray, jitter: np.ndarray | None = None) -> np.ndarray:
        """Contrast about the image mean, then brightness: x*c*b + mean*(1-c)*b, saturated to uint8."""
        c, b = self.contrast, self.brightness
        if jitter is not None:
            c, b = c * jitter[0], b * jitter[1]
        mean = float(img.mean()) if c != 1 else 0.0
        return cv2.addWeighted(img, c * b, img, 0.0, mean * (1 - c) * b)


def darkened(img: np.ndarray, gamma: float) -> np.ndarray:
    """uint8 image through the gamma curve 255 * (x / 255) ** gamma (> 1 darkens)."""
    return cv2.LUT(img, (255 * (np.arange(256) / 255.0) ** gamma).astype(np.uint8))


def with_noise(img: np.ndarray, sigma: float, rng: np.random.Generator) -> np.ndarray:
    """Sensor noise: Gaussian, ``sigma`` grey levels, saturated to uint8 (img may be float)."""
    return np.clip(img + rng.normal(0, sigma, img.shape), 0, 255).astype(np.uint8)


def jpeg_compressed(img: np.ndarray, quality: int) -> np.ndarray:
    """uint8 image encoded as JPEG at ``quality`` and decoded again."""
    return cv2.imdecode(cv2.imencode(".jpg", img, [cv2.IMWRITE_JPEG_QUALITY, quality])[1], cv2.IMREAD_UNCHANGED)


class CameraAugmentation:
    """One sample's camera: a darkening gamma, sensor noise (drawn afresh for every view, as
    a sensor's is for every frame) and JPEG compression, each drawn on or off."""

    def __init__(self, gamma: float, noise_sigma: float, jpeg_quality: int):
        self.gamma, self.noise_sigma, self.jpeg_quality = gamma, noise_sigma, jpeg_quality

    @classmethod
    def draw(cls, rng: np.random.Generator) -> "CameraAugmentation":
        u = rng.random(6)
        gamma = DARK_GAMMA[0] + u[1] * (DARK_GAMMA[1] - DARK_GAMMA[0]) if u[0] < DARK_P else 1.0
        sigma = NOISE_SIGMA[0] + u[3] * (NOISE_SIGMA[1] - NOISE_SIGMA[0]) if u[2] < NOISE_P else 0.0
        quality = int(JPEG_QUALITY[0] + u[5] * (JPEG_QUALITY[1] - JPEG_QUALITY[0])) if u[4] < JPEG_P else 0
        return cls(gamma, sigma, quality)

    def __call__(self, img: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        if self.gamma != 1:
            img = darkened(img, self.gamma)
        if self.noise_sigma:
            img = with_noise(img, self.noise_sigma, rng)
        if self.jpeg_quality:
            img = jpeg_compressed(img, self.jpeg_quality)
        return img
