"""Per-row measurements from a trace: shapes, counts, depth, kernels, the filters of tagged layers and
the main layers on the row's longest path.

A RowSpan says where a spec row sits in a trace (its ops, input and output values, and which op
carries which template tag). For a model built from the spec, spans come from the row submodules
(`spans_from_built`); for someone else's model, from alignment (subject/align.py). Measuring is the same for both.

A printed row can stand for several built units: the repetitions of a repeated row, the built rows
that name it in `paper_row`. Its measurement keeps them (`units`): input sizes are compared with the
first, output sizes with the last, counts with the sum, and filters and layer notations with every
unit (compare.py), so a change to a later unit cannot pass unseen.
"""
from __future__ import annotations

from dataclasses import dataclass, field, replace

from .build import RowInfo
from .spec import Spec
from .spec.expansion import repeat_count
from .trace import Op, Trace

SPATIAL_KINDS = ("conv", "max_pool", "avg_pool")
MAIN_KINDS = ("conv", "linear", "max_pool", "avg_pool", "adaptive_pool", "lrn")   # what a path lists


@dataclass
class RowSpan:
    ops: list[Op]
    input: int | None
    output: int | None
    tags: dict[int, str] = field(default_factory=dict)   # op index -> tag
    parts: list["RowSpan"] = field(default_factory=list)  # a repeated row: one span per repetition
    repeats: int = 1                                      # modules of the model the span holds (a run's surplus)


@dataclass(frozen=True)
class LayerInfo:
    """One main layer as a paper's layer notations describe it (conv3-64, [3×3, 64], 3 × 3 × 32 dw)."""

    kind: str                         # conv | linear | pool | lrn
    kernel: tuple | None = None       # (h, w)
    stride: tuple | None = None       # (h, w); a linear layer has (1, 1)
    in_channels: int | None = None
    out_channels: int | None = None
    depthwise: bool = False
    pool: str | None = None           # max | avg
    global_pool: bool = False         # an adaptive pool to 1×1


def layer_info(op: Op) -> LayerInfo | None:
    a = op.attrs
    if op.kind == "conv":
        return LayerInfo("conv", tuple(a["kernel"]), tuple(a["stride"]), a["in_channels"], a["out_channels"],
                         bool(a.get("depthwise")))
    if op.kind == "linear":
        return LayerInfo("linear", None, (1, 1), a["in_features"], a["out_features"])
    if op.kind in ("max_pool", "avg_pool", "adaptive_pool"):
        kernel = tuple(a["kernel"]) if "kernel" in a else None
        stride = tuple(a["stride"]) if "stride" in a else None
        return LayerInfo("pool", kernel, stride, pool=a.get("pool"),
                         global_pool=op.kind == "adaptive_pool" and all(o == 1 for o in a.get("output_size", ())))
    if op.kind == "lrn":
        return LayerInfo("lrn")
    return None


def main_path(ops: list[Op], output: int | None) -> tuple[LayerInfo, ...]:
    """The main layers (conv, linear, pool, LRN) on the longest path to `output`, counted in main
    layers: a bottleneck's three convs, not its projection shortcut; a dense layer's two convs, not
    the identity it is concatenated with. Ties go to the first input (the first branch)."""
    best: dict[int, tuple[int, tuple | None]] = {}     # value -> (length, linked list (info, previous))
    for op in ops:
        length, node = max((best[v] for v in op.inputs if v in best), key=lambda b: b[0], default=(0, None))
        info = layer_info(op) if op.kind in MAIN_KINDS else None
        if info is not None:
            length, node = length + 1, (info, node)
        for v in op.outputs:
            best[v] = (length, node)
    node = best.get(output, (0, None))[1] if output is not None else None
    path = []
    while node is not None:
        path.append(node[0])
        node = node[1]
    return tuple(reversed(path))


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
    modules: int = 1                          # built units that make up a printed row (transitions excluded)
    contributors: tuple[str, ...] = ()
    path: tuple[LayerInfo, ...] = ()          # main layers on the longest path through the row
    units: tuple["RowMeasure", ...] = ()      # the built units it stands for (empty: itself alone)
    transition: bool = False                  # a unit outside the printed repeat count (a grid reduction)

    def members(self) -> tuple["RowMeasure", ...]:
        """The built units, in order: repetitions, then the rows naming it in `paper_row`."""
        return self.units or (self,)

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

    def span(path: str) -> RowSpan | None:
        call = calls.get(path)
        if call is None:
            return None
        ops = trace.ops[call.first_op:call.end_op]
        tags = {op.index: module_tags[op.module] for op in ops if op.module in module_tags}
        return RowSpan(ops, call.inputs[0] if call.inputs else None, call.outputs[0] if call.outputs else None, tags)

    for info in rows:
        whole = span(info.name)
        if whole is None:
            continue
        if info.repeat is not None:
            whole.parts = [p for i in range(info.repeat) if (p := span(f"{info.name}.{i}")) is not None]
        spans[info.name] = whole
    return spans


