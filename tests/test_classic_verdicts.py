"""`verify --model` on the classic subjects (tests/subjects/classic/): the verdict, not only the counts.

Every faithful style passes against the build it implements, with no finding of its own; each deviation
gets exactly the findings that name it. Two classes of real code are here because they once went wrong:
torchvision's DenseNet, whose layers concatenate the list of every earlier feature map (read as written,
a dense block of 24 layers has 2^24 paths: verify ran out of memory), and Keras ports, whose strided
convs read an explicitly padded map (ZeroPad2d((0, 1, 0, 1)), padding 0: TensorFlow's "same").
"""
from __future__ import annotations

import pytest
import torch
from torch import nn

from archcheck.trace import trace_model

from .subject_helpers import check

C = "tests/subjects/classic/"
V15 = ("--set", "bottleneck_stride=3x3", "--set", "conv1_bias=false")   # torchvision's ResNet-50 ("v1.5")

FAITHFUL = [
    ("densenet", C + "densenet.py:densenet121", ()),
    ("densenet", C + "densenet.py:densenet121", ("--model-arg", "memory_efficient=true")),
    ("densenet", C + "densenet.py:densenet", ("--variant", "169", "--model-arg", "depth=169")),
    ("densenet", C + "densenet.py:TutorialDenseNet", ()),
    ("densenet", C + "densenet.py:d2l_densenet", ("--variant", "201", "--model-arg", "depth=201")),
    ("resnet", C + "resnet.py:resnet34", ("--variant", "34")),
    ("resnet", C + "resnet.py:CaffeResNet", ("--variant", "152", "--model-arg", "depth=152")),
    ("resnet", C + "resnet.py:resnet50", V15),
    ("resnet", C + "resnet.py:tutorial_resnet", ("--model-arg", "depth=50", *V15)),
    ("resnet", C + "resnet.py:timm_resnet", V15),
    ("resnet", C + "resnet.py:ResNetBackbone", V15),
    ("resnet", C + "resnet.py:ResNetBackbone", ("--model-arg", "returns=dict", *V15)),
    ("vgg", C + "vgg.py:vgg16", ("--variant", "D")),
    ("vgg", C + "vgg.py:VGGNet", ("--variant", "E", "--model-arg", "config=E")),
    ("vgg", C + "vgg.py:VGGFunctional", ("--variant", "C", "--model-arg", "config=C")),
    ("mobilenet_v1", C + "mobilenet.py:MobileNetV1", ()),
]


@pytest.mark.parametrize("spec, ref, args", FAITHFUL, ids=[f"{s}-{r.split(':')[1]}-{len(a)}" for s, r, a in FAITHFUL])
def test_faithful_classic_subjects_pass(spec, ref, args):
    code, mine, _, _ = check(spec, ref, *args)
    assert (code, mine) == (0, [])


@pytest.mark.parametrize("layers, measured", [("3,4,5,3", 5), ("3,4,8,3", 8)])
def test_resnet_stage_with_another_block_count_is_one_finding(layers, measured):
    # Table 1 prints conv4_x "[1×1, 256; 3×3, 256; 1×1, 1024] ×6"; the spec builds it as conv4_1 (the
    # downsampling block) and conv4_rest (5 more). The count is the printed row's, 6, not the rows', 2.
    code, mine, _, _ = check("resnet", C + "resnet.py:resnet50", "--model-arg", f"layers={layers}", *V15)
    assert code == 1
    [(status, row, field, message)] = mine
    assert (status, row, field) == ("mismatch", "conv4_x", "repeats")
    assert message.split("; ")[0] == f"conv4_x: {measured} blocks where the paper has 6"
    assert message.endswith(f"×{measured} ({(measured - 6) / 6:+.1%})")      # the printed cell's ×6 against it


