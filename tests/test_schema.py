"""The JSON Schema of the spec language (issue 19): written from the declarations of
archcheck/spec/language.py that the validator checks too, so that both refuse the same structural
mistakes; `archcheck schema` prints it and specs/archcheck.schema.json is a current copy.

The cases below break tests/fixtures/every_level.yaml at every level of the language, one key each:
a misspelt key, a wrong type, a value outside its choices and a missing required key. Each states the
validator's whole message for it and where the schema must report it.
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import dataclass

import jsonschema
import pytest

from archcheck.errors import SpecError
from archcheck.spec import bundled
from archcheck.spec import language as L
from archcheck.spec.schema import schema, schema_text
from archcheck.spec.structure import STRUCTURAL_RULES, accepted
from archcheck.spec.validate import validate
from archcheck.spec.yamlload import load_yaml_file, load_yaml_text

from .conftest import FIXTURES, ROOT, SPECS
from .schema_agreement import STAND_INS, agreement, schema_errors
from .test_startup import probe

SCHEMA_FILE = SPECS / "archcheck.schema.json"
EVERY_LEVEL = (FIXTURES / "every_level.yaml").read_text(encoding="utf-8")


def test_the_schema_is_a_draft_2020_12_json_schema():
    jsonschema.Draft202012Validator.check_schema(schema())
    assert schema()["$schema"] == "https://json-schema.org/draft/2020-12/schema"


# Keywords that mean the same in draft 7, which the YAML language server validates with (it reads a
# 2020-12 schema's $defs by their JSON pointer; beside a $ref it ignores only annotations).
DRAFT_7_ALIKE = {"$schema", "$ref", "$defs", "title", "description", "default", "type", "enum", "properties",
                 "additionalProperties", "required", "items", "minItems", "maxItems", "minimum", "maximum",
                 "exclusiveMinimum", "exclusiveMaximum", "pattern", "anyOf", "oneOf", "allOf", "if", "then", "else"}
ANNOTATIONS = {"title", "description", "default"}


def _schemas(node):
    """Every schema object inside the schema (not the mappings of property names or definitions)."""
    yield node
    for key, value in node.items():
        if key in ("properties", "$defs"):
            for sub in value.values():
                yield from _schemas(sub)
        elif key in ("items", "additionalProperties", "if", "then", "else") and isinstance(value, dict):
            yield from _schemas(value)
        elif key in ("anyOf", "oneOf", "allOf"):
            for sub in value:
                yield from _schemas(sub)


def test_the_schema_uses_only_keywords_an_editor_reads_alike_in_draft_7():
    schemas = list(_schemas(schema()))
    assert len(schemas) > 100
    assert set().union(*(set(s) for s in schemas)) <= DRAFT_7_ALIKE
    assert all(set(s) - {"$ref"} <= ANNOTATIONS for s in schemas if "$ref" in s)


@pytest.mark.parametrize("path", sorted(SPECS.glob("*.yaml")) + sorted(FIXTURES.glob("*.yaml")),
                         ids=lambda p: f"{p.parent.name}/{p.name}")
def test_every_bundled_spec_and_fixture_is_valid_to_the_validator_and_the_schema(path):
    doc = load_yaml_file(str(path))
    validate(doc, str(path))                       # every fixture is a valid spec
    assert [e.message for e in schema_errors(doc)] == []


def test_the_stand_ins_of_the_fuzz_cross_check_are_items_the_schema_accepts():
    # tests/schema_agreement.py replaces the items a mutant did not change by these (see `reduced`).
    doc = load_yaml_text(EVERY_LEVEL, "spec.yaml")
    for section, stand_in in STAND_INS.items():
        items = doc[section]
        doc_with = {**doc, section: [stand_in] * len(items) if isinstance(items, list) else {k: stand_in for k in items}}
        assert [e.message for e in schema_errors(doc_with)] == [], section


# -- every level, each kind of mistake ---------------------------------------------------------------

@dataclass(frozen=True)
class Case:
    level: str
    rule: str                # the structural rule broken (Problem.rule)
    edits: tuple             # (old, new) in every_level.yaml, each old occurring once
    field: str               # the validator's problem: its field ...
    message: str             # ... and message
    path: tuple              # where in the document (the schema reports it there)

    @property
    def id(self) -> str:
        return f"{self.level}-{self.rule}"


CASES = [
    # top
    Case("top", "key", (("variants:", "variant:"),), "variant",
         "unknown key (did you mean 'variants'?); expected one of: archcheck, name, paper, columns, input, options, "
         "choices, variants, templates, rows, claims, errata", ("variant",)),
    Case("top", "type", (("input: [3, res, res]", "input: 3x16x16"),), "input",
         "expected a list, found text ('3x16x16')", ("input",)),
    Case("top", "enum", (("archcheck: 1", "archcheck: 2"),), "archcheck",
         "expected spec language version 1, found a number (2)", ("archcheck",)),
    Case("top", "required", (("name: every_level\n", ""),), "name", "missing required field", ("name",)),
    Case("top", "range", (("input: [3, res, res]", "input: [3, res]"),), "input",
         "expected 3 entries (channels, height, width), found 2", ("input",)),
    # column
    Case("column", "key", (("tolerance: 0.01", "tolerence: 0.01"),), "columns[3].tolerence",
         "unknown key (did you mean 'tolerance'?); expected one of: name, kind, tag, measure, k, tolerance, convention, "
         "applies_to", ("columns", 3, "tolerence")),
    Case("column", "type", (("tolerance: 0.01", "tolerance: [0.01]"),), "columns[3].tolerance",
         "expected a number, found a list", ("columns", 3, "tolerance")),
    Case("column", "enum", (("{name: type, kind: label}", "{name: type, kind: lable}"),), "columns[0].kind",
         "expected one of label, patch, output_size, input_size, depth, filters, pool_proj, count, layer, block, "
         "filter_shape, type_stride, found text ('lable') (did you mean 'label'?)", ("columns", 0, "kind")),
    Case("column", "required", (("kind: filters, tag: 1x1,", "kind: filters,"),), "columns[2].tag",
         "missing required field", ("columns", 2, "tag")),
    Case("column", "range", (("tolerance: 0.01", "tolerance: 2"),), "columns[3].tolerance",
         "expected a number from 0.0 to 1.0, found 2", ("columns", 3, "tolerance")),
    # template
    Case("template", "key", (("figure: Figure 1", "figrue: Figure 1"),), "templates.mixed.figrue",
         "unknown key (did you mean 'figure'?); expected one of: merge, params, branches, layers, order, expansion, "
         "scale, activation, class_name, figure", ("templates", "mixed", "figrue")),
    Case("template", "type", (("params: [n1x1, n3x3]", "params: n1x1"),), "templates.mixed.params",
         "expected a list of names or a mapping name: default, found text ('n1x1')", ("templates", "mixed", "params")),
    Case("template", "enum", (("merge: sum", "merge: add"),), "templates.basic.merge",
         "expected one of concat, sum, residual, sequence, found text ('add')", ("templates", "basic", "merge")),
    Case("template", "required", (("    expansion: {out: in_channels, kernel: 1, act: none}\n", ""),),
         "templates.res.expansion", "missing required field (the linear 1×1 filter-expansion conv)",
         ("templates", "res", "expansion")),
    Case("template", "range", (("scale: 0.5", "scale: 11"),), "templates.res.scale",
         "expected a number in (0, 10], found 11", ("templates", "res", "scale")),
    # branch (a branch has no choice of its own: its layers have, below)
    Case("branch", "key", (("when: n3x3", "wen: n3x3"),), "templates.mixed.branches[1].wen",
         "unknown key (did you mean 'when'?); expected one of: name, layers, when", ("templates", "mixed", "branches", 1, "wen")),
    Case("branch", "type", (("layers: [{identity: {}}]", "layers: identity"),), "templates.basic.branches[1].layers",
         "expected a list, found text ('identity')", ("templates", "basic", "branches", 1, "layers")),
    Case("branch", "required", (("{name: a, layers: [{conv: {out: 8, kernel: 1}}]}", "{name: a}"),),
         "templates.res.branches[0].layers", "missing required field", ("templates", "res", "branches", 0, "layers")),
    # layer
    Case("layer", "key", (("{identity: {}}", "{identiy: {}}"),), "templates.basic.branches[1].layers[0].identiy",
         "unknown layer kind or key (did you mean 'identity'?); expected one of conv, sepconv, pool, global_pool, lrn, "
         "bn, relu, dropout, flatten, linear, identity, use", ("templates", "basic", "branches", 1, "layers", 0, "identiy")),
    Case("layer", "type", (("{conv: {out: n1x1, kernel: 1}, tag: 1x1}", "{conv: {out: n1x1, kernel: 1}, tag: [1x1]}"),),
         "templates.mixed.branches[0].layers[0].tag", "expected text, found a list",
         ("templates", "mixed", "branches", 0, "layers", 0, "tag")),
    Case("layer", "kind", (("{dropout: 0.2}", "{dropout: 0.2, relu: {}}"),), "rows[6] (fc).layers[2]",
         "expected exactly one layer kind (conv, sepconv, pool, global_pool, lrn, bn, relu, dropout, flatten, linear, "
         "identity, use), found 2", ("rows", 6, "layers", 2)),
    Case("layer", "type", (("{conv: {out: 8, kernel: 1}}", "{conv: [8, 1]}"),), "templates.res.branches[0].layers[0].conv",
         "expected a mapping of arguments, found a list", ("templates", "res", "branches", 0, "layers", 0, "conv")),
    # a layer kind's arguments
    Case("arguments", "key", (("kernel: 3, padding: same", "kernel: 3, pading: same"),),
         "templates.mixed.branches[1].layers[0].conv.pading",
         "unknown argument (did you mean 'padding'?); conv takes out, kernel, stride, padding, groups, dilation, bias, "
         "bn, act", ("templates", "mixed", "branches", 1, "layers", 0, "conv", "pading")),
    Case("arguments", "type", (("kernel: 3, padding: same", "kernel: true, padding: same"),),
         "templates.mixed.branches[1].layers[0].conv.kernel", "expected a whole number or [h, w], found a boolean (true)",
         ("templates", "mixed", "branches", 1, "layers", 0, "conv", "kernel")),
    Case("arguments", "type", (("kernel: 3, padding: same", "kernel: same, padding: same"),),
         "templates.mixed.branches[1].layers[0].conv.kernel", "expected a whole number or [h, w], found text ('same')",
         ("templates", "mixed", "branches", 1, "layers", 0, "conv", "kernel")),
    Case("arguments", "enum", (("padding: 1, act: none", "padding: 1, act: linear"),),
         "templates.basic.branches[0].layers[1].conv.act", "expected relu or none, found text ('linear')",
         ("templates", "basic", "branches", 0, "layers", 1, "conv", "act")),
    Case("arguments", "required", (("{pool: {type: avg, kernel: 2}}", "{pool: {type: avg}}"),),
         "templates.head.layers[0].pool.kernel", "missing required argument", ("templates", "head", "layers", 0, "pool", "kernel")),
    Case("arguments", "range", (("{conv: {out: 8, kernel: 1}}", "{conv: {out: 0, kernel: 1}}"),),
         "templates.res.branches[0].layers[0].conv.out", "expected a whole number from 1 to 100,000 (archcheck's limit), "
         "found 0", ("templates", "res", "branches", 0, "layers", 0, "conv", "out")),
    Case("arguments", "range", (("{dropout: 0.2}", "{dropout: 1.5}"),), "rows[6] (fc).layers[2].dropout.p",
         "expected a rate from 0 to below 1, found 1.5", ("rows", 6, "layers", 2, "dropout")),
    Case("arguments", "type", (("args: {n1x1: 4, n3x3: 4}", "args: [4, 4]"),), "templates.head.layers[1].use.args",
         "expected a mapping of template arguments, found a list", ("templates", "head", "layers", 1, "use", "args")),
    Case("arguments", "required", (("{use: {template: mixed, args: {n1x1: 4, n3x3: 4}}}", "{use: {args: {n1x1: 4, n3x3: 4}}}"),),
         "templates.head.layers[1].use.template", "missing required argument",
         ("templates", "head", "layers", 1, "use", "template")),
    # row
    Case("row", "key", (('source: "Figure 2', 'sourse: "Figure 2'),), "rows[4] (res1).sourse",
         "unknown key (did you mean 'source'?); expected one of: name, paper, template, args, layers, when, aux, virtual, "
         "absent, paper_row, transition, source, repeat, applies_to", ("rows", 4, "sourse")),
    Case("row", "type", (("virtual: true", "virtual: yes please"),), "rows[7] (softmax).virtual",
         "expected true or false, found text ('yes please')", ("rows", 7, "virtual")),
    Case("row", "required", (("  - name: res1\n    template: res", "  - template: res"),), "rows[4].name",
         "missing required field", ("rows", 4, "name")),
    Case("row", "range", (("repeat: blocks", "repeat: 0"),), "rows[3] (block).repeat",
         "expected a repeat count from 1 to 250,000, found 0", ("rows", 3, "repeat")),
    Case("row", "type", (("args: {n1x1: 8, n3x3: 8}", "args: {n1x1: {a: 8}, n3x3: 8}"),), "rows[1] (mixed_1).args.n1x1",
         "expected a number, a name or true/false, found a mapping", ("rows", 1, "args", "n1x1")),
    # a printed cell with the builds it describes
    Case("cell", "key", (("{printed: 16×16×16, applies_to: {res: 16}}", "{printed: 16×16×16, applys_to: {res: 16}}"),),
         "rows[1] (mixed_1).paper[output size].applys_to",
         "unknown key (did you mean 'applies_to'?); expected one of: printed, applies_to",
         ("rows", 1, "paper", 1, "applys_to")),
    Case("cell", "type", (("{printed: 16×16×16, applies_to: {res: 16}}", "{printed: [16×16×16], applies_to: {res: 16}}"),),
         "rows[1] (mixed_1).paper[output size].printed", "expected the cell as printed (text), found a list",
         ("rows", 1, "paper", 1, "printed")),
    Case("cell", "required", (("{printed: 16×16×16, applies_to: {res: 16}}", "{applies_to: {res: 16}}"),),
         "rows[1] (mixed_1).paper[output size].printed", "missing required field (the cell as printed)",
         ("rows", 1, "paper", 1, "printed")),
    # claim
    Case("claim", "key", (("where: Section 1", "were: Section 1"),), "claims[0].were",
         "unknown key (did you mean 'where'?); expected one of: id, text, where, quantity, value, relation, tolerance, "
         "applies_to, count_depthwise", ("claims", 0, "were")),
    Case("claim", "type", (("count_depthwise: false", 'count_depthwise: "no"'),), "claims[0].count_depthwise",
         "expected true or false, found text ('no')", ("claims", 0, "count_depthwise")),
    Case("claim", "enum", (("quantity: depth", "quantity: layers"),), "claims[0].quantity",
         "expected one of params, params_without_aux, weights, macs, macs_with_aux, depth, found text ('layers')",
         ("claims", 0, "quantity")),
    Case("claim", "required", (('value: "10", ', ""),), "claims[0].value", "missing required field", ("claims", 0, "value")),
    # erratum (an erratum has no choice of its own)
    Case("erratum", "key", (("followed_by: every build", "folowed_by: every build"),), "errata[0].folowed_by",
         "unknown key (did you mean 'followed_by'?); expected one of: id, row, field, claim, printed, expected, "
         "arithmetic, applies_to, explanation, source, followed_by, text, where", ("errata", 0, "folowed_by")),
    Case("erratum", "type", (("expected: 216", "expected: [216]"),), "errata[0].expected",
         "expected the value the arithmetic gives (a number or a cell as it should read), found a list",
         ("errata", 0, "expected")),
    Case("erratum", "required", (("row: conv1, field: params,", "row: conv1,"),), "errata[0].field",
         "missing required field (the column name the erratum is about)", ("errata", 0, "field")),
    Case("erratum", "required", (('arithmetic: "2 + 1 = 3",\n', "\n"),), "errata[1].arithmetic", "missing required field",
         ("errata", 1, "arithmetic")),
    # variant (a variant has no choice of its own)
    Case("variant", "key", (("description: twice", "descripton: twice"),), "variants.wide.descripton",
         "unknown key (did you mean 'description'?); expected one of: description, set", ("variants", "wide", "descripton")),
    Case("variant", "type", (("set: {width: 16}", "set: width=16"),), "variants.wide.set",
         "expected a mapping, found text ('width=16')", ("variants", "wide", "set")),
    Case("variant", "required", (("wide: {description: twice the width, set: {width: 16}}", "wide: {description: twice the width}"),),
         "variants.wide.set", "missing required field", ("variants", "wide", "set")),
    # options
    Case("options", "type", (("width: 8,", "width: {a: 8},"),), "options.width",
         "expected a scalar or a list of names, found a mapping", ("options", "width")),
]

# The levels and their declarations: every level is given each kind of mistake its declaration can have.
LEVELS = {"top": L.SPEC, "column": L.COLUMN, "template": L.TEMPLATE, "branch": L.BRANCH, "layer": L.LAYERS,
          "row": L.ROW, "cell": next(a for a in L.CELL.alternatives if isinstance(a, L.Mapping)),
          "claim": L.CLAIM, "erratum": L.ERRATUM, "variant": L.VARIANT}


def _edited(case: Case) -> str:
    text = EVERY_LEVEL
    for old, new in case.edits:
        assert text.count(old) == 1, f"{case.id}: {old!r} must occur once in every_level.yaml"
        text = text.replace(old, new)
    return text


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.id)
def test_a_structural_mistake_is_refused_by_the_validator_and_the_schema(case):
    doc = load_yaml_text(_edited(case), "spec.yaml")
    with pytest.raises(SpecError) as refused:
        validate(doc, "spec.yaml")
    problems = refused.value.problems
    mine = [p for p in problems if p.field == case.field and p.rule == case.rule]
    assert [p.message for p in mine] == [case.message], [str(p) for p in problems]
    assert mine[0].path == case.path
    errors = schema_errors(doc)
    place = case.path[:-1] if case.rule in ("key", "required") else case.path
    assert any(tuple(e.absolute_path)[:len(place)] == place for e in errors), [e.message for e in errors]
    found = agreement(doc, problems)
    assert found.ok and found.matched == found.structural, found


def test_every_level_is_given_every_kind_of_mistake_its_declaration_can_have():
    for level, declared in LEVELS.items():
        fields = declared.fields if isinstance(declared, L.Mapping) else declared.common
        kinds = {"key", "type"}
        kinds |= {"required"} if any(f.required for f in fields.values()) else set()
        kinds |= {"enum"} if any(isinstance(f.type, L.Choice) for f in fields.values()) else set()
        kinds |= {"kind"} if isinstance(declared, L.Kinds) else set()
        assert kinds <= {c.rule for c in CASES if c.level == level}, level
    arguments = [f for args in L.LAYERS.kinds.values() for f in args.fields.values()]
    assert any(isinstance(f.type, L.Choice) for f in arguments)
    assert {"key", "type", "enum", "required", "range"} <= {c.rule for c in CASES if c.level == "arguments"}
    assert {c.rule for c in CASES} == set(STRUCTURAL_RULES)


# -- the declarations keep the promises the checker and the generator rely on ---------------------------

def _declared_types():
    seen, todo = [], [L.SPEC]
    while todo:
        t = todo.pop()
        if any(t is s for s in seen):
            continue
        seen.append(t)
        if isinstance(t, L.Mapping):
            todo += [f.type for f in t.fields.values()]
        elif isinstance(t, L.Kinds):
            todo += list(t.kinds.values()) + [f.type for f in t.common.values()]
        elif isinstance(t, L.OrArguments):
            todo.append(t.kinds)
        elif isinstance(t, (L.MapOf,)):
            todo.append(t.values)
        elif isinstance(t, L.Seq):
            todo.append(t.items)
        elif isinstance(t, L.Union):
            todo += list(t.alternatives)
    return seen


def test_a_union_tells_its_alternatives_apart_by_the_kind_of_value():
    unions = [t for t in _declared_types() if isinstance(t, L.Union)]
    assert len(unions) >= 5
    for union in unions:
        kinds = [accepted(a) for a in union.alternatives]
        assert sum(len(k) for k in kinds) == len(frozenset().union(*kinds)), union.noun


def test_a_kind_written_short_has_no_other_required_argument():
    for kind, args in L.LAYERS.kinds.items():
        if args.shorthand:
            assert [k for k, f in args.fields.items() if f.required and k != args.shorthand] == [], kind


def test_a_conditional_requirement_names_a_sibling_key():
    for t in _declared_types():
        if isinstance(t, L.Mapping):
            for f in t.fields.values():
                if isinstance(f.required, L.When):
                    assert f.required.key in t.fields


# -- archcheck schema -----------------------------------------------------------------------------------

def test_archcheck_schema_prints_the_schema(cli):
    code, out, err = cli("schema")
    assert (code, err) == (0, "") and out == schema_text()
    assert json.loads(out) == schema()


def test_the_repository_copy_is_current(cli):
    # .ci/run runs the same check; regenerate with `archcheck schema -o specs/archcheck.schema.json`.
    assert cli("schema", "--check", str(SCHEMA_FILE)) == (0, "", "")
    assert SCHEMA_FILE.read_text(encoding="utf-8") == schema_text()


def test_check_of_a_stale_copy_prints_a_diff_and_exits_1(cli, tmp_path):
    stale = tmp_path / "archcheck.schema.json"
    stale.write_text(schema_text().replace('"title": "archcheck spec"', '"title": "old"'), encoding="utf-8")
    code, out, err = cli("schema", "--check", str(stale))
    assert code == 1
    assert out.startswith(f"--- {stale} (current)\n+++ {stale} (regenerated)\n")
    assert '-  "title": "old",\n+  "title": "archcheck spec",\n' in out
    assert err == f"archcheck: 1 file(s) are not current; regenerate it with `archcheck schema -o {stale}`\n"
    assert "old" in stale.read_text(encoding="utf-8")          # --check writes nothing


@pytest.mark.parametrize("make, message", [
    (lambda p: None, "no such file"),
    (lambda p: p.mkdir(), "cannot read: Is a directory"),
    (lambda p: p.write_bytes(b"{\xff}"), "cannot read: not UTF-8 text"),
])
def test_check_of_an_unreadable_file_is_exit_2(cli, tmp_path, make, message):
    path = tmp_path / "schema.json"
    make(path)
    assert cli("schema", "--check", str(path)) == (2, "", f"archcheck: error: {path}: {message}\n")


def test_output_writes_the_same_bytes_on_every_run_whatever_the_hash_seed(cli, tmp_path):
    first = tmp_path / "a.json"
    assert cli("schema", "-o", str(first)) == (0, "", "")
    assert first.read_text(encoding="utf-8") == schema_text()
    for seed in ("0", "12345"):
        done = subprocess.run([sys.executable, "-m", "archcheck", "schema"], cwd=ROOT, capture_output=True,
                              timeout=120, env={**os.environ, "PYTHONHASHSEED": seed, "PYTHONIOENCODING": "utf-8"})
        assert done.returncode == 0 and done.stdout == first.read_bytes()


def test_an_ascii_terminal_gets_the_same_schema_as_json_escapes():
    done = subprocess.run([sys.executable, "-m", "archcheck", "schema"], cwd=ROOT, capture_output=True, timeout=120,
                          env={**os.environ, "PYTHONIOENCODING": "ascii"})
    assert done.returncode == 0 and done.stdout.isascii()
    assert json.loads(done.stdout) == schema()


def test_schema_does_not_import_torch(tmp_path):
    assert probe("schema", "-o", str(tmp_path / "s.json")).startswith("exit 0 imported ")
    assert "torch" not in probe("schema", "-o", str(tmp_path / "s.json"))


def test_the_schema_is_not_a_spec():
    # `archcheck list`, the bundling (setup.py) and `archcheck report` take specs/*.yaml only.
    assert SCHEMA_FILE.exists() and SCHEMA_FILE.stem not in bundled.paths()
