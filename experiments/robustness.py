"""Smile accuracy on tilted heads and poor cameras: GENKI-4K validation photos altered.

    python -m experiments.robustness --weights weights/smile_emotion.pt [--angles 0 10 20 30] \
        [--conditions dim noisy flat blurred jpeg] [--genki ../shared/datasets/genki4k] [--val-fold 1]

Players tilt their heads, most of all when they laugh, and play in dim rooms on cheap webcams;
few training faces are tilted or badly lit. Each photo of the validation fold (never fold 0, the
test set) is altered — turned about its centre by each angle (both ways), or through each camera
condition — and goes through the checkpoint's own face cropper (with or without eye levelling, as
its preprocessing says) and the model, as a webcam frame would. Prints how tilted the training
photos are (GENKI-4K's own head-pose labels), then one markdown row per angle and per condition:
faces found, accuracy at 0.5 and AUC.
"""
from __future__ import annotations

import argparse
import sys
import zlib
from pathlib import Path
from typing import Callable

import cv2
import numpy as np

from model.checkpoint import CheckpointError, load_model
from model.data.errors import DatasetError
from model.data.faceset import FaceSet
from model.data.genki4k import load_genki4k
from model.data.images import read_image
from model.data.sequences import darkened, jpeg_compressed, with_noise
from model.evaluate import evaluate
from model.metrics import smile_metrics
from model.preprocess import Preprocessing

Alteration = Callable[[np.ndarray], np.ndarray]


def turned(img: np.ndarray, degrees: float) -> np.ndarray:
    """The photo turned counter-clockwise on screen about its centre, borders replicated."""
    h, w = img.shape[:2]
    m = cv2.getRotationMatrix2D(((w - 1) / 2, (h - 1) / 2), degrees, 1.0)
    return cv2.warpAffine(img, m, (w, h), borderMode=cv2.BORDER_REPLICATE)


def _noisy(img: np.ndarray) -> np.ndarray:
    """A third of the light and sensor noise (σ 4 levels), the same noise for the same photo."""
    return with_noise(img * 0.3, 4, np.random.default_rng(zlib.crc32(img.tobytes())))


# Camera conditions: (what it stands for, the alteration of an RGB uint8 photo); the
# alterations are the training's camera augmentation (model/data/sequences.py) at fixed strengths.
CONDITIONS: dict[str, tuple[str, Alteration]] = {
    "dim": ("dim room (gamma 2.2)", lambda img: darkened(img, 2.2)),
    "noisy": ("dark and noisy (30 % light, noise σ 4)", _noisy),
    "flat": ("washed out (40 % contrast)", lambda img: (img * 0.4 + 100).astype(np.uint8)),
    "blurred": ("out of focus (Gaussian σ 2 px)", lambda img: cv2.GaussianBlur(img, (0, 0), 2.0)),
    "jpeg": ("heavy compression (JPEG quality 15)", lambda img: jpeg_compressed(img, 15)),
}


def altered_faces(photos: FaceSet, alterations: list[Alteration], preprocessing: Preprocessing,
                  name: str) -> FaceSet:
    """The face crops of ``photos`` (paths of uncropped images) after each alteration, labels
    carried over; a photo whose face is not found after an alteration is left out of it."""
    cropper = preprocessing.cropper()
    items, smile, paths = [], [], []
    try:
        for path, label in zip(photos.paths, photos.smile):
            img = read_image(path)
            for k, alter in enumerate(alterations):
                found = cropper(alter(img))
                if found is not None:
                    items.append(found[1])
                    smile.append(label)
                    paths.append(f"{path} ({name} {k})")
    finally:
        cropper.close()
    return FaceSet(name=f"genki4k {name}", items=items, smile=np.asarray(smile, np.float32),
                   emotion=np.full(len(items), -1), paths=paths)


def tilts(degrees: float) -> list[Alteration]:
    """The photo turned by +degrees and by -degrees (once for 0)."""
    return [lambda img, a=a: turned(img, a) for a in sorted({degrees, -degrees})]


def training_roll(genki: Path, val_fold: int) -> np.ndarray:
    """|roll| in degrees of the GENKI-4K training photos (labels.txt: "smile yaw pitch roll",
    radians; the folds other than 0 and ``val_fold``)."""
    roll = np.degrees(np.abs(np.loadtxt(genki / "labels.txt", ndmin=2)[:, 3]))
    train = load_genki4k(genki, "train", val_fold=val_fold, crop="none", size=16)
    return roll[[int(Path(path).stem.removeprefix("file")) - 1 for path in train.paths]]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--weights", type=Path, default=Path("weights/smile_emotion.pt"))
    parser.add_argument("--genki", type=Path, default=Path("../shared/datasets/genki4k"))
    parser.add_argument("--val-fold", type=int, default=1, help="validation fold (never 0: the test set)")
    parser.add_argument("--angles", type=float, nargs="*", default=[0, 10, 20, 30])
    parser.add_argument("--conditions", nargs="*", choices=sorted(CONDITIONS), default=list(CONDITIONS))
    args = parser.parse_args(argv)
    if args.val_fold == 0:
        parser.error("--val-fold 0 is the test set")
    try:
        model, _ = load_model(args.weights)
        # Only the photo paths and labels: every alteration is cropped afresh below.
        photos = load_genki4k(args.genki, "val", val_fold=args.val_fold, crop="none", size=16)
        roll = training_roll(args.genki, args.val_fold)
    except (CheckpointError, DatasetError, OSError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    pre = model.config.preprocessing
    print(f"GENKI-4K training photos ({len(roll)}): head roll median {np.median(roll):.1f}°, "
          f"90th percentile {np.percentile(roll, 90):.1f}°, over 20° {100 * np.mean(roll > 20):.1f} %")
    print(f"{args.weights} (eye levelling {'on' if pre.align else 'off'}), GENKI-4K fold {args.val_fold}, "
          f"{len(photos)} photos\n\n| photos | faces found | accuracy at 0.5 | AUC |\n|---|---|---|---|")
    rows = [(f"turned ±{d:g}°", tilts(d)) for d in args.angles]
    rows += [(CONDITIONS[c][0], [CONDITIONS[c][1]]) for c in args.conditions]
    for name, alterations in rows:
        faces = altered_faces(photos, alterations, pre, name)
        metrics = smile_metrics(faces.smile, evaluate(model, faces, pre)[0])
        print(f"| {name} | {len(faces)} of {len(photos) * len(alterations)} | {100 * metrics['accuracy']:.1f} % "
              f"| {metrics['auc']:.3f} |", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
