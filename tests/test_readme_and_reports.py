"""`archcheck readme` and `archcheck report`: generated sections and files, and their --check."""
from __future__ import annotations

import shutil

from .conftest import ROOT, SPECS

USER_README = """# My project

Some text that must stay exactly as it is, trailing spaces included.   

```python
# a code block that mentions a marker must be left alone:
# <!-- archcheck verify specs/googlenet.yaml -->
print("hello")
```

## Totals

<!-- archcheck verify specs/googlenet.yaml --format text -->
stale content
<!-- /archcheck -->

Between the sections.

<!-- archcheck verify specs/googlenet.yaml --set first_conv=separable --format json -->
<!-- /archcheck -->
Tail without a newline"""


def test_readme_changes_only_marked_sections_and_is_idempotent(cli, tmp_path):
    path = tmp_path / "README.md"
    path.write_text(USER_README, encoding="utf-8")
    code, out, err = cli("readme", str(path))
    assert code == 0, err
    first = path.read_text(encoding="utf-8")
    # Everything outside the markers is byte for byte the same.
    head = USER_README[: USER_README.index("<!-- archcheck verify specs/googlenet.yaml --format text -->")]
    assert first.startswith(head)
    assert first.endswith("<!-- /archcheck -->\nTail without a newline")
    assert "Between the sections." in first and "stale content" not in first
    assert "```text\nGoing deeper with convolutions" in first
    assert '"verdict": "pass"' in first
    # Running it again changes nothing, and --check agrees.
    assert cli("readme", str(path))[0] == 0
    assert path.read_text(encoding="utf-8") == first
    assert cli("readme", str(path), "--check")[0] == 0


def test_readme_check_reports_a_stale_section_with_a_diff(cli, tmp_path):
    path = tmp_path / "README.md"
    path.write_text(USER_README, encoding="utf-8")
    code, out, err = cli("readme", str(path), "--check")
    assert code == 1
    assert "-stale content" in out and "not current" in err
    assert path.read_text(encoding="utf-8") == USER_README  # nothing written


def test_unbalanced_or_nested_markers_are_refused(cli, tmp_path):
    path = tmp_path / "README.md"
    for text, message in [
        ("<!-- archcheck verify specs/googlenet.yaml -->\nno end\n", "never closed"),
        ("<!-- /archcheck -->\n", "without an opening marker"),
        ("<!-- archcheck verify a.yaml -->\n<!-- archcheck verify b.yaml -->\n<!-- /archcheck -->\n", "cannot nest"),
        ("<!-- archcheck rm -rf / -->\n<!-- /archcheck -->\n", "expected a marker command"),
    ]:
        path.write_text(text, encoding="utf-8")
        code, out, err = cli("readme", str(path))
        assert code == 2 and message in err and "Traceback" not in err
        assert path.read_text(encoding="utf-8") == text


def test_report_check_fails_when_a_spec_changes_and_passes_after_regeneration(cli, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "specs").mkdir()
    shutil.copy(SPECS / "googlenet.yaml", tmp_path / "specs" / "googlenet.yaml")
    assert cli("report")[0] == 0
    assert sorted(p.name for p in (tmp_path / "reports").iterdir()) == ["discrepancies.md", "googlenet.md"]
    assert cli("report", "--check")[0] == 0
    spec = tmp_path / "specs" / "googlenet.yaml"
    spec.write_text(spec.read_text(encoding="utf-8").replace("dropout: {p: 0.4}", "dropout: {p: 0.5}"),
                    encoding="utf-8")
    code, out, err = cli("report", "--check")
    assert code == 1 and "dropout" in out and "not current" in err
    assert cli("report")[0] == 0
    assert cli("report", "--check")[0] == 0


def test_repository_reports_cover_every_erratum():
    text = (ROOT / "reports" / "discrepancies.md").read_text(encoding="utf-8")
    from archcheck.spec import load_spec

    for spec_path in sorted(SPECS.glob("*.yaml")):
        for erratum in load_spec(str(spec_path)).errata:
            assert f"`{erratum.id}`" in text, f"{spec_path.name}: erratum {erratum.id} missing from discrepancies.md"
