"""Model-summary data (torchsummary style) from a Trace: one row per layer, in the order layers finish.

The trace records every module call in post-order with the parameters the module holds directly, its
input and output values and the ops it ran (Trace.calls), which is what torchsummary lists. As
torchsummary does, containers (nn.Sequential, nn.ModuleList, nn.ModuleDict) and the root are left out,
and a block such as InceptionBlock gets its own row after its children, with what it does itself (a
concatenation). With `max_depth` only modules nested at most that deep are listed (top-level children
are depth 1; a container at the last listed depth is listed too), each holding what its unlisted
descendants hold: every op's multiply-adds and every call's parameters belong to the nearest listed
call around them. A layer op outside every listed module (`F.conv2d` in the root's forward) is a row
of its own, named by the call; other ops outside them (a product of two activations) are in the totals
only.

Headers: a bold header row names each group (the top-level child a row belongs to) in `headers`. For a
spec's build these are the rows built from a branching template and the auxiliary heads; for someone's
model, the top-level children that hold more than one listed row.

Totals are the network's (pipeline.network_totals): every parameter once; MACs of the main path (the
auxiliary heads' apart, `macs_with_aux` beside), the main output being the spec's first or, for a
model, the one with the longest weight-layer path.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:      # registering the CLI reads COLUMNS: no torch at import
    from .report import Totals
    from .trace import Trace

CONTAINERS = ("Sequential", "ModuleList", "ModuleDict")
COLUMNS = ("input_size", "output_size", "num_params", "kernel_size", "mult_adds")   # torchinfo's col_names
DEFAULT_COLUMNS = ("output_size", "num_params")

# Module class -> the name a summary table shows (the wording of hand-made README summaries).
DISPLAY_NAMES = {
    "Conv1d": "1D convolution", "Conv2d": "2D convolution", "Conv3d": "3D convolution",
    "BatchNorm1d": "1D batch norm", "BatchNorm2d": "2D batch norm", "BatchNorm3d": "3D batch norm",
    "MaxPool2d": "2D max pool", "AvgPool2d": "2D average pool",
    "AdaptiveAvgPool2d": "2D adaptive average pool", "AdaptiveMaxPool2d": "2D adaptive max pool",
    "LocalResponseNorm": "local response norm",
}


def display_name(module_type: str) -> str:
    return DISPLAY_NAMES.get(module_type, module_type)


@dataclass(frozen=True)
class SummaryRow:
    name: str                                   # the module's path ("inception_3a.branch1.conv")
    type: str                                   # its class ("Conv2d")
    group: str                                  # the top-level child it belongs to
    input_shapes: tuple[tuple[int, ...], ...]   # batch included
    output_shapes: tuple[tuple[int, ...], ...]
    params: int                                 # parameters it holds (with its unlisted descendants')
    macs: int                                   # multiply-adds of its ops (with its unlisted descendants')
    kernel: tuple | None                        # the kernel of its own conv or pool

    @property
    def layer(self) -> str:
        # a container (listed only at --max-depth) says which one it is: "Sequential (features)"
        return f"{self.type} ({self.name})" if self.type in CONTAINERS else display_name(self.type)

    @property
    def called(self) -> bool:
        """A layer op no listed module holds, named by the function a forward called ("conv2d()")."""
        return self.type.endswith("()")


@dataclass(frozen=True)
class Summary:
    spec_path: str | None               # the spec whose build is summarised, or None for a model
    variant: str | None
    settings: tuple                     # (key, value) overrides applied to the spec
    model: str | None                   # the model's REF or "Net object", or None for a spec's build
    input_shape: tuple[int, ...]        # C, H, W
    rows: tuple[SummaryRow, ...]
    headers: frozenset                  # groups that get a header row
    totals: "Totals"
    has_aux: bool                       # the network has auxiliary heads (paths to outputs besides the main one)
    columns: tuple[str, ...] = DEFAULT_COLUMNS

    @property
    def total_params(self) -> int:
        return self.totals.params

    @property
    def trainable_params(self) -> int:
        return self.totals.trainable_params

    @property
    def non_trainable_params(self) -> int:
        return self.totals.params - self.totals.trainable_params

    @property
    def aux_params(self) -> int:
        return self.totals.params - self.totals.params_without_aux

    @property
    def macs(self) -> int:
        return self.totals.macs

    def to_markdown(self) -> str:
        return self._rendered("markdown")

    def to_text(self) -> str:
        return self._rendered("text")

    def to_json(self) -> str:
        return self._rendered("json")

    def _rendered(self, fmt: str) -> str:
        from .output import printable
        from .render.summary import render_summary
        return printable(render_summary(self, fmt))


def summary_rows(trace: Trace, max_depth: int | None = None) -> list[SummaryRow]:
    """The listed module calls, in post-order, each with what it and its unlisted descendants hold; and
    the layer ops no listed module holds (see _functional_row), in execution order among them."""
    shapes = _value_shapes(trace)
    cum = [0]
    for op in trace.ops:
        cum.append(cum[-1] + op.macs)
    pending: list = []          # (depth, ops range macs, carried macs, carried params) of calls awaiting a parent
    placed, covered = [], set()  # (position, row); op indices inside a listed call
    for call in trace.calls:
        children = []
        while pending and pending[-1][0] > call.depth:
            children.append(pending.pop())
        in_range = cum[call.end_op] - cum[call.first_op]
        macs = in_range - sum(c[1] for c in children) + sum(c[2] for c in children)
        params = call.own_params + sum(c[3] for c in children)
        listed = bool(call.path) and (max_depth is None or call.depth <= max_depth) and (
            call.type not in CONTAINERS or call.depth == max_depth)
        if listed:
            placed.append((call.end_op - 1, SummaryRow(
                call.path, call.type, call.path.split(".", 1)[0], tuple(shapes[v] for v in call.inputs if v in shapes),
                tuple(call.out_shapes), params, macs, _kernel(trace, call))))
            covered.update(range(call.first_op, call.end_op))
        pending.append((call.depth, in_range, 0 if listed else macs, 0 if listed else params))
    seen: dict = {}
    for op in trace.ops:
        if op.index not in covered and (op.is_weight_or_depthwise or op.kind in ("max_pool", "avg_pool", "adaptive_pool")):
            placed.append((op.index, _functional_row(op, shapes, seen)))
    return [row for _, row in sorted(placed, key=lambda item: item[0])]


def _functional_row(op, shapes: dict, seen: dict) -> SummaryRow:
    """A layer op no listed module holds: `F.conv2d(x, self.w["conv1"])` in a forward (the root's, a
    container's) is a layer of the network too. Its row is named by the call ("conv2d()"; JSON name
    "conv2d-1", numbered as torchsummary numbers) and carries the parameters first used there."""
    base = f"{op.module}.{op.name}" if op.module else op.name
    seen[base] = seen.get(base, 0) + 1
    kernel = tuple(op.attrs["kernel"]) if "kernel" in op.attrs else None
    return SummaryRow(f"{base}-{seen[base]}", f"{op.name}()", op.module.split(".", 1)[0],
                      tuple(shapes[v] for v in op.inputs if v in shapes), (op.out_shape,), op.param_numel, op.macs,
                      kernel)


def _value_shapes(trace: Trace) -> dict:
    from .measure import value_shapes
    return value_shapes(trace)


def _kernel(trace: Trace, call) -> tuple | None:
    for op in trace.ops[call.first_op:call.end_op]:
        if op.module == call.path and op.kind in ("conv", "max_pool", "avg_pool") and "kernel" in op.attrs:
            return tuple(op.attrs["kernel"])
    return None


def groups_with_several_rows(rows) -> frozenset:
    """A model's header rows: its top-level children with more than one listed module (a module called
    twice is one)."""
    names: dict = {}
    for r in rows:
        names.setdefault(r.group, set()).add(r.name)
    return frozenset(g for g, n in names.items() if len(n) > 1 and g)     # "": layers the root's forward calls


def spec_headers(spec) -> frozenset:
    """A spec's header rows: its modules built from a branching template, and its auxiliary heads."""
    out = set()
    for row in spec.rows:
        template = spec.templates.get(row.template) if row.template else None
        if row.aux or (template is not None and template.merge != "sequence"):
            if all(c.holds(spec.options) for c in row.when):
                out.add(row.name)
    return frozenset(out)


