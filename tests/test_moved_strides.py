"""A stride moved from one layer to another is named as two stride changes, on the two layers.

Alignment pairs the grid reductions of the two networks first (align.py); a stride that moves keeps
their number but shifts one by a layer or two, and two reductions of one kind (both convs) may even
look alike. Checked on three shapes: Inception-v3's stem (the 3×3/2 conv's stride moved to the next
3×3 conv: both reductions are convs), GoogLeNet's stem (conv1's stride moved to the 3×3 conv after the
pool: a conv anchor becomes a later conv, the pool between stays), and MobileNet (row 12's stride on
the next depthwise conv; tests/test_classic_verdicts.py).
"""
from __future__ import annotations

from archcheck.spec import load_spec
from archcheck.subject import verify_model
from archcheck.subject.load import load_model


def _strides(ref: str, **moves) -> object:
    model = load_model(ref)
    for path, stride in moves.items():
        conv = model.get_submodule(path.replace("__", "."))
        conv.stride = (stride, stride)
    return model


def _mismatches(report) -> list[tuple[str, str]]:
    return [(f.row, f.message.split("; ")[0]) for f in report.findings if f.status == "mismatch"]


def test_inception_v3_stem_stride_moved_to_the_next_conv():
    model = _strides("tests/subjects/inception_v3_torchvision_style.py:Inception3",
                     Conv2d_1a_3x3__conv=1, Conv2d_2a_3x3__conv=2)
    found = _mismatches(verify_model(load_spec("inception_v3"), model))
    # 299 -> (299 - 3) + 1 = 297 at stride 1, then (297 - 3) // 2 + 1 = 148 where the paper has 147
    assert found[:3] == [("Conv2d_1a_3x3", "Conv2d_1a_3x3: convolution 3×3 with stride 1, paper 2"),
                         ("Conv2d_1a_3x3", "Conv2d_1a_3x3: convolution 3×3 gives 297×297, paper 149×149"),
                         ("Conv2d_2a_3x3", "Conv2d_2a_3x3: convolution 3×3 with stride 2, paper 1")]
    assert all("148×148" in message for _, message in found[3:]) and len(found) == 5


def test_googlenet_conv1_stride_moved_past_the_pool():
    model = _strides("tests/subjects/googlenet_torchvision_style.py:GoogLeNet", conv1__conv=1, conv3__conv=2)
    report = verify_model(load_spec("googlenet", variant="torchvision-like"), model)
    # 224 at stride 1 (padding 3), pool1 -> 112 where the paper has 56; conv3 at stride 2 -> 56 again
    assert _mismatches(report) == [
        ("conv1", "conv1: convolution 7×7 with stride 1, paper 2"),
        ("conv1", "conv1: convolution 7×7 gives 224×224, paper 112×112"),
        ("pool1", "pool1: input 224×224×64, paper 112×112×64 (from the rows before)"),
        ("conv2", "conv2: convolution 3×3 with stride 2, paper 1")]
