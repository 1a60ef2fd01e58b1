"""Turn a loaded YAML document into a Spec, reporting every problem found in one pass.

Each problem is `file:line:column: field: what was expected, what was found`; every problem is reported
in one run, in the order of the file: a user fixing a hand-written transcription wants the whole list.
The structural rules (which keys each mapping has, their types, choices and bounds, which are required)
are declared in language.py and checked by structure.py, which hands this module a spec whose values
all have their declared types. What is checked here depends on more than one value: names that must
refer to options, parameters, templates, rows, columns or claims; arithmetic; which keys go together;
printed cells; duplicate names; template cycles and `use` chains.
"""
from __future__ import annotations

import re

from ..errors import Problem, SpecError
from . import language as L
from . import structure
from .arith import ArithmeticError_, check_arithmetic
from .cells import CellError, parse_cell, parse_count
from .limits import MAX_CHANNELS, MAX_SPATIAL, MAX_USE_DEPTH
from .model import Branch, Claim, Column, Condition, Erratum, Layer, Row, Spec, Template, Variant
from .structure import INVALID, is_int, is_number, kind_of, literal_problem, shown_number, suggest
from .values import WORDS, ValueProblem, is_expression, is_name, references, resolve

BUILTIN_NAMES = ("in_channels",)
DEFAULT_INPUT = tuple(L.SPEC.fields["input"].default)


class _Checker:
    def __init__(self, path: str, problems: list[Problem]):
        self.path = path
        self.problems = problems

    def error(self, where, field: str, message: str) -> None:
        line, col = where if isinstance(where, tuple) else (where.line, where.column)
        self.problems.append(Problem(self.path, line, col, field, message))

    def at(self, node, key, message: str) -> None:
        """A problem with the value of `key` in the checked mapping `node`."""
        self.error(node.pos(key), node.sub(key), message)

    def conditions(self, node, key, names) -> tuple[Condition, ...]:
        """`when:` / `applies_to:`: an option name, `not NAME`, a mapping {option: value(s)}, or a list of them."""
        if key not in node:
            return ()
        value, where, field = node[key], node.pos(key), node.sub(key)
        out = []
        for item in value if isinstance(value, list) else [value]:
            if isinstance(item, str):
                m = re.fullmatch(r"(not\s+)?([A-Za-z_][\w.]*)", item.strip())
                if not m:
                    self.error(where, field, f"expected an option name or 'not NAME', found {item!r}")
                    continue
                name = m.group(2)
                if name not in names:
                    self.error(where, field, _undefined_name(name, names))
                out.append(Condition(name, None, bool(m.group(1)), where[0]))
            elif isinstance(item, dict):
                for name, val in item.items():
                    if name not in names:
                        self.error(item.pos(name), field, _undefined_name(name, names))
                    vals = tuple(val) if isinstance(val, list) else (val,)
                    out.append(Condition(str(name), vals, False, item.pos(name)[0]))
        return tuple(out)


def _given(node, key) -> bool:
    """`key` was written in `node`, with a valid value or not."""
    return key in node or key in node.invalid


def _undefined_name(name, names) -> str:
    return (f"unknown option {name!r}{suggest(name, names)}; expected one of: "
            f"{', '.join(sorted(str(n) for n in names)) or 'none declared'}")


def _position(problem: Problem) -> tuple:
    return (problem.line or 0, problem.column or 0)


def validate(doc, path: str) -> Spec:
    """Validate a loaded document; raise SpecError listing every problem, or return the Spec."""
    doc, problems = structure.check(doc, path)
    if doc is INVALID:
        raise SpecError(problems)
    c = _Checker(path, problems)
    options, option_lines = _options(c, doc)
    choices = _choices(c, doc, options)
    columns = _columns(c, doc, options)
    input_raw, input_value = _input(c, doc, options)
    templates = _templates(c, doc, options)
    rows = _rows(c, doc, columns, templates, options)
    claims = _claims(c, doc, options)
    errata = _errata(c, doc, rows, columns, claims, options)
    variants = _variants(c, doc, options, rows, templates, choices)
    if c.problems:
        raise SpecError(sorted(c.problems, key=_position))
    return Spec(path=path, name=doc.get("name", "spec"), paper=dict(doc.get("paper", {})), columns=columns,
                input=input_value, options=options, variants=variants, templates=templates, rows=rows,
                claims=claims, errata=errata, option_lines=option_lines, choices=choices, input_raw=input_raw,
                input_line=doc.pos("input") if "input" in doc else (None, None))


