"""The report for someone's own model (`verify SPEC --model REF`): alignment, differences, findings.

The subject's rows (align.py) are measured and compared with the printed cells exactly like a built
model's. Counts are judged in the paper's convention (conv/linear weights, multiply-adds); biases and
normalization parameters appear in `params (all)` and in a note, and are not judged. Then:

- every structural difference is a finding of its own, about one place ("inception_3a, 5x5 branch:
  convolution 3×3, paper 5×5 (16 → 32 channels)"); warnings too, one per place; the same difference
  at several places shares a `group` (groups.py), which text and Markdown show as one line;
- a run of repeated blocks with another count is one finding with `field: "repeats"`, decided by the
  printed count where the table prints one (a release with the paper's count is right, whatever the
  spec's build has);
- a printed cell that disagrees in a row that already has a structural finding is folded into that
  finding instead of failing on its own (a cell a declared erratum corrects is measured from the
  corrected value); so are the text's claims once any row's structure differs, since a whole-network
  number cannot be right when its parts are not;
- when the check fails, the declared build the model fits best is searched for (closest.py).
"""
from __future__ import annotations

from ..compare import compare_claims, compare_rows, unused_errata_findings
from ..measure import RowMeasure, measure_rows, value_shapes
from ..pipeline import network_totals, totals_of, trace_spec
from ..report import MISMATCH, Finding, Report, RowResult
from ..trace import Trace
from .align import Alignment, align
from .differences import Diff, printed_repeats, row_differences
from .groups import group_strings
from .load import as_input_size, as_subject, trace_subject


def verify_model(spec, model, model_args: dict | None = None, strict: bool = False, input_size=None) -> Report:
    """Verify someone's own model against the spec's build: `model` is a REF (path/to/file.py:Name or
    package.module:Name), an nn.Module class or factory (called with `model_args` on the meta device), or
    an nn.Module object (traced with meta copies of its tensors and left as it was).

    align.py finds the spec's rows in its dataflow. Raises ModelError (exit 2) when the model cannot be
    imported, constructed or run."""
    subject = as_subject(model, model_args)
    shape = as_input_size(input_size) if input_size is not None else tuple(spec.input)
    trace = trace_subject(subject.module, shape, subject.name,
                          "the spec's input" if shape == tuple(spec.input) else "the given input")
    report = subject_report(spec, trace, subject.name, subject.constructed, strict)
    if not report.ok:
        from .closest import closest_build
        report.closest_build = closest_build(spec, trace, report, subject.name, subject.constructed, strict)
    return report


