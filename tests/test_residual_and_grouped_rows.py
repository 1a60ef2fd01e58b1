"""Core features the Inception-v3/v4/ResNet specs rely on: residual blocks, templates used inside
branches, printed rows made of several built rows, absent rows, errata about the text, and the cell
forms of those papers' figures ("3×3 Conv (32 V)", "Dropout (keep 0.8)", "1536").

Every spec here is a few lines written for the test; expected numbers are hand arithmetic.
"""
from __future__ import annotations

import json

import pytest
import torch

from archcheck import build_model, verify
from archcheck.errors import SpecError
from archcheck.spec import load_spec_text
from archcheck.spec.cells import parse_label, parse_shape

HEAD = """\
archcheck: 1
name: t
paper: {title: t}
columns:
  - {name: type, kind: label}
  - {name: input size, kind: input_size}
  - {name: output size, kind: output_size}
  - {name: lin, kind: filters, tag: lin}
input: [8, 9, 9]
options: {batch_norm: false, conv_bias: true, release: false}
"""

RESIDUAL = HEAD + """\
templates:
  res:
    merge: residual
    scale: 0.5
    activation: ACT
    expansion: {conv: {out: in_channels, kernel: 1, act: none}, tag: lin}
    branches:
      - name: a
        layers: [{conv: {out: 4, kernel: 1}}]
      - name: b
        layers: [{conv: {out: 2, kernel: 1}}, {conv: {out: 4, kernel: 3, padding: same}}]
rows:
  - name: r
    paper: [res, 9×9×8, 9×9×8, "8"]
    template: res
"""


def _spec(text: str):
    return load_spec_text(text, "t.yaml")


@pytest.mark.parametrize("act", ["relu", "none"])
def test_residual_block_computes_shortcut_plus_scaled_linear_expansion(act):
    torch.manual_seed(0)
    model = build_model(_spec(RESIDUAL.replace("ACT", act))).eval()
    x = torch.randn(2, 8, 9, 9)
    block = model.r
    a = torch.relu(block.branches.branch_a[0].conv(x))
    b = torch.relu(block.branches.branch_b[1].conv(torch.relu(block.branches.branch_b[0].conv(x))))
    y = x + 0.5 * block.expansion[0].conv(torch.cat([a, b], 1))   # linear expansion: no ReLU of its own
    expected = torch.relu(y) if act == "relu" else y
    assert torch.allclose(model(x), expected, atol=1e-6)


def test_residual_block_counts_and_expansion_tag():
    report = verify(_spec(RESIDUAL.replace("ACT", "relu")))
    m = next(r.measure for r in report.rows if r.name == "r")
    # branches: 8*4 (1x1) + 8*2 (1x1) + 9*2*4 (3x3); expansion 1x1 from 4+4 back to the shortcut's 8
    weights = 8 * 4 + 8 * 2 + 9 * 2 * 4 + 8 * 8
    assert m.weights == weights == 184
    assert m.params == weights + (4 + 2 + 4 + 8) == 202          # one bias per conv output channel
    assert m.macs == weights * 9 * 9
    assert m.filters["lin"] == 8
    assert m.depth == 3                                          # 1x1 -> 3x3 -> expansion
    assert report.verdict == "pass"


def test_residual_expansion_that_cannot_be_added_is_a_spec_error():
    text = RESIDUAL.replace("ACT", "relu").replace("out: in_channels, kernel: 1", "out: 6, kernel: 1")
    with pytest.raises(SpecError) as exc:
        build_model(_spec(text), device="meta")
    assert "the residual sum needs the expansion's output 6×9×9 to equal the shortcut's 8×9×9" in str(exc.value)


def test_residual_expansion_problems_name_their_line(cli, tmp_path):
    # The short form `expansion: {out: ...}` lacking its kernel used to crash (exit 3).
    text = RESIDUAL.replace("ACT", "relu").replace(
        "expansion: {conv: {out: in_channels, kernel: 1, act: none}, tag: lin}", "expansion: {out: in_channels}")
    path = tmp_path / "t.yaml"
    path.write_text(text, encoding="utf-8")
    code, out, err = cli("verify", str(path))
    assert code == 2
    assert err.strip() == (f"archcheck: error: {path}:16:16: templates.res.expansion.conv.kernel: "
                           "missing required argument")


