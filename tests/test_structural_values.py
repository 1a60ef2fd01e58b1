"""Arithmetic in structural values and the input resolution as an option (issue 15), on
tests/fixtures/arithmetic.yaml, whose header comment has the hand arithmetic of its printed cells.

The evaluator is the one erratum arithmetic uses (archcheck/spec/arith.py), never Python's eval.
"""
from __future__ import annotations

from fractions import Fraction

import pytest

from archcheck import verify
from archcheck.errors import SpecError
from archcheck.spec import load_spec
from archcheck.spec.arith import ArithmeticError_, check_arithmetic, evaluate

from .conftest import FIXTURES

SPEC = str(FIXTURES / "arithmetic.yaml")


def measured(report, row):
    return next(r.measure for r in report.rows if r.name == row)


def test_the_fixture_verifies_with_its_printed_cells():
    report = verify(load_spec(SPEC))
    assert report.verdict == "pass" and not report.findings
    assert report.totals.weights == 864 + 3_328 + 800          # conv1, dense, transition (header comment)


def test_a_width_multiplier_scales_every_width_it_is_written_into():
    report = verify(load_spec(SPEC, sets=["alpha=0.75"]))
    # 32 * 0.75 = 24 exactly (the fraction 3/4, not a float that happens to round)
    assert measured(report, "conv1").output == (24, 16, 16)
    assert measured(report, "conv1").weights == 3 * 3 * 3 * 24                       # 648
    # dense: 1x1 24 -> 32 and 3x3 32 -> 8; out 24 + 8 = 32; transition 32 -> 16
    assert measured(report, "dense").weights == 24 * 32 + 9 * 32 * 8 == 3_072
    assert measured(report, "transition").output == (16, 8, 8)
    assert measured(report, "transition").weights == 32 * 16
    assert report.verdict == "fail"                              # the printed cells are for alpha 1.0


def test_a_result_that_is_not_whole_is_an_error_naming_the_expression():
    with pytest.raises(SpecError) as err:
        verify(load_spec(SPEC, sets=["alpha=0.7"]))
    assert str(err.value) == (f"{SPEC}:32:14: rows (conv1).conv.out: expected a whole number, found '32 * alpha' "
                              "= 22.4; say how to round it: floor(...), ceil(...) or round(...)")


def test_floor_says_how_to_round():
    # growth 7: the dense layer gives 32 + 7 = 39 channels; floor(39 / 2) = 19
    report = verify(load_spec(SPEC, sets=["growth=7"]))
    assert measured(report, "dense").output == (39, 16, 16)
    assert measured(report, "transition").output == (19, 8, 8)
    assert measured(report, "transition").weights == 39 * 19


def test_the_input_resolution_is_an_option():
    report = verify(load_spec(SPEC, sets=["res=64"]))
    assert report.input_shape == (3, 64, 64)
    assert measured(report, "conv1").output == (32, 32, 32)      # (64 + 2 - 3)/2 + 1 = 32
    assert measured(report, "transition").output == (20, 16, 16)
    assert measured(report, "conv1").macs == 864 * 32 * 32       # weights x output positions
    with pytest.raises(SpecError) as err:
        load_spec(SPEC, sets=["res=20000"])
    assert str(err.value) == (f"{SPEC}:16:8: input: expected channels 1..100,000 and sizes 1..16,384, "
                              "found [3, 20000, 20000]")


def test_the_evaluator_is_exact_and_refuses_what_is_not_arithmetic():
    assert evaluate("64 * 0.75") == 48
    assert evaluate("0.1 * 3 * 10") == 3                         # 3.0000000000000004 in floats
    assert evaluate("floor(39 / 2)") == 19 and evaluate("ceil(39 / 2)") == 20
    assert evaluate("round(2.5)") == 3 and evaluate("round(-2.5)") == -3   # halves away from zero
    assert evaluate("in_channels / 2", {"in_channels": 256}) == 128
    assert evaluate("k / 3", {"k": 1}) == Fraction(1, 3)
    for text, message in [
        ("__import__('os')", "expected floor(x), ceil(x) or round(x) as the only functions"),
        ("k ** 2", "only numbers, + - * / and parentheses are allowed"),
        ("k", "only numbers, + - * / and parentheses are allowed"),   # names only in structural values
        ("1e999 - 1e999", "expected finite numbers (below 1e308)"),
        ("1e300 * 1e300", "expected numbers below 1e308"),
        ("1 / (2 - 2)", "division by zero"),
    ]:
        with pytest.raises(ArithmeticError_) as err:
            evaluate(text)
        assert message in str(err.value), text
    with pytest.raises(ArithmeticError_) as err:
        evaluate("4 * x", {"k": 1})
    assert str(err.value) == "undefined name 'x' in '4 * x'"
    with pytest.raises(ArithmeticError_) as err:
        evaluate("4 * k", {"k": "separable"})
    assert str(err.value) == "'k' in '4 * k' is text ('separable'), not a number"
    # erratum arithmetic still allows rounding noise of 1e-9 relative between its sides
    assert check_arithmetic("2.7 * 1024 = 2764.8", 2764.8) == Fraction("2764.8")
