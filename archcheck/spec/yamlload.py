"""Safe YAML loading that remembers where every value came from.

Specs are hand-written, so errors must point at a line. We compose the YAML node tree with the safe
loader (libyaml's when installed: ~15x faster than the pure-Python one) and build plain dicts/lists
that carry their source positions. Aliases, anchors, custom tags and duplicate keys are refused: a
spec is data, and none of those are needed to write one. A first pass over the parser's events
refuses aliases and deep nesting before anything is composed, so neither an alias bomb nor
`[[[[...` (which overflows libyaml's recursive composer) can cost more than one linear scan.
"""
from __future__ import annotations

import math
import os

import yaml

from ..errors import Problem, SpecError

MAX_SPEC_BYTES = 2_000_000
MAX_DEPTH = 64              # a spec nests about 8 deep
_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_STD_TAGS = {
    "tag:yaml.org,2002:" + t for t in ("str", "int", "float", "bool", "null", "map", "seq")
}
# Plain scalars the resolver gives these tags to ("2014-09-17", "<<", "=") are kept as text.
_AS_TEXT_TAGS = {"tag:yaml.org,2002:" + t for t in ("timestamp", "merge", "value")}
_TAG_VALUES = {"int": "a whole number", "float": "a number", "bool": "true or false", "null": "null or ~"}


def _short(tag: str) -> str:
    return "!!" + tag[len("tag:yaml.org,2002:"):] if tag.startswith("tag:yaml.org,2002:") else tag


class Located:
    """Mixin: 1-based line and column of the value in its file."""

    line: int | None = None
    column: int | None = None


class LDict(dict, Located):
    """A mapping whose values' positions are in `positions[key]`."""

    def __init__(self, *a, **kw):
        super().__init__(*a, **kw)
        self.positions: dict = {}

    def pos(self, key) -> tuple[int | None, int | None]:
        return self.positions.get(key, (self.line, self.column))


class LList(list, Located):
    def __init__(self, *a):
        super().__init__(*a)
        self.positions: list = []

    def pos(self, index: int) -> tuple[int | None, int | None]:
        if 0 <= index < len(self.positions):
            return self.positions[index]
        return (self.line, self.column)


def _position(node) -> tuple[int, int]:
    return node.start_mark.line + 1, node.start_mark.column + 1


def _one_line(text: str) -> str:
    return " ".join(str(text).split())


class _Builder:
    def __init__(self, path: str, loader):
        self.path = path
        self.loader = loader
        self.problems: list[Problem] = []

    def problem(self, node, field: str, message: str) -> None:
        line, col = _position(node)
        self.problems.append(Problem(self.path, line, col, field, message))

    def build(self, node, field: str = ""):
        if node.tag in _AS_TEXT_TAGS and isinstance(node, yaml.ScalarNode):
            return node.value
        if node.tag not in _STD_TAGS:
            self.problem(node, field, f"expected plain YAML data, found the tag {node.tag!r} (tags are not allowed in a spec)")
            return None
        if isinstance(node, yaml.MappingNode):
            out = LDict()
            out.line, out.column = _position(node)
            for key_node, value_node in node.value:
                if not isinstance(key_node, yaml.ScalarNode):
                    self.problem(key_node, field, "expected a plain name as a mapping key, found a list or mapping")
                    continue
                key = self.build(key_node, field)
                if isinstance(key, (int, float, bool)) or key is None:
                    key = key_node.value  # keys are names: "1" and "1.0" stay as written
                sub = f"{field}.{key}" if field else str(key)
                if key in out:
                    self.problem(key_node, sub, f"duplicate key (first at line {out.positions[key][0]}); "
                                                "expected each key once per mapping")
                    continue
                out[key] = self.build(value_node, sub)
                out.positions[key] = _position(value_node)
            return out
        if isinstance(node, yaml.SequenceNode):
            out = LList()
            out.line, out.column = _position(node)
            for i, item in enumerate(node.value):
                out.append(self.build(item, f"{field}[{i}]"))
                out.positions.append(_position(item))
            return out
        try:
            if node.tag.endswith(":null") and node.value not in ("", "~", "null", "Null", "NULL"):
                raise ValueError(node.value)          # PyYAML reads `!!null maybe` as null
            value = self.loader.construct_object(node, deep=True)
        except (ValueError, KeyError, yaml.constructor.ConstructorError):
            # `!!int abc`, `!!bool maybe`, `!!float x`, or an integer of more than 4,300 digits (Python's
            # int-from-text limit)
            digits = node.value.strip().lstrip("+-").replace("_", "")
            if node.tag.endswith(":int") and digits.isdigit() and len(digits) > 4300:
                self.problem(node, field, f"expected a number archcheck can read, found {len(digits):,} digits")
            else:
                want = _TAG_VALUES.get(node.tag.rsplit(":", 1)[-1], "a value of its type")
                self.problem(node, field, f"expected {want} after the tag {_short(node.tag)}, found {node.value!r}")
            return None
        if isinstance(value, float) and not math.isfinite(value):  # JSON has no NaN or infinity
            self.problem(node, field, f"expected a finite number, found {node.value!r}")
            return None
        return value


