"""Reports are written atomically: a failure mid-write, or bad input, never loses the previous file (issue 8)."""
from __future__ import annotations

import os

import pytest

from archcheck import fsutil
from archcheck.errors import InputError

from .conftest import FIXTURES

PREVIOUS = "# the previous report\n"


def leftovers(directory) -> list[str]:
    return sorted(p.name for p in directory.iterdir() if p.name.startswith(".archcheck-"))


def test_a_write_replaces_the_file_and_keeps_its_permissions(tmp_path):
    target = tmp_path / "report.md"
    target.write_text(PREVIOUS, encoding="utf-8")
    target.chmod(0o600)
    fsutil.write_atomic(str(target), "new\n")
    assert target.read_text(encoding="utf-8") == "new\n"
    assert target.stat().st_mode & 0o777 == 0o600
    assert leftovers(tmp_path) == []


def test_a_failing_rename_leaves_the_previous_file(tmp_path, monkeypatch):
    target = tmp_path / "report.md"
    target.write_text(PREVIOUS, encoding="utf-8")

    def refuse(src, dst):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(fsutil.os, "replace", refuse)
    with pytest.raises(InputError, match="report.md: cannot write the file: No space left on device"):
        fsutil.write_atomic(str(target), "new\n")
    assert target.read_text(encoding="utf-8") == PREVIOUS
    assert leftovers(tmp_path) == []


def test_a_write_failing_halfway_leaves_the_previous_file(tmp_path):
    # "\ud800" cannot be encoded as UTF-8: the write fails after the first part of the text.
    target = tmp_path / "report.md"
    target.write_text(PREVIOUS, encoding="utf-8")
    with pytest.raises(UnicodeEncodeError):
        fsutil.write_atomic(str(target), "x" * 100_000 + "\ud800")
    assert target.read_text(encoding="utf-8") == PREVIOUS
    assert leftovers(tmp_path) == []


def test_ctrl_c_during_the_write_leaves_the_previous_file(tmp_path, monkeypatch, cli):
    target = tmp_path / "report.md"
    target.write_text(PREVIOUS, encoding="utf-8")

    def interrupted(fd):
        raise KeyboardInterrupt

    monkeypatch.setattr(fsutil.os, "fsync", interrupted)
    code, out, err = cli("verify", str(FIXTURES / "tiny.yaml"), "--output", str(target))
    assert (code, err) == (2, "archcheck: interrupted\n")
    assert target.read_text(encoding="utf-8") == PREVIOUS
    assert leftovers(tmp_path) == []


def test_output_with_bad_input_writes_nothing(tmp_path, cli):
    spec = tmp_path / "spec.yaml"
    spec.write_text((FIXTURES / "tiny.yaml").read_text(encoding="utf-8").replace("out: 8,", "out: -8,"),
                    encoding="utf-8")
    existing, new = tmp_path / "existing.md", tmp_path / "new.md"
    existing.write_text(PREVIOUS, encoding="utf-8")
    for target in (existing, new):
        code, out, err = cli("verify", str(spec), "--output", str(target))
        assert code == 2 and "conv.out: expected a whole number from 1 to 100,000" in err
    assert existing.read_text(encoding="utf-8") == PREVIOUS
    assert not new.exists()
    assert leftovers(tmp_path) == []


@pytest.mark.parametrize("where", ["no_such_dir/report.md", "."])
def test_an_unwritable_output_is_bad_input_not_a_crash(where, tmp_path, monkeypatch, cli):
    monkeypatch.chdir(tmp_path)
    code, out, err = cli("verify", str(FIXTURES / "tiny.yaml"), "--output", where)
    assert code == 2 and out == ""
    assert err.startswith(f"archcheck: error: {where}: cannot write the file: ") and err.count("\n") == 1
    assert leftovers(tmp_path) == [] and os.listdir(tmp_path) == []
