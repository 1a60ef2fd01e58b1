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
    p.add_argument("specs", nargs="*", metavar="SPEC",
                   help="spec files or bundled spec names (default: specs/*.yaml of this directory)")
    p.add_argument("--dir", default="reports", help="where to write (default: reports)")
    p.add_argument("--check", action="store_true",
                   help="write nothing; exit 1 with a unified diff when a report is not current")
    p.add_argument("--debug", action="store_true", help="show tracebacks of internal errors")


def spec_report(path: str) -> str:
    """The per-spec report: verify (default build), then the model summary, from one trace."""
    from ..render import render
    from ..render.summary import render_torchsummary
    from ..spec import load_spec
    from ..summarize import summarize_spec
    from ..pipeline import make_report, trace_spec

    spec = load_spec(path)
    _, trace, spans = trace_spec(spec)
    report = make_report(spec, trace, spans)
    return "\n".join([render(report, "markdown").rstrip("\n"), "", "## Model summary", "",
                      render_torchsummary(summarize_spec(spec, trace, spans))])


REVIEW = "discrepancies.md"


def report_names(spec_paths: list[str]) -> dict[str, str]:
    """Spec path -> its report's file name; two specs that would share a name are bad input (one report
    would silently replace the other), as is a spec whose report would be the discrepancy review."""
    from ..errors import InputError, Problem

    names, problems = {}, []
    for path in spec_paths:
        name = os.path.splitext(os.path.basename(path))[0] + ".md"
        other = next((p for p, n in names.items() if n == name), None)
        if other is not None:
            problems.append(Problem(path, None, None, "", f"its report would be {name}, as the report of {other} is; "
                                                          "expected specs with different file names"))
        elif name == REVIEW:
            problems.append(Problem(path, None, None, "", f"its report would be {REVIEW}, the discrepancy review's "
                                                          "file; expected another spec file name"))
        names[path] = name
    if problems:
        raise InputError(problems)
    return names


def build_outputs(spec_paths: list[str], directory: str) -> dict[str, str]:
    from ..discrepancies import collect, render

    outputs = {os.path.join(directory, name): spec_report(path) for path, name in report_names(spec_paths).items()}
    outputs[os.path.join(directory, REVIEW)] = render(collect(spec_paths))
    return outputs


MAX_DOCUMENT_BYTES = 20_000_000     # a README or report; /dev/zero or /dev/full never ends


def read_current(path: str) -> str | None:
    """The file's text as it is now (None when it does not exist); unreadable or endless is bad input."""
    from ..errors import InputError, Problem

    try:
        with open(path, encoding="utf-8", newline="") as fh:
            text = fh.read(MAX_DOCUMENT_BYTES + 1)
        if len(text) > MAX_DOCUMENT_BYTES:
            raise InputError([Problem(path, None, None, "", f"cannot read: more than {MAX_DOCUMENT_BYTES:,} "
                                                            f"characters (not a Markdown file?)")])
        return text
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise InputError([Problem(path, None, None, "", f"cannot read: {exc.strerror or exc}")]) from None
    except UnicodeDecodeError:
        raise InputError([Problem(path, None, None, "", "cannot read: not UTF-8 text")]) from None


def apply_outputs(outputs: dict[str, str], check: bool, read: dict | None = None,
                  regenerate: str = "regenerate them without --check") -> int:
    """Write files atomically, or with check=True compare them and print unified diffs (exit 1 if stale;
    `regenerate` says how to make them current).

    `read`: path -> the text the outputs were computed from; such a file is written only if it still
    holds that text just before the rename (an edit made while archcheck ran is not lost)."""
    from ..fsutil import write_atomic
    from ..output import printable, write_stdout

    stale = 0
    for path, text in outputs.items():
        current = read[path] if read and path in read else read_current(path)
        if current == text:
            continue
        if check:
            stale += 1
            old = [] if current is None else current.splitlines(keepends=True)
            diff = difflib.unified_diff(old, text.splitlines(keepends=True), f"{path} (current)",
                                        f"{path} (regenerated)")
            write_stdout(printable("".join(diff)))
        else:
            if read and path in read:
                write_atomic(path, text, expect=current)
            else:
                write_atomic(path, text)
            print(f"wrote {printable(path)}", file=sys.stderr)
    if check and stale:
        print(f"archcheck: {stale} file(s) are not current; {regenerate}", file=sys.stderr)
        return 1
    return 0


def run(args) -> int:
    from ..errors import InputError, Problem
    from ..output import refuse_overwriting_inputs

    from ..spec import locate

    specs = [locate(s) for s in args.specs] or sorted(glob.glob(os.path.join("specs", "*.yaml")))
    if not specs:
        raise InputError("no specs given and none found in specs/*.yaml")
    # A report written over one of the specs it is made from would lose the spec.
    targets = [os.path.join(args.dir, name) for name in report_names(specs).values()] + [os.path.join(args.dir, REVIEW)]
    for target in targets:
        refuse_overwriting_inputs(target, {f"the spec {spec}": spec for spec in specs}, "--dir")
    if os.path.exists(args.dir) and not os.path.isdir(args.dir):
        raise InputError([Problem("--dir", None, None, "", f"{args.dir} is a file; expected a directory")])
    outputs = build_outputs(specs, args.dir)
    if not args.check:
        make_directory(args.dir)
    elif not os.path.isdir(args.dir):
        raise InputError([Problem("--dir", None, None, "", f"{args.dir}: no such directory")])
    return apply_outputs(outputs, args.check)


def make_directory(path: str) -> None:
    """Create the reports directory if needed; another run creating it at the same moment is fine."""
    from ..errors import InputError, Problem

    try:
        os.makedirs(path, exist_ok=True)
    except FileExistsError:   # a file (not a directory) of that name
        raise InputError([Problem("--dir", None, None, "", f"{path} is a file; expected a directory")]) from None
    except OSError as exc:
        raise InputError([Problem("--dir", None, None, "", f"cannot create {path}: {exc.strerror or exc}")]) from None
