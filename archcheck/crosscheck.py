"""`verify --crosscheck`: torchinfo and fvcore on a real-weight copy, beside archcheck's own counts.

The two tools count differently from archcheck and from each other; every difference is computed from
archcheck's trace under the other tool's convention, so that a disagreement is either explained to the
unit or flagged as unexplained:

- fvcore 0.1.5 `FlopCountAnalysis(model, x).total()`: its "flops" are multiply-adds of conv, linear and
  matmul, plus by default 2 per element for (affine, eval) batch norm and 1 per input element for
  adaptive average pooling (and other norms and upsampling); the max/avg pools, activations and
  additions are not counted.
- torchinfo 1.8.0 `summary(model, input_data=x).total_mult_adds`: per leaf module with parameters,
  (weight + bias entries) x output positions for convs and x batch for others, so conv and linear bias
  additions and batch-norm parameters are included and functional calls (`x @ w`, F.conv2d outside a
  module) count 0. Its `total_params` counts a tensor shared by two modules once per module (and then
  may drop a parent's own parameters, see _torchinfo_params).

The copy is made only when it fits: the estimate is 4 bytes per parameter, buffer entry and activation
entry of one batch-1 pass, against half of the memory this process can still use (the least of the
machine's available memory, the room under its cgroup limit and under RLIMIT_AS).
"""
from __future__ import annotations

import gc
import math
import warnings
from dataclasses import dataclass, field

# fvcore's by_operator() keys that are multiply-adds of weight layers; everything else is an extra.
_FVCORE_MAC_OPS = ("conv", "linear", "addmm", "matmul", "mm", "bmm", "einsum")
_BUDGET_FRACTION = 0.5
GIB = 1024 ** 3


@dataclass
class Entry:
    quantity: str            # "parameters" or "multiply-adds"
    tool: str
    value: int | None
    convention: str
    expected: int | None     # archcheck's trace counted under this tool's convention
    explanation: str = ""    # why value differs from archcheck's own count (when it does)
    error: str = ""          # the tool failed on this model

    @property
    def status(self) -> str:
        if self.error:
            return "failed"
        if self.expected is None:
            return "reference"
        return "agrees" if self.value == self.expected else "unexplained"


@dataclass
class CrossCheck:
    input_shape: tuple
    ran: bool
    estimate_bytes: int
    budget_bytes: int
    entries: list[Entry] = field(default_factory=list)
    skipped: str = ""

    def as_json(self) -> dict:
        out = {"ran": self.ran, "input": [1, *self.input_shape], "mode": "eval",
               "estimated_bytes": self.estimate_bytes}
        if not self.ran:
            out["skipped"] = self.skipped
            return out
        out["entries"] = [{"quantity": e.quantity, "tool": e.tool, "value": e.value, "convention": e.convention,
                           "expected": e.expected, "status": e.status, "explanation": e.explanation or None,
                           **({"error": e.error} if e.error else {})} for e in self.entries]
        return out


# -- what archcheck's trace says under each convention ---------------------------------------------------

@dataclass
class _Counts:
    params: int
    buffers: int
    macs: int
    functional_macs: int     # matmul ops (x @ w): no module, so torchinfo gives them 0
    bias_adds: int           # one addition per output element per conv/linear bias entry
    norm_params: int         # parameters of norm layers (torchinfo: x batch)
    bn_elements: int         # elements through affine batch norm (fvcore: 2 each in eval)
    bn_plain_elements: int   # through batch norm without affine (fvcore: 1 each)
    adaptive_avg_elements: int   # input elements of adaptive average pools (fvcore: 1 each)
    other_norm: int          # layer/group/instance norm as fvcore counts them (2, 2, 1 per element)
    activations: int         # entries of all op outputs, batch 1
    torchinfo_params: int    # torchinfo's total_params rule applied to the module tree


def _trace_counts(meta_model, input_shape) -> _Counts:
    from .trace import trace_model

    trace = trace_model(meta_model, tuple(input_shape), train=False)
    c = _Counts(trace.total_params, sum(b.numel() for b in meta_model.buffers()), 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)
    for op in trace.ops:
        c.macs += op.macs
        c.activations += math.prod(op.out_shape)
        if op.kind == "matmul":
            c.functional_macs += op.macs
        elif op.kind == "conv" and op.attrs.get("bias"):
            c.bias_adds += math.prod(op.out_shape[1:])
        elif op.kind == "linear" and op.attrs.get("bias"):
            c.bias_adds += math.prod(op.out_shape)
        elif op.kind == "norm":
            c.norm_params += op.param_numel
            n = math.prod(op.in_shapes[0]) if op.in_shapes else 0
            norm = op.attrs.get("norm")
            if norm == "batch":
                if op.param_numel:
                    c.bn_elements += n
                else:
                    c.bn_plain_elements += n
            elif norm in ("layer", "group"):
                c.other_norm += 2 * n
            elif norm == "instance":
                c.other_norm += n
        elif op.name.startswith("adaptive_avg_pool") and len(op.in_shapes[0]) == 4:   # not x.mean((2, 3))
            c.adaptive_avg_elements += math.prod(op.in_shapes[0])
    c.torchinfo_params = _torchinfo_params(meta_model, {call.path for call in trace.calls})
    return c


