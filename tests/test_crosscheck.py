"""archcheck's counts against independent tools, and `verify --crosscheck`.

Every bundled spec (found at test time) is checked against fvcore on a real-weight copy and against
torch's FlopCounterMode on the meta device; neither shares code with archcheck's tracer.
"""
from __future__ import annotations

import json
import logging
import warnings

import pytest
import torch
from torch import nn

from archcheck import build_model, load_spec, verify
from archcheck import crosscheck as cc
from archcheck.trace import trace_model

from .conftest import LANGUAGE_FIXTURES, SPECS

BUNDLED = sorted(p.name for p in SPECS.glob("*.yaml"))
# The bundled specs and the fixtures of the new constructs (sums with projections, depthwise convs,
# repeats, concatenated identities): independent tools must count them as archcheck does.
COUNTED = [f"specs/{name}" for name in BUNDLED] + [f"tests/fixtures/{name}" for name in LANGUAGE_FIXTURES]


def test_specs_are_found():
    assert "googlenet.yaml" in BUNDLED


@pytest.fixture(scope="module", params=COUNTED, ids=lambda p: p.rsplit("/", 1)[-1])
def measured(request):
    spec = load_spec(request.param)
    return spec, verify(spec).totals


def test_macs_equal_fvcore_conv_linear_count(measured):
    from fvcore.nn import FlopCountAnalysis
    from fvcore.nn import jit_handles as h

    spec, totals = measured
    torch.manual_seed(0)
    model = build_model(spec).eval()            # fvcore needs real tensors: real weights on the CPU
    x = torch.randn(1, *spec.input)
    analysis = FlopCountAnalysis(model, x).unsupported_ops_warnings(False).uncalled_modules_warnings(False)
    # Only fvcore's conv/linear/matmul handles: its batch-norm, adaptive-pool (and other norm and upsample)
    # handles switched off. (set_op_handle(name, None) does not remove a default handle in fvcore 0.1.5.)
    analysis.clear_op_handles().set_op_handle(**{
        "aten::_convolution": h.conv_flop_jit, "aten::addmm": h.addmm_flop_jit, "aten::bmm": h.bmm_flop_jit,
        "aten::einsum": h.einsum_flop_jit, "aten::matmul": h.matmul_flop_jit, "aten::mm": h.matmul_flop_jit,
        "aten::linear": h.linear_flop_jit})
    logging.disable(logging.WARNING)
    try:
        with torch.no_grad(), warnings.catch_warnings():
            warnings.simplefilter("ignore")
            fvcore_macs = analysis.total()
    finally:
        logging.disable(logging.NOTSET)
    # eval mode runs no aux head: fvcore's count is the inference network's, archcheck's `macs`.
    assert fvcore_macs == totals.macs


def test_macs_equal_flop_counter_mode_halved(measured):
    from torch.utils.flop_counter import FlopCounterMode

    spec, totals = measured
    model = build_model(spec, device="meta").eval()
    with FlopCounterMode(display=False) as counter, torch.no_grad():
        model(torch.empty(1, *spec.input, device="meta"))
    # FlopCounterMode counts 2 FLOPs per multiply-add of conv/mm/addmm/bmm and nothing else.
    assert counter.get_total_flops() == 2 * totals.macs


def test_params_equal_unique_numel_and_the_traced_first_uses(measured):
    spec, totals = measured
    model = build_model(spec, device="meta")
    assert totals.params == sum(p.numel() for p in model.parameters())   # parameters() yields each tensor once
    trace = trace_model(model, spec.input, train=True)                     # aux heads run in training mode
    assert sum(op.param_numel for op in trace.ops) == totals.params        # each parameter charged to one op


# -- the cross-check's explanations, on a model small enough to count by hand ---------------------------

class Tied(nn.Module):
    """A conv, two linears sharing one weight, and a functional matmul with a parameter."""

    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(3, 8, 3, padding=1)
        self.a = nn.Linear(8, 8)
        self.b = nn.Linear(8, 8)
        self.b.weight = self.a.weight
        self.w = nn.Parameter(torch.randn(8, 4))

    def forward(self, x):
        return self.b(self.a(self.conv(x).mean((2, 3)))) @ self.w


def make_tied():
    with torch.device("meta"):
        return Tied()


def test_crosscheck_explains_each_tool_to_the_unit():
    result = cc.crosscheck(make_tied, (3, 8, 8))
    assert result.ran
    got = {(e.quantity, e.tool): (e.value, e.status) for e in result.entries}
    # unique: conv 3*8*9 + 8 = 224; a 8*8 + 8 = 72; b's own bias 8; w 8*4 = 32 -> 336
    assert got["parameters", "archcheck"] == (336, "reference")
    assert got["parameters", "PyTorch: sum(p.numel() for p in model.parameters())"] == (336, "agrees")
    # torchinfo: leaves conv 224 + a 72 + b 72 (the shared weight again) = 368; the root's leftover
    # 336 - 368 < 0 is clamped to 0, so w's 32 is lost: 368
    assert got["parameters", "torchinfo total_params"] == (368, "agrees")
    # MACs: conv 216*8*8 = 13,824; a 64; b 64; matmul 8*4 = 32 -> 13,984
    assert got["multiply-adds", "archcheck"] == (13_984, "reference")
    assert got["multiply-adds", "fvcore FlopCountAnalysis.total()"] == (13_984, "agrees")
    # torchinfo: 13,984 - 32 (functional matmul) + 8*8*8 (conv bias per position) + 8 + 8 (linear biases)
    assert got["multiply-adds", "torchinfo total_mult_adds"] == (14_480, "agrees")
    explained = next(e for e in result.entries if e.tool == "torchinfo total_mult_adds").explanation
    assert "bias additions +528" in explained and "-32" in explained


