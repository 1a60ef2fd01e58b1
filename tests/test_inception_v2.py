"""BN-Inception (arXiv 1502.03167): the table's own inconsistencies, its two resolutions, and the totals
checked against an independent implementation (pytorchcv's bninception), never against the spec.

Hand arithmetic from the appendix table (Figure 5) sits next to each expected number.
"""
from __future__ import annotations

import json

import pytest

from archcheck import build_model, load_spec, verify
from archcheck.spec import load_spec_text

from .conftest import SPECS

SPEC = "specs/inception_v2.yaml"


def _outputs(report) -> dict:
    return {r.name: r.measure.output for r in report.rows if r.measure is not None}


def _findings(report) -> dict:
    return {(f.row, f.field): f for f in report.findings}


@pytest.fixture(scope="module")
def default_report():
    return verify(load_spec(SPEC))


def test_verify_reports_the_608_chain_as_known_errata_and_passes(cli):
    code, out, _ = cli("verify", SPEC, "--format", "json")
    assert code == 0
    data = json.loads(out)
    assert data["verdict"] == "pass"
    by = {(f["row"], f["field"]): f for f in data["findings"]}
    for row in ("inception_4c", "inception_4d", "inception_4e"):
        assert by[row, "output size"]["status"] == "known"
    assert "160+160+160+128 = 608" in by["inception_4c", "output size"]["message"]    # 4c's four branches
    assert "96+192+192+128 = 608" in by["inception_4d", "output size"]["message"]     # 4d's four branches
    assert "192+256+608 = 1056" in by["inception_4e", "output size"]["message"]       # 3x3, double, pass-through
    assert by["inception_4e", "output size"]["measured"] == "7×7×1056"


def test_the_table_literal_build_follows_the_filter_counts(default_report):
    out = _outputs(default_report)
    # 3c: 160 + 96 + 320 passed through; 4a: 224+96+128+128; 4c: 160+160+160+128; 4e: 192+256+608
    assert out["inception_3c"] == (576, 14, 14)
    assert out["inception_4a"] == (576, 14, 14)
    assert out["inception_4c"] == out["inception_4d"] == (608, 14, 14)
    assert out["inception_4e"] == (1056, 7, 7)
    assert out["inception_5a"] == (1024, 7, 7)   # 352 + 320 + 224 + 128
    f = _findings(default_report)
    assert f["inception_3c", "output size"].erratum == "3c-grid"        # printed 28×28 is the input grid
    assert f["conv2", "depth"].erratum == "conv2-depth"                 # 1×1 reduce + 3×3 = 2 weight layers
    # the only findings: the four output sizes, the stem conv's depth and the 13.6M claim
    assert set(f) == {("inception_3c", "output size"), ("inception_4c", "output size"),
                      ("inception_4d", "output size"), ("inception_4e", "output size"), ("conv2", "depth"),
                      ("params-13.6M", "claim")}
    assert all(x.status == "known" for x in f.values())


def test_depth_of_the_network(default_report):
    # conv1 (depthwise not counted) 1 + stem 1×1 and 3×3 2 + ten modules × 3 (double 3×3 branch) + fc 1
    assert default_report.totals.depth == 1 + 2 + 10 * 3 + 1 == 34