def _torchinfo_params(model, called: set) -> int:
    """torchinfo 1.8.0's total_params over the modules that ran (`called`: their paths): each leaf module's
    parameters, plus for each parent its `leftover`, its unique parameters minus what all its descendants
    counted, clamped at 0. A tensor shared by two modules is counted in both, and a parent whose
    descendants over-count that way loses its own parameters; modules that did not run count in their
    parent's leftover."""
    total = 0

    def below(module, path: str) -> int:     # what the called descendants of `module` count
        nonlocal total
        counted = 0
        for name, child in module.named_children():
            sub = f"{path}.{name}" if path else name
            inner = below(child, sub)
            if sub in called:
                own = sum(p.numel() for p in child.parameters())
                mine = own if next(child.children(), None) is None else own - inner
                total += max(mine, 0)
                counted += mine
            counted += inner
        return counted

    counted = below(model, "")
    return total + max(sum(p.numel() for p in model.parameters()) - counted, 0)


# -- memory -------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class MemoryLimit:
    bytes: int
    source: str              # what set it, for the "not run" note


def _read_int(path: str) -> int | None:
    """An integer file of /proc or /sys; None when absent, unreadable or 'max' (no limit)."""
    try:
        with open(path) as fh:
            text = fh.read().strip()
    except OSError:
        return None
    try:
        return int(text.split()[0]) if text and text != "max" else None
    except ValueError:
        return None


