"""Nothing lost, nothing written unasked (issue 11): output targets, reports, README markers, escaping.

Each test states the exit code, the message and which files changed. Devices and FIFOs are nodes the
test makes in its own temporary directory, never the machine's /dev/null.
"""
from __future__ import annotations

import os
import shutil
import stat
import threading
from dataclasses import dataclass

import pytest

from .conftest import FIXTURES, SPECS

TINY = FIXTURES / "tiny.yaml"


def snapshot(directory) -> dict:
    """Every file under `directory` -> (kind, bytes or link target): what a run may have changed."""
    out = {}
    for root, dirs, files in os.walk(directory):
        for name in dirs + files:
            path = os.path.join(root, name)
            rel = os.path.relpath(path, directory)
            mode = os.lstat(path).st_mode
            if stat.S_ISLNK(mode):
                out[rel] = ("link", os.readlink(path))
            elif stat.S_ISREG(mode):
                with open(path, "rb") as fh:
                    out[rel] = ("file", fh.read())
            elif stat.S_ISDIR(mode):
                out[rel] = ("dir", None)
            else:
                out[rel] = (stat.S_IFMT(mode), None)
    return out


# -- --output targets ------------------------------------------------------------------------------------

@pytest.mark.skipif(not hasattr(os, "geteuid") or os.geteuid() != 0, reason="making a device node needs root")
def test_output_to_a_character_device_writes_into_it_and_leaves_it_a_device(tmp_path, cli):
    node = tmp_path / "null"
    os.mknod(node, 0o666 | stat.S_IFCHR, os.makedev(1, 3))   # the null device's numbers, in our own directory
    code, out, err = cli("verify", str(TINY), "--output", str(node))
    assert (code, out, err) == (0, "", "")
    assert stat.S_ISCHR(os.lstat(node).st_mode)
    assert sorted(os.listdir(tmp_path)) == ["null"]          # no temporary file left beside it


def test_output_to_a_fifo_writes_through_it(tmp_path, cli):
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    received = []
    reader = threading.Thread(target=lambda: received.append(fifo.read_bytes()))
    reader.start()
    code, out, err = cli("verify", str(TINY), "--format", "text", "--output", str(fifo))
    reader.join(timeout=60)
    assert (code, out, err) == (0, "", "")
    assert stat.S_ISFIFO(os.lstat(fifo).st_mode)
    assert received and received[0].decode("utf-8").startswith("A tiny test network (arXiv 0000.00000)\n")
    assert sorted(os.listdir(tmp_path)) == ["pipe"]


def test_output_through_a_symlink_replaces_its_target_and_keeps_the_link(tmp_path, cli):
    target = tmp_path / "reports" / "report.md"
    target.parent.mkdir()
    target.write_text("old\n", encoding="utf-8")
    target.chmod(0o640)
    link = tmp_path / "latest.md"
    link.symlink_to(target)
    code, out, err = cli("verify", str(TINY), "--output", str(link))
    assert (code, out, err) == (0, "", "")
    assert os.readlink(link) == str(target)                 # still a link, to the same file
    assert target.read_text(encoding="utf-8").startswith("# A tiny test network")
    assert target.stat().st_mode & 0o777 == 0o640
    assert sorted(os.listdir(target.parent)) == ["report.md"]


@pytest.mark.parametrize("how", ["same path", "other spelling", "symlink"])
def test_output_naming_the_spec_is_refused_and_the_spec_kept(how, tmp_path, monkeypatch, cli):
    monkeypatch.chdir(tmp_path)
    shutil.copy(TINY, "spec.yaml")
    output = {"same path": "spec.yaml", "other spelling": "./sub/../spec.yaml", "symlink": "link.yaml"}[how]
    os.mkdir("sub")
    os.symlink("spec.yaml", "link.yaml")
    before = snapshot(tmp_path)
    code, out, err = cli("verify", "spec.yaml", "--output", output)
    assert (code, out) == (2, "")
    shown = " (spec.yaml)" if how == "symlink" else ""
    assert err == (f"archcheck: error: --output: {output} is the spec{shown}, an input of this run; "
                   "expected another file for the output\n")
    assert snapshot(tmp_path) == before


