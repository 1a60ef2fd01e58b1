"""What a `verify --model` report says to a person (issue 16): grouped findings, the closest declared
build, batch norm eps and count_include_pad, and the wording of activations, dropout rates, settings,
erratum'd cells and failed claims.

Subjects: tests/subjects/small_nets.py (the network of tests/fixtures/closest.yaml in three styles, with
options for each difference), tests/subjects/googlenet_alt.py and pytorchcv 0.0.74's inceptionv4 and
bninception (imported by module).
"""
from __future__ import annotations

import json

import pytest

import archcheck

from .conftest import FIXTURES, GOLDEN, check_golden

CLOSEST = str(FIXTURES / "closest.yaml")
NETS = "tests/subjects/small_nets.py"
ALT = "tests/subjects/googlenet_alt.py:GoogLeNetAlt"
FIVE_ROWS = ("inception_3a, inception_3b, inception_4a, inception_4b, inception_4c, inception_4d, inception_4e, "
             "inception_5a, inception_5b")


def run_json(cli, spec, ref, *args):
    code, out, err = cli("verify", spec, "--model", ref, "--format", "json", *args)
    assert err == "", err
    return code, json.loads(out)


def model_args(**kw) -> list[str]:
    return [a for k, v in kw.items() for a in ("--model-arg", f"{k}={v}")]


def lines(text: str, prefix: str) -> list[str]:
    return [line for line in text.splitlines() if line.startswith(prefix)]


# -- grouping ---------------------------------------------------------------------------------------------

@pytest.mark.parametrize("fmt, suffix", [("text", "txt"), ("markdown", "md")])
def test_grouped_report_golden(cli, fmt, suffix, update_golden):
    # torchvision's 3×3 in every 5×5 branch (pytorch/vision#906): nine findings, one line
    code, out, err = cli("verify", "specs/googlenet.yaml", "--model", ALT, "--model-arg", "k5=3", "--format", fmt)
    assert code == 1 and err == ""
    check_golden(GOLDEN / f"googlenet_alt_k5.{suffix}", out, update_golden)


def test_grouped_lines_name_every_row(cli):
    code, text, _ = cli("verify", "specs/googlenet.yaml", "--model", ALT, "--model-arg", "k5=3", "--format", "text")
    assert lines(text, "[mismatch]") == [
        f"[mismatch] {FIVE_ROWS} (9 rows), 5x5 branch: convolution 3×3, paper 5×5"]
    assert lines(text, "[warning]") == [
        "[warning] norm1, norm2 (2 rows): no local response normalization where the spec's build has it"]
    code, md, _ = cli("verify", "specs/googlenet.yaml", "--model", ALT, "--model-arg", "k5=3")
    assert lines(md, "- **mismatch**") == [f"- **mismatch** {FIVE_ROWS} (9 rows), 5x5 branch: convolution 3×3, paper 5×5"]
    # the per-row cells stay in the table: 3a's 5×5 → 3×3 removes 16·32·(25 - 9) = 8,192 weights,
    # 163,328 - 8,192 = 155,136 = 151.50K (K = 1024)
    assert "| **159K → 151.50K ✗** " in md


def test_json_keeps_one_finding_per_place_with_a_group(cli):
    code, report = run_json(cli, "specs/googlenet.yaml", ALT, "--model-arg", "k5=3")
    mismatches = [f for f in report["findings"] if f["status"] == "mismatch"]
    assert [f["row"] for f in mismatches] == FIVE_ROWS.split(", ")
    assert {f["group"] for f in mismatches} == {"5x5 branch: convolution 3×3, paper 5×5"}
    assert mismatches[0]["message"].startswith("inception_3a, 5x5 branch: convolution 3×3, paper 5×5 (16 → 32 channels)")
    assert all("group" not in f for f in report["findings"] if f["status"] == "known")   # one place each


def test_the_same_change_with_other_channels_in_every_row_is_still_one_group(cli):
    # the same kernel change in two rows of other widths: 16 → 16 channels in mixed_1, 32 → 24 in mixed_2
    code, report = run_json(cli, CLOSEST, f"{NETS}:SmallNet", *model_args(k=5), "--set", "aux_heads=true")
    kernels = [f for f in report["findings"] if f["status"] == "mismatch"]
    assert [f["message"] for f in kernels] == ["mixed_1, kxk branch: convolution 5×5, paper 3×3 (16 → 16 channels)",
                                               "mixed_2, kxk branch: convolution 5×5, paper 3×3 (32 → 24 channels)"]
    assert {f["group"] for f in kernels} == {"kxk branch: convolution 5×5, paper 3×3"}
    code, text, _ = cli("verify", CLOSEST, "--model", f"{NETS}:SmallNet", *model_args(k=5), "--format", "text")
    assert lines(text, "[mismatch]") == ["[mismatch] mixed_1, mixed_2 (2 rows), kxk branch: convolution 5×5, paper 3×3"]


