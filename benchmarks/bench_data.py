"""Data pipeline timings on the real datasets: cache builds, cached reloads, SequenceDataset speed.

    python -m benchmarks.bench_data [--datasets ../shared/datasets] [--samples 3000]

Cache builds go to a temporary folder (cold, without touching ~/.cache/utcham).
SequenceDataset is timed in this process on one thread, as one DataLoader worker runs it.
"""
from __future__ import annotations

import argparse
import logging
import tempfile
import time
from pathlib import Path

import torch

from model.data import FaceSet, SequenceDataset, load_fer2013, load_genki4k, load_smilesmiled
from model.preprocess import Preprocessing


def timed(label: str, fn):
    t0 = time.perf_counter()
    result = fn()
    print(f"{label:<48} {time.perf_counter() - t0:7.2f} s", flush=True)
    return result


def samples_per_second(faces: FaceSet, pre: Preprocessing, views: int, augment: bool, n: int) -> float:
    ds = SequenceDataset(faces, pre, seq_len=10, still_views=views, augment=augment)
    n = min(n, len(ds))
    t0 = time.perf_counter()
    for i in range(n):
        ds[i]
    return n / (time.perf_counter() - t0)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--datasets", type=Path, default=Path(__file__).resolve().parents[2] / "shared" / "datasets")
    parser.add_argument("--samples", type=int, default=3000)
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)
    torch.set_num_threads(1)
    d = args.datasets
    with tempfile.TemporaryDirectory() as cache:
        timed("GENKI-4K all: detect + crop 112 + cache (cold)",
              lambda: load_genki4k(d / "genki4k", "all", cache_dir=cache))
        genki = timed("GENKI-4K train (val_fold 1): cached reload",
                      lambda: load_genki4k(d / "genki4k", "train", val_fold=1, cache_dir=cache))
        csv_gz = d / "fer2013" / "fer2013.csv.gz"
        timed("FER2013 csv.gz Training: parse + cache (cold)", lambda: load_fer2013(csv_gz, "Training", cache_dir=cache))
        timed("FER2013 csv.gz Training: cached reload", lambda: load_fer2013(csv_gz, "Training", cache_dir=cache))
        timed("FER2013 + FER+ soft labels: cached reload",
              lambda: load_fer2013(csv_gz, "Training", ferplus=d / "ferplus" / "fer2013new.csv", cache_dir=cache))
    smiles = timed("SMILES train (val_fold 1): decode (no cache)",
                   lambda: load_smilesmiled(d / "smilesmiled", "train", val_fold=1))
    pre = Preprocessing(input_size=64)
    for name, faces in (("SMILES 64px grey", smiles), ("GENKI 112px RGB", genki)):
        for views, augment in ((2, True), (1, False)):
            rate = samples_per_second(faces, pre, views, augment, args.samples)
            print(f"SequenceDataset {name} -> 64px, K={views}, augment={augment}: {rate:7.0f} samples/s")


if __name__ == "__main__":
    main()
