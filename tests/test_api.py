"""The Python API (issue 14): reports that render as the CLI prints them; specs by name or path."""
from __future__ import annotations

import json

import pytest

import archcheck


@pytest.mark.parametrize("fmt", ["text", "markdown", "json"])
def test_report_renders_exactly_what_the_cli_prints(fmt, cli):
    report = archcheck.verify(archcheck.load_spec("googlenet"))
    code, out, err = cli("verify", "googlenet", "--format", fmt)
    assert getattr(report, {"text": "to_text", "markdown": "to_markdown", "json": "to_json"}[fmt])() == out
    assert report.ok is (code == 0) is True


def test_a_failing_report_is_not_ok():
    # 48 filters where Table 1 prints 32 in inception (3a)'s 5×5 branch
    report = archcheck.verify(archcheck.load_spec("googlenet", sets=["inception_3a.n5x5=48"]))
    assert report.ok is False and json.loads(report.to_json())["verdict"] == "fail"
    assert "verdict: FAIL" in report.to_text()
