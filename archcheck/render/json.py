"""JSON rendering of a verify Report (the contract documented in the README)."""
from __future__ import annotations

import json

from ..report import Report


def report_dict(report: Report) -> dict:
    rows = []
    for r in report.rows:
        entry = {"name": r.name, "paper": {c.column: c.printed for c in r.cells if c.printed}}
        other_builds = [c.column for c in r.cells if c.status == "n/a"]
        if other_builds:                  # printed cells limited to other builds (applies_to): not compared
            entry["not_for_this_build"] = other_builds
        entry["measured"] = r.measure.as_json() if r.measure is not None else None
        if not r.printed:
            entry["in_table"] = False
        if r.aux:
            entry["aux"] = True
        rows.append(entry)
    return {
        "spec": report.spec_path,
        "model": report.model,
        "variant": report.variant,
        "settings": {k: v for k, v in report.settings},
        "input": list(report.input_shape),
        "verdict": report.verdict,
        "totals": report.totals.as_json(),
        "rows": rows,
        "findings": [f.as_json() for f in report.findings],
        "claims": [{"id": c.id, "quantity": c.quantity, "paper": c.value, "measured": c.measured,
                    "status": c.status, "message": c.message} for c in report.claims],
        "errata": {"applied": report.errata_applied, "ignored": report.errata_ignored},
        # --model checks: the declared build the model fits best, null when it passes or fits the asked one best
        **({"closest_build": report.closest_build.as_json() if report.closest_build else None}
           if report.model is not None else {}),
        "notes": list(report.notes),
        **({"crosscheck": report.crosscheck.as_json()} if report.crosscheck is not None else {}),
    }


def render_json(report: Report) -> str:
    from ..output import json_printable
    return json_printable(json.dumps(report_dict(report), indent=2, ensure_ascii=False)) + "\n"