def summarize_spec(spec, trace: Trace, spans: dict, max_depth=None, columns=DEFAULT_COLUMNS) -> Summary:
    """The summary of a spec's build (traced by pipeline.trace_spec)."""
    from .pipeline import totals_of
    rows = tuple(summary_rows(trace, max_depth))
    aux = any(spans[r.name].ops for r in spec.rows if r.aux and r.name in spans)
    return Summary(spec.path, spec.variant, tuple(spec.settings), None, tuple(spec.input), rows,
                   spec_headers(spec) & groups_with_several_rows(rows), totals_of(trace, spec, spans), aux,
                   tuple(columns))


def summarize_model(trace: Trace, name: str, max_depth=None, columns=DEFAULT_COLUMNS) -> Summary:
    """The summary of someone's model: its main output the one with the longest weight-layer path, the
    paths to its other outputs auxiliary heads (as verify --model reads them)."""
    from .pipeline import network_totals
    from .subject.align import longest_output, read_subject
    from .subject.units import Graph, Reader

    main_out = longest_output(trace)
    aux_ops: set = set()
    if main_out is not None:
        for head in read_subject(Reader(), trace, Graph(trace), main_out).aux:
            aux_ops |= head.ops
    totals = network_totals(trace, [trace.ops[i] for i in sorted(aux_ops)], main_out)
    rows = tuple(summary_rows(trace, max_depth))
    return Summary(None, None, (), name, tuple(trace.input_shape), rows, groups_with_several_rows(rows), totals,
                   bool(aux_ops), tuple(columns))


def summary(model, input_size, model_args=None, max_depth=None, columns=None) -> Summary:
    """archcheck.summary: `model` an nn.Module instance, class, factory or REF, traced in training mode on
    one input of `input_size` (C, H, W; a leading batch of 1 accepted)."""
    from .subject.load import as_input_size, as_subject, trace_subject

    shape = as_input_size(input_size)
    check_depth(max_depth)
    subject = as_subject(model, model_args)
    trace = trace_subject(subject.module, shape, subject.name, "the given input")
    return summarize_model(trace, subject.name, max_depth, check_columns(DEFAULT_COLUMNS if columns is None else columns))


def check_depth(max_depth) -> None:
    from .errors import InputError, Problem

    if max_depth is not None and (not isinstance(max_depth, int) or isinstance(max_depth, bool) or max_depth < 1):
        raise InputError([Problem("--max-depth", None, None, "", f"expected 1 or more (top-level children are "
                                                                   f"depth 1), found {max_depth!r}")])


def check_columns(columns) -> tuple[str, ...]:
    """Column names as torchinfo's col_names spells them, each once, in the order given."""
    from .errors import InputError, Problem

    names = tuple(columns)
    bad = [c for c in names if c not in COLUMNS]
    if bad or not names or len(set(names)) != len(names):
        what = f"unknown column {bad[0]!r}" if bad else "each column once" if names else "at least one column"
        raise InputError([Problem("--columns", None, None, "", f"{what}; expected some of {', '.join(COLUMNS)}")])
    return names
