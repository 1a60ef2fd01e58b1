"""Turn a loaded YAML document into a Spec, reporting every problem found in one pass.

Each problem is `file:line:column: field: what was expected, what was found`. Validation never stops
at the first problem: a user fixing a hand-written transcription wants the whole list.
"""
from __future__ import annotations

import difflib
import math
import re

from ..errors import Problem, SpecError
from .arith import ArithmeticError_, check_arithmetic, shown
from .cells import CellError, parse_cell, parse_count
from .model import (CLAIM_QUANTITIES, COLUMN_KINDS, COUNT_MEASURES, LAYER_KINDS, MERGES, Branch, Claim,
                    Column, Condition, Erratum, Layer, Row, Spec, Template, Variant)
from .values import KEYWORDS, NUMBER_KINDS, WHOLE_KINDS, Computed, ValueProblem, is_expression, is_name, \
    references, resolve
from .yamlload import LDict

MAX_CHANNELS = 100_000      # the width-32 GoogLeNet has 12,288; above this is refused, not attempted
MAX_SPATIAL = 16_384        # input and activation height and width
MAX_FEATURES = 10**9        # a flattened activation (a linear layer's input)
MAX_KERNEL = 1_024
MAX_ROWS = 10_000
MAX_USE_DEPTH = 16          # templates in a `use` chain; the bundled specs nest 2 deep
MAX_LAYERS = 250_000        # layers a spec may build (spec/expansion.py); bench.py's 1,600-module stack counts 11,289
BUILTIN_NAMES = ("in_channels",)

# Per layer kind: allowed argument names -> kind of value.
LAYER_ARGS = {
    "conv": {"out": "channels", "kernel": "size", "stride": "size", "padding": "padding", "groups": "count",
             "dilation": "size", "bias": "bool", "bn": "bool", "act": "act"},
    "sepconv": {"out": "channels", "kernel": "size", "stride": "size", "padding": "padding",
                "multiplier": "count", "bn": "bool", "act": "act"},
    "pool": {"type": "pooltype", "kernel": "size", "stride": "size", "padding": "padding", "ceil_mode": "bool",
             "count_include_pad": "bool"},
    "global_pool": {"type": "pooltype"},
    "lrn": {"size": "count", "alpha": "float", "beta": "float", "k": "float"},
    "bn": {"eps": "float"},
    "relu": {},
    "dropout": {"p": "rate"},
    "flatten": {},
    "linear": {"out": "channels", "bias": "bool", "act": "act", "bn": "bool"},
    "identity": {},
    "use": {"template": "name", "args": "mapping"},
}
REQUIRED_LAYER_ARGS = {"conv": ("out", "kernel"), "sepconv": ("out", "kernel"), "pool": ("type", "kernel"),
                       "linear": ("out",), "use": ("template",)}
TOP_KEYS = ("archcheck", "name", "paper", "columns", "input", "options", "variants", "templates", "rows",
            "claims", "errata")


def _suggest(word: str, choices) -> str:
    match = difflib.get_close_matches(str(word), [str(c) for c in choices], n=1)
    return f" (did you mean {match[0]!r}?)" if match else ""


class _Checker:
    def __init__(self, path: str):
        self.path = path
        self.problems: list[Problem] = []

    # -- reporting -------------------------------------------------------------------------------
    def error(self, where, field: str, message: str) -> None:
        line, col = where if isinstance(where, tuple) else (getattr(where, "line", None),
                                                            getattr(where, "column", None))
        self.problems.append(Problem(self.path, line, col, field, message))

    # -- typed getters: return the value, or None after recording a problem ------------------------
    def mapping(self, parent, key, field, required=True):
        if key not in parent:
            if required:
                self.error(parent, field, "missing required field")
            return None
        value = parent[key]
        if not isinstance(value, dict):
            self.error(parent.pos(key), field, f"expected a mapping, found {_kind(value)}")
            return None
        return value

    def seq(self, parent, key, field, required=True):
        if key not in parent:
            if required:
                self.error(parent, field, "missing required field")
            return None
        value = parent[key]
        if not isinstance(value, list):
            self.error(parent.pos(key), field, f"expected a list, found {_kind(value)}")
            return None
        return value

    def string(self, parent, key, field, required=True, default=None):
        if key not in parent:
            if required:
                self.error(parent, field, "missing required field")
            return default
        value = parent[key]
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            return str(value)
        if not isinstance(value, str):
            self.error(parent.pos(key), field, f"expected text, found {_kind(value)}")
            return default
        return value

    def boolean(self, parent, key, field, default=False):
        if key not in parent:
            return default
        value = parent[key]
        if not isinstance(value, bool):
            self.error(parent.pos(key), field, f"expected true or false, found {_kind(value)}")
            return default
        return value

    def number(self, parent, key, field, default, lo, hi):
        if key not in parent:
            return default
        value = parent[key]
        if not _is_number(value):
            self.error(parent.pos(key), field, f"expected a number, found {_kind(value)}")
            return default
        if not lo <= value <= hi:
            self.error(parent.pos(key), field, f"expected a number from {lo} to {hi}, found {_shown(value)}")
            return default
        return value

    def keys(self, mapping, allowed, field):
        for key in mapping:
            if key not in allowed:
                self.error(mapping.pos(key), f"{field}.{key}" if field else str(key),
                           f"unknown key{_suggest(key, allowed)}; expected one of: {', '.join(allowed)}")

    # -- conditions --------------------------------------------------------------------------------
    def conditions(self, parent, key, field, options) -> tuple[Condition, ...]:
        if key not in parent:
            return ()
        value, where = parent[key], parent.pos(key)
        items = value if isinstance(value, list) else [value]
        out = []
        for item in items:
            if isinstance(item, str):
                m = re.fullmatch(r"(not\s+)?([A-Za-z_][\w.]*)", item.strip())
                if not m:
                    self.error(where, field, f"expected an option name or 'not NAME', found {item!r}")
                    continue
                name = m.group(2)
                if name not in options:
                    self.error(where, field, _undefined_name(name, options))
                out.append(Condition(name, None, bool(m.group(1)), where[0]))
            elif isinstance(item, dict):
                for name, val in item.items():
                    if name not in options:
                        self.error(item.pos(name), field, _undefined_name(name, options))
                    vals = tuple(val) if isinstance(val, list) else (val,)
                    out.append(Condition(str(name), vals, False, item.pos(name)[0]))
            else:
                self.error(where, field, f"expected an option name or a mapping option: value, found {_kind(item)}")
        return tuple(out)


