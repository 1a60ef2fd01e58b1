"""The list of bundled specs (`archcheck list`) as text, Markdown or JSON."""
from __future__ import annotations

import json
from dataclasses import dataclass

from tabulate import tabulate

from .markdown import code, esc, table


@dataclass(frozen=True)
class CatalogEntry:
    name: str
    title: str
    arxiv: str
    table: str
    variants: tuple[str, ...]


def catalog_entries(paths: dict[str, str]) -> list[CatalogEntry]:
    """name -> path of the bundled specs -> one entry each (every spec is loaded, so a broken one says so)."""
    from ..spec import load_spec

    out = []
    for name, path in paths.items():
        spec = load_spec(path)
        out.append(CatalogEntry(name, spec.paper.get("title", spec.name), spec.paper.get("arxiv", ""),
                                " ".join(spec.paper.get("table", "").split()), tuple(spec.variants)))
    return out


def render_catalog(entries: list[CatalogEntry], fmt: str) -> str:
    if fmt == "json":
        from ..output import json_printable
        data = [{"name": e.name, "title": e.title, "arxiv": e.arxiv or None, "table": e.table,
                 "variants": list(e.variants)} for e in entries]
        return json_printable(json.dumps(data, indent=2, ensure_ascii=False)) + "\n"
    if fmt == "markdown":
        body = [[code(e.name), esc(e.title) + (f" (arXiv {esc(e.arxiv)})" if e.arxiv else ""), esc(e.table),
                 ", ".join(code(v) for v in e.variants) or "—"] for e in entries]
        return table(["spec", "paper", "table", "variants"], body) + "\n"
    body = [[e.name, e.title + (f" (arXiv {e.arxiv})" if e.arxiv else ""),
             ", ".join(e.variants) or "-"] for e in entries]
    return tabulate(body, headers=["spec", "paper", "variants"], tablefmt="plain", disable_numparse=True) + "\n"
