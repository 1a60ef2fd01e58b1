"""Printed cells, read as the papers print them, with their rounding."""
from __future__ import annotations

import pytest

from archcheck.spec.cells import (CellError, parse_block, parse_count, parse_filter_shape, parse_label, parse_layer,
                                  parse_patch, parse_pool_proj, parse_shape, parse_type_stride)


def test_count_with_k_1024_and_rounding():
    c = parse_count("2.7K", k_base=1024)
    assert c.value == pytest.approx(2.7 * 1024)          # 2,764.8
    assert c.half_unit == pytest.approx(0.05 * 1024)     # half of the last printed digit: 51.2
    assert c.agrees(2_764.8 + 51.2, 0.0) and not c.agrees(2_764.8 + 52, 0.0)


def test_count_units_and_tolerance():
    assert parse_count("34M").value == 34e6
    assert parse_count("1.5G").value == 1.5e9
    assert parse_count("13.6·10^6").value == pytest.approx(13.6e6)
    c = parse_count("159K", k_base=1024)                 # 162,816 ± 512
    assert c.agrees(163_328, 0.0)                         # 3a: 163,328 is within 512
    ops = parse_count("73M")                              # 4a: 73,608,192 is +0.83%: outside rounding, inside 1%
    assert not ops.agrees(73_608_192, 0.0) and ops.agrees(73_608_192, 0.01)


@pytest.mark.parametrize("bad", ["2.7Q", "K", "", "1.2.3M", "-5K"])
def test_count_errors(bad):
    with pytest.raises(CellError):
        parse_count(bad)


def test_shape():
    s = parse_shape("112×112×64")
    assert (s.height, s.width, s.channels) == (112, 112, 64)
    assert parse_shape("8 × 8 × 2048").channels == 2048
    # H×W: ResNet's and DenseNet's output sizes print no channels (they are not compared)
    s = parse_shape("56 × 56")
    assert (s.height, s.width, s.channels) == (56, 56, None)
    for bad in ("112x112x", "112×112×0", "a×b×c", "1×2×3×4", "56×"):
        with pytest.raises(CellError):
            parse_shape(bad)


def test_patch():
    assert parse_patch("7×7/2").kernel == (7, 7) and parse_patch("7×7/2").stride == 2
    assert parse_patch("stride 2").stride == 2 and parse_patch("stride 2").kernel is None
    assert parse_patch("8 × 8").kernel == (8, 8) and parse_patch("8 × 8").stride is None
    assert parse_patch("As in figure 5").remark
    with pytest.raises(CellError):
        parse_patch("7×7/x")


def test_pool_proj_and_labels():
    assert parse_pool_proj("avg + 32") == parse_pool_proj("avg + 32")
    assert (parse_pool_proj("avg + 32").pool, parse_pool_proj("avg + 32").proj) == ("avg", 32)
    assert parse_pool_proj("max + pass through").proj is None
    assert parse_pool_proj("64").pool is None
    assert parse_label("dropout (40%)").rate == pytest.approx(0.4)
    assert parse_label("3×Inception").repeat == 3
    assert parse_label("inception (3a)").repeat is None


# -- layer notations (issue 15): each cell reads as the layers it names --------------------------------------

def _described(cell):
    return [(s.kind, s.kernel, s.stride, s.in_channels, s.out_channels, s.depthwise, s.pool) for s in cell.layers]


def test_vgg_layer_notation():
    assert _described(parse_layer("conv3-64")) == [("conv", (3, 3), None, None, 64, None, None)]
    assert _described(parse_layer("conv1-256")) == [("conv", (1, 1), None, None, 256, None, None)]
    assert _described(parse_layer("FC-4096")) == [("linear", None, None, None, 4096, None, None)]
    assert _described(parse_layer("maxpool")) == [("pool", None, None, None, None, None, "max")]
    assert _described(parse_layer("LRN")) == [("lrn", None, None, None, None, None, None)]
    assert parse_layer("soft-max").layers == ()          # the loss's softmax: not a layer, not compared
    for bad in ("conv3", "conv3-0", "FC-", "3x3 conv", "maxpool 2"):
        with pytest.raises(CellError):
            parse_layer(bad)


def test_resnet_and_densenet_block_notation():
    cell = parse_block("[1×1, 64<br>3×3, 64<br>1×1, 256] ×3")
    assert cell.repeat == 3 and cell.bracket
    assert [(s.kernel, s.out_channels) for s in cell.layers] == [((1, 1), 64), ((3, 3), 64), ((1, 1), 256)]
    cell = parse_block("[1 × 1 conv\n3 × 3 conv] × 6")        # a line break or <br>; "× 6" with a space
    assert cell.repeat == 6 and [(s.kind, s.kernel, s.out_channels) for s in cell.layers] == [
        ("conv", (1, 1), None), ("conv", (3, 3), None)]
    assert _described(parse_block("7×7, 64, stride 2")) == [("conv", (7, 7), 2, None, 64, None, None)]
    assert _described(parse_block("3×3 max pool, stride 2")) == [("pool", (3, 3), 2, None, None, None, "max")]
    assert _described(parse_block("average pool, 1000-d fc, softmax")) == [
        ("pool", None, None, None, None, None, "avg"), ("linear", None, None, None, 1000, None, None)]
    assert _described(parse_block("1000D fully-connected, softmax")) == [("linear", None, None, None, 1000, None, None)]
    assert _described(parse_block("7 × 7 global average pool")) == [("pool", (7, 7), None, None, None, None, "avg")]
    for bad in ("[3×3, 64", "3×3, 64] ×2", "64, 3×3", "[3×3, 64] ×0", "3×3, 64, 64", "stride 2", "3×3,,64",
                "[3×3 avg]"):
        with pytest.raises(CellError):
            parse_block(bad)


def test_mobilenet_filter_shape_and_type_notation():
    assert _described(parse_filter_shape("3 × 3 × 32 dw")) == [("conv", (3, 3), None, 32, 32, True, None)]
    assert _described(parse_filter_shape("1 × 1 × 32 × 64")) == [("conv", (1, 1), None, 32, 64, False, None)]
    assert _described(parse_filter_shape("Pool 7 × 7")) == [("pool", (7, 7), None, None, None, None, None)]
    assert _described(parse_filter_shape("1024 × 1000")) == [("linear", None, None, 1024, 1000, None, None)]
    assert parse_filter_shape("Classifier").remark
    assert _described(parse_type_stride("Conv dw / s2")) == [("conv", None, 2, None, None, True, None)]
    assert _described(parse_type_stride("Conv / s1")) == [("conv", None, 1, None, None, False, None)]
    assert _described(parse_type_stride("Avg Pool / s1")) == [("pool", None, 1, None, None, None, "avg")]
    assert parse_type_stride("5× Conv dw / s1").repeat == 5
    assert parse_type_stride("Softmax / s1").layers == ()
    assert parse_type_stride("s2").stride == 2 and parse_type_stride("s2").layers is None
    for bad in ("3 × 3 × 0 dw", "3 × 3 × 32 × ", "Pool 7", "1 × 1 × 1 × 1 × 1"):
        with pytest.raises(CellError):
            parse_filter_shape(bad)
    for bad in ("Conv / 2", "Deconv / s2", "s0", "Conv dw", "0× Conv / s1"):
        with pytest.raises(CellError):
            parse_type_stride(bad)