def test_output_naming_the_model_file_is_refused(tmp_path, monkeypatch, cli):
    monkeypatch.chdir(tmp_path)
    model = tmp_path / "net.py"
    model.write_text("import torch\n", encoding="utf-8")
    before = snapshot(tmp_path)
    code, out, err = cli("verify", str(TINY), "--model", "net.py:Net", "--output", "net.py")
    assert (code, out) == (2, "")
    assert err == ("archcheck: error: --output: net.py is the --model file, an input of this run; "
                   "expected another file for the output\n")
    assert snapshot(tmp_path) == before


def test_summary_output_naming_the_spec_is_refused(tmp_path, monkeypatch, cli):
    monkeypatch.chdir(tmp_path)
    shutil.copy(TINY, "spec.yaml")
    before = snapshot(tmp_path)
    code, out, err = cli("summary", "spec.yaml", "-o", "spec.yaml")
    assert code == 2 and "--output: spec.yaml is the spec, an input of this run" in err
    assert snapshot(tmp_path) == before


# -- report ----------------------------------------------------------------------------------------------

def test_two_specs_with_one_report_name_are_refused(tmp_path, monkeypatch, cli):
    monkeypatch.chdir(tmp_path)
    for folder in ("a", "b"):
        os.mkdir(folder)
        shutil.copy(TINY, f"{folder}/tiny.yaml")
    before = snapshot(tmp_path)
    code, out, err = cli("report", "a/tiny.yaml", "b/tiny.yaml")
    assert (code, out) == (2, "")
    assert err == ("archcheck: error: b/tiny.yaml: its report would be tiny.md, as the report of a/tiny.yaml is; "
                   "expected specs with different file names\n")
    assert snapshot(tmp_path) == before                     # no reports/ directory either


def test_a_spec_whose_report_is_the_review_file_is_refused(tmp_path, monkeypatch, cli):
    monkeypatch.chdir(tmp_path)
    shutil.copy(TINY, "discrepancies.yaml")
    before = snapshot(tmp_path)
    code, out, err = cli("report", "discrepancies.yaml")
    assert (code, out) == (2, "")
    assert err == ("archcheck: error: discrepancies.yaml: its report would be discrepancies.md, the discrepancy "
                   "review's file; expected another spec file name\n")
    assert snapshot(tmp_path) == before


def test_report_over_its_own_spec_is_refused(tmp_path, monkeypatch, cli):
    # A spec kept as reports/tiny.md would be replaced by its report.
    monkeypatch.chdir(tmp_path)
    os.mkdir("reports")
    shutil.copy(TINY, "reports/tiny.md")
    os.symlink("reports/tiny.md", "tiny.yaml")
    before = snapshot(tmp_path)
    code, out, err = cli("report", "tiny.yaml")
    assert code == 2 and "--dir: reports/tiny.md is the spec tiny.yaml" in err
    assert snapshot(tmp_path) == before


@pytest.mark.parametrize("check", [False, True])
def test_report_dir_naming_a_file_is_bad_input(check, tmp_path, monkeypatch, cli):
    monkeypatch.chdir(tmp_path)
    shutil.copy(TINY, "tiny.yaml")
    (tmp_path / "out").write_text("a file\n", encoding="utf-8")
    before = snapshot(tmp_path)
    code, out, err = cli("report", "tiny.yaml", "--dir", "out", *(["--check"] if check else []))
    assert (code, out, err) == (2, "", "archcheck: error: --dir: out is a file; expected a directory\n")
    assert snapshot(tmp_path) == before


def test_report_dir_made_by_another_run_at_the_same_moment_works(tmp_path, monkeypatch, cli):
    from archcheck.commands import report

    monkeypatch.chdir(tmp_path)
    shutil.copy(TINY, "tiny.yaml")
    real = os.makedirs

    def racing(path, *args, **kwargs):   # the other run creates it between our check and our makedirs
        real(path)
        return real(path, *args, **kwargs)

    monkeypatch.setattr(report.os, "makedirs", racing)
    code, out, err = cli("report", "tiny.yaml", "--dir", "new")
    assert code == 0, err
    assert sorted(os.listdir("new")) == ["discrepancies.md", "tiny.md"]


