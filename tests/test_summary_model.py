"""`archcheck summary --model REF --input C×H×W` and `archcheck.summary(model, input_size)`: the summary
of someone's own model, with no spec. Every expected number is hand arithmetic, written beside it.

The subjects (tests/subjects/): cifar_tutorial_net.py (a notebook's CIFAR-10 net, a pool module used
twice), tiny_inception_aux.py (torchvision style, an auxiliary head, a namedtuple with the auxiliary
output first), functional_params.py (no layer modules: F.conv2d on a ParameterDict, a dict returned).
"""
from __future__ import annotations

import json

import pytest

import archcheck
from torch import nn

from .conftest import ROOT

TUTORIAL = "tests/subjects/cifar_tutorial_net.py:Net"
TINY = "tests/subjects/tiny_inception_aux.py:TinyInception"
FUNCTIONAL = "tests/subjects/functional_params.py:FunctionalNet"

# cifar_tutorial_net.Net at 3×32×32: conv1 3→16 3×3 (+bias), bn1 16, conv2 16→32 3×3 (+bias) at 16×16,
# fc1 2048→64, fc2 64→10.
TUTORIAL_PARAMS = (3 * 16 * 9 + 16) + 2 * 16 + (16 * 32 * 9 + 32) + (32 * 8 * 8 * 64 + 64) + (64 * 10 + 10)
TUTORIAL_MACS = 16 * 32 * 32 * (3 * 9) + 32 * 16 * 16 * (16 * 9) + 2048 * 64 + 64 * 10

# tiny_inception_aux.TinyInception: convs without bias, each followed by a batch norm (2 params a channel).
STEM = 3 * 16 * 9 + 2 * 16                                                   # 3×3/2, 3 → 16
MIXED1 = (16 * 8 + 2 * 8) + (16 * 16 + 2 * 16) + (16 * 16 * 9 + 2 * 16)      # 1×1 8 ‖ 1×1 16 → 3×3 16
MIXED2 = (24 * 16 + 2 * 16) + (24 * 16 + 2 * 16) + (16 * 16 * 9 + 2 * 16)    # 1×1 16 ‖ 1×1 16 → 3×3 16
AUX = (24 * 16 + 2 * 16) + (16 * 2 * 2 * 10 + 10)                            # pool to 2×2, 1×1 16, fc 64 → 10
FC = 32 * 10 + 10


