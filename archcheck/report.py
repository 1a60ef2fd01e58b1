"""The Report: plain data that every renderer (Markdown, JSON, text) turns into output."""
from __future__ import annotations

from dataclasses import dataclass, field

OK, KNOWN, MISMATCH, WARNING = "ok", "known", "mismatch", "warning"


@dataclass
class Finding:
    row: str
    field: str              # the paper's column name, or "claim"
    paper: str              # the printed value
    measured: str           # the measured value, formatted
    relative_difference: float | None
    status: str             # known | mismatch | warning
    message: str
    erratum: str | None = None
    line: int | None = None  # spec line of the printed cell (or claim)
    # Findings of one group (the same difference at several places) share `group`: what text and Markdown
    # write once after the list of their rows ("5x5 branch: convolution 3×3, paper 5×5"); `where` is the
    # branch the finding is about ("" for the row itself), which that line names before its colon.
    group: str = ""
    where: str = ""

    def as_json(self) -> dict:
        out = {"row": self.row, "field": self.field, "paper": self.paper, "measured": self.measured,
               "relative_difference": self.relative_difference, "status": self.status, "message": self.message}
        if self.erratum:
            out["erratum"] = self.erratum
        if self.line is not None:
            out["spec_line"] = self.line
        if self.group:
            out["group"] = self.group
        return out


@dataclass
class Cell:
    column: str
    printed: str
    measured: str
    status: str             # ok | known | mismatch | warning | "" (not compared)


@dataclass
class RowResult:
    name: str
    printed: bool           # a row of the paper's table
    cells: list[Cell]
    measure: object         # measure.RowMeasure or None (absent)
    source: str = ""
    aux: bool = False
    line: int | None = None
    part_of: str | None = None   # the printed row this built row belongs to (paper_row)


@dataclass
class ClaimResult:
    id: str
    text: str
    where: str
    quantity: str
    value: str
    measured: str
    status: str             # ok | known | mismatch | n/a
    message: str


@dataclass
class Totals:
    params: int
    params_without_aux: int
    weights: int
    macs: int
    macs_with_aux: int
    depth: int
    trainable_params: int
    depth_with_depthwise: int | None = None   # depthwise convs counted as layers (None: not measured)

    def as_json(self) -> dict:
        return {"params": self.params, "params_without_aux": self.params_without_aux, "weights": self.weights,
                "macs": self.macs, "macs_with_aux": self.macs_with_aux, "depth": self.depth}


@dataclass
class ClosestBuild:
    """The declared build that someone's model fits best (`verify --model` when the check fails): a variant
    (None: the spec's default build) and the --set values that make it, the user's own included."""

    variant: str | None
    sets: tuple[str, ...]
    mismatches: int         # findings that fail this build (warnings too under --strict)
    warnings: int
    asked: int              # the same counts for the build that was asked for
    asked_warnings: int
    compared: int           # declared builds compared, the asked one included
    is_asked: bool = False  # no other build fits better

    def as_json(self) -> dict | None:
        if self.is_asked:
            return None
        return {"variant": self.variant, "sets": list(self.sets), "mismatches": self.mismatches}


@dataclass
class Report:
    spec_path: str
    spec_name: str
    paper: dict
    columns: list             # spec Column objects
    input_shape: tuple
    settings: list            # (key, value) overrides applied, in order
    variant: str | None
    options: dict
    model: str | None         # --model reference, or None for the built spec
    rows: list[RowResult]
    findings: list[Finding]
    claims: list[ClaimResult]
    totals: Totals
    errata_applied: list = field(default_factory=list)   # ids of errata that apply to this build
    errata_ignored: list = field(default_factory=list)
    strict: bool = False
    notes: list = field(default_factory=list)
    not_compared: str = ""      # what this check leaves out and why (a model traced at another resolution)
    crosscheck: object = None   # crosscheck.CrossCheck when --crosscheck ran
    closest_build: ClosestBuild | None = None   # --model checks that fail: subject/closest.py

    @property
    def verdict(self) -> str:
        bad = (MISMATCH, WARNING) if self.strict else (MISMATCH,)
        failed = any(f.status in bad for f in self.findings) or any(c.status in bad for c in self.claims)
        return "fail" if failed else "pass"

    def count(self, status: str) -> int:
        return sum(1 for f in self.findings if f.status == status)

    @property
    def ok(self) -> bool:
        """True when `archcheck verify` would exit 0."""
        return self.verdict == "pass"

    # What `archcheck verify --format text|markdown|json` prints (on a UTF-8 terminal).
    def to_text(self) -> str:
        return self._rendered("text")

    def to_markdown(self) -> str:
        return self._rendered("markdown")

    def to_json(self) -> str:
        return self._rendered("json")

    def _rendered(self, fmt: str) -> str:
        from .output import printable
        from .render import render
        return printable(render(self, fmt))
