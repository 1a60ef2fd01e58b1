"""Independent counts for the cross-checks: pytorchcv models, counted without archcheck.

Parameters are counted on a real CPU instance (each tensor once); multiply-adds with torch's own
FlopCounterMode on a meta-device instance (FLOPs / 2: conv and linear count 2 FLOPs per multiply-add).
"""
from __future__ import annotations

import torch


def params(module) -> int:
    return sum({id(p): p.numel() for p in module.parameters()}.values())


def macs(factory, size: int = 299) -> int:
    from torch.utils.flop_counter import FlopCounterMode

    with torch.device("meta"):
        model = factory().eval()
    counter = FlopCounterMode(display=False)
    with counter, torch.no_grad():
        model(torch.empty(1, 3, size, size, device="meta"))
    return counter.get_total_flops() // 2
