"""The one data flow: spec -> model -> trace -> measure -> compare -> Report."""
from __future__ import annotations

from .build import build_model
from .compare import compare_claims, compare_rows, unused_errata_findings
from .measure import RowMeasure, combine, measure_span, spans_from_built, value_shapes
from .report import Report, RowResult, Totals
from .spec import Spec
from .trace import Trace, trace_model


def trace_spec(spec: Spec):
    """Build the spec's network on the meta device (no weight memory) and trace it in training mode."""
    model = build_model(spec, device="meta")
    trace = trace_model(model, spec.input, train=True)
    spans = spans_from_built(trace, model.archcheck_rows, model.archcheck_tags)
    return model, trace, spans


def measure_rows(spec: Spec, trace: Trace, spans: dict) -> dict[str, RowMeasure]:
    """Row name -> measurement; printed rows absorb the built rows that name them in `paper_row`."""
    shapes = value_shapes(trace)
    own = {name: measure_span(name, span, trace, shapes) for name, span in spans.items()}
    active = [r for r in spec.rows if all(c.holds(spec.options) for c in r.when)]
    transitions = {r.name for r in active if r.transition}
    members: dict[str, list[RowMeasure]] = {}    # printed row -> built rows naming it in `paper_row`
    for r in active:
        if r.paper_row is not None and r.name in own:
            members.setdefault(r.paper_row, []).append(own[r.name])
    out = dict(own)
    previous_output = tuple(spec.input)
    for row in active:
        if row.virtual:
            out[row.name] = RowMeasure(row.name, True, input=previous_output, output=previous_output,
                                       contributors=(row.name,))
        elif row.absent is not None:
            out[row.name] = RowMeasure(row.name, False, contributors=())
        if row.paper is not None:
            parts = [out[row.name]] if row.name in own else []
            parts += members.get(row.name, [])
            if parts and not row.virtual:
                out[row.name] = combine(row.name, parts, transitions)
        m = out.get(row.name)
        if m is not None and m.output is not None and not row.aux:
            previous_output = m.output
    return out


def totals_of(trace: Trace, spec: Spec, measures: dict[str, RowMeasure], spans: dict) -> Totals:
    aux_names = {r.name for r in spec.rows if r.aux}
    aux_ops = [op for name, span in spans.items() if name in aux_names for op in span.ops]
    aux_params = sum(op.param_numel for op in aux_ops)
    main_out = trace.outputs[0] if trace.outputs else None
    return Totals(
        params=trace.total_params,
        params_without_aux=trace.total_params - aux_params,
        weights=sum(op.weights for op in trace.ops) - sum(op.weights for op in aux_ops),
        macs=sum(op.macs for op in trace.ops) - sum(op.macs for op in aux_ops),
        macs_with_aux=sum(op.macs for op in trace.ops),
        depth=trace.value_depth.get(main_out, 0) if main_out is not None else 0,
        trainable_params=trace.trainable_params,
    )


def make_report(spec: Spec, trace: Trace, spans: dict, model_ref: str | None = None, strict: bool = False,
                extra_findings=()) -> Report:
    measures = measure_rows(spec, trace, spans)
    row_results, findings, comparer = compare_rows(spec, measures)
    totals = totals_of(trace, spec, measures, spans)
    claims, claim_findings = compare_claims(spec, totals, comparer)
    findings = list(extra_findings) + findings + claim_findings + unused_errata_findings(spec, comparer)
    rows = [RowResult(row.name, row.paper is not None, cells, m, row.source, row.aux, row.line, row.paper_row)
            for row, cells, m in row_results]
    applied = [e.id for e in comparer.applicable]
    return Report(spec.path, spec.name, spec.paper, list(spec.columns), tuple(spec.input), list(spec.settings),
                  spec.variant, dict(spec.options), model_ref, rows, findings, claims, totals, applied,
                  [e.id for e in spec.errata if e.id not in applied], strict)


def verify(spec: Spec, strict: bool = False) -> Report:
    """Verify the network the spec describes against the paper's printed cells."""
    _, trace, spans = trace_spec(spec)
    return make_report(spec, trace, spans, strict=strict)
