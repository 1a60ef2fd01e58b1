"""Spec -> nn.Module. Rows become named submodules, in table order.

The builder reads only structural values (`args`, `layers`, options); it never looks at the printed
cells. It tracks the activation shape by arithmetic so that every layer knows its input channels and a
chain that cannot be built is reported against the spec line that broke it.
"""
from __future__ import annotations

import contextlib
from collections import OrderedDict
from dataclasses import dataclass

import torch
from torch import nn
from torch.overrides import TorchFunctionMode

from .errors import Problem, SpecError
from .shapes import conv_out, pair, pool_out
from .spec.model import Layer, Row, Spec, Template
from .spec import language
from .spec.limits import MAX_CHANNELS, MAX_FEATURES, MAX_SPATIAL
from .spec.structure import literal_problem
from .spec.expansion import check_expansion, repeat_count
from .spec.values import ValueProblem, is_expression, need_of, resolve


@dataclass(frozen=True)
class RowInfo:
    """How a spec row appears in the built model."""

    name: str
    aux: bool
    virtual: bool           # listed and compared, no module (softmax)
    absent: bool            # printed, deliberately not built
    repeat: int | None = None   # built `repeat` times: the module's children "0", "1", ... are the repetitions


class Network(nn.Module):
    """The built network: runs rows in order; auxiliary rows branch off and run only in training."""

    def __init__(self, rows: list[tuple[RowInfo, nn.Module | None]]):
        super().__init__()
        self._plan = []
        for info, module in rows:
            if module is not None:
                self.add_module(info.name, module)
                self._plan.append((info.name, info.aux))

    def forward(self, x):
        aux_outputs = []
        for name, aux in self._plan:
            if aux:
                if self.training:
                    aux_outputs.append(getattr(self, name)(x))
            else:
                x = getattr(self, name)(x)
        return (x, *aux_outputs) if aux_outputs else x


class ConcatBlock(nn.Module):
    """Branches from one input, concatenated along channels (an Inception module)."""

    def __init__(self, branches: "OrderedDict[str, nn.Module]"):
        super().__init__()
        for name, module in branches.items():
            self.add_module(name, module)

    def forward(self, x):
        return torch.cat([branch(x) for branch in self.children()], 1)


class SumBlock(nn.Module):
    """Branches from one input, added, then an optional ReLU: a residual block whose shortcut is one of
    its branches (an identity, or ResNet's strided 1×1 projection with batch norm)."""

    def __init__(self, branches: "OrderedDict[str, nn.Module]", relu: bool):
        super().__init__()
        self.branch_names = list(branches)
        for name, module in branches.items():
            self.add_module(name, module)
        self.relu = nn.ReLU() if relu else None

    def forward(self, x):
        outs = [getattr(self, name)(x) for name in self.branch_names]
        y = outs[0]
        for out in outs[1:]:
            y = y + out
        return self.relu(y) if self.relu is not None else y


class ResidualBlock(nn.Module):
    """Branches concatenated, a linear 1×1 filter expansion, scaled, added to the input."""

    def __init__(self, branches: "OrderedDict[str, nn.Module]", expansion: nn.Module, scale: float, relu: bool):
        super().__init__()
        self.branches = ConcatBlock(branches)
        self.expansion = expansion
        self.scale = float(scale)
        self.relu = nn.ReLU() if relu else None

    def forward(self, x):
        y = self.expansion(self.branches(x))
        if self.scale != 1.0:
            y = y * self.scale
        y = x + y
        return self.relu(y) if self.relu is not None else y


# In-place initialisers: on meta tensors they have no values to fill, yet they run Python decompositions
# that take half the time of a meta build. _SkipInit makes them no-ops there.
_INITIALISERS = frozenset([getattr(nn.init, n) for n in dir(nn.init) if n.endswith("_") and not n.startswith("_")]
                          + [torch.Tensor.uniform_, torch.Tensor.normal_, torch.Tensor.zero_, torch.Tensor.fill_])


class _SkipInit(TorchFunctionMode):
    def __torch_function__(self, func, types, args=(), kwargs=None):
        kwargs = kwargs or {}
        if func in _INITIALISERS:
            tensor = args[0] if args else kwargs.get("tensor", kwargs.get("self"))
            if isinstance(tensor, torch.Tensor) and tensor.is_meta:
                return tensor
        return func(*args, **kwargs)


_CLASSES: dict = {}


