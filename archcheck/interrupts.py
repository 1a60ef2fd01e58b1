"""Telling a real Ctrl-C from a KeyboardInterrupt that someone's code raised.

The command line watches SIGINT while a command runs: the signal sets a flag before it raises
KeyboardInterrupt as Python's own handler does. A KeyboardInterrupt out of a user's model with the flag
unset was raised by the model itself (bad input, exit 2); with the flag set, the run was interrupted.
Outside the command line (the Python API) nothing is watched and a KeyboardInterrupt is left alone.
"""
from __future__ import annotations

import contextlib
import signal
import threading

_watching = False
_seen = False


def _handler(signum, frame):
    global _seen
    _seen = True
    raise KeyboardInterrupt


@contextlib.contextmanager
def watch():
    """Record SIGINT while the block runs (main thread only; elsewhere signals cannot be handled)."""
    global _watching, _seen
    if threading.current_thread() is not threading.main_thread() or _watching:
        yield
        return
    try:
        previous = signal.signal(signal.SIGINT, _handler)
    except (ValueError, OSError):   # signals unavailable here
        yield
        return
    _watching, _seen = True, False
    try:
        yield
    finally:
        _watching = False
        signal.signal(signal.SIGINT, previous)


def raised_by_code() -> bool:
    """Was the KeyboardInterrupt being handled raised by code rather than by a real Ctrl-C?
    False when nothing is watched: then it cannot be told, and it is treated as an interruption."""
    return _watching and not _seen
