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
# Fixtures of the constructs no bundled spec uses yet (issue 15: sums, repeats, arithmetic, the layer
# notations of VGG's, ResNet's, MobileNet's and DenseNet's tables): fuzzed and cross-checked like specs.
LANGUAGE_FIXTURES = ("arithmetic.yaml", "residual_sum.yaml", "separable.yaml", "layer_columns.yaml",
                     "dense_block.yaml")


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


# -- the whole run leaves the machine and the checkout as it found them ------------------------------------

def _git_status() -> dict | None:
    """Tracked files that differ from HEAD -> (status, hash of their content); None outside a git checkout.

    Hashing the content catches a test that rewrites a file the developer had already modified."""
    import hashlib
    import subprocess

    try:
        done = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no", "-z"], cwd=ROOT,
                              capture_output=True, timeout=60)
    except (OSError, subprocess.SubprocessError):
        return None
    if done.returncode != 0:
        return None
    out = {}
    for entry in done.stdout.decode("utf-8", "replace").split("\0"):
        if len(entry) > 3:
            path = ROOT / entry[3:]
            digest = hashlib.sha256(path.read_bytes()).hexdigest() if path.is_file() else "absent"
            out[entry[3:]] = (entry[:2], digest)
    return out


def pytest_sessionstart(session):
    session.config._archcheck_git_before = _git_status()


def pytest_sessionfinish(session, exitstatus):
    """Fail the run if it replaced /dev/null or changed a tracked file of the checkout.

    Tests write only inside their own temporary directories. A rename over /dev/null (as root) turns it
    into a regular file that every program then writes to; a test that rewrote a tracked file would
    hide its change from review. Goldens are excepted when the run was asked to update them."""
    import stat

    problems = []
    if not stat.S_ISCHR(os.stat("/dev/null").st_mode):
        problems.append("/dev/null is no longer a character device: a test replaced it "
                        "(repair: rm /dev/null && mknod -m 666 /dev/null c 1 3)")
    before = getattr(session.config, "_archcheck_git_before", None)
    after = _git_status() if before is not None else None
    if before is not None and after is not None and after != before:
        updating = session.config.getoption("--update-golden") or os.environ.get("ARCHCHECK_UPDATE_GOLDEN") == "1"
        changed = {path for path in set(before) | set(after) if before.get(path) != after.get(path)}
        if updating:
            changed = {path for path in changed if not path.startswith(("tests/golden/", "tests/ERRORS.md"))}
        if changed:
            problems.append("the test run changed tracked files of the checkout: " + ", ".join(sorted(changed)))
    if problems:
        session.exitstatus = pytest.ExitCode.TESTS_FAILED
        reporter = session.config.pluginmanager.get_plugin("terminalreporter")
        for p in problems:
            if reporter is not None:
                reporter.write_line(f"archcheck test guard: {p}", red=True)
