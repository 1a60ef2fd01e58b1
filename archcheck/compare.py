"""Printed cells and claims against measurements, under each column's convention and rounding.

A cell agrees when the measurement is within half a unit of its last printed digit, or within the
column's declared tolerance. A printed row that stands for several built units (repetitions, rows
naming it in `paper_row`) compares its input size with the first unit, its output size with the last,
its counts with their sum, and its filters and layer notations with every unit: the first unit that
differs is named. Cells of a column, row or cell limited to other builds (`applies_to`) are not judged.

One function, `_Comparer.decide`, judges cells and claims alike: `ok`; `known` when a declared erratum
that applies to this build predicts the measured value (its arithmetic is re-checked at load time);
otherwise `mismatch`. An applicable erratum whose cell now agrees, or whose prediction differs from
the measurement, is itself a mismatch: it has gone stale. For someone else's model (`foreign`), a
cell or claim that agrees with the paper is simply right: the erratum describes the spec's build,
which that model need not follow.
"""
from __future__ import annotations

from dataclasses import dataclass

from .measure import LayerInfo, RowMeasure
from .report import KNOWN, MISMATCH, OK, Cell, ClaimResult, Finding, Totals
from .spec.cells import Count, LayerSpec, Layers, parse_cell, parse_count
from .spec.model import Column, Erratum, Spec

NOT_APPLICABLE = "n/a"
GRID_QUANTITIES = ("macs", "macs_with_aux")   # totals that grow with the input's spatial size


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


@dataclass(frozen=True)
class Observed:
    """What a cell's or claim's measurement shows: `agrees` None means not compared."""

    agrees: bool | None
    measured: str = ""
    value: float | None = None       # the number an erratum's `expected` is compared with
    rel: float | None = None         # relative difference
    detail: str = ""                 # said after an unexplained mismatch


_NOT_COMPARED = Observed(None)


# -- per column kind ------------------------------------------------------------------------------------

def _units(m: RowMeasure) -> tuple[RowMeasure, ...]:
    """The units a printed repeat count counts (transitions left out, unless there is nothing else)."""
    units = m.members()
    return tuple(u for u in units if not u.transition) or units


def _which(unit: RowMeasure, units) -> str:
    return f"in {unit.name}, unit {units.index(unit) + 1} of {len(units)}" if len(units) > 1 else ""


def _label(col, parsed, m) -> Observed:
    if parsed.repeat is not None:
        return Observed(m.modules == parsed.repeat, f"{m.modules}×", m.modules, _rel(m.modules, parsed.repeat),
                        f"{m.modules} modules built, the paper prints {parsed.repeat}")
    if parsed.rate is not None:
        got = m.dropout
        shown = "no dropout" if got is None else f"{got:.0%}"
        return Observed(got is not None and abs(got - parsed.rate) < 1e-9, shown, got, None,
                        f"dropout rate {shown}, the paper prints {parsed.rate:.0%}")
    return _NOT_COMPARED


def _size(col, parsed, m) -> Observed:
    shape = m.output if col.kind == "output_size" else m.input
    hwc = _hwc(shape)
    want = (parsed.height, parsed.width, parsed.channels)
    agrees = hwc is not None and all(w is None or w == g for w, g in zip(want, hwc))
    rel = _rel(hwc[2], parsed.channels) if hwc and parsed.channels and hwc[2] != parsed.channels else None
    shown = fmt_shape_hwc(shape) if parsed.channels is not None or hwc is None else f"{hwc[0]}×{hwc[1]}"
    return Observed(agrees, shown, None, rel)


def _patch(col, parsed, m) -> Observed:
    if parsed.remark:
        return _NOT_COMPARED
    if parsed.kernel is None:
        return Observed(m.stride == parsed.stride, f"stride {m.stride}", m.stride)
    if m.patch is None:
        return Observed(False, "no conv or pool")
    k, s = m.patch
    shown = f"{_k(k)}/{_strides(s)}"
    agrees = tuple(k) == parsed.kernel and (parsed.stride is None or tuple(s) == (parsed.stride, parsed.stride))
    if parsed.stride is None:
        shown = _k(k)
    return Observed(agrees, shown)


def _depth(col, parsed, m) -> Observed:
    return Observed(m.depth == parsed, str(m.depth), m.depth, _rel(m.depth, parsed))


def _filters(col, parsed, m) -> Observed:
    """Every unit with a layer tagged `col.tag` must have the printed filters (0 when none has one)."""
    units = m.members()
    tagged = [u for u in units if col.tag in u.filters]
    for u in tagged:
        got = u.filters[col.tag]
        if got != parsed:
            return Observed(False, str(got), got, _rel(got, parsed), _which(u, tagged))
    got = parsed if tagged else 0
    return Observed(got == parsed, str(got), got, _rel(got, parsed))


