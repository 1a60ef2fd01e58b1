"""Someone else's model (`verify SPEC --model REF`): load it, read it as units, align it with the spec's build,
phrase the differences in the paper's terms and build the Report.

    load.py         REF import and construction on the meta device, --model-arg parsing, tracing
    units.py        a trace read as layers, blocks, splits and weightless ops, with signatures
    align.py        the main output, stages, runs and units paired with the build's (how and why: its note)
    differences.py  what differs, per row and branch, in the paper's words
    report.py       findings, folded cells and claims: the Report
"""
from __future__ import annotations

from .load import load_model, parse_model_args, trace_subject
from .report import subject_report, verify_model

__all__ = ["load_model", "parse_model_args", "trace_subject", "subject_report", "verify_model"]