def test_claims(default_report):
    claims = {c.id: c for c in default_report.claims}
    # No build gives 13.6M: 2712 + 114688 + 10116096 + 1024000 = 11,257,496 weights (separable conv1)
    assert claims["params-13.6M"].status == "known"
    assert claims["params-13.6M"].measured == "11,257,496"
    # about +30% over GoogLeNet's 1,498,677,248 MACs (separable conv1 in both): 1,948,605,440 / 1.4987G = 1.300
    assert claims["cost-plus-30pct"].status == "ok"
    assert claims["cost-plus-30pct-standard-conv1"].status == "n/a"
    standard = {c.id: c for c in verify(load_spec(SPEC, sets=["first_conv=standard"])).claims}
    # 2,032,600,064 / 1,582,671,872 = 1.284: about 30% as well
    assert standard["cost-plus-30pct-standard-conv1"].status == "ok"
    assert standard["params-13.6M"].status == "known" and standard["params-13.6M"].measured == "11,264,192"
    # TF-slim's 576 chain with a standard conv1: 9408 + 114688 + 10025984 + 1024000 = 11,174,080
    slim = {c.id: c for c in verify(load_spec(SPEC, "tf-slim", ["first_conv=standard"])).claims}
    assert slim["params-13.6M"].status == "known" and slim["params-13.6M"].measured == "11,174,080"
    assert slim["cost-plus-30pct-standard-conv1"].status == "ok"   # 2,018,851,840 / 1,582,671,872 = 1.276


def _without_errata(text: str) -> str:
    return text[: text.index("\nerrata:")] + "\n"


def test_without_the_errata_the_inconsistencies_fail(cli, tmp_path):
    text = (SPECS / "inception_v2.yaml").read_text(encoding="utf-8")
    spec = load_spec_text(_without_errata(text), "inception_v2-no-errata.yaml")
    assert spec.errata == ()
    rep = verify(spec)
    assert rep.verdict == "fail"
    f = _findings(rep)
    for row in ("inception_4c", "inception_4d", "inception_4e"):
        assert f[row, "output size"].status == "mismatch"
    assert f["params-13.6M", "claim"].status == "mismatch"
    path = tmp_path / "inception_v2.yaml"
    path.write_text(_without_errata(text), encoding="utf-8")
    code, out, _ = cli("verify", str(path), "--format", "text")
    assert code == 1 and "FAIL" in out


def test_tf_slim_resolution_keeps_the_printed_depths(cli):
    code, out, _ = cli("verify", SPEC, "--variant", "tf-slim", "--format", "json")
    assert code == 0
    data = json.loads(out)
    rows = {r["name"]: r for r in data["rows"]}
    # 4c: 160+160+160+96 = 576; 4d: 96+192+192+96 = 576; 4e: 192+256+576 = 1024
    assert rows["inception_4c"]["measured"]["output"] == [576, 14, 14]
    assert rows["inception_4d"]["measured"]["output"] == [576, 14, 14]
    assert rows["inception_4e"]["measured"]["output"] == [1024, 7, 7]
    by = {(f["row"], f["field"]): f for f in data["findings"]}
    assert ("inception_4c", "output size") not in by and ("inception_4d", "output size") not in by
    assert by["inception_4e", "output size"]["erratum"] == "4e-grid"          # the grid, not the depth
    assert by["inception_4e", "output size"]["measured"] == "7×7×1024"
    for row in ("inception_4c", "inception_4d"):
        f = by[row, "Pool +proj"]
        assert f["status"] == "known" and f["paper"] == "avg + 128" and f["measured"] == "avg + 96"
    assert {"4c-depth", "4d-depth", "4e-depth"} <= set(data["errata"]["ignored"])


def test_a_resolution_nobody_declared_is_a_mismatch():
    rep = verify(load_spec(SPEC, sets=["pool_proj_4c_4d=64"]))   # 4c: 160+160+160+64 = 544
    f = _findings(rep)
    assert rep.verdict == "fail"
    assert f["inception_4c", "output size"].status == "mismatch"
    assert f["inception_4c", "Pool +proj"].status == "mismatch"


# -- against pytorchcv's bninception, an independent implementation of the same 608 chain --------------

