"""A traced network read as units: the layers, blocks and weightless ops that alignment pairs up.

Both networks, the spec's build and the subject, are read the same way from their traces:

- The main chain runs from the input to the main output. An op every path passes through is a *cut*
  (in execution order, no edge jumps over it); two consecutive cuts with ops between them enclose a
  *block*: its branches are the paths from the block's input to each input of the merging op (a
  concatenation or a residual sum). A concatenation nested at the end of a branch is flattened into the
  outer one, so `cat([a, cat([b, c])])` and `cat([a, b, c])` read alike; branches that share their first
  layers are one branch that *splits* (a 1×1 reduce feeding a 1×3 ‖ 3×1 pair).
- A *unit* is one layer (a conv, linear or pool with the batch norm and activations after it; a
  depthwise conv and the pointwise 1×1 after it form one separable conv, whatever modules or spec rows
  hold them), a block, a split, or a weightless op (LRN, dropout, reshape...). A block or split keeps the
  activation after its merge as its decoration.
- Ops that change nothing are left out: scaling by 1, adding 0, a pool that keeps its input's size
  (a second adaptive pool on a 1×1 map), dropout with p = 0 or training=False.

Every unit has two signatures, small integers that a Reader hands out (so they compare between the
traces it read): `skel`, its structure without weightless ops and decorations (runs of repeated blocks
and exact anchors are found with it), and `key`, everything that alignment costs depend on (costs and
pairings are memoised by it, so a run of 1,600 equal blocks is compared once).
"""
from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import dataclass, field

from ..shapes import conv_out, pool_out
from ..trace import Op, Trace

LAYERS = ("conv", "sepconv", "linear", "pool")
DECORATIONS = ("norm", "act")
WEIGHTLESS = ("lrn", "dropout", "norm", "act", "reshape", "scale", "other")
MERGES = ("block", "split")


@dataclass(eq=False)
class Unit:
    kind: str                       # conv | sepconv | linear | pool | block | split | lrn | dropout | norm | ...
    main: Op                        # the layer's op; a block's merging op; a split's first op
    inp: int                        # value ids
    out: int
    ops: list = field(default_factory=list)
    deco: list = field(default_factory=list)       # norm / act ops after the layer (after a block's merge)
    point: Op | None = None                         # sepconv: the pointwise 1×1
    mid: list = field(default_factory=list)         # sepconv: norm / act ops between depthwise and pointwise
    branches: list = field(default_factory=list)   # block, split: list of Branch, in signature order
    skel: int = 0
    key: int = 0
    shrink: int = 0                                 # log2 of how much it shrinks the grid's area, rounded

    @property
    def reduces(self) -> bool:
        """Shrinks the grid at least 2× in area: a stage boundary (a stride-2 layer, a global pool)."""
        return self.shrink >= 1

    @property
    def weightless(self) -> bool:
        if self.kind in MERGES:
            return not any(op.is_weight_layer or op.kind in ("max_pool", "avg_pool", "adaptive_pool")
                           for op in self.ops)
        return self.kind in WEIGHTLESS

    @property
    def last(self) -> Op:
        """The op that gives the layer its output channels (a separable conv's pointwise part)."""
        return self.point or self.main


@dataclass(eq=False)
class Branch:
    units: list
    skel: int = 0
    key: int = 0


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

    def shape(self, value: int) -> tuple:
        i = self.producer.get(value)
        return self.ops[i].out_shape if i is not None else (1, *self.trace.input_shape)

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

    @property
    def reachable(self) -> set[int]:
        """The ops computed from the model's input (not from constants or buffers alone)."""
        if not hasattr(self, "_reachable"):
            self._reachable = self.downstream([self.trace.input_id])
        return self._reachable

    def region(self, src: int, dst: int, within: set[int] | None = None) -> list[int]:
        """Op indices on some path from value src to value dst, in execution order."""
        ahead = self.reachable if src == self.trace.input_id else self.downstream([src])
        if within is not None:
            ahead = ahead & within
        return sorted(self.upstream([dst], ahead))


def spatial(op: Op, which: str = "out") -> tuple:
    shape = op.out_shape if which == "out" else (op.in_shapes[0] if op.in_shapes else ())
    return tuple(shape[2:])


