"""`archcheck summary SPEC`: Markdown model-summary tables of the network a spec describes."""
from __future__ import annotations

from ..output import emit

HELP = "print Markdown model-summary tables (torchsummary style, or the paper's columns beside measured ones)"


def register(sub, common) -> None:
    p = sub.add_parser("summary", help=HELP,
                       description="Build the network a spec describes, trace it once and print a Markdown "
                                   "model summary: one row per layer with output shape and parameters "
                                   "(--style torchsummary), or the paper's table beside the measurements "
                                   "(--style paper).")
    p.add_argument("spec", help="a bundled spec's name (inception_v2; see `archcheck list`) or a spec file")
    p.add_argument("--style", choices=("torchsummary", "paper"), default="torchsummary",
                   help="torchsummary (default): Layer (type) | Output Shape | Param # per layer, then totals; "
                        "paper: the paper's printed columns beside the measured ones")
    common(p)


def run(args) -> int:
    from ..output import refuse_overwriting_inputs
    from ..render.summary import render_paper_summary, render_torchsummary
    from ..spec import load_spec, locate
    from ..summary import summarize
    from ..pipeline import make_report, totals_of, trace_spec

    refuse_overwriting_inputs(args.output, {"the spec": locate(args.spec)})
    spec = load_spec(args.spec, args.variant, args.sets)
    _, trace, spans = trace_spec(spec)
    if args.style == "paper":
        text = render_paper_summary(make_report(spec, trace, spans))
    else:
        totals = totals_of(trace, spec, spans)
        text = render_torchsummary(summarize(spec, trace, totals.params_without_aux))
    emit(text, args.output)
    return 0
