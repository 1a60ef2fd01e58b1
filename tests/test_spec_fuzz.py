"""Property: no spec, however broken, crashes archcheck (issue 8).

Each bundled spec (specs/*.yaml, globbed when the tests are collected) is mutated the ways hand
transcriptions go wrong: fields deleted, retyped, negated, enlarged, duplicated, renamed, swapped with
other values of the spec; text truncated, random bytes inserted, lines moved, YAML aliases and tags
added; `--set`/`--variant` given odd keys and values (tests/spec_mutations.py). Every mutant runs the
whole CLI in-process, `archcheck verify` from parsing to the report, and must end with exit 0 or 1
and a report, or exit 2 and one `archcheck: error:` line per problem with nothing written.

An internal error is exit 3 (cli.main turns any other exception into it), and an exception escaping
main fails the test too, so neither a traceback nor a blanket `except` can pass. The alarm only
guards against hangs: it raises through everything and fails the run; the test states no timings.

Every mutant that parses is also checked against the JSON Schema (`archcheck schema`): a mutant the
schema refuses, the validator refused too, and every structural problem the validator reported
(unknown key, wrong type, value outside its choices or bounds, missing required key) the schema
reported at the same place (tests/schema_agreement.py). The validator's own verdict is taken from the
CLI's run, not recomputed.
"""
from __future__ import annotations

import contextlib
import functools
import os
import re
import signal

from hypothesis import HealthCheck, Phase, event, given, settings
from hypothesis import strategies as st

import archcheck.spec
from archcheck.errors import SpecError
from archcheck.spec.yamlload import load_yaml_text

from .conftest import FIXTURES, LANGUAGE_FIXTURES, SPECS, run_cli
from .schema_agreement import Agreement, agreement
from .spec_mutations import mutate_spec

# The bundled specs, and the fixtures of the constructs no bundled spec uses yet.
SPEC_TEXTS = {p.name: p.read_text(encoding="utf-8")
              for p in sorted(SPECS.glob("*.yaml")) + [FIXTURES / name for name in LANGUAGE_FIXTURES]}
MUTANTS = int(os.environ.get("ARCHCHECK_FUZZ_MUTANTS", "2000"))   # the issue asks for >= 2,000 per CI run
HANG_SECONDS = 120


class Hang(BaseException):
    """Raised by the alarm; a BaseException, so no `except Exception` in archcheck can swallow it."""


@contextlib.contextmanager
def hang_guard(seconds: int):
    def on_alarm(signum, frame):
        raise Hang(f"no answer after {seconds} s")

    previous = signal.signal(signal.SIGALRM, on_alarm)
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)


def check_mutant(data: bytes, extra: list[str], fmt: str, write: bool, tmp) -> str:
    """Run one mutant; return how it ended: 'verdict', or refused while parsing ('yaml'), validating
    ('invalid') or building ('unbuildable': the builder names rows as 'rows (name)', the validator as
    'rows[i] (name)')."""
    spec, report = tmp / "spec.yaml", tmp / "report.out"
    spec.write_bytes(data)
    report.unlink(missing_ok=True)
    argv = ["verify", str(spec), "--format", fmt, *extra] + (["--output", str(report)] if write else [])
    with hang_guard(HANG_SECONDS):
        code, out, err = run_cli(*argv)
    context = f"archcheck {' '.join(argv)}\n--- stderr:\n{err[-3000:]}"
    assert code in (0, 1, 2), context
    assert "Traceback" not in err and "internal error" not in err, context
    if code == 2:
        lines = err.splitlines()
        assert lines and all(line.startswith("archcheck: error: ") and len(line) > 30 for line in lines), context
        assert out == "" and not report.exists(), "bad input must write nothing\n" + context
        if any(marker in err for marker in _PARSE_ERRORS):
            return "yaml"
        return "unbuildable" if re.search(r"^archcheck: error: [^ ]+:\d+:\d+: rows \(", err, re.M) else "invalid"
    assert (report.read_text(encoding="utf-8") if write else out).strip(), "no report\n" + context
    return "verdict"