def _options(c: _Checker, doc):
    opts = doc.get("options") or {}
    out, lines = {}, {}
    for key, value in opts.items():
        if not re.fullmatch(r"[A-Za-z_]\w*", str(key)):
            c.at(opts, key, "option names are identifiers (letters, digits, _)")
        out[str(key)] = [v for v in value if v is not INVALID] if isinstance(value, list) else value
        lines[str(key)] = opts.pos(key)[0]
    return out, lines


def _columns(c: _Checker, doc, options) -> tuple[Column, ...]:
    out = []
    names = set()
    for i, item in enumerate(doc.get("columns") or []):
        if item is INVALID:
            out.append(Column(f"column {i + 1}", "label"))  # a stand-in: rows are not blamed for its absence
            continue
        name, kind = item.get("name"), item.get("kind")
        if name is not None and name in names:
            c.at(item, "name", f"duplicate column name {name!r}")
        names.add(name)
        applies = c.conditions(item, "applies_to", options)
        if name is not None and kind is not None:
            out.append(Column(name, kind, item.get("tag"), item.get("measure"), item.value("k"),
                              float(item.value("tolerance")), item.get("convention", ""), applies))
        else:  # already reported; a stand-in keeps the rows' cell counts right
            out.append(Column(name if name is not None else f"column {i + 1}", "label"))
    return tuple(out)


def _input(c: _Checker, doc, options) -> tuple[tuple, tuple]:
    """(the raw [C, H, W], its value with the default options). An entry may name an option or be
    arithmetic over options (`input: [3, res, res]`, set with `--set res=192`)."""
    raw = tuple(doc.value("input"))
    if any(v is INVALID for v in raw):
        return DEFAULT_INPUT, DEFAULT_INPUT
    before = len(c.problems)
    for v in dict.fromkeys(v for v in raw if isinstance(v, str)):   # each distinct entry once
        _check_symbolic(c, v, doc.pos("input"), "input", set(options), True)
    if len(c.problems) > before:
        return DEFAULT_INPUT, DEFAULT_INPUT
    shape, problem = input_shape(raw, options)
    if problem:
        c.error(doc.pos("input"), "input", problem)
        return raw, DEFAULT_INPUT
    return raw, shape


def input_shape(raw: tuple, options: dict) -> tuple[tuple[int, ...], str | None]:
    """The input [C, H, W] for these options, or a stand-in and why it cannot be built."""
    try:
        shape = tuple(resolve(v, options, "whole") for v in raw)
    except ValueProblem as exc:
        return DEFAULT_INPUT, str(exc)
    if not all(is_int(v) for v in shape):
        return DEFAULT_INPUT, f"expected [channels, height, width] as whole numbers, found {shown_number(list(shape))}"
    if shape[0] <= 0 or shape[0] > MAX_CHANNELS or not all(0 < v <= MAX_SPATIAL for v in shape[1:]):
        return DEFAULT_INPUT, (f"expected channels 1..{MAX_CHANNELS:,} and sizes 1..{MAX_SPATIAL:,}, found "
                               f"{shown_number(list(shape))}")
    return shape, None


