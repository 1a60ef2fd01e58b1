"""Every op the tracer computes takes its arguments as PyTorch does: by position, by keyword, and by the
keyword aliases PyTorch's argument parser accepts (torch.cat(xs, axis=1), torch.add(x1=a, x2=b)).

For each rule of archcheck/trace.py, the real op runs on small CPU tensors and the tracer runs the same
call on meta tensors; the recorded op must have the real op's output shape. The names of a rule are
checked against torch itself: a call that names every argument by the rule's names must be accepted by
the real function (so a rule cannot keep a name torch does not use, or miss one it does).
"""
from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F
from torch import nn

from archcheck.trace import ALIASES, _rules, trace_model

RULES = _rules()
T = torch.Tensor

# Sample values for every argument name a rule uses, by rule kind ("input" is built per function).
SAMPLES = {
    "conv": lambda nd: {"weight": torch.ones(6, 2, *(3,) * nd), "bias": torch.ones(6), "stride": 2, "padding": 1,
                        "dilation": 1, "groups": 2},
    "linear": lambda nd: {"weight": torch.ones(5, 8), "bias": torch.ones(5)},
    "max_pool": lambda nd: {"kernel_size": 3, "stride": 2, "padding": 1, "dilation": 1, "ceil_mode": True,
                            "return_indices": False},
    "avg_pool": lambda nd: {"kernel_size": 3, "stride": 2, "padding": 1, "ceil_mode": True,
                            "count_include_pad": False, "divisor_override": None},
    "adaptive_pool": lambda nd: {"output_size": 2, "return_indices": False, "dim": tuple(range(2, 2 + nd)),
                                 "keepdim": True},
    "norm": lambda nd: {"running_mean": torch.zeros(4), "running_var": torch.ones(4), "weight": None, "bias": None,
                        "training": False, "momentum": 0.1, "eps": 1e-3, "normalized_shape": (9,) * nd,
                        "num_groups": 2, "use_input_stats": True},
    "lrn": lambda nd: {"size": 3, "alpha": 1e-4, "beta": 0.75, "k": 2.0},
    "act": lambda nd: {"inplace": False, "min_val": -1.0, "max_val": 1.0, "negative_slope": 0.1, "alpha": 1.0,
                       "dim": 1, "approximate": "tanh"},
    "dropout": lambda nd: {"p": 0.3, "training": True, "inplace": False},
    "add": lambda nd: {"other": torch.ones(1, 4, *(9,) * nd), "alpha": 2},
    "mul": lambda nd: {"other": torch.ones(1, 4, *(9,) * nd), "rounding_mode": None},
    "cat": lambda nd: {"dim": 1},
    "matmul": lambda nd: {"other": torch.ones(9, 3), "mat2": torch.ones(9, 3)},
}


def _name(func) -> str:
    return getattr(func, "__name__", "") or type(func).__name__


def _dims(func, rule) -> int:
    """Spatial dimensions the function works on (conv1d: 1, max_pool3d: 3, the others: 2)."""
    name = _name(func)
    for nd in (1, 2, 3):
        if f"{nd}d" in name:
            return nd
    return 1 if rule.kind == "norm" and name == "layer_norm" else 2


def _input(func, rule, nd):
    """The first argument; its leading 1 is the batch trace_model adds."""
    if rule.kind == "matmul":
        return torch.ones(1, 9, 9) if _name(func) == "bmm" else torch.ones(1, 9)
    if rule.kind == "linear":
        return torch.ones(1, 8)
    return torch.ones(1, 4, *(9,) * nd)


def _call_args(func, rule):
    """(positional args, keyword args): the first argument by position, every other one the rule names by keyword."""
    nd = _dims(func, rule)
    samples = SAMPLES[rule.kind](nd)
    if _name(func) == "bmm":
        samples["mat2"] = torch.ones(1, 9, 3)
    if _name(func) == "__rmatmul__":   # x.__rmatmul__(y) computes y @ x
        samples["other"] = torch.ones(2, 1)
    first = rule.names[0]
    x = [_input(func, rule, nd)] * 2 if first == "tensors" else _input(func, rule, nd)
    kwargs = {n: samples[n] for n in rule.names[1:] if n in samples}
    if _name(func) in ("mean", "amax"):
        kwargs.pop("keepdim")
    return x, kwargs


def _meta(v):
    if isinstance(v, torch.Tensor):
        return v.to("meta")
    if isinstance(v, list):
        return [_meta(t) for t in v]
    return v


class Call(nn.Module):
    """A model whose forward is one call: the traced input stands for the first argument."""

    def __init__(self, func, args: tuple, kwargs: dict):
        super().__init__()
        self.func, self.args, self.kwargs = func, args, kwargs

    def forward(self, x):
        first = [x, x] if isinstance(self.args[0], list) else x
        return self.func(first, *self.args[1:], **self.kwargs)


