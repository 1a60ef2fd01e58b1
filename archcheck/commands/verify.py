"""`archcheck verify SPEC`: the paper's printed table against the measured network."""
from __future__ import annotations

from ..output import emit

HELP = "compare the paper's printed table with the measured network"


def register(sub, common) -> None:
    p = sub.add_parser("verify", help=HELP,
                       description="Build the network a spec describes, trace it and compare every printed cell "
                                   "of the paper's table, and every claim of its text, with the measurement.")
    p.add_argument("spec", help="a spec file, e.g. specs/googlenet.yaml")
    p.add_argument("--format", choices=("markdown", "json", "text"), default="markdown")
    p.add_argument("--strict", action="store_true", help="treat warnings as failures (exit 1)")
    common(p)


def run(args) -> int:
    from ..render import render
    from ..spec import load_spec
    from ..verify import verify

    spec = load_spec(args.spec, args.variant, args.sets)
    report = verify(spec, strict=args.strict)
    emit(render(report, args.format), args.output)
    return 0 if report.verdict == "pass" else 1
