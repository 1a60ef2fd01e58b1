"""Honest exit codes on standard output (issue 13): failed writes, closed pipes, encodings, model output.

A failed write of the report is exit 2 with one line on stderr, never exit 0 with a cut report; a
reader that goes away (`| head`) keeps the verdict's exit code; a terminal encoding that cannot hold a
character gets an ASCII spelling of it; and a real bug is still exit 3.
"""
from __future__ import annotations

import io
import json
import os
import stat
import subprocess
import sys

import pytest

from archcheck import output

from .conftest import FIXTURES, GOLDEN, ROOT, check_golden

GOOGLENET = "specs/googlenet.yaml"
FAILING = ("--set", "inception_3a.n5x5=48")     # 48 filters where Table 1 prints 32: verify exits 1


def run(*argv, **kwargs):
    """archcheck as a program (its own process, as a user runs it)."""
    env = {**os.environ, **kwargs.pop("env", {})}
    return subprocess.run([sys.executable, "-m", "archcheck", *argv], cwd=ROOT, capture_output=True,
                          env=env, timeout=120, **kwargs)


# -- failed writes ------------------------------------------------------------------------------------------

@pytest.mark.skipif(not hasattr(os, "geteuid") or os.geteuid() != 0, reason="making a device node needs root")
def test_a_full_disk_is_exit_2_not_a_cut_report(tmp_path):
    full = tmp_path / "full"
    os.mknod(full, 0o666 | stat.S_IFCHR, os.makedev(1, 7))   # the "full" device: every write fails with ENOSPC
    with open(full, "w") as sink:
        done = subprocess.run([sys.executable, "-m", "archcheck", "verify", GOOGLENET], cwd=ROOT, stdout=sink,
                              stderr=subprocess.PIPE, timeout=120)
    assert done.returncode == 2
    assert done.stderr == b"archcheck: error: standard output: cannot write the report: No space left on device\n"


def test_a_closed_stdout_is_exit_2():
    done = subprocess.run([sys.executable, "-m", "archcheck", "verify", GOOGLENET], cwd=ROOT, stderr=subprocess.PIPE,
                          preexec_fn=lambda: os.close(1), timeout=120)
    assert done.returncode == 2
    assert done.stderr == b"archcheck: error: standard output: cannot write the report: it is closed\n"


@pytest.mark.parametrize("argv, verdict", [((GOOGLENET,), 0), ((GOOGLENET, *FAILING), 1)])
def test_a_reader_that_goes_away_keeps_the_verdicts_exit_code(argv, verdict):
    child = subprocess.Popen([sys.executable, "-m", "archcheck", "verify", *argv], cwd=ROOT, stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE)
    child.stdout.close()          # like `| head` that has read what it wanted: every write gets EPIPE
    err = child.stderr.read()
    assert child.wait(timeout=120) == verdict
    assert err == b""


class _FailingStream(io.StringIO):
    encoding = "utf-8"

    def write(self, text):
        raise OSError(28, "No space left on device")


@pytest.mark.parametrize("argv", [("verify", GOOGLENET), ("summary", GOOGLENET), ("report", "--check", "--dir",
                                                                                   "{tmp}")])
def test_in_process_write_failures_are_exit_2(argv, tmp_path, monkeypatch):
    from archcheck.cli import main

    argv = [a.replace("{tmp}", str(tmp_path)) for a in argv]   # an empty --dir: every report is stale
    monkeypatch.setattr(sys, "stdout", _FailingStream())
    err = io.StringIO()
    monkeypatch.setattr(sys, "stderr", err)
    assert main(list(argv)) == 2
    assert err.getvalue().endswith("archcheck: error: standard output: cannot write the report: "
                                   "No space left on device\n")


# -- encodings ------------------------------------------------------------------------------------------

def test_utf8_output_is_unchanged():
    text = "7×7/2 → ≈ † ✗ é 😀"
    assert output.for_encoding(text, "utf-8") == text
    assert output.for_encoding(text, "utf-8", json=True) == text


