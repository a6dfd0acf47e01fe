"""Training-step throughput of the two-head model on this machine (random data).

    python -m benchmarks.bench_train_step [--sizes 48 64 96] [--views 1 2 10] [--batch 32] [--steps 6]

Prints sequences/s and backbone images/s for each (input size, views per still):
a 10-frame window built from K jittered views costs K backbone passes, so K sets
the price of a still photo (see weights/README.md for the schedule chosen from it).
"""
from __future__ import annotations

import argparse
import time

import torch

from model.loss import LossConfig, MultiTaskLoss
from model.network import ModelConfig, SmileEmotionNet
from model.preprocess import Preprocessing


def measure(size: int, views: int, batch: int, steps: int) -> tuple[float, float]:
    torch.manual_seed(0)
    net = SmileEmotionNet(ModelConfig(preprocessing=Preprocessing(input_size=size))).train()
    crit = MultiTaskLoss(LossConfig(label_smoothing=0.1))
    opt = torch.optim.AdamW(net.parameters(), lr=1e-3)
    frames = torch.randn(batch, views, 3, size, size)
    order = torch.sort(torch.randint(0, views, (batch, 10)), dim=1).values
    smile, emo = torch.rand(batch).round(), torch.randint(0, 7, (batch,))
    mask = torch.ones(batch, dtype=torch.bool)
    times = []
    for _ in range(steps + 1):  # the first step warms up the allocator
        t0 = time.perf_counter()
        out = net(frames, order)
        loss = crit(out.smile_logit, out.emotion_logits, smile, emo, mask, mask)["total_loss"]
        opt.zero_grad()
        loss.backward()
        opt.step()
        times.append(time.perf_counter() - t0)
    per_step = sorted(times[1:])[len(times[1:]) // 2]
    return batch / per_step, batch * views / per_step


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--sizes", type=int, nargs="+", default=[48, 64, 96])
    p.add_argument("--views", type=int, nargs="+", default=[1, 2, 10])
    p.add_argument("--batch", type=int, default=32)
    p.add_argument("--steps", type=int, default=6)
    args = p.parse_args()
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads, batch {args.batch} sequences of 10 frames")
    print(f"{'size':>5} {'views':>5} {'seq/s':>8} {'img/s':>8}")
    for size in args.sizes:
        for views in args.views:
            seq_s, img_s = measure(size, views, args.batch, args.steps)
            print(f"{size:>5} {views:>5} {seq_s:>8.1f} {img_s:>8.1f}", flush=True)


if __name__ == "__main__":
    main()
