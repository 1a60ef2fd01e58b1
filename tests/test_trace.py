"""The tracer: shapes, MACs and parameters from one meta-device pass, functional ops included."""
from __future__ import annotations

import subprocess
import sys

import torch
import torch.nn.functional as F
from torch import nn

from archcheck.trace import trace_model


class Tiny(nn.Module):
    """Modules and functional calls mixed, with a tied weight and a matmul."""

    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(3, 8, 3, stride=2, padding=1)
        self.dw = nn.Conv2d(8, 8, 3, padding=1, groups=8, bias=False)
        self.fc = nn.Linear(8, 8)
        self.head = nn.Linear(8, 8, bias=False)
        self.head.weight = self.fc.weight                 # tied: counted once
        self.proj = nn.Parameter(torch.empty(8, 4))

    def forward(self, x):
        x = F.relu(self.conv(x))
        y = self.dw(x)
        x = torch.cat([x, y], 1)[:, :8]
        x = F.max_pool2d(x, 2, ceil_mode=True)
        x = F.adaptive_avg_pool2d(x, 1).flatten(1)
        x = self.head(self.fc(x)) + x
        return x @ self.proj


def _trace():
    with torch.device("meta"):
        model = Tiny()
    return trace_model(model, (3, 16, 16))


def test_shapes_and_macs():
    t = _trace()
    kinds = [op.kind for op in t.ops]
    assert kinds.count("conv") == 2 and "cat" in kinds and "matmul" in kinds and "add" in kinds
    conv, dw = [op for op in t.ops if op.kind == "conv"]
    assert conv.out_shape == (1, 8, 8, 8)                 # (16 + 2 - 3) // 2 + 1 = 8
    assert conv.macs == 3 * 3 * 3 * 8 * 8 * 8             # k*k*C_in*C_out*H*W = 13,824
    assert dw.macs == 3 * 3 * 1 * 8 * 8 * 8 and dw.attrs["depthwise"]
    pool = next(op for op in t.ops if op.kind == "max_pool")
    assert pool.out_shape == (1, 8, 4, 4)
    linears = [op for op in t.ops if op.kind == "linear"]
    assert [op.macs for op in linears] == [64, 64]        # 8*8 each
    matmul = next(op for op in t.ops if op.kind == "matmul")
    assert matmul.macs == 8 * 4 and matmul.weights == 32  # x @ W with W a parameter counts as weights
    assert t.output_shapes == ((1, 4),)


def test_parameters_counted_once_even_when_tied():
    t = _trace()
    # conv 3*8*9 + 8, depthwise 8*9, fc 8*8 + 8 (head shares fc.weight), proj 8*4
    assert t.total_params == (216 + 8) + 72 + (64 + 8) + 32 == 400
    assert sum(op.param_numel for op in t.ops) == 400
    assert sum(op.weights for op in t.ops) == 216 + 72 + 64 + 32


def test_depth_counts_weight_layers_on_the_longest_path():
    t = _trace()
    # conv -> (depthwise does not count) -> fc -> head -> matmul
    assert t.value_depth[t.outputs[0]] == 4


def test_no_meta_kernels_on_the_builtin_path():
    """The main path computes shapes itself: no lazy import of sympy/_dynamo (about 1 s per process)."""
    code = ("import sys, archcheck; from archcheck.spec import load_spec; from archcheck.pipeline import verify;"
            "verify(load_spec('specs/googlenet.yaml'));"
            "print('torch._dynamo' in sys.modules, 'sympy' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.split() == ["False", "False"]
