"""Model-summary data (torchsummary style) from a Trace: one line per layer, in the order layers finish.

The trace records every module call in post-order with the parameters the module holds directly and
its output shapes (Trace.calls), which is what torchsummary lists. As torchsummary does, containers
(nn.Sequential, nn.ModuleList, nn.ModuleDict) and the root are left out, and a block such as
InceptionBlock gets its own 0-parameter line after its children. A bold header line names each spec
row that is a module built from a branching template, or an auxiliary head.
"""
from __future__ import annotations

from dataclasses import dataclass

from .spec import Spec
from .trace import Trace

CONTAINERS = ("Sequential", "ModuleList", "ModuleDict")

# Module class -> the name a summary table shows (the wording of hand-made README summaries).
DISPLAY_NAMES = {
    "Conv1d": "1D convolution", "Conv2d": "2D convolution", "Conv3d": "3D convolution",
    "BatchNorm1d": "1D batch norm", "BatchNorm2d": "2D batch norm", "BatchNorm3d": "3D batch norm",
    "MaxPool2d": "2D max pool", "AvgPool2d": "2D average pool",
    "AdaptiveAvgPool2d": "2D adaptive average pool", "AdaptiveMaxPool2d": "2D adaptive max pool",
    "LocalResponseNorm": "local response norm",
}


@dataclass(frozen=True)
class SummaryLine:
    layer: str                          # display name, or the spec row's name on a header line
    shapes: tuple[tuple[int, ...], ...]  # output shapes, batch included (empty on a header line)
    params: int | None                  # parameters the module holds directly; None on a header line
    row: str                            # the spec row the line belongs to
    header: bool = False


@dataclass(frozen=True)
class Summary:
    spec_path: str
    variant: str | None
    settings: tuple
    input_shape: tuple[int, ...]
    lines: tuple[SummaryLine, ...]
    total_params: int
    trainable_params: int
    params_without_aux: int

    @property
    def non_trainable_params(self) -> int:
        return self.total_params - self.trainable_params


def display_name(module_type: str) -> str:
    return DISPLAY_NAMES.get(module_type, module_type)


def _header_rows(spec: Spec) -> set[str]:
    """Rows that get a bold header line: branching-template modules and auxiliary heads."""
    out = set()
    for row in spec.rows:
        template = spec.templates.get(row.template) if row.template else None
        if row.aux or (template is not None and template.merge != "sequence"):
            if all(c.holds(spec.options) for c in row.when):
                out.add(row.name)
    return out


def summary_lines(spec: Spec, trace: Trace) -> list[SummaryLine]:
    headers = _header_rows(spec)
    lines, current = [], None
    for call in trace.calls:
        if not call.path or call.type in CONTAINERS:
            continue
        row = call.path.split(".", 1)[0]
        if row != current:
            current = row
            if row in headers:
                lines.append(SummaryLine(row, (), None, row, header=True))
        lines.append(SummaryLine(display_name(call.type), call.out_shapes, call.own_params, row))
    return lines


def summarize(spec: Spec, trace: Trace, params_without_aux: int) -> Summary:
    return Summary(spec.path, spec.variant, tuple(spec.settings), tuple(spec.input),
                   tuple(summary_lines(spec, trace)), trace.total_params, trace.trainable_params,
                   params_without_aux)
