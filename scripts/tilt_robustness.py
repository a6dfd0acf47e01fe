"""Smile accuracy on tilted heads: GENKI-4K validation photos turned by a few angles.

    python -m scripts.tilt_robustness --weights weights/smile_emotion.pt [--angles 0 10 20 30] \\
        [--genki ../shared/datasets/genki4k] [--val-fold 1]

Players tilt their heads, most of all when they laugh, and few training faces are tilted. Each
photo of the validation fold (never fold 0, the test set) is turned about its centre by each
angle, both ways, and goes through the checkpoint's own face cropper (with or without eye
levelling, as its preprocessing says) and the model, as a webcam frame would. Prints how tilted
the training photos are (GENKI-4K's own head-pose labels), then one markdown row per angle: faces
found, accuracy at 0.5 and AUC, the two directions pooled.
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

import cv2
import numpy as np

from model.checkpoint import CheckpointError, load_model
from model.data.errors import DatasetError
from model.data.faceset import FaceSet
from model.data.genki4k import load_genki4k
from model.data.images import read_image
from model.evaluate import evaluate
from model.metrics import smile_metrics
from model.preprocess import Preprocessing


def turned(img: np.ndarray, degrees: float) -> np.ndarray:
    """The photo turned counter-clockwise on screen about its centre, borders replicated."""
    h, w = img.shape[:2]
    m = cv2.getRotationMatrix2D(((w - 1) / 2, (h - 1) / 2), degrees, 1.0)
    return cv2.warpAffine(img, m, (w, h), borderMode=cv2.BORDER_REPLICATE)


def tilted_faces(photos: FaceSet, degrees: float, preprocessing: Preprocessing) -> FaceSet:
    """The face crops of ``photos`` (paths of uncropped images) turned by +degrees and
    -degrees; photos where no face is found are left out."""
    cropper = preprocessing.cropper()
    items, smile, paths = [], [], []
    try:
        for path, label in zip(photos.paths, photos.smile):
            img = read_image(path)
            for angle in {degrees, -degrees}:
                found = cropper(turned(img, angle))
                if found is not None:
                    items.append(found[1])
                    smile.append(label)
                    paths.append(f"{path} turned {angle:g}°")
    finally:
        cropper.close()
    return FaceSet(name=f"genki4k turned {degrees:g}°", items=items, smile=np.asarray(smile, np.float32),
                   emotion=np.full(len(items), -1), paths=paths)


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
    parser.add_argument("--angles", type=float, nargs="+", default=[0, 10, 20, 30])
    args = parser.parse_args(argv)
    if args.val_fold == 0:
        parser.error("--val-fold 0 is the test set")
    try:
        model, _ = load_model(args.weights)
        # Only the photo paths and labels: every tilt is cropped afresh below.
        photos = load_genki4k(args.genki, "val", val_fold=args.val_fold, crop="none", size=16)
    except (CheckpointError, DatasetError, OSError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    pre = model.config.preprocessing
    roll = training_roll(args.genki, args.val_fold)
    print(f"GENKI-4K training photos ({len(roll)}): head roll median {np.median(roll):.1f}°, "
          f"90th percentile {np.percentile(roll, 90):.1f}°, over 20° {100 * np.mean(roll > 20):.1f} %")
    print(f"{args.weights} (eye levelling {'on' if pre.align else 'off'}), GENKI-4K fold {args.val_fold}, "
          f"{len(photos)} photos\n\n| tilt | faces found | accuracy at 0.5 | AUC |\n|---|---|---|---|")
    for degrees in args.angles:
        faces = tilted_faces(photos, degrees, pre)
        metrics = smile_metrics(faces.smile, evaluate(model, faces, pre)[0])
        tried = len(photos) * (1 if degrees == 0 else 2)
        print(f"| ±{degrees:g}° | {len(faces)} of {tried} | {100 * metrics['accuracy']:.1f} % | {metrics['auc']:.3f} |",
              flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
