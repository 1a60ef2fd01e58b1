"""Inception-v3 (arXiv 1512.00567): the release built from specs/inception_v3.yaml against pytorchcv's
independent `inceptionv3`, and Table 1's printed cells against the build.

Expected totals come from pytorchcv (an independent port of the TF-slim release) and from hand
arithmetic, never from the spec's own structural values.
"""
from __future__ import annotations

import pytest

from archcheck import load_spec, verify
from archcheck.spec import load_spec_text

from .conftest import SPECS
from .reference_counts import macs as _macs
from .reference_counts import params as _params

SPEC = "specs/inception_v3.yaml"
AUX = (768 * 128 + 2 * 128) + (25 * 128 * 768 + 2 * 768) + (768 * 1000 + 1000)   # figure 8 head, with BN


@pytest.fixture(scope="module")
def pytorchcv():
    from pytorchcv.models.inceptionv3 import inceptionv3

    model = inceptionv3()                           # real weights on CPU, 1000 classes, no aux head
    return model, _macs(inceptionv3)


@pytest.fixture(scope="module")
def report():
    return verify(load_spec(SPECS / "inception_v3.yaml"))


def _row(report, name):
    return next(r for r in report.rows if r.name == name)


def test_totals_match_pytorchcv(report, pytorchcv):
    model, macs = pytorchcv
    t = report.totals
    assert _params(model) == 23_834_568
    assert t.params_without_aux == _params(model) == 23_834_568
    # 98,304 + 256 + 2,457,600 + 1,536 + 769,000 = 3,326,696 for the aux head (torchvision's count)
    assert AUX == 3_326_696
    assert t.params == _params(model) + AUX == 27_161_264
    assert macs == 5_713_216_096
    assert t.macs == macs


def test_each_release_module_matches_pytorchcv(report, pytorchcv):
    model, _ = pytorchcv
    f = model.features
    pairs = {"Mixed_5b": f.stage1.unit1, "Mixed_5c": f.stage1.unit2, "Mixed_5d": f.stage1.unit3,
             "Mixed_6a": f.stage2.unit1, "Mixed_6b": f.stage2.unit2, "Mixed_6c": f.stage2.unit3,
             "Mixed_6d": f.stage2.unit4, "Mixed_6e": f.stage2.unit5, "Mixed_7a": f.stage3.unit1,
             "Mixed_7b": f.stage3.unit2, "Mixed_7c": f.stage3.unit3, "Logits": model.output}
    for name, module in pairs.items():
        assert _row(report, name).measure.params == _params(module), name
    stem = ["Conv2d_1a_3x3", "Conv2d_2a_3x3", "Conv2d_2b_3x3", "Conv2d_3b_1x1", "Conv2d_4a_3x3"]
    assert sum(_row(report, n).measure.params for n in stem) == _params(f.init_block)


def test_mixed_5b_by_hand(report):
    m = _row(report, "Mixed_5b").measure
    # 192 in: 1x1 64 | 1x1 48 -> 5x5 64 | 1x1 64 -> 3x3 96 -> 3x3 96 | avg -> 1x1 32
    weights = 192 * 64 + (192 * 48 + 25 * 48 * 64) + (192 * 64 + 9 * 64 * 96 + 9 * 96 * 96) + 192 * 32
    assert m.weights == weights == 254_976
    assert m.macs == weights * 35 * 35
    assert m.output == (64 + 64 + 96 + 32, 35, 35)


def test_table_cells(report):
    cells = {(r.name, c.column): (c.measured, c.status) for r in report.rows for c in r.cells if c.status}
    # the stem: the release's 1×1 conv keeps 73×73, so the printed 71×71 input no longer follows ...
    assert cells[("Conv2d_3b_1x1", "patch size/stride or remarks")] == ("1×1/1", "known")
    assert cells[("conv_71x71", "input size")] == ("73×73×80", "known")
    # ... and the printed conv 3×3/1 on 35×35 (which would give (35 - 3)/1 + 1 = 33) is not built
    assert cells[("conv_35x35", "input size")] == ("not built", "known")
    assert cells[("inception_35x35", "input size")] == ("35×35×192", "known")
    # Table 1 prints 5×Inception at 17×17; the release has 4 (the grid reduction is not counted)
    assert cells[("inception_17x17", "type")] == ("4×", "known")
    assert cells[("inception_35x35", "type")] == ("3×", "ok")
    assert cells[("inception_8x8", "type")] == ("2×", "ok")
    # rows that do chain: inputs are the previous module's outputs
    assert cells[("inception_17x17", "input size")] == ("17×17×768", "ok")   # 384 + 96 + 288 from Mixed_6a
    assert cells[("inception_8x8", "input size")] == ("8×8×1280", "ok")      # 320 + 192 + 768 from Mixed_7a
    assert cells[("AvgPool_1a_8x8", "input size")] == ("8×8×2048", "ok")    # 320 + 768 + 768 + 192
    assert cells[("Predictions", "input size")] == ("1×1×1000", "ok")
    assert report.verdict == "pass"
    assert report.count("mismatch") == 0


def test_findings_are_errata_10_to_16(report):
    found = {f.erratum: f.status for f in report.findings}
    assert found == {e: "known" for e in ("stem-1x1", "stem-71x71", "stem-35x35", "first-module-input",
                                          "17x17-count", "figure-numbering", "5x5-branch", "macs-5G-release",
                                          "params-25M-aux", "288-filters")}
    stem = next(f for f in report.findings if f.erratum == "stem-35x35")
    assert "(35 - 3)/1 + 1 = 33" in stem.message


def test_claims(report):
    claims = {c.id: (c.measured, c.status) for c in report.claims}
    assert claims["macs-5G"] == ("5,713,216,096", "known")      # 14% over "5 billion multiply-adds"
    assert claims["params-25M"] == ("27,161,264", "known")      # < 25M only without the aux head
    no_aux = verify(load_spec(SPEC, variant="no-aux"))
    assert {c.id: c.status for c in no_aux.claims}["params-25M"] == "ok"
    assert no_aux.totals.params == 23_834_568
    assert "params-25M-aux" not in {f.erratum for f in no_aux.findings}


def test_without_errata_verify_fails_on_exactly_those_cells():
    text = (SPECS / "inception_v3.yaml").read_text(encoding="utf-8")
    spec = load_spec_text(text.split("\nerrata:\n")[0] + "\n", "inception_v3.yaml")
    assert spec.errata == ()
    rep = verify(spec)
    assert rep.verdict == "fail"
    assert sorted((f.row, f.field) for f in rep.findings) == sorted([
        ("Conv2d_3b_1x1", "patch size/stride or remarks"), ("conv_71x71", "input size"),
        ("conv_35x35", "rows"), ("inception_35x35", "input size"), ("inception_17x17", "type"),
        ("macs-5G", "claim"), ("params-25M", "claim")])
    assert all(f.status == "mismatch" for f in rep.findings)


def test_a_fifth_17x17_module_makes_the_count_erratum_stale():
    text = (SPECS / "inception_v3.yaml").read_text(encoding="utf-8")
    extra = "  - name: Mixed_6f\n    paper_row: inception_17x17\n    template: inception_b\n    args: {c7: 192}\n"
    text = text.replace("  - name: AuxLogits\n", extra + "  - name: AuxLogits\n")
    rep = verify(load_spec_text(text, "inception_v3.yaml"))
    stale = [f for f in rep.findings if f.erratum == "17x17-count"]
    assert [(f.status, f.measured) for f in stale] == [("mismatch", "5×")]
