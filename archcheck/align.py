"""Align a spec's rows with someone else's model: which ops of its trace make up each row of the table.

Both networks, the reference built from the spec and the subject, are read the same way from their traces:

- The main chain runs from the input to the main output. An op every path passes through is a *cut*
  (in execution order, no edge jumps over it); two consecutive cuts with ops between them enclose a
  *block*: its branches are the paths from the block's input to each input of the merging op (a
  concatenation or a residual sum). A concatenation nested at the end of a branch is flattened into the
  outer one, so `cat([a, cat([b, c])])` and `cat([a, b, c])` read alike.
- A *unit* is one layer (a conv, linear or pool with the batch norm and activation that follow it; a
  depthwise conv and its pointwise 1×1 together form a separable conv), a block, or a weightless op
  (LRN, dropout, reshape...).
- Units are matched by sequence alignment: equal layers cost nothing, a changed layer a little, a
  missing or extra layer a lot, a missing or extra weightless op almost nothing. Blocks match by their
  branches, whatever their order and names (an assignment of branches minimising the same cost).
- Auxiliary heads are the paths to the model's other outputs; each is matched to the spec's aux row
  that hangs off the same row.

Reference units know their spec row (from the built model's row modules), so the alignment gives each
row its subject ops (a RowSpan, measured and compared like a built row) and the differences, which
differences.py phrases in the paper's terms.
"""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

from .measure import RowSpan
from .trace import Op, Trace

LAYERS = ("conv", "sepconv", "linear", "pool")
DECORATIONS = ("norm", "act")
WEIGHTLESS = ("lrn", "dropout", "norm", "act", "reshape", "scale", "other")

INDEL = 3.0        # a missing or extra layer or block
SKIP = 0.1         # a missing or extra weightless op
CHANGE = 0.5       # per changed attribute of a matched layer
CHANGE_CAP = 2.5   # a changed layer always costs less than a deletion plus an insertion
INF = float("inf")


@dataclass(eq=False)
class Unit:
    kind: str                       # conv | sepconv | linear | pool | block | lrn | dropout | norm | act | ...
    main: Op                        # the layer's op; a block's merging op
    inp: int                        # value ids
    out: int
    ops: list = field(default_factory=list)
    deco: list = field(default_factory=list)       # norm / act ops after the layer
    point: Op | None = None                         # sepconv: the pointwise 1×1
    branches: list = field(default_factory=list)   # block: list of Branch

    @property
    def weightless(self) -> bool:
        if self.kind == "block":
            return not any(op.is_weight_layer or op.kind in ("max_pool", "avg_pool", "adaptive_pool")
                           for op in self.ops)
        return self.kind in WEIGHTLESS


@dataclass(eq=False)
class Branch:
    units: list
    name: str = ""


class Graph:
    """Producers and consumers of the values of one trace."""

    def __init__(self, trace: Trace):
        self.trace = trace
        self.ops = trace.ops
        self.producer = {v: op.index for op in trace.ops for v in op.outputs}
        self.consumers = defaultdict(list)
        for op in trace.ops:
            for v in dict.fromkeys(op.inputs):
                self.consumers[v].append(op.index)

    def downstream(self, values) -> set[int]:
        seen, stack = set(), list(values)
        while stack:
            for i in self.consumers.get(stack.pop(), ()):
                if i not in seen:
                    seen.add(i)
                    stack.extend(self.ops[i].outputs)
        return seen

    def upstream(self, values, within: set[int]) -> set[int]:
        seen, stack = set(), list(values)
        while stack:
            i = self.producer.get(stack.pop())
            if i is None or i in seen or i not in within:
                continue
            seen.add(i)
            stack.extend(self.ops[i].inputs)
        return seen

    def region(self, src: int, dst: int, within: set[int] | None = None) -> list[int]:
        """Op indices on some path from value src to value dst, in execution order."""
        ahead = self.downstream([src])
        if within is not None:
            ahead &= within
        return sorted(self.upstream([dst], ahead))

    # -- decomposition into units ------------------------------------------------------------------
    def chain(self, region: list[int], src: int, dst: int, same=None) -> list[Unit]:
        """The units from src to dst; `same(a, b)` says whether two ops may share a unit."""
        pos = {i: k for k, i in enumerate(region)}
        crossing = [0] * (len(region) + 1)
        for k, i in enumerate(region):
            for v in dict.fromkeys(self.ops[i].inputs):
                p = -1 if v == src else pos.get(self.producer.get(v), None)
                if p is not None and k - p > 1:
                    crossing[p + 1] += 1
                    crossing[k] -= 1
        units, running, prev, value = [], 0, -1, src
        for k, i in enumerate(region):
            running += crossing[k]
            if running:
                continue
            op = self.ops[i]
            if k == prev + 1:
                units.append(Unit(_kind(op), op, value, op.outputs[0], [op]))
            else:
                units.append(self.block(region[prev + 1:k], op, value, same))
            prev, value = k, op.outputs[0]
        return _group(units, same)

    def block(self, inner: list[int], merge: Op, src: int, same) -> Unit:
        inside = set(inner)
        branches = []
        for v in dict.fromkeys(merge.inputs):
            if v == src:
                branches.append(Branch([]))
                continue
            if self.producer.get(v) not in inside:
                continue  # a constant or buffer, not a path from the block's input
            units = self.chain(sorted(self.upstream([v], inside)), src, v, same)
            last = units[-1] if units else None
            if (merge.kind == "cat" and last is not None and last.kind == "block" and last.main.kind == "cat"
                    and last.main.attrs.get("dim") == merge.attrs.get("dim")
                    and self.consumers.get(last.out) == [merge.index]):
                branches += [Branch(units[:-1] + b.units) for b in last.branches]
            else:
                branches.append(Branch(units))
        ops = [self.ops[i] for i in inner] + [merge]
        return Unit("block", merge, src, merge.outputs[0], ops, branches=branches)


