"""VGG, ResNet, MobileNet v1 and DenseNet (issue 17): specs/vgg.yaml, resnet.yaml, mobilenet_v1.yaml and
densenet.yaml.

- every build the specs declare (the default, every variant, the options naming other common choices)
  verifies with its errata declared, and each erratum, deleted from the spec's text, leaves exactly its
  own cell or claim failing;
- the totals against hand arithmetic from the papers' tables (written out below, never taken from a
  build);
- pytorchcv's implementations (imported by module) counted with torch alone, and checked with
  `verify --model`.
"""
from __future__ import annotations

import json
import re

import pytest
import torch

from archcheck import load_spec, verify
from archcheck.spec import load_spec_text

from .conftest import SPECS
from .reference_counts import macs as reference_macs


def spec_text(name: str) -> str:
    return (SPECS / f"{name}.yaml").read_text(encoding="utf-8")


def without_erratum(text: str, eid: str) -> str:
    """The spec's text with the erratum `eid` deleted (its entry up to the next entry or comment)."""
    lines = text.splitlines(keepends=True)
    start = lines.index(f"  - id: {eid}\n")
    end = start + 1
    while end < len(lines) and lines[end].startswith("    "):
        end += 1
    text = "".join(lines[:start] + lines[end:])
    return text if re.search(r"^errata:\n(?:  #.*\n)*  - ", text, re.M) else text.replace("\nerrata:\n", "\nerrata: []\n")


def mismatches(report) -> set[tuple[str, str]]:
    return {(f.row, f.field) for f in report.findings if f.status == "mismatch"}


# -- every declared build verifies ------------------------------------------------------------------------

BUILDS = [  # (spec, variant, --set): the default, each variant, and the options that name another choice
    ("vgg", None, ()), *[("vgg", v, ()) for v in ("A", "A-LRN", "B", "C", "D", "E")],
    ("resnet", None, ()), *[("resnet", v, ()) for v in ("18", "34", "50", "101", "152")],
    *[("resnet", v, ("bottleneck_stride=3x3",)) for v in ("18", "34", "50", "101", "152")],
    ("resnet", "50", ("conv1_bias=false", "pool1_ceil=false")),
    ("mobilenet_v1", None, ()), ("mobilenet_v1", "conv-mobilenet", ()), ("mobilenet_v1", None, ("dropout=0",)),
    *[("mobilenet_v1", None, (f"alpha={a}",)) for a in (0.75, 0.5, 0.25)],
    *[("mobilenet_v1", None, (f"res={r}",)) for r in (192, 160, 128)],
    ("densenet", None, ()), *[("densenet", v, ()) for v in ("121", "169", "201", "264")],
]


@pytest.mark.parametrize("name, variant, sets", BUILDS)
def test_every_declared_build_verifies_with_its_errata(cli, name, variant, sets):
    args = [a for v in ([("--variant", variant)] if variant else []) + [("--set", s) for s in sets] for a in v]
    code, out, err = cli("verify", name, *args, "--format", "json")
    report = json.loads(out)
    assert (code, err) == (0, ""), [f["message"] for f in report["findings"] if f["status"] == "mismatch"]
    assert {f["status"] for f in report["findings"]} <= {"known"}


def test_each_variant_is_named_in_the_builds_above():
    for name in ("vgg", "resnet", "mobilenet_v1", "densenet"):
        declared = set(load_spec(name).variants)
        assert declared <= {v for n, v, _ in BUILDS if n == name}, name


# -- each erratum explains exactly its own cell ---------------------------------------------------------

ERRATA = [  # (spec, erratum, a build it applies to, the one cell or claim it explains)
    ("vgg", "flops-D-convs-only", None, (), ("flops-D", "claim")),
    ("resnet", "flops-34-projections", "34", (), ("flops-34", "claim")),
    ("resnet", "flops-50-rounding", None, (), ("flops-50", "claim")),
    ("resnet", "flops-50-stride-3x3", None, ("bottleneck_stride=3x3",), ("flops-50", "claim")),
    ("resnet", "flops-101-stride-3x3", "101", ("bottleneck_stride=3x3",), ("flops-101", "claim")),
    ("resnet", "flops-152-stride-3x3", "152", ("bottleneck_stride=3x3",), ("flops-152", "claim")),
    ("mobilenet_v1", "dw13-stride", None, (), ("dw13", "Type / Stride")),
    ("mobilenet_v1", "mult-adds-160-rounding", None, ("res=160",), ("mult-adds-160", "claim")),
    ("mobilenet_v1", "conv-mult-adds-without-fc", "conv-mobilenet", (), ("conv-mult-adds", "claim")),
    ("densenet", "depth-264-count", "264", (), ("depth-264", "claim")),
]