@pytest.fixture(scope="module")
def pytorchcv_counts():
    """Conv/linear weights and multiply-adds of pytorchcv's bninception, measured on CPU with real weights."""
    torch = pytest.importorskip("torch")
    bninception = pytest.importorskip("pytorchcv.models.bninception").bninception
    from torch.utils.flop_counter import FlopCounterMode

    model = bninception().eval()
    layers = [m for m in model.modules() if isinstance(m, (torch.nn.Conv2d, torch.nn.Linear))]
    first = layers[0]
    assert (first.in_channels, first.out_channels, first.kernel_size, first.stride) == (3, 64, (7, 7), (2, 2))
    with FlopCounterMode(display=False) as counter, torch.no_grad():
        model(torch.zeros(1, 3, 224, 224))
    return {
        "weights": sum(m.weight.numel() for m in layers),
        "params": sum(p.numel() for p in model.parameters()),
        "macs": counter.get_total_flops() // 2,                       # FlopCounterMode counts 2 per MAC
        "first_weights": first.weight.numel(),
        "first_macs": first.weight.numel() * 112 * 112,
    }


def test_standard_first_conv_equals_pytorchcv(pytorchcv_counts):
    pv = pytorchcv_counts
    assert pv["weights"] == 11_264_192 and pv["macs"] == 2_032_600_064    # the numbers the issue states
    t = verify(load_spec(SPEC, sets=["first_conv=standard"])).totals
    assert (t.weights, t.macs) == (pv["weights"], pv["macs"])
    # with pytorchcv's conv biases too, every parameter agrees (biases and batch norm included)
    assert verify(load_spec(SPEC, variant="caffe-ports")).totals.params == pv["params"] == 11_295_240


def test_separable_first_conv_against_pytorchcv(pytorchcv_counts):
    pv = pytorchcv_counts
    separable = 7 * 7 * 3 * 8 + 3 * 8 * 64        # depthwise ×8, pointwise 24 -> 64 = 2,712
    t = verify(load_spec(SPEC)).totals               # the default build: separable, as the paper states
    assert t.weights == pv["weights"] - pv["first_weights"] + separable == 11_257_496
    assert t.macs == pv["macs"] - pv["first_macs"] + separable * 112 * 112 == 1_948_605_440


# -- core spec-language fixes this spec needed ----------------------------------------------------------

TINY = """
archcheck: 1
name: tiny
paper: {title: tiny}
columns:
  - {name: type, kind: label}
input: [3, 8, 8]
options: {width: 4}
templates:
  block:
    params: {proj: null}
    merge: concat
    branches:
      - name: a
        layers:
          - {conv: {out: 2, kernel: 1}}
      - name: pool
        layers:
          - {pool: {type: max, kernel: 3, stride: 1, padding: same}}
          - {conv: {out: proj, kernel: 1}, when: proj}
          - {identity: {}, when: not proj}
rows:
  - name: block
    template: block
    args: {proj: width}
"""


def test_layer_when_may_name_a_template_parameter_and_row_args_may_name_options():
    from torch import nn

    model = build_model(load_spec_text(TINY, "tiny.yaml"), device="meta")
    pool = model.block.branch_pool
    assert isinstance(pool[1].conv, nn.Conv2d) and pool[1].conv.out_channels == 4   # proj: width -> 4
    assert len(pool) == 2
    passed = build_model(load_spec_text(TINY, "tiny.yaml", sets=["width=0"]), device="meta").block.branch_pool
    assert [type(m) for m in passed] == [nn.MaxPool2d, nn.Identity]                # "pass through"
    rep = verify(load_spec_text(TINY, "tiny.yaml", sets=["block.proj=0"]))
    assert rep.rows[0].measure.output == (2 + 3, 8, 8)                              # 2 + the 3 input channels


def test_an_erratum_about_a_claim_that_does_not_apply_is_ignored():
    # The example build has no stem 1×1 reduce, so the 13.6M claim (stated for the table's network) is
    # n/a, and its errata must not be reported as stale.
    rep = verify(load_spec(SPEC, variant="example"))
    claims = {c.id: c.status for c in rep.claims}
    assert claims["params-13.6M"] == "n/a"
    assert "params-13.6M-standard" in rep.errata_ignored
    assert rep.verdict == "pass"
    assert _findings(rep)["conv2", "#3×3 reduce"].erratum == "conv2-no-reduce"