USE = HEAD + """\
templates:
  split:
    params: {n: 3}
    merge: concat
    branches:
      - name: a
        layers: [{conv: {out: n, kernel: [1, 3], padding: same}}]
      - name: b
        layers: [{conv: {out: n, kernel: [3, 1], padding: same}}]
  outer:
    params: {n: 5}
    merge: concat
    branches:
      - name: x
        layers: [{conv: {out: n, kernel: 1}}, {use: {template: split}}]
rows:
  - name: o
    template: outer
"""


def test_a_template_used_inside_a_branch_keeps_its_own_defaults():
    # outer: 1x1 to n=5, then split with ITS default n=3 (not the caller's n=5): 3 + 3 channels out
    report = verify(_spec(USE))
    m = next(r.measure for r in report.rows if r.name == "o")
    assert m.output == (6, 9, 9)
    assert m.weights == 8 * 5 + 2 * (3 * 5 * 3)


GROUPED = HEAD + """\
templates:
  c:
    params: [n]
    merge: sequence
    layers: [{conv: {out: n, kernel: 3, padding: same}}]
rows:
  - name: group
    paper: [2×Block, 9×9×8, 5×5×16, ""]
  - {name: b1, paper_row: group, template: c, args: {n: 8}}
  - {name: b2, paper_row: group, template: c, args: {n: 12}}
  - name: down
    paper_row: group
    transition: true
    layers: [{conv: {out: 16, kernel: 3, stride: 2, padding: same}}]
  - name: single
    paper: [conv, 5×5×16, 5×5×4, ""]
  - {name: only, paper_row: single, layers: [{conv: {out: 4, kernel: 1}}]}
  - name: missing
    paper: [conv 3×3, 5×5×4, 3×3×4, ""]
    absent: the release has no such conv
"""


def test_a_printed_row_is_measured_over_its_built_rows():
    report = verify(_spec(GROUPED))
    rows = {r.name: r for r in report.rows}
    g = rows["group"].measure
    assert g.input == (8, 9, 9) and g.output == (16, 5, 5)     # input of b1, output of the transition
    assert g.modules == 2                                      # the transition is not one of the "2×"
    assert g.weights == 9 * 8 * 8 + 9 * 8 * 12 + 9 * 12 * 16
    assert g.depth == 3
    assert {c.column: c.status for c in rows["group"].cells} == {
        "type": "ok", "input size": "ok", "output size": "ok", "lin": ""}


def test_a_printed_row_with_one_built_row_names_it(cli, tmp_path):
    path = tmp_path / "g.yaml"
    path.write_text(GROUPED, encoding="utf-8")
    code, out, _ = cli("verify", str(path), "--format", "json")
    data = {r["name"]: r for r in json.loads(out)["rows"]}
    assert data["single"]["measured"]["built_rows"] == ["only"]
    assert data["group"]["measured"]["built_rows"] == ["b1", "b2", "down"]


def test_an_absent_row_is_one_finding_for_the_whole_row():
    report = verify(_spec(GROUPED))
    absent = [f for f in report.findings if f.row == "missing"]
    assert [(f.field, f.status, f.paper, f.measured) for f in absent] == [
        ("rows", "mismatch", "conv 3×3 5×5×4 3×3×4", "not built")]
    assert "absent from this build: the release has no such conv" in absent[0].message


ABSENT_ERRATUM = """\
errata:
  - id: no-conv
    row: missing
    field: rows
    printed: conv 3×3
    expected: not built
    arithmetic: "(5 - 3)/1 + 1 = 3"
    explanation: The release has no such conv.
    source: test
"""


