"""One forward pass that records every module and functional op, allocating no weight or activation memory.

How: the model lives on the meta device (no storage), and a TorchFunctionMode sees each call at the
torch-function level (F.conv2d, torch.cat, F.relu, `x + y`, `x @ w`, tensor methods). For the ops that
matter to an architecture we compute the output shape by arithmetic and return an empty meta tensor, so
no meta kernel runs: the first use of meta kernels with Python decompositions (batch norm, cat, relu,
add) or of a TorchDispatchMode costs about a second per process in lazy imports (DESIGN.md).
Anything else falls back to its real meta kernel, which is slower on first use but always right.

Counting conventions, per image (the input has batch 1):
- MACs: multiply-accumulates of conv (k_h·k_w·C_in/groups·C_out·H_out·W_out), linear and matmul only;
  batch norm, pooling, activations and additions count 0.
- weights: conv/linear weight entries (no biases), each parameter tensor counted once.
- params: every parameter tensor, counted once even when shared (tied) between layers.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field, replace

import torch
import torch.nn.functional as F
from torch.nn.parameter import is_lazy
from torch import nn
from torch.overrides import TorchFunctionMode

from .shapes import broadcast, conv_out, pool_out

WEIGHT_KINDS = ("conv", "linear", "matmul")


@dataclass
class Op:
    index: int
    kind: str                       # conv, linear, matmul, max_pool, avg_pool, adaptive_pool, norm, lrn,
                                    # act, dropout, cat, add, mul, reshape, other
    name: str                       # the function as called (conv2d, relu, __add__, ...)
    module: str                     # innermost module path ("" = the root)
    module_type: str
    inputs: tuple[int, ...]         # value ids of tensor inputs (parameters excluded)
    outputs: tuple[int, ...]
    in_shapes: tuple[tuple[int, ...], ...]
    out_shape: tuple[int, ...]
    attrs: dict = field(default_factory=dict)
    params: tuple[int, ...] = ()    # parameter keys first used by this op
    param_numel: int = 0            # numel of those parameters
    weights: int = 0                # conv/linear/matmul weight entries first used here
    macs: int = 0
    uses: tuple[int, ...] = ()      # every parameter key this op reads (a shared head's, each time)
    weight_key: int | None = None   # the key of its conv/linear/matmul weight

    @property
    def is_weight_layer(self) -> bool:
        """A layer the depth counts: conv, linear or a matmul with a weight; not a depthwise conv."""
        return self.is_weight_or_depthwise and not self.attrs.get("depthwise", False)

    @property
    def is_weight_or_depthwise(self) -> bool:
        return self.kind in WEIGHT_KINDS and (self.kind != "matmul" or self.weights > 0)


@dataclass
class ModuleCall:
    """A module's forward call, recorded when it returns (post-order, as torchsummary lists them)."""

    path: str
    type: str
    inputs: tuple[int, ...]
    outputs: tuple[int, ...]
    out_shapes: tuple[tuple[int, ...], ...]
    own_params: int                 # numel of parameters the module holds directly
    own_trainable: int
    first_op: int                   # index of the first op inside the call
    end_op: int                     # one past the last op inside the call
    depth: int                      # nesting depth (the root is 0)


@dataclass
class Trace:
    input_shape: tuple[int, ...]
    input_id: int
    ops: list[Op]
    calls: list[ModuleCall]
    outputs: tuple[int, ...]        # value ids of the model's outputs, flattened
    output_shapes: tuple[tuple[int, ...], ...]
    total_params: int               # unique parameter entries of the whole model
    trainable_params: int
    value_depth: dict[int, int]     # weight-layer depth of every value (longest path from the input)
    value_depth_dw: dict[int, int] = field(default_factory=dict)   # the same, depthwise convs counted
    param_sizes: dict[int, int] = field(default_factory=dict)      # parameter key -> numel (those ops read)

    def calls_by_path(self) -> dict[str, ModuleCall]:
        out = {}
        for call in self.calls:
            out.setdefault(call.path, call)
        return out


# -- argument binding for builtins (no inspect.signature for C functions) --------------------------------