def grid(op: Op, which: str = "out") -> tuple:
    """The spatial size, with a 1×1 map and a flat (N, C) tensor alike: x.mean((2, 3)) is a global pool."""
    g = spatial(op, which)
    return () if all(v == 1 for v in g) else g


def grid_on(op: Op, grid_in: tuple) -> tuple | None:
    """The grid (as `grid` gives it) that a conv's or pool's kernel, stride, padding and ceil mode make of
    another input grid; None for a layer without them (an adaptive pool)."""
    a = op.attrs
    if op.kind not in ("conv", "max_pool", "avg_pool") or not all(k in a for k in ("kernel", "stride", "padding")):
        return None
    dilation = a.get("dilation") or (1,) * len(grid_in)
    if op.kind == "conv":
        out = tuple(conv_out(*v) for v in zip(grid_in, a["kernel"], a["stride"], a["padding"], dilation))
    else:
        out = tuple(pool_out(n, k, s, p, d, bool(a.get("ceil_mode")))
                    for n, k, s, p, d in zip(grid_in, a["kernel"], a["stride"], a["padding"], dilation))
    return () if all(v == 1 for v in out) else out


def entry(u: "Unit") -> Op:
    """The op that reads a layer's input: its pad when it has one (`grid(entry(u), "in")` is the grid the
    layer reads, not the padded one)."""
    return u.ops[0] if u.ops else u.main


def is_global_pool(op: Op) -> bool:
    """A pool with a single window over its whole input (avg 7×7 on 7×7, adaptive to 1×1, x.mean((2, 3)))."""
    out = spatial(op)
    if op.kind not in ("max_pool", "avg_pool", "adaptive_pool") or any(v != 1 for v in out):
        return False
    if op.attrs.get("adaptive"):
        return True
    k, p = op.attrs.get("kernel", ()), op.attrs.get("padding", ())
    return all(kk >= n for kk, n in zip(k, spatial(op, "in"))) and not any(p)


def layer_attrs(u: Unit) -> dict:
    """The attributes of a layer that the paper's table and figures fix (no sizes: those follow the input)."""
    op = u.main
    if u.kind in ("conv", "sepconv"):
        a = {"kernel": tuple(op.attrs["kernel"]), "stride": tuple(op.attrs["stride"]),
             "out": u.last.attrs["out_channels"], "dilation": tuple(op.attrs["dilation"])}
        if u.kind == "sepconv":
            a["multiplier"] = op.attrs["out_channels"] // max(1, op.attrs["in_channels"])
        else:
            a["groups"] = "depthwise" if op.attrs.get("depthwise") else op.attrs["groups"]
        return a
    if u.kind == "linear":
        return {"out": op.out_shape[-1] if op.out_shape else 0}
    if u.kind == "pool":
        if is_global_pool(op):
            return {"type": op.attrs["pool"], "global": True}
        if "kernel" not in op.attrs:   # an adaptive pool that does not divide its input evenly
            return {"type": op.attrs["pool"], "adaptive": tuple(op.attrs["output_size"])}
        return {"type": op.attrs["pool"], "kernel": tuple(op.attrs["kernel"]), "stride": tuple(op.attrs["stride"])}
    return {}


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


_TIMES = {"mul", "__mul__", "__rmul__", "mul_", "__imul__", "div", "__truediv__", "div_", "__itruediv__"}
_PLUS = {"add", "__add__", "__radd__", "add_", "__iadd__", "sub", "__sub__", "sub_", "__isub__"}


def scale_factor(op: Op) -> float | None:
    """What a scaling op multiplies by: the scalar of `x * 0.17` (and of torch.add's alpha, which the trace
    records as a product), one over that of `x / (1 / 0.17)`; None when it is not a product with a
    number (a tensor scale: a parameter or buffer, unknown on the meta device)."""
    c = op.attrs.get("scalar")
    if op.kind != "mul" or not isinstance(c, (int, float)) or isinstance(c, bool):
        return None
    return (1 / c if c else None) if "div" in op.name else c