def test_crosscheck_on_batch_norm_names_fvcore_extra():
    spec = load_spec("specs/googlenet.yaml", "torchvision-like")   # batch norm after every conv
    result = cc.crosscheck(cc.meta_factory(spec), spec.input)
    assert {e.status for e in result.entries} == {"reference", "agrees"}
    fv = next(e for e in result.entries if e.tool == "fvcore FlopCountAnalysis.total()")
    own = next(e for e in result.entries if e.quantity == "multiply-adds" and e.tool == "archcheck")
    assert fv.value > own.value and "batch norm (2 per element" in fv.explanation


def test_crosscheck_skips_a_model_over_the_memory_budget():
    spec = load_spec("specs/googlenet.yaml")
    result = cc.crosscheck(cc.meta_factory(spec), spec.input, budget_bytes=2 ** 20)
    assert not result.ran and not result.entries
    # 13,378,280 parameters * 4 bytes = 0.05 GiB of weights
    assert "float32 weights 0.0 GiB" in result.skipped and "more than the 0.0 GiB allowed" in result.skipped
    assert result.as_json()["skipped"] == result.skipped


def _cgroup_tree(tmp_path, version: str, limit: int | str, used: int, parent_limit="max"):
    """A fake /proc/self/cgroup and cgroup hierarchy: the process in /jobs/run1 under /jobs."""
    tmp_path.mkdir(parents=True, exist_ok=True)
    root = tmp_path / "cgroup"
    if version == "v2":
        (tmp_path / "proc_cgroup").write_text("0::/jobs/run1\n")
        group, parent, names = root / "jobs" / "run1", root / "jobs", ("memory.max", "memory.current")
    else:
        (tmp_path / "proc_cgroup").write_text("9:cpu:/\n4:memory:/jobs/run1\n")
        group, parent = root / "memory" / "jobs" / "run1", root / "memory" / "jobs"
        names = ("memory.limit_in_bytes", "memory.usage_in_bytes")
        limit = 9223372036854771712 if limit == "max" else limit          # v1 writes "no limit" as a huge number
        parent_limit = 9223372036854771712 if parent_limit == "max" else parent_limit
    group.mkdir(parents=True)
    (group / names[0]).write_text(f"{limit}\n")
    (group / names[1]).write_text(f"{used}\n")
    (parent / names[0]).write_text(f"{parent_limit}\n")
    (parent / names[1]).write_text(f"{used}\n")
    return str(tmp_path / "proc_cgroup"), str(root)


@pytest.mark.parametrize("version", ["v1", "v2"])
def test_the_cgroup_memory_limit_is_read(version, tmp_path):
    GiB = 1024 ** 3
    proc, root = _cgroup_tree(tmp_path, version, 4 * GiB, 1 * GiB)
    assert cc._cgroup_limit(proc, root) == cc.MemoryLimit(3 * GiB, "the room under the cgroup memory limit (4.0 GiB)")
    proc, root = _cgroup_tree(tmp_path / "b", version, "max", GiB // 2, parent_limit=2 * GiB)   # the parent's counts
    assert cc._cgroup_limit(proc, root).bytes == 2 * GiB - GiB // 2
    proc, root = _cgroup_tree(tmp_path / "c", version, "max", GiB)
    assert cc._cgroup_limit(proc, root) is None


def test_crosscheck_skips_when_the_cgroup_or_rlimit_leaves_no_room(monkeypatch):
    import resource

    spec = load_spec("specs/googlenet.yaml")
    # GoogLeNet's real copy: 4 bytes x (13,378,280 parameters + activations) is about 0.1 GiB; 64 MiB of room is too little.
    monkeypatch.setattr(cc, "_cgroup_limit", lambda: cc.MemoryLimit(64 * 2 ** 20, "the room under the cgroup memory "
                                                                               "limit (1.0 GiB)"))
    result = cc.crosscheck(cc.meta_factory(spec), spec.input)
    assert not result.ran and result.budget_bytes == 32 * 2 ** 20
    assert result.skipped.endswith("(half of the room under the cgroup memory limit (1.0 GiB))")
    monkeypatch.setattr(cc, "_cgroup_limit", lambda: None)
    mapped = cc._address_space_limit()
    assert mapped is None                                    # this test process has no RLIMIT_AS of its own
    monkeypatch.setattr(resource, "getrlimit", lambda which: (3 * 2 ** 30, resource.RLIM_INFINITY))
    room = cc._address_space_limit()
    assert room.source == "the room under the address-space limit RLIMIT_AS (3.0 GiB)"
    assert 0 <= room.bytes < 3 * 2 ** 30                     # minus what the process has mapped (torch: several GiB)


def test_cli_crosscheck_section_in_every_format(cli):
    from archcheck.render import render

    code, out, _ = cli("verify", "specs/googlenet.yaml", "--crosscheck", "--format", "json")
    data = json.loads(out)
    assert data["crosscheck"]["ran"] and {e["status"] for e in data["crosscheck"]["entries"]} == {"reference", "agrees"}
    fv = next(e for e in data["crosscheck"]["entries"] if e["tool"] == "fvcore FlopCountAnalysis.total()")
    assert fv["value"] == data["totals"]["macs"]          # GoogLeNet has no batch norm and no adaptive pool
    report = verify(load_spec("specs/googlenet.yaml"))
    assert "Cross-check" not in render(report, "markdown")
    report.crosscheck = cc.crosscheck(make_tied, (3, 8, 8))   # any result renders the same way
    md = render(report, "markdown")
    assert "## Cross-check with torchinfo and fvcore" in md and "bias additions +528" in md
    assert "cross-check with torchinfo and fvcore" in render(report, "text")
