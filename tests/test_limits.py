"""Channel counts up to archcheck's limit (MAX_CHANNELS = 100,000) build and verify on the meta device;
above it they are refused with a message, never attempted (issue 8)."""
from __future__ import annotations

import json

import yaml

from archcheck.spec.limits import MAX_CHANNELS

from .conftest import SPECS

TINY = "tests/fixtures/tiny.yaml"   # relative to the repository, the tests' working directory


def measured(report: dict, row: str) -> dict:
    return next(r["measured"] for r in report["rows"] if r["name"] == row)


def test_the_limit_is_100000():
    assert MAX_CHANNELS == 100_000


def test_a_block_of_exactly_100000_channels_builds_and_verifies(cli):
    # mixed_1 concatenates n1x1 + n3x3 = 99,984 + 16 = 100,000 channels.
    code, out, err = cli("verify", TINY, "--format", "json", "--set", "mixed_1.n1x1=99984",
                         "--set", "num_classes=100000")
    assert (code, err) == (1, "")       # measured, and unlike the printed cells
    report = json.loads(out)
    assert measured(report, "mixed_1")["output"] == [100_000, 16, 16]
    assert measured(report, "mixed_1")["weights"] == 8 * 99_984 + 8 * 16 * 9        # 801,024
    assert measured(report, "fc")["output"] == [100_000]
    assert measured(report, "fc")["weights"] == 100_000 * 100_000      # pooled 100,000 features to 100,000 classes
    assert report["totals"]["macs"] == 216 * 16 * 16 + 801_024 * 16 * 16 + 100_000 * 100_000   # conv1, mixed_1, fc


def test_one_channel_above_the_limit_is_refused_with_its_line(cli):
    code, out, err = cli("verify", TINY, "--set", "mixed_1.n1x1=99985")
    assert code == 2 and out == ""
    assert err == ("archcheck: error: tests/fixtures/tiny.yaml:33:5: rows (mixed_1): concat of template 'mixed': "
                   "expected at most 100,000 channels (archcheck's limit), found an output of 100001×16×16\n")


def widened(text: str, factor: int) -> str:
    """The spec with every literal layer width and every row argument multiplied by `factor`."""
    tree = yaml.safe_load(text)

    def widen_layers(layers):
        for layer in layers or []:
            for kind, args in layer.items():
                if isinstance(args, dict) and isinstance(args.get("out"), int):
                    args["out"] *= factor

    for template in tree["templates"].values():
        widen_layers(template.get("layers"))
        for branch in template.get("branches") or []:
            widen_layers(branch["layers"])
    for row in tree["rows"]:
        widen_layers(row.get("layers"))
        for key, value in (row.get("args") or {}).items():
            if isinstance(value, int) and not isinstance(value, bool):
                row["args"][key] = value * factor
    return yaml.safe_dump(tree, allow_unicode=True, sort_keys=False)


def test_the_width_32_googlenet_builds_and_verifies(tmp_path, cli):
    spec = tmp_path / "googlenet_x32.yaml"
    spec.write_text(widened((SPECS / "googlenet.yaml").read_text(encoding="utf-8"), 32), encoding="utf-8")
    code, out, err = cli("verify", str(spec), "--format", "json")
    assert (code, err) == (1, "")       # it runs to a verdict; the printed cells are for width 1
    report = json.loads(out)
    # inception (5b): 384 + 384 + 128 + 128 = 1,024 channels at width 1; its 1×1 branch alone has 384·32.
    assert measured(report, "inception_5b")["output"] == [1024 * 32, 7, 7]
    assert 384 * 32 == 12_288
    assert measured(report, "fc")["weights"] == 1024 * 32 * 1000
