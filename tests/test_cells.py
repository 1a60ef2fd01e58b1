"""Printed cells, read as the papers print them, with their rounding."""
from __future__ import annotations

import pytest

from archcheck.spec.cells import CellError, parse_count, parse_label, parse_patch, parse_pool_proj, parse_shape


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
    for bad in ("112x112", "112×112×0", "a×b×c"):
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
