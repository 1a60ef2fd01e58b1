"""Pieces shared by the renderers: titles, the build line and the counting conventions."""
from __future__ import annotations

from ..report import WARNING, Report

CONVENTIONS = [
    ("params", "parameters (all)",
     "every parameter tensor counted once (conv/linear weights and biases, batch norm), aux heads included"),
    ("params_without_aux", "parameters without aux heads", "as above, without the auxiliary classifiers"),
    ("weights", "weights (paper convention)", "conv/linear weight entries only, no biases, without aux heads"),
    ("macs", "MACs per image", "multiply-adds of conv/linear layers through the inference network "
                               "(no aux heads); FLOPs ≈ 2 × MACs"),
    ("macs_with_aux", "MACs per image with aux heads", "as above, auxiliary classifiers included"),
    ("depth", "depth", "weight layers (conv/linear) on the longest path from input to output"),
]


def title_of(report: Report) -> tuple[str, str]:
    p = report.paper
    title = p.get("title", report.spec_name)
    if p.get("arxiv"):
        title += f" (arXiv {p['arxiv']})"
    table = p.get("table", "Table").split(":")[0]
    return title, table


def _value(v) -> str:
    if isinstance(v, bool):
        return str(v).lower()
    if isinstance(v, list):
        return "[" + ", ".join(str(x) for x in v) + "]"
    return str(v)


def _backticks(text) -> str:
    return f"`{text}`"


def build_line(report: Report, code=_backticks, plain=str) -> str:
    """What was checked; `code` and `plain` quote names and values for the output format (Markdown
    escapes what came from the spec or the command line)."""
    what = f"model {code(report.model)}" if report.model else "the network built from the spec"
    settings = ", ".join(f"{k}={_value(v)}" for k, v in report.settings)
    variant = f", variant {code(report.variant)}" if report.variant else ""
    shape = "×".join(str(v) for v in report.input_shape)
    build = f"; settings: {plain(settings)}" if settings else "; default settings"
    return (f"Spec {code(report.spec_path)}{variant}{build}. Checked: {what}, traced in training mode on one "
            f"{shape} (C×H×W) input.")


def finding_lines(report: Report) -> list[tuple[str, str]]:
    """(status, message) per line to show: warnings of one kind at several places are one line listing the
    places ("... (59 places: conv1, conv2 (2), inception_3a (6), ...)"); JSON keeps one finding per place."""
    groups: dict = {}
    for f in report.findings:
        if f.status == WARNING and f.summary:
            groups.setdefault(f.summary, []).append(f)
    lines, shown = [], set()
    for f in report.findings:
        group = groups.get(f.summary) if f.status == WARNING and f.summary else None
        if group is None or len(group) == 1:
            lines.append((f.status, f.message))
        elif f.summary not in shown:
            shown.add(f.summary)
            counts: dict = {}
            for g in group:
                counts[g.row] = counts.get(g.row, 0) + 1
            where = ", ".join(row if n == 1 else f"{row} ({n})" for row, n in counts.items())
            lines.append((WARNING, f"{f.summary} ({len(group)} places: {where})"))
    return lines
