"""Pieces shared by the renderers: titles, the build line and the counting conventions."""
from __future__ import annotations

from ..report import Report

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


def settings_text(settings) -> str:
    """'release=true, aux_heads=false': each setting once, with the value it ends with (a --set after the
    variant's), in the order first set."""
    final: dict = {}
    for key, value in settings:
        final[key] = value
    return ", ".join(f"{k}={_value(v)}" for k, v in final.items())


def build_line(report: Report, code=_backticks, plain=str) -> str:
    """What was checked; `code` and `plain` quote names and values for the output format (Markdown
    escapes what came from the spec or the command line)."""
    what = f"model {code(report.model)}" if report.model else "the network built from the spec"
    settings = settings_text(report.settings)
    variant = f", variant {code(report.variant)}" if report.variant else ""
    shape = "×".join(str(v) for v in report.input_shape)
    build = f"; settings: {plain(settings)}" if settings else "; default settings"
    return (f"Spec {code(report.spec_path)}{variant}{build}. Checked: {what}, traced in training mode on one "
            f"{shape} (C×H×W) input.")


def _count(n: int, noun: str, plural: str) -> str:
    return f"{n} {noun if n == 1 else plural}"


def closest_text(report: Report, code=str, plain=str) -> str | None:
    """'--variant release --set aux_heads=false (0 mismatches instead of 36)', or what the search found
    when the build asked for is already the closest; None when there was no search (the check passed).
    `code` quotes the options (Markdown: a code span), `plain` escapes the rest."""
    c = report.closest_build
    if c is None:
        return None
    noun = ("mismatch or warning", "mismatches or warnings") if report.strict else ("mismatch", "mismatches")
    if c.is_asked:
        others = c.compared - 1
        return (f"the one checked (none of the {others} other declared builds fits better)" if others
                else "the one checked (the spec declares no other build)")
    if c.mismatches == c.asked:    # a tie, won by fewer warnings
        how = f"{_count(c.mismatches, *noun)} as well, {_count(c.warnings, 'warning', 'warnings')} instead of " \
              f"{c.asked_warnings}"
    else:
        how = f"{_count(c.mismatches, *noun)} instead of {c.asked}"
    options = ([f"--variant {c.variant}"] if c.variant else []) + [f"--set {s}" for s in c.sets]
    what = code(" ".join(options)) if options else "the default build (no --variant, no --set)"
    return f"{what} ({plain(how)})"


def finding_lines(report: Report) -> list[tuple[str, str]]:
    """(status, message) per line to show. The findings of one group (the same difference at several
    places, subject/groups.py) are one line listing every row by its full name, at the place of the
    first: "inception_3a, inception_3b, ..., inception_5b (9 rows), 5x5 branch: convolution 3×3, paper
    5×5", or "conv1, conv2 (2), ... (59 places): batch norm after layers ..." when a row has several.
    JSON keeps one finding per place."""
    groups: dict = {}
    for f in report.findings:
        if f.group:
            groups.setdefault((f.status, f.group), []).append(f)
    lines, shown = [], set()
    for f in report.findings:
        members = groups.get((f.status, f.group)) if f.group else None
        if members is None or len(members) == 1:
            lines.append((f.status, f.message))
        elif (f.status, f.group) not in shown:
            shown.add((f.status, f.group))
            lines.append((f.status, group_line(members)))
    return lines


def group_line(members) -> str:
    counts: dict = {}
    for g in members:
        counts[g.row] = counts.get(g.row, 0) + 1
    places = ", ".join(row if n == 1 else f"{row} ({n})" for row, n in counts.items())
    unit = "rows" if len(counts) == len(members) else "places"
    first = members[0]
    sep = ", " if first.where and first.group.startswith(first.where) else ": "   # "(9 rows), 5x5 branch: ..."
    return f"{places} ({len(members)} {unit}){sep}{first.group}"
