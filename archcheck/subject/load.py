"""`--model REF`: someone's own nn.Module, imported and constructed without weight memory, then traced once.

REF is `path/to/file.py:Name` or `package.module:Name`; Name is a class or a factory function, called
with the `--model-arg key=value` pairs (values read as YAML scalars). The call runs under
`torch.device("meta")`, so parameters get shapes but no storage: a model of billions of parameters
costs no memory. Every way this can fail is the user's input, not archcheck's bug: it becomes one
ModelError line (exit 2), with the user's own traceback kept for `--debug`.
"""
from __future__ import annotations

import importlib
import importlib.util
import os
import re
import sys

from dataclasses import dataclass

import yaml

from ..errors import InputError, ModelError, Problem

_MODULE_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*$")
_KEY = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


def parse_model_args(items) -> dict:
    """['num_classes=10', 'aux_logits=false'] -> {'num_classes': 10, 'aux_logits': False}."""
    out = {}
    for text in items or ():
        key, sep, raw = text.partition("=")
        key = key.strip()
        if not sep or not _KEY.match(key):
            raise _arg_error("", f"expected key=value with a Python name as key, found {text!r}")
        try:
            value = yaml.safe_load(raw) if raw.strip() else ""
        except yaml.YAMLError:
            raise _arg_error(key, f"cannot read {raw!r} as a YAML scalar") from None
        if isinstance(value, (dict, list)):
            raise _arg_error(key, f"expected a scalar (number, true/false, text), found {raw!r}")
        out[key] = value
    return out




def parse_input_size(text: str) -> tuple[int, ...]:
    """`--input`: '3×32×32', '3x32x32' or '3,32,32' (a leading batch of 1 accepted) -> (3, 32, 32)."""
    parts = re.split(r"\s*[×xX,]\s*", text.strip())
    if not all(p.isdigit() for p in parts):
        raise _input_error("--input", f"expected C×H×W (3×32×32, 3x32x32 or 3,32,32), found {text!r}")
    return as_input_size(tuple(int(p) for p in parts), repr(text), "--input")


def as_input_size(value, shown: str | None = None, where: str = "input_size") -> tuple[int, int, int]:
    """An input size as the API and `--input` take it: C, H, W, or 1, C, H, W (one image) -> (C, H, W)."""
    shown = shown or repr(value)
    try:
        dims = tuple(value)
    except TypeError:
        raise _input_error(where, f"expected C, H, W as three integers, found {shown}") from None
    if not all(isinstance(v, int) and not isinstance(v, bool) for v in dims):
        raise _input_error(where, f"expected C, H, W as three integers, found {shown}")
    if len(dims) == 4 and dims[0] == 1:
        dims = dims[1:]
    if len(dims) != 3:
        raise _input_error(where, f"expected C×H×W, three sizes (a leading batch of 1 allowed), found {shown}")
    if not all(v >= 1 for v in dims):
        raise _input_error(where, f"every size must be at least 1, found {shown}")
    from ..spec.limits import MAX_CHANNELS, MAX_SPATIAL    # the limits a spec's input has

    if dims[0] > MAX_CHANNELS or max(dims[1:]) > MAX_SPATIAL:
        raise _input_error(where, f"expected at most {MAX_CHANNELS:,} channels and sizes up to {MAX_SPATIAL:,}, "
                                  f"found {shown}")
    return dims


def _input_error(where: str, message: str) -> InputError:
    return InputError([Problem(where, None, None, "", message)])


def _arg_error(key: str, message: str) -> InputError:
    return InputError([Problem("--model-arg", None, None, key, message)])


def _split(ref: str) -> tuple[str, str]:
    where, sep, name = ref.rpartition(":")
    if not sep or not where or not _KEY.match(name or ""):
        raise ModelError(f"expected path/to/file.py:Name or package.module:Name, found {ref!r}")
    return where, name


