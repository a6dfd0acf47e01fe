"""On-disk cache of decoded dataset arrays, so later runs skip decoding and face detection.

A cache file is one uncompressed .npz (loading it is a plain read) named by a hash
of everything its content depends on: the caller passes the file list with sizes
and mtimes, so editing or replacing any source file makes a new key.
"""
from __future__ import annotations

import hashlib
import json
import logging
import os
from pathlib import Path

import numpy as np

from model.files import replaced_atomically

log = logging.getLogger(__name__)


def default_cache_dir() -> Path:
    """$UTCHAM_CACHE, else ~/.cache/utcham."""
    env = os.environ.get("UTCHAM_CACHE")
    return Path(env).expanduser() if env else Path.home() / ".cache" / "utcham"


def file_signature(path: Path) -> tuple[str, int, int]:
    """(name, size, mtime_ns) of a file; (name, -1, -1) when it is missing."""
    try:
        st = path.stat()
    except OSError:
        return path.name, -1, -1
    return path.name, st.st_size, st.st_mtime_ns


def cache_path(cache_dir: str | Path | None, kind: str, key: dict) -> Path:
    """Where the cache for ``key`` (any JSON-able description of the content) lives."""
    digest = hashlib.sha1(json.dumps(key, sort_keys=True, default=str).encode()).hexdigest()[:20]
    return Path(cache_dir or default_cache_dir()).expanduser() / f"{kind}-{digest}.npz"


def load_cache(path: Path) -> dict[str, np.ndarray] | None:
    """The cached arrays, or None when absent or unreadable (then it is rebuilt)."""
    if not path.is_file():
        return None
    try:
        with np.load(path, allow_pickle=False) as data:
            return {k: data[k] for k in data.files}
    except Exception as exc:  # a truncated or foreign file: rebuild rather than fail
        log.warning("ignoring unreadable cache %s (%s)", path, exc)
        return None


def save_cache(path: Path, arrays: dict[str, np.ndarray]) -> None:
    """Write atomically (temp file + rename) so a killed run never leaves half a cache.

    A cache that cannot be written only costs time next run, so failure is a warning."""
    try:
        with replaced_atomically(path, "wb") as f:
            np.savez(f, **arrays)
    except OSError as exc:
        log.warning("could not write cache %s (%s)", path, exc)