def test_an_absent_row_with_an_erratum_is_known_and_the_erratum_goes_stale_when_built():
    report = verify(_spec(GROUPED + ABSENT_ERRATUM))
    assert report.verdict == "pass"
    assert [(f.row, f.status) for f in report.findings] == [("missing", "known")]
    built = GROUPED.replace("    absent: the release has no such conv\n",
                            "    layers: [{conv: {out: 4, kernel: 3}}]\n")
    report = verify(_spec(built + ABSENT_ERRATUM))
    assert report.verdict == "fail"
    assert [(f.erratum, f.status) for f in report.findings] == [("no-conv", "mismatch")]
    assert "matched nothing" in report.findings[0].message


def test_an_aux_row_cannot_be_part_of_a_printed_row():
    text = GROUPED.replace("  - {name: b2, paper_row: group, template: c, args: {n: 12}}\n",
                           "  - {name: b2, paper_row: group, aux: true, template: c, args: {n: 12}}\n")
    with pytest.raises(SpecError) as exc:
        _spec(text)
    assert "rows[2] (b2).paper_row: an auxiliary row branches off the network" in str(exc.value)


TEXT_ERRATUM = GROUPED + """\
errata:
  - id: words
    text: "two blocks with 16 filters each"
    where: Section 9
    printed: 16 filters each
    expected: 8 and 12
    arithmetic: "8 + 12 = 20"
    applies_to: not release
    explanation: The blocks have 8 and 12 filters.
    source: test
"""


def test_an_erratum_about_the_text_is_listed_as_known_where_it_applies():
    report = verify(_spec(TEXT_ERRATUM))
    text = [f for f in report.findings if f.erratum == "words"]
    assert [(f.row, f.field, f.status, f.paper) for f in text] == [("Section 9", "text", "known", "16 filters each")]
    assert 'text (Section 9): "two blocks with 16 filters each"' in text[0].message
    report = verify(load_spec_text(TEXT_ERRATUM, "t.yaml", sets=["release=true"]))
    assert not [f for f in report.findings if f.erratum == "words"]


@pytest.mark.parametrize("edit, message", [
    ("    where: Section 9\n", "errata[0]: expected exactly one of row (with field), claim, or text"),
    ("    printed: 16 filters each\n", "errata[0].printed: missing required field"),
])
def test_a_text_erratum_needs_its_text_alone_and_what_it_prints(edit, message):
    text = TEXT_ERRATUM.replace(edit, "    row: group\n    field: type\n" if "where" in edit else "")
    with pytest.raises(SpecError) as exc:
        _spec(text)
    assert message in str(exc.value)


def test_figure_cells():
    # a kernel in a box label is not a repeat count; "N x Module" is
    assert parse_label("3×3 Conv (32 stride 2 V)").repeat is None
    assert parse_label("3 × 3 conv").repeat is None
    assert parse_label("4 x Inception-A").repeat == 4
    assert parse_label("3×Inception").repeat == 3
    # "keep 0.8" keeps 80%: a dropout rate of 20%
    assert parse_label("Dropout (keep 0.8)").rate == pytest.approx(0.2)
    assert parse_label("dropout (40%)").rate == pytest.approx(0.4)
    # a bare feature count after the pooling is a 1×1×C size
    shape = parse_shape("1536")
    assert (shape.height, shape.width, shape.channels) == (1, 1, 1536)


LATER = HEAD + """\
templates:
  c:
    params: [n]
    merge: sequence
    layers: [{conv: {out: n, kernel: 1}, tag: lin}, {conv: {out: 8, kernel: 1}}]
rows:
  - name: group
    paper: [3×Block, 9×9×8, 9×9×8, "4"]
  - {name: b1, paper_row: group, template: c, args: {n: 4}}
  - {name: b2, paper_row: group, template: c, args: {n: 4}}
  - {name: b3, paper_row: group, template: c, args: {n: 4}}
"""


