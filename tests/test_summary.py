"""`archcheck summary`: the example README's hand-made model-summary tables, regenerated from the spec.

The expected rows and totals are the example README's own (a copy in tests/fixtures/), not the spec's.
"""
from __future__ import annotations

import pytest

from .conftest import FIXTURES

SPEC = "specs/inception_v2.yaml"
EXAMPLE = FIXTURES / "inception_v2_readme_example.md"


def _section(text: str, start: str, end: str) -> str:
    return text[text.index(start): text.index(end, text.index(start))]


def _table_rows(text: str, width: int) -> list[tuple[str, ...]]:
    """The body rows of the Markdown tables in `text` that have `width` columns (separators skipped)."""
    rows = []
    for line in text.splitlines():
        if not line.startswith("|"):
            continue
        cells = tuple(c.strip() for c in line.strip().strip("|").split("|"))
        if len(cells) == width and not all(set(c) <= set(":- ") for c in cells):
            rows.append(cells)
    return rows


def _layers(text: str) -> list[tuple[str, ...]]:
    """Numbered layer rows: the header line and the bold block headers excluded."""
    return [r for r in _table_rows(text, 3) if r[0] != "Layer (type)" and not r[0].startswith("**")]


def _totals(text: str) -> dict[str, str]:
    return {k: v for k, v in _table_rows(text, 2) if k}


EXPECTED = {
    # num_classes: (section of the example README, total params, params excluding the aux heads)
    10: ("## MNIST", "### Results", "14,635,166", "10,266,250"),
    100: ("## CIFAR 100", "## References", "14,911,916", "10,358,500"),
}


@pytest.mark.parametrize("classes", [10, 100])
def test_example_variant_reproduces_the_readme_tables(cli, classes):
    start, end, total, without_aux = EXPECTED[classes]
    expected = _section(EXAMPLE.read_text(encoding="utf-8"), start, end)
    code, out, err = cli("summary", SPEC, "--variant", "example", "--set", f"num_classes={classes}")
    assert code == 0, err
    ours, theirs = _layers(out), _layers(expected)
    assert len(theirs) == 249
    # the stem's 3×3 conv has no 1×1 reduce in front: 64·9·192 = 110,592; the heads: 1024·classes + classes
    assert ("2D convolution", "[-1, 192, 56, 56]", "110,592") in theirs
    assert theirs[-1] == ("Linear", f"[-1, {classes}]", f"{1024 * classes + classes:,}")
    for i, (a, b) in enumerate(zip(ours, theirs)):
        assert a == b, f"row {i + 1}: {a} != {b}"
    assert len(ours) == len(theirs)
    totals = _totals(out)
    theirs = {"Total params": total, "Trainable params": total,
              "Total params excluding auxiliary params": without_aux, "Non-trainable params": "0"}
    assert _totals(expected) == theirs
    # the README's four totals, in its order, then archcheck's own: the aux heads' params and the MACs
    assert list(totals.items())[:4] == list(theirs.items())
    aux = int(total.replace(",", "")) - int(without_aux.replace(",", ""))
    assert totals["Auxiliary-head params"] == f"{aux:,}"
    assert list(totals)[4:] == ["Auxiliary-head params", "MACs per image (multiply-adds, main path)",
                                "MACs per image with auxiliary heads"]


def test_aux_head_arithmetic_matches_the_readme_totals():
    # Each aux head: 1×1 conv 128 (no bias) + BN 2·128 + fc 2048->1024 (+b) + fc 1024->10 (+b); input 576 at
    # 4a and 608 at 4d. The README's totals differ by exactly the two heads.
    aux1 = 576 * 128 + 2 * 128 + (2048 * 1024 + 1024) + (1024 * 10 + 10)
    aux2 = 608 * 128 + 2 * 128 + (2048 * 1024 + 1024) + (1024 * 10 + 10)
    assert 14_635_166 - 10_266_250 == aux1 + aux2


def test_block_headers_name_the_template_modules_and_aux_heads(cli):
    code, out, _ = cli("summary", SPEC, "--variant", "example", "--set", "num_classes=10")
    assert code == 0
    headers = [r[0] for r in _table_rows(out, 3) if r[0].startswith("**")]
    assert headers == [f"**{n}**" for n in ("inception_3a", "inception_3b", "inception_3c", "inception_4a", "aux_1",
                                             "inception_4b", "inception_4c", "inception_4d", "aux_2", "inception_4e",
                                             "inception_5a", "inception_5b")]
    # a header sits right before the first layer of its block, and each block ends with its 0-parameter row
    lines = [r for r in _table_rows(out, 3) if r[0] != "Layer (type)"]
    first = lines.index(("**inception_3a**", "---", "---"))
    assert lines[first + 1] == ("2D convolution", "[-1, 64, 28, 28]", "12,288")   # 192·64, the #3×3 reduce
    assert lines[first - 1] == ("2D max pool", "[-1, 192, 28, 28]", "0")