# -- readme ----------------------------------------------------------------------------------------------

MARKER = "<!-- archcheck verify tiny.yaml --format text -->"


def _readme(tmp_path, monkeypatch, text: str, newline: str = "\n"):
    monkeypatch.chdir(tmp_path)
    shutil.copy(TINY, "tiny.yaml")
    path = tmp_path / "README.md"
    path.write_bytes(text.replace("\n", newline).encode("utf-8"))
    return path


def test_readme_keeps_crlf_line_endings(tmp_path, monkeypatch, cli):
    path = _readme(tmp_path, monkeypatch, f"# Title\n\n{MARKER}\nold\n<!-- /archcheck -->\nend\n", "\r\n")
    code, out, err = cli("readme", "README.md")
    assert code == 0, err
    data = path.read_bytes()
    assert data.count(b"\n") == data.count(b"\r\n") > 10        # every line ends in CRLF
    assert data.startswith(b"# Title\r\n\r\n" + MARKER.encode() + b"\r\n```text\r\nA tiny test network")
    assert data.endswith(b"<!-- /archcheck -->\r\nend\r\n")
    assert cli("readme", "README.md", "--check")[0] == 0        # a current CRLF file passes --check
    assert cli("readme", "README.md")[0] == 0 and path.read_bytes() == data


def test_readme_does_not_lose_an_edit_made_while_it_ran(tmp_path, monkeypatch, cli):
    from archcheck import readme

    path = _readme(tmp_path, monkeypatch, f"{MARKER}\nold\n<!-- /archcheck -->\n")
    edited = f"An edit made meanwhile.\n\n{MARKER}\nold\n<!-- /archcheck -->\n"
    real = readme.run_section

    def run_and_edit(section, where):
        result = real(section, where)
        path.write_text(edited, encoding="utf-8")   # the user saves the file while the marker runs
        return result

    monkeypatch.setattr(readme, "run_section", run_and_edit)
    code, out, err = cli("readme", "README.md")
    assert (code, out) == (2, "")
    assert err == ("archcheck: error: README.md: the file changed while archcheck ran; nothing was written "
                   "(run again to regenerate it from its new text)\n")
    assert path.read_text(encoding="utf-8") == edited
    assert sorted(os.listdir(tmp_path)) == ["README.md", "tiny.yaml"]


CODE_BLOCKS = {
    "backtick fence of four": f"````\n{MARKER}\n```\nstill code\n````\n",
    "tilde fence": f"~~~ yaml\n{MARKER}\n~~~\n",
    "long tilde fence with a shorter one inside": f"~~~~~\n~~~\n{MARKER}\n~~~~~\n",
    "indented code block": f"Text.\n\n    {MARKER}\n    <!-- /archcheck -->\n",
    "indented by a tab": f"Text.\n\n\t{MARKER}\n",
    "html pre block": f"<pre>\n{MARKER}\n</pre>\n",
    "html pre with attributes": f"<PRE class=\"x\">\n{MARKER}\n<!-- /archcheck -->\n</PRE>\n",
    "fence inside a list item's code": f"- item\n\n  ```\n  {MARKER}\n  ```\n",
}


@pytest.mark.parametrize("name", CODE_BLOCKS)
def test_markers_inside_code_are_text(name, tmp_path, monkeypatch, cli):
    text = CODE_BLOCKS[name] + "\nafter\n"
    path = _readme(tmp_path, monkeypatch, text)
    assert cli("readme", "README.md") == (0, "", "")
    assert path.read_text(encoding="utf-8") == text
    assert cli("readme", "README.md", "--check")[0] == 0


LIVE = {
    "after a closed fence": f"```\ncode\n```\n{MARKER}\n<!-- /archcheck -->\n",
    "right after a paragraph line": f"A paragraph\n{MARKER}\n<!-- /archcheck -->\n",
    "indented up to three spaces": f"   {MARKER}\n<!-- /archcheck -->\n",
    "after a pre block closes": f"<pre>x</pre>\n\n{MARKER}\n<!-- /archcheck -->\n",
    "after an indented block ends": f"Text.\n\n    code\n\n{MARKER}\n<!-- /archcheck -->\n",
    "a fence closed by a longer one": f"```\n````\n{MARKER}\n<!-- /archcheck -->\n",
}


