"""Renderers: pure functions of a Report."""
from __future__ import annotations


def render(report, fmt: str) -> str:
    if fmt == "json":
        from .json import render_json
        return render_json(report)
    if fmt == "text":
        from .text import render_text
        return render_text(report)
    from .markdown import render_markdown
    return render_markdown(report)
