"""Build options without copying the file: `--variant NAME` and `--set key=value`.

A variant is a named set of overrides declared in the spec; `--set` overrides apply after it, in the
order given. A key is an option (`num_classes`) or a row's structural value (`inception_3a.n5x5`).
"""
from __future__ import annotations

import dataclasses

import yaml

from ..errors import Problem, SpecError
from .model import Spec
from .validate import MAX_CHANNELS, setting_problem


def parse_setting(text: str, origin: str = "--set") -> tuple[str, object]:
    """'key=value' -> (key, YAML scalar value)."""
    key, sep, raw = text.partition("=")
    key = key.strip()
    if not sep or not key:
        raise SpecError([Problem(origin, None, None, "", f"expected key=value, found {text!r}")])
    try:
        value = yaml.safe_load(raw) if raw.strip() else ""
    except yaml.YAMLError:
        raise SpecError([Problem(origin, None, None, key, f"cannot read the value {raw!r} as a YAML scalar")]) from None
    if isinstance(value, dict) or (isinstance(value, list) and not all(isinstance(v, (str, int)) for v in value)):
        raise SpecError([Problem(origin, None, None, key, f"expected a scalar value or a list of names, found {raw!r}")])
    if isinstance(value, int) and not isinstance(value, bool) and not 0 <= value <= MAX_CHANNELS:
        raise SpecError([Problem(origin, None, None, key,
                                 f"expected a value from 0 to {MAX_CHANNELS:,} (archcheck's limit), found {value}")])
    return key, value


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
        problem = setting_problem(key, spec.options, spec.rows, spec.templates)
        if problem:
            raise SpecError([Problem(spec.path if origin != "--set" else "--set", None, None, key, problem)])
        if "." in key:
            row, arg = key.split(".", 1)
            row_args.setdefault(row, {})[arg] = value
        else:
            options[key] = value
    rows = tuple(dataclasses.replace(r, args={**r.args, **row_args[r.name]}) if r.name in row_args else r
                 for r in spec.rows)
    out = dataclasses.replace(spec, options=options, rows=rows)
    out.settings = [(k, v) for k, v, _ in pairs]
    out.variant = variant
    return out
