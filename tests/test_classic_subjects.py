"""The classic test subjects (tests/subjects/classic/) against pytorchcv's models and the papers' own numbers.

Every faithful subject, at every depth or configuration, must have the parameter count and the multiply-add
count of the matching pytorchcv model: both built on the meta device, MACs = FLOPs / 2 from torch's
FlopCounterMode restricted to conv / linear / matmul ops, at 224x224. Subjects are built the way
`archcheck verify --model` builds them (archcheck.subject.load_model on `file.py:Name`). Where a paper's
number can be checked by hand, the arithmetic is written beside the expected number. Every deviation
option is shown to change the architecture: counts, output shapes or the sequence of layers.

pytorchcv 0.0.74's conventions, read from its source:
  VGG        vgg11/13/16/19 are A/B/D/E with conv biases, no BN and no adaptive pool (the 7x7 map is
             flattened); bn_vggN has BN and convs without bias, bn_vggNb BN and conv biases (torchvision's
             vggN_bn). It has neither C nor A-LRN.
  ResNet     resnet50/101/152 put the stride on the FIRST 1x1 conv of a bottleneck (get_resnet's default
             conv1_stride=True: "v1", the authors' Caffe model); resnet50b/101b/152b put it on the 3x3
             ("v1.5", torchvision's). Shortcuts are option B (1x1 conv + BN where the shape changes); convs
             have no bias; the head is AvgPool2d(7) and a Linear.
  MobileNet  mobilenet_w1 keeps each depthwise and pointwise conv (each conv-BN-ReLU) in one DwsConvBlock;
             plain ReLU; stride 1 on Table 1's row 18; widths int(alpha * c) (mobilenet_w3d4, wd2, wd4);
             AvgPool2d(7).
  DenseNet   densenet121/169/201: pre-activation units, the unit itself concatenating (identity, new);
             transitions to in // 2 channels; a final BN-ReLU; AvgPool2d(7). It has no DenseNet-264, so that
             one is checked against pytorchcv's DenseNet class given the 6-12-64-48 channel lists.
"""
from __future__ import annotations

import contextlib
import importlib
import importlib.util
import inspect
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from unittest import mock

import pytest
import torch
import torch.nn.functional as F
from torch.overrides import TorchFunctionMode
from torch.utils._pytree import tree_leaves
from torch.utils.flop_counter import FlopCounterMode

SUBJECTS = Path(__file__).resolve().parent / "subjects" / "classic"
COUNTED_OPS = {"convolution", "addmm", "mm", "bmm", "matmul", "linear"}


@dataclass(frozen=True)
class Counts:
    params: int
    macs: int
    outputs: tuple      # shapes of the output tensors, flattened


def _batch_norm_shapes_only(input, running_mean, running_var, weight=None, bias=None, *args, **kwargs):
    """F.batch_norm while counting. On the meta device batch norm runs as a Python decomposition (a few ms
    a call, most of a forward's time); it has no multiply-add that counts, so only its shapes are checked."""
    for t in (running_mean, running_var, weight, bias):
        if t is not None and tuple(t.shape) != (input.shape[1],):
            raise RuntimeError(f"batch norm over {tuple(t.shape)} features applied to {tuple(input.shape)}")
    return torch.empty_like(input)


