"""`archcheck verify SPEC`: the paper's printed table against the measured network."""
from __future__ import annotations

import contextlib
import sys

from ..output import emit

HELP = "compare the paper's printed table with the measured network"


def register(sub, common) -> None:
    p = sub.add_parser("verify", help=HELP,
                       description="Build the network a spec describes, trace it and compare every printed cell "
                                   "of the paper's table, and every claim of its text, with the measurement.")
    p.add_argument("spec", help="a bundled spec's name (googlenet; see `archcheck list`) or a spec file")
    p.add_argument("--format", choices=("markdown", "json", "text"), default="markdown")
    p.add_argument("--strict", action="store_true", help="treat warnings as failures (exit 1)")
    p.add_argument("--crosscheck", action="store_true",
                   help="also run torchinfo and fvcore on a real-weight copy of the model (when it fits in memory) "
                        "and show their totals beside archcheck's, with each tool's convention")
    p.add_argument("--model", metavar="REF",
                   help="check your own model against the spec's build: path/to/file.py:Name or "
                        "package.module:Name (a class or a factory function; built without weight memory)")
    p.add_argument("--model-arg", dest="model_args", action="append", default=[], metavar="KEY=VALUE",
                   help="a keyword argument for --model's Name (value read as a YAML scalar: a number, true/false or text); repeatable")
    p.add_argument("--input", metavar="C×H×W", help=INPUT_HELP + "; default: the spec's input. At another spatial "
                   "size, what depends on resolution (output sizes, ops/MACs) is not compared")
    common(p)


INPUT_HELP = "the input --model is traced on: 3×32×32, 3x32x32 or 3,32,32"


def model_source(ref: str | None) -> str | None:
    """The file a --model REF is read from: `path/to/file.py:Name`, or the module of `package.module:Name`."""
    if not ref or ":" not in ref:
        return None
    where = ref.rpartition(":")[0]
    if where.endswith(".py") or "/" in where or "\\" in where:
        return where
    import importlib.util
    try:
        found = importlib.util.find_spec(where)
    except (Exception, SystemExit):   # noqa: BLE001 - not importable: loading the model will say why
        return None
    return found.origin if found is not None and found.has_location else None


def run(args) -> int:
    from ..output import refuse_overwriting_inputs
    from ..render import render
    from ..spec import load_spec, locate
    from ..pipeline import verify

    from ..errors import InputError, Problem
    if args.model_args and not args.model:
        raise InputError([Problem("--model-arg", None, None, "", "needs --model (the model the arguments are for)")])
    if args.input and not args.model:
        raise InputError([Problem("--input", None, None, "", "needs --model: the spec's build has its own input "
                                  "(another resolution of the spec is a spec option, --set or --variant)")])
    refuse_overwriting_inputs(args.output, {"the spec": locate(args.spec), "the --model file": model_source(args.model)})
    spec = load_spec(args.spec, args.variant, args.sets)
    # What the user's model prints while it is built and traced goes to stderr: stdout holds the report
    # alone (valid JSON with --format json).
    with contextlib.redirect_stdout(sys.stderr) if args.model else contextlib.nullcontext():
        if args.model:
            from ..subject import parse_model_args, verify_model
            from ..subject.load import parse_input_size
            size = parse_input_size(args.input) if args.input else None
            report = verify_model(spec, args.model, parse_model_args(args.model_args), strict=args.strict,
                                  input_size=size)
        else:
            report = verify(spec, strict=args.strict)
        if args.crosscheck:
            from ..crosscheck import crosscheck, meta_factory
            report.crosscheck = crosscheck(meta_factory(spec, args.model, args.model_args), report.input_shape)
    emit(render(report, args.format), args.output, json=args.format == "json")
    return 0 if report.verdict == "pass" else 1
