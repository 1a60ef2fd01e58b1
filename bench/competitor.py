"""What a user would otherwise run for shapes, parameters and FLOPs: torchinfo and fvcore on the real model.

    python bench/competitor.py SPEC

One process: import torch, torchinfo and fvcore; build the spec's network with real weights on the CPU
(archcheck.build_model, the same model `archcheck verify` checks); eval mode; one batch-1 input; call
torchinfo.summary(model, input_data=x, verbose=0) and FlopCountAnalysis(model, x).total(); exit.
bench/bench.py times this script as a whole process.
"""
from __future__ import annotations

import logging
import sys

import torch
import torchinfo
from fvcore.nn import FlopCountAnalysis

import archcheck


def main(path: str) -> None:
    logging.disable(logging.WARNING)    # fvcore logs one warning per unsupported operator kind
    spec = archcheck.load_spec(path)
    model = archcheck.build_model(spec).eval()
    x = torch.randn(1, *spec.input)
    with torch.no_grad():
        torchinfo.summary(model, input_data=x, verbose=0)
        FlopCountAnalysis(model, x).total()


if __name__ == "__main__":
    main(sys.argv[1])
