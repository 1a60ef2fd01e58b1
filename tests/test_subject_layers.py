"""`verify --model`: operations that change nothing give no finding (also under --strict); how layers are
grouped into modules or rows does not change the verdict; a 3×3 conv written as a 1×3 ‖ 3×1 pair after its
shared reduce is ONE mismatch, with the width cell agreeing and the params/ops cells as they really are.
"""
from __future__ import annotations

import pytest

from .subject_helpers import KNOWN, check

NOTEBOOK = "tests/subjects/googlenet_notebook.py:NotebookGoogLeNet"
SEPARABLE = "tests/subjects/separable_nets.py"


def test_operations_that_change_nothing_give_no_finding_even_under_strict():
    # The notebook GoogLeNet pools with F.avg_pool2d(x, 7) (stride 7 on 7×7: the paper's 7×7/1), pools the 1×1
    # map again with an adaptive pool, multiplies by 1.0 and views a flat tensor as flat.
    code, mine, known, report = check("specs/googlenet.yaml", NOTEBOOK, "--strict")
    assert (code, mine) == (0, [])
    assert known == KNOWN["googlenet"]
    avgpool = next(r for r in report["rows"] if r["name"] == "avgpool")
    assert avgpool["paper"]["patch size/stride"] == "7×7/1"      # compared, and agreeing


def test_residual_scale_of_one_is_the_release_blocks_scale_one():
    # Cadene's last Block8 computes `out * 1.0 + x`; the spec's release builds that block with scale 1.0,
    # which it writes as no scaling at all.
    code, mine, _, _ = check("specs/inception_resnet_v2.yaml",
                             "tests/subjects/inception_resnet_v2_cadene_style.py:InceptionResNetV2",
                             "--variant", "release", "--strict")
    assert (code, mine) == (0, [])


@pytest.mark.parametrize("subject", ["Fused", "PerRow", "Soup"])
def test_depthwise_and_pointwise_rows_match_however_modules_group_them(subject):
    # The fixture's table has "Conv dw / s1" and "Conv / s1" as two rows; Fused puts both convs, with batch
    # norm and ReLU between, in one module. Each row still measures its own conv: 288 and 2,048 weights, etc.
    code, mine, known, report = check("tests/fixtures/separable_rows.yaml", f"{SEPARABLE}:{subject}", "--strict")
    assert (code, mine, known) == (0, [], set())
    weights = {r["name"]: r["measured"]["weights"] for r in report["rows"]}
    assert weights == {"conv1": 864, "conv_dw1": 288, "conv_pw1": 2048, "conv_dw2": 576, "conv_pw2": 8192,
                       "pool": 0, "fc": 1280}


@pytest.mark.parametrize("subject", ["OneModule", "TwoModules"])
def test_one_separable_row_matches_one_module_or_two(subject):
    code, mine, known, report = check("tests/fixtures/separable_one_row.yaml", f"{SEPARABLE}:{subject}", "--strict")
    assert (code, mine, known) == (0, [], set())
    weights = {r["name"]: r["measured"]["weights"] for r in report["rows"]}
    assert weights == {"conv1": 864, "sep1": 288 + 2048, "sep2": 576 + 8192, "pool": 0, "fc": 1280}


def test_batch_norm_between_depthwise_and_pointwise_is_a_warning_where_the_build_has_none():
    # The one-row spec's separable conv has nothing between its two parts; Fused has batch norm and ReLU there.
    code, mine, _, _ = check("tests/fixtures/separable_one_row.yaml", f"{SEPARABLE}:Fused")
    assert code == 0
    layer = {"sep1": "separable convolution 3×3 (32 → 64 channels, depth multiplier 1)",
             "sep2": "separable convolution 3×3/2 (64 → 128 channels, depth multiplier 1)"}
    assert mine == [w for row in ("sep1", "sep2") for w in (
        ("warning", row, "structure", f"{row}: batch norm after the depthwise part of the {layer[row]} where the "
                                      f"spec's build has none"),
        ("warning", row, "structure", f"{row}: an activation after the depthwise part of the {layer[row]} where "
                                      f"the spec's build has none"))]


