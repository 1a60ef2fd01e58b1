"""The CLI's one-time costs: `--help` and usage errors answer without importing torch (~1.5 s)."""
from __future__ import annotations

import gc
import json
import subprocess
import sys

import pytest

from .conftest import ROOT

# Runs main() in a fresh interpreter and reports its exit code and whether heavy modules were imported.
PROBE = """
import sys
from archcheck.cli import main
try:
    code = main(sys.argv[1:])
except SystemExit as exc:
    code = exc.code
heavy = sorted(m for m in ("torch", "yaml", "tabulate", "torchinfo", "fvcore", "torch._dynamo", "sympy")
               if m in sys.modules)
print("exit", code, "imported", ",".join(heavy) or "-", file=sys.stderr)
"""


def probe(*argv: str) -> str:
    done = subprocess.run([sys.executable, "-c", PROBE, *argv], cwd=ROOT, capture_output=True, text=True,
                          timeout=120)
    return done.stderr.strip().splitlines()[-1]


@pytest.mark.parametrize("argv, code", [
    (["--help"], 0),
    (["verify", "--help"], 0),
    ([], 2),                                         # no command
    (["verify"], 2),                                 # missing SPEC
    (["verify", "--format", "pdf", "x.yaml"], 2),    # bad choice
    (["frobnicate"], 2),                             # unknown command
])
def test_help_and_usage_errors_do_not_import_torch(argv, code):
    assert probe(*argv) == f"exit {code} imported -"


def test_verify_imports_torch_but_not_the_crosscheck_tools_nor_dynamo(tmp_path):
    # torchinfo and fvcore cost ~0.3 s more; only --crosscheck may import them. torch._dynamo and sympy
    # (~1 s) come with the first TorchDispatchMode or Python-decomposed meta kernel: not on this path.
    assert probe("verify", "specs/googlenet.yaml", "--format", "json", "-o", str(tmp_path / "r.json")) in (
        "exit 0 imported torch,yaml", "exit 1 imported torch,yaml")


def test_main_restores_the_garbage_collector(cli):
    # The CLI pauses cyclic collection for a command (cheaper after `import torch`); callers keep theirs.
    assert gc.isenabled()
    cli("verify", "specs/googlenet.yaml", "--format", "text")
    assert gc.isenabled()
    gc.disable()
    try:
        cli("verify", "specs/googlenet.yaml", "--format", "text")
        assert not gc.isenabled()
    finally:
        gc.enable()


def test_the_program_exits_at_once_with_all_output_written(tmp_path):
    # As a program, archcheck skips interpreter shutdown (os._exit): output must be flushed first.
    run = subprocess.run([sys.executable, "-m", "archcheck", "verify", "specs/googlenet.yaml", "--format", "json"],
                         cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert run.returncode == 0 and json.loads(run.stdout)["verdict"] == "pass"
    out = tmp_path / "report.md"
    run = subprocess.run([sys.executable, "-m", "archcheck", "verify", "specs/googlenet.yaml", "-o", str(out)],
                         cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert run.returncode == 0 and run.stdout == "" and out.read_text(encoding="utf-8").endswith("\n")
    run = subprocess.run([sys.executable, "-m", "archcheck", "verify", "no/such.yaml"], cwd=ROOT,
                         capture_output=True, text=True, timeout=120)
    assert run.returncode == 2 and run.stderr == "archcheck: error: no/such.yaml: no such file\n"
