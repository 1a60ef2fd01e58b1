"""End to end on GoogLeNet: numbers against hand arithmetic, the paper's errata, and what breaks verify.

Expected values are computed here by hand from Table 1's filter counts (the reference arithmetic),
never read back from the spec.
"""
from __future__ import annotations

import json
import re

import pytest

from archcheck import load_spec, verify
from archcheck.spec import load_spec_text

from .conftest import SPECS

SPEC = "specs/googlenet.yaml"


@pytest.fixture(scope="module")
def report():
    return verify(load_spec(SPEC))


def test_inception_3a_counts_match_hand_arithmetic(report):
    m = next(r.measure for r in report.rows if r.name == "inception_3a")
    # C_in = 192 (conv2's depth); branches: 1x1 64 | 1x1 96 -> 3x3 128 | 1x1 16 -> 5x5 32 | pool -> 1x1 32
    weights = 192 * 64 + (192 * 96 + 9 * 96 * 128) + (192 * 16 + 25 * 16 * 32) + 192 * 32
    assert weights == 163_328
    biases = 64 + 96 + 128 + 16 + 32 + 32
    assert m.weights == 163_328
    assert m.params == 163_328 + biases == 163_696
    assert m.macs == weights * 28 * 28 == 128_049_152
    assert m.output == (256, 28, 28)  # 64 + 128 + 32 + 32
    assert m.depth == 2


def test_network_totals_match_hand_arithmetic(report):
    t = report.totals
    # Table-literal GoogLeNet, standard first conv (reference section 1.3): the BVLC Caffe count.
    assert t.params_without_aux == 6_998_552
    assert t.weights == 6_990_272
    assert t.macs == 1_582_671_872
    # Each aux head: 1x1 conv 128 (+b), fc 2048->1024 (+b), fc 1024->1000 (+b); input 512 at 4a, 528 at 4d.
    aux1 = (512 * 128 + 128) + (2048 * 1024 + 1024) + (1024 * 1000 + 1000)
    aux2 = (528 * 128 + 128) + (2048 * 1024 + 1024) + (1024 * 1000 + 1000)
    assert (aux1, aux2) == (3_188_840, 3_190_888)
    assert t.params == 6_998_552 + aux1 + aux2 == 13_378_280
    # "22 layers deep when counting only layers with parameters": 1 + 2 + 9*2 + 1
    assert t.depth == 1 + 2 + 9 * 2 + 1 == 22


def test_separable_first_conv_reproduces_the_printed_cells():
    rep = verify(load_spec(SPEC, sets=["first_conv=separable"]))
    conv1 = next(r for r in rep.rows if r.name == "conv1")
    # depthwise 7x7 x 8 per input channel, then pointwise 24 -> 64
    assert conv1.measure.weights == 7 * 7 * 3 * 8 + 3 * 8 * 64 == 2_712
    assert conv1.measure.macs == 2_712 * 112 * 112 == 34_019_328
    assert {c.column: c.status for c in conv1.cells}["params"] == "ok"
    assert rep.totals.macs == 1_498_677_248  # reference section 1.3
    assert rep.verdict == "pass"
    assert not any(f.row == "conv1" for f in rep.findings)


def test_flags_exactly_the_cells_that_disagree_with_the_filter_counts(report):
    cells = {(f.row, f.field) for f in report.findings if f.field != "claim"}
    assert cells == {("conv1", "params"), ("conv1", "ops"), ("inception_4c", "params"),
                     ("inception_5a", "params"), ("inception_5a", "ops")}
    assert all(f.status == "known" for f in report.findings)
    by = {(f.row, f.field): f for f in report.findings}
    # 4c: 512*(128+128+24+64) + 9*128*256 + 25*24*64 = 509,440 = 497.5K (K=1024) vs printed 463K
    assert by["inception_4c", "params"].measured == "497.50K"
    assert by["inception_4c", "params"].relative_difference == pytest.approx(509_440 / (463 * 1024) - 1, abs=1e-4)
    # 5a: 832*(256+160+32+128) + 9*160*320 + 25*32*128 = 1,042,432; x 7*7 = 51,079,168 MACs vs 54M
    assert by["inception_5a", "ops"].relative_difference == pytest.approx(51_079_168 / 54e6 - 1, abs=1e-4)
    assert by["conv1", "params"].measured == "9.19K"  # 7*7*3*64 = 9,408 = 9.19K
    assert report.verdict == "pass"


def test_claims(report):
    claims = {c.id: c for c in report.claims}
    assert claims["depth-22"].status == "ok"
    assert claims["budget-1.5G"].status == "known"  # 1.583G with a standard conv1, see errata


def _without_errata(text: str) -> str:
    return text[: text.index("\nerrata:")] + "\n"


