"""Golden files for the three renderings of the GoogLeNet report (pytest --update-golden rewrites them)."""
from __future__ import annotations

import pytest

from .conftest import GOLDEN, check_golden


@pytest.mark.parametrize("fmt,suffix", [("markdown", "md"), ("json", "json"), ("text", "txt")])
def test_golden_reports(cli, fmt, suffix, update_golden):
    code, out, err = cli("verify", "specs/googlenet.yaml", "--format", fmt)
    assert code == 0 and err == ""
    check_golden(GOLDEN / f"googlenet.{suffix}", out, update_golden)


def test_output_is_deterministic_and_written_to_file(cli, tmp_path):
    target = tmp_path / "report.md"
    code, out, _ = cli("verify", "specs/googlenet.yaml", "--output", str(target))
    assert code == 0 and out == ""
    first = target.read_bytes()
    cli("verify", "specs/googlenet.yaml", "--output", str(target))
    assert target.read_bytes() == first
    assert first == (GOLDEN / "googlenet.md").read_bytes()
