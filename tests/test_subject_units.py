"""Reading a traced network as units (subject/units.py): layers, blocks, splits, ops that change nothing, and
the tracer additions it relies on."""
from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F
from torch import nn

from archcheck.subject.align import Matcher, longest_output, read_subject
from archcheck.subject.differences import describe
from archcheck.subject.units import Graph, Reader
from archcheck.trace import trace_model


def _side(model: nn.Module, shape=(8, 16, 16)):
    with torch.device("meta"):
        m = model()
    trace = trace_model(m, shape)
    return read_subject(Reader(), trace, Graph(trace), longest_output(trace))


def _shape_of(units):
    """Units as plain text, blocks as lists of branches."""
    return [[_shape_of(b.units) for b in u.branches] if u.kind == "block" else describe(u) for u in units]


class Nested(nn.Module):
    """pytorchcv's Inception-v3 style: cat(a, cat(b(r), c(r)))."""

    def __init__(self):
        super().__init__()
        self.a, self.r = nn.Conv2d(8, 4, 1), nn.Conv2d(8, 6, 1)
        self.b, self.c = nn.Conv2d(6, 4, (1, 3), padding=(0, 1)), nn.Conv2d(6, 4, (3, 1), padding=(1, 0))

    def forward(self, x):
        t = F.relu(self.r(x))
        return torch.cat([F.relu(self.a(x)), torch.cat([self.b(t), self.c(t)], 1)], 1)


class Flat(Nested):
    """torchvision's style of the same module: cat(a, b(r), c(r))."""

    def forward(self, x):
        t = F.relu(self.r(x))
        return torch.cat([F.relu(self.a(x)), self.b(t), self.c(t)], 1)


def test_nested_and_flat_concatenations_read_alike():
    # Both read as two branches: the 1×1, and the shared 1×1 reduce that splits into 1×3 ‖ 3×1.
    nested, flat = _side(Nested), _side(Flat)
    expected = [[["convolution 1×1 (8 → 4 channels)"],
                 ["convolution 1×1 (8 → 6 channels)", "1×3 ‖ 3×1 pair (4 + 4 = 8 channels)"]]]
    assert sorted(map(str, _shape_of(nested.main))) == sorted(map(str, expected))
    assert _shape_of(nested.main) == _shape_of(flat.main)
    assert Matcher().sequence(nested.main, flat.main)[0] == 0
    [block] = flat.main
    split = next(b.units[-1] for b in block.branches if b.units[-1].kind == "split")
    assert [[describe(u) for u in t.units] for t in split.branches] == [["convolution 1×3 (6 → 4 channels)"],
                                                                         ["convolution 3×1 (6 → 4 channels)"]]


