"""Spec loading: YAML file -> validated Spec -> Spec with the chosen variant and --set applied."""
from __future__ import annotations

from .bundled import locate
from .model import Spec
from .options import apply_settings
from .validate import validate
from .yamlload import load_yaml_file, load_yaml_text


def load_spec(path: str, variant: str | None = None, sets=()) -> Spec:
    """Load, validate and configure a spec (a path, or a bundled spec's name such as "googlenet");
    raises SpecError (exit 2) with file:line problems."""
    path = locate(path)
    return apply_settings(validate(load_yaml_file(path), path), variant, sets)


def load_spec_text(text: str, path: str = "<spec>", variant: str | None = None, sets=()) -> Spec:
    return apply_settings(validate(load_yaml_text(text, path), path), variant, sets)


__all__ = ["Spec", "load_spec", "load_spec_text", "locate"]