def test_every_measured_erratum_is_in_the_table_above():
    listed = {(name, eid) for name, eid, *_ in ERRATA}
    for name in ("vgg", "resnet", "mobilenet_v1", "densenet"):
        measured = {(name, e.id) for e in load_spec(name).errata if not e.text}
        assert measured == {pair for pair in listed if pair[0] == name}


@pytest.mark.parametrize("name, eid, variant, sets, target", ERRATA, ids=[e[1] for e in ERRATA])
def test_removing_an_erratum_fails_exactly_its_cell(cli, tmp_path, name, eid, variant, sets, target):
    declared = verify(load_spec(name, variant=variant, sets=sets))
    assert declared.verdict == "pass"
    assert {(f.row, f.field) for f in declared.findings if f.erratum == eid} == {target}
    text = without_erratum(spec_text(name), eid)
    removed = verify(load_spec_text(text, f"{name}.yaml", variant=variant, sets=sets))
    assert removed.verdict == "fail" and mismatches(removed) == {target}
    path = tmp_path / f"{name}.yaml"
    path.write_text(text, encoding="utf-8")
    args = ([] if variant is None else ["--variant", variant]) + [a for s in sets for a in ("--set", s)]
    assert cli("verify", str(path), *args)[0] == 1


def test_the_table2_erratum_is_a_sentence_nothing_measures():
    # MobileNet's Table 2 (shares of mult-adds per layer type) is no quantity a claim states: its erratum
    # is listed as known for the 1.0-224 build, and deleting it changes no verdict.
    report = verify(load_spec("mobilenet_v1"))
    [text] = [f for f in report.findings if f.erratum == "table2-conv3x3-share"]
    assert text.status == "known" and "should read 1.91%" in text.message
    # 3·3·3·32·112² = 10,838,016 of 568,740,352 mult-adds: 1.906%, printed 1.19%
    assert round(100 * 3 * 3 * 3 * 32 * 112 * 112 / report.totals.macs, 2) == 1.91
    removed = verify(load_spec_text(without_erratum(spec_text("mobilenet_v1"), "table2-conv3x3-share"), "m.yaml"))
    assert removed.verdict == "pass" and all(f.erratum != "table2-conv3x3-share" for f in removed.findings)
    assert all(f.erratum != "table2-conv3x3-share" for f in verify(load_spec("mobilenet_v1", sets=["alpha=0.5"])).findings)


# -- totals against the papers' arithmetic ----------------------------------------------------------------

def totals(name, variant=None, sets=()):
    t = verify(load_spec(name, variant=variant, sets=sets)).totals
    return t.weights, t.params, t.macs, t.depth