@pytest.mark.parametrize("name", LIVE)
def test_markers_outside_code_are_live(name, tmp_path, monkeypatch, cli):
    path = _readme(tmp_path, monkeypatch, LIVE[name])
    code, out, err = cli("readme", "README.md")
    assert (code, out) == (0, ""), err
    assert "A tiny test network (arXiv 0000.00000)" in path.read_text(encoding="utf-8")


@pytest.mark.parametrize("option", ["--output report.md", "-o report.md", "--output=report.md", "-oreport.md",
                                    "--out report.md"])
def test_a_marker_naming_an_output_file_is_refused(option, tmp_path, monkeypatch, cli):
    text = f"<!-- archcheck verify tiny.yaml {option} -->\n<!-- /archcheck -->\n"
    _readme(tmp_path, monkeypatch, text)
    before = snapshot(tmp_path)
    for check in ([], ["--check"]):
        code, out, err = cli("readme", "README.md", *check)
        assert (code, out) == (2, "")
        assert err == ("archcheck: error: README.md:1: a marker's command prints into the file; expected no "
                       "--output/-o (readme --check must never write)\n")
        assert snapshot(tmp_path) == before


# -- text from a spec or a model, in Markdown and on a terminal ------------------------------------------

HOSTILE_TITLE = "Evil <script>alert(1)</script> &amp; \x1b[31mred\x1b[0m \u202etxt.exe"
PLANTED = "<!-- archcheck verify /etc/passwd -->"


def _hostile_spec(tmp_path) -> str:
    text = TINY.read_text(encoding="utf-8")
    text = text.replace("paper: {title: A tiny test network,",
                        'paper: {title: "' + HOSTILE_TITLE.replace("\x1b", "\\e").replace("\u202e", "\\u202e") + '",')
    text = text.replace("    paper: [linear,", "    paper: [\"lin|ear\\n" + PLANTED + "\\n<!-- /archcheck -->\\e[1m\\u202e\",")
    text += ("claims:\n  - {id: c1, text: \"line one\\n" + PLANTED + "\\n<b>bold</b>\", quantity: weights, "
             "value: \"1.7K\"}\n")
    path = tmp_path / "evil.yaml"
    path.write_text(text, encoding="utf-8")
    return str(path)


def test_spec_text_cannot_plant_a_marker_or_html_in_markdown(tmp_path, monkeypatch, cli):
    from archcheck.readme import find_sections

    spec = _hostile_spec(tmp_path)
    for command in (["verify", spec], ["summary", spec, "--style", "paper"]):
        code, out, err = cli(*command)
        assert code in (0, 1), err
        assert "<script" not in out and "<b>" not in out and "<!--" not in out
        assert "\x1b" not in out and "\u202e" not in out and "\\x1b[31m" in out
        assert find_sections(out, "out.md") == []
    # In a README, the generated section holds no marker of its own: regenerating is stable.
    monkeypatch.chdir(tmp_path)
    readme = tmp_path / "README.md"
    readme.write_text(f"<!-- archcheck verify {spec} -->\n<!-- /archcheck -->\n", encoding="utf-8")
    assert cli("readme", "README.md")[0] == 0
    text = readme.read_text(encoding="utf-8")
    assert len(find_sections(text, "README.md")) == 1
    assert "# Evil &lt;script>alert(1)&lt;/script> &amp;amp; \\x1b[31mred\\x1b[0m \\u202etxt.exe" in text
    assert cli("readme", "README.md", "--check")[0] == 0


def test_spec_text_reaches_a_terminal_without_control_characters(tmp_path, cli):
    spec = _hostile_spec(tmp_path)
    code, out, err = cli("verify", spec, "--format", "text")
    assert out.startswith("Evil <script>alert(1)</script> &amp; \\x1b[31mred\\x1b[0m \\u202etxt.exe (arXiv")
    assert "\x1b" not in out and "\u202e" not in out
    code, out, err = cli("verify", spec, "--format", "json")
    import json
    fc = next(r for r in json.loads(out)["rows"] if r["name"] == "fc")
    assert fc["paper"]["type"] == f"lin|ear\n{PLANTED}\n<!-- /archcheck -->\x1b[1m\u202e"   # the cell as written
    assert "\x1b" not in out and "\u202e" not in out and "\\u001b[1m\\u202e" in out


