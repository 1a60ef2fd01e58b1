"""Helpers for the `verify --model` tests: run the CLI in-process and split a report's findings."""
from __future__ import annotations

import json

from .conftest import run_cli

# The papers' own declared errata that a faithful subject shows as `known`, per spec and build.
KNOWN = {
    "googlenet": {"conv1-cost", "conv1-ops", "4c-params", "5a-params", "5a-ops", "budget-standard-conv1"},
    "inception_v3": {"17x17-count", "288-filters", "5x5-branch", "figure-numbering", "first-module-input",
                     "macs-5G-release", "params-25M-aux", "stem-1x1", "stem-35x35", "stem-71x71"},
    "inception_v3_no_aux": {"17x17-count", "288-filters", "5x5-branch", "figure-numbering", "first-module-input",
                            "macs-5G-release", "stem-1x1", "stem-35x35", "stem-71x71"},
    "inception_resnet_v2": {"figure-18-caption", "ir-b-1154", "ir-c-2048"},
    "inception_resnet_v2_release": {"figure-18-caption", "release-extra-layers", "release-ir-a-count",
                                    "release-ir-a-width", "release-ir-b-count", "release-ir-b-width",
                                    "release-ir-c-count", "release-ir-c-width", "release-stem"},
    "inception_v2_caffe_ports": {"3c-grid", "4c-depth", "4d-depth", "4e-depth", "conv2-depth",
                                 "params-13.6M-standard"},
    "inception_v2": {"3c-grid", "4c-depth", "4d-depth", "4e-depth", "conv2-depth", "params-13.6M-separable"},
}


def verify_json(spec: str, ref: str, *args: str) -> tuple[int, dict]:
    code, out, err = run_cli("verify", spec, "--model", ref, "--format", "json", *args)
    assert err == "", err
    return code, json.loads(out)


def judged(report: dict) -> list[tuple[str, str, str, str]]:
    """(status, row, field, message) of every finding that is not a declared erratum of the paper."""
    return [(f["status"], f["row"], f["field"], f["message"]) for f in report["findings"] if f["status"] != "known"]


def known(report: dict) -> set[str]:
    return {f["erratum"] for f in report["findings"] if f["status"] == "known"}


def check(spec: str, ref: str, *args: str) -> tuple[int, list, set, dict]:
    """-> (exit code, judged findings, known errata, the JSON report)."""
    code, report = verify_json(spec, ref, *args)
    return code, judged(report), known(report), report