def _traced(func, args, kwargs):
    x0 = args[0][0] if isinstance(args[0], list) else args[0]
    model = Call(func, tuple(_meta(a) for a in args), {k: _meta(v) for k, v in kwargs.items()})
    return trace_model(model, tuple(x0.shape[1:]))


CASES = [(f, r) for f, r in RULES.items() if r.kind in SAMPLES]


@pytest.mark.parametrize("func, rule", CASES, ids=[f"{getattr(f, '__qualname__', f)}" for f, _ in CASES])
def test_rule_names_are_torch_names_and_keyword_calls_trace(func, rule):
    x, kwargs = _call_args(func, rule)
    # The real op accepts every name of the rule as a keyword: the names are torch's own.
    real = func(x, **kwargs)
    real = real[0] if isinstance(real, tuple) else real
    assert isinstance(real, torch.Tensor), f"{_name(func)} does not take {sorted(kwargs)} by keyword"
    trace = _traced(func, (x,), kwargs)
    recorded = [op for op in trace.ops if op.kind == rule.kind]
    assert recorded, f"{_name(func)} with keywords {sorted(kwargs)} was not recorded as {rule.kind}"
    assert recorded[-1].out_shape == tuple(real.shape)


@pytest.mark.parametrize("func, rule", CASES, ids=[f"{getattr(f, '__qualname__', f)}" for f, _ in CASES])
def test_every_alias_torch_accepts_traces_alike(func, rule):
    x, kwargs = _call_args(func, rule)
    tried = 0
    for alias, name in ALIASES.items():
        if name not in kwargs and not (name == rule.names[0] and name == "input"):
            continue
        if name == "input":
            continue   # the traced input is passed by position (a Tensor method's self cannot be renamed)
        renamed = {(alias if k == name else k): v for k, v in kwargs.items()}
        try:
            real = func(x, **renamed)
        except TypeError:
            continue   # torch does not accept this alias for this function: nothing to mirror
        real = real[0] if isinstance(real, tuple) else real
        if not isinstance(real, torch.Tensor):
            continue   # a reflected operator answers NotImplemented: Python would try the other operand
        tried += 1
        trace = _traced(func, (x,), renamed)
        recorded = [op for op in trace.ops if op.kind == rule.kind]
        assert recorded and recorded[-1].out_shape == tuple(real.shape), f"{_name(func)}({alias}=...)"
    if func in (torch.cat, torch.concat, torch.concatenate, torch.softmax, T.softmax, torch.mean, T.mean, torch.add,
                T.add, torch.matmul):
        assert tried, f"torch accepts an alias (axis=, x2=) for {_name(func)}; the test must have tried it"


def test_keyword_inputs_and_aliases_of_builtins():
    # Inputs by keyword, as tutorials write them: F.conv2d(input=..., weight=...), torch.add(x1, x2),
    # torch.relu(x=...), torch.mm(a, mat2=...). Each must be recorded with its real output shape.
    class Keywords(nn.Module):
        def __init__(self):
            super().__init__()
            self.w = nn.Parameter(torch.ones(8, 3, 3, 3))
            self.fc = nn.Parameter(torch.ones(32, 5))

        def forward(self, x):
            y = F.conv2d(input=x, weight=self.w, stride=2, padding=1)
            y = torch.relu(x=y)
            y = torch.add(x1=y, x2=y)
            z = torch.cat(tensors=[y, y], axis=1)
            z = torch.concatenate([z, y], axis=1)
            z = torch.concat((z, y), dim=-3)
            v = z.mean(axis=(2, 3))
            return torch.mm(v, mat2=self.fc)

    with torch.device("meta"):
        model = Keywords()
    trace = trace_model(model, (3, 16, 16))
    kinds = [(op.kind, op.out_shape) for op in trace.ops]
    assert kinds == [("conv", (1, 8, 8, 8)), ("act", (1, 8, 8, 8)), ("add", (1, 8, 8, 8)), ("cat", (1, 16, 8, 8)),
                     ("cat", (1, 24, 8, 8)), ("cat", (1, 32, 8, 8)), ("adaptive_pool", (1, 32)),
                     ("matmul", (1, 5))]
    # the dataflow is unbroken: every op reads the previous one's output
    for prev, op in zip(trace.ops, trace.ops[1:]):
        assert prev.outputs[0] in op.inputs


def test_residual_add_with_alpha_is_a_scaling_and_a_sum():
    class Scaled(nn.Module):
        def forward(self, x):
            return torch.add(x, x.relu(), alpha=0.17)

    with torch.device("meta"):
        trace = trace_model(Scaled(), (4, 5, 5))
    assert [(op.kind, op.attrs.get("scalar")) for op in trace.ops] == [("act", None), ("mul", 0.17), ("add", None)]