def _kind(op: Op) -> str:
    k = op.kind
    if k in ("conv", "linear", "lrn", "norm", "act", "dropout", "reshape"):
        return k
    if k == "matmul":
        return "linear" if op.weights else "other"
    if k in ("max_pool", "avg_pool", "adaptive_pool"):
        return "pool"
    if k in ("add", "mul"):
        return "scale"
    return "other"


def _pointwise(op: Op) -> bool:
    return op.kind == "conv" and max(op.attrs["kernel"]) == 1 and op.attrs["groups"] == 1


def _group(units: list[Unit], same) -> list[Unit]:
    """Attach batch norm / activations to the layer before them; join depthwise + pointwise."""
    out: list[Unit] = []
    for u in units:
        prev = out[-1] if out else None
        joinable = prev is not None and (same is None or same(prev.main, u.main))
        if joinable and u.kind in DECORATIONS and prev.kind in LAYERS:
            prev.deco.append(u.main)
        elif (joinable and u.kind == "conv" and _pointwise(u.main) and prev.kind == "conv"
              and prev.main.attrs.get("depthwise") and prev.point is None):
            prev.kind, prev.point = "sepconv", u.main
            prev.deco = []  # decorations between the depthwise and pointwise parts stay in ops
        else:
            out.append(u)
            continue
        prev.ops.append(u.main)
        prev.out = u.out
    return out


# -- signatures and costs ------------------------------------------------------------------------------

def spatial(op: Op, which: str = "out") -> tuple:
    shape = op.out_shape if which == "out" else (op.in_shapes[0] if op.in_shapes else ())
    return tuple(shape[2:])


def is_global_pool(op: Op) -> bool:
    """A pool with a single window over its whole input (avg 7×7 on 7×7, adaptive to 1×1)."""
    out = spatial(op)
    if not out or any(v != 1 for v in out):
        return False
    if op.attrs.get("adaptive"):
        return True
    k, p = op.attrs.get("kernel", ()), op.attrs.get("padding", ())
    return all(kk >= n for kk, n in zip(k, spatial(op, "in"))) and not any(p)


def layer_attrs(u: Unit) -> dict:
    """The attributes of a layer that the paper's table and figures fix."""
    op = u.main
    if u.kind in ("conv", "sepconv"):
        last = u.point or op
        a = {"kernel": tuple(op.attrs["kernel"]), "stride": tuple(op.attrs["stride"]),
             "out": last.attrs["out_channels"], "size": spatial(last),
             "dilation": tuple(op.attrs["dilation"])}
        if u.kind == "sepconv":
            a["multiplier"] = op.attrs["out_channels"] // max(1, op.attrs["in_channels"])
        else:
            a["groups"] = op.attrs["groups"]
        return a
    if u.kind == "linear":
        return {"out": op.out_shape[-1] if op.out_shape else 0}
    if u.kind == "pool":
        if is_global_pool(op):
            return {"type": op.attrs["pool"], "global": True}
        if "kernel" not in op.attrs:   # an adaptive pool that does not divide its input evenly
            return {"type": op.attrs["pool"], "adaptive": tuple(op.attrs["output_size"]), "size": spatial(op)}
        return {"type": op.attrs["pool"], "kernel": tuple(op.attrs["kernel"]), "stride": tuple(op.attrs["stride"]),
                "size": spatial(op)}
    return {}