def test_a_models_exception_message_reaches_stderr_without_control_characters(tmp_path, cli):
    model = tmp_path / "net.py"
    model.write_text("def Net():\n    raise ValueError('\\x1b[2Jscreen wiped \\u202e')\n", encoding="utf-8")
    code, out, err = cli("verify", str(TINY), "--model", f"{model}:Net")
    assert (code, out) == (2, "")
    assert err.endswith("ValueError: \\x1b[2Jscreen wiped \\u202e\n") and "\x1b" not in err


@dataclass(frozen=True)
class UsageCase:
    """A bad-usage case, run by test_usage_case below and listed in tests/ERRORS.md."""

    id: str
    title: str
    shows: str
    argv: tuple
    message: str
    files: tuple = ()            # (name, contents) made in the temp dir; contents "TINY" copies the fixture
    prepare: object = None       # (tmp_path, monkeypatch) -> None, for what files cannot say


def _edit_while_running(tmp_path, monkeypatch):
    from archcheck import readme

    real = readme.run_section

    def run_and_edit(section, where):
        result = real(section, where)
        (tmp_path / "README.md").write_text("edited\n", encoding="utf-8")
        return result

    monkeypatch.setattr(readme, "run_section", run_and_edit)


USAGE_CASES = [
    UsageCase("output-empty", "--output with an empty name", "`verify tiny.yaml -o ''`",
              ("verify", "tiny.yaml", "-o", ""),
              "argument --output/-o: expected a file name, found an empty string (see archcheck verify --help)",
              (("tiny.yaml", "TINY"),)),
    UsageCase("output-is-the-spec", "--output naming an input of the run", "`verify spec.yaml -o spec.yaml`",
              ("verify", "spec.yaml", "-o", "spec.yaml"),
              "--output: spec.yaml is the spec, an input of this run; expected another file for the output",
              (("spec.yaml", "TINY"),)),
    UsageCase("output-is-the-model", "--output naming the --model file", "`verify ... --model net.py:Net -o net.py`",
              ("verify", "tiny.yaml", "--model", "net.py:Net", "-o", "net.py"),
              "--output: net.py is the --model file, an input of this run; expected another file for the output",
              (("tiny.yaml", "TINY"), ("net.py", "import torch\n"))),
    UsageCase("output-is-a-helper", "--output naming a file the --model file imports",
              "`summary --model net.py:Net --input 3x8x8 -o blocks.py`",
              ("summary", "--model", "net.py:Net", "--input", "3x8x8", "-o", "blocks.py"),
              "--output: blocks.py is the source of the module blocks, an input of this run; expected another "
              "file for the output",
              (("blocks.py", "from torch import nn\n\n\ndef block():\n    return nn.Conv2d(3, 4, 3)\n"),
               ("net.py", "from torch import nn\n\nfrom blocks import block\n\n\nclass Net(nn.Module):\n"
                          "    def __init__(self):\n        super().__init__()\n        self.c = block()\n\n"
                          "    def forward(self, x):\n        return self.c(x)\n"))),
    UsageCase("report-name-clash", "two specs with one report name", "`report a/tiny.yaml b/tiny.yaml`",
              ("report", "a/tiny.yaml", "b/tiny.yaml"),
              "b/tiny.yaml: its report would be tiny.md, as the report of a/tiny.yaml is; expected specs with "
              "different file names", (("a/tiny.yaml", "TINY"), ("b/tiny.yaml", "TINY"))),
    UsageCase("report-is-the-review", "a spec whose report is the review's file", "`report discrepancies.yaml`",
              ("report", "discrepancies.yaml"),
              "discrepancies.yaml: its report would be discrepancies.md, the discrepancy review's file; expected "
              "another spec file name", (("discrepancies.yaml", "TINY"),)),
    UsageCase("report-dir-is-a-file", "--dir naming a file", "`report tiny.yaml --dir out` (out is a file)",
              ("report", "tiny.yaml", "--dir", "out"), "--dir: out is a file; expected a directory",
              (("tiny.yaml", "TINY"), ("out", "a file\n"))),
    UsageCase("readme-changed", "a README edited while `readme` ran", "the file saved meanwhile",
              ("readme", "README.md"),
              "README.md: the file changed while archcheck ran; nothing was written (run again to regenerate it "
              "from its new text)",
              (("tiny.yaml", "TINY"), ("README.md", f"{MARKER}\n<!-- /archcheck -->\n")), _edit_while_running),
    UsageCase("marker-output", "a marker naming an output file", "`<!-- archcheck verify tiny.yaml -o x.md -->`",
              ("readme", "README.md"),
              "README.md:1: a marker's command prints into the file; expected no --output/-o (readme --check must "
              "never write)",
              (("tiny.yaml", "TINY"), ("README.md", "<!-- archcheck verify tiny.yaml -o x.md -->\n<!-- /archcheck -->\n"))),
    # --input, and the options of `summary` that go with a spec or with --model only
    UsageCase("input-without-model", "--input for the spec's own build", "`verify tiny.yaml --input 3x32x32`",
              ("verify", "tiny.yaml", "--input", "3x32x32"),
              "--input: needs --model: the spec's build has its own input (another resolution of the spec is a "
              "spec option, --set or --variant)", (("tiny.yaml", "TINY"),)),
    UsageCase("input-not-a-size", "--input that is not C×H×W", "`verify ... --model net.py:Net --input 3x32`",
              ("verify", "tiny.yaml", "--model", "net.py:Net", "--input", "3x32"),
              "--input: expected C×H×W, three sizes (a leading batch of 1 allowed), found '3x32'",
              (("tiny.yaml", "TINY"), ("net.py", "import torch\n"))),
    UsageCase("input-too-large", "--input beyond the size limits", "`summary --model net.py:Net --input 3x100000x100000`",
              ("summary", "--model", "net.py:Net", "--input", "3x100000x100000"),
              "--input: expected at most 100,000 channels and sizes up to 16,384, found '3x100000x100000'",
              (("net.py", "import torch\n"),)),
    UsageCase("input-not-numbers", "--input with words", "`summary --model net.py:Net --input 3xHxW`",
              ("summary", "--model", "net.py:Net", "--input", "3xHxW"),
              "--input: expected C×H×W (3×32×32, 3x32x32 or 3,32,32), found '3xHxW'", (("net.py", "import torch\n"),)),
    UsageCase("input-zero", "--input with a zero size", "`summary --model net.py:Net --input 3x0x32`",
              ("summary", "--model", "net.py:Net", "--input", "3x0x32"),
              "--input: every size must be at least 1, found '3x0x32'", (("net.py", "import torch\n"),)),
    UsageCase("summary-model-without-input", "summary --model without --input", "`summary --model net.py:Net`",
              ("summary", "--model", "net.py:Net"),
              "--input: required with --model: a model has no input size of its own (3×224×224, 3x32x32 or "
              "3,32,32)", (("net.py", "import torch\n"),)),
    UsageCase("summary-spec-and-model", "summary of a spec and a model at once", "`summary tiny.yaml --model net.py:Net`",
              ("summary", "tiny.yaml", "--model", "net.py:Net", "--input", "3x8x8"),
              "--model: give a spec or --model, not both (to check the model against the spec: archcheck verify "
              "tiny.yaml --model net.py:Net)", (("tiny.yaml", "TINY"), ("net.py", "import torch\n"))),
    UsageCase("summary-of-nothing", "summary with neither a spec nor --model", "`summary`", ("summary",),
              "summary: expected a spec (archcheck summary googlenet) or --model REF --input C×H×W"),
    UsageCase("summary-paper-style-model", "--style paper with --model", "`summary --model net.py:Net --input 3x8x8 --style paper`",
              ("summary", "--model", "net.py:Net", "--input", "3x8x8", "--style", "paper"),
              "--style: paper shows a spec's table beside its build; with --model there is no table",
              (("net.py", "import torch\n"),)),
    UsageCase("summary-set-with-model", "--set with --model", "`summary --model net.py:Net --input 3x8x8 --set a=1`",
              ("summary", "--model", "net.py:Net", "--input", "3x8x8", "--set", "a=1"),
              "--set: applies to a spec's build, not to --model", (("net.py", "import torch\n"),)),
    UsageCase("summary-input-with-spec", "summary of a spec with --input", "`summary tiny.yaml --input 3x8x8`",
              ("summary", "tiny.yaml", "--input", "3x8x8"),
              "--input: applies to --model: the spec's build has its own input (another resolution of the spec is "
              "a spec option, --set or --variant)", (("tiny.yaml", "TINY"),)),
    UsageCase("summary-unknown-column", "a column torchinfo does not name", "`summary tiny.yaml --columns output_size,flops`",
              ("summary", "tiny.yaml", "--columns", "output_size,flops"),
              "--columns: unknown column 'flops'; expected some of input_size, output_size, num_params, kernel_size, "
              "mult_adds", (("tiny.yaml", "TINY"),)),
    UsageCase("summary-depth-zero", "--max-depth 0", "`summary tiny.yaml --max-depth 0`",
              ("summary", "tiny.yaml", "--max-depth", "0"),
              "--max-depth: expected 1 or more (top-level children are depth 1), found 0", (("tiny.yaml", "TINY"),)),
    UsageCase("summary-paper-style-json", "--style paper with --format json", "`summary tiny.yaml --style paper --format json`",
              ("summary", "tiny.yaml", "--style", "paper", "--format", "json"),
              "--style: paper prints the paper's table in Markdown; --format, --columns and --max-depth are for the "
              "torchsummary style", (("tiny.yaml", "TINY"),)),
]