def _pool_proj(col, parsed, m) -> Observed:
    """The pool tagged `col.tag` and the projection conv with the same tag, in every unit that has them."""
    units = m.members()
    tagged = [u for u in units if col.tag in u.pools or col.tag in u.filters] or [m]
    for u in tagged:
        got_pool, got_proj = u.pools.get(col.tag), u.filters.get(col.tag)
        proj_text = "pass through" if not got_proj else str(got_proj)
        shown = f"{got_pool or '?'} + {proj_text}"
        agrees = (parsed.pool is None or parsed.pool == got_pool) and ((parsed.proj or 0) == (got_proj or 0))
        if not agrees or u is tagged[-1]:
            return Observed(agrees, shown, got_proj, _rel(got_proj or 0, parsed.proj) if parsed.proj else None,
                            "" if agrees else _which(u, tagged))
    return _NOT_COMPARED


def _count(col, parsed, m) -> Observed:
    value = getattr(m, col.measure)
    return Observed(parsed.agrees(value, col.tolerance), fmt_count(value, col), value, _rel(value, parsed.value))


def _layers(col, parsed: Layers, m) -> Observed:
    """A layer notation: the repeat count against the units, and the printed layers against the main
    layers on each unit's longest path (a stride alone against each unit's largest stride)."""
    if parsed.remark or (parsed.layers == () and parsed.repeat is None):
        return _NOT_COMPARED
    units = _units(m)
    wanted = tuple(s for s in parsed.layers or ())
    for u in units if parsed.layers != () else ():   # "Softmax / s1" names no layer
        if parsed.stride is not None:
            ok = u.stride == parsed.stride
        else:
            ok = len(u.path) == len(wanted) and all(_layer_agrees(s, got) for s, got in zip(wanted, u.path))
        if not ok:
            return Observed(False, _shown_layers(col.kind, parsed, u, m), None, None, _which(u, units))
    shown = _shown_layers(col.kind, parsed, units[0], m) if units else ""
    if parsed.repeat is not None and m.modules != parsed.repeat:
        return Observed(False, shown, m.modules, _rel(m.modules, parsed.repeat),
                        f"{m.modules} units built, the paper prints {parsed.repeat}")
    return Observed(True, shown)


def _layer_agrees(spec: LayerSpec, got: LayerInfo) -> bool:
    if spec.kind != got.kind:
        return False
    if spec.kernel is not None and spec.kernel != got.kernel:
        return False
    if spec.stride is not None and got.stride != (spec.stride, spec.stride):
        return False
    if spec.in_channels is not None and spec.in_channels != got.in_channels:
        return False
    if spec.out_channels is not None and spec.out_channels != got.out_channels:
        return False
    if spec.depthwise is not None and spec.depthwise != got.depthwise:
        return False
    return spec.pool is None or spec.pool == got.pool


def _k(kernel, sep: str = "×") -> str:
    """(3, 3) -> "3×3"; a 1-D layer's (5,) -> "5" (a model may have one where the paper has none)."""
    return "?" if kernel is None else sep.join(str(v) for v in kernel)


def _strides(s) -> int | str:
    """(2, 2) -> 2; (1, 2) -> "1,2"; (2,) -> 2."""
    return s[0] if len(set(s)) == 1 else ",".join(str(v) for v in s)


def _stride(info: LayerInfo) -> int | str:
    return _strides(info.stride or (1, 1))


def _notation(kind: str, info: LayerInfo) -> str:
    """One measured layer written in a column's notation."""
    pool = {"max": "max", "avg": "average"}.get(info.pool, "")
    if kind == "layer":
        return {"conv": f"conv{info.kernel[0] if info.kernel else '?'}-{info.out_channels}",
                "linear": f"FC-{info.out_channels}", "pool": f"{info.pool or ''}pool", "lrn": "LRN"}[info.kind]
    if kind == "filter_shape":
        if info.kind == "conv":
            return (f"{_k(info.kernel, ' × ')} × {info.in_channels} dw" if info.depthwise else
                    f"{_k(info.kernel, ' × ')} × {info.in_channels} × {info.out_channels}")
        return {"linear": f"{info.in_channels} × {info.out_channels}", "pool": f"Pool {_k(info.kernel, ' × ')}",
                "lrn": "LRN"}[info.kind]
    if kind == "type_stride":
        what = {"conv": "Conv dw" if info.depthwise else "Conv", "linear": "FC", "lrn": "LRN",
                "pool": f"{'Max' if info.pool == 'max' else 'Avg'} Pool"}[info.kind]
        return f"{what} / s{_stride(info)}"
    stride = f", stride {_stride(info)}" if _stride(info) != 1 else ""
    if info.kind == "conv":
        return f"{_k(info.kernel)}{' dw' if info.depthwise else ''}, {info.out_channels}{stride}"
    if info.kind == "pool":
        return f"{_k(info.kernel) + ' ' if info.kernel else ''}{pool} pool{stride}"
    return {"linear": f"{info.out_channels}-d fc", "lrn": "LRN"}[info.kind]


