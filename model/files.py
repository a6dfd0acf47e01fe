"""Files written whole or not at all."""
from __future__ import annotations

import os
import tempfile
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Iterator


@contextmanager
def replaced_atomically(path: str | Path, mode: str = "w", private: bool = True, **open_kwargs) -> Iterator[IO]:
    """A temporary file beside ``path`` (``NAME.*.tmp``) to write in; when the block ends without
    an error it replaces ``path`` in one step, so a crash or kill mid-write never leaves half a file
    there. On an error the temporary file is removed and ``path`` is untouched. ``private`` files
    (the player's settings, scores, recordings' manifest) are readable by their owner only; the
    others get the permissions of any new file (the umask's)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=path.name + ".", suffix=".tmp", dir=path.parent)  # 0600
    try:
        with os.fdopen(fd, mode, **open_kwargs) as f:
            if not private:
                umask = os.umask(0)
                os.umask(umask)
                os.fchmod(f.fileno(), 0o666 & ~umask)
            yield f
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
