"""archcheck: check neural-network architectures against the papers that define them.

Public API (torch is imported on first use, not on `import archcheck`):

    from archcheck import load_spec, build_model, verify
    spec = load_spec("specs/googlenet.yaml", sets=["num_classes=10"])
    model = build_model(spec)            # a trainable nn.Module, rows as named submodules
    report = verify(spec)                # paper vs measured; report.verdict, report.findings
"""
from __future__ import annotations

__version__ = "0.1.0"


def load_spec(path, variant=None, sets=()):
    from .spec import load_spec as _load
    return _load(path, variant, sets)


def build_model(spec, device=None):
    from .build import build_model as _build
    return _build(spec, device)


def verify(spec, strict=False):
    # The pipeline lives in archcheck.pipeline, not archcheck.verify: a submodule of that name
    # would replace this function as an attribute of the package once imported.
    from .pipeline import verify as _verify
    return _verify(spec, strict)


def verify_model(spec, ref, model_args=None, strict=False):
    """Check your own model (`path/to/file.py:Name` or `package.module:Name`) against the spec's build."""
    from .subject import verify_model as _verify_model
    return _verify_model(spec, ref, model_args, strict)


__all__ = ["load_spec", "build_model", "verify", "verify_model", "__version__"]
