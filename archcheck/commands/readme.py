"""`archcheck readme FILE...`: regenerate the marked sections of Markdown files (or --check them)."""
from __future__ import annotations

HELP = "regenerate the sections of a Markdown file between <!-- archcheck ... --> markers"


def register(sub, common) -> None:
    p = sub.add_parser("readme", help=HELP,
                       description="Regenerate every section between `<!-- archcheck COMMAND ARGS -->` and "
                                   "`<!-- /archcheck -->` by running the archcheck command line in the marker "
                                   "(verify or summary). Everything outside the markers is kept byte for byte.")
    p.add_argument("files", nargs="+", metavar="FILE", help="Markdown files, e.g. README.md")
    p.add_argument("--check", action="store_true",
                   help="write nothing; exit 1 with a unified diff when a file is not current")
    p.add_argument("--debug", action="store_true", help="show tracebacks of internal errors")


def run(args) -> int:
    from ..errors import InputError, Problem
    from ..readme import regenerate
    from .report import apply_outputs, read_current

    outputs, read = {}, {}
    for path in args.files:
        text = read_current(path)
        if text is None:
            raise InputError([Problem(path, None, None, "", "no such file")])
        read[path] = text
        outputs[path] = regenerate(text, path)
    return apply_outputs(outputs, args.check, read)
