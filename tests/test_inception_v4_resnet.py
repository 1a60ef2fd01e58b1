"""Inception-v4 and Inception-ResNet-v2 (arXiv 1602.07261): specs/inception_v4.yaml and
specs/inception_resnet_v2.yaml against pytorchcv's independent `inceptionv4` and `inceptionresnetv2`,
and the figures' printed numbers against the builds.

Expected totals come from pytorchcv (ports of TF-slim) and from hand arithmetic, never from the
specs' own structural values.
"""
from __future__ import annotations

import pytest

from archcheck import load_spec, verify
from archcheck.spec import load_spec_text

from .conftest import SPECS
from .reference_counts import macs as _macs
from .reference_counts import params as _params

V4 = SPECS / "inception_v4.yaml"
IRV2 = SPECS / "inception_resnet_v2.yaml"


@pytest.fixture(scope="module")
def pcv_v4():
    from pytorchcv.models.inceptionv4 import inceptionv4

    return inceptionv4(), _macs(inceptionv4)       # real weights on CPU; 1000 classes, no aux head


@pytest.fixture(scope="module")
def pcv_irv2():
    from pytorchcv.models.inceptionresnetv2 import inceptionresnetv2

    return inceptionresnetv2(), _macs(inceptionresnetv2)


@pytest.fixture(scope="module")
def v4():
    return verify(load_spec(V4))


@pytest.fixture(scope="module")
def irv2_release():
    return verify(load_spec(IRV2, variant="release"))


@pytest.fixture(scope="module")
def irv2():
    return verify(load_spec(IRV2))


def _row(report, name):
    return next(r for r in report.rows if r.name == name)


def _cells(report):
    return {(r.name, c.column): (c.measured, c.status) for r in report.rows for c in r.cells if c.status}


# -- Inception-v4 -----------------------------------------------------------------------------------

def test_v4_totals_match_pytorchcv(v4, pcv_v4):
    model, macs = pcv_v4
    assert _params(model) == 42_679_816
    assert v4.totals.params == v4.totals.params_without_aux == _params(model)
    assert macs == 12_253_974_624
    assert v4.totals.macs == macs


def test_v4_modules_match_pytorchcv(v4, pcv_v4):
    model, _ = pcv_v4
    f = model.features
    stem = ["Conv2d_1a_3x3", "Conv2d_2a_3x3", "Conv2d_2b_3x3", "Mixed_3a", "Mixed_4a", "Mixed_5a"]
    assert sum(_row(v4, n).measure.params for n in stem) == _params(f.init_block)
    for printed, stage in (("inception_a", f.stage1), ("inception_b", f.stage2), ("inception_c", f.stage3)):
        units = list(stage.children())
        normal = units if printed == "inception_a" else units[1:]      # stage2/3 start with a reduction
        assert _row(v4, printed).measure.params == sum(_params(u) for u in normal), printed
    assert _row(v4, "Mixed_6a").measure.params == _params(f.stage2.unit1)
    assert _row(v4, "Mixed_7a").measure.params == _params(f.stage3.unit1)


def test_v4_reduction_a_by_hand(v4):
    m = _row(v4, "Mixed_6a").measure
    # Table 1 for Inception-v4: k=192, l=224, m=256, n=384 on 384 channels at 35×35
    weights = 9 * 384 * 384 + (384 * 192 + 9 * 192 * 224 + 9 * 224 * 256)
    assert m.weights == weights
    assert m.output == (384 + 384 + 256, 17, 17)


def test_v4_figure_cells(v4):
    cells = _cells(v4)
    assert cells[("Mixed_3a", "output size")] == ("73×73×160", "ok")          # 64 (pool) + 96
    assert cells[("Mixed_4a", "output size")] == ("71×71×192", "ok")          # 96 + 96
    assert cells[("Mixed_5a", "output size")] == ("35×35×384", "ok")          # 192 + 192 (pool)
    assert cells[("inception_a", "type")] == ("4×", "ok")
    assert cells[("inception_b", "type")] == ("7×", "ok")
    assert cells[("inception_c", "type")] == ("3×", "ok")
    assert cells[("Mixed_7a", "output size")] == ("8×8×1536", "ok")          # 1024 + 192 + 320
    assert cells[("Dropout_1b", "type")] == ("20%", "ok")                     # "keep 0.8"
    assert [cells[("Mixed_6a", c)] for c in "klmn"] == [("192", "ok"), ("224", "ok"), ("256", "ok"),
                                                       ("384", "ok")]
    assert v4.verdict == "pass"
    assert [(f.erratum, f.status) for f in v4.findings] == [("figure-18-caption", "known")]


def test_v4_release_variant():
    rep = verify(load_spec(V4, variant="release"))
    # TF-slim's aux head on Mixed_6h (1024 channels): 1x1 128 (+BN), 5x5 768 (+BN), fc 768 -> 1000
    aux = (1024 * 128 + 2 * 128) + (25 * 128 * 768 + 2 * 768) + (768 * 1000 + 1000)
    assert rep.totals.params == 42_679_816 + aux == 46_039_280
    assert rep.totals.params_without_aux == 42_679_816      # swapping 1×7 and 7×1 changes no count
    assert {f.erratum for f in rep.findings} == {"figure-18-caption", "release-conv-order"}
    assert rep.verdict == "pass"