def subject_report(spec, sub_trace: Trace, name: str, constructed: str, strict: bool = False) -> Report:
    """The Report of a traced subject against the spec's build. `name` is what the report calls the model
    (a REF, or "GoogLeNet object"), `constructed` how it came to be (see load.Subject)."""
    _, ref_trace, ref_spans = trace_spec(spec)
    same_grid = tuple(sub_trace.input_shape[1:]) == tuple(spec.input[1:])
    a = align(spec, ref_trace, ref_spans, sub_trace)
    diffs = row_differences(spec, a, value_shapes(ref_trace), value_shapes(sub_trace), ref_spans, same_grid)
    measures = measure_rows(spec, sub_trace, a.spans)
    previous = None
    for row in spec.rows:
        if row.virtual and previous is not None and previous not in a.spans:
            measures[row.name] = RowMeasure(row.name, False)   # after the model's end
        elif row.name in a.order:
            previous = row.name
    row_results, cells, comparer = compare_rows(spec, measures, foreign=True, other_grid=not same_grid)
    diffs, cells = _repeat_counts(spec, diffs, cells)
    totals = network_totals(sub_trace, [sub_trace.ops[i] for i in sorted(a.aux_ops)], a.main_out)
    judged = _judged(totals, sub_trace, totals_of(ref_trace, spec, ref_spans), ref_trace)
    claims, claim_findings = compare_claims(spec, judged, comparer)
    findings, covers = _findings(spec, diffs)
    notes = _notes(sub_trace, a, constructed)
    not_compared = "" if same_grid else (
        f"The model was traced on a {_chw(sub_trace.input_shape)} input, the spec's build on its own "
        f"{_chw(spec.input)}: what depends on resolution is not compared (output and grid sizes, ops and MACs "
        f"cells and claims, pool kernels that follow the grid); channels, kernels, strides, filter counts, "
        f"weights and parameters are.")
    if not_compared:
        notes.insert(1, not_compared)
    if any(f.status == MISMATCH for f in findings):
        folded = [c.id for c in claims if c.status == MISMATCH]
        for c in claims:
            if c.status == MISMATCH:
                c.message += " (follows from the structural mismatches)"
        claim_findings = [f for f in claim_findings if f.status != MISMATCH]
        if folded:
            notes.append(f"The claims {', '.join(folded)} disagree because the structure does (see Findings); "
                         f"they are not reported as findings of their own." if len(folded) > 1 else
                         f"The claim {folded[0]} disagrees because the structure does (see Findings); it is not "
                         f"reported as a finding of its own.")
    findings = _fold(findings, cells, covers, comparer, measures) + claim_findings + [
        f for f in unused_errata_findings(spec, comparer) if f.status != MISMATCH]
    rows = [RowResult(row.name, row.paper is not None, cells_, m, row.source, row.aux, row.line)
            for row, cells_, m in row_results]
    applied = [e.id for e in comparer.applicable]
    return Report(spec.path, spec.name, spec.paper, list(spec.columns), tuple(sub_trace.input_shape), list(spec.settings),
                  spec.variant, dict(spec.options), name, rows, findings, claims, totals, applied,
                  [e.id for e in spec.errata if e.id not in applied], strict, notes, not_compared=not_compared)


def _not_weights(trace: Trace, totals) -> tuple[int, int]:
    """Parameters that are not conv/linear weights (biases, normalization): (all, without the aux heads,
    as network_totals keeps the heads apart)."""
    return trace.total_params - sum(op.weights for op in trace.ops), totals.params_without_aux - totals.weights


def _judged(totals, sub_trace: Trace, ref_totals, ref_trace: Trace):
    """The subject's totals as its parameter claims are judged: in the paper's convention, its biases and
    normalization parameters (warnings, not mismatches) replaced by the spec's build's, so that "less than
    25M parameters" fails for a model whose weights differ, never for its biases alone."""
    from dataclasses import replace

    (sub_all, sub_main), (ref_all, ref_main) = _not_weights(sub_trace, totals), _not_weights(ref_trace, ref_totals)
    return replace(totals, params=totals.params - sub_all + ref_all,
                   params_without_aux=totals.params_without_aux - sub_main + ref_main)


def _repeat_counts(spec, diffs: list[Diff], cells: list[Finding]) -> tuple[list[Diff], list[Finding]]:
    """A run whose count differs from the build's is one finding (run_differences); it replaces the
    finding of the row's printed count cell ("5×Inception"), whatever that cell says."""
    label = next((c.name for c in spec.columns if c.kind == "label"), None)
    counted = {d.row for d in diffs if d.field == "repeats" and printed_repeats(spec, d.row) is not None}
    return diffs, [c for c in cells if not (c.row in counted and c.field == label)]


def _findings(spec, diffs: list[Diff]) -> tuple[list[Finding], dict]:
    """-> (structural findings, one per place, in spec order; row -> the finding its cells fold into)."""
    lines = {r.name: r.line for r in spec.rows}
    findings, covers = [], {}
    diffs = sorted(diffs, key=lambda d: d.status != MISMATCH)
    for d, group in zip(diffs, group_strings(diffs)):
        f = Finding(d.row, d.field, d.paper, d.measured, None, d.status, d.message(), None, lines.get(d.row),
                    group, d.where)
        findings.append(f)
        for row in (d.row, *d.covers):
            covers.setdefault(row, f)
    order = {r.name: i for i, r in enumerate(spec.rows)}
    findings.sort(key=lambda f: (order.get(f.row, len(order)), f.status != MISMATCH))
    return findings, covers