def _import_file(path: str, ref: str):
    if not os.path.isfile(path):
        raise ModelError(f"{ref}: file {path} not found")
    stem = re.sub(r"\W", "_", os.path.splitext(os.path.basename(path))[0])
    module_name = f"archcheck_subject_{stem}"
    spec = importlib.util.spec_from_file_location(module_name, path)
    if spec is None or spec.loader is None:
        raise ModelError(f"{ref}: cannot import {path} (expected a Python file)")
    module = importlib.util.module_from_spec(spec)
    sys.modules[module_name] = module
    folder = os.path.dirname(os.path.abspath(path))
    sys.path.insert(0, folder)  # so the file can import its neighbours, as `python file.py` would
    try:
        spec.loader.exec_module(module)
    except BaseException as exc:  # noqa: BLE001 - any failure of the user's code is the user's input
        sys.modules.pop(module_name, None)
        raise model_failure(f"{ref}: importing {path}", exc) from None
    finally:
        if sys.path and sys.path[0] == folder:
            sys.path.pop(0)
    return module


def _import_module(dotted: str, ref: str):
    if not _MODULE_NAME.match(dotted):
        raise ModelError(f"{ref}: {dotted!r} is neither an existing .py file nor a dotted module name")
    added = os.getcwd() not in sys.path
    if added:
        sys.path.append(os.getcwd())  # `package.module` relative to where archcheck runs, like `python -m`
    try:
        return importlib.import_module(dotted)
    except ModuleNotFoundError as exc:
        if exc.name and dotted.startswith(exc.name):
            raise ModelError(f"{ref}: no module named {exc.name!r} (expected an importable module or a .py file)",
                             exc) from None
        raise model_failure(f"{ref}: importing {dotted}", exc) from None
    except BaseException as exc:  # noqa: BLE001
        raise model_failure(f"{ref}: importing {dotted}", exc) from None
    finally:
        if added and os.getcwd() in sys.path:
            sys.path.remove(os.getcwd())


def _one_line(exc: BaseException) -> str:
    try:
        text = " ".join(str(exc).split())
    except Exception as inner:   # noqa: BLE001 - an exception whose str() itself raises
        text = f"(its message cannot be shown: str() raised {type(inner).__name__})"
    if len(text) > 300:
        text = text[:297] + "..."
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


def model_failure(where: str, exc: BaseException) -> ModelError:
    """What the user's code did, as one line: `where` is 'importing x.py', 'constructing Net()' or the
    forward pass. Exceptions, sys.exit, KeyboardInterrupt raised by the code (not by a Ctrl-C: that one is
    re-raised) and any other BaseException are all the model's doing, never archcheck's."""
    from ..interrupts import raised_by_code

    if isinstance(exc, KeyboardInterrupt) and not raised_by_code():
        raise exc
    if isinstance(exc, SystemExit):
        what = f"the model called sys.exit({exc.code!r})"
    elif isinstance(exc, KeyboardInterrupt):
        what = "the model raised KeyboardInterrupt itself (not a Ctrl-C)"
    elif not isinstance(exc, Exception):
        what = f"the model raised {_one_line(exc)}, a BaseException that is not an Exception"
    else:
        what = _one_line(exc)
    return ModelError(f"{where} failed: {what}", exc)


def call_text(name: str, kwargs: dict) -> str:
    """'GoogLeNetAlt(k5=3, lrn=True)': how a model was constructed."""
    return f"{name}({', '.join(f'{k}={v!r}' for k, v in kwargs.items())})"


def load_model(ref: str, kwargs: dict | None = None):
    """Import REF and call it under the meta device -> an nn.Module without weight memory."""
    from torch import nn

    kwargs = dict(kwargs or {})
    where, name = _split(ref)
    is_file = where.endswith(".py") or os.sep in where or "/" in where
    module = _import_file(where, ref) if is_file else _import_module(where, ref)
    factory = getattr(module, name, None)
    if factory is None:
        found = sorted(k for k, v in vars(module).items()   # its own nn.Module classes and functions
                       if not k.startswith("_") and getattr(v, "__module__", None) == module.__name__
                       and (callable(v) and not isinstance(v, type) or isinstance(v, type) and issubclass(v, nn.Module)))
        hint = f"; it defines {', '.join(found[:12])}" if found else ""
        raise ModelError(f"{ref}: {where} has no {name!r}{hint}")
    if not callable(factory):
        raise ModelError(f"{ref}: {name} is a {type(factory).__name__}, expected a class or a factory function")
    return construct(factory, kwargs, f"{ref}: ")


