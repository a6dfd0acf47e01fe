"""Errors with a one-line message for main() to print.

ConfigError: a configuration value that is missing, malformed or out of range, in the game's
configuration (game/config.py, configs/game.yaml) or the trainer's (configs/pretrain.yaml and
the others); the message names the file and the key. CompareError: two checkpoints' prediction
files that cannot be compared (model/ship_rule.py, experiments/compare.py).
"""
from __future__ import annotations


class ConfigError(ValueError):
    """A settings value that is missing, malformed or out of range (one-line message)."""


class CompareError(ValueError):
    """Predictions that cannot be compared; the message names the file."""
