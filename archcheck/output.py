"""Where command output goes (stdout, or a file the user named) and what may reach a terminal.

Text from a spec or a model (titles, names, exception messages) can hold anything YAML or Python can:
an escape sequence that repaints the terminal, a right-to-left override that makes a line read
backwards. `printable` shows such characters as visible escapes (`\\x1b`, `\\u202e`); every line
archcheck prints or writes passes through it.
"""
from __future__ import annotations

import os
import re
import sys

# C0 controls but tab and newline, DEL, C1 controls, and the bidirectional embedding, override and
# isolate characters (U+202A-U+202E, U+2066-U+2069).
_UNPRINTABLE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


def _visible(match: re.Match) -> str:
    code = ord(match.group())
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def printable(text: str) -> str:
    """`text` with terminal control and bidi-override characters shown as escapes (tab, newline kept)."""
    return _UNPRINTABLE.sub(_visible, text)


def json_printable(text: str) -> str:
    """The same for JSON text: those characters as `\\uXXXX` escapes, which keep it valid JSON (json.dumps
    escapes C0 controls itself; outside strings JSON text holds none of these characters)."""
    return _UNPRINTABLE.sub(lambda m: f"\\u{ord(m.group()):04x}", text)


def refuse_overwriting_inputs(output: str | None, inputs: dict, option: str = "--output") -> None:
    """An output that is one of the run's inputs ({what: path}, compared with os.path.samefile) is bad
    usage: writing it would destroy the input."""
    from .errors import InputError, Problem

    if not output:
        return
    for what, path in inputs.items():
        if path and _same_file(output, path):
            same = "" if os.path.abspath(output) == os.path.abspath(path) else f" ({path})"
            raise InputError([Problem(option, None, None, "", f"{output} is {what}{same}, an input of this run; "
                                                              "expected another file for the output")])


def _same_file(a: str, b: str) -> bool:
    try:
        return os.path.samefile(a, b)
    except (OSError, ValueError):   # either does not exist (yet): not the same file
        return False


def emit(text: str, output: str | None) -> None:
    text = printable(text)
    if output:
        from .fsutil import write_atomic
        write_atomic(output, text)
    else:
        sys.stdout.write(text)
