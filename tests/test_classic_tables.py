"""The constructs VGG's, ResNet's, MobileNet's and DenseNet's tables need (issue 15), each on a fixture
in tests/fixtures/ whose header comment has the hand arithmetic of its counts:

- residual_sum.yaml: merge: sum with an identity or a strided 1×1 projection as a branch, repeat counts,
  `block` cells ("[3×3, 16<br>3×3, 16] ×1"), H×W output sizes, columns limited to their builds;
- separable.yaml: `type_stride` ("Conv dw / s2") and `filter_shape` ("3 × 3 × 32 dw") cells, a printed
  "2×" row standing for interleaved built rows, a width multiplier and the input resolution, a cell
  limited to its builds, depth claims with and without depthwise convs;
- layer_columns.yaml: `layer` cells ("conv3-64", "FC-4096"), one column per configuration, a row limited
  to its builds;
- dense_block.yaml: a concat with an identity branch repeated, `block` cells without filter counts.
"""
from __future__ import annotations

import json

import pytest

from archcheck import verify
from archcheck.spec import load_spec, load_spec_text

from .conftest import FIXTURES

RESIDUAL = str(FIXTURES / "residual_sum.yaml")
SEPARABLE = str(FIXTURES / "separable.yaml")
LAYERS = str(FIXTURES / "layer_columns.yaml")
DENSE = str(FIXTURES / "dense_block.yaml")


def statuses(report, row):
    return {c.column: c.status for c in next(r for r in report.rows if r.name == row).cells}


def edited(path: str, old: str, new: str, **kw):
    text = open(path, encoding="utf-8").read()
    assert text.count(old) == 1, old
    return load_spec_text(text.replace(old, new), path, **kw)


# -- residual_sum.yaml ------------------------------------------------------------------------------------

def test_residual_columns_each_judge_their_own_build():
    report = verify(load_spec(RESIDUAL))
    t = report.totals
    assert (t.weights, t.macs, t.depth) == (38_128, 3_387_712, 8)      # the header's 8-layer sums
    assert t.params == 38_128 + 16 * 2 + 2 * 16 * 2 + 3 * 32 * 2 + 2 * 32 * 2 + 10   # BN: 2 per channel; fc bias
    assert report.verdict == "pass" and not report.findings
    assert statuses(report, "conv3_x") == {"layer name": "", "output size": "ok", "8-layer": "ok", "10-layer": "n/a"}
    assert report.notes == ["4 printed cells not compared: they describe other builds (a column, row or cell "
                            "with applies_to; in JSON, not_for_this_build)."]
    report = verify(load_spec(RESIDUAL, variant="ten"))
    assert (report.totals.weights, report.totals.macs, report.totals.depth) == (56_560, 4_567_360, 10)
    assert statuses(report, "conv3_x") == {"layer name": "", "output size": "ok", "8-layer": "n/a", "10-layer": "ok"}
    assert report.verdict == "pass"
    assert {c.id: c.status for c in report.claims} == {"flops-8": "n/a", "flops-10": "ok", "depth-8": "n/a",
                                                       "depth-10": "ok"}


def test_cells_of_other_builds_are_marked_in_markdown():
    from archcheck.render import render

    md = render(verify(load_spec(RESIDUAL)), "markdown")
    assert "A cell marked (other build) describes another build of the table and is not judged." in md
    conv3 = next(line for line in md.splitlines() if line.startswith("| conv3_x "))
    assert conv3.count("(other build)") == 1                 # the 10-layer column's cell
    assert "(other build)" not in render(verify(load_spec("googlenet")), "markdown")


def test_a_block_cell_names_the_unit_that_differs():
    report = verify(load_spec(RESIDUAL, variant="ten", sets=["conv3_rest.mid=24"]))
    cell = [f for f in report.findings if f.field == "10-layer"]
    assert [f.message for f in cell] == [
        "conv3_x, 10-layer: printed [3×3, 32<br>3×3, 32] ×3, measured [3×3, 24<br>3×3, 32] ×3 "
        "(in conv3_rest.0, unit 2 of 3)"]
    # the repetitions are units too: the second one alone
    report = verify(edited(RESIDUAL, "args: {width: 32}, repeat: blocks3 - 1}",
                           "args: {width: 32}, repeat: blocks3 - 1}\n"
                           "  - {name: conv3_odd, paper_row: conv3_x, template: basic, args: {width: 32, mid: 8}}",
                           sets=["blocks3=2"]))
    assert "(in conv3_odd, unit 3 of 3)" in report.findings[0].message