def test_a_3x3_conv_written_as_a_1x3_3x1_pair_is_one_mismatch():
    code, mine, _, report = check("specs/googlenet.yaml", NOTEBOOK, "--model-arg", "split=3a")
    assert code == 1
    # 3a: #3×3 reduce 96, #3×3 128 -> 1×3 64 ‖ 3×1 64. Weights: 163,328 - 96·128·9 + 2·96·64·3 = 89,600 = 87.50K
    # (K = 1024, -45.0% of the printed 159K); MACs 89,600 · 28 · 28 = 70,246,400 = 70.25M (-45.1% of 128M).
    assert mine == [("mismatch", "inception_3a", "structure",
                     "inception_3a, 3x3 branch: the 3×3 convolution replaced by a 1×3 ‖ 3×1 pair (64 + 64 = 128 "
                     "channels); so the table's cells differ: params 159K → 87.50K (-45.0%), ops 128M → 70.25M "
                     "(-45.1%)")]
    row = next(r for r in report["rows"] if r["name"] == "inception_3a")
    assert (row["measured"]["weights"], row["measured"]["macs"]) == (89_600, 70_246_400)
    assert row["paper"]["#3×3"] == "128"      # the width cell: 64 + 64, agreeing (no cell finding)


def test_every_3x3_of_a_bn_inception_port_written_as_a_pair():
    code, mine, known, _ = check("specs/inception_v2.yaml", "tests/subjects/bninception_flat.py:BNInception",
                                 "--variant", "caffe-ports", "--model-arg", "split=all")
    assert code == 1
    # the Appendix table's #3×3 per module, each written as two convs of half its width
    n3x3 = {"3a": 64, "3b": 96, "3c": 160, "4a": 96, "4b": 128, "4c": 160, "4d": 192, "4e": 192, "5a": 320,
            "5b": 320}
    assert mine == [("mismatch", f"inception_{m}", "structure",
                     f"inception_{m}, 3x3 branch: the 3×3 convolution replaced by a 1×3 ‖ 3×1 pair "
                     f"({n // 2} + {n // 2} = {n} channels)") for m, n in n3x3.items()]
    assert known == KNOWN["inception_v2_caffe_ports"] - {"params-13.6M-standard"}   # the claim follows the structure


@pytest.mark.parametrize("args, spec_args, known", [
    ([], ["--variant", "caffe-ports"], "inception_v2_caffe_ports"),
    (["--model-arg", "bias=false", "--model-arg", "first_conv=separable"], [], "inception_v2"),
])
def test_flat_attribute_bn_inception_ports_pass(args, spec_args, known):
    # The Caffe ports' flat attributes, and TF-slim's separable first conv as two modules (depthwise 7×7 with
    # multiplier 8, then the pointwise 1×1), against the builds that have them.
    code, mine, found, report = check("specs/inception_v2.yaml", "tests/subjects/bninception_flat.py:BNInception",
                                      "--strict", *spec_args, *args)
    assert (code, mine) == (0, [])
    assert found == KNOWN[known]
    # reference sections 2.3 and 6.3: 11,264,192 conv/linear weights with a standard first conv, 11,257,496
    # with the separable one (7·7·3·8 + 24·64 = 2,712 instead of 9,408)
    assert report["totals"]["weights"] == (11_257_496 if args else 11_264_192)


@pytest.mark.parametrize("spec", ["googlenet", "resnet", "mobilenet_v1"])
def test_one_dimensional_layers_are_differences_not_crashes(cli, spec):
    code, out, err = cli("verify", spec, "--model", "tests/subjects/conv1d_head.py:Conv1dNet", "--input", "3x16x16",
                         "--format", "text")
    assert (code, err) == (1, "")
    assert "internal error" not in out and "convolution 5" in out      # the 1-D kernel, written as one number