# Keyword names PyTorch's argument parser accepts for its builtins besides their own (numpy compatibility,
# python_arg_parser.cpp): torch.cat(xs, axis=1), torch.add(x1=a, x2=b), torch.relu(x=t). A name reaches
# the mode only if the function accepted it, so applying these to every rule is safe.
ALIASES = {"axis": "dim", "x": "input", "a": "input", "x1": "input", "x2": "other", "keepdims": "keepdim"}


def _bind(args, kwargs, names, defaults=None, aliases=None):
    out = dict(defaults or {})
    for name, value in zip(names, args):
        out[name] = value
    for key, value in kwargs.items():
        if key not in names:
            key = (aliases or {}).get(key) or ALIASES.get(key, key)
        out[key] = value
    return out


def _shape(t) -> tuple[int, ...]:
    return tuple(int(v) for v in t.shape)


class _Rule:
    """How the tracer computes one op: its argument names in positional order (`names`, as PyTorch spells
    them; tests/test_trace_arguments.py checks them against torch itself), names of its own that mean one of
    them (`aliases`: torch.mm's `mat2` is `other`), and `compute(bound) -> (shape, MACs, attrs)`, or None
    when the call is not one the rule describes (the real meta kernel then runs)."""

    __slots__ = ("kind", "names", "defaults", "compute", "inplace_arg", "aliases")

    def __init__(self, kind, names, defaults, compute, inplace_arg=None, aliases=None):
        self.kind, self.names, self.defaults, self.compute, self.inplace_arg = kind, names, defaults, compute, inplace_arg
        self.aliases = aliases


