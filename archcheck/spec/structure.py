"""Check a loaded spec against the declarations of language.py: the structural half of validation.

`check` walks the whole document once and reports, as `file:line:col: field: message` problems, every
key its mapping does not declare, every value of the wrong type, outside its choices or its bounds,
and every missing required key. It returns the checked spec: the same mappings and lists, with their
positions, where each value has its declared type (a number given as text is its text); a value that
broke a rule is left out of its mapping (its key listed in `invalid`) or stands as INVALID in its list,
so that the semantic checks of validate.py never meet a value of the wrong type. A number outside its
bounds is reported and kept (what it refers to is still checked), a list of the wrong length is left out.

Each problem names the rule it breaks (`Problem.rule`: key, type, enum, range, required or kind, the
rules the JSON Schema of schema.py states too) and its place in the document (`Problem.path`).
"""
from __future__ import annotations

import difflib
import functools
import math

from ..errors import Problem
from . import language as L
from .arith import shown
from .values import Computed
from .yamlload import LDict, LList

STRUCTURAL_RULES = ("key", "type", "enum", "range", "required", "kind")


class _Invalid:
    def __repr__(self) -> str:
        return "INVALID"


INVALID = _Invalid()    # a list item that broke a rule


class Checked(LDict):
    """A mapping checked against its declaration."""

    field: str = ""               # its name in messages: rows[1] (mixed_1)
    path: tuple = ()              # its place in the document: ("rows", 1)
    invalid: frozenset = frozenset()   # keys given with a value that broke a rule
    declared: L.Mapping | None = None

    def value(self, key):
        """The value of `key`, or the language's default for it."""
        if key in self:
            return self[key]
        declared = self.declared.fields.get(key) if self.declared is not None else None
        return declared.default if declared is not None else None

    def sub(self, key) -> str:
        return sub(self.field, key)


class CheckedList(LList):
    field: str = ""
    path: tuple = ()
    fields: list = []             # each item's name in messages: rows[1] (mixed_1), paper[ops]


def sub(field: str, key) -> str:
    return f"{field}.{key}" if field else str(key)


# -- how values are shown in messages ------------------------------------------------------------------

def suggest(word, choices) -> str:
    match = difflib.get_close_matches(str(word), [str(c) for c in choices], n=1)
    return f" (did you mean {match[0]!r}?)" if match else ""


