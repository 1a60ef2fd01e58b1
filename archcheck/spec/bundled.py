"""The specs that ship with archcheck, and how a command-line SPEC names one.

The repository's specs/ folder is the only copy kept by hand; a wheel carries it as archcheck/specs/
(see setup.py). Run from a source checkout (or an editable install), the bundled specs are that
folder itself.
"""
from __future__ import annotations

import os
from pathlib import Path

from ..errors import Problem, SpecError

_PACKAGE = Path(__file__).resolve().parent.parent          # archcheck/


def directory() -> Path | None:
    """Where the bundled specs are: inside the installed package, else the checkout's specs/."""
    for candidate in (_PACKAGE / "specs", _PACKAGE.parent / "specs"):
        if candidate.is_dir() and any(candidate.glob("*.yaml")):
            return candidate
    return None


def paths() -> dict[str, str]:
    """Bundled spec name (the file name without .yaml) -> its path, sorted by name."""
    folder = directory()
    if folder is None:
        return {}
    return {p.stem: str(p) for p in sorted(folder.glob("*.yaml"))}


def locate(spec: str) -> str:
    """A SPEC argument -> the file to read. An existing path wins; otherwise a plain name (no folder, no
    .yaml) is a bundled spec's name. An unknown name is bad input that lists the names."""
    if os.path.exists(spec):
        return spec
    looks_like_a_path = os.sep in spec or "/" in spec or spec.endswith((".yaml", ".yml"))
    if looks_like_a_path:
        return spec            # reading it says "no such file"
    known = paths()
    if spec in known:
        return known[spec]
    from .structure import suggest as suggestion

    listed = ", ".join(known) or "none installed"
    raise SpecError([Problem(spec, None, None, "", f"no such file, nor a bundled spec of that name"
                                                   f"{suggestion(spec, known)}; bundled specs: {listed}")])