def _refuse_aliases(text: str, path: str) -> None:
    """Scan the parser's events once: refuse anchors, aliases and nesting deeper than MAX_DEPTH."""
    firsts, seen, too_deep = [], {}, []
    loader = _LOADER(text)
    try:
        depth = 0
        while loader.check_event():
            event = loader.get_event()
            where = (event.start_mark.line + 1, event.start_mark.column + 1)
            anchor = getattr(event, "anchor", None)
            if anchor is not None:  # each anchor and each alias name once, at its first use
                what = f"*{anchor}" if isinstance(event, yaml.AliasEvent) else f"&{anchor}"
                seen[what] = seen.get(what, 0) + 1
                if seen[what] == 1:
                    firsts.append((where, what))
            if isinstance(event, yaml.CollectionStartEvent):
                depth += 1
                if depth > MAX_DEPTH:
                    too_deep.append(Problem(path, *where, "", f"expected YAML nested at most {MAX_DEPTH} levels deep, "
                                                       "found deeper nesting"))
                    break
            elif isinstance(event, yaml.CollectionEndEvent):
                depth -= 1
    finally:
        loader.dispose()
    problems = [Problem(path, *where, "", f"expected plain YAML data, found the {'alias' if what[0] == '*' else 'anchor'} "
                        f"{what}{f' (used {seen[what]} times)' if seen[what] > 1 else ''}; aliases and anchors "
                        "are not allowed in a spec") for where, what in firsts]
    if problems or too_deep:
        raise SpecError(problems + too_deep)


def load_yaml_text(text: str, path: str):
    """Parse YAML text into LDict/LList/scalars; raise SpecError with file:line on any problem."""
    if len(text) > MAX_SPEC_BYTES or len(text.encode("utf-8", "surrogatepass")) > MAX_SPEC_BYTES:
        raise SpecError([_too_large(path, len(text.encode("utf-8", "surrogatepass")))])
    loader = None
    try:
        _refuse_aliases(text, path)
        loader = _LOADER(text)
        node = loader.get_single_node()
        if node is None:
            raise SpecError([Problem(path, 1, 1, "", "the file is empty; expected a YAML mapping")])
        builder = _Builder(path, loader)
        doc = builder.build(node)
        if builder.problems:
            raise SpecError(builder.problems)
        return doc
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line, col = (mark.line + 1, mark.column + 1) if mark else (None, None)
        what = _one_line(exc.problem or exc.context or "invalid YAML")
        if exc.problem and exc.context and exc.context != "while scanning for the next token":
            cmark = exc.context_mark
            what = (f"{what} ({_one_line(exc.context)} at line {cmark.line + 1})"
                    if exc.context.startswith("while") and cmark else f"{_one_line(exc.context)}, {what}")
        if mark and 0 <= mark.index < len(text) and text[mark.index] == "\t":
            what += " (a tab; YAML indents with spaces only)"
        raise SpecError([Problem(path, line, col, "", f"YAML syntax error: {what}")]) from None
    except yaml.reader.ReaderError as exc:  # a control character: position is an offset in the text
        pos = max(0, min(exc.position, len(text)))
        line, col = text.count("\n", 0, pos) + 1, pos - text.rfind("\n", 0, pos)
        raise SpecError([Problem(path, line, col, "", f"YAML syntax error: {_one_line(exc.reason)} "
                                 f"(character #x{exc.character:04x})")]) from None
    except yaml.YAMLError as exc:
        raise SpecError([Problem(path, None, None, "", f"YAML error: {_one_line(exc)}")]) from None
    finally:
        if loader is not None:
            loader.dispose()


def _too_large(path: str, size: int | None) -> Problem:
    size_text = f"{size:,} bytes" if size is not None else f"more than {MAX_SPEC_BYTES:,} bytes"
    return Problem(path, None, None, "", f"file is {size_text}; specs are limited to {MAX_SPEC_BYTES:,} bytes")


def load_yaml_file(path: str):
    """Read and parse a spec file; its size in bytes is checked before anything is parsed."""
    try:
        with open(path, "rb") as fh:
            raw = fh.read(MAX_SPEC_BYTES + 1)
            if len(raw) > MAX_SPEC_BYTES:
                st = os.fstat(fh.fileno())   # a pipe or device has no size of its own
                raise SpecError([_too_large(path, st.st_size if st.st_size > MAX_SPEC_BYTES else None)])
    except FileNotFoundError:
        raise SpecError([Problem(path, None, None, "", "no such file")]) from None
    except IsADirectoryError:
        raise SpecError([Problem(path, None, None, "", "is a directory, expected a YAML spec file")]) from None
    except OSError as exc:
        raise SpecError([Problem(path, None, None, "", f"cannot read: {exc.strerror}")]) from None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line, col = raw.count(b"\n", 0, exc.start) + 1, exc.start - raw.rfind(b"\n", 0, exc.start)
        raise SpecError([Problem(path, line, col, "", f"expected UTF-8 text, found the byte 0x{raw[exc.start]:02x} "
                                                      f"(byte {exc.start:,} of the file)")]) from None
    return load_yaml_text(text, path)



def load_value(text: str, origin: str, field: str):
    """One `--set` value, read exactly as the same text in a spec would be (a date stays text; tags,
    aliases, NaN and infinity are refused); problems name `origin` and `field`, without a line."""
    loader, value, problems = None, None, []
    try:
        _refuse_aliases(text, origin)
        loader = _LOADER(text)
        node = loader.get_single_node()
        if node is None:
            return ""
        builder = _Builder(origin, loader)
        value = builder.build(node, field)
        problems = builder.problems
    except SpecError as exc:
        problems = exc.problems
    except yaml.YAMLError:
        raise SpecError([Problem(origin, None, None, field, f"cannot read the value {text!r} as a YAML scalar")]) from None
    finally:
        if loader is not None:
            loader.dispose()
    if problems:
        raise SpecError([Problem(origin, None, None, field, p.message) for p in problems])
    return value