def test_each_character_falls_back_on_its_own():
    assert output.for_encoding("7×7/2 → 56×56 é ☃ 😀", "ascii") == "7x7/2 -> 56x56 \\u00e9 \\u2603 \\U0001f600"
    # cp1252 holds ×, é and †, not → or ☃
    assert output.for_encoding("7×7/2 → é † ☃", "cp1252") == "7×7/2 -> é † \\u2603"
    assert json.loads(output.for_encoding(json.dumps({"k": "→ é 😀"}, ensure_ascii=False), "ascii", json=True)) == \
        {"k": "→ é 😀"}


def test_the_ascii_spellings_table(update_golden):
    lines = ["# ASCII spellings", "",
             "What archcheck writes for a character the terminal's encoding cannot hold (archcheck/output.py); "
             "any other such character is written as \\uXXXX.", "",
             "| character | code point | written as |", "|---|---|---|"]
    for ch, spelt in output.ASCII_SPELLINGS.items():
        lines.append(f"| {ch} | U+{ord(ch):04X} | `{spelt.replace('|', chr(92) + '|')}` |")
        assert spelt.isascii() and output.for_encoding(ch, "ascii") == spelt
    check_golden(GOLDEN / "ascii_spellings.md", "\n".join(lines) + "\n", update_golden)


@pytest.mark.parametrize("encoding, fmt", [("ascii", "text"), ("ascii", "markdown"), ("cp1252", "text")])
def test_reports_survive_a_narrow_terminal_encoding(encoding, fmt, update_golden):
    done = run("verify", GOOGLENET, "--format", fmt, env={"PYTHONIOENCODING": encoding})
    assert done.returncode == 0 and done.stderr == b""
    text = done.stdout.decode(encoding)
    assert text.isascii() if encoding == "ascii" else "→" not in text and "×" in text
    check_golden(GOLDEN / f"googlenet.{encoding}.{'md' if fmt == 'markdown' else 'txt'}", text, update_golden)


@pytest.mark.parametrize("encoding", ["ascii", "cp1252"])
def test_json_stays_valid_and_equal_in_any_encoding(encoding):
    utf8 = run("verify", GOOGLENET, "--format", "json", env={"PYTHONIOENCODING": "utf-8"})
    narrow = run("verify", GOOGLENET, "--format", "json", env={"PYTHONIOENCODING": encoding})
    assert narrow.returncode == utf8.returncode == 0
    assert json.loads(narrow.stdout.decode(encoding)) == json.loads(utf8.stdout.decode("utf-8"))
    shown = narrow.stdout.decode(encoding)
    assert ("\\u00d7" in shown) if encoding == "ascii" else ("×" in shown)   # × escaped only where it must be


# -- the model's own output ---------------------------------------------------------------------------

def test_what_the_model_prints_goes_to_stderr(tmp_path):
    model = tmp_path / "chatty.py"
    model.write_text(
        "import torch\nfrom torch import nn\nprint('importing chatty')\n"
        "class Chatty(nn.Module):\n"
        "    def __init__(self):\n"
        "        super().__init__()\n"
        "        print('building', {'not': 'json'})\n"
        "        self.fc = nn.Linear(3 * 32 * 32, 10)\n"
        "    def forward(self, x):\n"
        "        print('shape', tuple(x.shape))\n"
        "        return self.fc(torch.flatten(x, 1))\n", encoding="utf-8")
    done = run("verify", str(FIXTURES / "tiny.yaml"), "--model", f"{model}:Chatty", "--format", "json")
    report = json.loads(done.stdout)              # stdout is the report alone
    assert done.returncode == 1 and report["verdict"] == "fail"
    assert done.stderr.decode().splitlines() == ["importing chatty", "building {'not': 'json'}", "shape (1, 3, 32, 32)"]


# -- exit 3 is for bugs, and only for bugs --------------------------------------------------------------

def test_a_bug_in_archcheck_is_still_exit_3(monkeypatch, cli):
    from archcheck import pipeline

    def broken(*args, **kwargs):
        raise RuntimeError("an injected bug")

    monkeypatch.setattr(pipeline, "make_report", broken)
    code, out, err = cli("verify", GOOGLENET)
    assert (code, out) == (3, "")
    assert err == ("archcheck: internal error: RuntimeError: an injected bug. This is a bug in archcheck; please "
                   "report it with the command line (rerun with --debug for the traceback).\n")