@pytest.mark.parametrize("case", USAGE_CASES, ids=lambda c: c.id)
def test_usage_case(case, tmp_path, monkeypatch, cli):
    monkeypatch.chdir(tmp_path)
    for name, contents in case.files:
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(TINY.read_text(encoding="utf-8") if contents == "TINY" else contents, encoding="utf-8")
    if case.prepare is not None:
        case.prepare(tmp_path, monkeypatch)
    before = snapshot(tmp_path)
    code, out, err = cli(*case.argv)
    assert (code, out, err) == (2, "", f"archcheck: error: {case.message}\n")
    assert snapshot(tmp_path) == before or case.prepare is not None   # the edit is the only change


def test_markdown_escaping_keeps_a_transcribed_line_break_only():
    from archcheck.render.markdown import esc

    # specs write a line break inside a printed cell as <br> (ResNet's bracketed blocks)
    assert esc("[3×3, 64<br>3×3, 64] ×2") == "[3×3, 64<br>3×3, 64] ×2"
    assert esc("<br/><b>x</b> | y\n<!-- archcheck verify a -->") == \
        "<br>&lt;b>x&lt;/b> \\| y &lt;!-- archcheck verify a -->"


@pytest.mark.parametrize("name", ["/dev/stdout", "/proc/self/fd/1", "/dev/fd/1"])
def test_output_naming_stdout_appends_where_the_shell_redirected_it(tmp_path, name):
    # `archcheck ... -o /dev/stdout >> log.txt`: /dev/stdout resolves to log.txt, which must not be replaced
    # by a rename (the user's earlier lines lost); the report goes to the descriptor, opened for appending.
    import subprocess
    import sys

    from .conftest import ROOT

    log = tmp_path / "log.txt"
    log.write_text("precious\n", encoding="utf-8")
    with open(log, "a", encoding="utf-8") as out:
        done = subprocess.run([sys.executable, "-m", "archcheck", "summary", "googlenet", "--format", "text",
                               "-o", name], cwd=ROOT, stdout=out, stderr=subprocess.PIPE, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    text = log.read_text(encoding="utf-8")
    assert text.startswith("precious\nSpec ") and "MACs per image" in text


@pytest.mark.parametrize("device", ["/dev/zero", "/dev/full"])
def test_readme_of_an_endless_device_is_bad_input(cli, device):
    code, out, err = cli("readme", device)
    assert (code, out) == (2, "") and "cannot read: more than 20,000,000 characters" in err
