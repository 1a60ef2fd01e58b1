"""`archcheck list`: the bundled specs, each with its paper and table."""
from __future__ import annotations

HELP = "list the bundled specs (usable by name: archcheck verify googlenet)"


def register(sub, common) -> None:
    p = sub.add_parser("list", help=HELP, description="List the specs that ship with archcheck: each spec's name "
                                                      "(what commands accept in place of a file), paper, table "
                                                      "and declared variants.")
    p.add_argument("--format", choices=("text", "markdown", "json"), default="text")
    p.add_argument("--debug", action="store_true", help="show tracebacks of internal errors")


def run(args) -> int:
    from ..output import emit
    from ..render.catalog import catalog_entries, render_catalog
    from ..spec import bundled

    emit(render_catalog(catalog_entries(bundled.paths()), args.format), None, json=args.format == "json")
    return 0