def changes_nothing(op: Op) -> bool:
    """An op whose output equals its input: x * 1.0, x + 0, a pool that keeps the size, dropout(p=0)."""
    a = op.attrs
    if op.kind in ("add", "mul") and "scalar" in a and len(op.inputs) == 1:
        return (a["scalar"] == 1 and op.name in _TIMES) or (a["scalar"] == 0 and op.name in _PLUS)
    if op.kind in ("max_pool", "avg_pool", "adaptive_pool"):
        grid = spatial(op, "in")
        if grid and all(n == 1 for n in grid):
            return True     # any pool of a 1×1 map (a second global pool; x.mean((2, 3)) that only flattens)
        return spatial(op) == spatial(op, "in") and (bool(a.get("adaptive")) or (
            all(k == 1 for k in a.get("kernel", (0,))) and all(s == 1 for s in a.get("stride", (0,)))
            and not any(a.get("padding", ()))))
    if op.kind == "dropout":
        return a.get("p", 0.5) == 0 or not a.get("training", True)
    return op.kind == "cat" and len(op.inputs) == 1


def _area(shape: tuple) -> int:
    area = 1
    for v in shape[2:]:
        area *= v
    return area


def _shrink(in_area: int, out_area: int) -> int:
    return round(math.log2(in_area / out_area)) if 0 < out_area and 2 * out_area <= in_area else 0


def _pointwise(op: Op) -> bool:
    return op.kind == "conv" and max(op.attrs["kernel"]) == 1 and op.attrs["groups"] == 1


class Reader:
    """Reads traces as units. Signatures it hands out compare between all the traces it has read."""

    def __init__(self):
        self.ids: dict = {}
        self.chains: dict = {}      # (src, dst, region) -> units: a stretch reached from several merges is read once

    def intern(self, value) -> int:
        return self.ids.setdefault(value, len(self.ids))

    # -- decomposition into units ------------------------------------------------------------------
    def chain(self, g: Graph, region: list[int], src: int, dst: int, same=None) -> list[Unit]:
        """The units from src to dst; `same(a, b)` says whether a decoration may join the layer before it."""
        memo = (g, src, dst, tuple(region), same)
        if memo not in self.chains:
            self.chains[memo] = self._chain(g, region, src, dst, same)
        return self.chains[memo]

    def _chain(self, g: Graph, region: list[int], src: int, dst: int, same) -> list[Unit]:
        pos = {i: k for k, i in enumerate(region)}
        crossing = [0] * (len(region) + 1)
        for k, i in enumerate(region):
            for v in dict.fromkeys(g.ops[i].inputs):
                p = -1 if v == src else pos.get(g.producer.get(v), None)
                if p is not None and k - p > 1:
                    crossing[p + 1] += 1
                    crossing[k] -= 1
        units, running, prev, value = [], 0, -1, src
        for k, i in enumerate(region):
            running += crossing[k]
            if running:
                continue
            op = g.ops[i]
            if k == prev + 1:
                if not changes_nothing(op):
                    units.append(Unit(_kind(op), op, value, op.outputs[0], [op]))
            else:
                units.append(self.block(g, region[prev + 1:k], op, value, same))
            prev, value = k, op.outputs[0]
        units = _group(units, same)
        for u in units:
            self.sign(u)
            u.shrink = 0 if u.weightless else _shrink(_area(g.shape(u.inp)), _area(g.shape(u.out)))
        return units

    def block(self, g: Graph, inner: list[int], merge: Op, src: int, same) -> Unit:
        inside = set(inner)
        branches = []
        for v in dict.fromkeys(merge.inputs):
            if v == src:
                branches.append(Branch([]))
                continue
            if g.producer.get(v) not in inside:
                continue  # a constant or buffer, not a path from the block's input
            units = self.chain(g, sorted(g.upstream([v], inside)), src, v, same)
            last = units[-1] if units else None
            if (merge.kind == "cat" and last is not None and last.kind == "block" and last.main.kind == "cat"
                    and last.main.attrs.get("dim") == merge.attrs.get("dim") and not last.deco
                    and g.consumers.get(last.out) == [merge.index]):
                branches += [Branch(units[:-1] + b.units) for b in _unsplit(last.branches)]
            else:
                branches.append(Branch(units))
        ops = [g.ops[i] for i in inner] + [merge]
        return Unit("block", merge, src, merge.outputs[0], ops, branches=self.shared(branches))

    def shared(self, branches: list[Branch]) -> list[Branch]:
        """Branches that start with the same layers are one branch that splits after them."""
        groups: dict = {}
        for b in branches:
            groups.setdefault(b.units[0].main.index if b.units else ("empty", id(b)), []).append(b)
        out = []
        for group in groups.values():
            if len(group) == 1:
                out.append(group[0])
                continue
            n = 0
            while all(len(b.units) > n and b.units[n].main.index == group[0].units[n].main.index for b in group):
                n += 1
            prefix, tails = group[0].units[:n], self.shared([Branch(b.units[n:]) for b in group])
            ops = [op for t in tails for u in t.units for op in u.ops]
            first = next((t.units[0].main for t in tails if t.units), prefix[-1].main)
            split = Unit("split", first, prefix[-1].out, prefix[-1].out, ops, branches=tails)
            self.sign(split)
            out.append(Branch(prefix + [split]))
        return out

    # -- signatures --------------------------------------------------------------------------------
    def sign(self, u: Unit) -> None:
        if u.kind in MERGES:
            for b in u.branches:
                self.sign_branch(b)
            u.branches.sort(key=lambda b: b.key)
            merge = "split" if u.kind == "split" else u.main.kind
            u.skel = self.intern((merge, tuple(sorted(b.skel for b in u.branches))))
            shape = u.main.out_shape if u.kind == "block" else ()
            u.key = self.intern((merge, tuple(b.key for b in u.branches), shape))
        elif u.weightless:
            u.skel = u.key = self.intern((u.kind, u.main.attrs.get("norm")))
        else:
            u.skel = self.intern((u.kind, tuple(sorted(layer_attrs(u).items()))))
            u.key = self.intern((u.skel, spatial(entry(u), "in"), spatial(u.last)))

    def sign_branch(self, b: Branch) -> None:
        b.skel = self.intern(("branch", tuple(u.skel for u in b.units if not u.weightless)))
        b.key = self.intern(("branch", tuple(u.key for u in b.units)))