# VGG, Table 1: 3×3 convs (padding 1) at the grids 224², 112², 56², 28², 14²; FC 25,088 → 4,096 → 4,096 → 1,000.
FC_W = 25088 * 4096 + 4096 * 4096 + 4096 * 1000          # 123,633,664 weights, 9,192 biases
FC_B = 4096 + 4096 + 1000
VGG = {  # config: (conv weights, conv biases, conv MACs, depth)
    "A": (9 * (3 * 64 + 64 * 128 + 128 * 256 + 256 * 256 + 256 * 512 + 3 * 512 * 512),
          64 + 128 + 2 * 256 + 4 * 512,
          9 * (3 * 64 * 224**2 + 64 * 128 * 112**2 + (128 * 256 + 256 * 256) * 56**2 + (256 * 512 + 512 * 512) * 28**2
               + 2 * 512 * 512 * 14**2), 8 + 3),
    "B": (9 * (3 * 64 + 64 * 64 + 64 * 128 + 128 * 128 + 128 * 256 + 256 * 256 + 256 * 512 + 3 * 512 * 512),
          2 * 64 + 2 * 128 + 2 * 256 + 4 * 512,
          9 * ((3 * 64 + 64 * 64) * 224**2 + (64 * 128 + 128 * 128) * 112**2 + (128 * 256 + 256 * 256) * 56**2
               + (256 * 512 + 512 * 512) * 28**2 + 2 * 512 * 512 * 14**2), 10 + 3),
    # C: B plus conv1-256, conv1-512, conv1-512 (1×1, same width as their input)
    "C": (9 * (3 * 64 + 64 * 64 + 64 * 128 + 128 * 128 + 128 * 256 + 256 * 256 + 256 * 512 + 3 * 512 * 512)
          + 256 * 256 + 2 * 512 * 512,
          2 * 64 + 2 * 128 + 3 * 256 + 6 * 512,
          9 * ((3 * 64 + 64 * 64) * 224**2 + (64 * 128 + 128 * 128) * 112**2 + (128 * 256 + 256 * 256) * 56**2
               + (256 * 512 + 512 * 512) * 28**2 + 2 * 512 * 512 * 14**2)
          + 256 * 256 * 56**2 + 512 * 512 * 28**2 + 512 * 512 * 14**2, 13 + 3),
    "D": (9 * (3 * 64 + 64 * 64 + 64 * 128 + 128 * 128 + 128 * 256 + 2 * 256 * 256 + 256 * 512 + 5 * 512 * 512),
          2 * 64 + 2 * 128 + 3 * 256 + 6 * 512,
          9 * ((3 * 64 + 64 * 64) * 224**2 + (64 * 128 + 128 * 128) * 112**2 + (128 * 256 + 2 * 256 * 256) * 56**2
               + (256 * 512 + 2 * 512 * 512) * 28**2 + 3 * 512 * 512 * 14**2), 13 + 3),
    "E": (9 * (3 * 64 + 64 * 64 + 64 * 128 + 128 * 128 + 128 * 256 + 3 * 256 * 256 + 256 * 512 + 7 * 512 * 512),
          2 * 64 + 2 * 128 + 4 * 256 + 8 * 512,
          9 * ((3 * 64 + 64 * 64) * 224**2 + (64 * 128 + 128 * 128) * 112**2 + (128 * 256 + 3 * 256 * 256) * 56**2
               + (256 * 512 + 3 * 512 * 512) * 28**2 + 4 * 512 * 512 * 14**2), 16 + 3),
}
VGG_TOTALS = {  # (weights, params, MACs per image, depth), the sums of VGG above
    "A": (132_851_392, 132_863_336, 7_609_090_048, 11),
    "A-LRN": (132_851_392, 132_863_336, 7_609_090_048, 11),   # LRN has no parameters and no multiply-adds
    "B": (133_035_712, 133_047_848, 11_308_466_176, 13),
    "C": (133_625_536, 133_638_952, 11_770_888_192, 16),
    "D": (138_344_128, 138_357_544, 15_470_264_320, 16),       # VGG-16: 138,357,544 parameters
    "E": (143_652_544, 143_667_240, 19_632_062_464, 19),
}


@pytest.mark.parametrize("config", list(VGG_TOTALS))
def test_vgg_totals(config):
    w, b, m, depth = VGG[config.replace("-LRN", "")]
    assert (w + FC_W, w + FC_W + b + FC_B, m + FC_W, depth) == VGG_TOTALS[config]
    assert totals("vgg", config) == VGG_TOTALS[config]
    # Table 2 rounds them to 133, 133, 134, 138, 144 million
    assert round(VGG_TOTALS[config][1] / 1e6) == {"A": 133, "A-LRN": 133, "B": 133, "C": 134, "D": 138, "E": 144}[config]


