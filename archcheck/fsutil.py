"""Writing the files a user names: atomically where that is safe, in place where it is not.

- A regular file (or a name that does not exist yet) is written atomically: a temporary file beside it,
  then one rename. Readers see the old file or the new one, never half of one; on any failure the
  temporary file is removed and the target is untouched.
- A symlink is followed: its final target is written as above and the link itself stays.
- Anything else (a character device such as /dev/null, a FIFO, a socket) is written in place, never
  replaced: renaming a file over /dev/null, as root, would make it a regular file that every program on
  the machine then writes to.
- A name for one of this process's own descriptors (/dev/stdout, /dev/stderr, /dev/fd/N,
  /proc/self/fd/N) is written to that descriptor: `-o /dev/stdout >> log.txt` appends to log.txt, as the
  shell's `>>` asks, instead of replacing the file the descriptor happens to be open on.

A target that cannot be written (no such directory, a directory, no permission, disk full) is the
user's to fix: InputError, exit 2.
"""
from __future__ import annotations

import os
import re
import stat
import tempfile

from .errors import InputError, Problem


def _error(path: str, message: str) -> InputError:
    return InputError([Problem(path, None, None, "", message)])


_UNCHECKED = object()


def write_atomic(path: str, text: str, expect=_UNCHECKED) -> None:
    """Write `text` as UTF-8 to `path`; see the module docstring.

    `expect`: the text the file held when the caller read it (None: it did not exist). The file is then
    replaced only if it still holds that text just before the rename: an edit made meanwhile is kept and
    the write refused (InputError)."""
    data = text.encode("utf-8")
    fd = _own_descriptor(path)
    if fd is not None:
        _write_descriptor(path, fd, data)
        return
    target = os.path.realpath(path)   # follow symlinks: the link stays, its target is written
    try:
        mode = os.stat(target).st_mode
    except FileNotFoundError:
        mode = None
    except OSError as exc:
        raise _error(path, f"cannot write the file: {exc.strerror or exc}") from None
    if mode is not None and stat.S_ISDIR(mode):
        raise _error(path, "cannot write the file: it is a directory")
    if mode is not None and not stat.S_ISREG(mode):
        _write_in_place(path, target, data)
        return
    _replace(path, target, data, mode, expect)


_DESCRIPTOR = re.compile(r"^/(?:proc/self|dev)/fd/(\d+)$")
_STANDARD = {"/dev/stdout": 1, "/dev/stderr": 2}


def _own_descriptor(path: str) -> int | None:
    """The descriptor number `path` names (/dev/stdout -> 1, following its links), or None."""
    current = os.path.abspath(path)
    for _ in range(8):
        if current in _STANDARD:
            return _STANDARD[current]
        m = _DESCRIPTOR.match(current)
        if m:
            return int(m.group(1))
        try:
            link = os.readlink(current)
        except OSError:
            return None
        current = os.path.normpath(os.path.join(os.path.dirname(current), link))
    return None


def _write_descriptor(path: str, fd: int, data: bytes) -> None:
    import sys

    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()       # what was printed before comes first
        except (OSError, ValueError):
            pass
    _write_all(path, fd, data)


def _write_all(path: str, fd: int, data: bytes) -> None:
    try:
        view = memoryview(data)
        while view:
            view = view[os.write(fd, view):]
    except OSError as exc:
        raise _error(path, f"cannot write to it: {exc.strerror or exc}") from None


def _write_in_place(path: str, target: str, data: bytes) -> None:
    """A device, FIFO or socket: open it for writing (no O_CREAT, no O_TRUNC on what is not a file)."""
    try:
        fd = os.open(target, os.O_WRONLY | getattr(os, "O_NOCTTY", 0))
    except OSError as exc:
        raise _error(path, f"cannot write to it: {exc.strerror or exc}") from None
    try:
        _write_all(path, fd, data)
    finally:
        os.close(fd)


def _unchanged(target: str, expect) -> bool:
    try:
        with open(target, encoding="utf-8", newline="") as fh:
            return fh.read() == expect
    except FileNotFoundError:
        return expect is None
    except (OSError, UnicodeDecodeError):
        return False


def _replace(path: str, target: str, data: bytes, mode, expect) -> None:
    directory = os.path.dirname(target)
    tmp = None
    try:
        fd, tmp = tempfile.mkstemp(prefix=".archcheck-", suffix=".tmp", dir=directory)
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())  # the bytes are on disk before the rename makes them the file
        os.chmod(tmp, (mode & 0o777) if mode is not None else 0o644)
        if expect is not _UNCHECKED and not _unchanged(target, expect):
            raise _error(path, "the file changed while archcheck ran; nothing was written (run again to "
                               "regenerate it from its new text)")
        os.replace(tmp, target)
        tmp = None
    except OSError as exc:
        raise _error(path, f"cannot write the file: {exc.strerror or exc}") from None
    finally:
        if tmp is not None and os.path.exists(tmp):
            os.unlink(tmp)