def _shown_layers(kind: str, parsed: Layers, unit: RowMeasure, m: RowMeasure) -> str:
    if parsed.stride is not None:
        return f"s{unit.stride}"
    lines = [_notation(kind, info) for info in unit.path] or ["no layer"]
    if kind == "block" and parsed.bracket:
        text = "[" + "<br>".join(lines) + "]"
    else:
        text = ", ".join(lines) if kind == "block" else " + ".join(lines)
    if parsed.repeat is not None:
        text = f"{m.modules}× {text}" if kind == "type_stride" else f"{text} ×{m.modules}"
    return text


_KINDS = {"label": _label, "output_size": _size, "input_size": _size, "patch": _patch, "depth": _depth,
          "filters": _filters, "pool_proj": _pool_proj, "count": _count, "layer": _layers, "block": _layers,
          "filter_shape": _layers, "type_stride": _layers}


# -- the decision ---------------------------------------------------------------------------------------

class _Comparer:
    def __init__(self, spec: Spec, foreign: bool = False, other_grid: bool = False):
        self.spec = spec
        self.foreign = foreign
        self.other_grid = other_grid     # the subject was traced at another spatial size than the spec's input
        # An erratum about a claim applies only where the claim does (a claim that is n/a explains nothing).
        claims = {c.id: c for c in spec.claims}
        self.applicable = [e for e in spec.errata if all(c.holds(spec.options) for c in e.applies_to)
                           and (e.claim not in claims or all(c.holds(spec.options) for c in claims[e.claim].applies_to))]
        self.used: set[str] = set()
        self.not_applicable = 0          # printed cells limited to other builds

    def erratum_for(self, row: str | None, field: str | None, claim: str | None = None) -> Erratum | None:
        for e in self.applicable:
            if (claim is not None and e.claim == claim) or (claim is None and e.row == row and e.field == field):
                return e
        return None

    def cell(self, col: Column, text: str, m: RowMeasure | None) -> Observed:
        parsed = parse_cell(col.kind, text, col.k)
        if m is None or not m.built:
            return Observed(False, "not built", detail="the build has no layer for this row")
        return _KINDS[col.kind](col, parsed, m)

    def decide(self, erratum: Erratum | None, obs: Observed, label: str, observed: str, row: str, field: str,
               printed: str, line) -> tuple[str, Finding | None]:
        """The one judgment of a compared cell or claim. `label` names it ("inception_4c, params",
        "claim budget (macs ≈ 1.5G)"), `observed` says what was seen ("printed 463K, measured 509.44K")."""
        if erratum is not None:
            self.used.add(erratum.id)

        def finding(status, message):
            return status, Finding(row, field, printed, obs.measured, obs.rel, status, message,
                                   erratum.id if erratum else None, line)

        if obs.agrees:
            if erratum is None or self.foreign:
                return OK, None
            return finding(MISMATCH, f"{label}: erratum {erratum.id} says the printed {printed} is wrong, but the "
                                     f"measurement ({obs.measured}) agrees with it; the erratum is stale")
        if erratum is not None and _predicts(erratum, obs.value, obs.measured):
            return finding(KNOWN, f"{label}: {observed}{_pct(obs.rel)}; known erratum {erratum.id}: "
                                  f"{erratum.arithmetic}. {_first_sentence(erratum.explanation)}")
        if erratum is not None:
            return finding(MISMATCH, f"{label}: {observed}{_pct(obs.rel)}; erratum {erratum.id} predicts "
                                     f"{_show(erratum.expected)}, so the build differs from what the erratum explains")
        detail = f" ({obs.detail})" if obs.detail else ""
        return finding(MISMATCH, f"{label}: {observed}{_pct(obs.rel)}{detail}")

    def judge_cell(self, row: str, field: str, printed: str, obs: Observed, line) -> tuple[str, Finding | None]:
        return self.decide(self.erratum_for(row, field), obs, f"{row}, {field}",
                           f"printed {printed}, measured {obs.measured}", row, field, printed, line)


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


def _applies(conditions, options) -> bool:
    return all(c.holds(options) for c in conditions)


