"""`verify --model`: runs of repeated blocks are compared as runs. A different count is ONE mismatch on the
printed row (`field: "repeats"`, `paper` and `measured` the two counts); the blocks are compared with the
paper's block; nothing is paired across a grid reduction. A count that agrees with the printed one is
right, whatever the spec's build has.
"""
from __future__ import annotations

import pytest

from .subject_helpers import KNOWN, check

PAPER_IRV2 = "tests/subjects/inception_resnet_v2_paper.py:IncResV2"
CADENE_IRV2 = "tests/subjects/inception_resnet_v2_cadene_style.py:InceptionResNetV2"
TV_V3 = "tests/subjects/inception_v3_torchvision_style.py:Inception3"


def repeats(row: str, paper: int, measured: int, noun: str, printed: int | None = None) -> tuple:
    """`paper` the count of the build checked; `printed` the table's, where it prints another."""
    where = f"the paper has {paper}" if printed is None else f"the spec's build has {paper} (the paper prints {printed})"
    return ("mismatch", row, "repeats", f"{row}: {measured} {noun} where {where}")


def test_paper_inception_resnet_v2_passes():
    code, mine, known, report = check("specs/inception_resnet_v2.yaml", PAPER_IRV2, "--strict")
    assert (code, mine) == (0, [])
    assert known == KNOWN["inception_resnet_v2"]


@pytest.mark.parametrize("counts, expected", [
    ("5,7,5", [repeats("inception_resnet_b", 10, 7, "block17 blocks")]),        # fewer in the middle stage
    ("5,12,5", [repeats("inception_resnet_b", 10, 12, "block17 blocks")]),      # more in the middle stage
    ("10,20,10", [repeats("inception_resnet_a", 5, 10, "block35 blocks"),       # the release's counts
                  repeats("inception_resnet_b", 10, 20, "block17 blocks"),
                  repeats("inception_resnet_c", 5, 10, "block8 blocks")]),
])
def test_inception_resnet_v2_with_other_repeat_counts(counts, expected):
    code, report = None, None
    code, mine, known, report = check("specs/inception_resnet_v2.yaml", PAPER_IRV2, "--model-arg", f"repeats={counts}")
    assert code == 1
    assert mine == expected
    by_row = {f["row"]: f for f in report["findings"] if f["field"] == "repeats"}
    for status, row, _, message in expected:
        paper, measured = message.split(" where the paper has ")[1], message.split(": ")[1].split(" ")[0]
        assert (by_row[row]["paper"], by_row[row]["measured"]) == (paper, measured)
    assert known == KNOWN["inception_resnet_v2"]


def test_release_inception_resnet_v2_against_the_release_build():
    code, mine, known, report = check("specs/inception_resnet_v2.yaml", CADENE_IRV2, "--variant", "release", "--strict")
    assert (code, mine) == (0, [])
    assert known == KNOWN["inception_resnet_v2_release"]     # release-ir-*-count: 10, 20, 10 blocks
    assert report["totals"]["params"] == 55_843_464           # pytorchcv inceptionresnetv2 (reference 6.6)


@pytest.mark.parametrize("counts, expected", [
    ("10,15,10", repeats("inception_resnet_b", 20, 15, "block17 blocks", printed=10)),
    ("10,25,10", repeats("inception_resnet_b", 20, 25, "block17 blocks", printed=10)),
    ("10,10,10", repeats("inception_resnet_b", 20, 10, "block17 blocks", printed=10)),
])
def test_release_with_another_middle_count_against_the_release_build(counts, expected):
    # The release builds 20 17×17 blocks (erratum release-ir-b-count); the printed count is 10. The model is
    # checked against the build asked for: 15, 25, and the table's own 10 are each one finding, stating the
    # build's count, the model's, and the table's.
    code, mine, known, _ = check("specs/inception_resnet_v2.yaml", CADENE_IRV2, "--variant", "release",
                                 "--model-arg", f"repeats={counts}")
    assert (code, mine) == (1, [expected])
    assert known == KNOWN["inception_resnet_v2_release"] - {"release-ir-b-count"}