def test_other_changes_are_other_lines(cli):
    # mixed_2 with 20 filters where the table has 24: a change of its own, not part of the kernel group
    code, text, _ = cli("verify", CLOSEST, "--model", f"{NETS}:SmallNet", *model_args(k=5, nk2=20),
                        "--format", "text")
    assert code == 1
    mismatches = lines(text, "[mismatch]")
    assert mismatches[0] == "[mismatch] mixed_1, mixed_2 (2 rows), kxk branch: convolution 5×5, paper 3×3"
    assert len(mismatches) > 1 and all("mixed_1" not in m for m in mismatches[1:])


# -- the closest declared build ---------------------------------------------------------------------------

@pytest.mark.parametrize("ref, args, expected", [
    # 5×5 branches, average pools, no aux head: `five` and `avg` each fix one difference, `five-avg` (the
    # third variant) both, and only the aux_heads flip removes the missing head
    (f"{NETS}:SmallNet", model_args(k=5, pool="avg", aux="false"),
     {"variant": "five-avg", "sets": ["aux_heads=false"], "mismatches": 0}),
    (f"{NETS}:SmallNet", model_args(k=5, pool="avg"), {"variant": "five-avg", "sets": [], "mismatches": 0}),
    (f"{NETS}:small_net_functional", model_args(pool="avg", aux="false"),
     {"variant": "avg", "sets": ["aux_heads=false"], "mismatches": 0}),
    # the default build without its aux head
    (f"{NETS}:SmallNet", model_args(aux="false"), {"variant": None, "sets": ["aux_heads=false"], "mismatches": 0}),
    # the flip the other way: a head the user's --set aux_heads=false removed from the build
    (f"{NETS}:SmallNet", ["--set", "aux_heads=false"], {"variant": None, "sets": ["aux_heads=true"], "mismatches": 0}),
    # the user's own --set values are kept: fc's printed 1×1×10 still disagrees with 5 classes
    (f"{NETS}:SmallNet", model_args(k=5, num_classes=5) + ["--set", "num_classes=5"],
     {"variant": "five", "sets": ["num_classes=5"], "mismatches": 1}),
    # a --variant asked for is replaced, and the other --set values follow the build tried
    (f"{NETS}:SmallNet", model_args(k=5, pool="avg", aux="false") + ["--variant", "five"],
     {"variant": "five-avg", "sets": ["aux_heads=false"], "mismatches": 0}),
    # ties: `five` and `five-bn` both leave no mismatch; five-bn (declared later) leaves no warning either,
    # where five leaves 7 batch norm and 7 bias warnings (conv1 + 3 convs per module × 2)
    (f"{NETS}:SmallNetTV", model_args(k=5), {"variant": "five-bn", "sets": [], "mismatches": 0}),
    # ... and with as many warnings (one dropout rate, 30% against 20% or 50%) the first declared wins
    (f"{NETS}:small_net_functional", model_args(k=5, dropout=0.3), {"variant": "five", "sets": [], "mismatches": 0}),
])
def test_closest_build(cli, ref, args, expected):
    code, report = run_json(cli, CLOSEST, ref, *args)
    assert report["closest_build"] == expected
    assert code == 1 and report["verdict"] == "fail"     # the verdict is the build's asked for


def test_closest_build_is_a_command_line_that_gives_its_count(cli):
    ref, args = f"{NETS}:SmallNet", model_args(k=5, pool="avg", aux="false")
    code, text, _ = cli("verify", CLOSEST, "--model", ref, *args, "--format", "text")
    # against the default build: 2 kernels + 2 pools + the missing aux head
    assert lines(text, "closest declared build:") == [
        "closest declared build: --variant five-avg --set aux_heads=false (0 mismatches instead of 5)"]
    code, again = run_json(cli, CLOSEST, ref, *args, "--variant", "five-avg", "--set", "aux_heads=false")
    assert code == 0 and again["closest_build"] is None
    code, md, _ = cli("verify", CLOSEST, "--model", ref, *args)
    assert "**Closest declared build**: `--variant five-avg --set aux_heads=false` (0 mismatches instead of 5)." in md
    # the spec's default build, when a variant was asked for: 3×3 kernels where `five` has 5×5s
    code, report = run_json(cli, CLOSEST, f"{NETS}:SmallNet", "--variant", "five")
    assert report["closest_build"] == {"variant": None, "sets": [], "mismatches": 0}
    code, text, _ = cli("verify", CLOSEST, "--model", f"{NETS}:SmallNet", "--variant", "five", "--format", "text")
    assert lines(text, "closest declared build:") == [
        "closest declared build: the default build (no --variant, no --set) (0 mismatches instead of 2)"]


