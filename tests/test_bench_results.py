"""The README's speed figures are copied from bench/RESULTS.md: each one must be there.

The benchmark is too slow for CI (about 25 minutes), so the README cannot be regenerated from it on
every run; this keeps the copy honest instead. Rerun `python bench/bench.py` and copy the new figures
when archcheck changes.
"""
from __future__ import annotations

import re

from .conftest import ROOT


def _section(text: str, heading: str) -> str:
    start = text.index(heading)
    end = text.find("\n## ", start + len(heading))
    return text[start: end if end >= 0 else len(text)]


def _rows(section: str) -> dict[str, list[str]]:
    rows = {}
    for line in section.splitlines():
        if line.startswith("|") and not line.startswith("|--") and not line.startswith("|-"):
            cells = [c.strip() for c in line.strip().strip("|").split("|")]
            rows[cells[0]] = cells[1:]
    return rows


README = (ROOT / "README.md").read_text(encoding="utf-8")
RESULTS = (ROOT / "bench" / "RESULTS.md").read_text(encoding="utf-8")
SPEED = _section(README, "## Speed and memory")
MAIN = _rows(_section(RESULTS, "## Bundled specs"))
WIDTH = _rows(_section(RESULTS, "## Width:"))
STACK = _rows(_section(RESULTS, "## Depth: GoogLeNet"))
MODEL = _rows(_section(RESULTS, "## Depth of `verify --model`: the GoogLeNet subject with N more modules"))
DISTINCT = _rows(_section(RESULTS, "## Depth of `verify --model`: the GoogLeNet subject with N more distinct"))


def test_readme_table_rows_for_bundled_specs_match_results():
    readme = _rows(SPEED)
    for model in ("GoogLeNet", "Inception-v3"):
        ours, theirs = readme[model]
        # RESULTS columns: spec, archcheck wall, competitor wall, ratio, CPU x3, archcheck RSS, competitor RSS
        row = MAIN[model]
        assert ours == f"{row[1]}, {row[7]}", model
        assert theirs == f"{row[2]}, {row[8]}", model


def test_readme_width_row_matches_results():
    readme = _rows(SPEED)
    (name,) = [k for k in readme if k.startswith("GoogLeNet ×32")]
    params, wall, _cpu, rss, competitor = WIDTH["x32"]
    billions = int(params.replace(",", "")) / 1e9
    assert f"({billions:.1f} billion parameters)" in name
    assert readme[name][0] == f"{wall}, {rss}"
    needed = float(re.search(r"about ([\d.]+) GiB", competitor).group(1))
    assert readme[name][1] == f"would need about {round(needed)} GiB"


def _per_module(rows: dict[str, list[str]]) -> list[float]:
    # Column 3 of the depth tables: time per module by the fastest runs.
    return [float(rows[n][3].split()[0]) for n in ("100", "400", "1,600")]


def _within(ms: list[float], low: str, high: str) -> bool:
    """"4 to 5 ms" says every figure rounds to 4 or 5."""
    return int(low) - 0.5 <= min(ms) and max(ms) < int(high) + 0.5


def test_readme_prose_per_module_figures_match_results():
    spec_ms = _per_module(STACK)
    low, high = re.search(r"about (\d+) to (\d+) ms per inception module for `verify SPEC`", SPEED).groups()
    assert _within(spec_ms, low, high), spec_ms
    model_ms = _per_module(MODEL) + _per_module(DISTINCT)
    low, high = re.search(r"by (\d+) to (\d+) ms per module for\s+`verify SPEC --model`", SPEED).groups()
    assert _within(model_ms, low, high), model_ms
    rss = re.search(r"([\d,]+) to ([\d,]+) MiB at 400 modules", SPEED).groups()
    measured = sorted(int(r["400"][4].split()[0]) for r in (MODEL, DISTINCT))
    assert [int(v) for v in rss] == measured