def test_release_against_the_paper_build_says_each_count_once_and_pairs_nothing_across_stages():
    code, mine, _, _ = check("specs/inception_resnet_v2.yaml", CADENE_IRV2)
    assert code == 1
    runs = [m for m in mine if m[2] == "repeats"]
    assert [m[3].split("; ")[0] for m in runs] == [
        "inception_resnet_a: 10 block35 blocks where the paper has 5",
        "inception_resnet_b: 20 block17 blocks where the paper has 10",
        "inception_resnet_c: 10 block8 blocks where the paper has 5"]
    # The surplus blocks are compared with the paper's block, not with the stem: no block row is named in a
    # finding about the stem's rows, and each block row has only its expansion's width (320 = the release's
    # Mixed_5b output, 96 + 64 + 96 + 64; 1088 = 320 + 384 + 384; 2080 = 1088 + 384 + 288 + 320).
    width = {"block35": (320, 384), "block17": (1088, 1152), "block8": (2080, 2144)}
    for prefix, count in (("block35", 5), ("block17", 10), ("block8", 5)):
        got, paper = width[prefix]
        for i in range(1, count + 1):
            row = f"{prefix}_{i}"
            expected = [("mismatch", row, "structure", f"{row}: convolution 1×1 with {got} output channels, paper {paper}")]
            if row == "block8_5":   # the release's Conv2d_7b_1x1 after the last block, and its last block itself
                expected += [("mismatch", row, "structure", f"{row}: extra convolution 1×1 (2080 → 1536 channels), "
                                                            f"not in the paper"),
                             ("warning", row, "structure", f"{row}: no scaling by 0.2 where the spec's build has it "
                                                           f"(the model's repeat 10 of 10)"),
                             ("warning", row, "structure", f"{row}: no activation after the sum of 2 branches where "
                                                           f"the spec's build has one (the model's repeat 10 of 10)")]
            assert [m for m in mine if m[1] == row] == expected
    stem = [m for m in mine if m[1] in ("Conv2d_1a_3x3", "Conv2d_2a_3x3", "Conv2d_2b_3x3")]
    assert stem == []    # the three convs the release shares with figure 3


def test_inception_v3_with_table_1s_five_17x17_modules_is_told_why_it_differs():
    # Table 1 prints 5×Inception; the release (the spec's default build) has 4. A model written from the
    # table differs from the build it is checked against, and the finding says the table prints 5.
    code, mine, known, report = check("specs/inception_v3.yaml", TV_V3, "--model-arg", "n17=5")
    assert code == 1
    assert [m for m in mine if m[2] != "claim"] == [repeats("inception_17x17", 4, 5, "inception_b blocks", printed=5)]
    # The text's claims are checked on the model's totals: one more c7 = 160 module costs
    # 768·192 + 768·160 + 160·160·7 + 160·192·7 + 768·160 + 160·160·7·3 + 160·192·7 + 768·192 = 1,687,552
    # weights, × 17·17 = 487,702,528 MACs: 5,713,216,096 + 487,702,528 = 6,200,918,624 (over the 5G claim).
    assert report["totals"]["macs"] == 5_713_216_096 + 487_702_528
    # ... so the two claims fail too, as consequences of the structure (not findings of their own)
    assert {c["id"] for c in report["claims"] if c["status"] == "mismatch"} == {"macs-5G", "params-25M"}
    assert "17x17-count" not in known


@pytest.mark.parametrize("n17", [3, 6])
def test_inception_v3_with_fewer_or_more_17x17_modules(n17):
    code, mine, known, _ = check("specs/inception_v3.yaml", TV_V3, "--model-arg", f"n17={n17}")
    assert code == 1
    assert [m for m in mine if m[2] != "claim"] == [repeats("inception_17x17", 4, n17, "inception_b blocks", printed=5)]


def test_googlenet_with_a_module_written_twice():
    # Table 1's rows are single modules: inception (4b) twice in a row is a run of 2 where the paper has 1.
    # Its cells then measure both copies: params 2 · 448,512 = 897,024 = 876.00K (K = 1024), depth 2 + 2.
    code, mine, known, _ = check("specs/googlenet.yaml", "tests/subjects/googlenet_notebook.py:NotebookGoogLeNet",
                                 "--model-arg", "repeat=4b:2")
    assert code == 1
    [(status, row, field, message)] = mine
    assert (status, row, field) == ("mismatch", "inception_4b", "repeats")
    assert message.startswith("inception_4b: 2 inception blocks where the paper has 1; so the table's cells differ: "
                              "depth 2 → 4 (+100.0%)")
    assert "params 437K → 876.00K (+100.5%)" in message