def test_a_tie_won_by_warnings_says_so(cli):
    # 5 classes where the table prints 10: both linear layers differ in every build; against `five` the
    # model's batch norm and bias-free convs are 14 warnings more (7 convs), against five-bn none
    code, text, _ = cli("verify", CLOSEST, "--model", f"{NETS}:SmallNetTV", *model_args(k=5, num_classes=5),
                        "--variant", "five", "--format", "text")
    assert lines(text, "closest declared build:") == [
        "closest declared build: --variant five-bn (2 mismatches as well, 0 warnings instead of 14)"]


def test_no_closest_build_when_the_check_passes_or_the_asked_build_fits_best(cli):
    code, report = run_json(cli, CLOSEST, f"{NETS}:SmallNet")
    assert code == 0 and report["closest_build"] is None
    code, text, _ = cli("verify", CLOSEST, "--model", f"{NETS}:SmallNet", "--format", "text")
    assert "closest declared build" not in text
    # 7×7 kernels: no declared build has them; the asked one is as close as any (ties go to it)
    code, report = run_json(cli, CLOSEST, f"{NETS}:SmallNet", *model_args(k=7))
    assert code == 1 and report["closest_build"] is None
    code, text, _ = cli("verify", CLOSEST, "--model", f"{NETS}:SmallNet", *model_args(k=7), "--format", "text")
    # 6 variants × 2 (aux_heads flipped) = 12 builds, the asked one among them
    assert lines(text, "closest declared build:") == [
        "closest declared build: the one checked (none of the 11 other declared builds fits better)"]
    code, report = run_json(cli, "specs/googlenet.yaml", ALT)     # a pass with warnings: no search
    assert code == 0 and report["closest_build"] is None


def test_strict_counts_warnings(cli):
    # batch norm, no biases, 3×3 kernels: a pass with 14 warnings against the default build; under --strict
    # five-bn's 2 kernel mismatches are fewer than the 14
    ref = f"{NETS}:SmallNetTV"
    code, report = run_json(cli, CLOSEST, ref)
    assert code == 0 and report["closest_build"] is None
    code, report = run_json(cli, CLOSEST, ref, "--strict")
    assert code == 1 and report["closest_build"] == {"variant": "five-bn", "sets": [], "mismatches": 2}
    code, text, _ = cli("verify", CLOSEST, "--model", ref, "--strict", "--format", "text")
    assert lines(text, "closest declared build:") == [
        "closest declared build: --variant five-bn (2 mismatches or warnings instead of 14)"]


def test_api_gives_the_closest_build():
    report = archcheck.verify_model(CLOSEST, f"{NETS}:SmallNet", {"k": 5, "aux": False})
    assert not report.ok
    c = report.closest_build
    assert (c.variant, c.sets, c.mismatches, c.asked) == ("five", ("aux_heads=false",), 0, 3)


# -- blind spots ------------------------------------------------------------------------------------------

def test_batch_norm_eps_is_compared(cli):
    code, report = run_json(cli, CLOSEST, f"{NETS}:SmallNetTV", *model_args(eps=0.001), "--variant", "five-bn",
                            "--set", "k=3")
    assert code == 0
    warnings = [f for f in report["findings"] if f["status"] == "warning"]
    assert len(warnings) == 7      # conv1 + 3 convs in each of the 2 modules
    assert warnings[0]["message"] == ("conv1: batch norm eps 0.001 after the convolution 3×3/2 (3 → 16 channels) "
                                      "where the spec's build has 1e-5")
    assert (warnings[0]["paper"], warnings[0]["measured"]) == ("1e-5", "0.001")
    code, report = run_json(cli, CLOSEST, f"{NETS}:SmallNetTV", *model_args(eps=0.001), "--variant", "five-bn",
                            "--set", "k=3", "--set", "bn_eps=0.001")
    assert code == 0 and [f for f in report["findings"] if f["status"] == "warning"] == []


