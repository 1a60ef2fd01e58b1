"""`choices`: the values an option that names a build may take. A value outside them is an error
(exit 2) wherever it comes from, --set or a variant, instead of a network built some other way and
judged as if it were the one asked for (`--set depth=77` used to build ResNet-50 and PASS)."""
from __future__ import annotations

import pytest

from archcheck.errors import SpecError
from archcheck.spec import load_spec, load_spec_text

from .conftest import FIXTURES

TINY = (FIXTURES / "tiny.yaml").read_text(encoding="utf-8")
WITH_CHOICES = TINY.replace("options: {num_classes: 10, batch_norm: false, conv_bias: true}",
                            "options: {num_classes: 10, batch_norm: false, conv_bias: true, head: fc}\n"
                            "choices:\n  head: [fc, conv]")


def test_the_fixture_declares_a_choice():
    assert WITH_CHOICES != TINY
    assert load_spec_text(WITH_CHOICES, "t.yaml").choices == {"head": ("fc", "conv")}
    assert load_spec_text(WITH_CHOICES, "t.yaml", sets=["head=conv"]).options["head"] == "conv"


def test_a_set_value_outside_the_choices_is_refused():
    with pytest.raises(SpecError, match=r"head: expected one of fc, conv \(the spec's choices\), found 'cnv'"):
        load_spec_text(WITH_CHOICES, "t.yaml", sets=["head=cnv"])


@pytest.mark.parametrize("edit, message", [
    ("choices:\n  head: [fc, conv]", "choices:\n  head: [linear, conv]"),
    ("choices:\n  head: [fc, conv]", "choices:\n  heads: [fc, conv]"),
    ("choices:\n  head: [fc, conv]", "choices:\n  head: [fc, conv]\nvariants:\n  v: {set: {head: mlp}}"),
    ("choices:\n  head: [fc, conv]", "choices:\n  head: [fc]"),
])
def test_choices_are_checked_where_they_are_written(edit, message):
    text = WITH_CHOICES.replace(edit, message)
    with pytest.raises(SpecError) as info:
        load_spec_text(text, "t.yaml")
    problem = info.value.problems[0]
    assert problem.line is not None       # a position in the file, as every spec error has
    assert any(word in str(problem) for word in ("not one of its choices", "unknown option 'heads'",
                                                  "expected one of fc, conv", "at least 2"))


@pytest.mark.parametrize("spec, key, bad", [("resnet", "depth", "77"), ("googlenet", "first_conv", "sparse"),
                                            ("resnet", "bottleneck_stride", "3x4"), ("vgg", "config", "F"),
                                            ("densenet", "depth", "100")])
def test_bundled_specs_refuse_a_build_they_do_not_declare(cli, spec, key, bad):
    code, out, err = cli("verify", spec, "--set", f"{key}={bad}")
    assert (code, out) == (2, "") and f"--set: {key}: expected one of " in err
    # every declared value builds
    for value in load_spec(spec).choices[key]:
        assert load_spec(spec, sets=[f"{key}={value}"]).options[key] == value
