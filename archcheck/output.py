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


def output_file(value: str) -> str:
    """argparse type of --output: a name (an empty one would silently mean stdout)."""
    import argparse

    if not value.strip():
        raise argparse.ArgumentTypeError("expected a file name, found an empty string")
    return value


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


def _imported_sources() -> dict:
    """{what: path} of every Python file this run imported: a --model file's helpers (`from blocks import
    Inception`) are its inputs too, and a report written over one would destroy the user's code."""
    out = {}
    for name, module in list(sys.modules.items()):
        path = getattr(module, "__file__", None)
        if isinstance(path, str) and path.endswith(".py"):
            out[f"the source of the module {name}"] = path
    return out


def _same_file(a: str, b: str) -> bool:
    try:
        return os.path.samefile(a, b)
    except (OSError, ValueError):   # either does not exist (yet): not the same file
        return False


# Characters archcheck's reports use, spelt in ASCII for a terminal whose encoding cannot hold them
# (PYTHONIOENCODING=ascii, a cp1252 console). Anything else it cannot hold is written as \uXXXX.
ASCII_SPELLINGS = {
    "×": "x", "→": "->", "←": "<-", "≈": "~", "·": "*", "†": "+", "‡": "++", "✗": "X", "✓": "v",
    "—": "--", "–": "-", "−": "-", "‖": "||", "…": "...", "≤": "<=", "≥": ">=", "≠": "!=", "±": "+/-",
    "µ": "u", "²": "^2", "³": "^3", "‘": "'", "’": "'", "“": '"', "”": '"', "\u00a0": " ",
}


def _escape(ch: str) -> str:
    return f"\\u{ord(ch):04x}" if ord(ch) < 0x10000 else f"\\U{ord(ch):08x}"


def _json_escape(ch: str) -> str:
    """A JSON string escape: astral characters as their UTF-16 surrogate pair."""
    code = ord(ch)
    if code < 0x10000:
        return f"\\u{code:04x}"
    code -= 0x10000
    return f"\\u{0xd800 + (code >> 10):04x}\\u{0xdc00 + (code & 0x3ff):04x}"


def for_encoding(text: str, encoding: str | None, json: bool = False) -> str:
    """`text` as the stream's encoding can hold it: unchanged when it can (UTF-8 always can), else each
    character it cannot hold spelt in ASCII (ASCII_SPELLINGS, then \\uXXXX); JSON gets \\uXXXX escapes,
    which keep it valid JSON with the same content."""
    if not encoding:
        return text
    try:
        text.encode(encoding)
        return text
    except UnicodeEncodeError:
        pass
    except LookupError:   # an encoding Python does not know cannot be written to anyway
        return text

    def fits(s: str) -> bool:
        try:
            s.encode(encoding)
            return True
        except UnicodeEncodeError:
            return False

    out = []
    for ch in text:
        if fits(ch):
            out.append(ch)
        elif json:
            out.append(_json_escape(ch))
        else:
            spelt = ASCII_SPELLINGS.get(ch)
            out.append(spelt if spelt is not None and fits(spelt) else _escape(ch))
    return "".join(out)


def write_stdout(text: str, json: bool = False) -> None:
    """Print command output. A reader that went away (`| head`) is no error: the exit code stays the
    verdict's. A failed write (a full disk, a closed stdout) is exit 2, never a cut report and exit 0."""
    from .errors import InputError, Problem

    stream = sys.stdout
    if stream is None:   # started with standard output closed (>&-)
        raise InputError([Problem("standard output", None, None, "", "cannot write the report: it is closed")])
    text = for_encoding(text, getattr(stream, "encoding", None), json)
    try:
        stream.write(text)
        stream.flush()
    except BrokenPipeError:
        _discard_stdout()
    except (OSError, ValueError) as exc:   # ValueError: the stream was closed
        raise InputError([Problem("standard output", None, None, "",
                                  f"cannot write the report: {getattr(exc, 'strerror', None) or exc}")]) from None


def _discard_stdout() -> None:
    """After a closed pipe, point standard output at the null device so that no later flush fails."""
    try:
        fd = sys.stdout.fileno()
    except (OSError, ValueError, AttributeError):
        return
    null = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(null, fd)
    finally:
        os.close(null)


def emit(text: str, output: str | None, json: bool = False) -> None:
    """A command's report: to the file the user named, or to standard output."""
    text = printable(text)
    if output:
        from .fsutil import write_atomic
        refuse_overwriting_inputs(output, _imported_sources())
        write_atomic(output, text)
    else:
        write_stdout(text, json)