def test_count_include_pad_is_compared_where_the_pool_pads(cli):
    ref = f"{NETS}:SmallNet"
    code, report = run_json(cli, CLOSEST, ref, *model_args(pool="avg", count_include_pad="false"), "--variant", "avg")
    assert code == 0
    # the 3×3/1 pools of the pool branches pad by 1; the final 16×16 pool does not, so its
    # count_include_pad changes nothing and is not a difference
    assert [(f["row"], f["message"]) for f in report["findings"]] == [
        ("mixed_1", "mixed_1, pool branch: average pool 3×3/1 with count_include_pad=False where the spec's build "
                    "has True"),
        ("mixed_2", "mixed_2, pool branch: average pool 3×3/1 with count_include_pad=False where the spec's build "
                    "has True")]
    code, report = run_json(cli, CLOSEST, ref, *model_args(pool="avg"), "--variant", "avg")
    assert code == 0 and report["findings"] == []


# -- wording ----------------------------------------------------------------------------------------------

@pytest.mark.parametrize("ref, act", [(f"{NETS}:SmallNet", "relu6"), (f"{NETS}:small_net_functional", "relu6"),
                                      (f"{NETS}:small_net_functional", "hardtanh6")])
def test_relu6_is_named_relu6(cli, ref, act):
    # nn.ReLU6, F.relu6 and F.hardtanh(x, 0, 6) are one activation
    code, report = run_json(cli, CLOSEST, ref, *model_args(act=act))
    warnings = [f for f in report["findings"] if f["status"] == "warning"]
    assert len(warnings) == 7
    assert warnings[0]["message"] == "conv1: ReLU6 after the convolution 3×3/2 (3 → 16 channels) where the spec's " \
                                     "build has ReLU"
    assert {f["group"] for f in warnings} == {"ReLU6 where the spec's build has ReLU"}
    assert not any("hardtanh" in f["message"] for f in report["findings"])


def test_a_dropout_rate_is_the_papers_only_where_the_row_prints_it(cli):
    # closest.yaml's dropout row prints nothing: 20% is the spec's build's
    code, report = run_json(cli, CLOSEST, f"{NETS}:small_net_functional", *model_args(dropout=0.3))
    assert [f["message"] for f in report["findings"]] == ["dropout: dropout 30% where the spec's build has 20%"]
    # GoogLeNet's dropout row prints "dropout (40%)"
    code, report = run_json(cli, "specs/googlenet.yaml", "tests/subjects/googlenet_torchvision_style.py:googlenet",
                            "--variant", "torchvision-like", "--model-arg", "dropout=0.2")
    assert [f["message"] for f in report["findings"] if f["status"] == "warning"] == [
        "dropout: dropout 20%, paper 40%; so the table's cells differ: type dropout (40%) → 20%"]


def test_settings_line_lists_each_setting_once(cli):
    # the release variant sets aux_heads=true, the --set after it false
    code, text, _ = cli("verify", "specs/inception_v4.yaml", "--variant", "release", "--set", "aux_heads=false",
                        "--format", "text")
    assert "; settings: release=true, aux_heads=false. Checked:" in text.splitlines()[1]
    code, text, _ = cli("verify", CLOSEST, "--model", f"{NETS}:SmallNetTV", "--variant", "five-bn", "--set", "k=3",
                        "--format", "text")
    assert "; settings: k=3, batch_norm=true, conv_bias=false. Checked:" in text.splitlines()[1]


def test_a_change_to_an_erratum_cell_is_measured_from_the_corrected_value(cli):
    # inception_4c prints 463K where its filters give 509,440 weights = 497.50K (erratum 4c-params); the
    # 3×3 removes 24·64·(25 - 9) = 24,576: 484,864 = 473.50K, 4.8% less than 497.50K (not 2.3% more than 463K)
    code, report = run_json(cli, "specs/googlenet.yaml", ALT, "--model-arg", "k5=3")
    [c4] = [f for f in report["findings"] if f["row"] == "inception_4c"]
    assert c4["message"] == ("inception_4c, 5x5 branch: convolution 3×3, paper 5×5 (24 → 64 channels); so the table's "
                             "cells differ: params 497.50K (463K as printed, corrected by erratum 4c-params) → 473.50K "
                             "(-4.8%), ops 100M → 95.03M (-5.0%)")
    # 5a: both cells are errata; 1,042,432 - 32·128·16 = 976,896 = 954.00K, -6.3% from 1018K
    [a5] = [f for f in report["findings"] if f["row"] == "inception_5a"]
    assert "params 1018.00K (1072K as printed, corrected by erratum 5a-params) → 954.00K (-6.3%)" in a5["message"]