def follows_grid(col: Column, m: RowMeasure | None) -> bool:
    """Does the cell depend on the input's spatial size? Output and input sizes, multiply-adds, and the
    kernel of a pool over the whole grid (the 7×7 average pool at 224 is an 8×8 one at 256)."""
    if col.kind in ("output_size", "input_size") or (col.kind == "count" and col.measure == "macs"):
        return True
    if col.kind in ("patch", "layer", "block", "filter_shape", "type_stride") and m is not None and m.built:
        return any(u.path and u.path[-1].kind == "pool" and u.output and all(v == 1 for v in u.output[1:])
                   for u in m.members())
    return False


def compare_rows(spec: Spec, measures: dict[str, RowMeasure], foreign: bool = False, other_grid: bool = False):
    """-> (list of (row, cells, measure), findings, comparer) for every active row, in spec order. With
    `other_grid` (a subject traced at another spatial size), cells that follow the grid are shown, not judged."""
    comparer = _Comparer(spec, foreign, other_grid)
    results, findings = [], []
    for row in spec.rows:
        if not _applies(row.when, spec.options):
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
                own = row.cell_applies_to[j] if j < len(row.cell_applies_to) else ()
                if not _applies(col.applies_to + row.applies_to + own, spec.options):
                    comparer.not_applicable += 1
                    cells.append(Cell(col.name, text, "", NOT_APPLICABLE))
                    continue
                obs = comparer.cell(col, text, m)
                if obs.agrees is None or (other_grid and follows_grid(col, m)):
                    cells.append(Cell(col.name, text, obs.measured, ""))
                    continue
                status, finding = comparer.judge_cell(row.name, col.name, text, obs, line)
                cells.append(Cell(col.name, text, obs.measured, status))
                if finding:
                    findings.append(finding)
        results.append((row, cells, m))
    return results, findings, comparer


def _absent_row(comparer: _Comparer, spec: Spec, row):
    """A printed row the build deliberately lacks: one judgment for the whole row (erratum field `rows`)."""
    printed = " ".join(t.strip() for t in row.paper if t.strip()) or row.name
    status, finding = comparer.judge_cell(row.name, "rows", printed,
                                          Observed(False, "not built", detail=f"absent from this build: {row.absent}"),
                                          row.line)
    cells = [Cell(col.name, t, "not built" if t.strip() else "", status if t.strip() else "")
             for col, t in zip(spec.columns, row.paper)]
    return cells, finding


def claim_quantity(claim) -> str:
    """The measured total a claim states, as its convention is named."""
    return "depth (depthwise convs counted)" if claim.count_depthwise else claim.quantity


def compare_claims(spec: Spec, totals: Totals, comparer: _Comparer):
    results, findings = [], []
    for claim in spec.claims:
        value = totals.depth_with_depthwise if claim.count_depthwise else getattr(totals, claim.quantity)
        quantity = claim_quantity(claim)
        shown = "not measured" if value is None else fmt_int(value)
        if not _applies(claim.applies_to, spec.options):
            results.append(ClaimResult(claim.id, claim.text, claim.where, quantity, claim.value, shown, "n/a",
                                       "does not apply to this build"))
            continue
        if comparer.other_grid and claim.quantity in GRID_QUANTITIES:
            results.append(ClaimResult(claim.id, claim.text, claim.where, quantity, claim.value, shown, "n/a",
                                       "not compared: the model was traced at another input size"))
            continue
        printed = parse_count(claim.value)
        if value is None:
            agrees, rule = False, f"≈ {claim.value}"
        elif claim.relation == "less_than":
            agrees, rule = value < printed.value, f"< {claim.value}"
        elif claim.relation == "greater_than":
            agrees, rule = value > printed.value, f"> {claim.value}"
        else:
            agrees, rule = printed.agrees(value, claim.tolerance), f"≈ {claim.value}"
        obs = Observed(agrees, shown, value, _rel(value, printed.value))
        label = f"claim {claim.id} ({quantity} {rule})"
        status, finding = comparer.decide(comparer.erratum_for(None, None, claim.id), obs, label,
                                          f"measured {shown}", claim.id, "claim", claim.value, claim.line)
        results.append(ClaimResult(claim.id, claim.text, claim.where, quantity, claim.value, shown, status,
                                   finding.message if finding else f"{label}: measured {shown}"))
        if finding:
            findings.append(finding)
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


def not_applicable_note(comparer: _Comparer) -> list[str]:
    """A note for the report when printed cells were left unjudged because they describe other builds."""
    n = comparer.not_applicable
    if not n:
        return []
    return [f"{n} printed cell{'s' if n > 1 else ''} not compared: {'they describe' if n > 1 else 'it describes'} "
            "other builds (a column, row or cell with applies_to; in JSON, not_for_this_build)."]


__all__ = ["compare_rows", "compare_claims", "fmt_count", "fmt_int", "fmt_shape_hwc", "Count"]
