"""Printed cells against measurements, under each column's convention and rounding.

A cell agrees when the measurement is within half a unit of its last printed digit, or within the
column's declared tolerance. A disagreement is `known` when a declared erratum that applies to this
build predicts the measured value (the erratum's arithmetic is re-checked at load time and its
predicted value is compared here); otherwise it is a `mismatch`. An applicable erratum whose cell now
agrees, or whose prediction differs from the measurement, is itself a mismatch: it has gone stale.
For someone else's model (`foreign`), a cell or claim that agrees with the paper is simply right: the
erratum describes the spec's build, which that model need not follow.
"""
from __future__ import annotations

from .measure import RowMeasure
from .report import KNOWN, MISMATCH, OK, Cell, ClaimResult, Finding, Totals
from .spec.cells import Count, parse_cell, parse_count
from .spec.model import Column, Erratum, Spec


def fmt_int(n) -> str:
    return f"{int(n):,}"


def fmt_shape_hwc(shape) -> str:
    """[C, H, W] -> 'H×W×C' as papers print it; [F] -> '1×1×F'."""
    if shape is None:
        return "—"
    if len(shape) == 3:
        c, h, w = shape
        return f"{h}×{w}×{c}"
    if len(shape) == 1:
        return f"1×1×{shape[0]}"
    return "×".join(str(v) for v in shape)


def _hwc(shape):
    if shape is None:
        return None
    if len(shape) == 3:
        return shape[1], shape[2], shape[0]
    if len(shape) == 1:
        return 1, 1, shape[0]
    return None


def fmt_count(value: float, col: Column) -> str:
    """A measured count in the column's own unit, one decimal more than needed to see the gap."""
    if col.measure == "macs":
        return f"{value / 1e6:.2f}M"
    return f"{value / col.k:.2f}K"