def measure(model, size=224, log=None) -> Counts:
    """Parameters, multiply-adds and output shapes of one eval-mode forward; `log` also records its layers."""
    model.eval()
    counter = FlopCounterMode(display=False)
    with counter, log or contextlib.nullcontext(), torch.no_grad(), \
            mock.patch.object(F, "batch_norm", _batch_norm_shapes_only):
        out = model(torch.empty(1, 3, size, size, device="meta"))
    flops = sum(n for op, n in counter.get_flop_counts()["Global"].items()
                if str(op).rpartition(".")[2] in COUNTED_OPS)
    shapes = tuple(tuple(t.shape) for t in tree_leaves(out) if isinstance(t, torch.Tensor))
    return Counts(sum(p.numel() for p in model.parameters()), flops // 2, shapes)


def subject(ref: str, **kwargs):
    """Build `file.py:Name` from tests/subjects/classic as `verify --model` does (meta device)."""
    from archcheck.subject import load_model

    return load_model(f"{SUBJECTS}/{ref}", kwargs)


@lru_cache(maxsize=None)
def pytorchcv(family: str, name: str) -> Counts:
    factory = getattr(importlib.import_module(f"pytorchcv.models.{family}"), name)
    with torch.device("meta"):
        model = factory()
    return measure(model)


LAYER_CALLS = {"conv2d", "linear", "max_pool2d", "avg_pool2d", "adaptive_avg_pool2d", "local_response_norm",
               "relu", "relu6", "hardtanh"}


class _LayerLog(TorchFunctionMode):
    """(function, output shape, weight shape) of every layer-like call, in call order."""

    def __init__(self):
        super().__init__()
        self.entries = []

    def __torch_function__(self, func, types, args=(), kwargs=None):
        out = func(*args, **(kwargs or {}))
        name = getattr(func, "__name__", "")
        if name in LAYER_CALLS:
            weight = tuple(args[1].shape) if name in ("conv2d", "linear") else None
            self.entries.append((name, tuple(out.shape), weight))
        return out


@lru_cache(maxsize=None)
def _probe(ref: str, size: int, kwargs: tuple) -> tuple[Counts, list]:
    log = _LayerLog()
    return measure(subject(ref, **dict(kwargs)), size, log), log.entries


def counts(ref: str, size=224, **kwargs) -> Counts:
    return _probe(ref, size, tuple(sorted(kwargs.items())))[0]


def layers(ref: str, size=224, **kwargs) -> list:
    """(function, output shape, weight shape) of the subject's layer calls, in order."""
    return _probe(ref, size, tuple(sorted(kwargs.items())))[1]


def convs(entries) -> list:
    return [(out, w) for name, out, w in entries if name == "conv2d"]


def calls(entries, name) -> int:
    return sum(1 for n, _, _ in entries if n == name)


def same_counts(a: Counts, b: Counts) -> bool:
    return (a.params, a.macs) == (b.params, b.macs)


# == VGG ===================================================================================================

VGG_STYLES = ["vgg.py:vgg", "vgg.py:VGGNet", "vgg.py:VGGFunctional"]
VGG_CV = {"A": "vgg11", "B": "vgg13", "D": "vgg16", "E": "vgg19"}

# VGG-16 (D) by hand. Conv: 3*3*cin*cout weights + cout biases; FC: in*out + out.
VGG16_CONV_PARAMS = (
    (27 * 64 + 64) + (9 * 64 * 64 + 64)                                     # stage 1:     1,792 +    36,928
    + (9 * 64 * 128 + 128) + (9 * 128 * 128 + 128)                          # stage 2:    73,856 +   147,584
    + (9 * 128 * 256 + 256) + 2 * (9 * 256 * 256 + 256)                     # stage 3:   295,168 + 2*590,080
    + (9 * 256 * 512 + 512) + 2 * (9 * 512 * 512 + 512)                     # stage 4: 1,180,160 + 2*2,359,808
    + 3 * (9 * 512 * 512 + 512))                                            # stage 5:             3*2,359,808
VGG_FC_PARAMS = (512 * 7 * 7 * 4096 + 4096) + (4096 * 4096 + 4096) + (4096 * 1000 + 1000)
VGG16_MACS = (
    9 * (3 * 64 + 64 * 64) * 224 * 224                                      #  1,936,392,192
    + 9 * (64 * 128 + 128 * 128) * 112 * 112                                #  2,774,532,096
    + 9 * (128 * 256 + 2 * 256 * 256) * 56 * 56                             #  4,624,220,160
    + 9 * (256 * 512 + 2 * 512 * 512) * 28 * 28                             #  4,624,220,160
    + 9 * (3 * 512 * 512) * 14 * 14                                         #  1,387,266,048
    + 512 * 7 * 7 * 4096 + 4096 * 4096 + 4096 * 1000)                       #    123,633,664 (FC)
# Configuration C: the third conv of stages 3-5 is 1x1, so 8 of its 9 taps go.
C_SAVED_PARAMS = 8 * 256 * 256 + 2 * 8 * 512 * 512                          #      4,718,592
C_SAVED_MACS = 8 * 256 * 256 * 56 * 56 + 8 * 512 * 512 * (28 * 28 + 14 * 14)  #  3,699,376,128


def test_vgg16_by_hand_is_pytorchcv_and_table_2():
    assert VGG16_CONV_PARAMS == 14_714_688
    assert VGG_FC_PARAMS == 123_642_856
    assert VGG16_CONV_PARAMS + VGG_FC_PARAMS == 138_357_544 == pytorchcv("vgg", "vgg16").params
    assert VGG16_MACS == 15_470_264_320 == pytorchcv("vgg", "vgg16").macs
    assert round(138_357_544 / 1e6) == 138                                  # Table 2, column D


@pytest.mark.parametrize("style", VGG_STYLES)
@pytest.mark.parametrize("config", sorted(VGG_CV))
def test_vgg_matches_pytorchcv(style, config):
    assert counts(style, config=config) == pytorchcv("vgg", VGG_CV[config])


@pytest.mark.parametrize("factory, depth", [("vgg11", 11), ("vgg13", 13), ("vgg16", 16), ("vgg19", 19)])
def test_vgg_factories_and_depth_numbers(factory, depth):
    expected = pytorchcv("vgg", factory)
    assert counts(f"vgg.py:{factory}") == expected
    assert counts("vgg.py:VGGNet", config=depth) == expected


@pytest.mark.parametrize("config", sorted(VGG_CV))
def test_vgg_batch_norm_matches_pytorchcv(config):
    n = VGG_CV[config][3:]
    assert counts("vgg.py:vgg", config=config, batch_norm=True) == pytorchcv("vgg", f"bn_vgg{n}b")
    assert counts("vgg.py:vgg", config=config, batch_norm=True, conv_bias=False) == pytorchcv("vgg", f"bn_vgg{n}")


@pytest.mark.parametrize("style", VGG_STYLES)
def test_vgg_c_by_hand(style):
    c = counts(style, config="C")
    assert c.params == 138_357_544 - C_SAVED_PARAMS == 133_638_952
    assert c.macs == 15_470_264_320 - C_SAVED_MACS == 11_770_888_192
    kernels = [w[2] for _, w in convs(layers(style, config="C"))]
    assert kernels == [3] * 6 + [1] + [3, 3, 1] * 2                         # Table 1 rows 13, 18, 23


@pytest.mark.parametrize("style", VGG_STYLES)
def test_vgg_a_lrn_is_a_plus_one_lrn(style):
    # LRN has neither parameters nor multiply-adds counted, so the totals are those of A
    assert same_counts(counts(style, config="A-LRN"), pytorchcv("vgg", "vgg11"))
    log = layers(style, config="A-LRN")
    assert calls(log, "local_response_norm") == 1 and calls(layers(style, config="A"), "local_response_norm") == 0
    names = [n for n, _, _ in log if n != "relu"]
    assert names[:3] == ["conv2d", "local_response_norm", "max_pool2d"]     # Table 1: conv3-64, LRN, maxpool


def test_vgg_table_2_rounds_to_the_printed_millions():
    printed = {"A": 133, "A-LRN": 133, "B": 133, "C": 134, "D": 138, "E": 144}    # Table 2
    for config, millions in printed.items():
        assert round(counts("vgg.py:vgg", config=config).params / 1e6) == millions, config


def test_vgg_deviations_change_the_architecture():
    d = pytorchcv("vgg", "vgg16")
    half = counts("vgg.py:vgg", half_width_stage=3)
    assert half.params < d.params
    assert [w[0] for _, w in convs(layers("vgg.py:vgg", half_width_stage=3))][4:7] == [128, 128, 128]

    narrow = counts("vgg.py:VGGNet", fc_width=1024)
    assert narrow.params == d.params - VGG_FC_PARAMS + (25088 * 1024 + 1024) + (1024 * 1024 + 1024) + (1024 * 1000 + 1000)

    # the 1x1 conv first in stages 3-5: it now takes the stage's input (128, 256, 512 channels wide)
    first = counts("vgg.py:VGGNet", config="C", one_by_one_first=True)
    assert first.params == d.params - 8 * (128 * 256 + 256 * 512 + 512 * 512) == 134_949_672
    assert first.macs == d.macs - 8 * (128 * 256 * 56 * 56 + 256 * 512 * 28 * 28 + 512 * 512 * 14 * 14)
    kernels = [w[2] for _, w in convs(layers("vgg.py:VGGNet", config="C", one_by_one_first=True))]
    assert kernels == [3] * 4 + [1, 3, 3] * 3

    avg = layers("vgg.py:VGGFunctional", pool="avg")
    assert same_counts(counts("vgg.py:VGGFunctional", pool="avg"), d)
    assert calls(avg, "avg_pool2d") == 5 and calls(avg, "max_pool2d") == 0

    extra = counts("vgg.py:VGGFunctional", extra_conv_stage=4)
    assert extra.params == d.params + 9 * 512 * 512 + 512
    assert extra.macs == d.macs + 9 * 512 * 512 * 28 * 28


# == ResNet ================================================================================================

DEPTHS = [18, 34, 50, 101, 152]
V1 = {d: f"resnet{d}" for d in DEPTHS}                                    # stride on the first 1x1
V15 = {d: f"resnet{d}" + ("b" if d >= 50 else "") for d in DEPTHS}        # stride on the 3x3
RESNET_V15 = [("resnet.py:resnet", {}), ("resnet.py:tutorial_resnet", {}),
              ("resnet.py:timm_resnet", {}), ("resnet.py:ResNetBackbone", {})]
RESNET_V1 = [("resnet.py:resnet", {"stride_in_1x1": True}), ("resnet.py:CaffeResNet", {}),
             ("resnet.py:ResNetBackbone", {"stride_at": "1x1"})]


def test_pytorchcv_resnet_stride_placement():
    with torch.device("meta"):
        from pytorchcv.models.resnet import resnet50, resnet50b
        v1, v15 = resnet50(), resnet50b()
    assert v1.features.stage2.unit1.body.conv1.conv.stride == (2, 2)       # the first 1x1
    assert v1.features.stage2.unit1.body.conv2.conv.stride == (1, 1)
    assert v15.features.stage2.unit1.body.conv1.conv.stride == (1, 1)
    assert v15.features.stage2.unit1.body.conv2.conv.stride == (2, 2)      # the 3x3
    assert pytorchcv("resnet", "resnet50").params == pytorchcv("resnet", "resnet50b").params
    assert pytorchcv("resnet", "resnet50").macs < pytorchcv("resnet", "resnet50b").macs


def _same_params_and_macs(ref, kwargs, depth, names):
    got, expected = counts(ref, depth=depth, **kwargs), pytorchcv("resnet", names[depth])
    assert same_counts(got, expected), (ref, kwargs, depth, got, expected)
    assert got.outputs[-1] == (1, 1000)


@pytest.mark.parametrize("depth", DEPTHS)
@pytest.mark.parametrize("ref, kwargs", RESNET_V15, ids=[r for r, _ in RESNET_V15])
def test_resnet_v15_matches_pytorchcv_b(ref, kwargs, depth):
    _same_params_and_macs(ref, kwargs, depth, V15)


@pytest.mark.parametrize("depth", DEPTHS)
@pytest.mark.parametrize("ref, kwargs", RESNET_V1, ids=[r for r, _ in RESNET_V1])
def test_resnet_v1_matches_pytorchcv(ref, kwargs, depth):
    _same_params_and_macs(ref, kwargs, depth, V1)


@pytest.mark.parametrize("depth", DEPTHS)
def test_resnet_factories(depth):
    assert counts(f"resnet.py:resnet{depth}") == pytorchcv("resnet", V15[depth])


@pytest.mark.parametrize("ref, kwargs, spatial", [
    ("resnet.py:resnet", {}, 56), ("resnet.py:resnet", {"stride_in_1x1": True}, 28),
    ("resnet.py:CaffeResNet", {}, 28), ("resnet.py:tutorial_resnet", {}, 56), ("resnet.py:timm_resnet", {}, 56),
    ("resnet.py:ResNetBackbone", {}, 56), ("resnet.py:ResNetBackbone", {"stride_at": "1x1"}, 28)])
def test_resnet_stride_placement_of_each_subject(ref, kwargs, spatial):
    # the first 1x1 conv of conv3_1 (256 -> 128): 28x28 if it carries the stride, 56x56 if the 3x3 does
    first = next(out for out, w in convs(layers(ref, depth=50, **kwargs)) if w == (128, 256, 1, 1))
    assert first[2:] == (spatial, spatial)


# Option A drops the projection shortcuts (1x1 conv cin*cout + BN 2*cout) where the shape changes.
BASIC_PROJECTIONS = [(64, 128, 28), (128, 256, 14), (256, 512, 7)]                       # (cin, cout, output side)
BOTTLENECK_PROJECTIONS = [(64, 256, 56), (256, 512, 28), (512, 1024, 14), (1024, 2048, 7)]


@pytest.mark.parametrize("depth", DEPTHS)
def test_resnet_option_a_by_hand(depth):
    shortcuts = BASIC_PROJECTIONS if depth < 50 else BOTTLENECK_PROJECTIONS
    b = pytorchcv("resnet", V15[depth])
    a = counts("resnet.py:tutorial_resnet", depth=depth, option="A")
    assert a.params == b.params - sum(i * o + 2 * o for i, o, _ in shortcuts)
    assert a.macs == b.macs - sum(i * o * s * s for i, o, s in shortcuts)
    if depth == 34:   # 21,797,672 - (8,448 + 33,280 + 132,096); 3,663,761,408 - 3 * 6,422,528
        assert (a.params, a.macs) == (21_623_848, 3_644_493_824)


def test_resnet34_option_c_adds_thirteen_projections():
    # Sect. 4.1: option C has "many (thirteen) projection shortcuts" more than B. Blocks 3-4-6-3 less the 3
    # that B already projects: 3 + 3 + 5 + 2 identity shortcuts become 1x1 convs (+ BN) of c -> c.
    b, c = pytorchcv("resnet", "resnet34"), counts("resnet.py:resnet", depth=34, shortcut="C")
    extra = [(64, 56, 3), (128, 28, 3), (256, 14, 5), (512, 7, 2)]                      # (c, side, how many)
    assert sum(n for _, _, n in extra) == 13
    assert c.params == b.params + sum(n * (ch * ch + 2 * ch) for ch, _, n in extra) == b.params + 919_168
    assert c.macs == b.macs + sum(n * ch * ch * s * s for ch, s, n in extra) == b.macs + 13 * 12_845_056
    one_by_one = [w for _, w in convs(layers("resnet.py:resnet", depth=34, shortcut="C")) if w[2] == 1]
    assert len(one_by_one) == 16


# one bottleneck of conv4_x: 1x1 1024->256, 3x3 256->256, 1x1 256->1024, and their BNs
CONV4_BOTTLENECK = 1024 * 256 + 9 * 256 * 256 + 256 * 1024 + 2 * (256 + 256 + 1024)     # 1,117,184


@pytest.mark.parametrize("ref", ["resnet.py:resnet", "resnet.py:CaffeResNet", "resnet.py:tutorial_resnet",
                                 "resnet.py:timm_resnet", "resnet.py:ResNetBackbone"])
def test_resnet_wrong_block_count(ref):
    right, wrong = counts(ref, depth=50), counts(ref, depth=50, layers="3,4,5,3")
    assert wrong.params == right.params - CONV4_BOTTLENECK == 25_557_032 - 1_117_184


def test_resnet_deviations_change_the_architecture():
    v1 = pytorchcv("resnet", "resnet50")
    no_bn = counts("resnet.py:CaffeResNet", branch1_bn=False)
    assert no_bn.params == v1.params - 2 * (256 + 512 + 1024 + 2048)

    b = pytorchcv("resnet", "resnet50b")
    deep = counts("resnet.py:timm_resnet", stem_type="deep")
    stem_7x7 = 7 * 7 * 3 * 64 + 2 * 64
    stem_deep = (27 * 32 + 2 * 32) + (9 * 32 * 32 + 2 * 32) + (9 * 32 * 64 + 2 * 64)
    assert deep.params == b.params - stem_7x7 + stem_deep
    assert calls(layers("resnet.py:timm_resnet", stem_type="deep"), "conv2d") == 53 + 2

    # ResNet-D shortcuts: the same counts (a 1x1 conv at the same output size), but pooled, not strided
    assert same_counts(counts("resnet.py:timm_resnet", avg_down=True), b)
    assert calls(layers("resnet.py:timm_resnet", avg_down=True), "avg_pool2d") == 3
    assert calls(layers("resnet.py:timm_resnet"), "avg_pool2d") == 0

    no_pool = counts("resnet.py:ResNetBackbone", maxpool=False, returns="dict")
    assert no_pool.params == b.params and no_pool.macs > 3 * b.macs
    assert no_pool.outputs[:4] == ((1, 256, 112, 112), (1, 512, 56, 56), (1, 1024, 28, 28), (1, 2048, 14, 14))


def test_resnet_backbone_returns():
    assert counts("resnet.py:ResNetBackbone").outputs == ((1, 2048), (1, 1000))
    model = subject("resnet.py:ResNetBackbone", depth=18, returns="dict").eval()
    with torch.no_grad():
        out = model(torch.empty(1, 3, 224, 224, device="meta"))
    assert {k: tuple(v.shape) for k, v in out.items()} == {
        "c2": (1, 64, 56, 56), "c3": (1, 128, 28, 28), "c4": (1, 256, 14, 14), "c5": (1, 512, 7, 7),
        "logits": (1, 1000)}


def test_resnet_flops_row_of_table_1():
    # Table 1 prints 1.8, 3.6, 3.8, 7.6 and 11.3 x 10^9 FLOPs (multiply-adds, Sect. 3.3) for the v1 models.
    # 18, 101 and 152 round to the printed value; 34 (3.66) and 50 (3.86) are printed one tenth lower.
    printed = {18: 1.8, 34: 3.6, 50: 3.8, 101: 7.6, 152: 11.3}
    got = {d: pytorchcv("resnet", V1[d]).macs / 1e9 for d in DEPTHS}
    assert {d: round(v, 1) for d, v in got.items()} == {**printed, 34: 3.7, 50: 3.9}


# == MobileNet v1 ==========================================================================================

MOBILENET_STYLES = ["mobilenet.py:MobileNetTutorial", "mobilenet.py:MobileNetV1", "mobilenet.py:KerasMobileNet"]
# Table 1 in (cin, cout, output side of the pair): rows 2-19
PAIRS = [(32, 64, 112), (64, 128, 56), (128, 128, 56), (128, 256, 28), (256, 256, 28), (256, 512, 14),
         *[(512, 512, 14)] * 5, (512, 1024, 7), (1024, 1024, 7)]
MOBILENET_WEIGHTS = (3 * 3 * 3 * 32                                          #       864  row 1
                     + sum(9 * i for i, _, _ in PAIRS)                       #    44,640  depthwise 3x3
                     + sum(i * o for i, o, _ in PAIRS)                       # 3,139,584  pointwise 1x1
                     + 1024 * 1000 + 1000)                                   # 1,025,000  FC
MOBILENET_BN = 2 * (32 + sum(i for i, _, _ in PAIRS) + sum(o for _, o, _ in PAIRS))   # 2 * (32 + 4,960 + 5,952)


def table_1_macs(r=224):
    """Mult-adds of Table 1 at input side r (every side scales by r / 224): the full 3x3 conv, Eqn. (5)'s
    D_K*D_K*M*D_F*D_F + M*N*D_F*D_F per depthwise separable pair, and the FC."""
    side = [s * r // 224 for _, _, s in PAIRS]
    return ((112 * r // 224) ** 2 * 3 * 3 * 3 * 32
            + sum(9 * i * f * f + i * o * f * f for (i, o, _), f in zip(PAIRS, side))
            + 1024 * 1000)


MOBILENET_MACS = (112 * 112 * 3 * 3 * 3 * 32                                # 10,838,016
                  + sum(9 * i * s * s for i, _, s in PAIRS)                 # 17,385,984
                  + sum(i * o * s * s for i, o, s in PAIRS)                 # 539,492,352
                  + 1024 * 1000)                                            #  1,024,000


def test_mobilenet_by_hand_is_pytorchcv_and_the_paper():
    assert MOBILENET_WEIGHTS == 4_210_088 and MOBILENET_BN == 21_888
    assert MOBILENET_WEIGHTS + MOBILENET_BN == 4_231_976 == pytorchcv("mobilenet", "mobilenet_w1").params
    assert MOBILENET_MACS == table_1_macs(224) == 568_740_352 == pytorchcv("mobilenet", "mobilenet_w1").macs
    assert round(MOBILENET_WEIGHTS / 1e6, 1) == round(4_231_976 / 1e6, 1) == 4.2   # Tables 4, 6-8: 4.2 million
    assert round(MOBILENET_MACS / 1e6) == 569                                     # Tables 4, 6-8: 569 million
    assert 1 + 2 * len(PAIRS) + 1 == 28          # "Counting depthwise and pointwise convolutions ... 28 layers"


@pytest.mark.parametrize("style", MOBILENET_STYLES)
def test_mobilenet_matches_pytorchcv(style):
    got = counts(style)
    assert same_counts(got, pytorchcv("mobilenet", "mobilenet_w1")) and got.outputs == ((1, 1000),)
    # 27 convs and the FC; Keras computes the FC as a 1x1 conv
    assert calls(layers(style), "conv2d") == (28 if style.endswith("KerasMobileNet") else 27)


# Table 6: alpha -> (million mult-adds, million parameters); pytorchcv's name for that width
TABLE_6 = {0.75: (325, 2.6, "mobilenet_w3d4"), 0.5: (149, 1.3, "mobilenet_wd2"), 0.25: (41, 0.5, "mobilenet_wd4")}


@pytest.mark.parametrize("alpha", sorted(TABLE_6))
def test_mobilenet_width_multiplier(alpha):
    macs, params, name = TABLE_6[alpha]
    for got in (counts("mobilenet.py:MobileNetV1", width_mult=alpha), counts("mobilenet.py:KerasMobileNet", alpha=alpha)):
        assert same_counts(got, pytorchcv("mobilenet", name))
        assert round(got.macs / 1e6) == macs and round(got.params / 1e6, 1) == params


def test_mobilenet_resolution_multiplier():
    # Table 7: 1.0 MobileNet-192 / -160 / -128: 418 / 290 / 186 million mult-adds, 4.2 million parameters
    got = {r: counts("mobilenet.py:MobileNetV1", size=r, resolution=r) for r in (192, 160, 128)}
    assert all(c.params == 4_231_976 and c.outputs == ((1, 1000),) for c in got.values())
    assert all(c.macs == table_1_macs(r) for r, c in got.items())
    assert round(got[192].macs / 1e6) == 418 and round(got[128].macs / 1e6) == 186
    # 160: 290,675,200 mult-adds, which rounds to 291 million; the paper prints 290
    assert got[160].macs == table_1_macs(160) == 290_675_200


def test_mobilenet_deviations_change_the_architecture():
    w1 = pytorchcv("mobilenet", "mobilenet_w1")

    relu6 = layers("mobilenet.py:MobileNetTutorial", relu6=True)
    assert same_counts(counts("mobilenet.py:MobileNetTutorial", relu6=True), w1)
    assert calls(relu6, "hardtanh") == 27 and calls(relu6, "relu") == 0     # nn.ReLU6 is a Hardtanh(0, 6)
    assert calls(layers("mobilenet.py:KerasMobileNet"), "hardtanh") == 27

    late = counts("mobilenet.py:MobileNetTutorial", late_downsample=True)
    assert late.params == w1.params and late.macs == w1.macs + 256 * 512 * (28 * 28 - 14 * 14) + 9 * 256 * (28 * 28 - 14 * 14)
    pointwise_13 = [out for out, w in convs(layers("mobilenet.py:MobileNetTutorial", late_downsample=True))
                    if w == (512, 256, 1, 1)]
    assert pointwise_13 == [(1, 512, 28, 28)]

    on_pw = counts("mobilenet.py:MobileNetV1", stride_on_pointwise=True)
    assert on_pw.params == w1.params and on_pw.macs > w1.macs
    dw_row_4 = [out for out, w in convs(layers("mobilenet.py:MobileNetV1", stride_on_pointwise=True))
                if w == (64, 1, 3, 3)]
    assert dw_row_4 == [(1, 64, 112, 112)]

    literal = counts("mobilenet.py:KerasMobileNet", paper_strides=True)
    assert literal.params == w1.params and literal.macs < w1.macs
    assert convs(layers("mobilenet.py:KerasMobileNet", paper_strides=True))[-2][0] == (1, 1024, 3, 3)

    shallow = counts("mobilenet.py:KerasMobileNet", shallow=True)
    assert shallow.params == w1.params - 5 * (9 * 512 + 512 * 512 + 2 * (512 + 512)) == 2_887_976
    assert calls(layers("mobilenet.py:KerasMobileNet", shallow=True), "conv2d") == 28 - 10


# == DenseNet ==============================================================================================

DENSENET_STYLES = ["densenet.py:densenet", "densenet.py:TutorialDenseNet", "densenet.py:d2l_densenet"]


def pytorchcv_densenet_channels(blocks, init=64, k=32):
    """The per-unit channel lists pytorchcv's get_densenet builds: each transition halves, each unit adds k."""
    channels, c = [], init
    for i, n in enumerate(blocks):
        c = c // 2 if i else c
        channels.append([c + k * (j + 1) for j in range(n)])
        c = channels[-1][-1]
    return channels


@lru_cache(maxsize=None)
def pytorchcv_densenet(blocks) -> Counts:
    from pytorchcv.models.densenet import DenseNet

    with torch.device("meta"):
        model = DenseNet(channels=pytorchcv_densenet_channels(blocks), init_block_channels=64)
    return measure(model)


def test_pytorchcv_densenet_class_reproduces_its_factories():
    assert pytorchcv_densenet((6, 12, 24, 16)) == pytorchcv("densenet", "densenet121")
    assert pytorchcv_densenet((6, 12, 48, 32)) == pytorchcv("densenet", "densenet201")


@pytest.mark.parametrize("style", DENSENET_STYLES)
@pytest.mark.parametrize("depth", [121, 169, 201])
def test_densenet_matches_pytorchcv(style, depth):
    assert counts(style, depth=depth) == pytorchcv("densenet", f"densenet{depth}")


@pytest.mark.parametrize("style", DENSENET_STYLES)
def test_densenet_264(style):
    assert counts(style, depth=264) == pytorchcv_densenet((6, 12, 64, 48))


@pytest.mark.parametrize("depth", [121, 169, 201, 264])
def test_densenet_factories(depth):
    assert counts(f"densenet.py:densenet{depth}") == counts("densenet.py:densenet", depth=depth)


def test_densenet_by_hand():
    # channels into the classifier: 64 + 6k -> /2 + 12k -> /2 + 24k -> /2 + 16k with k = 32
    assert ((64 + 6 * 32) // 2 + 12 * 32) // 2 + 24 * 32 == 1024 and 1024 // 2 + 16 * 32 == 1024
    assert layers("densenet.py:densenet")[-1] == ("linear", (1, 1000), (1000, 1024))
    # 121 = 1 (conv) + 2 * (6 + 12 + 24 + 16) dense-layer convs + 3 transitions + 1 FC
    assert 1 + 2 * 58 + 3 + 1 == 121 and calls(layers("densenet.py:densenet"), "conv2d") == 120
    assert round(pytorchcv("densenet", "densenet201").params / 1e6) == 20      # Sect. 4.4: "20M parameters"


def test_densenet_memory_efficient_checkpoints_without_changing_the_architecture(monkeypatch):
    import torch.utils.checkpoint as cp

    assert counts("densenet.py:densenet", memory_efficient=True) == pytorchcv("densenet", "densenet121")
    calls_made = []
    real = cp.checkpoint
    monkeypatch.setattr(cp, "checkpoint", lambda *a, **k: calls_made.append(1) or real(*a, **k))
    model = subject("densenet.py:densenet", memory_efficient=True).train()
    counter = FlopCounterMode(display=False)
    with counter:                                   # gradients on: the checkpointed path runs
        out = model(torch.empty(1, 3, 224, 224, device="meta"))
    assert len(calls_made) == 6 + 12 + 24 + 16 and tuple(out.shape) == (1, 1000)
    assert counter.get_total_flops() // 2 == pytorchcv("densenet", "densenet121").macs


def test_densenet_deviations_change_the_architecture():
    ref = pytorchcv("densenet", "densenet121")
    last_fc = {}
    for name, kwargs in [("densenet.py:densenet", {"growth_rate": 24}), ("densenet.py:densenet", {"compression": 1.0}),
                         ("densenet.py:densenet", {"bn_size": 2}), ("densenet.py:TutorialDenseNet", {"growth_rate": 24}),
                         ("densenet.py:TutorialDenseNet", {"reduction": 1.0})]:
        assert counts(name, **kwargs).params != ref.params, (name, kwargs)
        last_fc[(name, *kwargs.items())] = layers(name, **kwargs)[-1][2][1]
    assert last_fc == {   # the classifier's input channels
        # k = 24 from a 64-wide stem: 64 + 6*24 = 208 -> 104 + 12*24 = 392 -> 196 + 24*24 = 772 -> 386 + 16*24
        ("densenet.py:densenet", ("growth_rate", 24)): 770,
        ("densenet.py:densenet", ("compression", 1.0)): 64 + 32 * (6 + 12 + 24 + 16),     # 1,920: nothing halved
        ("densenet.py:densenet", ("bn_size", 2)): 1024,                                   # only the 1x1s narrow
        # k = 24 from a 2k = 48-wide stem: 48 + 144 = 192 -> 96 + 288 = 384 -> 192 + 576 = 768 -> 384 + 384
        ("densenet.py:TutorialDenseNet", ("growth_rate", 24)): 768,
        ("densenet.py:TutorialDenseNet", ("reduction", 1.0)): 1920,
    }

    cifar = counts("densenet.py:TutorialDenseNet", cifar_stem=True)
    assert cifar.params == ref.params - (7 * 7 * 3 * 64 + 2 * 64) + 3 * 3 * 3 * 64 and cifar.macs > 10 * ref.macs
    assert convs(layers("densenet.py:TutorialDenseNet", cifar_stem=True))[0] == ((1, 64, 224, 224), (64, 3, 3, 3))

    biased = counts("densenet.py:d2l_densenet", conv_bias=True)
    conv_outputs = 64 + 58 * (4 * 32 + 32) + (128 + 256 + 512)               # 64 + 9,280 + 896
    assert biased.params == ref.params + conv_outputs == ref.params + 10_240 and biased.macs == ref.macs


# == every subject =========================================================================================

# what --model names, and the classes their **kwargs reach
ENTRY_POINTS = {
    "vgg.py": ["vgg", "VGG", "VGGNet", "VGGFunctional"],
    "resnet.py": ["resnet", "ResNet", "CaffeResNet", "tutorial_resnet", "timm_resnet", "TimmResNet", "ResNetBackbone"],
    "mobilenet.py": ["MobileNetTutorial", "MobileNetV1", "KerasMobileNet"],
    "densenet.py": ["densenet", "DenseNet", "TutorialDenseNet", "d2l_densenet"],
}
STRUCTURAL = {"self", "kwargs", "block", "features", "last_channels", "block_config"}   # set by the factories


@pytest.mark.parametrize("file", sorted(ENTRY_POINTS))
def test_docstrings_name_every_option(file):
    spec = importlib.util.spec_from_file_location(f"classic_{file[:-3]}", SUBJECTS / file)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    for name in ENTRY_POINTS[file]:
        assert re.search(rf"\b{name}\b", module.__doc__), f"{file}: {name} is not in the docstring"
        for p in set(inspect.signature(getattr(module, name)).parameters) - STRUCTURAL:
            assert re.search(rf"\b{p}\b", module.__doc__), f"{file}: option {name}({p}) is not in the docstring"


@pytest.mark.parametrize("ref", ["vgg.py:vgg", "vgg.py:VGGNet", "vgg.py:VGGFunctional", "resnet.py:resnet",
                                 "resnet.py:CaffeResNet", "resnet.py:tutorial_resnet", "resnet.py:timm_resnet",
                                 "resnet.py:ResNetBackbone", "mobilenet.py:MobileNetTutorial",
                                 "mobilenet.py:MobileNetV1", "mobilenet.py:KerasMobileNet",
                                 "densenet.py:densenet", "densenet.py:TutorialDenseNet", "densenet.py:d2l_densenet"])
def test_archcheck_traces_every_style(ref):
    """verify --model traces the subject on the spec's input; its multiply-adds agree with torch's count."""
    from archcheck.subject import load_model, trace_subject

    trace = trace_subject(load_model(f"{SUBJECTS}/{ref}", {}), (3, 224, 224), ref)
    assert trace.output_shapes[-1] == (1, 1000)
    assert sum(op.macs for op in trace.ops if op.kind in ("conv", "linear", "matmul")) == counts(ref).macs
