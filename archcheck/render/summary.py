"""Markdown model-summary tables: pure functions of a Summary (torchsummary style) or a Report (paper
style), deterministic byte for byte and linear in the number of lines."""
from __future__ import annotations

import json

from tabulate import tabulate

from ..compare import fmt_int, fmt_shape_hwc
from ..report import Report
from ..summarize import Summary, SummaryRow
from .common import settings_text, title_of
from .markdown import _cell, code, esc, table, totals_table

HEADINGS = {"input_size": "Input Shape", "output_size": "Output Shape", "num_params": "Param #",
            "kernel_size": "Kernel Shape", "mult_adds": "Mult-Adds"}     # torchinfo's column headings


def _shape(shape) -> str:
    return "[" + ", ".join(["-1"] + [str(v) for v in shape[1:]]) + "]"


def _settings(spec_path: str, variant, settings) -> str:
    line = f"Spec {code(spec_path)}"
    if variant:
        line += f", variant {code(variant)}"
    if settings:
        line += "; settings: " + esc(settings_text(settings))
    return line


def _cells(r: SummaryRow, columns) -> list[str]:
    shown = {"input_size": lambda: ", ".join(_shape(v) for v in r.input_shapes),
             "output_size": lambda: ", ".join(_shape(v) for v in r.output_shapes),
             "num_params": lambda: fmt_int(r.params),
             "kernel_size": lambda: "[" + ", ".join(str(k) for k in r.kernel) + "]" if r.kernel else "--",
             "mult_adds": lambda: fmt_int(r.macs)}
    return [shown[c]() for c in columns]


def _body(s: Summary, header, quote=str) -> list[list[str]]:
    """Layer rows (`quote`d), a header row before the first row of each group in s.headers."""
    body, current = [], None
    for r in s.rows:
        if r.group != current:
            current = r.group
            if r.group in s.headers:
                body.append(header(r.group))
        body.append([quote(c) for c in [r.layer] + _cells(r, s.columns)])
    return body


def _totals(s: Summary) -> list[tuple[str, str]]:
    t = s.totals
    rows = [("Total params", t.params), ("Trainable params", t.trainable_params)]
    if s.has_aux:
        rows.append(("Total params excluding auxiliary params", t.params_without_aux))
    rows.append(("Non-trainable params", s.non_trainable_params))
    if s.has_aux:
        rows.append(("Auxiliary-head params", s.aux_params))
    rows.append(("MACs per image (multiply-adds" + (", main path)" if s.has_aux else ")"), t.macs))
    if s.has_aux:
        rows.append(("MACs per image with auxiliary heads", t.macs_with_aux))
    return [(k, fmt_int(v)) for k, v in rows]


def _intro(s: Summary, quote) -> str:
    shape = "×".join(str(v) for v in s.input_shape)
    what = _settings(s.spec_path, s.variant, s.settings) if s.model is None else f"Model {quote(s.model)}"
    aux = ("so auxiliary heads are listed where they run" if s.model is None else
           "so auxiliary heads are listed where they run (the main output is the one with the longest "
           "weight-layer path; the paths to the others are the auxiliary heads)")
    called = (", and a layer a forward calls as a function is a row of its own, named by the call (conv2d())"
              if any(r.called for r in s.rows) else "")
    cols = ""
    if "mult_adds" in s.columns:
        cols += (" Mult-Adds are the multiply-adds of a layer's own ops (a product of two activations in no "
                 "listed module counts in the totals only).")
    return (f"{what}. One {shape} (C×H×W) input traced in training mode, {aux}; -1 is the batch dimension. "
            f"Param # counts the parameters a layer holds itself (weights, biases, batch-norm scale and shift), "
            f"each once; containers are not listed{called}.{cols} Totals count every parameter once; {MACS}.")


MACS = ("MACs are multiply-adds per image, of convolutions, linear layers and matrix products (FLOPs ≈ 2 × "
        "MACs)")


def render_torchsummary(s: Summary) -> str:
    """Markdown: the intro, the layer table, the totals table."""
    columns = len(s.columns)
    body = _body(s, lambda g: [f"**{esc(g)}**"] + ["---"] * columns, esc)
    layers = tabulate(body, headers=["Layer (type)"] + [HEADINGS[c] for c in s.columns], tablefmt="pipe",
                      colalign=("center",) * (1 + columns), disable_numparse=True)
    totals = tabulate(_totals(s), headers=["", ""], tablefmt="pipe", colalign=("left", "left"),
                      disable_numparse=True)
    return "\n".join([_intro(s, code), "", layers, "", totals, ""])


def render_summary_text(s: Summary) -> str:
    """The terminal's text: the same tables, plain."""
    columns = len(s.columns)
    body = _body(s, lambda g: [f"-- {g} --"] + [""] * columns)
    layers = tabulate(body, headers=["Layer (type)"] + [HEADINGS[c] for c in s.columns], tablefmt="simple",
                      disable_numparse=True)
    totals = tabulate(_totals(s), tablefmt="plain", colalign=("left", "right"), disable_numparse=True)
    return "\n".join([_intro(s, lambda v: f"`{v}`"), "", layers, "", totals, ""])


def _json_shape(shapes) -> list:
    out = [[-1, *v[1:]] for v in shapes]
    return out[0] if len(out) == 1 else out


def summary_json(s: Summary) -> dict:
    t = s.totals
    return {
        "spec": s.spec_path, "variant": s.variant, "settings": [[k, v] for k, v in s.settings], "model": s.model,
        "input": list(s.input_shape),
        "conventions": {"params": "every parameter once (weights, biases, batch-norm scale and shift)",
                        "macs": "multiply-adds per image, of convolutions, linear layers and matrix products; "
                                "FLOPs ≈ 2 × MACs",
                        "rows": "what a module holds and runs itself, with its unlisted descendants"},
        "rows": [{"name": r.name, "type": r.type, "input_shape": _json_shape(r.input_shapes),
                  "output_shape": _json_shape(r.output_shapes), "params": r.params, "macs": r.macs,
                  "kernel_size": list(r.kernel) if r.kernel else None} for r in s.rows],
        "totals": {"params": t.params, "trainable_params": t.trainable_params,
                   "non_trainable_params": s.non_trainable_params, "aux_params": s.aux_params,
                   "macs": t.macs, "macs_with_aux": t.macs_with_aux},
    }


def render_summary(s: Summary, fmt: str = "markdown") -> str:
    if fmt == "json":
        return json.dumps(summary_json(s), indent=2, ensure_ascii=False) + "\n"
    if fmt == "text":
        return render_summary_text(s)
    return render_torchsummary(s)


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
