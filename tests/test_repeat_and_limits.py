"""Repeated rows and the bounds on expansion (issues 13 and 15): `repeat: N` builds a row's template N
times in sequence; the layers a spec would build are counted before anything is built, and `use`
chains are bounded, so no spec text can make archcheck build for minutes or overflow its stack."""
from __future__ import annotations

import time

import pytest

from archcheck import build_model, verify
from archcheck.errors import SpecError
from archcheck.spec import load_spec_text
from archcheck.spec.limits import MAX_LAYERS, MAX_USE_DEPTH

from .test_errors import _chain_spec

REPEATED = """\
archcheck: 1
name: r
paper: {title: r}
columns:
  - {name: type, kind: label}
  - {name: output size, kind: output_size}
input: [4, 8, 8]
options: {n: 3, batch_norm: false, conv_bias: false}
templates:
  block:
    params: {w: 4}
    merge: sequence
    layers: [{conv: {out: w, kernel: 3, padding: same}}]
rows:
  - name: stage
    paper: [3× block, 8×8×4]
    template: block
    repeat: n
"""


def test_a_repeated_row_builds_its_template_n_times_as_named_repetitions():
    model = build_model(load_spec_text(REPEATED, "r.yaml"), device="meta")
    assert [name for name, _ in model.stage.named_children()] == ["0", "1", "2"]
    report = verify(load_spec_text(REPEATED, "r.yaml"))
    m = report.rows[0].measure
    assert m.modules == 3 and [u.name for u in m.members()] == ["stage.0", "stage.1", "stage.2"]
    assert m.weights == 3 * (9 * 4 * 4)                # three 3x3 convs 4 -> 4: 432
    assert m.depth == 3
    assert report.verdict == "pass"
    report = verify(load_spec_text(REPEATED, "r.yaml", sets=["n=2"]))
    assert [(f.field, f.paper, f.measured) for f in report.findings] == [("type", "3× block", "2×")]


def test_a_chain_at_the_depth_limit_builds_and_traces():
    # t15 -> ... -> t0: 16 templates, each a Sequential inside the one above it
    report = verify(load_spec_text(_chain_spec(MAX_USE_DEPTH, 1), "c.yaml"))
    assert report.totals.weights == 3 * 3                  # the one 1x1 conv 3 -> 3 at the bottom
    assert report.totals.depth == 1


def test_a_thousand_deep_chain_is_refused_without_recursion():
    with pytest.raises(SpecError) as err:
        load_spec_text(_chain_spec(1000, 1), "c.yaml")
    assert str(err.value) == ("c.yaml:1006:9: templates.t999: expected `use` chains at most 16 templates deep "
                              "(archcheck's limit), found 1000: t999 -> t998 -> t997 -> t996 -> t995 -> t994 -> "
                              "t993 -> t992 -> ... -> t0")


def test_the_count_comes_before_building_so_a_huge_spec_is_refused_at_once():
    # 3^15 = 14,348,907 layers in a 1 KB spec; counting costs one pass over 16 templates
    text = _chain_spec(16, 3)
    start = time.perf_counter()
    with pytest.raises(SpecError) as err:
        build_model(load_spec_text(text, "c.yaml"), device="meta")
    assert time.perf_counter() - start < 5
    assert f"found {3 ** 15:,}" in str(err.value) and f"at most {MAX_LAYERS:,} layers" in str(err.value)


def test_the_limit_is_a_limit_not_a_guess():
    # 250,000 layers pass the count (they are not built here: counting is the point)
    from archcheck.spec.expansion import check_expansion
    ok = REPEATED.replace("n: 3,", f"n: {MAX_LAYERS // 5},").replace("    repeat: n\n", "    repeat: n * 5\n")
    check_expansion(load_spec_text(ok, "r.yaml"))                 # 50,000 * 5 = 250,000
    over = ok + "  - {name: extra, layers: [{relu: {}}]}\n"      # one more layer
    with pytest.raises(SpecError) as err:
        check_expansion(load_spec_text(over, "r.yaml"))
    assert f"found {MAX_LAYERS + 1:,}" in str(err.value)