def test_a_block_cell_compares_its_repeat_count():
    report = verify(load_spec(RESIDUAL, sets=["blocks3=3"]))        # 8-layer column, a 10-layer build
    messages = [f.message for f in report.findings if f.field == "8-layer"]
    assert messages == ["conv3_x, 8-layer: printed [3×3, 32<br>3×3, 32] ×2, measured [3×3, 32, stride 2<br>3×3, 32] "
                        "×3 (+50.0%) (3 units built, the paper prints 2)"]


def test_a_projection_shortcut_counts_as_a_branch_not_as_a_layer_of_the_block():
    report = verify(load_spec(RESIDUAL))
    m = next(r.measure for r in report.rows if r.name == "conv3_x")
    first = m.members()[0]
    assert first.name == "conv3_1"
    assert first.weights == 4_608 + 9_216 + 512                      # main path and projection
    assert [(p.kernel, p.out_channels) for p in first.path] == [((3, 3), 32), ((3, 3), 32)]   # main path only


# -- separable.yaml ---------------------------------------------------------------------------------------

def test_separable_fixture_and_depth_claims_with_and_without_depthwise_convs():
    report = verify(load_spec(SEPARABLE))
    t = report.totals
    assert (t.weights, t.macs) == (2_192, 353_600)                    # the header's sums
    assert (t.depth, t.depth_with_depthwise) == (6, 10)              # 1 + 4 + 1; and + 4 depthwise
    claims = {c.id: (c.quantity, c.measured, c.status) for c in report.claims}
    assert claims["layers"] == ("depth (depthwise convs counted)", "10", "ok")
    assert claims["weight-layers"] == ("depth", "6", "ok")
    assert report.verdict == "pass" and not report.findings


def test_a_width_variant_is_not_judged_against_the_full_width_cells():
    report = verify(load_spec(SEPARABLE, sets=["alpha=0.5"]))
    assert statuses(report, "pw1") == {"Type / Stride": "ok", "Filter Shape": "n/a", "Input Size": "n/a"}
    assert report.totals.macs == 127_648                               # the header's alpha 0.5 sum
    assert {c.id: c.status for c in report.claims}["mult-adds-0.5"] == "ok"
    assert report.verdict == "pass"


def test_a_cell_limited_to_its_resolution():
    report = verify(load_spec(SEPARABLE, sets=["res=24"]))
    # the pool is 6×6 at 24×24 input: its "Pool 8 × 8" cell is limited to res 32, the column to alpha 1
    assert statuses(report, "pool") == {"Type / Stride": "ok", "Filter Shape": "n/a", "Input Size": "n/a"}
    assert statuses(report, "pw1")["Filter Shape"] == "ok"
    assert report.verdict == "pass"


def test_a_printed_row_for_interleaved_built_rows_compares_every_unit():
    report = verify(edited(SEPARABLE, "{name: dw2b, paper_row: dw2, template: dw}",
                           "{name: dw2b, paper_row: dw2, template: dw, args: {stride: 2}}"))
    by_cell = {(f.row, f.field): f.message for f in report.findings}
    assert by_cell[("dw2", "Type / Stride")] == ("dw2, Type / Stride: printed 2× Conv dw / s1, measured 2× Conv dw / "
                                                 "s2 (in dw2b, unit 2 of 2)")
    assert ("dw2", "Input Size") not in by_cell                      # its first unit's input is unchanged
    assert by_cell[("dw3", "Input Size")] == "dw3, Input Size: printed 16 × 16 × 16, measured 8×8×16"


def test_a_full_conv_where_the_paper_prints_a_depthwise_one():
    report = verify(edited(SEPARABLE, "{name: dw1, paper: [Conv dw / s1, 3 × 3 × 8 dw, 16 × 16 × 8], template: dw}",
                           "{name: dw1, paper: [Conv dw / s1, 3 × 3 × 8 dw, 16 × 16 × 8], "
                           "layers: [{conv: {out: 8, kernel: 3, padding: 1}}]}"))
    by_cell = {(f.row, f.field): f.message for f in report.findings}
    assert by_cell[("dw1", "Type / Stride")] == "dw1, Type / Stride: printed Conv dw / s1, measured Conv / s1"
    assert by_cell[("dw1", "Filter Shape")] == ("dw1, Filter Shape: printed 3 × 3 × 8 dw, measured "
                                                "3 × 3 × 8 × 8")


# -- layer_columns.yaml -----------------------------------------------------------------------------------