_PARSE_ERRORS = ("YAML", "UTF-8", "the file is empty")


@functools.lru_cache(maxsize=None)
def base_doc(name: str):
    """A bundled spec or fixture as the loader reads it (the schema accepts it: test_schema.py)."""
    return load_yaml_text(SPEC_TEXTS[name], name)


class ValidatorSpy:
    """Stands in for archcheck.spec's `validate` and keeps what the CLI's run gave it and what it said:
    (the loaded document, its problems or None when it was accepted)."""

    def __init__(self, validate):
        self.validate = validate
        self.seen = None

    def __call__(self, doc, path):
        self.seen = (doc, None)
        try:
            return self.validate(doc, path)
        except SpecError as exc:
            self.seen = (doc, exc.problems)
            raise


def test_mutated_specs_end_in_a_verdict_or_a_clear_error(tmp_path, monkeypatch):
    assert SPEC_TEXTS, "no bundled specs found in specs/"
    ran, agreed = [], []
    spy = ValidatorSpy(archcheck.spec.validate)
    monkeypatch.setattr(archcheck.spec, "validate", spy)

    @settings(max_examples=MUTANTS, deadline=None, derandomize=True, database=None,
              phases=(Phase.explicit, Phase.generate, Phase.shrink),
              suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
    @given(name=st.sampled_from(sorted(SPEC_TEXTS)), rnd=st.randoms(use_true_random=False),
           fmt=st.sampled_from(["text", "json", "markdown"]), write=st.booleans())
    def run(name, rnd, fmt, write):
        data, extra, done = mutate_spec(SPEC_TEXTS[name], rnd)
        spy.seen = None
        ending = check_mutant(data, extra, fmt, write, tmp_path)
        ran.append(ending)
        if spy.seen is not None:      # the mutant parsed: the schema must agree with the validator
            found = agreement(*spy.seen, base=base_doc(name))
            assert found.ok, f"the schema disagrees with the validator on {name} after {done}: {found}"
            agreed.append(found)
        event(ending)
        for what in done:
            event(what.split()[0])

    run()
    assert len(ran) >= MUTANTS
    # Most mutants must get past parsing: a fuzz test that only ever met YAML syntax errors would
    # say nothing about validation or the builder; some must reach the builder, and some a verdict.
    # (In a run of 2,000: about 18% yaml, 58% invalid, 3% unbuildable, 21% verdict.)
    endings = {e: ran.count(e) for e in ("yaml", "invalid", "unbuildable", "verdict")}
    assert endings["yaml"] < len(ran) // 4, endings
    assert endings["unbuildable"] > len(ran) // 100 and endings["verdict"] > len(ran) // 10, endings
    # The cross-check must have met both verdicts of the schema and many structural problems.
    # (In a run of 2,000: see the totals printed with -s, or the report.)
    totals = _totals(agreed)
    print(f"\nschema cross-check: {totals}")
    assert totals["parsed"] > len(ran) // 2, totals
    assert totals["schema refused"] > len(ran) // 4 and totals["schema accepted"] > len(ran) // 10, totals
    assert totals["structural problems"] > len(ran) // 4, totals


def _totals(agreed: list[Agreement]) -> dict:
    return {"parsed": len(agreed),
            "schema refused": sum(a.schema_refuses is True for a in agreed),
            "schema accepted": sum(a.schema_refuses is False for a in agreed),
            "validator refused": sum(a.validator_refuses for a in agreed),
            "refused by other checks alone (schema not asked)": sum(a.schema_refuses is None for a in agreed),
            "structural problems": sum(a.structural for a in agreed),
            "matched by the schema": sum(a.matched for a in agreed),
            "whole-valued floats (JSON's one number)": sum(a.json_number for a in agreed)}
