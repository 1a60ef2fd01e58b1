"""archcheck: check neural-network architectures against the papers that define them.

Public API (torch is imported on first use, not on `import archcheck`):

    import archcheck
    spec = archcheck.load_spec("googlenet", sets=["num_classes=10"])   # a bundled name or a path
    model = archcheck.build_model(spec)     # a trainable nn.Module, rows as named submodules
    report = archcheck.verify(spec)         # paper vs measured: report.ok, report.findings, report.to_text()
    report = archcheck.verify_model("googlenet", MyGoogLeNet())        # your model against the spec's build
    archcheck.assert_matches("googlenet", MyGoogLeNet)                 # in your tests: AssertionError if not
    s = archcheck.summary(MyNet, (3, 32, 32))   # s.total_params, s.macs, s.rows, s.to_markdown(), s.to_json()
"""
from __future__ import annotations

__version__ = "0.1.0"


def load_spec(path, variant=None, sets=()):
    """A spec by bundled name ("googlenet") or path, with a declared variant and --set overrides applied."""
    from .spec import load_spec as _load
    return _load(path, variant, sets)


def build_model(spec, device=None):
    from .build import build_model as _build
    return _build(spec, device)


def verify(spec, strict=False):
    # The pipeline lives in archcheck.pipeline, not archcheck.verify: a submodule of that name
    # would replace this function as an attribute of the package once imported.
    from .pipeline import verify as _verify
    return _verify(_spec(spec, None, ()), strict)


def verify_model(spec, model=None, model_args=None, strict=False, variant=None, sets=(), input_size=None, *,
                 ref=None):
    """Check your own model against the network the spec describes; returns a Report (`.ok`, `.findings`,
    `.to_text()`, `.to_markdown()`, `.to_json()`, as `archcheck verify SPEC --model` prints them).

    spec: a bundled name ("googlenet"), a path, or a loaded Spec (`variant` and `sets` only with a name or
    a path). model: an nn.Module object, an nn.Module class or a factory (called with `model_args` on the
    meta device), or a REF string "path/to/file.py:Name" / "package.module:Name" (`ref=` is the same).
    An object is traced in training mode, so auxiliary heads run and its own hooks fire as in any
    forward, with meta copies of its parameters and buffers, and is left exactly as it was: tensors,
    requires_grad, training modes and device. input_size: the C, H, W the model is traced at (default:
    the spec's input). When the model fails, `report.closest_build` names the declared build it fits best
    (`.variant`, `.sets`, `.mismatches`; `.is_asked` when that is the build checked); None when it passes.
    Raises SpecError or ModelError (archcheck.errors.InputError) when the spec or the model cannot be used."""
    if ref is not None:
        if model is not None:
            raise TypeError("verify_model() takes the model once: as `model` or as `ref`")
        model = ref
    if model is None:
        raise TypeError("verify_model() needs the model to check (an nn.Module, a class, a factory or a REF)")
    from .subject import verify_model as _verify_model
    return _verify_model(_spec(spec, variant, sets), model, model_args, strict, input_size)


def assert_matches(spec, model=None, model_args=None, strict=False, variant=None, sets=(), input_size=None, *,
                   ref=None):
    """verify_model(...), raising AssertionError whose message is the text report when the model does not
    match (the exit code `archcheck verify` would give is 1). Returns the Report when it does."""
    report = verify_model(spec, model, model_args, strict, variant, sets, input_size, ref=ref)
    if not report.ok:
        raise AssertionError(report.to_text())
    return report


def summary(model, input_size, model_args=None, max_depth=None, columns=None):
    """The torchsummary-style summary of your own model, as `archcheck summary --model REF --input C×H×W`
    prints it: `model` an nn.Module object, class, factory or REF string, traced in training mode (auxiliary
    heads run) on one input of `input_size` (C, H, W; a leading batch of 1 accepted), without weight memory.

    Returns a Summary: `.total_params`, `.trainable_params`, `.non_trainable_params`, `.aux_params`, `.macs`
    (multiply-adds per image on the main path, the output with the longest weight-layer path), `.totals`,
    `.rows` (SummaryRow: name, type, input_shapes, output_shapes, params, macs, kernel), `.to_markdown()`,
    `.to_text()`, `.to_json()`. `max_depth` and `columns` are the command's --max-depth and --columns
    (default: every layer; output_size and num_params)."""
    from .summarize import summary as _summary
    return _summary(model, input_size, model_args, max_depth, columns)


def _spec(spec, variant, sets):
    from .spec import Spec, load_spec as _load
    if isinstance(spec, Spec):
        if variant is not None or tuple(sets):
            from .errors import InputError
            raise InputError("variant and sets apply when a spec is loaded: give the spec's name or path, or "
                             "load it with archcheck.load_spec(path, variant, sets)")
        return spec
    return _load(spec, variant, sets)


__all__ = ["load_spec", "build_model", "verify", "verify_model", "assert_matches", "summary", "__version__"]