def _layer(c: _Checker, item, names, templates_raw) -> Layer:
    """A checked layer: its names and arithmetic are checked in the scope `names`."""
    kind = next(k for k in item if k in L.LAYERS.kinds)
    args = item[kind]
    for key, value in args.items():
        if kind == "use" and key == "template":
            if value not in templates_raw:
                c.at(args, key, f"undefined template {value!r}{suggest(value, templates_raw or ())}")
            continue
        if kind == "use" and key == "args":   # evaluated in the caller's scope
            for a, v in value.items():
                _check_arg(c, v, value.pos(a), value.sub(a), names)
            continue
        declared = L.argument_type(kind, key)
        for v in value if isinstance(value, list) else [value]:   # a size [h, w] may hold names
            if isinstance(v, str) and v not in WORDS:
                if is_name(v) or declared.refs == "arithmetic":
                    _check_symbolic(c, v, args.pos(key), args.sub(key), names, declared.refs == "arithmetic")
                else:   # text that is no name where only a name may stand
                    c.at(args, key, literal_problem(declared, v))
    # A layer may depend on its template's parameters as well as on options (`when: not pool_proj`).
    when = c.conditions(item, "when", names)
    return Layer(kind, dict(args), item.get("tag"), when, item.line, item.column)


def _check_symbolic(c, value, where, field, names, arithmetic: bool) -> bool:
    """A name or (where numbers are expected) arithmetic: report undefined names; True when symbolic."""
    if is_name(value):
        if value not in names:
            c.error(where, field, f"undefined reference {value!r}{suggest(value, names)}; expected a number "
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
            c.error(where, field, f"undefined name {name!r} in {value!r}{suggest(name, names)}; expected numbers "
                                  f"or names of: {', '.join(sorted(names)) or 'none'}")
    return True


def _check_arg(c, value, where, field, names):
    """A template or row argument (or a parameter's default): arithmetic is checked over `names`; a
    plain name is kept as text (a pool type, an option's value) unless the template uses it."""
    if is_expression(value):
        _check_symbolic(c, value, where, field, names, True)


def _layers(c, seq, names, templates_raw) -> tuple[Layer, ...]:
    return tuple(_layer(c, item, names, templates_raw) for item in seq or () if item is not INVALID)


def _template_params(c, t, options) -> dict:
    raw = t.get("params")
    if raw is None:
        return {}
    if isinstance(raw, list):
        return {p: None for p in raw if p is not INVALID}
    # A default may be arithmetic over options, in_channels and the template's parameters (each default
    # is resolved after the arguments given and the defaults before it).
    names = set(raw) | set(raw.invalid) | set(options) | set(BUILTIN_NAMES)
    for k, v in raw.items():
        if v is not None:  # a default; none means the argument is required
            _check_arg(c, v, raw.pos(k), raw.sub(k), names)
    params = {str(k): v for k, v in raw.items()}
    params.update({str(k): INVALID for k in raw.invalid})   # reported: neither required nor a usable default
    return params


def _templates(c: _Checker, doc, options) -> dict:
    raw = doc.get("templates") or {}
    out = {}
    for tname, t in raw.items():
        if "merge" in t.invalid:
            continue
        merge = t.value("merge")
        params = _template_params(c, t, options)
        names = set(params) | set(options) | set(BUILTIN_NAMES)
        branches, layers, expansion = [], (), None
        if merge == "sequence":
            layers = _layers(c, t.get("layers"), names, raw)
        else:
            for i, b in enumerate(t.get("branches") or ()):
                if b is INVALID:
                    continue
                bname = b.get("name", str(i))
                # Branch names become module names (branch_5x5): no dots, and each once per template
                # unless alternatives, each under its own `when` (the builder checks one is built).
                if not re.fullmatch(r"\w+", bname):
                    c.at(b, "name", f"expected letters, digits or _, found {kind_of(bname)}")
                elif any(br.name == bname and not (br.when and _given(b, "when")) for br in branches):
                    c.at(b, "name", f"duplicate branch name {bname!r}; expected each once, or alternatives each "
                                    "under its own when")
                branches.append(Branch(bname, _layers(c, b.get("layers"), names, raw),
                                       c.conditions(b, "when", names), b.line, b.column))
            if merge == "residual" and "expansion" in t:
                expansion = _layer(c, t["expansion"], names, raw)
        for key in ("expansion", "scale", "activation"):   # what a sum (or residual) does after its branches
            if _given(t, key) and (merge in ("concat", "sequence") or (merge == "sum" and key != "activation")):
                c.at(t, key, f"only merge: residual has {key}" if key != "activation" else
                     "only merge: sum or residual has an activation after the sum")
        scale = t.value("scale")
        if isinstance(scale, str):
            if not is_name(scale):
                c.at(t, "scale", literal_problem(L.SCALE, scale))
            elif scale not in names:
                c.at(t, "scale", f"undefined reference {scale!r}")
        order = t.get("order")
        if order is not None and order not in names:
            c.at(t, "order", f"undefined reference {order!r}; name an option or parameter")
        out[str(tname)] = Template(str(tname), merge, params, tuple(branches), layers, order, expansion, scale,
                                   t.value("activation"), t.get("class_name"), t.get("figure", ""), t.line, t.column)
    _check_template_cycles(c, raw, out)
    return out


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
    out, seen, printed = [], {}, set()
    row_scope = set(options) | set(BUILTIN_NAMES)   # what a row's arguments may name
    for i, r in enumerate(doc.get("rows") or ()):
        if r is INVALID:
            continue
        name = r.get("name", f"row{i}")
        if not re.fullmatch(r"[A-Za-z_][\w]*", name):
            c.at(r, "name", f"expected an identifier (letters, digits, _: it names a module), found {kind_of(name)}")
        when = c.conditions(r, "when", options)
        if name in seen and not (when and seen[name][1]):
            # Two rows may share a name only as alternatives, each under its own `when`.
            c.at(r, "name", f"duplicate row name {name!r} (first at line {seen[name][0]})")
        seen.setdefault(name, (r.line, bool(when)))
        cells, cell_lines, cell_when = _cells(c, r, columns, options)
        if cells is not None:
            printed.add(name)
        template = r.get("template")
        args = r.get("args") or {}
        layers = None
        kinds = [k for k in ("template", "layers", "virtual", "absent") if k in r and r[k] is not False]
        if len(kinds) > 1:
            c.error(r, r.field, f"expected one of template, layers, virtual or absent, found {', '.join(kinds)}")
        if template is not None:
            if template not in templates:
                c.at(r, "template", f"undefined template {template!r}{suggest(template, templates)}")
            else:
                t = templates[template]
                for a, v in args.items():
                    if a not in t.params:
                        c.at(args, a, f"template {template!r} has no parameter {a!r}{suggest(a, t.params)}; "
                                      f"its parameters: {', '.join(t.params) or 'none'}")
                    else:
                        _check_arg(c, v, args.pos(a), args.sub(a), row_scope)
                for p, default in t.params.items():
                    if default is None and p not in args:
                        c.error(r.pos("template"), f"{r.sub('args')}.{p}", f"missing argument for template {template!r}")
        if _given(r, "layers"):
            names = set(args) | set(options) | set(BUILTIN_NAMES)
            for a, v in args.items():
                _check_arg(c, v, args.pos(a), args.sub(a), row_scope)
            layers = _layers(c, r.get("layers"), names, templates)
        elif args and template is None:
            c.at(r, "args", "args are given to a template or to the row's layers; this row has neither")
        paper_row = r.get("paper_row")
        if paper_row is not None and paper_row not in printed:
            c.at(r, "paper_row", f"expected the name of an earlier row with printed cells, found {paper_row!r}"
                                 f"{suggest(paper_row, printed)}")
        if paper_row is not None and r.get("aux") is True:
            c.at(r, "paper_row", "an auxiliary row branches off the network; expected no paper_row (it cannot "
                                 "be part of a printed row)")
        repeat = _repeat(c, r, options, template is not None or "layers" in r)
        absent = r.get("absent")
        if absent is not None and cells is None:
            c.at(r, "absent", "only a printed row (with paper cells) can be absent")
        out.append(Row(name=name, line=r.line, paper=cells, paper_lines=cell_lines, template=template,
                       args=dict(args), layers=layers, when=when, aux=r.value("aux"), virtual=r.value("virtual"),
                       absent=absent, paper_row=paper_row, transition=r.value("transition"), repeat=repeat,
                       applies_to=c.conditions(r, "applies_to", options), cell_applies_to=cell_when,
                       source=r.get("source", ""), column=r.column))
    return tuple(out)


def _repeat(c, r, options, builds: bool):
    """`repeat: N`: the row's template or layers built N times in sequence (a whole number, an option's
    name or arithmetic over options: the layer count is known before anything is built)."""
    if "repeat" not in r:
        return None
    value = r["repeat"]
    if not builds:
        c.at(r, "repeat", "expected a template or layers to repeat; this row has neither")
    elif isinstance(value, str):
        _check_symbolic(c, value, r.pos("repeat"), r.sub("repeat"), set(options), True)
    return value


def _cells(c, r, columns, options):
    """-> (cells as printed, their positions, per cell the conditions of a cell {printed, applies_to})."""
    cells = r.get("paper")
    if cells is None:
        return None, (), ()
    if len(cells) != len(columns):
        c.at(r, "paper", f"expected {len(columns)} cells (one per column: {', '.join(col.name for col in columns)}), "
                         f"found {len(cells)}")
        return None, (), ()
    out, conditions = [], []
    for j, (cell, col) in enumerate(zip(cells, columns)):
        when = ()
        if isinstance(cell, dict):   # {printed: "224 × 224 × 3", applies_to: {res: 224}}
            when = c.conditions(cell, "applies_to", options)
            cell = cell.get("printed")
        text = "" if cell is None or cell is INVALID else str(cell)
        if text.strip():
            try:
                parse_cell(col.kind, text, col.k)
            except CellError as exc:
                c.error(cells.pos(j), cells.fields[j], str(exc))
        out.append(text)
        conditions.append(when)
    return tuple(out), tuple(cells.positions), tuple(conditions)


def _claims(c: _Checker, doc, options) -> tuple[Claim, ...]:
    out = []
    ids = set()
    for i, item in enumerate(doc.get("claims") or ()):
        if item is INVALID:
            continue
        cid = item.get("id", f"claim{i}")
        if cid in ids:
            c.at(item, "id", f"duplicate claim id {cid!r}")
        ids.add(cid)
        quantity, value = item.get("quantity"), item.get("value")
        if value is not None:
            try:
                parse_count(value)
            except CellError as exc:
                c.at(item, "value", str(exc))
        if "count_depthwise" in item and quantity != "depth":
            c.at(item, "count_depthwise",
                 f"only a depth claim says whether depthwise convs count; this claim's quantity is {quantity!r}")
        out.append(Claim(cid, item.line, item.get("text", ""), item.get("where", ""), quantity or "params",
                         value or "0", item.value("relation"), float(item.value("tolerance")),
                         c.conditions(item, "applies_to", options), item.value("count_depthwise")))
    return tuple(out)


def _errata(c: _Checker, doc, rows, columns, claims, options) -> tuple[Erratum, ...]:
    out = []
    ids = set()
    row_names = {r.name for r in rows}
    col_names = [col.name for col in columns]
    claim_ids = {cl.id for cl in claims}
    for i, item in enumerate(doc.get("errata") or ()):
        if item is INVALID:
            continue
        eid = item.get("id", f"erratum{i}")
        if eid in ids:
            c.at(item, "id", f"duplicate erratum id {eid!r}")
        ids.add(eid)
        row, fname, claim, text = (item.get(k) for k in ("row", "field", "claim", "text"))
        if sum(v is not None for v in (row, claim, text)) != 1:
            c.error(item, item.field, "expected exactly one of row (with field), claim, or text (a sentence of the paper)")
        if row is not None:
            if row not in row_names:
                c.at(item, "row", f"undefined row {row!r}{suggest(row, row_names)}")
            if fname is not None and fname not in col_names and fname != "rows":
                c.at(item, "field", f"unknown column {fname!r}{suggest(fname, col_names)}; expected one of "
                                    f"{', '.join(col_names)}")
        if claim is not None and claim not in claim_ids:
            c.at(item, "claim", f"undefined claim {claim!r}{suggest(claim, claim_ids)}")
        expected = item.get("expected")
        arithmetic = item.get("arithmetic", "")
        if arithmetic:
            try:
                check_arithmetic(arithmetic, expected if is_number(expected) else None)
            except ArithmeticError_ as exc:
                c.at(item, "arithmetic", str(exc))
        out.append(Erratum(eid, item.line, row, fname, claim, item.get("printed"), expected, arithmetic,
                           c.conditions(item, "applies_to", options), item.get("explanation", ""),
                           item.get("source", ""), item.get("followed_by", ""), text or "", item.get("where", "")))
    return tuple(out)


def _choices(c: _Checker, doc, options) -> dict:
    node = doc.get("choices") or {}
    out = {}
    for key, values in node.items():
        key = str(key)
        if key not in options:
            c.at(node, key, f"unknown option {key!r}{suggest(key, options)}; options: {', '.join(options) or 'none'}")
            continue
        out[key] = tuple(v for v in values if v is not INVALID)
        if options[key] not in out[key]:
            c.at(node, key, f"the option's default {options[key]!r} is not one of its choices "
                            f"({', '.join(str(v) for v in out[key])})")
    return out


def _variants(c: _Checker, doc, options, rows, templates, choices) -> dict:
    out = {}
    for vname, v in (doc.get("variants") or {}).items():
        sets = v.get("set") or {}
        for key, value in sets.items():
            problem = (setting_problem(str(key), options, rows, templates)
                       or option_type_problem(str(key), value, options, choices))
            if problem:
                c.at(sets, key, problem)
        out[str(vname)] = Variant(str(vname), v.get("description", ""), dict(sets), v.line)
    return out


def setting_problem(key: str, options, rows, templates) -> str | None:
    """Why `--set key=...` names nothing, or None when it names an option or a row's argument."""
    if "." not in key:
        if key in options:
            return None
        return f"unknown option {key!r}{suggest(key, options)}; options: {', '.join(options) or 'none'}"
    row_name, arg = key.split(".", 1)
    matching = [r for r in rows if r.name == row_name]
    if not matching:
        return f"unknown row {row_name!r}{suggest(row_name, [r.name for r in rows])}"
    params = set()
    for r in matching:
        params |= set(r.args)
        if r.template in templates:
            params |= set(templates[r.template].params)
    if arg not in params:
        return f"row {row_name!r} has no argument {arg!r}{suggest(arg, params)}; its arguments: {', '.join(sorted(params)) or 'none'}"
    return None


def setting_value_problem(key: str, value, options, choices=None) -> str | None:
    """Why `value` cannot be given to `key` by --set or a variant, or None: a value a spec could hold
    as an option (language.OPTION_VALUE) and, for an option, of its default's type and among its
    declared choices."""
    return literal_problem(L.OPTION_VALUE, value) or option_type_problem(key, value, options, choices)


def option_type_problem(key: str, value, options, choices=None) -> str | None:
    """Why `value` does not fit the option `key` (a boolean option takes true or false, a number option
    a number, a list option a list), or None; a row's argument takes any value an option can hold."""
    if "." in key or key not in options:
        return None
    default = options[key]
    if isinstance(default, bool) and not isinstance(value, bool):
        return f"expected true or false (a boolean option), found {kind_of(value)}"
    if is_number(default) and not is_number(value):
        return f"expected a number (the option's default is {shown_number(default)}), found {kind_of(value)}"
    if isinstance(default, list) and not isinstance(value, list):
        return f"expected a list (the option's default is one), found {kind_of(value)}"
    allowed = (choices or {}).get(key)
    if allowed is not None and value not in allowed:
        return f"expected one of {', '.join(str(v) for v in allowed)} (the spec's choices), found {value!r}"
    return None