def test_one_column_per_configuration():
    a = verify(load_spec(LAYERS))
    assert (a.totals.params, a.totals.weights, a.totals.depth) == (850, 812, 4)
    assert statuses(a, "conv2") == {"A": "ok", "B": "n/a"}
    assert a.verdict == "pass"
    b = verify(load_spec(LAYERS, variant="B"))
    assert (b.totals.params, b.totals.weights, b.totals.depth) == (1_254, 1_212, 5)
    assert statuses(b, "conv2") == {"A": "n/a", "B": "ok"}
    assert statuses(b, "conv1b") == {"A": "", "B": "ok"}
    assert b.verdict == "pass"


def test_a_layer_cell_compares_kernel_and_filters():
    report = verify(edited(LAYERS, "{conv: {out: 8, kernel: 3, padding: 1}, when: {config: B}}",
                           "{conv: {out: 16, kernel: 1}, when: {config: B}}", variant="B"))
    messages = [f.message for f in report.findings if f.row == "conv2"]
    assert messages == ["conv2, B: printed conv3-8, measured conv1-16"]


def test_a_row_limited_to_its_builds(cli, tmp_path):
    code, out, err = cli("verify", LAYERS, "--set", "num_classes=5", "--format", "json")
    rows = {r["name"]: r for r in json.loads(out)["rows"]}
    assert rows["fc2"]["not_for_this_build"] == ["A", "B"]     # FC-10 describes the 10-class builds
    assert rows["fc1"]["not_for_this_build"] == ["B"]          # column B describes configuration B
    assert code == 1                                            # the parameter claim is for 10 classes


# -- dense_block.yaml -------------------------------------------------------------------------------------

def test_dense_block_fixture():
    report = verify(load_spec(DENSE))
    t = report.totals
    assert t.weights == 216 + 2_304 + 200 + 50                       # the header's sums: 2,770
    assert t.macs == (216 + 2_304 + 200) * 16 * 16 + 50             # every conv on the 16×16 grid
    dense = next(r.measure for r in report.rows if r.name == "dense1")
    assert dense.output == (20, 16, 16) and dense.modules == 3
    assert [[(p.kind, p.kernel) for p in u.path] for u in dense.members()] == [[("conv", (1, 1)), ("conv", (3, 3))]] * 3
    assert report.verdict == "pass" and not report.findings
    report = verify(load_spec(DENSE, sets=["blocks1=4"]))
    assert [f.message for f in report.findings] == [
        "dense1, DenseNet-tiny: printed [1 × 1 conv<br>3 × 3 conv] × 3, measured [1×1, 16<br>3×3, 4] ×4 (+33.3%) "
        "(4 units built, the paper prints 3)"]


@pytest.mark.parametrize("path", [RESIDUAL, SEPARABLE, LAYERS, DENSE])
def test_the_fixtures_verify_from_the_command_line(path, cli):
    code, out, err = cli("verify", path)
    assert (code, err) == (0, "")


@pytest.mark.parametrize("variant, blocks3, verdict", [(None, 2, "pass"), ("ten", 3, "pass"), ("ten", 5, "fail")])
def test_someone_elses_resnet_is_cut_into_its_repetitions(variant, blocks3, verdict):
    # Alignment finds a repeated row's region in the model's dataflow as one span; it is cut into its
    # repetitions at the block outputs, so "[3×3, 32<br>3×3, 32] ×3" compares block by block.
    from archcheck.subject import verify_model
    report = verify_model(load_spec(RESIDUAL, variant=variant), "tests/subjects/resnet_tiny.py:Net",
                          {"blocks3": blocks3})
    assert report.verdict == verdict
    if verdict == "pass":
        rest = next(r.measure for r in report.rows if r.name == "conv3_x").members()
        assert [u.name for u in rest] == ["conv3_1"] + [f"conv3_rest.{i}" for i in range(blocks3 - 1)]
        assert all(u.weights == 18_432 for u in rest[1:])       # 2 * 9*32*32 each (header comment)


def test_a_span_is_cut_where_the_built_repetitions_end_or_not_at_all():
    from archcheck.measure import split_repetitions
    from archcheck.pipeline import trace_spec
    _, trace, spans = trace_spec(load_spec(RESIDUAL, variant="ten"))
    whole = spans["conv3_rest"]                                   # two blocks of two convs each
    cut = split_repetitions(whole, 2)
    assert [[op.index for op in p.ops] for p in cut] == [[op.index for op in p.ops] for p in whole.parts]
    assert [(p.input, p.output) for p in cut] == [(p.input, p.output) for p in whole.parts]
    assert split_repetitions(whole, 3) == []                      # 4 convs do not make 3 equal units
    assert split_repetitions(spans["conv1"], 2) == []             # one conv: nothing to cut
