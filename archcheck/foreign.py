"""The report for someone's own model (`verify SPEC --model REF`): alignment, differences, folded findings.

The subject's rows (from align.py) are measured and compared with the printed cells exactly like a
built model's. Counts are judged in the paper's convention (conv/linear weights, multiply-adds); biases
and normalization parameters appear in `params (all)` and in a note, and are not judged. Then:

- every structural mismatch is a finding of its own ("inception_3a, 5x5 branch: convolution kernel 3×3,
  paper 5×5 (16 → 32 channels)");
- warnings (normalization, activations, dropout, LRN, biases) are collected into one finding per kind;
- a printed cell that disagrees in a row that already has a structural finding is folded into that
  finding instead of failing on its own; so are the text's claims once any row's structure differs,
  since a whole-network number cannot be right when its parts are not.
"""
from __future__ import annotations

from .align import align
from .compare import compare_claims, compare_rows, unused_errata_findings
from .differences import Diff, places, row_differences, warning_text
from .measure import RowMeasure, value_shapes
from .report import MISMATCH, WARNING, Finding, Report, RowResult, Totals
from .trace import Trace


def foreign_totals(trace: Trace, aux_ops: set, main_out) -> Totals:
    aux = [trace.ops[i] for i in sorted(aux_ops)]
    return Totals(
        params=trace.total_params,
        params_without_aux=trace.total_params - sum(op.param_numel for op in aux),
        weights=sum(op.weights for op in trace.ops) - sum(op.weights for op in aux),
        macs=sum(op.macs for op in trace.ops) - sum(op.macs for op in aux),
        macs_with_aux=sum(op.macs for op in trace.ops),
        depth=trace.value_depth.get(main_out, 0) if main_out is not None else 0,
        depth_with_depthwise=trace.value_depth_dw.get(main_out, 0) if main_out is not None else 0,
        trainable_params=trace.trainable_params,
    )


def _findings(spec, diffs: list[Diff]) -> tuple[list[Finding], dict]:
    """-> (structural findings, row -> the finding its cells fold into)."""
    lines = {r.name: r.line for r in spec.rows}
    findings, covers = [], {}
    for d in diffs:
        if d.status == MISMATCH:
            f = Finding(d.row, "structure", d.paper, d.measured, None, MISMATCH, d.message(), None, lines.get(d.row))
            findings.append(f)
            covers.setdefault(d.row, f)
    groups: dict = {}
    for d in diffs:
        if d.status == WARNING:
            groups.setdefault(d.key, []).append(d)
    for key, group in groups.items():
        first = group[0]
        if len(group) == 1:
            where = f"{first.row}, {first.where}" if first.where else first.row
            layer = f" ({first.layer})" if key[1] in ("+", "-", "~") else ""
            message = f"{where}: {warning_text(key)}{layer}"
        else:
            message = f"{warning_text(key)} ({len(group)} places: {places(group)})"
        if key[1] in ("+", "-"):
            paper, measured = ("none", key[0]) if key[1] == "+" else (key[0], "none")
        else:
            paper, measured = (key[2], key[1]) if len(key) > 2 else ("", "")
        f = Finding(first.row, "structure", paper, measured, None, WARNING, message, None, lines.get(first.row))
        findings.append(f)
        for d in group:
            covers.setdefault(d.row, f)
    order = {r.name: i for i, r in enumerate(spec.rows)}
    findings.sort(key=lambda f: (order.get(f.row, len(order)), f.status != MISMATCH))
    return findings, covers


def _fold(findings: list[Finding], cells: list[Finding], covers: dict, spec) -> list[Finding]:
    """Attach disagreeing printed cells to the structural finding of their row (or of a row they print)."""
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
            shown = ", ".join(f"{c.field} {c.paper} → {c.measured}" + (f" ({c.relative_difference:+.1%})"
                              if c.relative_difference is not None else "") for c in measured)
            f.message += f"; so the table's cells differ: {shown}"
    return findings + kept


def _notes(trace: Trace, model_ref: str, model_args: dict) -> list[str]:
    biases = sum(op.param_numel - op.weights for op in trace.ops if op.kind in ("conv", "linear"))
    norms = sum(op.param_numel for op in trace.ops if op.kind in ("norm", "lrn"))
    args = ", ".join(f"{k}={v!r}" for k, v in model_args.items())
    return [f"The model was constructed as {model_ref.rpartition(':')[2]}({args}) on the meta device (no weight "
            f"memory).",
        "Rows were found in the model's dataflow by aligning its layers with the spec's build: names, module "
        "nesting and branch order do not matter.",
        f"Counts are judged in the paper's convention (conv/linear weights, multiply-adds). The model's "
        f"{biases:,} bias and {norms:,} normalization parameters are in 'params (all)' and not judged.",
    ]


def make_foreign_report(spec, ref_trace: Trace, ref_spans: dict, sub_trace: Trace, model_ref: str,
                        strict: bool = False, model_args: dict | None = None) -> Report:
    from .pipeline import measure_rows

    a = align(spec, ref_trace, ref_spans, sub_trace)
    diffs = row_differences(spec, a, value_shapes(ref_trace), value_shapes(sub_trace), ref_spans)
    measures = measure_rows(spec, sub_trace, a.spans)
    previous = None
    for row in spec.rows:
        if row.virtual and previous is not None and previous not in a.spans:
            measures[row.name] = RowMeasure(row.name, False)   # after the model's end
        elif row.name in a.order:
            previous = row.name
    row_results, cells, comparer = compare_rows(spec, measures, foreign=True)
    totals = foreign_totals(sub_trace, a.aux_ops, a.main_out)
    claims, claim_findings = compare_claims(spec, totals, comparer)
    findings, covers = _findings(spec, diffs)
    notes = _notes(sub_trace, model_ref, model_args or {})
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
    findings = _fold(findings, cells, covers, spec) + claim_findings + [
        f for f in unused_errata_findings(spec, comparer) if f.status != MISMATCH]
    rows = [RowResult(row.name, row.paper is not None, cells_, m, row.source, row.aux, row.line)
            for row, cells_, m in row_results]
    applied = [e.id for e in comparer.applicable]
    return Report(spec.path, spec.name, spec.paper, list(spec.columns), tuple(spec.input), list(spec.settings),
                  spec.variant, dict(spec.options), model_ref, rows, findings, claims, totals, applied,
                  [e.id for e in spec.errata if e.id not in applied], strict, notes)
