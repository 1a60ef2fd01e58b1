"""Markdown rendering of a verify Report: a pure function of the Report, deterministic byte for byte."""
from __future__ import annotations

import re

from tabulate import tabulate

from ..compare import NOT_APPLICABLE, fmt_int, fmt_shape_hwc
from ..report import KNOWN, MISMATCH, WARNING, Report
from .common import CONVENTIONS, build_line, closest_text, finding_lines, title_of

MARK = {KNOWN: "†", MISMATCH: "✗", WARNING: "!"}


def table(headers, rows, align=None) -> str:
    return tabulate(rows, headers=headers, tablefmt="github", disable_numparse=True,
                    colalign=align) if rows else "_none_"


_ENTITY = re.compile(r"&(?=#?[A-Za-z0-9]+;)")      # an & that would start an HTML entity reference
_BACKTICKS = re.compile(r"`+")
_LINE_BREAK = re.compile(r"&lt;br\s*/?>", re.IGNORECASE)


def esc(text) -> str:
    """Text from a spec or a model, made inert in Markdown: one line (it cannot start a heading or plant a
    `<!-- archcheck -->` marker on a line of its own), no raw HTML (`<` as `&lt;`) but the `<br>` that
    specs write for a line break inside a printed cell, `|` kept inside its table cell."""
    one_line = " ".join(str(text).splitlines()) if "\n" in str(text) or "\r" in str(text) else str(text)
    escaped = _ENTITY.sub("&amp;", one_line).replace("<", "&lt;").replace("|", "\\|")
    return _LINE_BREAK.sub("<br>", escaped)   # a transcribed line break inside a printed cell stays one


def code(text) -> str:
    """A code span holding `text` literally: fenced by more backticks than any run inside it (CommonMark),
    on one line; in a code span `<` is already inert."""
    one_line = " ".join(str(text).splitlines())
    longest = max((len(m.group()) for m in _BACKTICKS.finditer(one_line)), default=0)
    fence = "`" * (longest + 1)
    pad = " " if one_line.startswith("`") or one_line.endswith("`") else ""
    return f"{fence}{pad}{one_line}{pad}{fence}"


def _cell(c) -> str:
    if not c.printed:
        return ""
    if c.status in MARK:
        shown = f"{esc(c.printed)} → {esc(c.measured)} {MARK[c.status]}"
        return f"**{shown}**" if c.status == MISMATCH else shown
    if c.status == NOT_APPLICABLE:     # a cell the spec limits to other builds: shown, not judged
        return f"{esc(c.printed)} (other build)"
    return esc(c.printed)


def paper_table(report: Report) -> str:
    headers = ["row"] + [esc(col.name) for col in report.columns]
    body = [[r.name] + [_cell(c) for c in r.cells] for r in report.rows if r.printed]
    return table(headers, body)


def measured_table(report: Report) -> str:
    headers = ["row", "in table", "output (H×W×C)", "params (all)", "weights", "MACs", "depth"]
    body = []
    for r in report.rows:
        m = r.measure
        if m is None or not m.built:
            body.append([r.name, "yes" if r.printed else "no", "not built", "", "", "", ""])
            continue
        where = "yes" if r.printed else ("aux" if r.aux else f"part of {r.part_of}" if r.part_of else "no")
        body.append([r.name, where, fmt_shape_hwc(m.output), fmt_int(m.params), fmt_int(m.weights),
                     fmt_int(m.macs), str(m.depth)])
    return table(headers, body, ["left", "left", "right", "right", "right", "right", "right"])


def findings_list(report: Report) -> str:
    if not report.findings:
        return "No findings: every printed cell agrees with the measurement."
    return "\n".join(f"- **{status}** {esc(message)}" for status, message in finding_lines(report))


def claims_table(report: Report) -> str:
    body = [[esc(c.text), esc(c.where), c.quantity, esc(c.value), c.measured, c.status] for c in report.claims]
    return table(["claim", "where", "quantity", "paper", "measured", "status"], body)


def totals_table(report: Report) -> str:
    t = report.totals
    body = [[label, fmt_int(getattr(t, key)), conv] for key, label, conv in CONVENTIONS]
    return table(["total", "value", "convention"], body, ["left", "right", "left"])


def render_markdown(report: Report) -> str:
    title, table_name = title_of(report)
    other_builds = (" A cell marked (other build) describes another build of the table and is not judged."
                    if any(c.status == NOT_APPLICABLE for r in report.rows for c in r.cells) else "")
    parts = [f"# {esc(title)}", "", build_line(report, code, esc), "",
             f"**Verdict: {report.verdict.upper()}**: {report.count(MISMATCH)} mismatch(es), "
             f"{report.count(KNOWN)} known paper erratum finding(s), {report.count(WARNING)} warning(s).", ""]
    closest = closest_text(report, code, esc)
    if closest:
        parts += [f"**Closest declared build**: {closest}.", ""]
    parts += [f"## {table_name}: printed vs measured", "",
              "Each cell is the paper's, as printed. Where the measurement disagrees it follows the arrow: "
              "† a known erratum of the paper (see Findings), ✗ an unexplained mismatch." + other_builds, "",
              paper_table(report), "",
              "## Measured per row", "",
              "All rows of the network, including those the table does not list. Counts per image; "
              "params counts every parameter once (weights, biases, batch norm).", "",
              measured_table(report), "",
              "## Findings", "", findings_list(report), "",
              "## Claims in the text", "", claims_table(report), "",
              "## Totals", "", totals_table(report), ""]
    if report.notes:
        parts += ["## Notes", ""] + [f"- {esc(n)}" for n in report.notes] + [""]
    if report.crosscheck is not None:
        from .. import crosscheck as cc
        body = [[esc(v) for v in row] for row in cc.rows(report.crosscheck)]
        parts += ["## Cross-check with torchinfo and fvcore", "", esc(cc.intro(report.crosscheck)), ""]
        parts += [table(cc.HEADERS, body, ["left", "left", "right", "left", "left"]), ""] if body else []
    return "\n".join(parts)