def resnet_arithmetic(blocks, bottleneck, stride_on_3x3=False):
    """Table 1 by hand: conv1 7·7·3·64 at 112²; stages of `blocks` at 56², 28², 14², 7² with widths 64, 128,
    256, 512. A basic block has 9·c·w + 9·w² weights, a bottleneck c·w + 9·w² + w·4w; a stage's first block
    adds a projection c·out where its input c differs from its output (option B). Batch norm: 2 per output
    channel of every conv. With the release's stride on the first 1×1 every conv of a stage runs on the
    stage's grid; with the stride on the 3×3 the first 1×1 of conv3_1..conv5_1 runs on a 4× larger grid.
    Returns (weights, params, MACs, depth)."""
    weights, bn, macs, c = 7 * 7 * 3 * 64, 2 * 64, 7 * 7 * 3 * 64 * 112**2, 64
    for stage, (n, w, grid) in enumerate(zip(blocks, (64, 128, 256, 512), (56, 28, 14, 7))):
        out = 4 * w if bottleneck else w
        block = (lambda cin: cin * w + 9 * w * w + w * out) if bottleneck else (lambda cin: 9 * cin * w + 9 * w * w)
        outs = (w + w + out) if bottleneck else (w + w)           # output channels of a block's main convs
        stage_w = block(c) + (c * out if c != out else 0) + (n - 1) * block(out)
        weights += stage_w
        bn += 2 * (n * outs + (out if c != out else 0))
        macs += stage_w * grid**2 + (3 * c * w * grid**2 if bottleneck and stride_on_3x3 and stage else 0)
        c = out
    weights += c * 1000
    return weights, weights + bn + 1000, macs + c * 1000, 2 + sum(blocks) * (3 if bottleneck else 2)


RESNET = {  # variant: (blocks, bottleneck, (weights, params, MACs, depth))
    "18": ([2, 2, 2, 2], False, (11_678_912, 11_689_512, 1_814_073_344, 18)),
    "34": ([3, 4, 6, 3], False, (21_779_648, 21_797_672, 3_663_761_408, 34)),
    "50": ([3, 4, 6, 3], True, (25_502_912, 25_557_032, 3_857_973_248, 50)),
    "101": ([3, 4, 23, 3], True, (44_442_816, 44_549_160, 7_570_194_432, 101)),
    "152": ([3, 8, 36, 3], True, (60_040_384, 60_192_808, 11_282_415_616, 152)),
}


@pytest.mark.parametrize("variant", list(RESNET))
def test_resnet_totals(variant):
    blocks, bottleneck, expected = RESNET[variant]
    assert resnet_arithmetic(blocks, bottleneck) == expected
    # the released ResNet-50's conv1 has a bias: 64 parameters more in the default 50-layer build
    assert totals("resnet", variant, ["conv1_bias=false"]) == expected
    if variant == "50":
        assert totals("resnet", "50") == (expected[0], expected[1] + 64, *expected[2:])
    w, p, m, d = resnet_arithmetic(blocks, bottleneck, stride_on_3x3=True)
    assert totals("resnet", variant, ["conv1_bias=false", "bottleneck_stride=3x3"]) == (w, p, m, d)
    if bottleneck:   # 3 · 77,070,336 = 231,211,008 more: 4,089,184,256 for 50 layers (torchvision's count)
        assert m - expected[2] == 3 * (3 * 256 * 128 * 28**2) == 231_211_008


# MobileNet, Table 1 at α = 1 and 224: conv0 3·3·3·32; 13 depthwise 3×3 convs (9 weights per channel) and
# 13 pointwise 1×1 convs; FC 1024·1000. Output grids 112², 112², 56², 56², 28², 28², 14² (× 6), 7², 7².
MOBILENET_DW = 9 * (32 + 64 + 128 + 128 + 256 + 256 + 6 * 512 + 1024)                           # 44,640
MOBILENET_PW = (32 * 64 + 64 * 128 + 128 * 128 + 128 * 256 + 256 * 256 + 256 * 512 + 5 * 512 * 512 + 512 * 1024
                + 1024 * 1024)                                                                    # 3,139,584
MOBILENET_MACS = (864 * 112**2
                  + 9 * (32 * 112**2 + 64 * 56**2 + 128 * 56**2 + 128 * 28**2 + 256 * 28**2 + 256 * 14**2
                         + 5 * 512 * 14**2 + 512 * 7**2 + 1024 * 7**2)                          # 17,385,984
                  + (32 * 64 * 112**2 + 64 * 128 * 56**2 + 128 * 128 * 56**2 + 128 * 256 * 28**2 + 256 * 256 * 28**2
                     + 256 * 512 * 14**2 + 5 * 512 * 512 * 14**2 + 512 * 1024 * 7**2 + 1024 * 1024 * 7**2)
                  + 1024 * 1000)