def _unsplit(branches: list[Branch]) -> list[Branch]:
    """A block's branches with their splits undone (each path on its own), for flattening into an outer one."""
    out = []
    for b in branches:
        if b.units and b.units[-1].kind == "split":
            out += [Branch(b.units[:-1] + t.units) for t in _unsplit(b.units[-1].branches)]
        else:
            out.append(b)
    return out


def _decorated(u: Unit) -> bool:
    """Does a batch norm or activation right after `u` belong to it? After a layer, and after a residual
    sum (post-activation: ReLU(x + F(x))), yes. After a concatenation, no: there it begins the next
    layer (DenseNet's BN-ReLU-conv reads the concatenated features), whichever module holds it."""
    return u.kind in LAYERS or (u.kind in MERGES and u.main.kind != "cat")


def _is_pad(u: Unit) -> bool:
    return u.kind == "other" and u.main.name == "pad" and len(u.ops) == 1


def _group(units: list[Unit], same) -> list[Unit]:
    """Attach batch norm / activations to the layer or sum before them; join depthwise + pointwise.

    The join ignores `same` (rows or modules): a depthwise conv and its 1×1 are one layer whether a spec
    writes them as two rows, as MobileNet's table does, or one."""
    out: list[Unit] = []
    for u in units:
        prev = out[-1] if out else None
        joinable = prev is not None and (same is None or same(prev.last, u.main))
        if joinable and _is_pad(prev) and u.kind in ("conv", "pool") and u.inp == prev.out:
            # An explicit pad before a conv or pool is that layer's padding (TensorFlow's "same" as ported:
            # ZeroPad2d((0, 1, 0, 1)) and a conv with padding 0), so the layer reads the unpadded map.
            u.ops, u.inp = prev.ops + u.ops, prev.inp
            out[-1] = u
            continue
        if joinable and u.kind in DECORATIONS and _decorated(prev):
            prev.deco.append(u.main)
        elif (prev is not None and u.kind == "conv" and _pointwise(u.main) and prev.kind == "conv"
              and prev.main.attrs.get("depthwise")):
            prev.kind, prev.point = "sepconv", u.main
            prev.mid, prev.deco = prev.deco, []
        else:
            out.append(u)
            continue
        prev.ops.append(u.main)
        prev.out = u.out
    return out