def split_repetitions(span: RowSpan, n: int) -> list[RowSpan]:
    """A repeated row's span that came without its repetitions (a foreign model's, from alignment), cut
    into `n` units of equal main-layer count at cut values: values after which no op of the span uses
    anything computed before them (a residual block's output, not a value its shortcut still needs).
    Each cut is the last one at its main-layer count, so a trailing ReLU stays with its block. [] when
    the span cannot be cut so (it is then measured as one unit, and a printed repeat count says so)."""
    ops = span.ops
    if n == 1:
        return [span]
    mains = sum(1 for op in ops if op.kind in MAIN_KINDS)
    if n < 1 or not ops or mains % n:
        return []
    last_use: dict[int, int] = {}
    for i, op in enumerate(ops):
        for v in op.inputs:
            last_use[v] = i
    reach = last_use.get(span.input, -1)   # the last op using anything computed so far
    cuts: dict[int, int] = {}              # main layers so far -> the last cut (op index) at that count
    count = 0
    for i, op in enumerate(ops):
        count += op.kind in MAIN_KINDS
        if reach <= i and len(op.outputs) == 1 and 0 < count < mains:
            cuts[count] = i
        reach = max([reach] + [last_use.get(v, -1) for v in op.outputs])
    step = mains // n
    ends = [cuts.get(step * j) for j in range(1, n)]
    if any(e is None for e in ends):
        return []
    parts, start, entry = [], 0, span.input
    for end in ends + [len(ops) - 1]:
        piece = ops[start:end + 1]
        out = piece[-1].outputs[0] if end < len(ops) - 1 else span.output
        parts.append(RowSpan(piece, entry, out, {i: t for i, t in span.tags.items() if piece[0].index <= i <= piece[-1].index}))
        start, entry = end + 1, out
    return parts


def _cwh(shape):
    if shape is None:
        return None
    dims = tuple(shape[1:])  # drop batch
    return dims


def measure_span(name: str, span: RowSpan, trace: Trace, shapes: dict[int, tuple]) -> RowMeasure:
    m = RowMeasure(name, True, modules=span.repeats, contributors=(name,), path=main_path(span.ops, span.output))
    if span.parts:
        m.units = tuple(measure_span(f"{name}.{i}", part, trace, shapes) for i, part in enumerate(span.parts))
        m.modules = sum(u.modules for u in m.units)
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
    if span.repeats > 1:
        # A foreign model's span holding a run's surplus modules (10 blocks where the paper has 5): a
        # width cell describes one module of the run; the differ compares every surplus module with the
        # paper's block, and the count is its own finding.
        m.filters = {tag: ch // span.repeats if ch % span.repeats == 0 else ch for tag, ch in m.filters.items()}
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
    """A printed row made of several built rows ("3×Inception"): chain them, keeping every unit."""
    if len(parts) == 1 and parts[0].name == name and name not in transitions:
        return parts[0]
    units = tuple(u if p.name not in transitions else _as_transition(u) for p in parts for u in p.members())
    m = RowMeasure(name, True, input=parts[0].input, output=parts[-1].output,
                   contributors=tuple(p.name for p in parts), units=units)
    path = []
    for p in parts:
        path += p.path
    m.path = tuple(path)
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
    m.modules = sum(u.modules for u in units if not u.transition)
    return m


def _as_transition(unit: RowMeasure) -> RowMeasure:
    return replace(unit, transition=True)


def measure_rows(spec: Spec, trace: Trace, spans: dict) -> dict[str, RowMeasure]:
    """Row name -> measurement; printed rows absorb the built rows that name them in `paper_row`."""
    shapes = value_shapes(trace)
    own = {name: measure_span(name, span, trace, shapes) for name, span in spans.items()}
    active = [r for r in spec.rows if all(c.holds(spec.options) for c in r.when)]
    transitions = {r.name for r in active if r.transition}
    for r in active:     # a foreign model's repeated row: its repetitions from the dataflow
        span = spans.get(r.name)
        if r.repeat is not None and span is not None and not span.parts and r.name in own:
            # as many repetitions as the subject has where its run's count differs (span.repeats)
            parts = split_repetitions(span, span.repeats if span.repeats > 1 else repeat_count(r, spec.options) or 1)
            if parts:
                own[r.name] = measure_span(r.name, RowSpan(span.ops, span.input, span.output, span.tags, parts, span.repeats),
                                           trace, shapes)
    members: dict[str, list[RowMeasure]] = {}    # printed row -> built rows naming it in `paper_row`
    for r in active:
        if r.paper_row is not None and r.name in own:
            members.setdefault(r.paper_row, []).append(own[r.name])
    out = dict(own)
    previous_output = tuple(spec.input)
    for row in active:
        if row.virtual:
            out[row.name] = RowMeasure(row.name, True, input=previous_output, output=previous_output,
                                       contributors=(row.name,))
        elif row.absent is not None:
            out[row.name] = RowMeasure(row.name, False, contributors=())
        if row.paper is not None:
            parts = [out[row.name]] if row.name in own else []
            parts += members.get(row.name, [])
            if parts and not row.virtual:
                out[row.name] = combine(row.name, parts, transitions)
        m = out.get(row.name)
        if m is not None and m.output is not None and not row.aux:
            previous_output = m.output
    return out