def test_an_interrupted_run_says_so(monkeypatch, cli):
    from archcheck import pipeline

    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(pipeline, "make_report", interrupted)
    assert cli("verify", GOOGLENET) == (2, "", "archcheck: interrupted\n")


def test_a_real_ctrl_c_says_the_run_was_interrupted(tmp_path):
    import signal

    model = tmp_path / "slow.py"
    model.write_text("import sys, time\nfrom torch import nn\n"
                     "class Slow(nn.Module):\n"
                     "    def __init__(self):\n"
                     "        super().__init__()\n"
                     "        print('constructing', flush=True)\n"
                     "        time.sleep(60)\n", encoding="utf-8")
    child = subprocess.Popen([sys.executable, "-m", "archcheck", "verify", GOOGLENET, "--model", f"{model}:Slow"],
                             cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert child.stderr.readline() == b"constructing\n"     # the model's print, sent to stderr
    child.send_signal(signal.SIGINT)
    out, err = child.communicate(timeout=60)
    assert (child.returncode, out, err) == (2, b"", b"archcheck: interrupted\n")


# -- a model that fails in any way is the model's doing (exit 2), never archcheck's bug ---------------------

from dataclasses import dataclass as _dataclass


@_dataclass(frozen=True)
class ModelCase:
    """A model that fails, for test_model_failures and the table in tests/ERRORS.md."""

    id: str
    title: str
    source: str            # the model file's text; Net is the REF's name
    message: str           # stderr after "archcheck: error: --model: {ref}: "


MODEL_CASES = [
    ModelCase("model-base-exception", "a model raising a BaseException that is not an Exception",
              "class Boom(BaseException):\n    pass\n\ndef Net():\n    raise Boom('out of here')\n",
              "constructing Net() failed: the model raised Boom: out of here, a BaseException that is not an "
              "Exception"),
    ModelCase("model-sys-exit", "a model calling sys.exit", "import sys\n\ndef Net():\n    sys.exit(3)\n",
              "constructing Net() failed: the model called sys.exit(3)"),
    ModelCase("model-sys-exit-on-import", "a model file calling sys.exit when imported",
              "import sys\nsys.exit('no GPU')\n", "importing {path} failed: the model called sys.exit('no GPU')"),
    ModelCase("model-keyboard-interrupt", "a model raising KeyboardInterrupt itself",
              "from torch import nn\n\nclass Net(nn.Module):\n    def forward(self, x):\n"
              "        raise KeyboardInterrupt\n",
              "the forward pass on a 1×3×224×224 input (the spec's input) failed: the model raised "
              "KeyboardInterrupt itself (not a Ctrl-C)"),
    ModelCase("model-str-raises", "a model exception whose str() raises",
              "class Odd(Exception):\n    def __str__(self):\n        raise RuntimeError('no')\n\n"
              "def Net():\n    raise Odd()\n",
              "constructing Net() failed: Odd: (its message cannot be shown: str() raised RuntimeError)"),
]


@pytest.mark.parametrize("case", MODEL_CASES, ids=lambda c: c.id)
def test_model_failures(case, tmp_path, cli):
    path = tmp_path / "net.py"
    path.write_text(case.source, encoding="utf-8")
    code, out, err = cli("verify", GOOGLENET, "--model", f"{path}:Net", "--format", "json")
    assert (code, out) == (2, "")
    assert err == f"archcheck: error: --model: {path}:Net: {case.message.format(path=path)}\n"


def test_a_model_failure_through_the_api_is_a_model_error(tmp_path):
    import archcheck
    from archcheck.errors import ModelError

    path = tmp_path / "net.py"
    path.write_text(MODEL_CASES[1].source, encoding="utf-8")
    with pytest.raises(ModelError, match=r"the model called sys.exit\(3\)"):
        archcheck.verify_model(GOOGLENET, f"{path}:Net")
