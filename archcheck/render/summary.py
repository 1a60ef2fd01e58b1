"""Markdown model-summary tables: pure functions of a Summary (torchsummary style) or a Report (paper
style), deterministic byte for byte and linear in the number of lines."""
from __future__ import annotations

from tabulate import tabulate

from ..compare import fmt_int, fmt_shape_hwc
from ..report import Report
from ..summary import Summary
from .common import settings_text, title_of
from .markdown import _cell, code, esc, table, totals_table


def _shape(shape) -> str:
    return "[" + ", ".join(["-1"] + [str(v) for v in shape[1:]]) + "]"


def _settings(spec_path: str, variant, settings) -> str:
    line = f"Spec {code(spec_path)}"
    if variant:
        line += f", variant {code(variant)}"
    if settings:
        line += "; settings: " + esc(settings_text(settings))
    return line


def render_torchsummary(s: Summary) -> str:
    shape = "×".join(str(v) for v in s.input_shape)
    body = []
    for line in s.lines:
        if line.header:
            body.append([f"**{esc(line.layer)}**", "---", "---"])
        else:
            body.append([esc(line.layer), ", ".join(_shape(v) for v in line.shapes), fmt_int(line.params)])
    layers = tabulate(body, headers=["Layer (type)", "Output Shape", "Param #"], tablefmt="pipe",
                      colalign=("center", "center", "center"), disable_numparse=True)
    totals = tabulate([["Total params", fmt_int(s.total_params)],
                       ["Trainable params", fmt_int(s.trainable_params)],
                       ["Total params excluding auxiliary params", fmt_int(s.params_without_aux)],
                       ["Non-trainable params", fmt_int(s.non_trainable_params)]],
                      headers=["", ""], tablefmt="pipe", colalign=("left", "left"), disable_numparse=True)
    intro = (f"{_settings(s.spec_path, s.variant, s.settings)}. One {shape} (C×H×W) input traced in training mode, "
             f"so auxiliary heads are listed where they run; -1 is the batch dimension. Param # counts the "
             f"parameters a layer holds itself (weights, biases, batch-norm scale and shift), each once; "
             f"containers are not listed.")
    return "\n".join([intro, "", layers, "", totals, ""])


def render_paper_summary(report: Report) -> str:
    """The paper's columns as printed beside the measured output, parameters and multiply-adds."""
    title, table_name = title_of(report)
    headers = ["row"] + [esc(c.name) for c in report.columns] + ["measured output (H×W×C)", "weights", "params", "MACs"]
    body = []
    for r in report.rows:
        m = r.measure
        cells = [_cell(c) for c in r.cells] if r.printed else [""] * len(report.columns)
        built = m is not None and m.built
        measured = ([fmt_shape_hwc(m.output), fmt_int(m.weights), fmt_int(m.params), fmt_int(m.macs)] if built
                    else ["not built", "", "", ""])
        role = "aux head" if r.aux else f"part of {r.part_of}" if r.part_of else "not in the table"
        name = r.name if r.printed else f"{r.name} ({role})"
        body.append([name] + cells + measured)
    align = ["left"] * (1 + len(report.columns)) + ["right"] * 4
    intro = (f"{_settings(report.spec_path, report.variant, report.settings)}. {esc(table_name)} of {esc(title)}, cell by cell "
             f"as printed; where the measurement disagrees the cell reads printed → measured († a known erratum "
             f"or deviation, ✗ unexplained). Measured per image: weights are conv/linear weight entries (no biases), "
             f"params counts every parameter once, MACs are multiply-adds (FLOPs ≈ 2 × MACs).")
    return "\n".join([intro, "", table(headers, body, align), "", totals_table(report), ""])
