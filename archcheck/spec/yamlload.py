"""Safe YAML loading that remembers where every value came from.

Specs are hand-written, so errors must point at a line. We compose the YAML node tree with the safe
loader and build plain dicts/lists that carry their source positions. Aliases, custom tags and
duplicate keys are refused: a spec is data, and none of those are needed to write one.
"""
from __future__ import annotations

import yaml

from ..errors import Problem, SpecError

MAX_SPEC_BYTES = 2_000_000
_STD_TAGS = {
    "tag:yaml.org,2002:" + t for t in ("str", "int", "float", "bool", "null", "map", "seq")
}


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


class _Builder:
    def __init__(self, path: str, loader: yaml.SafeLoader):
        self.path = path
        self.loader = loader

    def fail(self, node, message: str):
        line, col = _position(node)
        raise SpecError([Problem(self.path, line, col, "", message)])

    def build(self, node):
        if node.tag not in _STD_TAGS:
            self.fail(node, f"YAML tag {node.tag!r} is not allowed in a spec (only plain YAML data)")
        if isinstance(node, yaml.MappingNode):
            out = LDict()
            out.line, out.column = _position(node)
            for key_node, value_node in node.value:
                if not isinstance(key_node, yaml.ScalarNode):
                    self.fail(key_node, "mapping keys must be plain scalars")
                key = self.build(key_node)
                if isinstance(key, (int, float, bool)) or key is None:
                    key = key_node.value  # keys are names: "1" and "1.0" stay as written
                if key in out:
                    self.fail(key_node, f"duplicate key {key!r} in this mapping")
                out[key] = self.build(value_node)
                out.positions[key] = _position(value_node)
            return out
        if isinstance(node, yaml.SequenceNode):
            out = LList()
            out.line, out.column = _position(node)
            for item in node.value:
                out.append(self.build(item))
                out.positions.append(_position(item))
            return out
        return self.loader.construct_object(node, deep=True)


class _NoAliasComposer(yaml.SafeLoader):
    """Refuse anchors/aliases while composing, before any expansion can blow up in size."""

    def compose_node(self, parent, index):
        if self.check_event(yaml.AliasEvent):
            event = self.peek_event()
            raise SpecError([Problem(self.name, event.start_mark.line + 1, event.start_mark.column + 1,
                                     "", "YAML aliases (*name) are not allowed in a spec")])
        event = self.peek_event()
        anchor = getattr(event, "anchor", None)
        if anchor is not None:
            raise SpecError([Problem(self.name, event.start_mark.line + 1, event.start_mark.column + 1,
                                     "", f"YAML anchors (&{anchor}) are not allowed in a spec")])
        return super().compose_node(parent, index)


def load_yaml_text(text: str, path: str):
    """Parse YAML text into LDict/LList/scalars; raise SpecError with file:line on any problem."""
    if len(text) > MAX_SPEC_BYTES:
        raise SpecError([Problem(path, None, None, "",
                                 f"file is {len(text):,} bytes; specs are limited to {MAX_SPEC_BYTES:,}")])
    loader = _NoAliasComposer(text)
    loader.name = path
    try:
        node = loader.get_single_node()
        if node is None:
            raise SpecError([Problem(path, 1, 1, "", "the file is empty; expected a YAML mapping")])
        return _Builder(path, loader).build(node)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line, col = (mark.line + 1, mark.column + 1) if mark else (None, None)
        what = exc.problem or exc.context or "invalid YAML"
        raise SpecError([Problem(path, line, col, "", f"YAML syntax error: {what}")]) from None
    except yaml.YAMLError as exc:
        raise SpecError([Problem(path, None, None, "", f"YAML error: {exc}")]) from None
    except RecursionError:
        raise SpecError([Problem(path, None, None, "", "YAML nesting too deep")]) from None
    finally:
        loader.dispose()


def load_yaml_file(path: str):
    try:
        with open(path, "rb") as fh:
            raw = fh.read(MAX_SPEC_BYTES + 1)
    except FileNotFoundError:
        raise SpecError([Problem(path, None, None, "", "no such file")]) from None
    except IsADirectoryError:
        raise SpecError([Problem(path, None, None, "", "is a directory, expected a YAML spec file")]) from None
    except OSError as exc:
        raise SpecError([Problem(path, None, None, "", f"cannot read: {exc.strerror}")]) from None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise SpecError([Problem(path, None, None, "", f"not UTF-8 text (byte {exc.start})")]) from None
    return load_yaml_text(text, path)