# Batch norm after conv0 and every depthwise and pointwise conv (2 per channel), the FC's 1,000 biases
MOBILENET_BN = 2 * (32 + MOBILENET_DW // 9 + (64 + 2 * 128 + 2 * 256 + 6 * 512 + 2 * 1024)) + 1000


def test_mobilenet_totals():
    weights = 864 + MOBILENET_DW + MOBILENET_PW + 1024 * 1000
    assert (weights, weights + MOBILENET_BN, MOBILENET_MACS) == (4_209_088, 4_231_976, 568_740_352)
    assert weights - 1024 * 1000 == 3_185_088                  # the release's table: body weights
    assert MOBILENET_MACS - 1024 * 1000 == 567_716_352           # and body multiply-adds
    report = verify(load_spec("mobilenet_v1"))
    t = report.totals
    assert (t.weights, t.params, t.macs) == (4_209_088, 4_231_976, 568_740_352)   # 569M, 4.2M (Table 8)
    # 1 + 13 + 1 weight layers on the longest path; 28 "counting depthwise and pointwise convolutions"
    assert (t.depth, t.depth_with_depthwise) == (15, 28)


@pytest.mark.parametrize("sets, macs, weights", [
    # Table 6: widths ×α, so 1×1 convs ×α², depthwise, conv0 and FC ×α
    (["alpha=0.75"], 648 * 112**2 + 17_385_984 * 3 // 4 + 539_492_352 * 9 // 16 + 768 * 1000,
     648 + 44_640 * 3 // 4 + 3_139_584 * 9 // 16 + 768 * 1000),           # 325,400,448 and 2,568,144: 325, 2.6
    (["alpha=0.5"], 432 * 112**2 + 17_385_984 // 2 + 539_492_352 // 4 + 512 * 1000,
     432 + 44_640 // 2 + 3_139_584 // 4 + 512 * 1000),                    # 149,497,088 and 1,319,648: 149, 1.3
    (["alpha=0.25"], 216 * 112**2 + 17_385_984 // 4 + 539_492_352 // 16 + 256 * 1000,
     216 + 44_640 // 4 + 3_139_584 // 16 + 256 * 1000),                   # 41,030,272 and 463,600: 41, 0.5
    # Table 7: every grid ×(res/224), so every conv's multiply-adds ×(res/224)²; 567,716,352 = 49 · 11,586,048
    (["res=192"], 36 * 11_586_048 + 1024 * 1000, 4_209_088),           # 418,121,728: 418
    (["res=160"], 25 * 11_586_048 + 1024 * 1000, 4_209_088),           # 290,675,200: printed 290 (erratum)
    (["res=128"], 16 * 11_586_048 + 1024 * 1000, 4_209_088),           # 186,400,768: 186
])
def test_mobilenet_width_and_resolution_multipliers(sets, macs, weights):
    assert 864 * 112**2 + 17_385_984 + 539_492_352 + 1024 * 1000 == MOBILENET_MACS     # conv0, dw, pw, FC
    t = verify(load_spec("mobilenet_v1", sets=sets)).totals
    assert (t.macs, t.weights) == (macs, weights)


def test_conv_mobilenet_totals():
    # Table 4's Conv MobileNet: each separable pair one full 3×3 conv; the five stride-2 ones cost
    # 9·32·64·112² = 231,211,008 each, the eight others 462,422,016 each
    t = verify(load_spec("mobilenet_v1", variant="conv-mobilenet")).totals
    weights = 864 + 9 * MOBILENET_PW + 1024 * 1000                     # 29,281,120: printed 29.3
    assert t.weights == weights == 29_281_120
    assert t.macs == 864 * 112**2 + 5 * 231_211_008 + 8 * 462_422_016 + 1024 * 1000 == 4_867_293_184
    assert 9 * 32 * 64 * 112**2 == 9 * 128 * 256 * 28**2 == 231_211_008


def densenet_arithmetic(blocks, k=32):
    """Table 1 by hand: conv1 7·7·3·2k at 112²; a dense layer with c inputs has c·4k + 9·4k·k weights and
    adds k channels; a transition c·⌊c/2⌋ at the block's grid (before its pool); the FC c·1000. Batch
    norm: after conv1 (2k), before each dense layer's convs (c and 4k), each transition (c) and the
    classifier (c), 2 parameters per channel. Returns (weights, params, MACs, depth)."""
    c = 2 * k
    weights, bn, macs = 7 * 7 * 3 * c, 2 * c, 7 * 7 * 3 * c * 112**2
    for i, (n, grid) in enumerate(zip(blocks, (56, 28, 14, 7))):
        for _ in range(n):
            layer = c * 4 * k + 9 * 4 * k * k
            weights, macs, bn, c = weights + layer, macs + layer * grid**2, bn + 2 * (c + 4 * k), c + k
        if i < 3:
            weights, macs, bn, c = weights + c * (c // 2), macs + c * (c // 2) * grid**2, bn + 2 * c, c // 2
    weights, bn = weights + c * 1000, bn + 2 * c
    return weights, weights + bn + 1000, macs + c * 1000, 1 + 2 * sum(blocks) + 3 + 1


DENSENET = {  # variant: (dense layers per block, (weights, params, MACs, depth))
    "121": ([6, 12, 24, 16], (7_894_208, 7_978_856, 2_834_161_664, 121)),
    "169": ([6, 12, 32, 32], (13_990_080, 14_149_480, 3_359_843_328, 169)),
    "201": ([6, 12, 48, 32], (19_783_872, 20_013_928, 4_291_365_888, 201)),    # "20M parameters"
    "264": ([6, 12, 64, 48], (32_938_176, 33_337_704, 5_751_653_376, 265)),    # 265 weight layers (erratum)
}


@pytest.mark.parametrize("variant", list(DENSENET))
def test_densenet_totals(variant):
    blocks, expected = DENSENET[variant]
    assert densenet_arithmetic(blocks) == expected
    assert totals("densenet", variant) == expected


# -- pytorchcv's implementations -------------------------------------------------------------------------

PYTORCHCV = [  # (module, factory, spec, variant, --set): the declared build each one is
    ("vgg", "vgg11", "vgg", "A", ()),
    ("vgg", "vgg13", "vgg", "B", ()),
    ("vgg", "vgg16", "vgg", "D", ()),
    ("vgg", "vgg19", "vgg", "E", ()),
    ("resnet", "resnet18", "resnet", "18", ("pool1_ceil=false",)),
    ("resnet", "resnet34", "resnet", "34", ("pool1_ceil=false",)),
    ("resnet", "resnet50", "resnet", "50", ("conv1_bias=false", "pool1_ceil=false")),
    ("resnet", "resnet101", "resnet", "101", ("pool1_ceil=false",)),
    ("resnet", "resnet152", "resnet", "152", ("pool1_ceil=false",)),
    ("mobilenet", "mobilenet_w1", "mobilenet_v1", None, ("dropout=0",)),
    ("densenet", "densenet121", "densenet", "121", ()),
    ("densenet", "densenet169", "densenet", "169", ()),
    ("densenet", "densenet201", "densenet", "201", ()),
]
IDS = [p[1] for p in PYTORCHCV]


def factory(module: str, name: str):
    import importlib

    return getattr(importlib.import_module(f"pytorchcv.models.{module}"), name)


@pytest.mark.parametrize("module, name, spec, variant, sets", PYTORCHCV, ids=IDS)
def test_pytorchcv_counts_equal_the_declared_build(module, name, spec, variant, sets):
    make = factory(module, name)
    with torch.device("meta"):
        model = make()
    params = sum(p.numel() for p in model.parameters())
    macs = reference_macs(make, 224)                 # FlopCounterMode on meta: conv/linear/matmul FLOPs / 2
    t = verify(load_spec(spec, variant=variant, sets=sets)).totals
    assert (params, macs) == (t.params, t.macs)


@pytest.mark.parametrize("module, name, spec, variant, sets", PYTORCHCV, ids=IDS)
def test_pytorchcv_model_matches_the_declared_build(cli, module, name, spec, variant, sets):
    args = ([] if variant is None else ["--variant", variant]) + [a for s in sets for a in ("--set", s)]
    code, out, err = cli("verify", spec, *args, "--model", f"pytorchcv.models.{module}:{name}", "--format", "json")
    report = json.loads(out)
    assert [f["message"] for f in report["findings"] if f["status"] != "known"] == []
    assert code == 0


def test_the_bottleneck_stride_option_tells_the_release_from_torchvision(cli):
    # pytorchcv's resnet50 has the release's stride on the first 1×1 conv; against the stride-on-3×3 build
    # exactly the three downsampling blocks differ, each by its two convs' strides and the 1×1's grid.
    code, out, _ = cli("verify", "resnet", "--set", "conv1_bias=false", "--set", "bottleneck_stride=3x3",
                       "--model", "pytorchcv.models.resnet:resnet50", "--format", "json")
    found = [(f["row"], f["message"].split(": ", 1)[1]) for f in json.loads(out)["findings"] if f["status"] == "mismatch"]
    assert code == 1
    grids = {"conv3_1": (28, 56), "conv4_1": (14, 28), "conv5_1": (7, 14)}
    assert found == [item for row, (out_grid, in_grid) in grids.items() for item in [
        (row, "convolution 1×1 with stride 2, paper 1"),
        (row, f"convolution 1×1 gives {out_grid}×{out_grid}, paper {in_grid}×{in_grid}"),
        (row, "convolution 3×3 with stride 1, paper 2")]]
    code, out, _ = cli("verify", "resnet", "--set", "conv1_bias=false", "--set", "bottleneck_stride=3x3",
                       "--model", "pytorchcv.models.resnet:resnet50b", "--format", "json")
    assert code == 0 and {f["status"] for f in json.loads(out)["findings"]} <= {"known"}


def test_a_configuration_is_told_from_its_neighbour(cli):
    # pytorchcv's vgg16 is configuration D, not E: E's fourth conv of stages 3, 4 and 5 is missing
    code, out, _ = cli("verify", "vgg", "--variant", "E", "--model", "pytorchcv.models.vgg:vgg16", "--format", "json")
    rows = {f["row"] for f in json.loads(out)["findings"] if f["status"] == "mismatch"}
    assert code == 1 and rows and rows <= {f"conv{s}_{i}" for s in (3, 4, 5) for i in (1, 2, 3, 4)}


def test_the_missing_conv_of_a_configuration_is_named_as_the_runs_length(cli):
    code, out, _ = cli("verify", "vgg", "--variant", "E", "--model", "pytorchcv.models.vgg:vgg16", "--format", "json")
    found = [(f["row"], f["field"], f["paper"], f["measured"]) for f in json.loads(out)["findings"]
             if f["status"] == "mismatch"]
    # E's fourth 3×3 conv of stages 3, 4 and 5 is the one missing: one run finding per stage, on that row
    assert found == [("conv3_4", "repeats", "4", "3"), ("conv4_4", "repeats", "4", "3"), ("conv5_4", "repeats", "4", "3")]


def test_the_review_finds_the_build_of_an_erratum_that_needs_a_variant_and_a_setting():
    # reports/discrepancies.md measures each erratum in a declared build; an erratum of a --set option
    # on a variant (and one of a claim limited to a resolution) is measured with the fewest settings
    from archcheck.discrepancies import collect

    entries = {e.erratum.id: (e.build, e.measured, e.status)
               for e in collect([str(SPECS / "resnet.yaml"), str(SPECS / "mobilenet_v1.yaml")])}
    assert entries["flops-101-stride-3x3"] == ("variant 101 with --set bottleneck_stride=3x3", "7,801,405,440", "known")
    assert entries["flops-50-stride-3x3"] == ("--set bottleneck_stride=3x3", "4,089,184,256", "known")
    assert entries["mult-adds-160-rounding"] == ("--set res=160", "290,675,200", "known")
    assert {status for _, _, status in entries.values()} == {"known"}
