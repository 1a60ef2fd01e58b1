"""Bundled specs (issue 14): shipped in the wheel, known by name from any directory, listed by `archcheck list`."""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import zipfile

import pytest

from .conftest import ROOT, SPECS

SPEC_NAMES = sorted(p.stem for p in SPECS.glob("*.yaml"))


@pytest.fixture(scope="module")
def installed(tmp_path_factory):
    """A wheel built from a copy of the checkout (so build/ and *.egg-info never land in the checkout),
    installed with `pip install --no-deps --target` into a temp dir. -> (wheel path, target dir)."""
    base = tmp_path_factory.mktemp("wheel")
    source, wheels, target = base / "source", base / "wheels", base / "site"
    tracked = subprocess.run(["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"], cwd=ROOT, capture_output=True, check=True).stdout
    files = [f for f in tracked.decode().split("\0") if f] if tracked else []
    if not files:   # not a git checkout: copy the tree
        shutil.copytree(ROOT, source, ignore=shutil.ignore_patterns(".git", ".venv", "build", "*.egg-info"))
    for name in files:
        if (ROOT / name).is_file():
            (source / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(ROOT / name, source / name)
    pip = [sys.executable, "-m", "pip", "--disable-pip-version-check", "--no-input"]
    subprocess.run([*pip, "wheel", "--no-deps", "--no-build-isolation", "--no-index", "-q", "-w", str(wheels),
                    str(source)], check=True, capture_output=True, timeout=300)
    [wheel] = wheels.glob("archcheck-*.whl")
    subprocess.run([*pip, "install", "--no-deps", "--no-index", "-q", "--target", str(target), str(wheel)],
                   check=True, capture_output=True, timeout=300)
    return wheel, target


def test_the_wheel_holds_every_spec_of_specs(installed):
    wheel, _ = installed
    names = zipfile.ZipFile(wheel).namelist()
    bundled = sorted(n[len("archcheck/specs/"):-len(".yaml")] for n in names
                     if n.startswith("archcheck/specs/") and n.endswith(".yaml"))
    assert bundled == SPEC_NAMES
    for name in SPEC_NAMES:   # byte for byte the repository's copy
        assert zipfile.ZipFile(wheel).read(f"archcheck/specs/{name}.yaml") == (SPECS / f"{name}.yaml").read_bytes()


def test_the_installed_package_verifies_a_spec_by_name_from_another_directory(installed, tmp_path):
    _, target = installed
    env = {**os.environ, "PYTHONPATH": str(target)}
    where = subprocess.run([sys.executable, "-c", "import archcheck; print(archcheck.__file__)"], cwd=tmp_path,
                           env=env, capture_output=True, text=True, timeout=120)
    assert where.stdout.strip() == str(target / "archcheck" / "__init__.py")   # the installed copy, not the checkout
    done = subprocess.run([sys.executable, "-m", "archcheck", "verify", "googlenet", "--format", "json"],
                          cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    assert report["verdict"] == "pass" and report["spec"] == str(target / "archcheck" / "specs" / "googlenet.yaml")
    listed = subprocess.run([sys.executable, "-m", "archcheck", "list", "--format", "json"], cwd=tmp_path, env=env,
                            capture_output=True, text=True, timeout=120)
    assert [e["name"] for e in json.loads(listed.stdout)] == SPEC_NAMES


def test_the_installed_package_prints_the_schema_the_checkout_keeps(installed, tmp_path):
    # The schema is not shipped as a file: an installed archcheck writes its own (archcheck schema), which
    # is the checkout's specs/archcheck.schema.json when both are of one version.
    wheel, target = installed
    assert [n for n in zipfile.ZipFile(wheel).namelist() if n.endswith(".json")] == []
    done = subprocess.run([sys.executable, "-m", "archcheck", "schema"], cwd=tmp_path, capture_output=True,
                          timeout=120, env={**os.environ, "PYTHONPATH": str(target), "PYTHONIOENCODING": "utf-8"})
    assert done.returncode == 0 and done.stdout == (SPECS / "archcheck.schema.json").read_bytes()


def test_an_existing_path_wins_over_a_bundled_name(tmp_path, monkeypatch, cli):
    monkeypatch.chdir(tmp_path)
    shutil.copy(ROOT / "tests" / "fixtures" / "tiny.yaml", tmp_path / "googlenet")   # a file named like the spec
    code, out, err = cli("verify", "googlenet", "--format", "json")
    assert (code, err) == (0, "")
    assert json.loads(out)["spec"] == "googlenet" and "tiny" not in SPEC_NAMES
    os.remove("googlenet")
    code, out, err = cli("verify", "googlenet", "--format", "json")
    assert json.loads(out)["spec"] == str(SPECS / "googlenet.yaml")


def test_an_unknown_name_lists_the_bundled_names(tmp_path, monkeypatch, cli):
    monkeypatch.chdir(tmp_path)
    code, out, err = cli("verify", "googlnet")
    assert (code, out) == (2, "")
    assert err == ("archcheck: error: googlnet: no such file, nor a bundled spec of that name (did you mean "
                   f"'googlenet'?); bundled specs: {', '.join(SPEC_NAMES)}\n")
    # A path is a path: its absence is "no such file", not a name lookup.
    assert cli("verify", "specs/googlenet.yaml")[2] == "archcheck: error: specs/googlenet.yaml: no such file\n"


def test_every_command_takes_a_name(tmp_path, monkeypatch, cli):
    monkeypatch.chdir(tmp_path)
    assert cli("summary", "inception_v2", "--variant", "example")[0] == 0
    assert cli("report", "googlenet", "--dir", "out")[0] == 0
    assert sorted(os.listdir("out")) == ["discrepancies.md", "googlenet.md"]
    (tmp_path / "README.md").write_text("<!-- archcheck list --format markdown -->\n<!-- /archcheck -->\n")
    assert cli("readme", "README.md")[0] == 0
    assert "| `googlenet`" in (tmp_path / "README.md").read_text(encoding="utf-8")


def test_list_in_each_format(cli):
    code, out, err = cli("list", "--format", "json")
    entries = json.loads(out)
    assert [e["name"] for e in entries] == SPEC_NAMES
    googlenet = next(e for e in entries if e["name"] == "googlenet")
    assert googlenet == {"name": "googlenet", "title": "Going deeper with convolutions", "arxiv": "1409.4842",
                         "table": "Table 1: GoogLeNet incarnation of the Inception architecture",
                         "variants": ["separable", "torchvision-like"]}
    code, out, err = cli("list")
    assert out.splitlines()[0].split() == ["spec", "paper", "variants"]
    [line] = [line for line in out.splitlines() if line.startswith("googlenet ")]
    assert "(arXiv 1409.4842)" in line
    assert [line.split()[0] for line in out.splitlines()[1:]] == SPEC_NAMES      # one line per spec, by name
    code, out, err = cli("list", "--format", "markdown")
    assert out.splitlines()[0].startswith("| spec ")
    assert [line.split()[1] for line in out.splitlines()[2:]] == [f"`{name}`" for name in SPEC_NAMES]
