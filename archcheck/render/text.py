"""Plain terminal text for a verify Report."""
from __future__ import annotations

from tabulate import tabulate

from ..compare import fmt_int
from ..report import KNOWN, MISMATCH, WARNING, Report
from .common import CONVENTIONS, build_line, closest_text, finding_lines, title_of


def folded_claims(report: Report) -> list:
    """Claims that fail without a finding of their own (they follow from a structural mismatch)."""
    own = {f.row for f in report.findings if f.field == "claim"}
    return [c for c in report.claims if c.status == MISMATCH and c.id not in own]


def render_text(report: Report) -> str:
    title, _ = title_of(report)
    lines = [title, build_line(report), ""]
    compared = sum(1 for r in report.rows for c in r.cells if c.status and c.status != "n/a")
    lines.append(f"verdict: {report.verdict.upper()}  ({compared} printed cells compared; "
                 f"{report.count(MISMATCH)} mismatch, {report.count(KNOWN)} known, {report.count(WARNING)} warning)")
    closest = closest_text(report)
    if closest:
        lines.append(f"closest declared build: {closest}")
    if report.not_compared:
        lines.append(f"note: {report.not_compared}")
    lines.append("")
    for status, message in finding_lines(report):
        # a transcribed cell's line break (ResNet's "[1×1, 64<br>3×3, 64]") reads as "; " on a terminal
        lines.append(f"[{status}] {message}".replace("<br>", "; "))
    if report.findings:
        lines.append("")
    folded = folded_claims(report)
    if folded:
        lines.append("claims that fail because the structure differs (not counted above):")
        lines += [f"  {c.message}" for c in folded] + [""]
    body = [[label, fmt_int(getattr(report.totals, key))] for key, label, _ in CONVENTIONS]
    lines.append(tabulate(body, tablefmt="plain", colalign=("left", "right"), disable_numparse=True))
    if report.crosscheck is not None:
        from .. import crosscheck as cc
        lines += ["", "cross-check with torchinfo and fvcore: " + cc.intro(report.crosscheck)]
        for quantity, tool, value, _, against in cc.rows(report.crosscheck):
            lines.append(f"  {quantity:<14} {tool:<52} {value:>15}  {against}".rstrip())
    return "\n".join(lines) + "\n"