def _fold(findings: list[Finding], cells: list[Finding], covers: dict, comparer, measures: dict) -> list[Finding]:
    """Attach disagreeing printed cells to the structural finding of their row (or of a row they print)."""
    spec = comparer.spec
    parts = {}
    for r in spec.rows:
        if r.paper_row:
            parts.setdefault(r.paper_row, []).append(r.name)
    folded: dict[int, list] = {}
    kept = []
    for c in cells:
        host = covers.get(c.row) or next((covers[p] for p in parts.get(c.row, ()) if p in covers), None)
        if c.status == MISMATCH and host is not None:
            folded.setdefault(id(host), []).append(c)
        else:
            kept.append(c)
    for f in findings:
        measured = [c for c in folded.get(id(f), []) if c.measured not in ("not built", "—")]
        if measured:
            f.message += "; so the table's cells differ: " + ", ".join(_cell_change(c, comparer, measures)
                                                                       for c in measured)
    return findings + kept


def _cell_change(cell: Finding, comparer, measures: dict) -> str:
    """'params 159K → 151.50K (-4.7%)'. A printed value that a declared erratum of this build corrects is
    not what the model changed: the change is measured from the corrected value ('params 497.50K (463K
    as printed, corrected by erratum 4c-params) → 473.50K (-4.8%)')."""
    from ..compare import fmt_count

    erratum = comparer.erratum_for(cell.row, cell.field) if cell.erratum else None
    col = comparer.spec.column(cell.field)
    m = measures.get(cell.row)
    if (erratum is not None and col is not None and col.kind == "count" and m is not None and erratum.expected
            and isinstance(erratum.expected, (int, float)) and not isinstance(erratum.expected, bool)):
        rel = (getattr(m, col.measure) - erratum.expected) / erratum.expected
        start = f"{fmt_count(erratum.expected, col)} ({cell.paper} as printed, corrected by erratum {erratum.id})"
        return f"{cell.field} {start} → {cell.measured} ({rel:+.1%})"
    return f"{cell.field} {cell.paper} → {cell.measured}" + (
        f" ({cell.relative_difference:+.1%})" if cell.relative_difference is not None else "")


def _chw(shape) -> str:
    return "×".join(str(v) for v in shape)


def _notes(trace: Trace, a: Alignment, constructed: str) -> list[str]:
    biases = sum(op.param_numel - op.weights for op in trace.ops if op.kind in ("conv", "linear"))
    norms = sum(op.param_numel for op in trace.ops if op.kind in ("norm", "lrn"))
    notes = [f"The model was {constructed}.",
             "Rows were found in the model's dataflow by aligning its layers with the spec's build: names, module "
             "nesting and branch order do not matter."]
    outputs = list(dict.fromkeys(trace.outputs))
    if len(outputs) > 1 and a.main_out in outputs:
        shape = "×".join(str(v) for v in trace.output_shapes[trace.outputs.index(a.main_out)])
        notes.append(f"The model returns {len(outputs)} outputs; output {outputs.index(a.main_out) + 1} ({shape}) "
                     f"is the network's, the one that follows the spec's rows furthest; the others are auxiliary "
                     f"heads.")
    if a.paired_in_order:
        notes.append("Some long stretches of layers had no exact counterpart in the spec's build and were paired "
                     "in order without searching for the best alignment; findings there may be off by a layer.")
    notes.append(f"Counts are judged in the paper's convention (conv/linear weights, multiply-adds). The model's "
                 f"{biases:,} bias and {norms:,} normalization parameters are in 'params (all)' and not judged (parameter "
                 f"claims are judged with the spec's build's in their place).")
    return notes
