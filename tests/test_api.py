"""The Python API (issue 14): reports that render as the CLI prints them; specs by name or path."""
from __future__ import annotations

import json

import pytest

import archcheck


@pytest.mark.parametrize("fmt", ["text", "markdown", "json"])
def test_report_renders_exactly_what_the_cli_prints(fmt, cli):
    report = archcheck.verify(archcheck.load_spec("googlenet"))
    code, out, err = cli("verify", "googlenet", "--format", fmt)
    assert getattr(report, {"text": "to_text", "markdown": "to_markdown", "json": "to_json"}[fmt])() == out
    assert report.ok is (code == 0) is True


def test_a_failing_report_is_not_ok():
    # 48 filters where Table 1 prints 32 in inception (3a)'s 5×5 branch
    report = archcheck.verify(archcheck.load_spec("googlenet", sets=["inception_3a.n5x5=48"]))
    assert report.ok is False and json.loads(report.to_json())["verdict"] == "fail"
    assert "verdict: FAIL" in report.to_text()


# -- model objects (issue 14) -----------------------------------------------------------------------------

import importlib.util

import torch
from torch import nn

from .conftest import ROOT

TV_REF = "tests/subjects/googlenet_torchvision_style.py:GoogLeNet"


def _tv_module():
    spec = importlib.util.spec_from_file_location("tv_style_for_api", ROOT / "tests/subjects/googlenet_torchvision_style.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def state(model: nn.Module) -> dict:
    """Everything verify_model must leave as it was: tensors (object, device, values, requires_grad),
    every module's training flag, and its hooks."""
    tensors = {}
    for name, t in list(model.named_parameters()) + list(model.named_buffers()):
        values = None if t.is_meta else t.detach().clone()
        tensors[name] = (id(t), str(t.device), t.requires_grad, values)
    hooks = {name: (dict(m._forward_hooks), dict(m._forward_pre_hooks)) for name, m in model.named_modules()}
    return {"tensors": tensors, "training": {n: m.training for n, m in model.named_modules()}, "hooks": hooks,
            "global": (dict(nn.modules.module._global_forward_hooks),
                       dict(nn.modules.module._global_forward_pre_hooks))}


def same_state(a: dict, b: dict) -> bool:
    if a.keys() != b.keys() or a["training"] != b["training"] or a["hooks"] != b["hooks"] or a["global"] != b["global"]:
        return False
    for name, (ident, device, grad, values) in a["tensors"].items():
        ident2, device2, grad2, values2 = b["tensors"][name]
        if (ident, device, grad) != (ident2, device2, grad2):
            return False
        if values is not None and not torch.equal(values, values2):
            return False
    return True


def comparable(report) -> tuple:
    """A report without the model's name and the note on how it was made (the rest must be equal)."""
    data = json.loads(report.to_json())
    data.pop("model")
    data.pop("notes")     # compared below, without the first (how the model was made)
    return data, report.notes[1:]


@pytest.fixture(scope="module")
def by_ref():
    return archcheck.verify_model("googlenet", TV_REF, variant="torchvision-like")


@pytest.mark.parametrize("device", ["cpu", "meta"])
def test_a_model_object_gives_the_refs_report_and_is_left_as_it_was(device, by_ref):
    tv = _tv_module()
    with torch.device(device):
        model = tv.GoogLeNet()
    model.eval()                                   # aux heads do not run in eval: archcheck traces in training mode
    model.inception4a.requires_grad_(False)        # frozen parameters
    model.aux1.train()                             # one submodule in another mode than its parent
    calls = []
    model.inception3a.register_forward_hook(lambda m, i, o: calls.append(type(m).__name__))
    before = state(model)
    report = archcheck.verify_model("googlenet", model, variant="torchvision-like")
    assert same_state(before, state(model))
    assert calls == ["Inception"]                  # the user's own hook fired, once, as in any forward
    assert comparable(report) == comparable(by_ref)
    assert report.ok and report.model == "GoogLeNet object"
    # frozen: 4a's weights and batch norms are not trainable parameters
    frozen = sum(p.numel() for p in model.inception4a.parameters())
    assert report.totals.params == by_ref.totals.params and frozen > 0
    assert report.notes[0].startswith(f"The model was given as an object with its parameters on {device}")


class Counting(nn.Module):
    """A buffer changed in forward (a call counter, as some models keep)."""

    def __init__(self):
        super().__init__()
        self.register_buffer("calls", torch.zeros(1))
        self.net = _tv_module().GoogLeNet(aux_logits=False)

    def forward(self, x):
        self.calls += 1
        return self.net(x)


def test_a_buffer_the_forward_changes_is_left_as_it_was():
    model = Counting()
    before = state(model)
    report = archcheck.verify_model("googlenet", model, variant="torchvision-like", sets=["aux_heads=false"])
    assert same_state(before, state(model)) and float(model.calls) == 0.0
    assert report.ok


def test_a_class_and_a_factory_are_constructed_on_meta_with_model_args():
    tv = _tv_module()
    for model in (tv.GoogLeNet, tv.googlenet):
        report = archcheck.verify_model("googlenet", model, {"k5": 3}, variant="torchvision-like")
        assert not report.ok
        # torchvision's 3×3 where the paper's 5×5 branch is (pytorch/vision#906), in all nine modules
        assert sum("5x5 branch: convolution 3×3, paper 5×5" in f.message for f in report.findings) == 9


def test_the_old_positional_and_ref_calls_still_work():
    spec = archcheck.load_spec("googlenet", "torchvision-like")
    a = archcheck.verify_model(spec, TV_REF, None, False)
    b = archcheck.verify_model(spec, ref=TV_REF)
    assert comparable(a) == comparable(b) and a.ok


def test_variant_and_sets_need_a_spec_name_or_path():
    from archcheck.errors import InputError

    with pytest.raises(InputError, match="variant and sets apply when a spec is loaded"):
        archcheck.verify_model(archcheck.load_spec("googlenet"), TV_REF, variant="torchvision-like")


def test_assert_matches_raises_with_the_text_report():
    tv = _tv_module()
    assert archcheck.assert_matches("googlenet", tv.GoogLeNet, variant="torchvision-like").ok
    with pytest.raises(AssertionError) as failed:
        archcheck.assert_matches("googlenet", tv.GoogLeNet, {"k5": 3}, variant="torchvision-like")
    text = str(failed.value)
    assert text.startswith("Going deeper with convolutions (arXiv 1409.4842)\n") and "verdict: FAIL" in text
    assert text == archcheck.verify_model("googlenet", tv.GoogLeNet, {"k5": 3}, variant="torchvision-like").to_text()


def test_what_is_not_a_model_is_refused():
    from archcheck.errors import ModelError

    with pytest.raises(ModelError, match="expected an nn.Module, an nn.Module class, a factory or a REF string"):
        archcheck.verify_model("googlenet", 42)
    with pytest.raises(ModelError, match="model_args are for a class, a factory or a REF"):
        archcheck.verify_model("googlenet", nn.Linear(2, 2), {"k": 1})


def test_the_readme_pytest_example():
    # README "Python API": the same calls, with the torchvision-style subject as `mynet.GoogLeNet`
    GoogLeNet = _tv_module().GoogLeNet
    archcheck.assert_matches("googlenet", GoogLeNet(num_classes=1000), variant="torchvision-like")
    archcheck.assert_matches("googlenet", GoogLeNet, {"aux_logits": False},
                             variant="torchvision-like", sets=["aux_heads=false"])