@pytest.mark.parametrize("variant, depth, dense3, dense4, final", [("169", 121, 24, 16, 1024), ("121", 169, 32, 32, 1664)])
def test_densenet_of_another_depth(variant, depth, dense3, dense4, final):
    # 121 and 169 share blocks 1-2 (6 and 12 layers); they differ in blocks 3 and 4 (24-16 vs 32-32). After
    # block 3 the width is 256 + 32·n3 (1,024 or 1,280), halved by transition 3: 512 or 640; the final width
    # is that + 32·n4: 512 + 512 = 1,024 or 640 + 1,024 = 1,664.
    paper3, paper4 = {"169": (32, 32), "121": (24, 16)}[variant]
    code, mine, _, _ = check("densenet", C + "densenet.py:densenet", "--variant", variant, "--model-arg", f"depth={depth}")
    assert code == 1
    repeats = [(row, m.split("; ")[0]) for _, row, field, m in mine if field == "repeats"]
    assert repeats == [("dense3", f"dense3: {dense3} dense_layer blocks where the paper has {paper3}"),
                       ("dense4", f"dense4: {dense4} dense_layer blocks where the paper has {paper4}")]
    assert any(m.startswith(f"fc: input 1×1×{final},") for *_, m in mine)


def test_keras_port_padding_is_the_layers_own():
    # Keras' MobileNet pads (0, 1) before each stride-2 depthwise conv: 112 -> 113 -> (113 - 3) // 2 + 1 = 56,
    # as padding 1 gives (112 + 2 - 3) // 2 + 1 = 56. Nothing about sizes is reported; what is left: ReLU6 on
    # every conv (a warning), the classifier as a 1×1 conv (the paper's FC) and its softmax.
    code, mine, _, _ = check("mobilenet_v1", C + "mobilenet.py:KerasMobileNet")
    assert code == 1
    assert [(row, m.split("; ")[0]) for s, row, _, m in mine if s == "mismatch"] == [
        ("fc", "fc: convolution 1×1 (1024 → 1000 channels) where the paper has a linear layer (1024 → 1000)")]
    assert {row for s, row, _, m in mine if s == "warning" and "ReLU6" in m} == {"conv0"} | {f"dw{i}" for i in range(1, 14)}
    assert [row for s, row, _, m in mine if s == "warning" and "softmax" in m] == ["fc"]
    assert not [m for *_, m in mine if "input" in m or "113" in m]


def test_list_concatenations_read_as_a_running_concatenation():
    class Block(nn.Module):     # torchvision's dense block in miniature: each layer reads cat(all before)
        def __init__(self):
            super().__init__()
            self.convs = nn.ModuleList(nn.Conv2d(4 + 2 * i, 2, 1) for i in range(3))

        def forward(self, x):
            feats = [x]
            for conv in self.convs:
                feats.append(conv(torch.cat(feats, 1)))
            return torch.cat(feats, 1)

    with torch.device("meta"):
        trace = trace_model(Block(), (4, 5, 5))
    cats = [op for op in trace.ops if op.kind == "cat"]
    assert [len(op.inputs) for op in cats] == [1, 2, 2, 2]      # cat([x]), then each extends the one before
    for before, op in zip(cats, cats[1:]):
        assert op.inputs[0] == before.outputs[0]
        assert op.attrs["sizes"] == (before.out_shape[1], 2) and op.in_shapes[0] == before.out_shape
    assert cats[-1].out_shape == (1, 4 + 3 * 2, 5, 5)


def test_concatenations_along_another_dim_are_left_alone():
    class Two(nn.Module):
        def forward(self, x):
            a = torch.cat([x, x], 1)
            return torch.cat([x, x, a[:, :4]], 2)           # its prefix [x, x] was concatenated along dim 1

    trace = trace_model(Two(), (4, 3, 3))
    last = [op for op in trace.ops if op.kind == "cat"][-1]
    assert len(last.inputs) == 3 and last.attrs["sizes"] == (3, 3, 3)