def _undefined_name(name, names) -> str:
    return (f"unknown option {name!r}{_suggest(name, names)}; expected one of: "
            f"{', '.join(sorted(str(n) for n in names)) or 'none declared'}")


def _is_int(value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _is_number(value) -> bool:
    """A finite int or float (math.isfinite would overflow on a 400-digit int)."""
    return _is_int(value) or (isinstance(value, float) and math.isfinite(value))


def _shown(value) -> str:
    """A number for a message: a 400-digit integer is shown by its size, not its digits."""
    if _is_int(value) and abs(value) >= 10**15:
        return f"{'-' if value < 0 else ''}a {len(str(abs(value)))}-digit number"
    if isinstance(value, list):
        return "[" + ", ".join(_shown(v) for v in value) + "]"
    return str(value)


def _kind(value) -> str:
    if isinstance(value, Computed):
        return f"{value.text!r} = {shown(value.value)}"
    if value is None:
        return "nothing (null)"
    if isinstance(value, bool):
        return f"a boolean ({str(value).lower()})"
    if isinstance(value, (int, float)):
        return f"a number ({_shown(value)})"
    if isinstance(value, str):
        return f"text ({value!r})" if len(value) < 40 else "text"
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    return type(value).__name__


def validate(doc, path: str) -> Spec:
    """Validate a loaded document; raise SpecError listing every problem, or return the Spec."""
    c = _Checker(path)
    if not isinstance(doc, LDict):
        c.error((1, 1), "", f"expected a YAML mapping at the top of the spec, found {_kind(doc)}")
        raise SpecError(c.problems)
    c.keys(doc, TOP_KEYS, "")
    version = doc.get("archcheck", 1)
    if not _is_int(version) or version != 1:
        c.error(doc.pos("archcheck"), "archcheck", f"expected spec language version 1, found {_kind(version)}")
    name = c.string(doc, "name", "name", default="spec")
    paper = c.mapping(doc, "paper", "paper") or {}
    paper = {str(k): str(v) for k, v in paper.items()}

    options, option_lines = _options(c, doc)
    columns = _columns(c, doc, options)
    input_raw, input_value = _input(c, doc, options)
    templates = _templates(c, doc, options)
    rows = _rows(c, doc, columns, templates, options)
    claims = _claims(c, doc, options)
    errata = _errata(c, doc, rows, columns, claims, options)
    variants = _variants(c, doc, options, rows, templates)
    if c.problems:
        raise SpecError(c.problems)
    return Spec(path=path, name=name, paper=paper, columns=columns, input=input_value, options=options,
                variants=variants, templates=templates, rows=rows, claims=claims, errata=errata,
                option_lines=option_lines, input_raw=input_raw,
                input_line=doc.pos("input") if "input" in doc else (None, None))


def _columns(c: _Checker, doc, options) -> tuple[Column, ...]:
    out = []
    names = set()
    for i, item in enumerate(c.seq(doc, "columns", "columns") or []):
        field = f"columns[{i}]"
        if not isinstance(item, dict):
            c.error(doc["columns"].pos(i), field, f"expected a mapping with name and kind, found {_kind(item)}")
            out.append(Column(f"column {i + 1}", "label"))  # a stand-in: rows are not blamed for its absence
            continue
        c.keys(item, ("name", "kind", "tag", "measure", "k", "tolerance", "convention", "applies_to"), field)
        name = c.string(item, "name", f"{field}.name")
        kind = c.string(item, "kind", f"{field}.kind")
        if name in names:
            c.error(item.pos("name"), f"{field}.name", f"duplicate column name {name!r}")
        names.add(name)
        if kind is not None and kind not in COLUMN_KINDS:
            c.error(item.pos("kind"), f"{field}.kind",
                    f"unknown column kind {kind!r}{_suggest(kind, COLUMN_KINDS)}; expected one of {', '.join(COLUMN_KINDS)}")
        tag = c.string(item, "tag", f"{field}.tag", required=kind in ("filters", "pool_proj"))
        measure = c.string(item, "measure", f"{field}.measure", required=kind == "count")
        if measure is not None and measure not in COUNT_MEASURES:
            c.error(item.pos("measure"), f"{field}.measure",
                    f"expected one of {', '.join(COUNT_MEASURES)}, found {measure!r}")
        k = item.get("k", 1000)
        if not _is_int(k) or k not in (1000, 1024):
            c.error(item.pos("k"), f"{field}.k", f"expected 1000 or 1024 (a whole number), found {_kind(k)}")
            k = 1000
        tol = c.number(item, "tolerance", f"{field}.tolerance", 0.0, 0.0, 1.0)
        conv = c.string(item, "convention", f"{field}.convention", required=False, default="")
        applies = c.conditions(item, "applies_to", f"{field}.applies_to", options)
        if name is not None and kind in COLUMN_KINDS:
            out.append(Column(name, kind, tag, measure, k, float(tol), conv, applies))
        else:  # already reported; a stand-in keeps the rows' cell counts right
            out.append(Column(name if isinstance(name, str) else f"column {i + 1}", "label"))
    if doc.get("columns") == []:
        c.error(doc.pos("columns"), "columns", "expected at least one column")
    return tuple(out)


def _input(c: _Checker, doc, options) -> tuple[tuple, tuple]:
    """(the raw [C, H, W], its value with the default options). An entry may name an option or be
    arithmetic over options (`input: [3, res, res]`, set with `--set res=192`)."""
    value = c.seq(doc, "input", "input")
    if value is None:
        return (3, 224, 224), (3, 224, 224)
    raw = tuple(value)
    if len(raw) != 3 or not all(_is_int(v) or isinstance(v, str) for v in raw):
        c.error(doc.pos("input"), "input", f"expected [channels, height, width] as whole numbers or names of options, "
                                           f"found {_shown(list(raw))}")
        return (3, 224, 224), (3, 224, 224)
    before = len(c.problems)
    for v in dict.fromkeys(v for v in raw if isinstance(v, str)):   # each distinct entry once
        _check_symbolic(c, v, doc.pos("input"), "input", set(options), True)
    if len(c.problems) > before:
        return (3, 224, 224), (3, 224, 224)
    shape, problem = input_shape(raw, options)
    if problem:
        c.error(doc.pos("input"), "input", problem)
        return raw, (3, 224, 224)
    return raw, shape


def input_shape(raw: tuple, options: dict) -> tuple[tuple[int, ...], str | None]:
    """The input [C, H, W] for these options, or a stand-in and why it cannot be built."""
    try:
        shape = tuple(resolve(v, options, "whole") for v in raw)
    except ValueProblem as exc:
        return (3, 224, 224), str(exc)
    if not all(_is_int(v) for v in shape):
        return (3, 224, 224), f"expected [channels, height, width] as whole numbers, found {_shown(list(shape))}"
    if shape[0] <= 0 or shape[0] > MAX_CHANNELS or not all(0 < v <= MAX_SPATIAL for v in shape[1:]):
        return (3, 224, 224), (f"expected channels 1..{MAX_CHANNELS:,} and sizes 1..{MAX_SPATIAL:,}, found "
                               f"{_shown(list(shape))}")
    return shape, None


def _options(c: _Checker, doc):
    opts = c.mapping(doc, "options", "options", required=False) or {}
    out, lines = {}, {}
    for key, value in opts.items():
        if not re.fullmatch(r"[A-Za-z_]\w*", str(key)):
            c.error(opts.pos(key), f"options.{key}", "option names are identifiers (letters, digits, _)")
        if isinstance(value, dict) or (isinstance(value, list) and not all(isinstance(v, (str, int)) for v in value)):
            c.error(opts.pos(key), f"options.{key}", f"expected a scalar or a list of names, found {_kind(value)}")
            continue
        if _is_int(value) and not 0 <= value <= MAX_CHANNELS:  # as --set refuses them
            c.error(opts.pos(key), f"options.{key}",
                    f"expected a whole number from 0 to {MAX_CHANNELS:,} (archcheck's limit), found {_shown(value)}")
        out[str(key)] = list(value) if isinstance(value, list) else value
        lines[str(key)] = opts.pos(key)[0]
    return out, lines


def _layer(c: _Checker, item, where, field, names, options, templates_raw) -> Layer | None:
    if not isinstance(item, dict):
        c.error(where, field, f"expected a layer mapping such as {{conv: {{out: 64, kernel: 3}}}}, found {_kind(item)}")
        return None
    kinds = [k for k in item if k in LAYER_KINDS or k == "use"]
    extra = [k for k in item if k not in LAYER_KINDS and k not in ("tag", "when", "use")]
    for k in extra:
        c.error(item.pos(k), f"{field}.{k}",
                f"unknown layer kind or key{_suggest(k, LAYER_KINDS + ('tag', 'when', 'use'))}; "
                f"expected one of {', '.join(LAYER_KINDS + ('use',))}")
    if len(kinds) != 1:
        if not extra:
            c.error(where, field, f"expected exactly one layer kind ({', '.join(LAYER_KINDS + ('use',))}), "
                                  f"found {len(kinds)}")
        return None
    kind = kinds[0]
    raw = item[kind]
    if kind == "use" and isinstance(raw, str):
        raw = {"template": raw}
    if raw is None:
        raw = {}
    if not isinstance(raw, dict):
        if kind == "dropout" and isinstance(raw, (int, float)):
            raw = {"p": raw}
        else:
            c.error(item.pos(kind), f"{field}.{kind}", f"expected a mapping of arguments, found {_kind(raw)}")
            return None
    allowed = LAYER_ARGS[kind]
    args = {}
    for key, value in raw.items():
        afield = f"{field}.{kind}.{key}"
        if key not in allowed:
            c.error(raw.pos(key) if isinstance(raw, LDict) else where, afield,
                    f"unknown argument{_suggest(key, allowed)}; {kind} takes {', '.join(allowed) or 'no arguments'}")
            continue
        pos = raw.pos(key) if isinstance(raw, LDict) else where
        _check_value(c, allowed[key], value, pos, afield, names, options, templates_raw)
        if kind == "use" and key == "args" and isinstance(value, LDict):   # evaluated in the caller's scope
            for a, v in value.items():
                _check_arg(c, v, value.pos(a), f"{afield}.{a}", names)
        args[key] = value
    for key in REQUIRED_LAYER_ARGS.get(kind, ()):
        if key not in raw:
            c.error(item.pos(kind), f"{field}.{kind}.{key}", "missing required argument")
    tag = c.string(item, "tag", f"{field}.tag", required=False)
    # A layer may depend on its template's parameters as well as on options (`when: not pool_proj`).
    when = c.conditions(item, "when", f"{field}.when", names)
    return Layer(kind, args, tag, when, where[0], where[1])


def _check_value(c, vkind, value, where, field, names, options, templates_raw):
    """Check one layer argument: a literal of the right kind, or a name of a parameter or option, or
    arithmetic over such names (for numeric arguments; a size or padding may be a list of them)."""
    if vkind == "name":
        if not isinstance(value, str) or value not in templates_raw:
            c.error(where, field, f"undefined template {_kind(value)}{_suggest(value, templates_raw or ())}")
        return
    if vkind not in ("act", "mapping"):
        items = value if isinstance(value, list) and vkind in ("size", "padding") else [value]
        arithmetic = vkind in WHOLE_KINDS + NUMBER_KINDS
        if any([_check_symbolic(c, v, where, field, names, arithmetic) for v in items]):
            return   # resolved by the builder, which checks the value like a literal
    problem = value_problem(vkind, value)
    if problem:
        c.error(where, field, problem)


def _check_symbolic(c, value, where, field, names, arithmetic: bool) -> bool:
    """A name or (where numbers are expected) arithmetic: report undefined names; True when symbolic."""
    if is_name(value):
        if value not in names:
            c.error(where, field, f"undefined reference {value!r}{_suggest(value, names)}; expected a number "
                                  f"or one of: {', '.join(sorted(names))}")
        return True
    if not (arithmetic and is_expression(value)):
        return False
    try:
        used = references(value)
    except ArithmeticError_ as exc:
        c.error(where, field, str(exc))
        return True
    for name in used:
        if name not in names:
            c.error(where, field, f"undefined name {name!r} in {value!r}{_suggest(name, names)}; expected numbers "
                                  f"or names of: {', '.join(sorted(names)) or 'none'}")
    return True


def value_problem(vkind: str, value) -> str | None:
    """Why `value` cannot be a layer argument of kind `vkind` (see LAYER_ARGS), or None when it can.

    Used on literals here and, by the builder, on the values references resolve to (an option, a
    template argument), so that no value reaches PyTorch unchecked.
    """
    if vkind in ("channels", "count"):
        lo = 1  # a branch is left out by its `when`, never by zero channels
        if not _is_int(value):
            return f"expected a whole number, found {_kind(value)}"
        if not lo <= value <= MAX_CHANNELS:
            return f"expected a whole number from {lo} to {MAX_CHANNELS:,} (archcheck's limit), found {_shown(value)}"
    elif vkind in ("size", "padding"):
        if vkind == "padding" and isinstance(value, str):
            return None if value in KEYWORDS["padding"] else \
                f"expected same, valid, a number or [h, w], found {_kind(value)}"
        lo = 1 if vkind == "size" else 0
        vals = value if isinstance(value, list) else [value]
        if len(vals) not in (1, 2) or not all(_is_int(v) for v in vals):
            return f"expected a whole number or [h, w], found {_kind(value)}"
        if not all(lo <= v <= MAX_KERNEL for v in vals):
            return f"expected whole numbers from {lo} to {MAX_KERNEL:,}, found {_shown(value)}"
    elif vkind in KEYWORDS:
        if not isinstance(value, str) or value not in KEYWORDS[vkind]:
            return f"expected {' or '.join(KEYWORDS[vkind])}, found {_kind(value)}"
    elif vkind == "bool":
        if not isinstance(value, bool):
            return f"expected true or false, found {_kind(value)}"
    elif vkind == "float":
        if not _is_number(value) or value < 0:
            return f"expected a non-negative number, found {_kind(value)}"
    elif vkind == "rate":
        if not _is_number(value) or not 0 <= value < 1:
            return f"expected a rate from 0 to below 1, found {_kind(value)}"
    elif vkind == "scale":
        if not _is_number(value) or not 0 < value <= 10:
            return f"expected a number in (0, 10], found {_kind(value)}"
    elif vkind == "mapping":
        if not isinstance(value, dict):
            return f"expected a mapping of template arguments, found {_kind(value)}"
    return None


def _layers(c, parent, key, field, names, options, templates_raw) -> tuple[Layer, ...]:
    seq = c.seq(parent, key, field)
    out = []
    for i, item in enumerate(seq or []):
        layer = _layer(c, item, seq.pos(i), f"{field}[{i}]", names, options, templates_raw)
        if layer:
            out.append(layer)
    return tuple(out)


def _template_params(c, t, field, options):
    raw = t.get("params", [])
    if isinstance(raw, list):
        params = {}
        for p in raw:
            if not isinstance(p, str):
                c.error(t.pos("params"), f"{field}.params", f"expected parameter names, found {_kind(p)}")
            else:
                params[p] = None
        return params
    if isinstance(raw, dict):
        # A default may be arithmetic over options, in_channels and the template's parameters (each
        # default is resolved after the arguments given and the defaults before it).
        names = set(raw) | set(options) | set(BUILTIN_NAMES)
        for k, v in raw.items():
            if v is not None:  # a default; none means the argument is required
                _check_arg(c, v, raw.pos(k), f"{field}.params.{k}", names)
        return {str(k): v for k, v in raw.items()}
    c.error(t.pos("params"), f"{field}.params", f"expected a list of names or a mapping name: default, found {_kind(raw)}")
    return {}


def _templates(c: _Checker, doc, options) -> dict:
    raw = c.mapping(doc, "templates", "templates", required=False) or {}
    out = {}
    for tname, t in raw.items():
        field = f"templates.{tname}"
        if not isinstance(t, dict):
            c.error(raw.pos(tname), field, f"expected a template mapping, found {_kind(t)}")
            continue
        c.keys(t, ("merge", "params", "branches", "layers", "order", "expansion", "scale", "activation",
                   "class_name", "figure"), field)
        merge = c.string(t, "merge", f"{field}.merge", default="concat")
        if merge not in MERGES:
            c.error(t.pos("merge"), f"{field}.merge", f"expected one of {', '.join(MERGES)}, found {merge!r}")
            continue
        params = _template_params(c, t, field, options)
        names = set(params) | set(options) | set(BUILTIN_NAMES)
        branches, layers, expansion = [], (), None
        if merge == "sequence":
            layers = _layers(c, t, "layers", f"{field}.layers", names, options, raw)
        else:
            for i, b in enumerate(c.seq(t, "branches", f"{field}.branches") or []):
                bfield = f"{field}.branches[{i}]"
                if not isinstance(b, dict):
                    c.error(t["branches"].pos(i), bfield, f"expected a branch mapping with name and layers, found {_kind(b)}")
                    continue
                c.keys(b, ("name", "layers", "when"), bfield)
                bname = c.string(b, "name", f"{bfield}.name", default=str(i))
                # Branch names become module names (branch_5x5): no dots, and each once per template
                # unless alternatives, each under its own `when` (the builder checks one is built).
                if not re.fullmatch(r"\w+", bname or ""):
                    c.error(b.pos("name"), f"{bfield}.name", f"expected letters, digits or _, found {_kind(bname)}")
                elif any(br.name == bname and not (br.when and "when" in b) for br in branches):
                    c.error(b.pos("name"), f"{bfield}.name", f"duplicate branch name {bname!r}; expected each "
                                                             "once, or alternatives each under its own when")
                blayers = _layers(c, b, "layers", f"{bfield}.layers", names, options, raw)
                branches.append(Branch(bname, blayers, c.conditions(b, "when", f"{bfield}.when", names), b.line,
                                       b.column))
            if merge == "residual":
                if "expansion" in t:
                    expansion = _layer(c, _as_conv(t["expansion"], t.pos("expansion")), t.pos("expansion"),
                                       f"{field}.expansion", names, options, raw)
                else:
                    c.error(t, f"{field}.expansion", "missing required field (the linear 1×1 filter-expansion conv)")
        for key in ("expansion", "scale", "activation"):   # what a sum (or residual) does after its branches
            if key in t and (merge in ("concat", "sequence") or (merge == "sum" and key != "activation")):
                c.error(t.pos(key), f"{field}.{key}",
                        f"only merge: residual has {key}" if key != "activation" else
                        "only merge: sum or residual has an activation after the sum")
        scale = t.get("scale", 1.0)
        if isinstance(scale, str):
            if scale not in names:
                c.error(t.pos("scale"), f"{field}.scale", f"undefined reference {scale!r}")
        elif value_problem("scale", scale):
            c.error(t.pos("scale"), f"{field}.scale", value_problem("scale", scale))
        activation = c.string(t, "activation", f"{field}.activation", required=False, default="relu")
        if activation not in ("relu", "none"):
            c.error(t.pos("activation"), f"{field}.activation", f"expected relu or none, found {activation!r}")
        order = c.string(t, "order", f"{field}.order", required=False)
        if order is not None and order not in names:
            c.error(t.pos("order"), f"{field}.order", f"undefined reference {order!r}; name an option or parameter")
        out[str(tname)] = Template(str(tname), merge, params, tuple(branches), layers, order, expansion, scale,
                                   activation, c.string(t, "class_name", f"{field}.class_name", required=False),
                                   c.string(t, "figure", f"{field}.figure", required=False, default=""), t.line,
                                   t.column)
    _check_template_cycles(c, raw, out)
    return out


def _as_conv(raw, where):
    """`expansion: {out: ..., kernel: 1}` is a conv's arguments: wrap them as the layer {conv: ...},
    keeping positions so that a problem in them still names its line. A full layer mapping
    (`{conv: {...}, tag: ...}`) is kept as it is."""
    if not isinstance(raw, dict) or "conv" in raw:
        return raw
    item = LDict(conv=raw)
    item.line, item.column = where
    item.positions["conv"] = where
    return item


def _uses(template: Template) -> list[str]:
    """The templates `template` uses, each once, in order."""
    layers = list(template.layers) + [l for b in template.branches for l in b.layers]
    return list(dict.fromkeys(l.args.get("template") for l in layers
                              if l.kind == "use" and isinstance(l.args.get("template"), str)))


def _check_template_cycles(c, raw, templates):
    """Refuse templates that use themselves and `use` chains deeper than MAX_USE_DEPTH, without
    recursion (a chain of thousands of templates must not overflow Python's stack)."""
    depth, heir, state, cycles = {}, {}, {}, []
    for root in templates:
        if root in state:
            continue
        state[root] = "active"
        stack = [(root, iter(_uses(templates[root])))]
        while stack:
            name, uses = stack[-1]
            used = next(uses, None)
            if used is None:          # every use visited: the chain below `name` is known
                stack.pop()
                state[name] = "done"
                below = [u for u in _uses(templates[name]) if u in depth]
                best = max(below, key=lambda u: depth[u], default=None)
                depth[name] = 1 + (depth[best] if best is not None else 0)
                heir[name] = best
                continue
            if used not in templates:   # undefined: reported where it is used
                continue
            if state.get(used) == "active":
                trail = [n for n, _ in stack]
                cycles.append((used, trail[trail.index(used):] + [used]))
            elif used not in state:
                state[used] = "active"
                stack.append((used, iter(_uses(templates[used]))))
    for name, cycle in cycles:
        c.error(raw.pos(name), f"templates.{name}",
                f"expected templates that do not use themselves, found the cycle {' -> '.join(cycle)}")
    deepest = max(depth, key=lambda n: depth[n], default=None)
    if deepest is not None and depth[deepest] > MAX_USE_DEPTH:
        chain = [deepest]
        while heir.get(chain[-1]) is not None:
            chain.append(heir[chain[-1]])
        shown = chain if len(chain) <= 10 else chain[:8] + ["...", chain[-1]]
        c.error(raw.pos(deepest), f"templates.{deepest}",
                f"expected `use` chains at most {MAX_USE_DEPTH} templates deep (archcheck's limit), found "
                f"{len(chain)}: {' -> '.join(shown)}")


def _rows(c: _Checker, doc, columns, templates, options) -> tuple[Row, ...]:
    seq = c.seq(doc, "rows", "rows")
    if seq is None:
        return ()
    if not seq:
        c.error(doc.pos("rows"), "rows", "expected at least one row")
    if len(seq) > MAX_ROWS:
        c.error(doc.pos("rows"), "rows", f"expected at most {MAX_ROWS:,} rows, found {len(seq):,}")
        return ()
    out, seen, printed = [], {}, set()
    row_scope = set(options) | set(BUILTIN_NAMES)   # what a row's arguments may name
    for i, r in enumerate(seq):
        field = f"rows[{i}]"
        if not isinstance(r, dict):
            c.error(seq.pos(i), field, f"expected a row mapping with a name, found {_kind(r)}")
            continue
        c.keys(r, ("name", "paper", "template", "args", "layers", "when", "aux", "virtual", "absent",
                   "paper_row", "transition", "source", "repeat", "applies_to"), field)
        name = c.string(r, "name", f"{field}.name", default=f"row{i}")
        field = f"rows[{i}] ({name})"
        if not re.fullmatch(r"[A-Za-z_][\w]*", name or ""):
            c.error(r.pos("name"), f"{field}.name",
                    f"expected an identifier (letters, digits, _: it names a module), found {_kind(name)}")
        when = c.conditions(r, "when", f"{field}.when", options)
        if name in seen and not (when and seen[name][1]):
            # Two rows may share a name only as alternatives, each under its own `when`.
            c.error(r.pos("name"), f"{field}.name", f"duplicate row name {name!r} (first at line {seen[name][0]})")
        seen.setdefault(name, (r.line, bool(when)))
        cells, cell_lines, cell_when = _cells(c, r, field, columns, options)
        if cells is not None:
            printed.add(name)
        template = c.string(r, "template", f"{field}.template", required=False)
        args = c.mapping(r, "args", f"{field}.args", required=False) or {}
        layers = None
        kinds = [k for k in ("template", "layers", "virtual", "absent") if k in r and r.get(k) is not False]
        if len(kinds) > 1:
            c.error(r, field, f"expected one of template, layers, virtual or absent, found {', '.join(kinds)}")
        if template is not None:
            if template not in templates:
                c.error(r.pos("template"), f"{field}.template",
                        f"undefined template {template!r}{_suggest(template, templates)}")
            else:
                t = templates[template]
                for a, v in args.items():
                    if a not in t.params:
                        c.error(args.pos(a), f"{field}.args.{a}",
                                f"template {template!r} has no parameter {a!r}{_suggest(a, t.params)}; "
                                f"its parameters: {', '.join(t.params) or 'none'}")
                    else:
                        _check_arg(c, v, args.pos(a), f"{field}.args.{a}", row_scope)
                for p, default in t.params.items():
                    if default is None and p not in args:
                        c.error(r.pos("template"), f"{field}.args.{p}", f"missing argument for template {template!r}")
        if "layers" in r:
            names = set(args) | set(options) | set(BUILTIN_NAMES)
            for a, v in args.items():
                _check_arg(c, v, args.pos(a), f"{field}.args.{a}", row_scope)
            layers = _layers(c, r, "layers", f"{field}.layers", names, options, templates)
        elif args and template is None:
            c.error(r.pos("args"), f"{field}.args", "args are given to a template or to the row's layers; this row has neither")
        paper_row = c.string(r, "paper_row", f"{field}.paper_row", required=False)
        if paper_row is not None and paper_row not in printed:
            c.error(r.pos("paper_row"), f"{field}.paper_row",
                    f"expected the name of an earlier row with printed cells, found {paper_row!r}"
                    f"{_suggest(paper_row, printed)}")
        if paper_row is not None and r.get("aux") is True:
            c.error(r.pos("paper_row"), f"{field}.paper_row",
                    "an auxiliary row branches off the network; expected no paper_row (it cannot be part of a printed row)")
        repeat = _repeat(c, r, field, options, template is not None or "layers" in r)
        absent = c.string(r, "absent", f"{field}.absent", required=False)
        if absent is not None and cells is None:
            c.error(r.pos("absent"), f"{field}.absent", "only a printed row (with paper cells) can be absent")
        out.append(Row(name=name, line=r.line, paper=cells, paper_lines=cell_lines, template=template,
                       args=dict(args), layers=layers, when=when, aux=c.boolean(r, "aux", f"{field}.aux"),
                       virtual=c.boolean(r, "virtual", f"{field}.virtual"), absent=absent, paper_row=paper_row,
                       transition=c.boolean(r, "transition", f"{field}.transition"), repeat=repeat,
                       applies_to=c.conditions(r, "applies_to", f"{field}.applies_to", options), cell_applies_to=cell_when,
                       source=c.string(r, "source", f"{field}.source", required=False, default=""),
                       column=r.column))
    return tuple(out)


def _repeat(c, r, field, options, builds: bool):
    """`repeat: N`: the row's template or layers built N times in sequence (a whole number, an option's
    name or arithmetic over options: the layer count is known before anything is built)."""
    if "repeat" not in r:
        return None
    value, where = r["repeat"], r.pos("repeat")
    if not builds:
        c.error(where, f"{field}.repeat", "expected a template or layers to repeat; this row has neither")
    elif isinstance(value, str):
        _check_symbolic(c, value, where, f"{field}.repeat", set(options), True)
    elif problem := repeat_problem(value):
        c.error(where, f"{field}.repeat", problem)
    return value


def repeat_problem(value) -> str | None:
    if not _is_int(value) or not 1 <= value <= MAX_LAYERS:
        return f"expected a repeat count from 1 to {MAX_LAYERS:,}, found {_kind(value)}"
    return None


def _check_arg(c, value, where, field, names):
    """A template or row argument: a number, true/false, a list, a name (of an option; any other
    text is kept as text, e.g. a pool type), or arithmetic over `names`."""
    if is_expression(value):
        _check_symbolic(c, value, where, field, names, True)
        return
    if isinstance(value, bool) or isinstance(value, str) or isinstance(value, list):
        return
    if isinstance(value, (int, float)):
        if not _is_number(value) or value < 0 or value > MAX_CHANNELS:
            c.error(where, field, f"expected a value from 0 to {MAX_CHANNELS:,} (archcheck's limit), found {_shown(value)}")
        return
    c.error(where, field, f"expected a number, a name or true/false, found {_kind(value)}")


def _cells(c, r, field, columns, options):
    """-> (cells as printed, their positions, per cell the conditions of a cell {printed, applies_to})."""
    if "paper" not in r:
        return None, (), ()
    cells = r["paper"]
    if not isinstance(cells, list):
        c.error(r.pos("paper"), f"{field}.paper", f"expected a list of printed cells, one per column, found {_kind(cells)}")
        return None, (), ()
    if len(cells) != len(columns):
        c.error(r.pos("paper"), f"{field}.paper",
                f"expected {len(columns)} cells (one per column: {', '.join(col.name for col in columns)}), found {len(cells)}")
        return None, (), ()
    out, conditions = [], []
    for j, (cell, col) in enumerate(zip(cells, columns)):
        cfield = f"{field}.paper[{col.name}]"
        when = ()
        if isinstance(cell, dict):   # {printed: "224 × 224 × 3", applies_to: {res: 224}}
            c.keys(cell, ("printed", "applies_to"), cfield)
            when = c.conditions(cell, "applies_to", f"{cfield}.applies_to", options)
            if "printed" not in cell:
                c.error(cells.pos(j), f"{cfield}.printed", "missing required field (the cell as printed)")
            cell = cell.get("printed")
        text = "" if cell is None else str(cell)
        if isinstance(cell, (list, dict)):
            c.error(cells.pos(j), cfield, f"expected the cell as printed (text), found {_kind(cell)}")
            text = ""
        if text.strip():
            try:
                parse_cell(col.kind, text, col.k)
            except CellError as exc:
                c.error(cells.pos(j), cfield, str(exc))
        out.append(text)
        conditions.append(when)
    return tuple(out), tuple(cells.positions), tuple(conditions)


def _claims(c: _Checker, doc, options) -> tuple[Claim, ...]:
    out = []
    ids = set()
    for i, item in enumerate(c.seq(doc, "claims", "claims", required=False) or []):
        field = f"claims[{i}]"
        if not isinstance(item, dict):
            c.error(doc["claims"].pos(i), field, f"expected a claim mapping, found {_kind(item)}")
            continue
        c.keys(item, ("id", "text", "where", "quantity", "value", "relation", "tolerance", "applies_to",
                      "count_depthwise"), field)
        cid = c.string(item, "id", f"{field}.id", default=f"claim{i}")
        if cid in ids:
            c.error(item.pos("id"), f"{field}.id", f"duplicate claim id {cid!r}")
        ids.add(cid)
        quantity = c.string(item, "quantity", f"{field}.quantity")
        if quantity is not None and quantity not in CLAIM_QUANTITIES:
            c.error(item.pos("quantity"), f"{field}.quantity",
                    f"expected one of {', '.join(CLAIM_QUANTITIES)}, found {quantity!r}{_suggest(quantity, CLAIM_QUANTITIES)}")
        value = c.string(item, "value", f"{field}.value")
        if value is not None:
            try:
                parse_count(value)
            except CellError as exc:
                c.error(item.pos("value"), f"{field}.value", str(exc))
        relation = c.string(item, "relation", f"{field}.relation", required=False, default="approx")
        depthwise = c.boolean(item, "count_depthwise", f"{field}.count_depthwise")
        if "count_depthwise" in item and quantity != "depth":
            c.error(item.pos("count_depthwise"), f"{field}.count_depthwise",
                    f"only a depth claim says whether depthwise convs count; this claim's quantity is {quantity!r}")
        if relation not in ("approx", "less_than", "greater_than"):
            c.error(item.pos("relation"), f"{field}.relation", f"expected approx, less_than or greater_than, found {relation!r}")
        out.append(Claim(cid, item.line, c.string(item, "text", f"{field}.text", default=""),
                         c.string(item, "where", f"{field}.where", required=False, default=""),
                         quantity or "params", value or "0", relation,
                         float(c.number(item, "tolerance", f"{field}.tolerance", 0.0, 0.0, 1.0)),
                         c.conditions(item, "applies_to", f"{field}.applies_to", options), depthwise))
    return tuple(out)


def _errata(c: _Checker, doc, rows, columns, claims, options) -> tuple[Erratum, ...]:
    out = []
    ids = set()
    row_names = {r.name for r in rows}
    col_names = [col.name for col in columns]
    claim_ids = {cl.id for cl in claims}
    for i, item in enumerate(c.seq(doc, "errata", "errata", required=False) or []):
        field = f"errata[{i}]"
        if not isinstance(item, dict):
            c.error(doc["errata"].pos(i), field, f"expected an erratum mapping, found {_kind(item)}")
            continue
        c.keys(item, ("id", "row", "field", "claim", "printed", "expected", "arithmetic", "applies_to",
                      "explanation", "source", "followed_by", "text", "where"), field)
        eid = c.string(item, "id", f"{field}.id", default=f"erratum{i}")
        if eid in ids:
            c.error(item.pos("id"), f"{field}.id", f"duplicate erratum id {eid!r}")
        ids.add(eid)
        row = c.string(item, "row", f"{field}.row", required=False)
        fname = c.string(item, "field", f"{field}.field", required=False)
        claim = c.string(item, "claim", f"{field}.claim", required=False)
        text = c.string(item, "text", f"{field}.text", required=False)
        if sum(v is not None for v in (row, claim, text)) != 1:
            c.error(item, field, "expected exactly one of row (with field), claim, or text (a sentence of the paper)")
        if text is not None and "printed" not in item:
            c.error(item, f"{field}.printed", "missing required field (what the sentence of the text says)")
        if row is not None:
            if row not in row_names:
                c.error(item.pos("row"), f"{field}.row", f"undefined row {row!r}{_suggest(row, row_names)}")
            if fname is None:
                c.error(item, f"{field}.field", "missing required field (the column name the erratum is about)")
            elif fname not in col_names and fname != "rows":
                c.error(item.pos("field"), f"{field}.field",
                        f"unknown column {fname!r}{_suggest(fname, col_names)}; expected one of {', '.join(col_names)}")
        if claim is not None and claim not in claim_ids:
            c.error(item.pos("claim"), f"{field}.claim", f"undefined claim {claim!r}{_suggest(claim, claim_ids)}")
        expected = item.get("expected")
        if expected is None or isinstance(expected, (bool, list, dict)):
            c.error(item.pos("expected") if "expected" in item else item, f"{field}.expected",
                    "expected the value the arithmetic gives (a number or a cell as it should read)")
        elif isinstance(expected, (int, float)) and not (_is_number(expected) and abs(expected) <= 1e30):
            c.error(item.pos("expected"), f"{field}.expected",
                    f"expected a finite number up to 10^30, found {_kind(expected)}")
            expected = None
        arithmetic = c.string(item, "arithmetic", f"{field}.arithmetic", default="")
        if arithmetic:
            try:
                check_arithmetic(arithmetic, expected if isinstance(expected, (int, float)) else None)
            except ArithmeticError_ as exc:
                c.error(item.pos("arithmetic"), f"{field}.arithmetic", str(exc))
        out.append(Erratum(eid, item.line, row, fname, claim, c.string(item, "printed", f"{field}.printed", required=False),
                           expected, arithmetic, c.conditions(item, "applies_to", f"{field}.applies_to", options),
                           c.string(item, "explanation", f"{field}.explanation", default=""),
                           c.string(item, "source", f"{field}.source", default=""),
                           c.string(item, "followed_by", f"{field}.followed_by", required=False, default=""),
                           text or "", c.string(item, "where", f"{field}.where", required=False, default="")))
    return tuple(out)


def _variants(c: _Checker, doc, options, rows, templates) -> dict:
    raw = c.mapping(doc, "variants", "variants", required=False) or {}
    out = {}
    for vname, v in raw.items():
        field = f"variants.{vname}"
        if not isinstance(v, dict):
            c.error(raw.pos(vname), field, f"expected a mapping with description and set, found {_kind(v)}")
            continue
        c.keys(v, ("description", "set"), field)
        sets = c.mapping(v, "set", f"{field}.set") or {}
        for key in sets:
            problem = (setting_problem(str(key), options, rows, templates)
                       or setting_value_problem(str(key), sets[key], options))
            if problem:
                c.error(sets.pos(key), f"{field}.set.{key}", problem)
        out[str(vname)] = Variant(str(vname), c.string(v, "description", f"{field}.description", required=False,
                                                       default=""), dict(sets), v.line)
    return out


def setting_problem(key: str, options, rows, templates) -> str | None:
    """Why `--set key=...` names nothing, or None when it names an option or a row's argument."""
    if "." not in key:
        if key in options:
            return None
        return f"unknown option {key!r}{_suggest(key, options)}; options: {', '.join(options) or 'none'}"
    row_name, arg = key.split(".", 1)
    matching = [r for r in rows if r.name == row_name]
    if not matching:
        return f"unknown row {row_name!r}{_suggest(row_name, [r.name for r in rows])}"
    params = set()
    for r in matching:
        params |= set(r.args)
        if r.template in templates:
            params |= set(templates[r.template].params)
    if arg not in params:
        return f"row {row_name!r} has no argument {arg!r}{_suggest(arg, params)}; its arguments: {', '.join(sorted(params)) or 'none'}"
    return None


def setting_value_problem(key: str, value, options) -> str | None:
    """Why `value` cannot be given to `key` by --set or a variant, or None: a value a spec could hold
    there (a scalar or a list of names, whole numbers within archcheck's limit) and, for an option,
    of its default's type (a boolean option takes true or false, a number option a number)."""
    if isinstance(value, dict) or (isinstance(value, list) and not all(
            isinstance(v, str) or _is_int(v) for v in value)):
        return f"expected a scalar value or a list of names, found {_kind(value)}"
    if _is_int(value) and not 0 <= value <= MAX_CHANNELS:
        return f"expected a value from 0 to {MAX_CHANNELS:,} (archcheck's limit), found {_shown(value)}"
    if "." in key or key not in options:
        return None
    default = options[key]
    if isinstance(default, bool) and not isinstance(value, bool):
        return f"expected true or false (a boolean option), found {_kind(value)}"
    if _is_number(default) and not _is_number(value):
        return f"expected a number (the option's default is {_shown(default)}), found {_kind(value)}"
    if isinstance(default, list) and not isinstance(value, list):
        return f"expected a list (the option's default is one), found {_kind(value)}"
    return None