class Matcher:
    """Alignment costs, memoised per pair of units."""

    def __init__(self):
        self.memo: dict = {}

    def cost(self, r: Unit, s: Unit) -> float:
        key = (id(r), id(s))
        if key not in self.memo:
            self.memo[key] = self._cost(r, s)
        return self.memo[key]

    def _cost(self, r: Unit, s: Unit) -> float:
        if r.weightless or s.weightless:
            if not (r.weightless and s.weightless) or r.kind != s.kind:
                return INF
            if r.kind == "norm" and r.main.attrs.get("norm") != s.main.attrs.get("norm"):
                return INF
            return 0.0
        kinds = {r.kind, s.kind}
        if kinds == {"conv", "sepconv"}:
            ra, sa = layer_attrs(r), layer_attrs(s)
            return min(CHANGE_CAP, 1.0 + CHANGE * _diffs(ra, sa, ("kernel", "stride", "out", "size")))
        if kinds == {"conv", "linear"}:
            return 2.0
        if r.kind != s.kind:
            return INF
        if r.kind == "block":
            c = self.block(r, s)[0] * 0.25
            if r.main.kind != s.main.kind:
                c += 1.0
            if r.main.out_shape != s.main.out_shape:
                c += CHANGE
            return min(CHANGE_CAP, c)
        ra, sa = layer_attrs(r), layer_attrs(s)
        return min(CHANGE_CAP, CHANGE * _diffs(ra, sa, sorted(set(ra) | set(sa))))

    def indel(self, u: Unit) -> float:
        return SKIP if u.weightless else INDEL

    def branch_indel(self, b: Branch) -> float:
        return sum(self.indel(u) for u in b.units) if b.units else 1.0

    def sequence(self, R: list[Unit], S: list[Unit]):
        """-> (cost, pairs): the cheapest alignment, pairs of (ref unit | None, subject unit | None)."""
        key = ("s", tuple(map(id, R)), tuple(map(id, S)))
        if key not in self.memo:
            self.memo[key] = self._sequence(R, S)
        return self.memo[key]

    def _sequence(self, R: list[Unit], S: list[Unit]):
        n, m = len(R), len(S)
        D = [[0.0] * (m + 1) for _ in range(n + 1)]
        for i in range(1, n + 1):
            D[i][0] = D[i - 1][0] + self.indel(R[i - 1])
        for j in range(1, m + 1):
            D[0][j] = D[0][j - 1] + self.indel(S[j - 1])
        for i in range(1, n + 1):
            for j in range(1, m + 1):
                D[i][j] = min(D[i - 1][j - 1] + self.cost(R[i - 1], S[j - 1]),
                              D[i - 1][j] + self.indel(R[i - 1]),
                              D[i][j - 1] + self.indel(S[j - 1]))
        pairs, i, j = [], n, m
        while i or j:
            if i and j and D[i][j] == D[i - 1][j - 1] + self.cost(R[i - 1], S[j - 1]):
                pairs.append((R[i - 1], S[j - 1]))
                i, j = i - 1, j - 1
            elif i and D[i][j] == D[i - 1][j] + self.indel(R[i - 1]):
                pairs.append((R[i - 1], None))
                i -= 1
            else:
                pairs.append((None, S[j - 1]))
                j -= 1
        return D[n][m], pairs[::-1]

    def block(self, r: Unit, s: Unit):
        """-> (cost, [(ref branch | None, subject branch | None)]): branches matched whatever their order."""
        key = ("b", id(r), id(s))
        if key in self.memo:
            return self.memo[key]
        R, S = r.branches, s.branches
        C = [[self.sequence(a.units, b.units)[0] for b in S] for a in R]
        miss_r = [self.branch_indel(a) for a in R]
        miss_s = [self.branch_indel(b) for b in S]
        best: dict = {}

        def solve(i: int, used: int):
            # minimum cost of assigning ref branches i.. given the subject branches already used
            if i == len(R):
                return sum(c for j, c in enumerate(miss_s) if not used >> j & 1), ()
            if (i, used) in best:
                return best[(i, used)]
            rest, plan = solve(i + 1, used)
            choice = (miss_r[i] + rest, (None,) + plan)
            for j in range(len(S)):
                if not used >> j & 1:
                    rest, plan = solve(i + 1, used | 1 << j)
                    if C[i][j] + rest < choice[0]:
                        choice = (C[i][j] + rest, (j,) + plan)
            best[(i, used)] = choice
            return choice

        cost, plan = solve(0, 0)
        pairs = [(R[i], S[j] if j is not None else None) for i, j in enumerate(plan)]
        taken = {j for j in plan if j is not None}
        pairs += [(None, S[j]) for j in range(len(S)) if j not in taken]
        self.memo[key] = (cost, pairs)
        return self.memo[key]


