"""Train the two-head model.

    python -m model.train --config configs/pretrain.yaml [key=value ...] [--resume]
    torchrun --nproc_per_node=2 -m model.train --config configs/pretrain.yaml   # DDP

Overrides use dotted keys into the YAML (``training.epochs=3``,
``model.preprocessing.input_size=96``, ``data.manifest=clips/manifest.csv``), before or after
``--resume``. Writes to ``training.out_dir``: metrics.csv (one row per epoch), curves.png,
best.pt (best validation score), last.pt (for --resume), config.yaml. The settings, their
defaults and checks live in model/training.py (TrainingSettings, DataSettings); nothing imports
this script.
"""
from __future__ import annotations

import argparse
import copy
import sys

from model.checkpoint import CheckpointError
from model.data.errors import DatasetError
from model.training import ConfigError, load_config, train


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--config", required=True, help="YAML config (configs/pretrain.yaml, ...)")
    parser.add_argument("--resume", action="store_true", help="continue from OUT_DIR/last.pt")
    parser.add_argument("overrides", nargs="*", help="key=value overrides, e.g. training.epochs=3")
    args = parser.parse_intermixed_args(argv)  # overrides before and after --resume alike
    try:
        cfg = load_config(args.config, args.overrides)
        train(copy.deepcopy(cfg), resume=args.resume)
    except (ConfigError, DatasetError, CheckpointError, FileNotFoundError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:  # Ctrl+C: a clean stop; last.pt holds the last finished epoch
        print("\ninterrupted: the last finished epoch is in training.out_dir/last.pt; "
              "continue with the same command and --resume", file=sys.stderr)
        return 130
    return 0


if __name__ == "__main__":
    sys.exit(main())
