"""The builder: rows become named submodules; the model trains like any nn.Module."""
from __future__ import annotations

import pytest
import torch

from archcheck import build_model, load_spec
from archcheck.errors import SpecError
from archcheck.spec import load_spec_text

from .conftest import SPECS


def test_rows_are_named_submodules_and_the_model_runs():
    model = build_model(load_spec("specs/googlenet.yaml", sets=["num_classes=10"]))
    names = [n for n, _ in model.named_children()]
    assert names[:6] == ["conv1", "pool1", "norm1", "conv2", "norm2", "pool2"]
    assert "softmax" not in names                          # virtual row: the loss applies softmax
    model.train()
    main, aux1, aux2 = model(torch.randn(2, 3, 224, 224))
    assert main.shape == aux1.shape == aux2.shape == (2, 10)
    model.eval()
    assert model(torch.randn(1, 3, 224, 224)).shape == (1, 10)   # aux heads are training-only


def test_options_switch_layers():
    model = build_model(load_spec("specs/googlenet.yaml", sets=["lrn=false", "batch_norm=true",
                                                                  "conv_bias=false", "aux_heads=false"]),
                        device="meta")
    names = [n for n, _ in model.named_children()]
    assert "norm1" not in names and "aux1" not in names
    conv = model.inception_3a.branch_5x5[1]
    assert conv.conv.bias is None and isinstance(conv.bn, torch.nn.BatchNorm2d)


def test_unbuildable_chain_names_the_row_line():
    text = (SPECS / "googlenet.yaml").read_text(encoding="utf-8")
    # a 7x7/1 average pool on a 7x7 grid is fine; on 1x1 it cannot be built
    edited = text.replace("      - pool: {type: avg, kernel: 7, stride: 1}",
                          "      - pool: {type: avg, kernel: 9, stride: 1}")
    assert edited != text
    with pytest.raises(SpecError) as err:
        build_model(load_spec_text(edited, "g.yaml"), device="meta")
    line = edited[: edited.index("kernel: 9")].count("\n") + 1
    assert f"g.yaml:{line}:" in str(err.value) and "too small" in str(err.value)
