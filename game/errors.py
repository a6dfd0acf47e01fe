"""What went wrong, kept for the player to send or read: a traceback log per failure.

Logs go to ``logs/`` in the state dir: ``$UTCHAM_STATE_DIR``, else ``$XDG_STATE_HOME/utcham``,
else ``~/.local/state/utcham``. The screen shows the player a short, translated message and
where the log is; the traceback itself is only in the file.
"""
from __future__ import annotations

import logging
import os
import platform
import sys
import traceback
from datetime import datetime
from pathlib import Path

from model.files import replaced_atomically

log = logging.getLogger(__name__)


def state_dir() -> Path:
    if os.environ.get("UTCHAM_STATE_DIR"):
        return Path(os.environ["UTCHAM_STATE_DIR"])
    base = os.environ.get("XDG_STATE_HOME") or Path.home() / ".local" / "state"
    return Path(base) / "utcham"


def log_dir() -> Path:
    return state_dir() / "logs"


def write_error_log(exc: BaseException, what: str) -> Path | None:
    """Write ``exc``'s traceback to a new ``error-<timestamp>.log`` (atomically); -> its path,
    or None when it cannot be written (said in the program's log instead)."""
    folder = log_dir()
    stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
    body = (f"{datetime.now().astimezone().isoformat(timespec='seconds')}: {what}\n"
            f"python {platform.python_version()} on {platform.platform()}; {' '.join(sys.argv)}\n\n"
            + "".join(traceback.format_exception(type(exc), exc, exc.__traceback__)))
    try:
        folder.mkdir(parents=True, exist_ok=True)
        path, n = folder / f"error-{stamp}.log", 1
        while path.exists():
            n += 1
            path = folder / f"error-{stamp}-{n}.log"
        with replaced_atomically(path, encoding="utf-8") as f:
            f.write(body)
    except OSError as exc_write:
        log.error("%s; the error log could not be written to %s (%s)\n%s", what, folder,
                  exc_write.strerror or exc_write, body)
        return None
    log.error("%s: %s: %s (traceback in %s)", what, type(exc).__name__, exc, path)
    return path
