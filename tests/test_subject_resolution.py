"""`verify SPEC --model REF --input C×H×W`: a subject traced at another input size than the spec's.

What depends on resolution (output and grid sizes, ops/MACs cells and claims, pool kernels that follow
the grid) is not compared, and the report says so once; channels, kernels, strides, filter counts,
weights and parameters are. tests/subjects/googlenet_cifar.py is GoogLeNet with a CIFAR stem (three
stride-1 convs, no pools, no LRN) and Table 1 after it; at 3×32×32 only its stem differs.
"""
from __future__ import annotations

import json

from .subject_helpers import verify_json

CIFAR = "tests/subjects/googlenet_cifar.py:CifarGoogLeNet"
FAITHFUL = "tests/subjects/googlenet_tutorial.py:GoogLeNet"
STEM = ("conv1", "pool1", "norm1", "conv2", "norm2", "pool2")    # the rows before inception (3a)


def _not_known(report: dict) -> list[tuple[str, str, str]]:
    return [(f["row"], f["status"], f["message"]) for f in report["findings"] if f["status"] != "known"]


def test_cifar_stem_googlenet_at_32_has_findings_for_the_stem_only():
    # the table prints 1000 classes: the classifier is built with them, so that only the stem is at stake
    code, report = verify_json("googlenet", CIFAR, "--model-arg", "num_classes=1000", "--input", "3x32x32")
    assert code == 1
    found = _not_known(report)
    assert [(row, status) for row, status, _ in found] == [
        ("conv1", "mismatch"), ("conv1", "mismatch"), ("pool1", "mismatch"), ("norm1", "warning"),
        ("norm2", "warning"), ("pool2", "mismatch")]
    assert all(row in STEM for row, _, _ in found)
    messages = [m for _, _, m in found]
    # conv1: 3×3/1 where the paper has 7×7/2; its params cell folds in (3·3·3·64 = 1,728 weights = 1.69K)
    assert messages[0].startswith("conv1: convolution 3×3, paper 7×7 (3 → 64 channels)")
    assert "params 9.19K (2.7K as printed, corrected by erratum conv1-cost) → 1.69K" in messages[0] and "output size" not in messages[0] and "ops" not in messages[0]
    assert "conv1: convolution 3×3 with stride 1, paper 2" in messages
    assert [m.split(";")[0] for m in messages if "missing row" in m] == [
        "pool1: missing row (max pool 3×3/2)", "pool2: missing row (max pool 3×3/2)"]
    # the inception modules, pools and classifier: channels, kernels and weights as the paper's
    assert not any(row.startswith(("inception", "pool3", "pool4", "avgpool", "fc", "aux"))
                   for row, _, _ in found)
    # the printed errata of the table itself are known, as for a faithful GoogLeNet at 224 (conv1-cost
    # folds into conv1's finding here)
    _, faithful = verify_json("googlenet", FAITHFUL)
    known = {(f["row"], f["field"]) for f in report["findings"] if f["status"] == "known"}
    assert known == {(f["row"], f["field"]) for f in faithful["findings"] if f["status"] == "known"
                     and f["field"] == "params" and f["row"] != "conv1"}
    assert report["input"] == [3, 32, 32]


def test_resolution_dependent_cells_and_claims_are_shown_not_judged(cli):
    code, out, err = cli("verify", "googlenet", "--model", CIFAR, "--model-arg", "num_classes=1000",
                         "--input", "3,32,32", "--format", "json")
    report = json.loads(out)
    notes = [n for n in report["notes"] if "not compared" in n]
    assert notes == ["The model was traced on a 3×32×32 input, the spec's build on its own 3×224×224: what "
                     "depends on resolution is not compared (output and grid sizes, ops and MACs cells and claims, "
                     "pool kernels that follow the grid); channels, kernels, strides, filter counts, weights and "
                     "parameters are."]
    claims = {c["id"]: c["status"] for c in report["claims"]}
    assert claims == {"budget-1.5G": "n/a", "depth-22": "ok"}     # multiply-adds not compared; depth is
    code, md, _ = cli("verify", "googlenet", "--model", CIFAR, "--model-arg", "num_classes=1000",
                      "--input", "3×32×32")
    assert md.count("what depends on resolution is not compared") == 1
    # the 5b row's output is measured at 8×8 and shown beside the printed 7×7 without a verdict
    row = next(line for line in md.splitlines() if line.startswith("| inception_5b"))
    assert "7×7×1024" in row and "✗" not in row and "→" not in row
    # the global average pool is 8×8 on the 8×8 grid: its printed 7×7/1 follows the grid, not judged
    row = next(line for line in md.splitlines() if line.startswith("| avgpool "))
    assert "7×7/1" in row and "✗" not in row and "→" not in row
    # kernels and strides are judged at any size: conv1's cell reads printed → measured
    assert "7×7/2 → 3×3/1" in md


def test_padding_is_judged_by_what_the_papers_layer_gives_on_the_subjects_input():
    # max pools 3×3/2 without padding between the stages: (32 - 3) // 2 + 1 = 15 where the paper's padded
    # pool gives (32 + 2 - 3) // 2 + 1 = 16, then (15 - 3) // 2 + 1 = 7 where it gives (15 + 2 - 3) // 2 + 1 = 8
    code, report = verify_json("googlenet", CIFAR, "--model-arg", "num_classes=1000", "--model-arg", "pool_padding=0",
                               "--input", "3x32x32")
    extra = [m for row, _, m in _not_known(report) if row not in STEM]
    assert extra == ["pool3: max pool 3×3/2 gives 15×15 from 32×32, paper 16×16 (padding 0, paper 1)",
                     "pool4: max pool 3×3/2 gives 7×7 from 15×15, paper 8×8 (padding 0, paper 1)"]


def test_a_faithful_googlenet_at_another_size_passes():
    # 256×256: the grid is 16×16 at 4a, so the aux heads' 5×5/3 pool gives 4×4 as at 224 and fc 2048 fits
    code, report = verify_json("googlenet", FAITHFUL, "--input", "3x256x256")
    assert code == 0 and _not_known(report) == []
    ours = {(f["row"], f["field"]) for f in report["findings"]}
    assert ours == {("conv1", "params"), ("inception_4c", "params"), ("inception_5a", "params")}
    # at the spec's own size everything is compared, the ops errata included
    _, same = verify_json("googlenet", FAITHFUL, "--input", "3x224x224")
    assert ("conv1", "ops") in {(f["row"], f["field"]) for f in same["findings"]}
    assert not any("not compared" in n for n in same["notes"])


def test_without_input_the_cifar_model_fails_on_the_specs_input(cli):
    code, out, err = cli("verify", "googlenet", "--model", CIFAR)
    assert (code, out) == (2, "")
    assert err.startswith(f"archcheck: error: --model: {CIFAR}: the forward pass on a 1×3×224×224 input (the "
                          "spec's input) failed: RuntimeError: linear:")
    code, _, err = cli("verify", "googlenet", "--model", CIFAR, "--input", "3x40x40x2")
    assert code == 2 and "--input: expected C×H×W" in err


def test_input_without_model_is_a_usage_error(cli):
    code, out, err = cli("verify", "googlenet", "--input", "3x32x32")
    assert (code, out) == (2, "")
    assert err == ("archcheck: error: --input: needs --model: the spec's build has its own input (another "
                   "resolution of the spec is a spec option, --set or --variant)\n")
