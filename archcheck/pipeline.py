"""The one data flow: spec -> model -> trace -> measure -> compare -> Report."""
from __future__ import annotations

from .build import build_model
from .compare import compare_claims, compare_rows, not_applicable_note, unused_errata_findings
from .measure import measure_rows, spans_from_built
from .report import Report, RowResult, Totals
from .spec import Spec
from .trace import Trace, trace_model


def trace_spec(spec: Spec):
    """Build the spec's network on the meta device (no weight memory) and trace it in training mode."""
    model = build_model(spec, device="meta")
    trace = trace_model(model, spec.input, train=True)
    spans = spans_from_built(trace, model.archcheck_rows, model.archcheck_tags)
    return model, trace, spans


def network_totals(trace: Trace, aux_ops, main_out: int | None) -> Totals:
    """Whole-network counts (Totals), the auxiliary heads' ops `aux_ops` kept apart; depth along the
    longest weight-layer path to the main output `main_out`. One definition for built and foreign models."""
    aux = list(aux_ops)
    # A parameter belongs to the auxiliary heads only when no op of the network's own path reads it: a
    # head shared by both paths (or a weight tied between them) is the network's, whichever ran first.
    in_aux = {op.index for op in aux}
    main_keys = {k for op in trace.ops if op.index not in in_aux for k in op.uses}
    aux_only = {k for op in aux for k in op.uses} - main_keys
    main_weights = {op.weight_key for op in trace.ops if op.index not in in_aux and op.weight_key is not None}
    return Totals(
        params=trace.total_params,
        params_without_aux=trace.total_params - sum(trace.param_sizes[k] for k in aux_only),
        weights=sum(trace.param_sizes[k] for k in main_weights),
        macs=sum(op.macs for op in trace.ops) - sum(op.macs for op in aux),
        macs_with_aux=sum(op.macs for op in trace.ops),
        depth=trace.value_depth.get(main_out, 0) if main_out is not None else 0,
        trainable_params=trace.trainable_params,
        depth_with_depthwise=trace.value_depth_dw.get(main_out, 0) if main_out is not None else 0,
    )


def totals_of(trace: Trace, spec: Spec, spans: dict) -> Totals:
    """The totals of the spec's build: its aux rows' spans are the auxiliary heads; outputs[0] the main output."""
    aux_names = {r.name for r in spec.rows if r.aux}
    aux_ops = [op for name, span in spans.items() if name in aux_names for op in span.ops]
    return network_totals(trace, aux_ops, trace.outputs[0] if trace.outputs else None)


def make_report(spec: Spec, trace: Trace, spans: dict, model_ref: str | None = None, strict: bool = False,
                extra_findings=()) -> Report:
    measures = measure_rows(spec, trace, spans)
    row_results, findings, comparer = compare_rows(spec, measures)
    totals = totals_of(trace, spec, spans)
    claims, claim_findings = compare_claims(spec, totals, comparer)
    findings = list(extra_findings) + findings + claim_findings + unused_errata_findings(spec, comparer)
    rows = [RowResult(row.name, row.paper is not None, cells, m, row.source, row.aux, row.line, row.paper_row)
            for row, cells, m in row_results]
    applied = [e.id for e in comparer.applicable]
    return Report(spec.path, spec.name, spec.paper, list(spec.columns), tuple(spec.input), list(spec.settings),
                  spec.variant, dict(spec.options), model_ref, rows, findings, claims, totals, applied,
                  [e.id for e in spec.errata if e.id not in applied], strict, not_applicable_note(comparer))


def verify(spec: Spec, strict: bool = False) -> Report:
    """Verify the network the spec describes against the paper's printed cells."""
    _, trace, spans = trace_spec(spec)
    return make_report(spec, trace, spans, strict=strict)
