"""The structural rules of the spec language, declared once, as data.

Every mapping a spec holds is declared here: its keys (in the order messages list them), each key's
type, whether it is required (always, or when a sibling key has some value) and its default; and every
layer kind with its arguments. Two modules read these declarations and nothing else states the rules:
structure.py checks a loaded spec against them (unknown keys, wrong types, values outside a choice or a
bound, missing fields; `file:line:col: field: message`), and schema.py writes them as a JSON Schema for
editors (`archcheck schema`). What depends on more than one value stays code in validate.py and the
builder: references to options, parameters, templates, rows and columns; arithmetic; which keys make
sense together; printed cells; the shapes a network would have.

To add a key: add a Field to its Mapping below. To add a layer argument: add it to its kind in LAYERS.
Then read it where it is used, document it in specs/README.md and regenerate the schema
(`archcheck schema -o specs/archcheck.schema.json`; CI checks the copy is current).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from .limits import MAX_CHANNELS, MAX_KERNEL, MAX_LAYERS, MAX_ROWS


# -- the vocabulary ----------------------------------------------------------------------------------
# `refs` on a scalar type: "" only literals; "name" also the name of an option or template parameter;
# "arithmetic" also arithmetic over such names ("4 * k"). Which names are defined where is code.

class Type:
    """A kind of value a spec may hold somewhere."""


@dataclass(frozen=True)
class Anything(Type):
    """Any value (checked where it is used, if at all)."""


@dataclass(frozen=True)
class Null(Type):
    """`null` (or `~`, or nothing after the colon)."""


@dataclass(frozen=True)
class Text(Type):
    """Text. Unless `strict`, a number is read as its text (`arxiv: 1409.4842`, `value: 8`)."""

    strict: bool = False
    noun: str = "text"


@dataclass(frozen=True)
class Flag(Type):
    """true or false."""

    refs: str = ""


@dataclass(frozen=True)
class Choice(Type):
    """One of some literal values (compared with their type: 1024.0 is not 1024, true is not 1)."""

    values: tuple
    expected: str = ""            # how messages say what was expected (default: the values)
    refs: str = ""


@dataclass(frozen=True)
class Number(Type):
    """A finite number (a boolean is not one), optionally whole and within bounds; `expected` and
    `in_range` are the messages' "expected ..." for a wrong type and for a value out of bounds, with
    {lo} and {hi} for the bounds."""

    expected: str
    lo: float | None = None
    hi: float | None = None
    lo_open: bool = False
    hi_open: bool = False
    whole: bool = False
    pair: bool = False            # also [h, w]: a list of one or two such numbers
    words: tuple = ()             # keywords it may be instead (padding: same, valid)
    refs: str = ""
    in_range: str = ""            # default: `expected`


@dataclass(frozen=True)
class When:
    """A condition on a sibling key: it is given (values None), or its value (its default when it is
    not given) is one of `values`."""

    key: str
    values: tuple | None = None


@dataclass(frozen=True)
class Field:
    type: Type
    required: bool | When = False
    default: Any = None           # what the language takes when the key is not given (None: nothing)
    about: str = ""               # what it holds, said in "missing required field (...)" and the schema


@dataclass(frozen=True, eq=False)
class Mapping(Type):
    """A mapping of fixed keys."""

    noun: str
    fields: dict[str, Field]
    label: str = ""               # a key whose text names the mapping in messages: rows[1] (mixed_1)
    member: str = "field"         # "argument": a layer kind's arguments
    owner: str = ""               # the layer kind whose arguments these are
    shorthand: str = ""           # the argument a value that is not a mapping stands for (use: NAME)
    ref: str = ""                 # its name among the schema's definitions


@dataclass(frozen=True, eq=False)
class MapOf(Type):
    """A mapping of names chosen by the spec (options, templates) to values of one type."""

    values: Type
    noun: str = "a mapping"


@dataclass(frozen=True, eq=False)
class Seq(Type):
    items: Type
    noun: str = "a list"
    count: tuple = ("item", "items")   # how messages count its items (singular, plural)
    min_items: int = 0
    max_items: int | None = None
    names_from: str = ""          # item i is named by the `name` of item i of this top-level list


@dataclass(frozen=True, eq=False)
class Union(Type):
    """One of several types, told apart by the kind of YAML value (text, number, list, mapping, ...)."""

    alternatives: tuple
    noun: str
    ref: str = ""

    def __post_init__(self):   # nested unions are flattened: their alternatives are this one's
        flat = []
        for alt in self.alternatives:
            flat.extend(alt.alternatives if isinstance(alt, Union) else [alt])
        object.__setattr__(self, "alternatives", tuple(flat))


@dataclass(frozen=True, eq=False)
class Kinds(Type):
    """A mapping with exactly one key naming its kind (the kind's arguments as its value) beside the
    `common` keys: a layer, `{conv: {out: 64, kernel: 3}, tag: 3x3}`."""

    noun: str
    what: str                     # "layer kind"
    kinds: dict[str, Mapping]
    common: dict[str, Field]
    ref: str = ""


@dataclass(frozen=True, eq=False)
class OrArguments(Type):
    """A value of `kinds`, or, as a mapping without the key `kind`, that kind's arguments alone (a
    residual's expansion: `{out: in_channels, kernel: 1}`, or the layer `{conv: {...}, tag: linear}`)."""

    kinds: Kinds
    kind: str
    ref: str = ""


def _arguments(kind: str, shorthand: str = "", **arguments) -> Mapping:
    return Mapping("a mapping of arguments", {k: v if isinstance(v, Field) else Field(v) for k, v in arguments.items()},
                   member="argument", owner=kind, shorthand=shorthand, ref=f"{kind}_arguments")


def _required(t: Type, about: str = "") -> Field:
    return Field(t, required=True, about=about)


# -- values --------------------------------------------------------------------------------------------

PADDINGS = ("same", "valid")
POOL_TYPES = ("max", "avg")
ACTIVATIONS = ("relu", "none")
WORDS = PADDINGS + POOL_TYPES + ACTIVATIONS      # keywords: never names of options or parameters

COLUMN_KINDS = ("label", "patch", "output_size", "input_size", "depth", "filters", "pool_proj", "count", "layer",
                "block", "filter_shape", "type_stride")
COUNT_MEASURES = ("weights", "params", "macs")
CLAIM_QUANTITIES = ("params", "params_without_aux", "weights", "macs", "macs_with_aux", "depth")
RELATIONS = ("approx", "less_than", "greater_than")
MERGES = ("concat", "sum", "residual", "sequence")

# Layer arguments. A name or arithmetic is checked once it is resolved, against the same type.
WHOLE = Number("a whole number", 1, MAX_CHANNELS, whole=True, refs="arithmetic",
               in_range="a whole number from {lo} to {hi} (archcheck's limit)")
SIZE = Number("a whole number or [h, w]", 1, MAX_KERNEL, whole=True, pair=True, refs="arithmetic",
              in_range="whole numbers from {lo} to {hi}")
PADDING = Number("same, valid, a whole number or [h, w]", 0, MAX_KERNEL, whole=True, pair=True, words=PADDINGS,
                 refs="arithmetic", in_range="whole numbers from {lo} to {hi}")
NONNEGATIVE = Number("a non-negative number", 0, refs="arithmetic")
RATE = Number("a rate from {lo} to below {hi}", 0, 1, hi_open=True, refs="arithmetic")
SCALE = Number("a number in ({lo}, {hi}]", 0, 10, lo_open=True, refs="name")
POOL_TYPE = Choice(POOL_TYPES, refs="name")
ACTIVATION = Choice(ACTIVATIONS)
SWITCH = Flag(refs="name")
REPEAT = Number("a repeat count from {lo} to {hi}", 1, MAX_LAYERS, whole=True, refs="arithmetic")
FRACTION = Number("a number", 0.0, 1.0, in_range="a number from {lo} to {hi}")

# Options, --set and variant settings, template and row arguments.
SETTING_NUMBER = Number("a number", 0, MAX_CHANNELS, in_range="a value from {lo} to {hi} (archcheck's limit)")
NAMES = Seq(Union((Text(strict=True), Number("a whole number", whole=True)), noun="a name or a whole number"),
            noun="a list of names")
OPTION_VALUE = Union((Null(), Flag(), SETTING_NUMBER, Text(strict=True), NAMES), noun="a scalar or a list of names",
                     ref="option_value")
ARGUMENT = Union((Text(strict=True), Flag(), Seq(Anything()), SETTING_NUMBER), noun="a number, a name or true/false",
                 ref="argument")
PARAMS = Union((Seq(Text(strict=True, noun="a parameter name")),
                MapOf(Union((Null(), ARGUMENT), noun="a default (a number, a name or true/false) or null (none)"))),
               noun="a list of names or a mapping name: default", ref="params")
CONDITION = Union((Text(strict=True), MapOf(Anything())), noun="an option name or a mapping option: value")
CONDITIONS = Union((CONDITION, Seq(CONDITION)), noun="an option name or a mapping option: value", ref="conditions")

# -- layers --------------------------------------------------------------------------------------------

LAYERS = Kinds(
    "a layer mapping such as {conv: {out: 64, kernel: 3}}", "layer kind", ref="layer",
    kinds={
        "conv": _arguments("conv", out=_required(WHOLE), kernel=_required(SIZE), stride=SIZE, padding=PADDING,
                           groups=WHOLE, dilation=SIZE, bias=SWITCH, bn=SWITCH, act=ACTIVATION),
        "sepconv": _arguments("sepconv", out=_required(WHOLE), kernel=_required(SIZE), stride=SIZE, padding=PADDING,
                              multiplier=WHOLE, bn=SWITCH, act=ACTIVATION),
        "pool": _arguments("pool", type=_required(POOL_TYPE), kernel=_required(SIZE), stride=SIZE, padding=PADDING,
                           ceil_mode=SWITCH, count_include_pad=SWITCH),
        "global_pool": _arguments("global_pool", type=POOL_TYPE),
        "lrn": _arguments("lrn", size=WHOLE, alpha=NONNEGATIVE, beta=NONNEGATIVE, k=NONNEGATIVE),
        "bn": _arguments("bn", eps=NONNEGATIVE),
        "relu": _arguments("relu"),
        "dropout": _arguments("dropout", shorthand="p", p=RATE),
        "flatten": _arguments("flatten"),
        "linear": _arguments("linear", out=_required(WHOLE), bias=SWITCH, act=ACTIVATION, bn=SWITCH),
        "identity": _arguments("identity"),
        "use": _arguments("use", shorthand="template", template=_required(Text()),
                          args=MapOf(ARGUMENT, noun="a mapping of template arguments")),
    },
    common={"tag": Field(Text()), "when": Field(CONDITIONS)})
EXPANSION = OrArguments(LAYERS, "conv", ref="expansion")
LAYER_KINDS = tuple(LAYERS.kinds)


def argument_type(kind: str, name: str) -> Type | None:
    """The declared type of a layer kind's argument (None: the kind has no such argument)."""
    declared = LAYERS.kinds[kind].fields.get(name)
    return declared.type if declared else None


# -- the spec ------------------------------------------------------------------------------------------

CELL_TEXT = Union((Text(), Null(), Flag()), noun="the cell as printed (text)")
CELL = Union((CELL_TEXT, Mapping("a printed cell with the builds it describes", {
    "printed": _required(CELL_TEXT, about="the cell as printed"),
    "applies_to": Field(CONDITIONS),
})), noun="the cell as printed (text)", ref="cell")

COLUMN = Mapping("a mapping with name and kind", {
    "name": _required(Text()),
    "kind": _required(Choice(COLUMN_KINDS)),
    "tag": Field(Text(), required=When("kind", ("filters", "pool_proj"))),
    "measure": Field(Choice(COUNT_MEASURES), required=When("kind", ("count",))),
    "k": Field(Choice((1000, 1024), expected="1000 or 1024 (a whole number)"), default=1000),
    "tolerance": Field(FRACTION, default=0.0),
    "convention": Field(Text()),
    "applies_to": Field(CONDITIONS),
}, ref="column")

BRANCH = Mapping("a branch mapping with name and layers", {
    "name": Field(Text()),
    "layers": _required(Seq(LAYERS)),
    "when": Field(CONDITIONS),
}, ref="branch")

TEMPLATE = Mapping("a template mapping", {
    "merge": Field(Choice(MERGES), default="concat"),
    "params": Field(PARAMS),
    "branches": Field(Seq(BRANCH), required=When("merge", ("concat", "sum", "residual"))),
    "layers": Field(Seq(LAYERS), required=When("merge", ("sequence",))),
    "order": Field(Text()),
    "expansion": Field(EXPANSION, required=When("merge", ("residual",)), about="the linear 1×1 filter-expansion conv"),
    "scale": Field(SCALE, default=1.0),
    "activation": Field(ACTIVATION, default="relu"),
    "class_name": Field(Text()),
    "figure": Field(Text()),
}, ref="template")

ROW = Mapping("a row mapping with a name", {
    "name": _required(Text()),
    "paper": Field(Seq(CELL, noun="a list of printed cells, one per column", count=("cell", "cells"),
                       names_from="columns")),
    "template": Field(Text()),
    "args": Field(MapOf(ARGUMENT)),
    "layers": Field(Seq(LAYERS)),
    "when": Field(CONDITIONS),
    "aux": Field(Flag(), default=False),
    "virtual": Field(Flag(), default=False),
    "absent": Field(Text()),
    "paper_row": Field(Text()),
    "transition": Field(Flag(), default=False),
    "source": Field(Text()),
    "repeat": Field(REPEAT),
    "applies_to": Field(CONDITIONS),
}, label="name", ref="row")

CLAIM = Mapping("a claim mapping", {
    "id": _required(Text()),
    "text": _required(Text()),
    "where": Field(Text()),
    "quantity": _required(Choice(CLAIM_QUANTITIES)),
    "value": _required(Text()),
    "relation": Field(Choice(RELATIONS), default="approx"),
    "tolerance": Field(FRACTION, default=0.0),
    "applies_to": Field(CONDITIONS),
    "count_depthwise": Field(Flag(), default=False),
}, ref="claim")

ERRATUM = Mapping("an erratum mapping", {
    "id": _required(Text()),
    "row": Field(Text()),
    "field": Field(Text(), required=When("row"), about="the column name the erratum is about"),
    "claim": Field(Text()),
    "printed": Field(Text(), required=When("text"), about="what the sentence of the text says"),
    "expected": _required(Union((Text(strict=True), Number("a number from {lo} to {hi}", -10**30, 10**30)),
                                noun="the value the arithmetic gives (a number or a cell as it should read)"),
                          about="the value the arithmetic gives"),
    "arithmetic": _required(Text()),
    "applies_to": Field(CONDITIONS),
    "explanation": _required(Text()),
    "source": _required(Text()),
    "followed_by": Field(Text()),
    "text": Field(Text()),
    "where": Field(Text()),
}, ref="erratum")

VARIANT = Mapping("a mapping with description and set", {
    "description": Field(Text()),
    "set": _required(MapOf(OPTION_VALUE)),
}, ref="variant")

INPUT_SIZE = Number("a whole number", whole=True, refs="arithmetic")

SPEC = Mapping("a YAML mapping at the top of the spec", {
    "archcheck": Field(Choice((1,), expected="spec language version 1"), default=1),
    "name": _required(Text()),
    "paper": _required(MapOf(Text())),
    "columns": _required(Seq(COLUMN, count=("column", "columns"), min_items=1)),
    "input": Field(Seq(INPUT_SIZE, count=("entry", "entries (channels, height, width)"), min_items=3, max_items=3),
                   default=[3, 224, 224]),
    "options": Field(MapOf(OPTION_VALUE)),
    # the values an option that names a choice may take (first_conv: [standard, separable]); a --set or
    # variant value outside them is refused instead of building something else silently
    "choices": Field(MapOf(Seq(OPTION_VALUE, count=("value", "values"), min_items=2))),
    "variants": Field(MapOf(VARIANT)),
    "templates": Field(MapOf(TEMPLATE)),
    "rows": _required(Seq(ROW, count=("row", "rows"), min_items=1, max_items=MAX_ROWS)),
    "claims": Field(Seq(CLAIM)),
    "errata": Field(Seq(ERRATUM)),
})