class _Comparer:
    def __init__(self, spec: Spec, foreign: bool = False):
        self.spec = spec
        self.foreign = foreign
        # An erratum about a claim applies only where the claim does (a claim that is n/a explains nothing).
        claims = {c.id: c for c in spec.claims}
        self.applicable = [e for e in spec.errata if all(c.holds(spec.options) for c in e.applies_to)
                           and (e.claim not in claims or all(c.holds(spec.options) for c in claims[e.claim].applies_to))]
        self.used: set[str] = set()

    def erratum_for(self, row: str | None, field: str | None, claim: str | None = None) -> Erratum | None:
        for e in self.applicable:
            if (claim is not None and e.claim == claim) or (claim is None and e.row == row and e.field == field):
                return e
        return None

    # -- one cell ----------------------------------------------------------------------------------
    def cell(self, col: Column, text: str, m: RowMeasure | None):
        """-> (agrees: bool | None, measured text, measured number or None, relative difference, detail)."""
        parsed = parse_cell(col.kind, text, col.k)
        if m is None or not m.built:
            return False, "not built", None, None, "the build has no layer for this row"
        kind = col.kind
        if kind == "label":
            if parsed.repeat is not None:
                return (m.modules == parsed.repeat, f"{m.modules}×", m.modules,
                        _rel(m.modules, parsed.repeat), f"{m.modules} modules built, the paper prints {parsed.repeat}")
            if parsed.rate is not None:
                got = m.dropout
                shown = "no dropout" if got is None else f"{got:.0%}"
                return (got is not None and abs(got - parsed.rate) < 1e-9, shown, got, None,
                        f"dropout rate {shown}, the paper prints {parsed.rate:.0%}")
            return None, "", None, None, ""
        if kind in ("output_size", "input_size"):
            shape = m.output if kind == "output_size" else m.input
            hwc = _hwc(shape)
            want = (parsed.height, parsed.width, parsed.channels)
            agrees = hwc is not None and all(w is None or w == g for w, g in zip(want, hwc))
            rel = _rel(hwc[2], parsed.channels) if hwc and parsed.channels and hwc[2] != parsed.channels else None
            return agrees, fmt_shape_hwc(shape), None, rel, ""
        if kind == "patch":
            if parsed.remark:
                return None, "", None, None, ""
            if parsed.kernel is None:
                return m.stride == parsed.stride, f"stride {m.stride}", m.stride, None, ""
            if m.patch is None:
                return False, "no conv or pool", None, None, ""
            k, s = m.patch
            shown = f"{k[0]}×{k[1]}/{s[0]}" if s[0] == s[1] else f"{k[0]}×{k[1]}/{s[0]},{s[1]}"
            agrees = tuple(k) == parsed.kernel and (parsed.stride is None or s == (parsed.stride, parsed.stride))
            if parsed.stride is None:
                shown = f"{k[0]}×{k[1]}"
            return agrees, shown, None, None, ""
        if kind == "depth":
            return m.depth == parsed, str(m.depth), m.depth, _rel(m.depth, parsed), ""
        if kind == "filters":
            got = m.filters.get(col.tag, 0)
            return got == parsed, str(got), got, _rel(got, parsed), ""
        if kind == "pool_proj":
            got_pool = m.pools.get(col.tag)
            got_proj = m.filters.get(col.tag)   # the pool and its projection conv carry the same tag
            proj_text = "pass through" if not got_proj else str(got_proj)
            shown = f"{got_pool or '?'} + {proj_text}"
            agrees = (parsed.pool is None or parsed.pool == got_pool) and ((parsed.proj or 0) == (got_proj or 0))
            return agrees, shown, got_proj, _rel(got_proj or 0, parsed.proj) if parsed.proj else None, ""
        if kind == "count":
            value = getattr(m, col.measure)
            return (parsed.agrees(value, col.tolerance), fmt_count(value, col), value,
                    _rel(value, parsed.value), "")
        return None, "", None, None, ""

    def judge(self, row: str, field: str, printed: str, agrees: bool, measured_text: str, measured_value,
              rel, message: str, line) -> tuple[str, Finding | None]:
        erratum = self.erratum_for(row, field)
        if agrees:
            if erratum is None:
                return OK, None
            self.used.add(erratum.id)
            if self.foreign:
                return OK, None
            return MISMATCH, Finding(row, field, printed, measured_text, rel, MISMATCH,
                                     f"{row}, {field}: erratum {erratum.id} says the printed {printed} is wrong, "
                                     f"but the measurement ({measured_text}) agrees with it; the erratum is stale",
                                     erratum.id, line)
        if erratum is not None:
            self.used.add(erratum.id)
            if _predicts(erratum, measured_value, measured_text):
                return KNOWN, Finding(row, field, printed, measured_text, rel, KNOWN,
                                      f"{row}, {field}: printed {printed}, measured {measured_text}"
                                      f"{_pct(rel)}; known erratum {erratum.id}: {erratum.arithmetic}. "
                                      f"{_first_sentence(erratum.explanation)}", erratum.id, line)
            return MISMATCH, Finding(row, field, printed, measured_text, rel, MISMATCH,
                                     f"{row}, {field}: printed {printed}, measured {measured_text}; erratum "
                                     f"{erratum.id} predicts {_show(erratum.expected)}, so the build differs from "
                                     f"what the erratum explains", erratum.id, line)
        detail = f" ({message})" if message else ""
        return MISMATCH, Finding(row, field, printed, measured_text, rel, MISMATCH,
                                 f"{row}, {field}: printed {printed}, measured {measured_text}{_pct(rel)}{detail}",
                                 None, line)


def _predicts(e: Erratum, value, text: str) -> bool:
    if isinstance(e.expected, (int, float)) and not isinstance(e.expected, bool):
        return value is not None and abs(value - e.expected) <= 1e-9 * max(1.0, abs(e.expected))
    return str(e.expected).strip() == text.strip()


def _show(v) -> str:
    return fmt_int(v) if isinstance(v, int) else str(v)


def _rel(measured, printed) -> float | None:
    if measured is None or printed in (None, 0):
        return None
    return round((measured - printed) / printed, 4)


def _pct(rel) -> str:
    return "" if rel is None else f" ({rel:+.1%})"


def _first_sentence(text: str) -> str:
    text = " ".join(text.split())
    end = text.find(". ")
    return text if end < 0 else text[: end + 1]


def compare_rows(spec: Spec, measures: dict[str, RowMeasure], foreign: bool = False):
    """-> (list of (row, cells, measure), findings, comparer) for every active row, in spec order."""
    comparer = _Comparer(spec, foreign)
    results, findings = [], []
    for row in spec.rows:
        if not all(c.holds(spec.options) for c in row.when):
            continue
        m = measures.get(row.name)
        cells = []
        if row.absent is not None and row.paper is not None:
            cells, finding = _absent_row(comparer, spec, row)
            findings += [finding] if finding else []
        elif row.paper is not None:
            for j, (col, text) in enumerate(zip(spec.columns, row.paper)):
                line = row.paper_lines[j][0] if j < len(row.paper_lines) else row.line
                if not text.strip():
                    cells.append(Cell(col.name, "", "", ""))
                    continue
                agrees, shown, value, rel, message = comparer.cell(col, text, m)
                if agrees is None:
                    cells.append(Cell(col.name, text, shown, ""))
                    continue
                status, finding = comparer.judge(row.name, col.name, text, agrees, shown, value, rel, message, line)
                cells.append(Cell(col.name, text, shown, status))
                if finding:
                    findings.append(finding)
        results.append((row, cells, m))
    return results, findings, comparer