def test_failed_claims_are_in_the_text_report(cli):
    # pytorchcv's bninception: its standard first conv makes both claims fail; they follow from that finding
    code, text, _ = cli("verify", "specs/inception_v2.yaml", "--model", "pytorchcv.models.bninception:bninception",
                        "--format", "text")
    assert code == 1
    body = text.splitlines()
    start = body.index("claims that fail because the structure differs (not counted above):")
    assert body[start + 1:start + 3] == [
        "  claim params-13.6M (weights ≈ 13.6·10^6): measured 11,264,192 (-17.2%); erratum params-13.6M-separable "
        "predicts 11,257,496, so the build differs from what the erratum explains (follows from the structural "
        "mismatches)",
        "  claim cost-plus-30pct (macs ≈ 1.948G): measured 2,032,600,064 (+4.3%) (follows from the structural "
        "mismatches)"]
    assert lines(text, "closest declared build:") == [
        "closest declared build: --variant caffe-ports (0 mismatches instead of 1)"]


# -- pytorchcv's inceptionv4 against the paper build ------------------------------------------------------

def test_pytorchcv_inceptionv4_against_the_paper_golden(cli, update_golden):
    # the TF-slim port: the order of every asymmetric conv pair differs from the paper's figures, and it has
    # no aux head; the release variant declares exactly that build
    code, text, err = cli("verify", "specs/inception_v4.yaml", "--model", "pytorchcv.models.inceptionv4:inceptionv4",
                          "--format", "text")
    assert code == 1 and err == ""
    check_golden(GOLDEN / "pytorchcv_inceptionv4.txt", text, update_golden)
    assert len(lines(text, "[mismatch]")) <= 12
    assert lines(text, "closest declared build:") == [
        "closest declared build: --variant release --set aux_heads=false (0 mismatches instead of 36)"]
    code, report = run_json(cli, "specs/inception_v4.yaml", "pytorchcv.models.inceptionv4:inceptionv4")
    assert report["closest_build"] == {"variant": "release", "sets": ["aux_heads=false"], "mismatches": 0}
    assert sum(f["status"] == "mismatch" for f in report["findings"]) == 36


# -- the grouping rule, on differences made by hand --------------------------------------------------------

def _diff(row, layer, ordinal, channels, change="convolution 5×5, paper 3×3"):
    from archcheck.subject.differences import Diff

    return Diff(row, "b branch", "mismatch", change, "3×3", "5×5", notes=(channels,), layer=layer, ordinal=ordinal)


def test_groups_of_two_layers_with_the_same_change_name_the_layer():
    from archcheck.subject.groups import group_strings

    diffs = [_diff("r1", "b.0", 1, "8 → 8 channels"), _diff("r1", "b.1", 2, "8 → 16 channels"),
             _diff("r2", "b.0", 1, "16 → 16 channels"), _diff("r2", "b.1", 2, "16 → 32 channels"),
             _diff("r3", "b.0", 1, "4 → 4 channels", "convolution 7×7, paper 3×3")]
    assert group_strings(diffs) == ["b branch, layer 1: convolution 5×5, paper 3×3",
                                    "b branch, layer 2: convolution 5×5, paper 3×3"] * 2 + [""]


def test_a_group_whose_places_say_the_same_keeps_the_particulars():
    from archcheck.subject.groups import group_strings

    diffs = [_diff("r1", "b.0", 1, "8 → 8 channels"), _diff("r2", "b.0", 1, "8 → 8 channels"),
             _diff("r2", "b.1", 2, "8 → 16 channels")]
    assert group_strings(diffs) == ["b branch: convolution 5×5, paper 3×3 (8 → 8 channels)"] * 2 + [""]


def test_closest_build_ranks_without_inputs_that_follow_from_an_earlier_difference():
    # One own difference that reaches five later rows' inputs (6 mismatches) must not lose to a build with
    # two own differences that reach nothing (2 mismatches); both report what they state.
    from types import SimpleNamespace

    from archcheck.subject.closest import _counts, _rank

    class Fake:
        def __init__(self, fields):
            self.findings = [SimpleNamespace(status="mismatch", field=f) for f in fields]

        def count(self, status):
            return sum(f.status == status for f in self.findings)

    reaching, scattered = Fake(["structure"] + ["input"] * 5), Fake(["structure", "structure"])
    assert _counts(reaching, False) == (6, 0) and _counts(scattered, False) == (2, 0)
    assert _rank(reaching, False) < _rank(scattered, False)