def test_removing_the_errata_turns_them_into_mismatches(cli, tmp_path):
    text = (SPECS / "googlenet.yaml").read_text(encoding="utf-8")
    rep = verify(load_spec_text(_without_errata(text), "googlenet-no-errata.yaml"))
    assert rep.verdict == "fail"
    statuses = {(f.row, f.field): f.status for f in rep.findings}
    assert statuses[("inception_4c", "params")] == "mismatch"
    assert statuses[("conv1", "ops")] == "mismatch"
    path = tmp_path / "googlenet.yaml"
    path.write_text(_without_errata(text), encoding="utf-8")
    code, out, _ = cli("verify", str(path))
    assert code == 1 and "FAIL" in out


def test_changing_a_structural_value_fails(cli):
    code, out, _ = cli("verify", SPEC, "--set", "inception_3a.n5x5=48", "--format", "json")
    assert code == 1
    data = json.loads(out)
    bad = {(f["row"], f["field"]) for f in data["findings"] if f["status"] == "mismatch"}
    # 5x5 branch 48 instead of 32: the #5x5 cell, the output depth 64+128+48+32 = 272, params and ops
    assert {("inception_3a", "#5×5"), ("inception_3a", "output size")} <= bad


def test_editing_the_file_structure_fails_too(tmp_path, cli):
    text = (SPECS / "googlenet.yaml").read_text(encoding="utf-8")
    edited = text.replace("args: {n1x1: 64, n3x3red: 96, n3x3: 128, n5x5red: 16, n5x5: 32, pool_proj: 32}",
                          "args: {n1x1: 64, n3x3red: 96, n3x3: 128, n5x5red: 16, n5x5: 48, pool_proj: 32}")
    assert edited != text
    path = tmp_path / "g.yaml"
    path.write_text(edited, encoding="utf-8")
    code, out, _ = cli("verify", str(path), "--format", "text")
    assert code == 1
    assert re.search(r"\[mismatch\] inception_3a, #5×5: printed 32, measured 48", out)


def test_changing_a_printed_cell_fails(tmp_path, cli):
    text = (SPECS / "googlenet.yaml").read_text(encoding="utf-8")
    edited = text.replace("[inception (3a), \"\", 28×28×256,", "[inception (3a), \"\", 28×28×272,")
    assert edited != text
    path = tmp_path / "g.yaml"
    path.write_text(edited, encoding="utf-8")
    code, out, _ = cli("verify", str(path), "--format", "text")
    assert code == 1
    assert "inception_3a, output size: printed 28×28×272, measured 28×28×256" in out


def test_json_contract(cli):
    code, out, _ = cli("verify", SPEC, "--format", "json")
    assert code == 0
    data = json.loads(out)
    assert data["spec"] == SPEC and data["model"] is None and data["verdict"] == "pass"
    assert set(data["totals"]) >= {"params", "params_without_aux", "weights", "macs", "macs_with_aux"}
    assert all(isinstance(v, int) for v in data["totals"].values())
    names = [r["name"] for r in data["rows"]]
    assert names == ["conv1", "pool1", "norm1", "conv2", "norm2", "pool2", "inception_3a", "inception_3b",
                     "pool3", "inception_4a", "aux1", "inception_4b", "inception_4c", "inception_4d", "aux2",
                     "inception_4e", "pool4", "inception_5a", "inception_5b", "avgpool", "dropout", "fc",
                     "softmax"]
    conv1 = data["rows"][0]
    assert conv1["paper"] == {"type": "convolution", "patch size/stride": "7×7/2", "output size": "112×112×64",
                              "depth": "1", "params": "2.7K", "ops": "34M"}
    assert conv1["measured"] == {"output": [64, 112, 112], "params": 9472, "weights": 9408, "macs": 118_013_952,
                                 "depth": 1, "input": [3, 224, 224]}
    for f in data["findings"]:
        assert set(f) >= {"row", "field", "paper", "measured", "relative_difference", "status", "message"}
        assert f["status"] in ("known", "mismatch", "warning")


def test_errata_that_do_not_apply_are_ignored():
    rep = verify(load_spec(SPEC, sets=["first_conv=separable"]))
    assert "conv1-cost" in rep.errata_ignored and "conv1-cost" not in rep.errata_applied


def test_stale_erratum_is_a_failure():
    text = (SPECS / "googlenet.yaml").read_text(encoding="utf-8")
    # Claim conv1-cost for every build: with the separable conv the cell agrees, so the erratum is stale.
    edited = text.replace("    applies_to: {first_conv: standard}\n    explanation: >-\n      A standard 7×7 convolution from",
                          "    explanation: >-\n      A standard 7×7 convolution from")
    assert edited != text
    rep = verify(load_spec_text(edited, "g.yaml", sets=["first_conv=separable"]))
    stale = [f for f in rep.findings if f.erratum == "conv1-cost"]
    assert stale and stale[0].status == "mismatch" and "stale" in stale[0].message
