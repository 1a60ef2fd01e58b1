"""Shared test helpers. Tests never read ../shared; what they need is in tests/fixtures/."""
from __future__ import annotations

import contextlib
import io
import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SPECS = ROOT / "specs"
FIXTURES = Path(__file__).resolve().parent / "fixtures"
GOLDEN = Path(__file__).resolve().parent / "golden"


def pytest_addoption(parser):
    parser.addoption("--update-golden", action="store_true",
                     help="rewrite tests/golden/* from the current output instead of comparing")


@pytest.fixture
def update_golden(request) -> bool:
    return request.config.getoption("--update-golden")


def run_cli(*argv: str) -> tuple[int, str, str]:
    """Run archcheck in-process; return (exit code, stdout, stderr)."""
    from archcheck.cli import main

    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            code = main(list(argv))
        except SystemExit as exc:  # argparse usage errors
            code = exc.code
    return code, out.getvalue(), err.getvalue()


@pytest.fixture
def cli():
    return run_cli


@pytest.fixture(autouse=True)
def _repo_cwd(monkeypatch):
    """Specs are referenced relative to the repo root, as users type them."""
    monkeypatch.chdir(ROOT)


def check_golden(path: Path, text: str, update: bool) -> None:
    if update or os.environ.get("ARCHCHECK_UPDATE_GOLDEN") == "1":
        path.write_text(text, encoding="utf-8")
        return
    assert path.exists(), f"missing golden file {path}; run pytest --update-golden"
    expected = path.read_text(encoding="utf-8")
    assert text == expected, f"{path.name} differs from the output; review and run pytest --update-golden"