def _diffs(a: dict, b: dict, keys) -> int:
    return sum(1 for k in keys if a.get(k) != b.get(k))


# -- the two networks -----------------------------------------------------------------------------

@dataclass
class Head:
    """An auxiliary head: the path from a main-chain value to one of the model's other outputs."""

    attach: int                     # the main-chain value it reads
    out: int
    units: list
    ops: set                        # op indices
    name: str = ""                  # reference: its spec row


@dataclass
class Side:
    """One network read as units: the main chain and the auxiliary heads."""

    graph: Graph
    main: list                      # units of the main chain
    aux: list                       # Head
    main_ops: set
    out: int                        # the main output value


def read_reference(trace: Trace, spans: dict, aux_rows: set[str]) -> tuple[Side, dict]:
    """The built network: main chain to outputs[0]; aux heads from the aux rows' spans. -> (side, op -> row)."""
    row_of = {op.index: name for name, span in spans.items() for op in span.ops}
    same = (lambda a, b: row_of.get(a.index) == row_of.get(b.index))
    g = Graph(trace)
    main_out = trace.outputs[0]
    region = g.region(trace.input_id, main_out)
    main = g.chain(region, trace.input_id, main_out, same)
    aux = []
    for name in sorted(aux_rows):
        span = spans.get(name)
        if span is None or span.input is None or span.output is None:
            continue
        ops = g.region(span.input, span.output, {op.index for op in span.ops})
        aux.append(Head(span.input, span.output, g.chain(ops, span.input, span.output, same), set(ops), name))
    return Side(g, main, aux, set(region), main_out), row_of


def read_subject(trace: Trace) -> Side:
    """Someone's model: the first output is the network's (a tuple's first item, a dict's first value, as
    torchvision's GoogLeNet and Inception3 return them); the others are auxiliary heads."""
    g = Graph(trace)
    outs = list(dict.fromkeys(trace.outputs))
    reachable = g.downstream([trace.input_id])
    produced = [v for v in outs if g.producer.get(v) in reachable]
    main_out = produced[0] if produced else trace.input_id
    region = g.region(trace.input_id, main_out)
    main_ops = set(region)
    aux, taken = [], set(main_ops)
    for v in produced:
        if v == main_out:
            continue
        ops = g.upstream([v], reachable - taken)
        if not ops:
            continue
        taken |= ops
        feeds = {u for i in ops for u in trace.ops[i].inputs
                 if u == trace.input_id or g.producer.get(u) in main_ops}
        attach = _latest(feeds, g)
        ops = set(g.region(attach, v, ops)) if attach is not None else set()
        if ops:
            aux.append(Head(attach, v, g.chain(sorted(ops), attach, v), ops))
    return Side(g, g.chain(region, trace.input_id, main_out), aux, main_ops, main_out)


def _latest(values: set, g: Graph):
    """The value produced last (an aux head hangs off the latest main-chain value it reads)."""
    if not values:
        return None
    return max(values, key=lambda v: g.producer.get(v, -1))


# -- alignment -> row spans ----------------------------------------------------------------------------

@dataclass
class RowMatch:
    """What the subject has for one spec row."""

    name: str
    pairs: list = field(default_factory=list)     # (ref unit | None, subject unit | None)
    span: RowSpan | None = None
    present: bool = False                         # at least one unit matched


@dataclass
class Alignment:
    rows: dict                          # row name -> RowMatch (active, non-virtual rows in spec order)
    spans: dict                         # row name -> RowSpan of the subject
    extra_aux: list                     # (attach row | None, units) of subject heads no aux row claims
    aux_ops: set                        # subject op indices of every auxiliary head
    ref_row_of: dict
    matcher: Matcher
    end_row: str | None                 # the last main row with a match (the model ends after it)
    host_of_aux: dict                   # aux row -> the main row whose output it reads
    main_out: int                       # the subject's main output value
    order: list                         # main rows with a module in the spec's build, in order