class LazyVGG11(nn.Module):
    """Configuration A written with lazy layers (in channels inferred at the first call)."""

    def __init__(self):
        super().__init__()
        layers = []
        for v in [64, "M", 128, "M", 256, 256, "M", 512, 512, "M", 512, 512, "M"]:
            layers += [nn.MaxPool2d(2)] if v == "M" else [nn.LazyConv2d(v, 3, padding=1), nn.ReLU(True)]
        self.features = nn.Sequential(*layers)
        self.head = nn.Sequential(nn.Flatten(), nn.LazyLinear(4096), nn.ReLU(True), nn.Dropout(),
                                  nn.Linear(4096, 4096), nn.ReLU(True), nn.Dropout(), nn.Linear(4096, 1000))

    def forward(self, x):
        return self.head(self.features(x))


def test_lazy_layers_are_initialised_on_the_meta_device():
    import archcheck
    from archcheck.errors import ModelError

    report = archcheck.verify_model("vgg", LazyVGG11, variant="A")
    assert report.ok and report.totals.params == 132_863_336      # pytorchcv vgg11 has the same count
    # An object built on the CPU would be changed by its first call (real weights allocated): refused.
    with pytest.raises(ModelError, match="uninitialized lazy parameters"):
        archcheck.verify_model("vgg", LazyVGG11(), variant="A")
    only_lazy = nn.Sequential(nn.LazyConv2d(8, 3))       # no initialised tensor at all: still the user's object
    with pytest.raises(ModelError, match="uninitialized lazy parameters"):
        archcheck.summary(only_lazy, (3, 10, 10))
    assert type(only_lazy[0]) is nn.LazyConv2d


def test_a_growth_rate_change_is_two_lines_for_every_dense_layer(cli):
    # k = 24 instead of 32: every dense layer's bottleneck is 4k = 96 wide (paper 128) and adds k = 24
    # channels (paper 32): 6 + 12 + 24 + 16 = 58 layers, each in one of two lines, whichever repetition.
    code, out, _ = cli("verify", "densenet", "--model", C + "densenet.py:densenet121", "--model-arg", "growth_rate=24",
                       "--format", "text")
    assert code == 1
    places = "dense1 (6), dense2 (12), dense3 (24), dense4 (16) (58 places), new branch: "
    lines = [line for line in out.splitlines() if "dense" in line and line.startswith("[mismatch]")]
    assert lines == [f"[mismatch] {places}convolution 1×1 with 96 output channels, paper 128",
                     f"[mismatch] {places}convolution 3×3 with 24 output channels, paper 32"]
    # transitions halve what the blocks leave: 64 + 6·24 = 208 -> 104, 104 + 12·24 = 392 -> 196
    assert "[mismatch] transition1: convolution 1×1 with 104 output channels, paper 128" in out
    assert "[mismatch] transition2: convolution 1×1 with 196 output channels, paper 256" in out


def test_text_report_shows_a_cells_line_breaks_as_semicolons(cli):
    code, out, _ = cli("verify", "resnet", "--model", C + "resnet.py:resnet50", "--model-arg", "layers=3,4,5,3", *V15,
                       "--format", "text")
    assert code == 1 and "<br>" not in out
    assert "[mismatch] conv4_x: 5 blocks where the paper has 6; so the table's cells differ: 50-layer " \
           "[1×1, 256; 3×3, 256; 1×1, 1024] ×6 → " in out


def test_a_moved_downsampling_is_two_stride_changes():
    # The stride 2 of row 12 (dw6, 28 -> 14) moved to row 14 (the first of the five 14×14 pairs): as
    # many grid reductions as the paper, one layer later. Read stage by stage, that was an extra layer
    # before the reduction and a missing one after it; it is two strides, and what they do to sizes.
    code, mine, _, _ = check("mobilenet_v1", C + "mobilenet.py:MobileNetTutorial", "--model-arg", "late_downsample=true")
    assert code == 1
    assert [(row, m.split("; ")[0]) for s, row, _, m in mine if s == "mismatch"] == [
        ("dw6", "dw6: convolution 3×3 with stride 1, paper 2"),
        ("dw6", "dw6: convolution 3×3 gives 28×28, paper 14×14"),
        ("pw6", "pw6: input 28×28×256, paper 14×14×256 (from the rows before)"),
        ("dw7", "dw7: convolution 3×3 with stride 2, paper 1")]
