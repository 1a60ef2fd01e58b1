"""`archcheck summary SPEC | --model REF --input C×H×W`: model-summary tables of a spec's build or of a model."""
from __future__ import annotations

import contextlib
import sys

from ..output import emit

HELP = "print model-summary tables (torchsummary style, or the paper's columns beside measured ones)"


def register(sub, common) -> None:
    from ..summarize import COLUMNS, DEFAULT_COLUMNS
    from .verify import INPUT_HELP

    p = sub.add_parser("summary", help=HELP,
                       description="Trace the network a spec describes, or your own model (--model, on the input "
                                   "--input gives), once and print a model summary: one row per layer with output "
                                   "shape and parameters, then totals (--style torchsummary), or the paper's table "
                                   "beside the measurements (--style paper, a spec only).")
    p.add_argument("spec", nargs="?", help="a bundled spec's name (inception_v2; see `archcheck list`) or a spec file; "
                                           "or none, with --model")
    p.add_argument("--model", metavar="REF", help="summarise your own model instead: path/to/file.py:Name or "
                                                  "package.module:Name (a class or a factory; needs --input)")
    p.add_argument("--model-arg", dest="model_args", action="append", default=[], metavar="KEY=VALUE",
                   help="a keyword argument for --model's Name (value read as a YAML scalar: a number, true/false or text); repeatable")
    p.add_argument("--input", metavar="C×H×W", help=INPUT_HELP + " (required with --model: a model has no input "
                                                                 "size of its own)")
    p.add_argument("--style", choices=("torchsummary", "paper"), default=None,
                   help="torchsummary (default): Layer (type) | Output Shape | Param # per layer, then totals; "
                        "paper (a spec only, Markdown): the paper's printed columns beside the measured ones")
    p.add_argument("--format", choices=("markdown", "text", "json"), default="markdown")
    p.add_argument("--columns", metavar="NAME,...", default=",".join(DEFAULT_COLUMNS),
                   help=f"the columns after Layer (type), named as torchinfo's col_names: {', '.join(COLUMNS)} "
                        f"(default: {','.join(DEFAULT_COLUMNS)})")
    p.add_argument("--max-depth", type=int, metavar="N",
                   help="list modules nested at most N deep (top-level children are 1), each holding what its "
                        "unlisted descendants hold (default: every layer)")
    common(p)


def _usage(flag: str, message: str):
    from ..errors import InputError, Problem
    return InputError([Problem(flag, None, None, "", message)])


def check_usage(args) -> None:
    """The combinations argparse cannot express, each refused with what to do instead."""
    from ..summarize import check_depth

    if args.model and args.spec:
        raise _usage("--model", f"give a spec or --model, not both (to check the model against the spec: "
                                f"archcheck verify {args.spec} --model {args.model})")
    if not args.model and not args.spec:
        raise _usage("summary", "expected a spec (archcheck summary googlenet) or --model REF --input C×H×W")
    if args.model:
        for flag, given in (("--style", args.style == "paper"), ("--variant", args.variant), ("--set", args.sets)):
            if given:
                raise _usage(flag, "applies to a spec's build, not to --model" if flag != "--style" else
                             "paper shows a spec's table beside its build; with --model there is no table")
        if not args.input:
            raise _usage("--input", "required with --model: a model has no input size of its own "
                                    "(3×224×224, 3x32x32 or 3,32,32)")
    else:
        if args.input:
            raise _usage("--input", "applies to --model: the spec's build has its own input (another resolution "
                                    "of the spec is a spec option, --set or --variant)")
        if args.model_args:
            raise _usage("--model-arg", "needs --model (the model the arguments are for)")
    if args.style == "paper" and (args.format != "markdown" or args.max_depth is not None
                                  or args.columns != _default_columns()):
        raise _usage("--style", "paper prints the paper's table in Markdown; --format, --columns and --max-depth "
                                "are for the torchsummary style")
    check_depth(args.max_depth)


def _default_columns() -> str:
    from ..summarize import DEFAULT_COLUMNS
    return ",".join(DEFAULT_COLUMNS)


def run(args) -> int:
    from ..output import refuse_overwriting_inputs
    from ..render.summary import render_paper_summary, render_summary
    from ..spec import locate
    from ..summarize import check_columns
    from .verify import model_source

    check_usage(args)
    columns = check_columns(c.strip() for c in args.columns.split(","))
    if args.model:
        from ..subject.load import parse_input_size
        from ..summarize import summary

        size = parse_input_size(args.input)
        refuse_overwriting_inputs(args.output, {"the --model file": model_source(args.model)})
        from ..subject import parse_model_args
        kwargs = parse_model_args(args.model_args)
        with contextlib.redirect_stdout(sys.stderr):   # what the model prints is not the summary
            text = render_summary(summary(args.model, size, kwargs, args.max_depth, columns), args.format)
    else:
        from ..pipeline import make_report, trace_spec
        from ..spec import load_spec
        from ..summarize import summarize_spec

        refuse_overwriting_inputs(args.output, {"the spec": locate(args.spec)})
        spec = load_spec(args.spec, args.variant, args.sets)
        _, trace, spans = trace_spec(spec)
        if args.style == "paper":
            text = render_paper_summary(make_report(spec, trace, spans))
        else:
            text = render_summary(summarize_spec(spec, trace, spans, args.max_depth, columns), args.format)
    emit(text, args.output, json=args.format == "json")
    return 0