def _conv(a):
    x, w = a["input"], a["weight"]
    xs, ws = _shape(x), _shape(w)
    nd = len(ws) - 2
    k = ws[2:]
    s = _tuple(a["stride"], nd)
    d = _tuple(a["dilation"], nd)
    p = a["padding"]
    if p == "same":
        spatial = xs[2:]
        p = tuple(dd * (kk - 1) // 2 for kk, dd in zip(k, d))
    elif p == "valid":
        p = (0,) * nd
        spatial = tuple(conv_out(n, kk, ss, 0, dd) for n, kk, ss, dd in zip(xs[2:], k, s, d))
    else:
        p = _tuple(p, nd)
        spatial = tuple(conv_out(n, kk, ss, pp, dd) for n, kk, ss, pp, dd in zip(xs[2:], k, s, p, d))
    groups = int(a["groups"])
    if len(xs) != nd + 2 or xs[1] != ws[1] * groups or any(n <= 0 for n in spatial):
        # what PyTorch would refuse must not trace: a foreign model that fails on the spec's input
        raise RuntimeError(f"conv{nd}d: an input of shape {list(xs)} does not fit a weight of shape {list(ws)} "
                           f"with groups={groups}, stride {s}, padding {p}")
    out = (xs[0], ws[0], *spatial)
    macs = math.prod(out[1:]) * math.prod(ws[1:])
    attrs = {"in_channels": xs[1], "out_channels": ws[0], "kernel": k, "stride": s, "padding": p, "dilation": d,
             "groups": groups, "depthwise": groups > 1 and groups == xs[1], "bias": a.get("bias") is not None}
    return out, macs, attrs


def _tuple(v, n):
    if isinstance(v, (list, tuple)):
        return tuple(int(x) for x in v) if len(v) == n else tuple(int(v[0]) for _ in range(n))
    return (int(v),) * n


def _linear(a):
    xs, ws = _shape(a["input"]), _shape(a["weight"])
    if not xs or xs[-1] != ws[1]:
        raise RuntimeError(f"linear: an input of shape {list(xs)} does not fit a weight of shape {list(ws)} "
                           f"({ws[1]} input features)")
    out = (*xs[:-1], ws[0])
    macs = math.prod(out[1:]) * ws[1] if len(out) > 1 else ws[0] * ws[1]
    return out, macs, {"in_features": ws[1], "out_features": ws[0], "bias": a.get("bias") is not None}


def _pool(kind):
    def compute(a):
        xs = _shape(a["input"])
        nd = len(xs) - 2
        k = _tuple(a["kernel_size"], nd)
        stride = a.get("stride")
        s = k if stride is None or (isinstance(stride, (list, tuple)) and len(stride) == 0) else _tuple(stride, nd)
        p = _tuple(a.get("padding", 0), nd)
        d = _tuple(a.get("dilation", 1), nd)
        ceil = bool(a.get("ceil_mode", False))
        spatial = tuple(pool_out(n, kk, ss, pp, dd, ceil) for n, kk, ss, pp, dd in zip(xs[2:], k, s, p, d))
        if any(n <= 0 for n in spatial):
            raise RuntimeError(f"{kind} pool: an input of shape {list(xs)} is too small for kernel {k}, stride {s}, "
                               f"padding {p}")
        # Along a dimension with one window the stride changes nothing: F.avg_pool2d(x, 7) on 7×7 (stride 7)
        # is the paper's "7×7/1", written /1 as papers print a global pool.
        s = tuple(1 if n == 1 else ss for n, ss in zip(spatial, s))
        attrs = {"pool": kind, "kernel": k, "stride": s, "padding": p, "ceil_mode": ceil}
        if kind == "avg":
            attrs["count_include_pad"] = bool(a.get("count_include_pad", True))
        return (*xs[:2], *spatial), 0, attrs
    return compute


def _adaptive(kind):
    def compute(a):
        xs = _shape(a["input"])
        nd = len(xs) - 2
        size = a["output_size"]
        size = size if isinstance(size, (list, tuple)) else (size,) * nd
        spatial = tuple(n if o is None else int(o) for n, o in zip(xs[2:], size))
        attrs = {"pool": kind, "output_size": spatial, "adaptive": True}
        if all(n % o == 0 for n, o in zip(xs[2:], spatial)):
            # Evenly divided, it is exactly a fixed pool with kernel = stride = n/o (a single window,
            # o = 1, is written with stride 1, as papers print a global pool: "7×7/1").
            k = tuple(n // o for n, o in zip(xs[2:], spatial))
            attrs.update(kernel=k, stride=tuple(1 if o == 1 else kk for kk, o in zip(k, spatial)),
                         padding=(0,) * nd, ceil_mode=False)
        return (*xs[:2], *spatial), 0, attrs
    return compute


def _same(a):
    return _shape(a["input"]), 0, {}


def _hardtanh(a):
    # nn.ReLU6 calls F.hardtanh(x, 0.0, 6.0): the bounds say which activation it is
    return _shape(a["input"]), 0, {"min_val": float(a.get("min_val", -1.0)), "max_val": float(a.get("max_val", 1.0))}


def _reduce(kind):
    """x.mean((2, 3)) and x.amax((2, 3)): a global pool when the dimensions are exactly the spatial ones."""
    def compute(a):
        xs, dim = _shape(a["input"]), a.get("dim")
        if len(xs) < 3 or dim is None:
            return None
        dims = sorted({int(d) % len(xs) for d in (dim if isinstance(dim, (list, tuple)) else (dim,))})
        if dims != list(range(2, len(xs))):
            return None
        nd = len(xs) - 2
        attrs = {"pool": kind, "output_size": (1,) * nd, "adaptive": True, "kernel": xs[2:], "stride": (1,) * nd,
                 "padding": (0,) * nd, "ceil_mode": False}
        return ((*xs[:2], *(1,) * nd) if a.get("keepdim") else xs[:2]), 0, attrs
    return compute


def _dropout(a):
    # F.dropout(x, p, training=False) does nothing, whatever the mode it runs in
    return _shape(a["input"]), 0, {"p": float(a.get("p", 0.5)), "training": bool(a.get("training", True))}


def _norm(kind):
    def compute(a):
        attrs = {"norm": kind}
        if kind == "lrn":
            attrs.update(size=a.get("size"), alpha=a.get("alpha", 1e-4), beta=a.get("beta", 0.75), k=a.get("k", 1.0))
        else:
            attrs["eps"] = float(a.get("eps", 1e-5))    # every norm function's default
        return _shape(a["input"]), 0, attrs
    return compute


def _binary(a):
    other = a["other"]
    xs = _shape(a["input"])
    if isinstance(other, torch.Tensor):
        alpha = a.get("alpha", 1)
        return broadcast(xs, _shape(other)), 0, ({"alpha": alpha} if alpha != 1 else {})
    return xs, 0, {"scalar": other if isinstance(other, (int, float)) else None}


def _cat(a):
    tensors = list(a["tensors"])
    shapes = [_shape(t) for t in tensors]
    dim = a.get("dim", 0)
    dim = dim % len(shapes[0])
    out = list(shapes[0])
    if any(len(sh) != len(out) or any(a != b for i, (a, b) in enumerate(zip(sh, out)) if i != dim) for sh in shapes):
        raise RuntimeError(f"cat: shapes {[list(sh) for sh in shapes]} differ outside dimension {dim}")
    out[dim] = sum(s[dim] for s in shapes)
    return tuple(out), 0, {"dim": dim, "sizes": tuple(s[dim] for s in shapes)}


def _matmul(a):
    xs, ys = _shape(a["input"]), _shape(a["other"])
    if len(xs) == 1 and len(ys) == 1:
        return (), xs[0], {}
    x2 = xs if len(xs) > 1 else (1, xs[0])
    y2 = ys if len(ys) > 1 else (ys[0], 1)
    if x2[-1] != y2[-2]:
        raise RuntimeError(f"matmul: shapes {list(xs)} and {list(ys)} cannot be multiplied")
    batch = broadcast(x2[:-2], y2[:-2])
    out = (*batch, x2[-2], y2[-1])
    macs = math.prod(out) * x2[-1]
    if len(xs) == 1:
        out = (*batch, y2[-1])
    elif len(ys) == 1:
        out = (*batch, x2[-2])
    return out, macs, {"inner": x2[-1]}


def _rules():
    T = torch.Tensor
    R = {}

    def add(funcs, rule):
        for f in funcs:
            if f is not None:
                R[f] = rule

    conv_names = ("input", "weight", "bias", "stride", "padding", "dilation", "groups")
    conv_def = {"bias": None, "stride": 1, "padding": 0, "dilation": 1, "groups": 1}
    add([torch.conv1d, torch.conv2d, torch.conv3d], _Rule("conv", conv_names, conv_def, _conv))
    add([F.linear], _Rule("linear", ("input", "weight", "bias"), {"bias": None}, _linear))
    mp = ("input", "kernel_size", "stride", "padding", "dilation", "ceil_mode")
    add([F.max_pool1d, F.max_pool2d, F.max_pool3d], _Rule("max_pool", mp + ("return_indices",), {}, _pool("max")))
    add([torch.max_pool1d, torch.max_pool2d, torch.max_pool3d], _Rule("max_pool", mp, {}, _pool("max")))
    ap = ("input", "kernel_size", "stride", "padding", "ceil_mode", "count_include_pad")
    add([F.avg_pool1d], _Rule("avg_pool", ap, {}, _pool("avg")))
    add([F.avg_pool2d, F.avg_pool3d], _Rule("avg_pool", ap + ("divisor_override",), {}, _pool("avg")))
    add([F.adaptive_avg_pool1d, F.adaptive_avg_pool2d, F.adaptive_avg_pool3d],
        _Rule("adaptive_pool", ("input", "output_size"), {}, _adaptive("avg")))
    add([F.adaptive_max_pool1d, F.adaptive_max_pool2d, F.adaptive_max_pool3d],
        _Rule("adaptive_pool", ("input", "output_size", "return_indices"), {}, _adaptive("max")))
    add([F.batch_norm], _Rule("norm", ("input", "running_mean", "running_var", "weight", "bias", "training",
                                       "momentum", "eps"), {}, _norm("batch")))
    add([F.layer_norm], _Rule("norm", ("input", "normalized_shape", "weight", "bias", "eps"), {}, _norm("layer")))
    add([F.group_norm], _Rule("norm", ("input", "num_groups", "weight", "bias", "eps"), {}, _norm("group")))
    add([F.instance_norm], _Rule("norm", ("input", "running_mean", "running_var", "weight", "bias",
                                          "use_input_stats", "momentum", "eps"), {}, _norm("instance")))
    add([F.local_response_norm], _Rule("lrn", ("input", "size", "alpha", "beta", "k"), {}, _norm("lrn")))
    for f in (F.relu, F.relu6, F.selu, F.silu, F.mish, F.hardswish, F.hardsigmoid):
        add([f], _Rule("act", ("input", "inplace"), {}, _same, inplace_arg="inplace"))
    add([F.elu, F.celu], _Rule("act", ("input", "alpha", "inplace"), {}, _same, inplace_arg="inplace"))
    add([F.hardtanh], _Rule("act", ("input", "min_val", "max_val", "inplace"), {}, _hardtanh, inplace_arg="inplace"))
    add([F.leaky_relu], _Rule("act", ("input", "negative_slope", "inplace"), {}, _same, inplace_arg="inplace"))
    add([torch.relu, T.relu, torch.sigmoid, T.sigmoid, F.sigmoid, torch.tanh, T.tanh, F.tanh],
        _Rule("act", ("input",), {}, _same))
    add([F.gelu], _Rule("act", ("input", "approximate"), {}, _same))
    add([F.softmax, F.log_softmax, torch.softmax, T.softmax, T.log_softmax], _Rule("act", ("input", "dim"), {}, _same))
    add([torch.relu_, T.relu_, F.relu_, T.sigmoid_, T.tanh_], _Rule("act", ("input",), {}, _same, inplace_arg=True))
    drop = ("input", "p", "training", "inplace")
    add([F.dropout, F.dropout1d, F.dropout2d, F.dropout3d, F.alpha_dropout, F.feature_alpha_dropout],
        _Rule("dropout", drop, {}, _dropout, inplace_arg="inplace"))
    # x + y, x - y (alpha: x + alpha·y), x * y, x / y, and their in-place and reflected forms
    plus, times, div = ("input", "other", "alpha"), ("input", "other"), ("input", "other", "rounding_mode")
    for funcs, kind, names, inplace in (
            ([T.add, T.sub, torch.add, torch.sub], "add", plus, None), ([T.add_, T.sub_], "add", plus, True),
            ([T.__add__, T.__radd__, T.__sub__, T.__rsub__], "add", times, None),
            ([T.__iadd__, T.__isub__], "add", times, True),
            ([T.mul, torch.mul, T.__mul__, T.__rmul__, T.__truediv__, getattr(T, "__rtruediv__", None)], "mul",
             times, None), ([T.mul_, T.__imul__, T.__itruediv__], "mul", times, True),
            ([T.div, torch.div], "mul", div, None), ([T.div_], "mul", div, True)):
        add(funcs, _Rule(kind, names, {}, _binary, inplace_arg=inplace))
    add([torch.cat, torch.concat, getattr(torch, "concatenate", None)], _Rule("cat", ("tensors", "dim"), {}, _cat))
    add([torch.matmul, T.matmul, T.__matmul__], _Rule("matmul", ("input", "other"), {}, _matmul))
    add([torch.mm, T.mm, torch.bmm, T.bmm], _Rule("matmul", ("input", "mat2"), {}, _matmul,
                                                  aliases={"mat2": "other"}))
    add([T.__rmatmul__], _Rule("matmul", ("input", "other"), {},   # x.__rmatmul__(y) is y @ x
                               lambda a: _matmul({"input": a["other"], "other": a["input"]})))
    reduce_names = ("input", "dim", "keepdim")
    add([torch.mean, T.mean], _Rule("adaptive_pool", reduce_names, {}, _reduce("avg")))
    add([torch.amax, T.amax], _Rule("adaptive_pool", reduce_names, {}, _reduce("max")))
    return R


_RULES = None


class _Recorder(TorchFunctionMode):
    def __init__(self, tracer: "_Tracer"):
        super().__init__()
        self.t = tracer

    def __torch_function__(self, func, types, args=(), kwargs=None):
        kwargs = kwargs or {}
        rule = _RULES.get(func)
        t = self.t
        if rule is not None:
            a = _bind(args, kwargs, rule.names, rule.defaults, rule.aliases)
            if rule.aliases:
                a = {rule.aliases.get(k, k): v for k, v in a.items()}
            x = a.get("input", a.get("tensors"))
            computed = rule.compute(a) if isinstance(x, torch.Tensor) or rule.kind == "cat" else None
        else:
            computed = None
        if computed is not None:
            out_shape, macs, attrs = computed
            inplace = rule.inplace_arg is True or (isinstance(rule.inplace_arg, str) and bool(a.get(rule.inplace_arg)))
            if inplace:
                out = x
            else:
                ref = x if isinstance(x, torch.Tensor) else x[0]
                out = torch.empty(out_shape, dtype=ref.dtype, device=ref.device)
            if rule.kind == "add" and "alpha" in attrs:   # torch.add(x, y, alpha=0.17) is x + 0.17 * y: record the scaling as its own op
                other, alpha = a["other"], attrs.pop("alpha")
                scaled = torch.empty(_shape(other), dtype=other.dtype, device=other.device)
                t.record("mul", func, (other,), {}, scaled, _shape(other), 0, {"scalar": alpha}, {})
                args, kwargs = (a["input"], scaled), {}
            t.record(rule.kind, func, args, kwargs, out, out_shape, macs, attrs, a)
            if rule.kind == "max_pool" and a.get("return_indices"):
                return out, torch.empty(out_shape, dtype=torch.long, device=out.device)
            return out
        result = func(*args, **kwargs)
        if t.records_fallback(result):
            t.record_generic(func, args, kwargs, result)
        return result


def _name(func) -> str:
    return getattr(func, "__name__", None) or type(func).__name__


class _Tracer:
    def __init__(self, model: nn.Module):
        self.model = model
        self.paths = {id(m): (name, m) for name, m in model.named_modules()}
        self.values: dict[int, int] = {}          # id(tensor) -> value id
        self.keep: list = []                      # keep traced tensors alive so ids stay unique
        self.next_value = 0
        self.seen_params: set[int] = set()
        self.param_sizes: dict[int, int] = {}      # key -> numel of every parameter an op read
        self.ops: list[Op] = []
        self.calls: list[ModuleCall] = []
        self.stack: list[tuple[str, str, int, tuple]] = []

    # -- values ------------------------------------------------------------------------------------
    def value_of(self, t) -> int:
        key = id(t)
        v = self.values.get(key)
        if v is None:
            v = self.next_value
            self.next_value += 1
            self.values[key] = v
            self.keep.append(t)
        return v

    def new_value(self, t) -> int:
        v = self.next_value
        self.next_value += 1
        if id(t) not in self.values:
            self.keep.append(t)
        self.values[id(t)] = v
        return v

    # -- ops ---------------------------------------------------------------------------------------
    def record(self, kind, func, args, kwargs, out, out_shape, macs, attrs, bound):
        tensors, params = [], []
        for t in _iter_tensors(args, kwargs):
            (params if isinstance(t, nn.Parameter) else tensors).append(t)
        inputs = tuple(self.value_of(t) for t in tensors)
        new_params, numel, weights = [], 0, 0
        weight = bound.get("weight") if kind in ("conv", "linear") else None
        if kind == "matmul":
            weight = next((t for t in (bound.get("other"), bound.get("input")) if isinstance(t, nn.Parameter)), None)
        for p in params:
            self.param_sizes[id(p)] = p.numel()
            if id(p) not in self.seen_params:
                self.seen_params.add(id(p))
                new_params.append(id(p))
                numel += p.numel()
                if p is weight:
                    weights += p.numel()
        module, mtype = (self.stack[-1][0], self.stack[-1][1]) if self.stack else ("", type(self.model).__name__)
        in_shapes = tuple(_shape(t) for t in tensors)
        output = self.new_value(out)
        self.ops.append(Op(len(self.ops), kind, _name(func), module, mtype, inputs, (output,), in_shapes,
                           tuple(out_shape), attrs, tuple(new_params), numel, weights, int(macs),
                           tuple(dict.fromkeys(id(p) for p in params)),
                           id(weight) if isinstance(weight, nn.Parameter) else None))

    def records_fallback(self, result) -> bool:
        if isinstance(result, torch.Tensor):
            return True
        return isinstance(result, (tuple, list)) and any(isinstance(r, torch.Tensor) for r in result)

    def record_generic(self, func, args, kwargs, result):
        outs = [result] if isinstance(result, torch.Tensor) else [r for r in result if isinstance(r, torch.Tensor)]
        tensors = [t for t in _iter_tensors(args, kwargs) if not isinstance(t, nn.Parameter)]
        inputs = tuple(self.value_of(t) for t in tensors)
        used = [t for t in _iter_tensors(args, kwargs) if isinstance(t, nn.Parameter)]
        params = [t for t in used if id(t) not in self.seen_params]
        for p in used:
            self.param_sizes[id(p)] = p.numel()
        for p in params:
            self.seen_params.add(id(p))
        name = _name(func)
        kind = "reshape" if name in _RESHAPES else "other"
        module, mtype = (self.stack[-1][0], self.stack[-1][1]) if self.stack else ("", type(self.model).__name__)
        outputs = [self.new_value(o) for o in outs]
        self.ops.append(Op(len(self.ops), kind, name, module, mtype, inputs, tuple(outputs),
                           tuple(_shape(t) for t in tensors), _shape(outs[0]), {},
                           tuple(id(p) for p in params), sum(p.numel() for p in params), 0, 0,
                           tuple(dict.fromkeys(id(p) for p in used))))

    # -- modules -----------------------------------------------------------------------------------
    def pre_hook(self, module, inputs):
        path, _ = self.paths.get(id(module), (None, None))
        if path is None:
            parent = self.stack[-1][0] if self.stack else ""
            path = f"{parent}.<{type(module).__name__}>" if parent else f"<{type(module).__name__}>"
        ins = tuple(self.value_of(t) for t in _iter_tensors(inputs, {}) if not isinstance(t, nn.Parameter))
        self.stack.append((path, type(module).__name__, len(self.ops), ins))

    def post_hook(self, module, inputs, output):
        if not self.stack:
            return
        path, mtype, first, ins = self.stack.pop()
        outs = [t for t in _iter_tensors((output,), {})]
        out_ids = tuple(self.value_of(t) for t in outs)
        own = [p for p in module.parameters(recurse=False)]
        self.calls.append(ModuleCall(path, mtype, ins, out_ids, tuple(_shape(t) for t in outs),
                                     sum(p.numel() for p in own), sum(p.numel() for p in own if p.requires_grad),
                                     first, len(self.ops), len(self.stack)))


_RESHAPES = {"view", "reshape", "flatten", "permute", "transpose", "squeeze", "unsqueeze", "contiguous", "expand",
             "view_as", "reshape_as", "__getitem__", "chunk", "split", "t", "narrow", "clone", "detach", "to"}


def _iter_tensors(args, kwargs):
    stack = list(args) + list(kwargs.values())
    out = []
    while stack:
        a = stack.pop(0)
        if isinstance(a, torch.Tensor):
            out.append(a)
        elif isinstance(a, (list, tuple)):
            stack[0:0] = list(a)
        elif isinstance(a, dict):
            stack[0:0] = list(a.values())
    return out


def _meta_copies(model: nn.Module) -> dict | None:
    """name -> a meta tensor standing in for each parameter (as a Parameter, requires_grad kept) and buffer,
    or None when every one is on the meta device already."""
    named = list(model.named_parameters()) + list(model.named_buffers())
    if all(t.is_meta for _, t in named):
        return None
    out = {}
    for name, p in model.named_parameters():
        out[name] = nn.Parameter(torch.empty_like(p, device="meta"), requires_grad=p.requires_grad)
    for name, b in model.named_buffers():
        out[name] = torch.empty_like(b, device="meta")
    return out


def trace_model(model: nn.Module, input_shape, train: bool = True, meta_copies: bool = False) -> Trace:
    """Run one forward pass of `model` on a batch-1 meta input; every module's training flag is restored.

    The model is expected on the meta device (built there). With `meta_copies`, a model holding real
    tensors is run with meta copies of its parameters and buffers in their place (functional_call puts
    them in and takes them out again), so that nothing of it is computed, allocated or changed."""
    global _RULES
    if _RULES is None:
        _RULES = _rules()
    tracer = _Tracer(model)
    flags = [(m, m.training) for m in model.modules()]
    model.train(train)
    x = torch.empty((1, *input_shape), device="meta")
    input_id = tracer.value_of(x)
    if any(is_lazy(t) for t in (*model.parameters(), *model.buffers())):
        # nn.LazyConv2d and friends get their shapes from a first forward pass; on the meta device that one
        # costs nothing. A model holding real tensors would be changed by it: not done.
        if not all(t.is_meta for t in (*model.parameters(), *model.buffers())):
            raise ValueError("it has uninitialized lazy parameters (nn.LazyLinear, ...); call it once on an input "
                             "before checking it, or pass its class or a factory so that archcheck builds it")
        with torch.no_grad():
            model(x)
    copies = _meta_copies(model) if meta_copies else None
    pre = nn.modules.module.register_module_forward_pre_hook(tracer.pre_hook)
    post = nn.modules.module.register_module_forward_hook(tracer.post_hook)
    try:
        with _Recorder(tracer), torch.no_grad():
            if copies:
                from torch.func import functional_call
                out = functional_call(model, copies, (x,))
            else:
                out = model(x)
    finally:
        pre.remove()
        post.remove()
        for m, flag in flags:
            m.training = flag
    outs = _iter_tensors((out,), {})
    out_ids = tuple(tracer.value_of(t) for t in outs)
    seen, total, trainable = set(), 0, 0
    for p in model.parameters():
        if id(p) not in seen:
            seen.add(id(p))
            total += p.numel()
            trainable += p.numel() if p.requires_grad else 0
    ops = _cats_as_chain(tracer.ops)
    return Trace(tuple(input_shape), input_id, ops, tracer.calls, out_ids, tuple(_shape(t) for t in outs),
                 total, trainable, weight_depths(ops, False), weight_depths(ops, True), tracer.param_sizes)


def _cats_as_chain(ops: list[Op]) -> list[Op]:
    """The ops, with every concatenation that extends an earlier one reading that one's result.

    torchvision's DenseNet layer concatenates the list of all features before it, `cat([x, f1, ..., fk])`,
    where the classic way to write it extends a running tensor, `y = cat([y, fk])`. Both compute the same
    values; read as written, the first is a graph in which every feature map has its own path to each
    later layer, with exponentially many paths through a dense block. `cat(xs + [fk])`, when `cat(xs)`
    was computed before (same dim), is read as `cat([cat(xs), fk])`: the two styles become one graph.
    """
    seen: dict = {}          # (dim, input values) -> the value of that concatenation
    out = []
    for op in ops:
        if op.kind == "cat" and len(op.attrs["sizes"]) == len(op.inputs):   # (a parameter is not an input)
            dim = op.attrs["dim"]
            for p in range(len(op.inputs) - 1, 0, -1):
                prefix = seen.get((dim, op.inputs[:p]))
                if prefix is not None:
                    value, shape = prefix
                    seen[(dim, op.inputs)] = (op.outputs[0], op.out_shape)
                    sizes = (shape[dim], *op.attrs["sizes"][p:])
                    op = replace(op, inputs=(value, *op.inputs[p:]), in_shapes=(shape, *op.in_shapes[p:]),
                                 attrs={**op.attrs, "sizes": sizes})
                    break
            else:
                seen[(dim, op.inputs)] = (op.outputs[0], op.out_shape)
        out.append(op)
    return out


def weight_depths(ops: list[Op], count_depthwise: bool) -> dict[int, int]:
    """Value id -> weight layers on the longest path from the input to it (ops are in execution
    order, so one pass suffices); depthwise convs count only when asked (MobileNet's "28 layers")."""
    depth: dict[int, int] = {}
    for op in ops:
        d = max((depth.get(v, 0) for v in op.inputs), default=0)
        d += 1 if (op.is_weight_or_depthwise if count_depthwise else op.is_weight_layer) else 0
        for v in op.outputs:
            depth[v] = d
    return depth