def tiny_macs(side: int) -> int:
    """Main-path multiply-adds of TinyInception on a side×side input: the stem halves it."""
    cells = (side // 2) ** 2
    return (cells * 16 * 27 + cells * (16 * 8 + 16 * 16 + 16 * 16 * 9)
            + cells * (24 * 16 + 24 * 16 + 16 * 16 * 9) + 32 * 10)


TINY_AUX_MACS = 2 * 2 * 24 * 16 + 64 * 10     # the aux head's pool is adaptive: the same at any size


def _table(text: str, width: int) -> list[tuple[str, ...]]:
    rows = []
    for line in text.splitlines():
        cells = tuple(c.strip() for c in line.strip().strip("|").split("|"))
        if line.startswith("|") and len(cells) == width and not all(set(c) <= set(":- ") for c in cells):
            rows.append(cells)
    return rows


def _totals(text: str) -> dict[str, str]:
    return {k: v for k, v in _table(text, 2) if k}


def test_tutorial_net_with_no_spec_totals_are_the_hand_arithmetic(cli):
    code, out, err = cli("summary", "--model", TUTORIAL, "--input", "3x32x32")
    assert (code, err) == (0, ""), err
    assert TUTORIAL_PARAMS == 136_906 and TUTORIAL_MACS == 1_753_728
    assert _totals(out) == {"Total params": f"{TUTORIAL_PARAMS:,}", "Trainable params": f"{TUTORIAL_PARAMS:,}",
                            "Non-trainable params": "0", "MACs per image (multiply-adds)": f"{TUTORIAL_MACS:,}"}
    layers = [r for r in _table(out, 3) if r[0] != "Layer (type)"]
    assert layers == [
        ("2D convolution", "[-1, 16, 32, 32]", f"{3 * 16 * 9 + 16:,}"),
        ("2D batch norm", "[-1, 16, 32, 32]", "32"),
        ("2D max pool", "[-1, 16, 16, 16]", "0"),          # the one pool module, listed at each call
        ("2D convolution", "[-1, 32, 16, 16]", f"{16 * 32 * 9 + 32:,}"),
        ("2D max pool", "[-1, 32, 8, 8]", "0"),
        ("Linear", "[-1, 64]", f"{2048 * 64 + 64:,}"),
        ("Linear", "[-1, 10]", f"{64 * 10 + 10:,}"),
    ]
    assert "Model `tests/subjects/cifar_tutorial_net.py:Net`. One 3×32×32 (C×H×W) input" in out
    assert "MACs are multiply-adds per image" in out and "FLOPs ≈ 2 × MACs" in out


def test_aux_head_params_and_macs_are_kept_apart(cli):
    code, out, err = cli("summary", "--model", TINY, "--input", "3×32×32")
    assert code == 0, err
    total = STEM + MIXED1 + MIXED2 + AUX + FC
    assert (total, AUX) == (7_796, 1_066)
    assert _totals(out) == {
        "Total params": f"{total:,}", "Trainable params": f"{total:,}",
        "Total params excluding auxiliary params": f"{total - AUX:,}", "Non-trainable params": "0",
        "Auxiliary-head params": f"{AUX:,}",
        "MACs per image (multiply-adds, main path)": f"{tiny_macs(32):,}",
        "MACs per image with auxiliary heads": f"{tiny_macs(32) + TINY_AUX_MACS:,}"}
    # the aux output is returned first; the main output is the one with the longest weight-layer path
    headers = [r[0] for r in _table(out, 3) if r[0].startswith("**")]
    assert headers == ["**stem**", "**mixed1**", "**aux**", "**mixed2**"]   # avgpool and fc hold one layer
    layers = [r for r in _table(out, 3) if not r[0].startswith("**") and r[0] != "Layer (type)"]
    assert layers[-1] == ("Linear", "[-1, 10]", f"{FC:,}")
    assert ("2D adaptive average pool", "[-1, 24, 2, 2]", "0") in layers


def test_another_input_size_changes_the_shapes_and_macs_not_the_params():
    small, large = archcheck.summary(TINY, (3, 32, 32)), archcheck.summary(TINY, (1, 3, 64, 64))
    assert small.total_params == large.total_params == STEM + MIXED1 + MIXED2 + AUX + FC
    assert (small.macs, large.macs) == (tiny_macs(32), tiny_macs(64))
    assert large.totals.macs_with_aux - large.macs == TINY_AUX_MACS
    assert large.rows[0].output_shapes == ((1, 16, 32, 32),) and small.rows[0].output_shapes == ((1, 16, 16, 16),)


def test_frozen_parameters_are_non_trainable():
    s = archcheck.summary(TINY, (3, 32, 32), {"freeze_stem": True})
    assert s.total_params - s.trainable_params == s.non_trainable_params == STEM


def test_json_has_the_documented_keys(cli):
    code, out, err = cli("summary", "--model", TINY, "--input", "3,32,32", "--format", "json")
    assert code == 0, err
    data = json.loads(out)
    assert set(data["totals"]) == {"params", "trainable_params", "non_trainable_params", "aux_params", "macs",
                                   "macs_with_aux"}
    assert data["totals"]["aux_params"] == AUX and data["totals"]["macs"] == tiny_macs(32)
    assert data["input"] == [3, 32, 32] and data["model"] == TINY and data["spec"] is None
    first = data["rows"][0]
    assert {"name", "type", "output_shape", "params", "macs"} <= set(first)
    assert (first["name"], first["type"], first["output_shape"]) == ("stem.0", "Conv2d", [-1, 16, 16, 16])
    assert (first["params"], first["macs"]) == (3 * 16 * 9, 16 * 16 * 16 * 27)
    # the rows' params add up to the total: every parameter sits in exactly one listed module here
    assert sum(r["params"] for r in data["rows"]) == data["totals"]["params"]


def test_json_lists_several_outputs_as_a_list_of_lists():
    data = json.loads(archcheck.summary("tests/subjects/two_stream.py:TwoStream", (3, 8, 8)).to_json())
    split, left, right, pool, head = data["rows"]
    assert split["output_shape"] == [[-1, 2, 8, 8], [-1, 1, 8, 8]] and split["type"] == "SplitStem"
    # features.mean((2, 3)) in the root's forward: a global average pool, listed by its call
    assert (pool["name"], pool["type"], pool["output_shape"], pool["params"]) == ("mean-1", "mean()", [-1, 8], 0)
    assert left["output_shape"] == [-1, 6, 8, 8] and head["output_shape"] == [-1, 4]
    # left 2·6·9 + 6, right 1·2·9 + 2, head 8·4 + 4; the features returned first are on the main path
    assert data["totals"]["params"] == (2 * 6 * 9 + 6) + (1 * 2 * 9 + 2) + (8 * 4 + 4)
    assert data["totals"]["aux_params"] == 0
    assert data["totals"]["macs"] == 8 * 8 * (6 * 2 * 9 + 2 * 1 * 9) + 8 * 4


def test_columns_and_max_depth(cli):
    code, out, err = cli("summary", "--model", TINY, "--input", "3x32x32", "--max-depth", "1",
                         "--columns", "input_size,output_size,num_params,kernel_size,mult_adds")
    assert code == 0, err
    rows = _table(out, 6)
    assert rows[0] == ("Layer (type)", "Input Shape", "Output Shape", "Param #", "Kernel Shape", "Mult-Adds")
    # depth 1: each top-level child once, holding what its descendants hold
    assert rows[1:] == [
        ("ConvBNReLU", "[-1, 3, 32, 32]", "[-1, 16, 16, 16]", f"{STEM:,}", "--", f"{16 * 16 * 16 * 27:,}"),
        ("Mixed", "[-1, 16, 16, 16]", "[-1, 24, 16, 16]", f"{MIXED1:,}", "--",
         f"{256 * (16 * 8 + 16 * 16 + 16 * 16 * 9):,}"),
        ("AuxClassifier", "[-1, 24, 16, 16]", "[-1, 10]", f"{AUX:,}", "--", f"{TINY_AUX_MACS:,}"),
        ("Mixed", "[-1, 24, 16, 16]", "[-1, 32, 16, 16]", f"{MIXED2:,}", "--",
         f"{256 * (24 * 16 + 24 * 16 + 16 * 16 * 9):,}"),
        ("2D adaptive average pool", "[-1, 32, 16, 16]", "[-1, 32, 1, 1]", "0", "--", "0"),
        ("Linear", "[-1, 32]", "[-1, 10]", f"{FC:,}", "--", "320"),
    ]
    # depth 2: the stem's Sequential is listed through its layers; a kernel shows on a conv's own row
    code, out, _ = cli("summary", "--model", TINY, "--input", "3x32x32", "--max-depth", "2",
                       "--columns", "kernel_size,num_params")
    names = [r[0] for r in _table(out, 3)]
    assert names[:4] == ["Layer (type)", "**stem**", "2D convolution", "2D batch norm"]
    assert ("2D convolution", "[3, 3]", f"{3 * 16 * 9:,}") in _table(out, 3)
    # the same totals at every depth
    assert _totals(out)["Total params"] == f"{STEM + MIXED1 + MIXED2 + AUX + FC:,}"


def test_functional_model_lists_the_layers_its_forward_calls():
    s = archcheck.summary(FUNCTIONAL, (3, 16, 16))
    # no layer modules: every op runs in the root's forward, each layer op is a row named by its call
    assert [(r.name, r.type, r.output_shapes, r.params, r.macs) for r in s.rows] == [
        ("conv2d-1", "conv2d()", ((1, 8, 16, 16),), 8 * 3 * 9, 8 * 16 * 16 * 27),
        ("max_pool2d-1", "max_pool2d()", ((1, 8, 8, 8),), 0, 0),
        ("conv2d-2", "conv2d()", ((1, 16, 8, 8),), 16 * 8 * 9, 16 * 8 * 8 * 72),
        ("mean-1", "mean()", ((1, 16),), 0, 0),
        ("linear-1", "linear()", ((1, 5),), 5 * 16 + 5, 5 * 16)]
    assert sum(r.params for r in s.rows) == s.total_params and sum(r.macs for r in s.rows) == s.macs
    # conv1 8·3·9, conv2 16·8·9, fc 5·16 + bias 5
    assert s.total_params == 8 * 3 * 9 + 16 * 8 * 9 + 5 * 16 + 5
    # conv1 at 16×16, conv2 after a 2×2 pool at 8×8, fc on the mean; the feature map is on the main path
    assert s.macs == 8 * 16 * 16 * 27 + 16 * 8 * 8 * 72 + 5 * 16
    assert s.aux_params == 0 and not s.has_aux
    assert "Auxiliary-head params" not in s.to_markdown()


def test_api_takes_an_instance_a_class_a_factory_and_a_ref():
    from archcheck.subject.load import load_model

    Net = type(load_model(TUTORIAL))      # the class, imported as --model imports it
    instance = Net()
    before = {k: v.clone() for k, v in instance.state_dict().items()}
    for model, args in ((instance, None), (Net, {"num_classes": 10}), (lambda: Net(10), None), (TUTORIAL, None)):
        s = archcheck.summary(model, (3, 32, 32), args)
        assert (s.total_params, s.trainable_params, s.macs) == (TUTORIAL_PARAMS, TUTORIAL_PARAMS, TUTORIAL_MACS)
        assert [r.type for r in s.rows] == ["Conv2d", "BatchNorm2d", "MaxPool2d", "Conv2d", "MaxPool2d", "Linear",
                                            "Linear"]
        assert s.rows[0].params == 3 * 16 * 9 + 16 and s.rows[0].macs == 16 * 32 * 32 * 27
        assert s.to_markdown().startswith("Model ") and "Layer (type)" in s.to_text()
        assert json.loads(s.to_json())["totals"]["params"] == TUTORIAL_PARAMS
    # the object is left as it was: real weights, unchanged, training flag kept
    assert all((instance.state_dict()[k] == v).all() for k, v in before.items())
    assert instance.training and next(instance.parameters()).device.type == "cpu"


@pytest.mark.parametrize("size, message", [
    ((3, 32), "input_size: expected C×H×W, three sizes (a leading batch of 1 allowed), found (3, 32)"),
    ((2, 3, 32, 32), "input_size: expected C×H×W, three sizes (a leading batch of 1 allowed), found (2, 3, 32, 32)"),
    ((3, 0, 32), "input_size: every size must be at least 1, found (3, 0, 32)"),
    ("3x32x32", "input_size: expected C, H, W as three integers, found '3x32x32'"),
])
def test_api_refuses_a_bad_input_size(size, message):
    from archcheck.errors import InputError

    with pytest.raises(InputError) as err:
        archcheck.summary(TUTORIAL, size)
    assert str(err.value.problems[0]) == message


def test_the_package_function_is_not_shadowed_by_a_module():
    import archcheck.summarize  # noqa: F401 - importing every module of the package must keep the function
    import archcheck.commands.summary  # noqa: F401

    assert callable(archcheck.summary) and archcheck.summary.__module__ == "archcheck"
    assert not (ROOT / "archcheck" / "summary.py").exists()


def test_a_model_that_fails_on_the_given_input_is_one_line(cli):
    # the CIFAR GoogLeNet's aux heads expect 4×4×128 = 2048 features: at 224 they get 36×36×128
    code, out, err = cli("summary", "--model", "tests/subjects/googlenet_cifar.py:CifarGoogLeNet", "--input", "3x224x224")
    assert (code, out) == (2, "")
    assert err.startswith("archcheck: error: --model: tests/subjects/googlenet_cifar.py:CifarGoogLeNet: the forward "
                          "pass on a 1×3×224×224 input (the given input) failed: RuntimeError: linear: an input of shape "
                          f"[1, {128 * 36 * 36}] does not fit a weight of shape [1024, 2048]")
    assert "Traceback" not in err


def test_a_container_at_the_depth_limit_says_which_one_it_is():
    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.features = nn.Sequential(nn.Conv2d(3, 4, 3), nn.ReLU())
            self.classifier = nn.Sequential(nn.Flatten(), nn.Linear(4 * 6 * 6, 2))

        def forward(self, x):
            return self.classifier(self.features(x))

    s = archcheck.summary(Net, (3, 8, 8), max_depth=1)
    # features: 4·3·9 + 4 = 112 parameters; classifier: 144·2 + 2 = 290
    assert [(r.layer, r.params) for r in s.rows] == [("Sequential (features)", 112), ("Sequential (classifier)", 290)]


def test_a_head_shared_by_the_aux_and_main_paths_is_the_networks():
    # The aux path runs first and calls the shared classifier before the main path does: its 8·4 + 4 = 36
    # parameters are the network's (the main path reads them too), whoever read them first. The aux head's
    # own 1×1 conv (3·8 + 8 = 32) is the only auxiliary part; a weight tied between the paths is the same.
    class AuxShared(nn.Module):
        def __init__(self):
            super().__init__()
            self.body = nn.Sequential(nn.Conv2d(3, 8, 3, padding=1), nn.ReLU(), nn.Conv2d(8, 8, 3, padding=1))
            self.aux_conv = nn.Conv2d(3, 8, 1)
            self.head = nn.Linear(8, 4)

        def forward(self, x):
            aux = self.head(self.aux_conv(x).mean((2, 3)))
            return self.head(self.body(x).mean((2, 3))), aux

    s = archcheck.summary(AuxShared, (3, 8, 8))
    body = (3 * 8 * 9 + 8) + (8 * 8 * 9 + 8)
    assert s.total_params == body + 32 + 36 and s.aux_params == 32
    assert s.totals.weights == 3 * 8 * 9 + 8 * 8 * 9 + 8 * 4       # conv/linear weights on the main path
