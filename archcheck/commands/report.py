"""`archcheck report [SPECS...]`: write reports/<spec>.md and reports/discrepancies.md (or --check them)."""
from __future__ import annotations

import difflib
import glob
import os
import sys

HELP = "write reports/<spec>.md for every spec and reports/discrepancies.md"


def register(sub, common) -> None:
    p = sub.add_parser("report", help=HELP,
                       description="Write a Markdown report per spec (paper table with measured values, findings, "
                                   "claims, totals and the model summary) and one review of every paper "
                                   "discrepancy declared in the specs.")
    p.add_argument("specs", nargs="*", metavar="SPEC", help="spec files (default: specs/*.yaml)")
    p.add_argument("--dir", default="reports", help="where to write (default: reports)")
    p.add_argument("--check", action="store_true",
                   help="write nothing; exit 1 with a unified diff when a report is not current")
    p.add_argument("--debug", action="store_true", help="show tracebacks of internal errors")


def spec_report(path: str) -> str:
    """The per-spec report: verify (default build), then the model summary, from one trace."""
    from ..render import render
    from ..render.summary import render_torchsummary
    from ..spec import load_spec
    from ..summary import summarize
    from ..pipeline import make_report, trace_spec

    spec = load_spec(path)
    _, trace, spans = trace_spec(spec)
    report = make_report(spec, trace, spans)
    summary = summarize(spec, trace, report.totals.params_without_aux)
    return "\n".join([render(report, "markdown").rstrip("\n"), "", "## Model summary", "",
                      render_torchsummary(summary)])


def build_outputs(spec_paths: list[str], directory: str) -> dict[str, str]:
    from ..discrepancies import collect, render

    outputs = {}
    for path in spec_paths:
        name = os.path.splitext(os.path.basename(path))[0]
        outputs[os.path.join(directory, f"{name}.md")] = spec_report(path)
    outputs[os.path.join(directory, "discrepancies.md")] = render(collect(spec_paths))
    return outputs


def apply_outputs(outputs: dict[str, str], check: bool) -> int:
    """Write files atomically, or with check=True compare them and print unified diffs (exit 1 if stale)."""
    from ..fsutil import write_atomic

    stale = 0
    for path, text in outputs.items():
        try:
            with open(path, encoding="utf-8", newline="") as fh:
                current = fh.read()
        except FileNotFoundError:
            current = None
        if current == text:
            continue
        if check:
            stale += 1
            old = [] if current is None else current.splitlines(keepends=True)
            sys.stdout.writelines(difflib.unified_diff(old, text.splitlines(keepends=True), f"{path} (current)",
                                                       f"{path} (regenerated)"))
        else:
            write_atomic(path, text)
            print(f"wrote {path}", file=sys.stderr)
    if check and stale:
        print(f"archcheck: {stale} file(s) are not current; regenerate them without --check", file=sys.stderr)
        return 1
    return 0


def run(args) -> int:
    from ..errors import InputError

    specs = args.specs or sorted(glob.glob(os.path.join("specs", "*.yaml")))
    if not specs:
        raise InputError("no specs given and none found in specs/*.yaml")
    if not os.path.isdir(args.dir):
        if args.check:
            raise InputError(f"{args.dir}: no such directory")
        os.makedirs(args.dir)
    return apply_outputs(build_outputs(specs, args.dir), args.check)
