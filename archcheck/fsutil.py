"""Atomic file writes: a failure mid-run leaves the previous file intact."""
from __future__ import annotations

import os
import tempfile

from .errors import InputError, Problem


def write_atomic(path: str, text: str) -> None:
    """Write `text` to a temporary file beside `path`, then rename it over `path` in one step.

    Readers see the old file or the new one, never a half-written one; on any failure (an exception,
    Ctrl-C) the temporary file is removed and `path` is untouched. A path that cannot be written (no
    such directory, a directory, no permission, disk full) is the user's to fix: InputError, exit 2.
    """
    directory = os.path.dirname(os.path.abspath(path))
    tmp = None
    try:
        fd, tmp = tempfile.mkstemp(prefix=".archcheck-", suffix=".tmp", dir=directory)
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as fh:
            fh.write(text)
            fh.flush()
            os.fsync(fh.fileno())  # the bytes are on disk before the rename makes them the file
        if os.path.exists(path):
            os.chmod(tmp, os.stat(path).st_mode & 0o777)
        else:
            os.chmod(tmp, 0o644)
        os.replace(tmp, path)
        tmp = None
    except OSError as exc:
        raise InputError([Problem(path, None, None, "", f"cannot write the file: {exc.strerror or exc}")]) from None
    finally:
        if tmp is not None and os.path.exists(tmp):
            os.unlink(tmp)
