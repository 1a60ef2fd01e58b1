"""Dataflow where every layer reads every earlier one is read in polynomial work.

Read as written, such a graph has exponentially many paths: a dense block of 24 layers made `verify
--model` run the machine out of memory. Two shapes of real code do it: DenseNet's layers concatenating
the list of all earlier features (torchvision), and aggregation by sums over all earlier stages (DLA,
HarDNet-like wiring). Work is counted in stretches of the graph decomposed (Reader._chain calls), not
in seconds: doubling the depth may multiply it by a small power, never by 2^n.
"""
from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from archcheck.subject.units import Graph, Reader
from archcheck.trace import trace_model


class DenseSums(nn.Module):
    def __init__(self, n: int):
        super().__init__()
        self.stem = nn.Conv2d(3, 8, 3, 2, 1)
        self.convs = nn.ModuleList(nn.Conv2d(8, 8, 3, 1, 1) for _ in range(n))

    def forward(self, x):
        ys = [F.relu(self.stem(x))]
        for conv in self.convs:
            ys.append(F.relu(conv(ys[-1])) + sum(ys))      # each stage adds every earlier one
        return ys[-1].mean((2, 3))


class DenseCats(nn.Module):
    def __init__(self, n: int):
        super().__init__()
        self.convs = nn.ModuleList(nn.Conv2d(3 + 4 * i, 4, 3, 1, 1) for i in range(n))

    def forward(self, x):
        feats = [x]
        for conv in self.convs:
            feats.append(conv(torch.cat(feats, 1)))        # torchvision's DenseNet layer
        return torch.cat(feats, 1)


def _work(model: nn.Module) -> int:
    with torch.device("meta"):
        trace = trace_model(model, (3, 16, 16))
    reader, calls = Reader(), []
    inner = reader._chain

    def counted(*args):
        calls.append(1)
        return inner(*args)

    reader._chain = counted
    g = Graph(trace)
    units = reader.chain(g, g.region(trace.input_id, trace.outputs[0]), trace.input_id, trace.outputs[0])
    assert units
    return len(calls)


def test_sums_over_all_earlier_stages_take_polynomial_work():
    small, large = _work(DenseSums(8)), _work(DenseSums(16))
    assert large <= 8 * small, (small, large)        # 2^8 = 256 times more if each path were read


def test_concatenations_of_all_earlier_features_take_polynomial_work():
    small, large = _work(DenseCats(8)), _work(DenseCats(16))
    assert large <= 8 * small, (small, large)