# -- Inception-ResNet-v2 ------------------------------------------------------------------------------

def test_irv2_release_matches_pytorchcv(irv2_release, pcv_irv2):
    model, macs = pcv_irv2
    assert _params(model) == 55_843_464
    assert irv2_release.totals.params == _params(model)
    assert macs == 13_155_794_016
    assert irv2_release.totals.macs == macs
    f = model.features
    blocks = {"inception_resnet_a": list(f.stage1.children()),
              "inception_resnet_b": list(f.stage2.children())[1:],
              "inception_resnet_c": list(f.stage3.children())[1:]}
    for printed, units in blocks.items():
        assert _row(irv2_release, printed).measure.params == sum(_params(u) for u in units), printed
    assert _row(irv2_release, "stem").measure.params == _params(f.init_block)
    assert _row(irv2_release, "Conv2d_7b_1x1").measure.params == _params(f.final_conv)


def test_irv2_release_cells(irv2_release):
    cells = _cells(irv2_release)
    assert cells[("stem", "output size")] == ("35×35×320", "known")           # Mixed_5b: 96 + 64 + 96 + 64
    assert cells[("inception_resnet_a", "type")] == ("10×", "known")
    assert cells[("inception_resnet_b", "type")] == ("20×", "known")
    assert cells[("inception_resnet_c", "type")] == ("10×", "known")           # 9 with ReLU + Block8
    assert cells[("inception_resnet_a", "linear 1×1")] == ("320", "known")
    assert cells[("inception_resnet_b", "linear 1×1")] == ("1088", "known")   # 320 + 384 + 384
    assert cells[("inception_resnet_c", "linear 1×1")] == ("2080", "known")   # 1088 + 384 + 288 + 320
    assert [cells[("Mixed_6a", c)][1] for c in "klmn"] == ["ok"] * 4
    assert irv2_release.verdict == "pass"


def test_irv2_default_builds_the_figures_with_chained_widths(irv2):
    cells = _cells(irv2)
    assert cells[("stem", "output size")] == ("35×35×384", "ok")
    assert cells[("inception_resnet_a", "linear 1×1")] == ("384", "ok")
    assert cells[("inception_resnet_b", "linear 1×1")] == ("1152", "known")   # 384 + 384 + 384, not 1154
    assert cells[("inception_resnet_c", "linear 1×1")] == ("2144", "known")   # 1152 + 384 + 288 + 320, not 2048
    assert [cells[(r, "type")][1] for r in ("inception_resnet_a", "inception_resnet_b",
                                            "inception_resnet_c")] == ["ok"] * 3
    b = _row(irv2, "block17_1").measure
    # figure 17 on 1152 channels: 1x1 192 | 1x1 128 -> 1x7 160 -> 7x1 192; linear 1x1 384 -> 1152 (+ bias)
    weights = 1152 * 192 + (1152 * 128 + 7 * 128 * 160 + 7 * 160 * 192) + 384 * 1152
    bn = 2 * (192 + 128 + 160 + 192)
    assert b.weights == weights
    assert b.params == weights + bn + 1152
    assert b.output == (1152, 17, 17)
    assert irv2.verdict == "pass"


@pytest.mark.parametrize("variant, expected", [
    (None, [("inception_resnet_b", "linear 1×1"), ("inception_resnet_c", "linear 1×1")]),
    ("release", [("stem", "output size"), ("inception_resnet_a", "type"), ("inception_resnet_a", "linear 1×1"),
                 ("inception_resnet_b", "type"), ("inception_resnet_b", "linear 1×1"),
                 ("inception_resnet_c", "type"), ("inception_resnet_c", "linear 1×1")]),
])
def test_irv2_without_errata_fails(variant, expected):
    text = IRV2.read_text(encoding="utf-8")
    spec = load_spec_text(text.split("\nerrata:\n")[0] + "\n", "inception_resnet_v2.yaml", variant=variant)
    rep = verify(spec)
    assert rep.verdict == "fail"
    assert sorted((f.row, f.field) for f in rep.findings) == sorted(expected)
    assert all(f.status == "mismatch" for f in rep.findings)


def test_a_literal_1154_expansion_cannot_be_built():
    from archcheck import build_model
    from archcheck.errors import SpecError

    text = IRV2.read_text(encoding="utf-8")
    text = text.replace("""    scale: 0.10
    activation: relu
    expansion: {conv: {out: in_channels,""", """    scale: 0.10
    activation: relu
    expansion: {conv: {out: 1154,""")
    with pytest.raises(SpecError) as exc:
        build_model(load_spec_text(text, "inception_resnet_v2.yaml"), device="meta")
    assert "expansion's output 1154×17×17 to equal the shortcut's 1152×17×17" in str(exc.value)