class Residual(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(8, 8, 3, padding=1)

    def forward(self, x):
        return F.relu(x + 0.2 * self.conv(x))


def test_residual_sum_is_a_block_with_a_pass_through_branch():
    [block] = _side(Residual).main
    assert block.kind == "block" and block.main.kind == "add"
    assert sorted(map(str, _shape_of([block])[0])) == sorted(map(str, [[], ["convolution 3×3 (8 → 8 channels)",
                                                                             "scaling by 0.2"]]))
    assert [op.kind for op in block.deco] == ["act"]     # the ReLU after the sum belongs to the block


class Separable(nn.Module):
    def __init__(self):
        super().__init__()
        self.dw = nn.Conv2d(8, 64, 7, 2, 3, groups=8, bias=False)
        self.pw = nn.Conv2d(64, 16, 1)
        self.bn = nn.BatchNorm2d(16)

    def forward(self, x):
        return torch.relu(self.bn(self.pw(self.dw(x))))


def test_depthwise_then_pointwise_is_one_separable_layer_with_its_decorations():
    [unit] = _side(Separable).main
    assert describe(unit) == "separable convolution 7×7/2 (8 → 16 channels, depth multiplier 8)"
    assert [op.kind for op in unit.deco] == ["norm", "act"]


class Heads(nn.Module):
    def __init__(self):
        super().__init__()
        self.body, self.head, self.side = nn.Conv2d(8, 8, 3, padding=1), nn.Linear(8, 2), nn.Linear(8, 3)

    def forward(self, x):
        x = self.body(x)
        aux = self.side(F.adaptive_avg_pool2d(x, 1).flatten(1))
        return {"logits": self.head(x.mean((2, 3))), "aux": aux}


def test_longest_output_is_the_network_and_the_others_are_heads():
    side = _side(Heads)
    assert [u.kind for u in side.main] == ["conv", "pool", "linear"]   # x.mean((2, 3)) is a global average pool
    [head] = side.aux
    assert [u.kind for u in head.units] == ["pool", "reshape", "linear"]
    assert head.attach == side.main[0].out


def test_graph_region_skips_buffer_updates():
    # Batch norm in training mode increments num_batches_tracked: an op on a buffer, not on the dataflow.
    with torch.device("meta"):
        m = nn.Sequential(nn.Conv2d(3, 4, 3), nn.BatchNorm2d(4))
    t = trace_model(m, (3, 8, 8))
    g = Graph(t)
    region = g.region(t.input_id, t.outputs[0])
    assert [t.ops[i].kind for i in region] == ["conv", "norm"]
    assert any(op.kind == "add" for op in t.ops)


class Adaptive(nn.Module):
    def forward(self, x):
        return [F.adaptive_avg_pool2d(x, size) for size in (1, 7, 4)]


def test_evenly_dividing_adaptive_pool_has_its_fixed_pool_kernel():
    with torch.device("meta"):
        model = Adaptive()
    one, seven, four = [op.attrs for op in trace_model(model, (8, 14, 14)).ops]
    assert (one["kernel"], one["stride"]) == ((14, 14), (1, 1))       # one window, written /1 as papers do
    assert (seven["kernel"], seven["stride"]) == ((2, 2), (2, 2))     # 14 / 7 = 2
    assert "kernel" not in four                                       # 14 / 4: windows of 4 and 5 overlap


@pytest.mark.parametrize("layer, shape", [
    (lambda: nn.Conv2d(4, 8, 3), (3, 16, 16)),             # 3 channels into a 4-channel conv
    (lambda: nn.Conv2d(3, 8, 7), (3, 4, 4)),               # a 7×7 kernel on a 4×4 input
    (lambda: nn.Sequential(nn.Flatten(), nn.Linear(10, 2)), (3, 4, 4)),   # 48 features into 10
    (lambda: nn.MaxPool2d(5), (3, 4, 4)),
])
def test_tracer_refuses_what_pytorch_refuses(layer, shape):
    with torch.device("meta"):
        model = layer()
    with pytest.raises(RuntimeError):
        trace_model(model, shape)


class Normalized(nn.Module):
    """Input normalization inside the model, then one conv: the normalization is not a layer of the paper."""

    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(3, 64, 7, 2, 3)

    def forward(self, x):
        return F.relu(self.conv((x - 0.45) / 0.226))


def test_input_normalization_is_not_a_difference(tmp_path):
    from archcheck.subject.align import align
    from archcheck.subject.differences import row_differences
    from archcheck.measure import value_shapes
    from archcheck.pipeline import trace_spec
    from archcheck.spec import load_spec

    spec_file = tmp_path / "one.yaml"
    spec_file.write_text(
        "archcheck: 1\nname: one\npaper: {title: t}\ncolumns: [{name: type, kind: label}]\ninput: [3, 32, 32]\n"
        "rows:\n  - name: conv1\n    paper: [convolution]\n    layers: [{conv: {out: 64, kernel: 7, stride: 2, "
        "padding: same}}]\n", encoding="utf-8")
    spec = load_spec(str(spec_file))
    _, ref, spans = trace_spec(spec)
    with torch.device("meta"):
        subject = trace_model(Normalized(), (3, 32, 32))
    a = align(spec, ref, spans, subject)
    assert [(r.kind if r else None, s.kind) for r, s in a.rows["conv1"].pairs] == [(None, "scale"), (None, "scale"),
                                                                                    ("conv", "conv")]
    assert row_differences(spec, a, value_shapes(ref), value_shapes(subject), spans) == []


class NoOps(nn.Module):
    """Each op after the conv changes nothing: scaling by 1, adding 0, a pool of the 1×1 map, dropout(p=0),
    dropout with training=False; then a global pool written as the mean over H and W."""

    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(8, 8, 3, padding=1)

    def forward(self, x):
        x = self.conv(x) * 1.0
        x = 0 + x.div(1)
        x = F.dropout(x, 0.0, self.training)
        x = F.dropout(x, 0.5, training=False)
        x = x.mean((2, 3), keepdim=True)
        x = F.adaptive_avg_pool2d(x, 1)
        x = F.max_pool2d(x, 3, 1, 1)
        return x.flatten(1)


def test_operations_that_change_nothing_are_left_out():
    side = _side(NoOps)
    assert [describe(u) for u in side.main] == ["convolution 3×3 (8 → 8 channels)", "global average pool", "flatten"]


class Windows(nn.Module):
    def forward(self, x):
        return [F.avg_pool2d(x, 7), F.avg_pool2d(x, 7, 1), F.max_pool2d(x, (7, 3), (7, 2))]


def test_a_single_window_has_stride_1():
    # F.avg_pool2d(x, 7) on 7×7 (stride 7 by default) is the paper's "7×7/1"; along a dimension with more
    # than one window the stride stays: (7, 3)/(7, 2) on 7×7 -> 1×3 windows, strides 1 and 2.
    with torch.device("meta"):
        model = Windows()
    a, b, c = trace_model(model, (4, 7, 7)).ops
    assert a.attrs["stride"] == b.attrs["stride"] == (1, 1)
    assert c.out_shape == (1, 4, 1, 3) and c.attrs["stride"] == (1, 2)


class DwPw(nn.Module):
    """Depthwise 3×3 with batch norm and ReLU, then a pointwise 1×1: one separable conv with decorations between."""

    def __init__(self):
        super().__init__()
        self.dw, self.bn = nn.Conv2d(8, 8, 3, padding=1, groups=8), nn.BatchNorm2d(8)
        self.pw = nn.Conv2d(8, 16, 1)

    def forward(self, x):
        return F.relu(self.pw(F.relu(self.bn(self.dw(x)))))


def test_depthwise_and_pointwise_are_one_layer_with_decorations_between_and_after():
    [unit] = _side(DwPw).main
    assert describe(unit) == "separable convolution 3×3 (8 → 16 channels, depth multiplier 1)"
    assert [op.kind for op in unit.mid] == ["norm", "act"] and [op.kind for op in unit.deco] == ["act"]


def test_scale_factor_reads_products_and_quotients_alike():
    import torch
    from torch import nn

    from archcheck.subject.units import scale_factor
    from archcheck.trace import trace_model

    class Scales(nn.Module):
        def __init__(self):
            super().__init__()
            self.register_buffer("s", torch.tensor(0.17))

        def forward(self, x):
            a = x * 0.17            # the residual scale as the TF-slim ports write it
            b = x / (1 / 0.17)      # the same scale, written as a quotient
            c = 0.5 * x
            d = x / 2.0             # 0.5
            e = x * self.s          # a tensor: its value is not known on the meta device
            return a + b + c + d + e

    ops = [op for op in trace_model(Scales(), (2, 3, 3)).ops if op.kind == "mul"]
    factors = [scale_factor(op) for op in ops]
    assert factors[0] == 0.17 and abs(factors[1] - 0.17) < 1e-12 and factors[2:4] == [0.5, 0.5]
    assert factors[4] is None and len(factors) == 5
