"""`archcheck schema`: the JSON Schema of the spec language, for editors (or --check a copy of it)."""
from __future__ import annotations

from ..output import output_file

HELP = "print the JSON Schema of the spec language (editors complete keys and flag mistakes with it)"


def register(sub, common) -> None:
    p = sub.add_parser("schema", help=HELP,
                       description="Print the JSON Schema (draft 2020-12) of the spec language, generated from "
                                   "archcheck's own declarations of it: the keys of every mapping, their types, "
                                   "choices and required keys, and every layer kind's arguments. A spec whose "
                                   "first line is `# yaml-language-server: $schema=PATH` gets completion and "
                                   "inline errors in editors that read it. What depends on more than one value "
                                   "(names, arithmetic, printed cells, shapes) only `archcheck verify` checks.")
    p.add_argument("--output", "-o", metavar="FILE", type=output_file,
                   help="write the schema to FILE (atomically) instead of stdout")
    p.add_argument("--check", metavar="FILE",
                   help="write nothing; exit 1 with a unified diff when FILE is not the current schema")
    p.add_argument("--debug", action="store_true", help="show tracebacks of internal errors")


def run(args) -> int:
    from ..errors import InputError, Problem
    from ..output import emit
    from ..spec.schema import schema_text
    from .report import apply_outputs, read_current

    text = schema_text()
    if args.check:
        if args.output:
            raise InputError([Problem("--check", None, None, "", "writes nothing; expected no --output with it")])
        current = read_current(args.check)
        if current is None:
            raise InputError([Problem(args.check, None, None, "", "no such file")])
        return apply_outputs({args.check: text}, check=True, read={args.check: current},
                             regenerate=f"regenerate it with `archcheck schema -o {args.check}`")
    emit(text, args.output, json=True)
    return 0
