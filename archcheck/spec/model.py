"""The Spec data model: what a validated spec file says, with source lines for every part (the rules a
spec file must follow are in language.py)."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Column:
    name: str
    kind: str
    tag: str | None = None        # filters / pool_proj: the template tag whose layer this column describes
    measure: str | None = None    # count: weights | params | macs
    k: int = 1000                 # count: what "K" means (1000 or 1024)
    tolerance: float = 0.0        # count: relative tolerance beyond rounding
    convention: str = ""
    applies_to: tuple = ()        # Conditions: the builds its cells describe (others are not judged)


@dataclass(frozen=True)
class Condition:
    """`when:`: option truthy (`lrn`), falsy (`not lrn`), or equal to one of some values."""

    option: str
    values: tuple | None = None   # None: truthiness
    negate: bool = False
    line: int | None = None

    def holds(self, env: dict) -> bool:
        value = env.get(self.option)
        result = bool(value) if self.values is None else value in self.values
        return result != self.negate

    def __str__(self) -> str:
        if self.values is None:
            return ("not " if self.negate else "") + self.option
        vals = "|".join(str(v) for v in self.values)
        return f"{self.option}{'!=' if self.negate else '='}{vals}"


@dataclass(frozen=True)
class Layer:
    kind: str
    args: dict                    # raw values: ints, strings naming params/options, lists
    tag: str | None = None
    when: tuple[Condition, ...] = ()
    line: int | None = None
    column: int | None = None


@dataclass(frozen=True)
class Branch:
    name: str
    layers: tuple[Layer, ...]
    when: tuple[Condition, ...] = ()
    line: int | None = None
    column: int | None = None


@dataclass(frozen=True)
class Template:
    name: str
    merge: str
    params: dict                  # name -> default (None = required)
    branches: tuple[Branch, ...] = ()
    layers: tuple[Layer, ...] = ()    # merge: sequence
    order: str | None = None      # option or param naming the branch order
    expansion: Layer | None = None    # residual: the linear 1×1 filter-expansion conv
    scale: Any = 1.0              # residual: scaling of the residual before the sum
    activation: str = "relu"      # residual: after the sum
    class_name: str | None = None
    figure: str = ""
    line: int | None = None
    column: int | None = None


@dataclass(frozen=True)
class Row:
    name: str
    line: int | None
    paper: tuple[str, ...] | None = None      # printed cells, in column order
    paper_lines: tuple = ()                   # (line, col) per printed cell
    template: str | None = None
    args: dict = field(default_factory=dict)
    layers: tuple[Layer, ...] | None = None
    when: tuple[Condition, ...] = ()
    aux: bool = False
    virtual: bool = False
    absent: str | None = None                 # a printed row the build deliberately lacks: why
    paper_row: str | None = None              # a built row that belongs to another printed row
    transition: bool = False                  # not counted in the printed row's repeat count
    repeat: Any = None                        # the template or layers built this many times (None: once)
    applies_to: tuple = ()                    # Conditions: the builds its printed cells describe
    cell_applies_to: tuple = ()               # per printed cell: its own Conditions (a cell {printed, applies_to})
    source: str = ""
    column: int | None = None


@dataclass(frozen=True)
class Erratum:
    id: str
    line: int | None
    row: str | None
    field: str | None
    claim: str | None
    printed: str | None
    expected: Any                  # the value the arithmetic gives (number, or a cell string)
    arithmetic: str
    applies_to: tuple[Condition, ...]
    explanation: str
    source: str
    followed_by: str = ""          # which implementations follow which resolution
    text: str = ""                 # an erratum about a sentence of the paper's text (no row, no claim)
    where: str = ""                # where that sentence is (Section 6, Figure 18 caption)

    @property
    def target(self) -> str:
        """What the erratum is about, for people: a row and field, a claim, or a place in the text."""
        if self.claim:
            return f"claim {self.claim}"
        if self.row:
            return f"{self.row}, {self.field}"
        return f"text ({self.where})" if self.where else "text"


@dataclass(frozen=True)
class Claim:
    id: str
    line: int | None
    text: str
    where: str
    quantity: str
    value: str
    relation: str = "approx"       # approx | less_than | greater_than
    tolerance: float = 0.0
    applies_to: tuple[Condition, ...] = ()
    count_depthwise: bool = False  # quantity depth: depthwise convs count as layers (MobileNet's "28 layers")


@dataclass(frozen=True)
class Variant:
    name: str
    description: str
    set: dict
    line: int | None = None


@dataclass
class Spec:
    path: str
    name: str
    paper: dict
    columns: tuple[Column, ...]
    input: tuple[int, ...]
    options: dict
    variants: dict
    templates: dict
    rows: tuple[Row, ...]
    claims: tuple[Claim, ...]
    errata: tuple[Erratum, ...]
    option_lines: dict = field(default_factory=dict)
    choices: dict = field(default_factory=dict)     # option -> the values it may take (spec key `choices`)
    input_raw: tuple = ()                          # `input` as written: numbers, option names, arithmetic
    input_line: tuple = (None, None)
    settings: list = field(default_factory=list)   # (key, value) overrides applied, in order
    variant: str | None = None
    sets: tuple = ()                               # the --set texts applied after the variant, as given
    declared: "Spec | None" = field(default=None, repr=False, compare=False)   # before variant and --set

    def row(self, name: str) -> Row | None:
        for r in self.rows:
            if r.name == name:
                return r
        return None

    def column(self, name: str) -> Column | None:
        for c in self.columns:
            if c.name == name:
                return c
        return None