def _absent_row(comparer: _Comparer, spec: Spec, row):
    """A printed row the build deliberately lacks: one judgment for the whole row (erratum field `rows`)."""
    printed = " ".join(t.strip() for t in row.paper if t.strip()) or row.name
    status, finding = comparer.judge(row.name, "rows", printed, False, "not built", None, None,
                                     f"absent from this build: {row.absent}", row.line)
    cells = [Cell(col.name, t, "not built" if t.strip() else "", status if t.strip() else "")
             for col, t in zip(spec.columns, row.paper)]
    return cells, finding


def compare_claims(spec: Spec, totals: Totals, comparer: _Comparer):
    results, findings = [], []
    for claim in spec.claims:
        value = getattr(totals, claim.quantity)
        shown = fmt_int(value)
        if not all(c.holds(spec.options) for c in claim.applies_to):
            results.append(ClaimResult(claim.id, claim.text, claim.where, claim.quantity, claim.value, shown, "n/a",
                                       "does not apply to this build"))
            continue
        printed = parse_count(claim.value)
        if claim.relation == "less_than":
            agrees, rule = value < printed.value, f"< {claim.value}"
        elif claim.relation == "greater_than":
            agrees, rule = value > printed.value, f"> {claim.value}"
        else:
            agrees, rule = printed.agrees(value, claim.tolerance), f"≈ {claim.value}"
        rel = _rel(value, printed.value)
        erratum = comparer.erratum_for(None, None, claim.id)
        label = f"claim {claim.id} ({claim.quantity} {rule})"
        if agrees and (erratum is None or comparer.foreign):
            status, message = OK, f"{label}: measured {shown}"
            if erratum is not None:
                comparer.used.add(erratum.id)
        elif agrees:
            comparer.used.add(erratum.id)
            status = MISMATCH
            message = f"{label}: measured {shown} agrees, but erratum {erratum.id} says it should not; the erratum is stale"
        elif erratum is not None and _predicts(erratum, value, shown):
            comparer.used.add(erratum.id)
            status = KNOWN
            message = (f"{label}: measured {shown}{_pct(rel)}; known erratum {erratum.id}: {erratum.arithmetic}. "
                       f"{_first_sentence(erratum.explanation)}")
        else:
            status = MISMATCH
            message = f"{label}: measured {shown}{_pct(rel)}"
            if erratum is not None:
                comparer.used.add(erratum.id)
                message += f"; erratum {erratum.id} predicts {_show(erratum.expected)}"
        results.append(ClaimResult(claim.id, claim.text, claim.where, claim.quantity, claim.value, shown, status,
                                   message))
        if status != OK:
            findings.append(Finding(claim.id, "claim", claim.value, shown, rel, status, message,
                                    erratum.id if erratum else None, claim.line))
    return results, findings


def unused_errata_findings(spec: Spec, comparer: _Comparer) -> list[Finding]:
    """An applicable erratum that matched no cell names a row or field the build no longer has.

    An erratum about a sentence of the text (`text:`) has no cell to match: it is listed as known."""
    out = []
    for e in comparer.applicable:
        if e.id in comparer.used:
            continue
        if e.text:
            arithmetic = f": {e.arithmetic}" if e.arithmetic else ""
            out.append(Finding(e.where or "text", "text", e.printed or "", "—", None, KNOWN,
                               f"{e.target}: \"{' '.join(e.text.split())}\": printed {e.printed}; for this build it "
                               f"should read {_show(e.expected)}; known erratum {e.id}{arithmetic}. "
                               f"{_first_sentence(e.explanation)}", e.id, e.line))
            continue
        out.append(Finding(e.row or e.claim, e.field or "claim", e.printed or "", "—", None, MISMATCH,
                           f"erratum {e.id} applies to this build but matched nothing ({e.target} has no printed "
                           f"cell in this build); the erratum is stale", e.id, e.line))
    return out


__all__ = ["compare_rows", "compare_claims", "fmt_count", "fmt_int", "fmt_shape_hwc", "Count"]