def _meminfo(key: str) -> int | None:
    try:
        with open("/proc/meminfo") as fh:
            for line in fh:
                if line.startswith(key + ":"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    return None


def _cgroup_dirs(proc: str, root: str) -> list[tuple[str, str, str]]:
    """(version, base, directory) of this process's memory cgroups, from /proc/self/cgroup."""
    out = []
    try:
        with open(proc) as fh:
            lines = fh.read().splitlines()
    except OSError:
        return out
    for line in lines:
        parts = line.split(":", 2)
        if len(parts) != 3:
            continue
        _, controllers, path = parts
        if controllers == "":                                   # cgroup v2, unified hierarchy
            out.append(("v2", root, root + path.rstrip("/")))
        elif "memory" in controllers.split(","):                # cgroup v1 memory controller
            out.append(("v1", root + "/memory", root + "/memory" + path.rstrip("/")))
    return out


def _cgroup_limit(proc: str = "/proc/self/cgroup", root: str = "/sys/fs/cgroup") -> MemoryLimit | None:
    """The room left under this process's cgroup memory limit (the tightest of its group and their parents)."""
    best = None
    for version, base, directory in _cgroup_dirs(proc, root):
        while True:
            if version == "v2":
                limit, used = _read_int(f"{directory}/memory.max"), _read_int(f"{directory}/memory.current")
            else:
                limit = _read_int(f"{directory}/memory.limit_in_bytes")
                used = _read_int(f"{directory}/memory.usage_in_bytes")
                limit = None if limit is not None and limit >= 2 ** 60 else limit   # v1 "no limit"
            if limit is not None:
                room = max(limit - (used or 0), 0)
                if best is None or room < best.bytes:
                    best = MemoryLimit(room, f"the room under the cgroup memory limit ({_gib(limit)})")
            if len(directory) <= len(base):   # the hierarchy's root has no limit of its own
                break
            directory = directory.rsplit("/", 1)[0]
    return best


def _address_space_limit() -> MemoryLimit | None:
    """The room left under RLIMIT_AS (ulimit -v): the soft limit minus what the process has mapped."""
    try:
        import resource
        soft, _ = resource.getrlimit(resource.RLIMIT_AS)
    except (ImportError, OSError, ValueError, AttributeError):
        return None
    if soft == resource.RLIM_INFINITY or soft < 0:
        return None
    mapped = None
    try:
        with open("/proc/self/status") as fh:
            for line in fh:
                if line.startswith("VmSize:"):
                    mapped = int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    return MemoryLimit(max(soft - (mapped or 0), 0), f"the room under the address-space limit RLIMIT_AS ({_gib(soft)})")


def memory_room() -> MemoryLimit:
    """How much more memory this process can use: the least of the memory available on the machine, the
    room under its cgroup limit and the room under RLIMIT_AS."""
    available = _meminfo("MemAvailable")
    if available is None:
        import os
        try:
            available = os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
        except (ValueError, OSError, AttributeError):
            available = 0
    limits = [MemoryLimit(available, "the memory available now")]
    limits += [m for m in (_cgroup_limit(), _address_space_limit()) if m is not None]
    return min(limits, key=lambda m: m.bytes)


def _gib(n: int) -> str:
    return f"{n / GIB:.1f} GiB"


# -- running the tools --------------------------------------------------------------------------------

def _materialise(meta_model):
    """The meta model with real float32 weights on the CPU, initialised as its layers initialise them.

    Tensors are replaced one by one rather than with to_empty(), which unties shared parameters."""
    import torch
    from torch import nn

    torch.manual_seed(0)
    made: dict[int, torch.Tensor] = {}

    def real(t, parameter: bool):
        if id(t) not in made:
            data = torch.zeros(t.shape, dtype=t.dtype)   # kept by layers without reset_parameters()
            made[id(t)] = nn.Parameter(data, requires_grad=t.requires_grad) if parameter else data
        return made[id(t)]

    modules = list(meta_model.modules())
    for m in modules:
        for name, p in m._parameters.items():
            if p is not None:
                m._parameters[name] = real(p, True)
        for name, b in m._buffers.items():
            if b is not None:
                m._buffers[name] = real(b, False)
    with torch.no_grad():
        for m in modules:
            if callable(getattr(m, "reset_parameters", None)):
                m.reset_parameters()
    return meta_model.eval()


def _run_torchinfo(model, x):
    import torchinfo

    stats = torchinfo.summary(model, input_data=x, verbose=0)
    return int(stats.total_params), int(stats.total_mult_adds)


def _run_fvcore(model, x):
    from fvcore.nn import FlopCountAnalysis

    analysis = FlopCountAnalysis(model, x).unsupported_ops_warnings(False).uncalled_modules_warnings(False)
    total = int(analysis.total())
    return total, {k: int(v) for k, v in analysis.by_operator().items()}


def _error(exc: BaseException) -> str:
    text = " ".join(str(exc).split())
    return f"{type(exc).__name__}: {text[:300]}" if text else type(exc).__name__


def meta_factory(spec, model_ref: str | None = None, model_args=()):
    """A function that builds the checked model on the meta device: --model's, or the spec's build."""
    if model_ref:
        from .subject import load_model, parse_model_args

        kwargs = parse_model_args(model_args)
        return lambda: load_model(model_ref, kwargs)
    from .build import build_model

    return lambda: build_model(spec, device="meta")


def crosscheck(make_meta_model, input_shape, budget_bytes: int | None = None) -> CrossCheck:
    """Run torchinfo and fvcore on a real-weight copy of the model `make_meta_model()` builds on meta.

    `budget_bytes` defaults to half of the available memory; over it, the check is skipped (and says why).
    """
    import torch

    counts = _trace_counts(make_meta_model(), input_shape)
    estimate = 4 * (counts.params + counts.buffers + counts.activations)
    if budget_bytes is None:
        room = memory_room()
        budget, why = int(_BUDGET_FRACTION * room.bytes), f"half of {room.source}"
    else:
        budget, why = budget_bytes, "the budget given"
    cc = CrossCheck(tuple(input_shape), False, estimate, budget)
    if estimate > budget:
        cc.skipped = (f"a real-weight copy needs about {_gib(estimate)} (float32 weights {_gib(4 * counts.params)}, "
                      f"activations of one pass {_gib(4 * counts.activations)}), more than the "
                      f"{_gib(budget)} allowed ({why})")
        return cc
    was_enabled = gc.isenabled()
    gc.enable()         # real tensors and TorchScript graphs: let cycles be collected
    try:
        model = _materialise(make_meta_model())
        x = torch.randn(1, *input_shape)
        with torch.no_grad(), warnings.catch_warnings():
            warnings.simplefilter("ignore")      # TorchScript tracer warnings from fvcore
            cc.entries = _compare(counts, model, x)
        cc.ran = True
    finally:
        if not was_enabled:
            gc.disable()
    return cc


def _compare(c: _Counts, model, x) -> list[Entry]:
    unique = sum(p.numel() for p in model.parameters())
    entries = [
        Entry("parameters", "archcheck", c.params, "every parameter tensor counted once", None),
        Entry("parameters", "PyTorch: sum(p.numel() for p in model.parameters())", unique,
              "every parameter tensor counted once", c.params),
    ]
    try:
        ti_params, ti_macs = _run_torchinfo(model, x)
    except Exception as exc:  # noqa: BLE001 - a tool failing is a finding of the cross-check, not a crash
        ti_params = ti_macs = None
        ti_error = _error(exc)
    else:
        ti_error = ""
    extra = c.torchinfo_params - c.params
    tied = f"parameters shared between modules, counted per module: {extra:+,}" if extra else ""
    entries.append(Entry("parameters", "torchinfo total_params", ti_params,
                         "per module; a tensor shared by several modules is counted once for each", c.torchinfo_params,
                         tied, ti_error))
    entries.append(Entry("multiply-adds", "archcheck", c.macs,
                         "conv/linear/matmul multiply-adds per image; norms, pools, activations count 0", None))
    try:
        fv_total, fv_ops = _run_fvcore(model, x)
    except Exception as exc:  # noqa: BLE001
        fv_total, fv_ops, fv_error = None, {}, _error(exc)
    else:
        fv_error = ""
    fv_macs = sum(v for k, v in fv_ops.items() if k in _FVCORE_MAC_OPS) if not fv_error else None
    extras = [(f"batch norm (2 per element, affine, eval) +{2 * c.bn_elements:,}", 2 * c.bn_elements),
              (f"batch norm without affine (1 per element) +{c.bn_plain_elements:,}", c.bn_plain_elements),
              (f"adaptive average pooling (1 per input element) +{c.adaptive_avg_elements:,}", c.adaptive_avg_elements),
              (f"layer/group/instance norm +{c.other_norm:,}", c.other_norm)]
    fv_expected = c.macs + sum(v for _, v in extras)
    entries.append(Entry("multiply-adds", "fvcore FlopCountAnalysis.total()", fv_total,
                         "'flops' = multiply-adds of conv/linear/matmul, plus by default batch norm, adaptive "
                         "average pooling, other norms and upsampling", fv_expected,
                         "; ".join(text for text, v in extras if v), fv_error))
    entries.append(Entry("multiply-adds", "fvcore conv/linear/matmul operators (by_operator)", fv_macs,
                         "fvcore with its batch-norm, adaptive-pool and other non-MAC handles left out", c.macs,
                         "", fv_error))
    ti_expected = c.macs - c.functional_macs + c.bias_adds + c.norm_params
    why = [(f"conv/linear bias additions +{c.bias_adds:,}", c.bias_adds),
           (f"norm-layer parameters (x batch) +{c.norm_params:,}", c.norm_params),
           (f"functional matmuls (no module) counted 0: -{c.functional_macs:,}", c.functional_macs)]
    entries.append(Entry("multiply-adds", "torchinfo total_mult_adds", ti_macs,
                         "per module with parameters: (weight + bias) x output positions; functional ops count 0",
                         ti_expected, "; ".join(text for text, v in why if v), ti_error))
    return entries


# -- rendering (called by the Markdown, text and JSON renderers) --------------------------------------

def _difference(e: Entry, own: dict) -> str:
    if e.status == "failed":
        return f"the tool failed: {e.error}"
    if e.status == "reference":
        return ""
    base = own[e.quantity]
    diff = (e.value or 0) - base
    if diff == 0 and e.status == "agrees":
        return "same"
    if e.status == "agrees":
        return f"{diff:+,}, explained: {e.explanation}"
    return (f"{diff:+,}; UNEXPLAINED: archcheck's trace under this convention gives {e.expected:,}"
            + (f" ({e.explanation})" if e.explanation else ""))


def rows(cc: CrossCheck) -> list[list[str]]:
    own = {e.quantity: e.value for e in cc.entries if e.tool == "archcheck"}
    return [[e.quantity, e.tool, "-" if e.value is None else f"{e.value:,}", e.convention, _difference(e, own)]
            for e in cc.entries]


HEADERS = ["quantity", "tool", "value", "convention", "against archcheck"]


def intro(cc: CrossCheck) -> str:
    shape = "×".join(str(v) for v in cc.input_shape)
    if not cc.ran:
        return f"Not run: {cc.skipped}."
    bad = [e for e in cc.entries if e.status in ("unexplained", "failed")]
    summary = ("Every difference is explained by the tools' conventions." if not bad else
               f"{len(bad)} value(s) disagree beyond the tools' conventions: see the last column.")
    return (f"torchinfo and fvcore on a real-weight copy of the model (float32, eval mode, one 1×{shape} input; "
            f"about {_gib(cc.estimate_bytes)}). {summary}")