def construct(factory, kwargs: dict, prefix: str = ""):
    """Call a class or factory under the meta device (parameters get shapes, no storage) -> nn.Module."""
    import torch
    from torch import nn

    from ..build import _SkipInit   # the builder's: in-place initialisers are no-ops on meta tensors

    call = call_text(getattr(factory, "__name__", type(factory).__name__), kwargs)
    try:
        with torch.device("meta"), _SkipInit():   # meta tensors have no values to initialise
            model = factory(**kwargs)
    except BaseException as exc:  # noqa: BLE001 - the user's constructor
        raise model_failure(f"{prefix}constructing {call}", exc) from None
    if not isinstance(model, nn.Module):
        raise ModelError(f"{prefix}{call} returned a value of type {type(model).__name__}, expected a torch.nn.Module")
    return model


@dataclass(frozen=True)
class Subject:
    """A model to check, ready to trace: what reports call it and how it came to be."""

    module: object                   # the nn.Module
    name: str                        # a REF, or the class name of an object ("GoogLeNet object")
    constructed: str                 # the note's account: "constructed as GoogLeNetAlt(k5=3) on the meta device"


def as_subject(model, model_args: dict | None = None) -> Subject:
    """`model` as the API takes it: an nn.Module instance, an nn.Module class, a factory, or a REF string."""
    from torch import nn

    kwargs = dict(model_args or {})
    if isinstance(model, str):
        module = load_model(model, kwargs)
        return Subject(module, model, f"constructed as {call_text(model.rpartition(':')[2], kwargs)} on the meta "
                                      "device (no weight memory)")
    if isinstance(model, nn.Module):
        if kwargs:
            raise ModelError(f"model_args are for a class, a factory or a REF; a {type(model).__name__} object is "
                             "already constructed")
        devices = sorted({str(t.device) for t in _tensors(model)}) or ["meta"]
        return Subject(model, f"{type(model).__name__} object",
                       f"given as an object with its parameters on {', '.join(devices)}; traced with meta copies of "
                       "its parameters and buffers, and left as it was")
    if callable(model):
        name = getattr(model, "__qualname__", None) or type(model).__name__
        return Subject(construct(model, kwargs, f"{name}: "), name,
                       f"constructed as {call_text(name, kwargs)} on the meta device (no weight memory)")
    raise ModelError(f"expected an nn.Module, an nn.Module class, a factory or a REF string "
                     f"(path/to/file.py:Name), found a {type(model).__name__}")


def _tensors(model):
    yield from model.parameters()
    yield from model.buffers()


def trace_subject(model, input_shape, name: str, what: str = "the spec's input"):
    """Trace an nn.Module in training mode, so that auxiliary heads run, on one input of the given C×H×W
    shape -> Trace. A model with real tensors (on the CPU, say) is traced with meta copies of its
    parameters and buffers put in their place for the one forward pass (torch.func.functional_call), so
    nothing of it is computed, allocated or changed. `name` says in errors which model failed."""
    from ..trace import trace_model

    shape = "×".join(str(v) for v in (1, *input_shape))
    try:
        trace = trace_model(model, tuple(input_shape), train=True, meta_copies=True)
    except BaseException as exc:  # noqa: BLE001 - the user's forward failed on the spec's input
        raise model_failure(f"{name}: the forward pass on a {shape} input ({what})", exc) from None
    if not trace.outputs:
        raise ModelError(f"{name}: the forward pass on a {shape} input returned no tensor "
                         f"(expected a tensor, or a tuple, list or dict of tensors)")
    return trace