def align(spec, ref_trace: Trace, ref_spans: dict, sub_trace: Trace) -> Alignment:
    active = [r for r in spec.rows if all(c.holds(spec.options) for c in r.when)]
    aux_rows = {r.name for r in active if r.aux}
    ref, row_of = read_reference(ref_trace, ref_spans, aux_rows)
    sub = read_subject(sub_trace)
    matcher = Matcher()
    _, pairs = matcher.sequence(ref.main, sub.main)

    order = [r.name for r in active if not r.aux and r.name in ref_spans]   # rows with a module
    rows = {name: RowMatch(name) for name in order}
    current = order[0] if order else None
    for r_unit, s_unit in pairs:
        if r_unit is not None:
            current = row_of.get(r_unit.main.index, current)
        if current in rows:
            rows[current].pairs.append((r_unit, s_unit))

    value = sub_trace.input_id
    spans, end_row = {}, None
    for name in order:
        m = rows[name]
        units = [s for _, s in m.pairs if s is not None]
        m.present = any(r is not None and s is not None for r, s in m.pairs)
        if units:
            ops = sorted({op.index for u in units for op in u.ops})
            m.span = RowSpan([sub_trace.ops[i] for i in ops], units[0].inp, units[-1].out,
                             _tags(m.pairs, ref_spans.get(name), matcher))
            value = units[-1].out
        else:
            m.span = RowSpan([], value, value, {})
        if m.present:
            end_row = name
    for name in order:
        if rows[name].present or not _beyond(name, end_row, order):
            spans[name] = rows[name].span

    # auxiliary heads: each spec aux row claims the subject head that reads the output of the same row
    host_of_aux, previous = {}, None
    for r in active:
        if r.aux:
            host_of_aux[r.name] = previous
        elif r.name in rows:
            previous = r.name
    free = list(sub.aux)
    for head in ref.aux:
        host = host_of_aux.get(head.name)
        span = spans.get(host)
        reads = {v for op in span.ops for v in op.outputs} | {span.output} if span is not None else set()
        candidates = [h for h in free if h.attach in reads]
        if not candidates:
            rows[head.name] = RowMatch(head.name, [(u, None) for u in head.units])
            continue
        best = min(candidates, key=lambda h: (h.attach != span.output, matcher.sequence(head.units, h.units)[0]))
        free.remove(best)
        _, aux_pairs = matcher.sequence(head.units, best.units)
        ops = [sub_trace.ops[i] for i in sorted(best.ops)]
        span = RowSpan(ops, best.attach, best.out, _tags(aux_pairs, ref_spans.get(head.name), matcher))
        rows[head.name] = RowMatch(head.name, aux_pairs, span, True)
        spans[head.name] = span
    host_of = {m.span.output: name for name, m in rows.items() if name in order and m.span is not None}
    extra = [(host_of.get(h.attach), h.units) for h in free]
    aux_ops = set().union(*(h.ops for h in sub.aux))
    return Alignment(rows, spans, extra, aux_ops, row_of, matcher, end_row, host_of_aux, sub.out, order)


def _beyond(name: str, end_row: str | None, order: list[str]) -> bool:
    """Is the row after the last row the subject has (the model stops before it)?"""
    return end_row is None or order.index(name) > order.index(end_row)


def _tags(pairs, ref_span: RowSpan | None, matcher: Matcher) -> dict:
    """Subject op index -> tag, carried over from the reference's tagged layers through the matches."""
    if ref_span is None or not ref_span.tags:
        return {}
    out: dict = {}
    for r, s in _leaf_pairs(pairs, matcher):
        if r is None or s is None:
            continue
        target = s.point or s.main
        for op in (r.main, r.point):
            if op is not None and op.index in ref_span.tags:
                out[target.index] = ref_span.tags[op.index]
    return out


def _leaf_pairs(pairs, matcher: Matcher):
    """Matched layers, descending into matched blocks and their matched branches."""
    for r, s in pairs:
        if r is not None and s is not None and r.kind == "block" and s.kind == "block":
            for rb, sb in matcher.block(r, s)[1]:
                if rb is not None and sb is not None:
                    yield from _leaf_pairs(matcher.sequence(rb.units, sb.units)[1], matcher)
        else:
            yield r, s
