"""Per-row measurements from a trace: shapes, counts, depth, kernels and the filters of tagged layers.

A RowSpan says where a spec row sits in a trace (its ops, input and output values, and which op
carries which template tag). For a model built from the spec, spans come from the row submodules
(`spans_from_built`); for someone else's model, from alignment (subject/align.py). Measuring is the same for both.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from .build import RowInfo
from .trace import Op, Trace

SPATIAL_KINDS = ("conv", "max_pool", "avg_pool")


@dataclass
class RowSpan:
    ops: list[Op]
    input: int | None
    output: int | None
    tags: dict[int, str] = field(default_factory=dict)   # op index -> tag
    repeats: int = 1                                      # modules of the model the span holds (a run's surplus)


@dataclass
class RowMeasure:
    name: str
    built: bool
    input: tuple[int, ...] | None = None     # [C, H, W] (batch dropped)
    output: tuple[int, ...] | None = None
    params: int = 0                           # every parameter first used in the row
    weights: int = 0                          # conv/linear weights
    macs: int = 0
    depth: int = 0                            # weight layers on the longest path through the row
    patch: tuple | None = None                # (kernel, stride) of the last conv/pool of the row
    stride: int = 1                           # the largest stride in the row
    filters: dict = field(default_factory=dict)   # tag -> output channels of the tagged layers
    pools: dict = field(default_factory=dict)     # tag -> "max" / "avg"
    dropout: float | None = None
    modules: int = 1                          # built rows that make up a printed row
    contributors: tuple[str, ...] = ()

    def as_json(self) -> dict:
        out = {"output": list(self.output) if self.output else None, "params": self.params,
               "weights": self.weights, "macs": self.macs, "depth": self.depth}
        if self.input is not None:
            out["input"] = list(self.input)
        if len(self.contributors) > 1 or (self.contributors and self.contributors[0] != self.name):
            out["built_rows"] = list(self.contributors)
        if not self.built:
            out["built"] = False
        return out


def spans_from_built(trace: Trace, rows: list[RowInfo], module_tags: dict[str, str]) -> dict[str, RowSpan]:
    """Row name -> span, for a model from build_model (rows are its direct submodules)."""
    calls = trace.calls_by_path()
    spans = {}
    for info in rows:
        call = calls.get(info.name)
        if call is None:
            continue
        ops = trace.ops[call.first_op:call.end_op]
        tags = {op.index: module_tags[op.module] for op in ops if op.module in module_tags}
        spans[info.name] = RowSpan(ops, call.inputs[0] if call.inputs else None,
                                   call.outputs[0] if call.outputs else None, tags)
    return spans


def _cwh(shape):
    if shape is None:
        return None
    dims = tuple(shape[1:])  # drop batch
    return dims


def measure_span(name: str, span: RowSpan, trace: Trace, shapes: dict[int, tuple]) -> RowMeasure:
    m = RowMeasure(name, True, modules=span.repeats, contributors=(name,))
    m.input = _cwh(shapes.get(span.input)) if span.input is not None else None
    m.output = _cwh(shapes.get(span.output)) if span.output is not None else m.input
    for op in span.ops:
        m.params += op.param_numel
        m.weights += op.weights
        m.macs += op.macs
        if op.kind in SPATIAL_KINDS or "kernel" in op.attrs:   # an evenly dividing adaptive pool has one too
            # The printed patch describes the row's main layer: the last one with a spatial kernel
            # (a 3×3 after its 1×1 reduce; the depthwise 7×7 of a separable conv, not its pointwise 1×1).
            if m.patch is None or max(op.attrs["kernel"]) > 1 or max(m.patch[0]) == 1:
                m.patch = (tuple(op.attrs["kernel"]), tuple(op.attrs["stride"]))
            m.stride = max(m.stride, max(op.attrs["stride"]))
        if op.kind == "dropout":
            m.dropout = op.attrs.get("p")
        tag = span.tags.get(op.index)
        if tag is not None:
            if op.kind in ("conv", "linear"):
                out_ch = op.attrs.get("out_channels", op.attrs.get("out_features", 0))
                m.filters[tag] = m.filters.get(tag, 0) + out_ch
            elif op.kind in ("max_pool", "avg_pool"):
                m.pools[tag] = op.attrs["pool"]
    if span.input is not None and span.output is not None:
        m.depth = trace.value_depth.get(span.output, 0) - trace.value_depth.get(span.input, 0)
    return m


def value_shapes(trace: Trace) -> dict[int, tuple]:
    shapes = {trace.input_id: (1, *trace.input_shape)}
    for op in trace.ops:
        for v in op.outputs:
            shapes[v] = op.out_shape
    for call in trace.calls:
        for v, s in zip(call.outputs, call.out_shapes):
            shapes.setdefault(v, s)
    return shapes


def combine(name: str, parts: list[RowMeasure], transitions: set[str]) -> RowMeasure:
    """A printed row made of several built rows ("3×Inception"): chain them."""
    if len(parts) == 1 and parts[0].name == name and name not in transitions:
        return parts[0]
    m = RowMeasure(name, True, input=parts[0].input, output=parts[-1].output,
                   contributors=tuple(p.name for p in parts))
    for p in parts:
        m.params += p.params
        m.weights += p.weights
        m.macs += p.macs
        m.depth += p.depth
        m.stride = max(m.stride, p.stride)
        for tag, ch in p.filters.items():
            m.filters.setdefault(tag, ch)
        for tag, kind in p.pools.items():
            m.pools.setdefault(tag, kind)
        if p.patch is not None:
            m.patch = p.patch
        if p.dropout is not None:
            m.dropout = p.dropout
    m.modules = sum(p.modules for p in parts if p.name not in transitions)
    return m