def test_a_later_member_of_a_printed_row_is_compared_with_its_filter_cell():
    report = verify(_spec(LATER))
    assert report.verdict == "pass"
    g = report.rows[0].measure
    assert g.weights == 3 * (8 * 4 + 4 * 8)           # each member: 1x1 8 -> 4, 1x1 4 -> 8: 192
    # The third member's tagged conv has 6 filters; its output is still 8 channels, so only the filter
    # cell can see it (it compared with the first member only before issue 15).
    report = verify(_spec(LATER.replace("{name: b3, paper_row: group, template: c, args: {n: 4}}",
                                        "{name: b3, paper_row: group, template: c, args: {n: 6}}")))
    assert report.verdict == "fail"
    assert [(f.row, f.field, f.paper, f.measured) for f in report.findings] == [("group", "lin", "4", "6")]
    assert report.findings[0].message == "group, lin: printed 4, measured 6 (+50.0%) (in b3, unit 3 of 3)"


def test_each_repetition_of_a_repeated_member_is_a_unit():
    text = LATER.replace("  - {name: b2, paper_row: group, template: c, args: {n: 4}}\n"
                         "  - {name: b3, paper_row: group, template: c, args: {n: 4}}\n",
                         "  - {name: rest, paper_row: group, template: c, args: {n: 4}, repeat: 2}\n")
    report = verify(_spec(text))
    g = report.rows[0].measure
    assert report.verdict == "pass" and g.modules == 3
    assert [u.name for u in g.members()] == ["b1", "rest.0", "rest.1"]
    report = verify(load_spec_text(text, "t.yaml", sets=["rest.n=5"]))
    assert report.findings[0].message == "group, lin: printed 4, measured 5 (+25.0%) (in rest.0, unit 2 of 3)"


SUM = HEAD + """\
templates:
  basic:
    params: {width: null, stride: 1, project: false}
    merge: sum
    activation: ACT
    branches:
      - name: main
        layers:
          - {conv: {out: width, kernel: 3, stride: stride, padding: 1}}
          - {conv: {out: width, kernel: 3, padding: 1, act: none}}
      - name: shortcut
        when: project
        layers: [{conv: {out: width, kernel: 1, stride: stride, act: none}, tag: lin}]
      - name: shortcut
        when: not project
        layers: []
rows:
  - {name: same, paper: [basic, 9×9×8, 9×9×8, ""], template: basic, args: {width: 8}}
  - name: down
    paper: [basic, 9×9×8, 5×5×16, "16"]
    template: basic
    args: {width: 16, stride: 2, project: true}
"""


@pytest.mark.parametrize("act", ["relu", "none"])
def test_a_sum_adds_its_branches_an_identity_or_a_projection(act):
    torch.manual_seed(0)
    model = build_model(_spec(SUM.replace("ACT", act))).eval()
    x = torch.randn(2, 8, 9, 9)
    same, down = model.same, model.down
    main = same.branch_main[1].conv(torch.relu(same.branch_main[0].conv(x)))
    y = x + main                                          # the identity shortcut is the input itself
    y = torch.relu(y) if act == "relu" else y
    main = down.branch_main[1].conv(torch.relu(down.branch_main[0].conv(y)))
    z = main + down.branch_shortcut[0].conv(y)            # the strided 1x1 projection
    expected = torch.relu(z) if act == "relu" else z
    assert torch.allclose(model(x), expected, atol=1e-5)


def test_a_sum_counts_and_its_shape_rule():
    report = verify(_spec(SUM.replace("ACT", "relu")))
    assert report.verdict == "pass"
    same, down = (r.measure for r in report.rows)
    assert same.weights == 2 * 9 * 8 * 8 == 1_152                 # two 3x3 8 -> 8, the identity has none
    assert down.weights == 9 * 8 * 16 + 9 * 16 * 16 + 8 * 16 == 3_584   # 3x3 s2, 3x3, 1x1 s2 projection
    assert down.macs == 3_584 * 5 * 5                              # every conv ends on the 5x5 grid
    assert down.depth == 2                                         # the longest path: the two 3x3 convs
    assert down.filters["lin"] == 16
    broken = SUM.replace("ACT", "relu").replace("project: true}", "project: false}")
    with pytest.raises(SpecError) as err:
        build_model(_spec(broken), device="meta")
    assert str(err.value) == ("t.yaml:24:9: rows (down) branch shortcut: expected the other branches' output "
                              "16×5×5, found 8×9×9; the branches of a sum must have equal shapes")