def is_int(value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def is_number(value) -> bool:
    """A finite int or float (math.isfinite would overflow on a 400-digit int)."""
    return is_int(value) or (isinstance(value, float) and math.isfinite(value))


def shown_number(value) -> str:
    """A number for a message: a 400-digit integer is shown by its size, not its digits."""
    if is_int(value) and abs(value) >= 10**15:
        return f"{'-' if value < 0 else ''}a {len(str(abs(value)))}-digit number"
    if isinstance(value, list):
        return "[" + ", ".join(shown_number(v) for v in value) + "]"
    return str(value)


def kind_of(value) -> str:
    """What a value is, for "found ...": text ('3x32x32'), a number (2.5), a list."""
    if isinstance(value, Computed):
        return f"{value.text!r} = {shown(value.value)}"
    if value is None:
        return "nothing (null)"
    if isinstance(value, bool):
        return f"a boolean ({str(value).lower()})"
    if isinstance(value, (int, float)):
        return f"a number ({shown_number(value)})"
    if isinstance(value, str):
        return f"text ({value!r})" if len(value) < 40 else "text"
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    return type(value).__name__


def bound(value) -> str:
    """A bound for a message: 100,000; 0.0; 10^30."""
    if is_int(value):
        digits = str(abs(value))
        if abs(value) >= 10**6 and digits.strip("0") == "1":
            return f"{'-' if value < 0 else ''}10^{len(digits) - 1}"
        return f"{value:,}"
    return str(value)


def choices(t: L.Choice) -> str:
    """How a message says what a Choice expects: relu or none; approx, less_than or greater_than; one of ..."""
    if t.expected:
        return t.expected
    words = [str(v) for v in t.values]
    if len(words) <= 3:
        return words[0] if len(words) == 1 else f"{', '.join(words[:-1])} or {words[-1]}"
    return "one of " + ", ".join(words)


# -- the JSON kinds of values, as JSON Schema names them -----------------------------------------------

_JSON_TYPES = ((type(None), "null"), (bool, "boolean"), (int, "integer"), (float, "number"), (str, "string"),
               (list, "array"), (dict, "object"))     # bool before int: true is no number


def json_type(value) -> str:
    return next((name for cls, name in _JSON_TYPES if isinstance(value, cls)), type(value).__name__)


_NUMERIC = {"integer", "number"}
_ALL = {"null", "boolean", "integer", "number", "string", "array", "object"}


@functools.lru_cache(maxsize=None)
def accepted(t: L.Type) -> frozenset[str]:
    """The JSON kinds of value a type accepts (a Union's alternatives accept disjoint kinds)."""
    return frozenset(_accepted(t))


def _accepted(t: L.Type) -> set[str]:
    symbolic = {"string"} if getattr(t, "refs", "") else set()
    if isinstance(t, L.Anything):
        return set(_ALL)
    if isinstance(t, L.Null):
        return {"null"}
    if isinstance(t, L.Text):
        return {"string"} if t.strict else {"string"} | _NUMERIC
    if isinstance(t, L.Flag):
        return {"boolean"} | symbolic
    if isinstance(t, L.Choice):
        kinds = {json_type(v) for v in t.values}
        return (kinds | _NUMERIC if kinds & _NUMERIC else kinds) | symbolic
    if isinstance(t, L.Number):
        return set(_NUMERIC) | ({"array"} if t.pair else set()) | ({"string"} if t.words else set()) | symbolic
    if isinstance(t, (L.Mapping, L.MapOf, L.Kinds, L.OrArguments)):
        return {"object"}
    if isinstance(t, L.Seq):
        return {"array"}
    if isinstance(t, L.Union):
        return set().union(*(accepted(a) for a in t.alternatives))
    raise TypeError(f"not a declared type: {t!r}")


def alternative(t: L.Union, value) -> L.Type | None:
    kind = json_type(value)
    return next((a for a in t.alternatives if kind in accepted(a)), None)


# -- scalars --------------------------------------------------------------------------------------------

def _symbol(t, value, symbolic: bool, own=()) -> bool:
    """Text standing for a value to be resolved in its scope: a name, or arithmetic (checked by validate.py)."""
    return symbolic and bool(t.refs) and isinstance(value, str) and (value not in L.WORDS or value in own)


def _in_bounds(t: L.Number, v) -> bool:
    return ((t.lo is None or (v > t.lo if t.lo_open else v >= t.lo))
            and (t.hi is None or (v < t.hi if t.hi_open else v <= t.hi)))


def _number_problem(t: L.Number, value, symbolic: bool) -> tuple[str, str] | None:
    def fits(v):
        return is_int(v) if t.whole else is_number(v)

    if isinstance(value, str):
        ok = value in t.words or _symbol(t, value, symbolic)
        numbers = ()
    elif isinstance(value, list) and t.pair:
        ok = 1 <= len(value) <= 2 and all(fits(v) or _symbol(t, v, symbolic) for v in value)
        numbers = [v for v in value if not isinstance(v, str)]
    else:
        ok, numbers = fits(value), (value,)
    if not ok:
        return "type", f"expected {_expected(t, t.expected)}, found {kind_of(value)}"
    if all(_in_bounds(t, v) for v in numbers):
        return None
    return "range", f"expected {_expected(t, t.in_range or t.expected)}, found {shown_number(value)}"


def _expected(t: L.Number, text: str) -> str:
    return text.format(lo=bound(t.lo), hi=bound(t.hi))


def _scalar_problem(t, value, symbolic: bool) -> tuple[str, str] | None:
    """(rule, message) for a scalar that does not fit its type, or None."""
    if isinstance(t, L.Anything):
        return None
    if isinstance(t, L.Null):
        return None if value is None else ("type", f"expected nothing (null), found {kind_of(value)}")
    if isinstance(t, L.Text):
        if isinstance(value, str) or (not t.strict and is_number(value)):
            return None
        return "type", f"expected {t.noun}, found {kind_of(value)}"
    if isinstance(t, L.Flag):
        if isinstance(value, bool) or _symbol(t, value, symbolic):
            return None
        return "type", f"expected true or false, found {kind_of(value)}"
    if isinstance(t, L.Choice):
        if any(type(value) is type(v) and value == v for v in t.values) or _symbol(t, value, symbolic, t.values):
            return None
        rule = "enum" if json_type(value) in accepted(L.Choice(t.values)) else "type"   # a value of a listed kind
        hint = suggest(value, t.values) if isinstance(value, str) else ""
        return rule, f"expected {choices(t)}, found {kind_of(value)}{hint}"
    if isinstance(t, L.Number):
        return _number_problem(t, value, symbolic)
    raise TypeError(f"not a scalar type: {t!r}")


def literal_problem(t: L.Type, value) -> str | None:
    """Why a value resolved from names and arithmetic (an option, a template argument, a --set value)
    cannot stand where `t` is declared, or None: the same rules, with text taken literally."""
    walker = _Walker("", None, symbolic=False)
    walker.check(value, t, "", (), (None, None))
    return walker.problems[0].message if walker.problems else None


# -- the walk ---------------------------------------------------------------------------------------------

def _where(container, key) -> tuple:
    pos = getattr(container, "pos", None)
    return pos(key) if pos is not None else (None, None)


class _Walker:
    def __init__(self, file: str, root, symbolic: bool = True):
        self.file = file
        self.root = root
        self.symbolic = symbolic
        self.problems: list[Problem] = []

    def problem(self, where, field, path, rule, message) -> None:
        self.problems.append(Problem(self.file, where[0], where[1], field, message, rule, tuple(path)))

    def check(self, value, t, field, path, where):
        """`value` as its declared type, or INVALID after reporting why it is not."""
        walk = self._containers.get(type(t))
        if walk is not None:
            return walk(self, value, t, field, path, where)
        if isinstance(t, L.Union):
            chosen = alternative(t, value)
            if chosen is None:
                self.problem(where, field, path, "type", f"expected {t.noun}, found {kind_of(value)}")
                return INVALID
            return self.check(value, chosen, field, path, where)
        problem = _scalar_problem(t, value, self.symbolic)
        if problem is not None:
            self.problem(where, field, path, *problem)
            if problem[0] != "range":
                return INVALID
        if isinstance(t, L.Text) and not isinstance(value, str):
            return str(value)
        return value

    def _new(self, value, field, path, declared=None) -> Checked:
        out = Checked()
        out.line, out.column = getattr(value, "line", None), getattr(value, "column", None)
        out.field, out.path, out.declared = field, tuple(path), declared
        return out

    def _type(self, value, noun, field, path, where) -> bool:
        """Report a value that is not a mapping; True when it is one."""
        if isinstance(value, dict):
            return True
        self.problem(where, field, path, "type", f"expected {noun}, found {kind_of(value)}")
        return False

    def _keep(self, out: Checked, source, key, checked, invalid: set) -> None:
        if checked is INVALID:
            invalid.add(key)
        else:
            out[key] = checked
            out.positions[key] = _where(source, key)

    def _fields(self, value, t: L.Mapping, out: Checked, field, path) -> None:
        """Check the declared keys of `value` into `out`; report the missing required ones."""
        invalid = set()
        for key, declared in t.fields.items():
            if key in value:
                checked = self.check(value[key], declared.type, sub(field, key), path + (key,), _where(value, key))
                self._keep(out, value, key, checked, invalid)
            elif _required(declared, value, t):
                about = f" ({declared.about})" if declared.about else ""
                self.problem((out.line, out.column), sub(field, key), path + (key,), "required",
                             f"missing required {t.member}{about}")
        out.invalid = out.invalid | invalid

    def mapping(self, value, t: L.Mapping, field, path, where):
        if not self._type(value, t.noun, field, path, where):
            return INVALID
        label = value.get(t.label) if t.label else None
        if isinstance(label, str) or is_number(label):
            field = f"{field} ({label})"
        out = self._new(value, field, path, t)
        for key in value:
            if key not in t.fields:
                if t.member == "argument":
                    message = (f"unknown argument{suggest(key, t.fields)}; {t.owner} takes "
                               f"{', '.join(t.fields) or 'no arguments'}")
                else:
                    message = f"unknown key{suggest(key, t.fields)}; expected one of: {', '.join(t.fields)}"
                self.problem(_where(value, key), sub(field, key), path + (key,), "key", message)
        self._fields(value, t, out, field, path)
        return out

    def or_arguments(self, value, t: L.OrArguments, field, path, where):
        if not isinstance(value, dict) or t.kind in value:
            return self.kinds(value, t.kinds, field, path, where)
        args = self.mapping(value, t.kinds.kinds[t.kind], sub(field, t.kind), path, where)
        if args is INVALID:
            return INVALID
        out = self._new(value, field, path)     # the layer {kind: its arguments}
        out[t.kind], out.positions[t.kind] = args, where
        return out

    def kinds(self, value, t: L.Kinds, field, path, where):
        if not self._type(value, t.noun, field, path, where):
            return INVALID
        given = [k for k in value if k in t.kinds]
        unknown = [k for k in value if k not in t.kinds and k not in t.common]
        for k in unknown:
            self.problem(_where(value, k), sub(field, k), path + (k,), "key",
                         f"unknown {t.what} or key{suggest(k, list(t.kinds) + list(t.common))}; "
                         f"expected one of {', '.join(t.kinds)}")
        if len(given) != 1:
            if not unknown:
                self.problem(where, field, path, "kind",
                             f"expected exactly one {t.what} ({', '.join(t.kinds)}), found {len(given)}")
            return INVALID
        kind = given[0]
        out = self._new(value, field, path)
        self._fields(value, _common(t), out, field, path)
        args = self.arguments(value, kind, t.kinds[kind], sub(field, kind), path + (kind,))
        if args is INVALID:
            return INVALID
        out[kind], out.positions[kind] = args, _where(value, kind)
        return out

    def arguments(self, layer, kind, t: L.Mapping, field, path):
        """A kind's arguments: a mapping, nothing (none given), or the value of its shorthand argument
        (`use: inception`, `dropout: 0.4`; a kind with a shorthand has no other required argument)."""
        raw, where = layer[kind], _where(layer, kind)
        if raw is None:
            raw = LDict()
            raw.line, raw.column = where
        elif not isinstance(raw, dict) and t.shorthand and json_type(raw) in accepted(t.fields[t.shorthand].type):
            checked = self.check(raw, t.fields[t.shorthand].type, sub(field, t.shorthand), path, where)
            if checked is INVALID:
                return INVALID
            out = self._new(LDict(), field, path, t)
            out.line, out.column = where
            out[t.shorthand], out.positions[t.shorthand] = checked, where
            return out
        return self.mapping(raw, t, field, path, where)

    def map_of(self, value, t: L.MapOf, field, path, where):
        if not self._type(value, t.noun, field, path, where):
            return INVALID
        out, invalid = self._new(value, field, path), set()
        for key, item in value.items():
            checked = self.check(item, t.values, sub(field, key), path + (key,), _where(value, key))
            self._keep(out, value, key, checked, invalid)
        out.invalid = frozenset(invalid)
        return out

    def seq(self, value, t: L.Seq, field, path, where):
        if not isinstance(value, list):
            self.problem(where, field, path, "type", f"expected {t.noun}, found {kind_of(value)}")
            return INVALID
        n, one, many = len(value), t.count[0], t.count[1]
        short = n < t.min_items
        if short or (t.max_items is not None and n > t.max_items):
            if t.min_items == t.max_items:
                message = f"expected {t.min_items} {many}, found {n:,}"
            elif short:
                message = (f"expected at least one {one}" if t.min_items == 1 else
                           f"expected at least {t.min_items:,} {many}, found {n:,}")
            else:
                message = f"expected at most {t.max_items:,} {many}, found {n:,}"
            self.problem(where, field, path, "range", message)
            return INVALID
        out = CheckedList()
        out.line, out.column = getattr(value, "line", None), getattr(value, "column", None)
        out.field, out.path, out.fields = field, tuple(path), []
        names = self._names(t.names_from)
        for i, item in enumerate(value):
            name = names[i] if i < len(names) else str(i)
            checked = self.check(item, t.items, f"{field}[{name}]", path + (i,), _where(value, i))
            out.append(checked)
            out.positions.append(_where(value, i))
            out.fields.append(getattr(checked, "field", "") or f"{field}[{name}]")
        return out

    def _names(self, key: str) -> list[str]:
        """The names of the items of a top-level list (a row's cells are named by their columns)."""
        items = self.root.get(key) if key and isinstance(self.root, dict) else None
        if not isinstance(items, list):
            return []
        out = []
        for i, item in enumerate(items):
            name = item.get("name") if isinstance(item, dict) else None
            out.append(str(name) if isinstance(name, str) or is_number(name) else str(i))
        return out


_Walker._containers = {L.Mapping: _Walker.mapping, L.Kinds: _Walker.kinds, L.OrArguments: _Walker.or_arguments,
                       L.MapOf: _Walker.map_of, L.Seq: _Walker.seq}


@functools.lru_cache(maxsize=None)
def _common(t: L.Kinds) -> L.Mapping:
    """The keys a kind's mapping has beside its kind, as a mapping's fields."""
    return L.Mapping(t.noun, t.common)


def _required(declared: L.Field, value, t: L.Mapping) -> bool:
    when = declared.required
    if not isinstance(when, L.When):
        return bool(when)
    if when.values is None:
        return when.key in value
    sibling = value[when.key] if when.key in value else t.fields[when.key].default
    return any(type(sibling) is type(v) and sibling == v for v in when.values)


def check(doc, file: str) -> tuple[Checked | object, list[Problem]]:
    """The spec `doc` (as yamlload.py loads it) checked against language.SPEC: (the checked spec or
    INVALID, the problems found)."""
    walker = _Walker(file, doc)
    checked = walker.check(doc, L.SPEC, "", (), (1, 1))
    return checked, walker.problems