def test_default_build_summary_is_deterministic(cli, tmp_path):
    path = tmp_path / "summary.md"
    code, out, _ = cli("summary", SPEC)
    assert code == 0
    assert cli("summary", SPEC, "--output", str(path))[0] == 0
    assert path.read_text(encoding="utf-8") == out
    rows = _layers(out)
    # separable first conv: depthwise 3 -> 24 (7·7·1·24 = 1,176), pointwise 24 -> 64 (1,536), no aux heads
    assert rows[:2] == [("2D convolution", "[-1, 24, 112, 112]", "1,176"),
                        ("2D convolution", "[-1, 64, 112, 112]", "1,536")]
    assert not any("**aux" in r[0] for r in _table_rows(out, 3))
    totals = _totals(out)
    # one output, no aux heads: no line about them
    assert "Total params excluding auxiliary params" not in totals and "Auxiliary-head params" not in totals
    assert list(totals)[-1] == "MACs per image (multiply-adds)"


def test_paper_style_puts_the_printed_cells_beside_the_measurements(cli):
    code, out, err = cli("summary", SPEC, "--style", "paper")
    assert code == 0, err
    rows = {r[0]: r for r in _table_rows(out, 15)}
    header = rows["row"]
    assert header[1:4] == ("type", "patch size/stride", "output size")
    assert header[-4:] == ("measured output (H×W×C)", "weights", "params", "MACs")
    # 4c: printed 14×14×576, its filter counts give 160+160+160+128 = 608 (a known erratum, †)
    assert rows["inception_4c"][3] == "14×14×576 → 14×14×608 †"
    assert rows["inception_4c"][-4] == "14×14×608"
    # 3a: 192·64 + (192·64 + 9·64·64) + (192·64 + 9·64·96 + 9·96·96) + 192·32 = 218,112 weights; ×28·28 MACs
    assert rows["inception_3a"][-3] == "218,112" and rows["inception_3a"][-1] == f"{218_112 * 28 * 28:,}"
    assert "fc (not in the table)" in rows


def test_bad_style_and_unknown_variant_are_usage_errors(cli):
    code, _, err = cli("summary", SPEC, "--style", "keras")
    assert code == 2 and "invalid choice" in err
    code, _, err = cli("summary", SPEC, "--variant", "nope")
    assert code == 2 and "unknown variant 'nope'" in err and "example" in err
    code, out, err = cli("summary", "specs/missing.yaml")
    assert (code, out) == (2, "") and err == "archcheck: error: specs/missing.yaml: no such file\n"


def test_spec_summary_as_json_at_depth_one(cli):
    import json

    code, out, err = cli("summary", "specs/googlenet.yaml", "--format", "json", "--max-depth", "1")
    assert code == 0, err
    data = json.loads(out)
    code, verified, _ = cli("verify", "specs/googlenet.yaml", "--format", "json")
    t, v = data["totals"], json.loads(verified)["totals"]
    assert (t["params"], t["macs"], t["macs_with_aux"]) == (v["params"], v["macs"], v["macs_with_aux"])
    assert t["aux_params"] == v["params"] - v["params_without_aux"] and t["non_trainable_params"] == 0
    # depth 1: one row per built spec row, in the order they run (aux heads where they run)
    names = [r["name"] for r in data["rows"]]
    assert names[:3] == ["conv1", "pool1", "norm1"] and names[names.index("inception_4a") + 1] == "aux1"
    assert names[-3:] == ["avgpool", "dropout", "fc"]
    row = data["rows"][names.index("inception_3a")]
    # 1×1 64, 3×3 reduce 96 → 128, 5×5 reduce 16 → 32, pool proj 32, each conv with its biases, from 192
    weights = 192 * 64 + 192 * 96 + 9 * 96 * 128 + 192 * 16 + 25 * 16 * 32 + 192 * 32
    assert (row["type"], row["params"]) == ("InceptionBlock", weights + 64 + 96 + 128 + 16 + 32 + 32)
    assert row["macs"] == weights * 28 * 28 and row["output_shape"] == [-1, 256, 28, 28]
    # every parameter and multiply-add of the build sits in exactly one row
    assert sum(r["params"] for r in data["rows"]) == t["params"]
    assert sum(r["macs"] for r in data["rows"]) == t["macs_with_aux"]


def test_spec_summary_columns_and_text(cli):
    code, out, err = cli("summary", "specs/googlenet.yaml", "--format", "text", "--columns", "kernel_size,mult_adds")
    assert code == 0, err
    lines = out.splitlines()
    assert lines[2].split() == ["Layer", "(type)", "Kernel", "Shape", "Mult-Adds"]
    # conv1 7×7/2 from 3 to 64 channels at 112×112: 7·7·3·64·112·112 multiply-adds
    first = next(line for line in lines if line.startswith("2D convolution"))
    assert first.split()[2:] == ["[7,", "7]", f"{7 * 7 * 3 * 64 * 112 * 112:,}"]
    assert "-- inception_3a --" in lines
