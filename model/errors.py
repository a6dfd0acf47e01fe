"""The one error for a configuration value that is missing, malformed or out of range.

Both configurations raise it: the game's (game/config.py, configs/game.yaml) and the
trainer's (configs/pretrain.yaml and the others). Its message is one line naming the file
and the key, for main() to print.
"""
from __future__ import annotations


class ConfigError(ValueError):
    """A settings value that is missing, malformed or out of range (one-line message)."""
