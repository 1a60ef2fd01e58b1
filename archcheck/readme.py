"""Regenerate the sections of a Markdown file that sit between archcheck marker comments.

    <!-- archcheck summary specs/inception_v2.yaml --variant example --set num_classes=10 -->
    ...generated output...
    <!-- /archcheck -->

Everything outside the markers is kept byte for byte. Unbalanced or nested markers are refused,
never guessed. Output in text or JSON format is put in a fenced code block; Markdown goes in as is.
"""
from __future__ import annotations

import contextlib
import io
import re
import shlex
from dataclasses import dataclass

from .errors import InputError, Problem

OPEN = re.compile(r"<!--\s*archcheck\s+(?P<args>(?:(?!-->).)*?)\s*-->")
CLOSE = re.compile(r"<!--\s*/archcheck\s*-->")
FENCE = re.compile(r"(```|~~~)")
ALLOWED = ("verify", "summary")


@dataclass
class Section:
    args: list[str]
    start: int      # index just after the opening marker
    end: int        # index of the closing marker
    line: int


def _markers(text: str):
    """(offset, 'open'|'close', match, line) for marker comments alone on their line, outside code fences."""
    out, offset, fence = [], 0, None
    for number, line in enumerate(text.splitlines(keepends=True), 1):
        stripped = line.strip()
        m = FENCE.match(stripped)
        if m:
            fence = None if fence == m.group(1) else (fence or m.group(1))
        elif fence is None:
            for kind, pattern in (("open", OPEN), ("close", CLOSE)):
                found = pattern.fullmatch(stripped)
                if found:
                    start = offset + line.index(stripped)
                    out.append((start, start + len(stripped), kind, found, number))
        offset += len(line)
    return out


def find_sections(text: str, path: str) -> list[Section]:
    sections, current = [], None
    for start, end, kind, m, line in _markers(text):
        if kind == "open":
            if current is not None:
                raise InputError([Problem(path, line, None, "", f"archcheck marker opened inside the section "
                                                                 f"opened at line {current[2]}; sections cannot nest")])
            try:
                args = shlex.split(m.group("args"))
            except ValueError as exc:
                raise InputError([Problem(path, line, None, "", f"cannot read the marker's command line: {exc}")]) from None
            if not args or args[0] not in ALLOWED:
                raise InputError([Problem(path, line, None, "", f"expected a marker command {' or '.join(ALLOWED)}, "
                                                                 f"found {m.group('args')!r}")])
            current = (args, end, line)
        else:
            if current is None:
                raise InputError([Problem(path, line, None, "", "closing <!-- /archcheck --> without an opening marker")])
            sections.append(Section(current[0], current[1], start, current[2]))
            current = None
    if current is not None:
        raise InputError([Problem(path, current[2], None, "", "archcheck marker is never closed with <!-- /archcheck -->")])
    return sections


def run_section(section: Section, path: str) -> str:
    from .cli import main

    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            code = main(section.args)
        except SystemExit as exc:
            code = exc.code
    if code not in (0, 1):
        detail = err.getvalue().strip().splitlines()
        raise InputError([Problem(path, section.line, None, "", f"the marker's command `archcheck "
                                  f"{shlex.join(section.args)}` failed: {detail[-1] if detail else f'exit {code}'}")])
    text = out.getvalue()
    fmt = _format_of(section.args)
    if fmt in ("text", "json"):
        text = f"```{fmt}\n{text.rstrip()}\n```\n"
    return "\n" + text.rstrip("\n") + "\n"


def _format_of(args: list[str]) -> str:
    for i, a in enumerate(args):
        if a == "--format" and i + 1 < len(args):
            return args[i + 1]
        if a.startswith("--format="):
            return a.split("=", 1)[1]
    return "markdown"


def regenerate(text: str, path: str) -> str:
    sections = find_sections(text, path)
    pieces, last = [], 0
    for s in sections:
        pieces.append(text[last:s.start])
        pieces.append(run_section(s, path))
        last = s.end
    pieces.append(text[last:])
    return "".join(pieces)