def _named_class(base: type, name: str) -> type:
    """A subclass named after the template (InceptionBlock), so summaries read like the paper."""
    key = (base, name)
    if key not in _CLASSES:
        _CLASSES[key] = type(name, (base,), {"__module__": __name__})
    return _CLASSES[key]


class _Builder:
    def __init__(self, spec: Spec, device):
        self.spec = spec
        self.device = device
        self.tags: dict[str, str] = {}

    def problem(self, at, where: str, message: str) -> Problem:
        """`at` is a spec line, or (line, column)."""
        line, column = at if isinstance(at, tuple) else (at, None)
        return Problem(self.spec.path, line, column, where, message)

    def fail(self, at, where: str, message: str):
        raise SpecError([self.problem(at, where, message)])

    def check_args(self, kind: str, a: dict, env: dict, at, where: str) -> None:
        """Check the values references resolved to (options, template arguments) like literals, all at once."""
        problems = [self.problem(at, f"{where}.{k}", p) for k, v in a.items()
                    if (declared := language.argument_type(kind, k)) and (p := literal_problem(declared, v))]
        if kind in ("conv", "sepconv", "linear", "bn") and "bn_eps" in env:
            if p := literal_problem(language.NONNEGATIVE, env["bn_eps"]):
                problems.append(self.problem(at, f"{where}: option bn_eps", p))
        if problems:
            raise SpecError(problems)

    def check_shape(self, shape, at, where: str) -> None:
        """archcheck's documented limits on every activation (see spec/limits.py)."""
        if len(shape) == 3 and shape[0] > MAX_CHANNELS:
            self.fail(at, where, f"expected at most {MAX_CHANNELS:,} channels (archcheck's limit), "
                                 f"found an output of {_fmt(shape)}")
        if len(shape) == 3 and max(shape[1:]) > MAX_SPATIAL:
            self.fail(at, where, f"expected outputs at most {MAX_SPATIAL:,} wide and high (archcheck's limit), "
                                 f"found {_fmt(shape)}")
        if len(shape) == 1 and shape[0] > MAX_FEATURES:
            self.fail(at, where, f"expected at most {MAX_FEATURES:,} features (archcheck's limit), found {shape[0]:,}")

    # -- values ------------------------------------------------------------------------------------
    def value(self, raw, env: dict, line, where: str, declared=None):
        """A structural value in the scope `env`: a literal, a name, or arithmetic (spec/values.py)."""
        try:
            return resolve(raw, env, need_of(declared))
        except ValueProblem as exc:
            self.fail(line, where, str(exc))

    # -- layers ------------------------------------------------------------------------------------
    def layers(self, layers, shape, env, path: str, line_where: str):
        """Build a list of layers into an OrderedDict of modules; returns (modules, out_shape)."""
        mods = OrderedDict()
        for layer in layers:
            if not all(c.holds(env) for c in layer.when):
                continue
            index = str(len(mods))
            module, shape = self.layer(layer, shape, env, f"{path}.{index}" if path else index, line_where)
            self.check_shape(shape, (layer.line, layer.column), f"{line_where}: {layer.kind}")
            mods[index] = module
        return mods, shape

    def layer(self, layer: Layer, shape, env, path: str, where: str):
        # `use` names a template, not a value; its args are evaluated below, in this scope.
        line = (layer.line, layer.column)
        a = layer.args if layer.kind == "use" else {
            k: self.value(v, env, line, f"{where}.{layer.kind}.{k}", language.argument_type(layer.kind, k))
            for k, v in layer.args.items()}
        kind, dev = layer.kind, self.device
        where = f"{where}: {kind}"
        if kind != "use":
            self.check_args(kind, a, env, line, where)
        if kind in ("conv", "sepconv"):
            if len(shape) != 3:
                self.fail(line, where, f"expected a C×H×W input for a convolution, found {_fmt(shape)}")
            cin, h, w = shape
            out = _positive(self, a["out"], line, where, "out")
            k = pair(a["kernel"])
            s = pair(a.get("stride", 1))
            d = pair(a.get("dilation", 1))
            p = self.padding(a.get("padding", 0), k, d, line, where)
            bn = a.get("bn", env.get("batch_norm", False))
            bias = a.get("bias", env.get("conv_bias", not bn))
            parts = OrderedDict()
            if kind == "conv":
                groups = a.get("groups", 1)
                if cin % groups or out % groups:
                    self.fail(line, f"{where}.groups", f"expected groups dividing {cin} input and {out} output channels, "
                                                        f"found {groups}")
                parts["conv"] = nn.Conv2d(cin, out, k, s, p, d, groups, bias=bias, device=dev)
                conv_path = f"{path}.conv"
            else:
                mult = a.get("multiplier", 1)
                if cin * mult > MAX_CHANNELS:
                    self.fail(line, f"{where}.multiplier", f"expected at most {MAX_CHANNELS:,} depthwise channels "
                                                           f"(archcheck's limit), found {cin:,} × {mult:,}")
                parts["depthwise"] = nn.Conv2d(cin, cin * mult, k, s, p, d, groups=cin, bias=False, device=dev)
                parts["pointwise"] = nn.Conv2d(cin * mult, out, 1, bias=bias, device=dev)
                conv_path = f"{path}.pointwise"
            if bn:
                parts["bn"] = nn.BatchNorm2d(out, eps=env.get("bn_eps", 1e-5), device=dev)
            if a.get("act", "relu") == "relu":
                parts["relu"] = nn.ReLU(inplace=False)
            if layer.tag:
                self.tags[conv_path] = layer.tag
            oh, ow = (conv_out(n, kk, ss, pp, dd) for n, kk, ss, pp, dd in zip((h, w), k, s, p, d))
            self.check_size(oh, ow, shape, line, where)
            return nn.Sequential(parts), (out, oh, ow)
        if kind == "pool":
            if len(shape) != 3:
                self.fail(line, where, f"expected a C×H×W input for a pool, found {_fmt(shape)}")
            c, h, w = shape
            k = pair(a["kernel"])
            s = pair(a.get("stride", a["kernel"]))
            p = self.padding(a.get("padding", 0), k, (1, 1), line, where)
            if any(pp * 2 > kk for pp, kk in zip(p, k)):
                self.fail(line, f"{where}.padding", f"expected padding at most half the kernel {_fmt(k)}, found {_fmt(p)}")
            ceil = a.get("ceil_mode", False)
            if a["type"] == "max":
                module = nn.MaxPool2d(k, s, p, ceil_mode=ceil)
            elif a["type"] == "avg":
                module = nn.AvgPool2d(k, s, p, ceil_mode=ceil, count_include_pad=a.get("count_include_pad", True))
            else:
                self.fail(line, where, f"expected pool type max or avg, found {a['type']!r}")
            if layer.tag:
                self.tags[path] = layer.tag
            oh, ow = (pool_out(n, kk, ss, pp, 1, ceil) for n, kk, ss, pp in zip((h, w), k, s, p))
            self.check_size(oh, ow, shape, line, where)
            return module, (c, oh, ow)
        if kind in ("global_pool", "lrn") and len(shape) != 3:
            self.fail(line, where, f"expected a C×H×W input, found {_fmt(shape)} (a flat input has no grid)")
        if kind == "global_pool":
            module = nn.AdaptiveMaxPool2d(1) if a.get("type", "avg") == "max" else nn.AdaptiveAvgPool2d(1)
            return module, (shape[0], 1, 1)
        if kind == "lrn":
            return nn.LocalResponseNorm(a.get("size", 5), a.get("alpha", 1e-4), a.get("beta", 0.75),
                                        a.get("k", 1.0)), shape
        if kind == "bn":
            cls = nn.BatchNorm2d if len(shape) == 3 else nn.BatchNorm1d
            return cls(shape[0], eps=a.get("eps", env.get("bn_eps", 1e-5)), device=dev), shape
        if kind == "relu":
            return nn.ReLU(), shape
        if kind == "dropout":
            return nn.Dropout(a.get("p", 0.5)), shape
        if kind == "flatten":
            n = 1
            for v in shape:
                n *= v
            return nn.Flatten(), (n,)
        if kind == "identity":
            return nn.Identity(), shape
        if kind == "linear":
            if len(shape) != 1:
                self.fail(line, where, f"expected a flat input for a linear layer (add a flatten layer), found {_fmt(shape)}")
            out = _positive(self, a["out"], line, where, "out")
            parts = OrderedDict(linear=nn.Linear(shape[0], out, bias=a.get("bias", True), device=dev))
            if layer.tag:
                self.tags[f"{path}.linear"] = layer.tag
            if a.get("bn", False):
                parts["bn"] = nn.BatchNorm1d(out, eps=env.get("bn_eps", 1e-5), device=dev)
            if a.get("act", "none") == "relu":
                parts["relu"] = nn.ReLU()
            if len(parts) == 1:
                if layer.tag:
                    self.tags[path] = self.tags.pop(f"{path}.linear")
                return parts["linear"], (out,)
            return nn.Sequential(parts), (out,)
        if kind == "use":
            template = self.spec.templates[a["template"]]
            # The used template sees the options and its own arguments, not the caller's parameters
            # (which would otherwise override its defaults of the same name).
            args = {k: self.value(v, env, line, f"{where}.args.{k}") for k, v in (layer.args.get("args") or {}).items()}
            inner = {**self.spec.options, **args}
            return self.template(template, inner, shape, path, line, where)
        self.fail(line, where, f"unknown layer kind {kind!r}")

    def padding(self, p, k, d, line, where):
        if p == "valid":
            return (0, 0)
        if p == "same":
            if any(kk % 2 == 0 for kk in k):
                self.fail(line, f"{where}.padding", f"expected an odd kernel for padding 'same', found {_fmt(k)}")
            return tuple(dd * (kk - 1) // 2 for kk, dd in zip(k, d))
        return pair(p)

    def check_size(self, oh, ow, shape, line, where):
        if oh <= 0 or ow <= 0:
            self.fail(line, where, f"the input {_fmt(shape)} is too small for this layer: expected an output of "
                                   f"at least 1×1, found {oh}×{ow}")

    # -- templates ---------------------------------------------------------------------------------
    def template(self, t: Template, env: dict, shape, path: str, line, where: str):
        env = {**env, "in_channels": shape[0]}
        for p, default in t.params.items():   # defaults after the arguments, each seeing those before it
            if p not in env and default is not None:
                env[p] = self.value(default, env, (t.line, t.column), f"templates.{t.name}.params.{p}")
            if p not in env:
                self.fail(line, where, f"template {t.name!r} needs argument {p!r}")
        if t.merge == "sequence":
            mods, shape = self.layers(t.layers, shape, env, path, f"{where} (template {t.name})")
            return nn.Sequential(mods), shape
        branches = [b for b in t.branches if all(c.holds(env) for c in b.when)]
        t_at = (t.line, t.column)
        if t.order:
            order = self.value(t.order, env, t_at, f"templates.{t.name}.order")
            known = [b.name for b in t.branches]
            if not isinstance(order, list) or any(n not in known for n in order):
                self.fail(t_at, f"templates.{t.name}.order", f"expected a list of branch names from {known}, found {order!r}")
            branches = sorted(branches, key=lambda b: order.index(b.name) if b.name in order else len(order))
        mods, channels, spatial, first = OrderedDict(), 0, None, None
        prefix = f"{path}.branches" if t.merge == "residual" else path
        problems = []  # branches are independent: report every broken one
        for b in branches:
            name, b_at, b_where = f"branch_{b.name}", (b.line, b.column), f"{where} branch {b.name}"
            try:
                if name in mods:
                    self.fail(b_at, b_where, f"expected one branch named {b.name!r} with these options, found two")
                sub, out = self.layers(b.layers, shape, env, f"{prefix}.{name}", b_where)
                if len(out) != 3:
                    self.fail(b_at, b_where, f"expected a C×H×W branch output, found {_fmt(out)}")
                if t.merge == "sum" and first is not None and out != first:
                    self.fail(b_at, b_where, f"expected the other branches' output {_fmt(first)}, found {_fmt(out)}; "
                                             "the branches of a sum must have equal shapes")
                if spatial is not None and out[1:] != spatial:
                    self.fail(b_at, b_where, f"expected the other branches' {spatial[0]}×{spatial[1]} grid, found "
                                             f"{_fmt(out)}; branches of different sizes cannot be concatenated")
            except SpecError as exc:
                problems += exc.problems
                continue
            first = first or out
            spatial = out[1:]
            channels += out[0]
            mods[name] = nn.Sequential(sub)
        if problems:
            raise SpecError(problems)
        if not mods:
            self.fail(t_at, where, f"template {t.name!r}: no branch is built with these arguments")
        cls_name = t.class_name or "".join(w.capitalize() for w in t.name.split("_")) + "Block"
        if t.merge == "sum":
            return _named_class(SumBlock, cls_name)(mods, t.activation == "relu"), first
        self.check_shape((channels, *spatial), line, f"{where}: {t.merge} of template {t.name!r}")
        if t.merge == "concat":
            return _named_class(ConcatBlock, cls_name)(mods), (channels, *spatial)
        exp_layer = t.expansion
        exp_mods, exp_shape = self.layers([exp_layer], (channels, *spatial), env, f"{path}.expansion",
                                          f"{where} expansion")
        if exp_shape != shape:
            self.fail((exp_layer.line, exp_layer.column), f"{where} expansion",
                      f"the residual sum needs the expansion's output {_fmt(exp_shape)} to equal the shortcut's "
                      f"{_fmt(shape)}")
        scale = self.value(t.scale, env, t_at, f"templates.{t.name}.scale", language.SCALE)
        if problem := literal_problem(language.SCALE, scale):
            self.fail(t_at, f"{where}: templates.{t.name}.scale", problem)
        expansion = nn.Sequential(exp_mods)
        block = _named_class(ResidualBlock, cls_name)(mods, expansion, scale, t.activation == "relu")
        return block, shape

    # -- rows --------------------------------------------------------------------------------------
    def row_env(self, row: Row, shape) -> dict:
        """The options and the row's arguments. An argument naming an option (`pool_proj: pool_proj_4c_4d`)
        takes its value; arithmetic is evaluated over the options and `in_channels`; other text is kept."""
        opts = self.spec.options
        scope = {**opts, "in_channels": shape[0]} if shape else dict(opts)
        env = dict(opts)
        for k, v in row.args.items():
            if is_expression(v):
                env[k] = self.value(v, scope, (row.line, row.column), f"rows ({row.name}).args.{k}")
            else:
                env[k] = opts[v] if isinstance(v, str) and v in opts else v
        return env

    def row(self, row: Row, shape, repeat: int | None):
        """-> (module or None, output shape). A repeated row is a Sequential of its repetitions."""
        if repeat is not None:
            parts = OrderedDict()
            for i in range(repeat):
                parts[str(i)], shape = self.once(row, shape, f"{row.name}.{i}")
            return nn.Sequential(parts), shape
        return self.once(row, shape, row.name)

    def once(self, row: Row, shape, path: str):
        env = self.row_env(row, shape)
        where = f"rows ({row.name})"
        if row.template:
            t = self.spec.templates[row.template]
            return self.template(t, env, shape, path, (row.line, row.column), where)
        if row.layers is not None:
            mods, out = self.layers(row.layers, shape, {**env, "in_channels": shape[0]}, path, where)
            return nn.Sequential(mods), out
        return None, shape


# Row names become attributes of the Network: these would clash with nn.Module's own.
_RESERVED = frozenset(dir(nn.Module)) | {"training", "archcheck_tags", "archcheck_rows"}


def _positive(b: _Builder, v, line, where, key):
    if not isinstance(v, int) or isinstance(v, bool) or v <= 0:
        b.fail(line, f"{where}.{key}", f"expected a positive whole number of channels, found {v!r}")
    return v


def _fmt(shape) -> str:
    return "×".join(str(v) for v in shape)


def build_model(spec: Spec, device=None) -> Network:
    """Build the spec's network. `device='meta'` builds it without allocating any weight memory."""
    check_expansion(spec)     # before anything is built: refuses a spec over MAX_LAYERS
    b = _Builder(spec, device)
    rows, shape, problems = [], tuple(spec.input), []
    for row in spec.rows:
        if not all(c.holds(spec.options) for c in row.when):
            continue
        repeat = repeat_count(row, spec.options)   # checked by check_expansion
        info = RowInfo(row.name, row.aux, row.virtual, row.absent is not None, repeat)
        try:
            if row.name in _RESERVED or row.name.startswith("_"):
                b.fail((row.line, row.column), f"rows ({row.name}).name",
                       "expected a name that is not an attribute of torch's nn.Module, found one that is")
            if any(row.name == built.name for built, _ in rows):
                b.fail((row.line, row.column), f"rows ({row.name}).name",
                       "expected one row of this name with these options (alternatives need exclusive `when`s), "
                       "found two")
            with _SkipInit() if str(device) == "meta" else contextlib.nullcontext():
                module, out = b.row(row, shape, repeat)
        except SpecError as exc:
            # Report as many broken rows as can be known: an auxiliary row does not change what the
            # next row receives, so building goes on after it; after a main row nothing is known.
            problems += exc.problems
            if row.aux:
                continue
            break
        if not row.aux:
            shape = out
        rows.append((info, module))
    if problems:
        raise SpecError(problems)
    model = Network(rows)
    model.archcheck_tags = dict(b.tags)
    model.archcheck_rows = [info for info, _ in rows]
    return model
