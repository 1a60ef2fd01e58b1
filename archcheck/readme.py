"""Regenerate the sections of a Markdown file that sit between archcheck marker comments.

    <!-- archcheck summary specs/inception_v2.yaml --variant example --set num_classes=10 -->
    ...generated output...
    <!-- /archcheck -->

Everything outside the markers is kept byte for byte, line endings included (a CRLF file gets CRLF
sections). A marker is live only where a Markdown reader would see an HTML comment: on a line of its
own, outside code (fenced blocks of ``` or ~~~ of any length, indented code blocks and <pre> blocks, as
CommonMark defines them). Unbalanced or nested markers are refused, never guessed.

A marker runs the archcheck command line its author wrote, as a Makefile runs its recipes; it may not
name an output file (`--output`/`-o`), so that `readme --check` never writes. Output in text or JSON
format is put in a fenced code block; Markdown goes in as is.
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
ALLOWED = ("verify", "summary", "list")

# CommonMark block starts, on a line whose indentation is at most three spaces.
_FENCE_OPEN = re.compile(r"^ {0,3}(?P<fence>`{3,}(?=[^`]*$)|~{3,})")
_HTML_PRE = re.compile(r"^ {0,3}<(pre|script|style|textarea)(\s|>|$)", re.IGNORECASE)
_HTML_PRE_END = re.compile(r"</(pre|script|style|textarea)>", re.IGNORECASE)


@dataclass
class Section:
    args: list[str]
    start: int      # index just after the opening marker
    end: int        # index of the closing marker
    line: int


def _indent(line: str) -> int:
    """Columns of leading whitespace, a tab advancing to the next multiple of four (CommonMark)."""
    col = 0
    for ch in line:
        if ch == " ":
            col += 1
        elif ch == "\t":
            col += 4 - col % 4
        else:
            break
    return col


def _markers(text: str):
    """(start, end, kind, match, line number) of marker comments that a Markdown reader would see.

    A line indented by four columns or more is never a marker, nor does it open a fence or a <pre> block:
    it is either an indented code block or the continuation of a paragraph."""
    out, offset = [], 0
    fence = None            # (character, length) of the open fenced code block
    pre = False             # inside an HTML <pre>/<script>/<style>/<textarea> block
    for number, line in enumerate(text.splitlines(keepends=True), 1):
        content = line.rstrip("\r\n")
        here, offset = offset, offset + len(line)
        if fence is not None:
            m = _FENCE_OPEN.match(content)
            if m and m.group("fence")[0] == fence[0] and len(m.group("fence")) >= fence[1] \
                    and not content.strip().lstrip(fence[0]):
                fence = None
            continue
        if pre:
            pre = not _HTML_PRE_END.search(content)
            continue
        if not content.strip() or _indent(content) >= 4:
            continue
        m = _FENCE_OPEN.match(content)
        if m:
            fence = (m.group("fence")[0], len(m.group("fence")))
            continue
        if _HTML_PRE.match(content):
            pre = not _HTML_PRE_END.search(content)
            continue
        stripped = content.strip()
        for kind, pattern in (("open", OPEN), ("close", CLOSE)):
            found = pattern.fullmatch(stripped)
            if found:
                start = here + line.index(stripped)
                out.append((start, start + len(stripped), kind, found, number))
    return out


def _command(m: re.Match, path: str, line: int) -> list[str]:
    """The marker's command line, refused when it is not an archcheck command that only prints."""
    try:
        args = shlex.split(m.group("args"))
    except ValueError as exc:
        raise InputError([Problem(path, line, None, "", f"cannot read the marker's command line: {exc}")]) from None
    if not args or args[0] not in ALLOWED:
        raise InputError([Problem(path, line, None, "", f"expected a marker command {', '.join(ALLOWED)}, "
                                                         f"found {m.group('args')!r}")])
    if _names_output(args):
        raise InputError([Problem(path, line, None, "", "a marker's command prints into the file; expected no "
                                                         "--output/-o (readme --check must never write)")])
    return args


def _names_output(args: list[str]) -> bool:
    """Would the command write a file? Parsed as the CLI parses it, so abbreviations (--out) count too."""
    from .cli import make_parser

    with contextlib.redirect_stderr(io.StringIO()), contextlib.redirect_stdout(io.StringIO()):
        try:
            parsed = make_parser().parse_args(args)
        except SystemExit:   # not a valid command line: running it fails before it writes anything
            return False
    return bool(getattr(parsed, "output", None))


def find_sections(text: str, path: str) -> list[Section]:
    sections, current = [], None
    for start, end, kind, m, line in _markers(text):
        if kind == "open":
            if current is not None:
                raise InputError([Problem(path, line, None, "", f"archcheck marker opened inside the section "
                                                                 f"opened at line {current[2]}; sections cannot nest")])
            current = (_command(m, path, line), end, line)
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


def newline_of(text: str) -> str:
    """The file's line ending: CRLF when its first line ends so, else LF."""
    first = text.find("\n")
    return "\r\n" if first > 0 and text[first - 1] == "\r" else "\n"


def regenerate(text: str, path: str) -> str:
    sections = find_sections(text, path)
    newline = newline_of(text)
    pieces, last = [], 0
    for s in sections:
        pieces.append(text[last:s.start])
        generated = run_section(s, path)
        pieces.append(generated.replace("\n", newline) if newline != "\n" else generated)
        last = s.end
    pieces.append(text[last:])
    return "".join(pieces)
