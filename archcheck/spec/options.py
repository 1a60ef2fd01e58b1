"""Build options without copying the file: `--variant NAME` and `--set key=value`.

A variant is a named set of overrides declared in the spec; `--set` overrides apply after it, in the
order given. A key is an option (`num_classes`) or a row's structural value (`inception_3a.n5x5`).
"""
from __future__ import annotations

import dataclasses

from ..errors import Problem, SpecError
from .model import Spec
from .validate import input_shape, setting_problem, setting_value_problem
from .yamlload import load_value


def parse_setting(text: str, origin: str = "--set") -> tuple[str, object]:
    """'key=value' -> (key, value), the value read as the same text in a spec would be."""
    key, sep, raw = text.partition("=")
    key = key.strip()
    if not sep or not key:
        raise SpecError([Problem(origin, None, None, "", f"expected key=value, found {text!r}")])
    value = load_value(raw, origin, key)
    if isinstance(value, list):
        value = list(value)
    return key, value     # its kind and range are checked with the key (setting_value_problem)


def apply_settings(spec: Spec, variant: str | None = None, sets: list[str] | tuple = ()) -> Spec:
    """Return a copy of `spec` with the variant's and then each --set's overrides applied."""
    pairs: list[tuple[str, object, str]] = []
    if variant:
        if variant not in spec.variants:
            names = ", ".join(spec.variants) or "none declared"
            raise SpecError([Problem(spec.path, None, None, "--variant",
                                     f"unknown variant {variant!r}; this spec's variants: {names}")])
        pairs += [(k, v, f"variant {variant}") for k, v in spec.variants[variant].set.items()]
    for text in sets:
        key, value = parse_setting(text)
        pairs.append((key, value, "--set"))

    options = dict(spec.options)
    row_args: dict[str, dict] = {}
    for key, value, origin in pairs:
        problem = (setting_problem(key, spec.options, spec.rows, spec.templates)
                   or setting_value_problem(key, value, spec.options, spec.choices))
        if problem:
            raise SpecError([Problem(spec.path if origin != "--set" else "--set", None, None, key, problem)])
        if "." in key:
            row, arg = key.split(".", 1)
            row_args.setdefault(row, {})[arg] = value
        else:
            options[key] = value
    rows = tuple(dataclasses.replace(r, args={**r.args, **row_args[r.name]}) if r.name in row_args else r
                 for r in spec.rows)
    shape, problem = input_shape(spec.input_raw, options) if spec.input_raw else (spec.input, None)
    if problem:
        raise SpecError([Problem(spec.path, *spec.input_line, "input", problem)])
    out = dataclasses.replace(spec, options=options, rows=rows, input=shape)
    out.settings = [(k, v) for k, v, _ in pairs]
    out.variant = variant
    out.sets = tuple(sets)
    out.declared = spec          # other builds of the same spec (subject/closest.py) start from here
    return out
