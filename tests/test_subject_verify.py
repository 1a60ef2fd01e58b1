"""`verify SPEC --model REF`: someone's own model against the spec's build, through the CLI and the API.

Subjects: tests/subjects/googlenet_alt.py (a GoogLeNet written unlike the builder, with options that make
the deviations), googlenet_torchvision_style.py (torchvision's four deviations), tests/subjects/broken*.py
(bad references) and pytorchcv models (independent implementations, imported by module). Other classes of
real code are in test_subject_outputs.py, test_subject_repeats.py and test_subject_layers.py.
"""
from __future__ import annotations

import json

import pytest

from archcheck.errors import ModelError
from archcheck.spec import load_spec
from archcheck.subject import verify_model

ALT = "tests/subjects/googlenet_alt.py:GoogLeNetAlt"
FACTORY = "tests/subjects/googlenet_alt.py:googlenet_alt"

# Table 1's (#5×5 reduce, #5×5) per module: the channels of each 5×5 conv.
FIVE = {"inception_3a": (16, 32), "inception_3b": (32, 96), "inception_4a": (16, 48), "inception_4b": (24, 64),
        "inception_4c": (24, 64), "inception_4d": (32, 64), "inception_4e": (32, 128),
        "inception_5a": (32, 128), "inception_5b": (48, 128)}
GOOGLENET_KNOWN = {"conv1-cost", "conv1-ops", "4c-params", "5a-params", "5a-ops", "budget-standard-conv1"}


def run_json(cli, spec, ref, *args):
    code, out, err = cli("verify", spec, "--model", ref, "--format", "json", *args)
    assert err == "", err
    return code, json.loads(out)


def by_status(report, status):
    return [f for f in report["findings"] if f["status"] == status]


def test_faithful_googlenet_written_differently_passes(cli):
    # Other names, branches computed as pool, 5x5, 1x1, 3x3, functional/in-place ReLUs, ceil-mode pools,
    # an adaptive average pool, a dict output: none of it is a difference. Only the two LRN layers of
    # Figure 3, which the subject omits, are (a warning each, on its row).
    code, report = run_json(cli, "specs/googlenet.yaml", ALT)
    assert code == 0 and report["verdict"] == "pass"
    assert report["model"] == ALT
    assert by_status(report, "mismatch") == []
    assert [(f["row"], f["message"]) for f in by_status(report, "warning")] == [
        ("norm1", "norm1: no local response normalization where the spec's build has it"),
        ("norm2", "norm2: no local response normalization where the spec's build has it")]
    assert {f["erratum"] for f in by_status(report, "known")} == GOOGLENET_KNOWN   # the paper's own errata
    t = report["totals"]
    # 9,408 + 114,688 + 163,328 + 388,096 + 375,552 + 448,512 + 509,440 + 604,672 + 867,328 + 1,042,432
    # + 1,442,816 + 1,024,000 (conv1, conv2, 3a ... 5b, fc) = 6,990,272 weights
    assert t["weights"] == 6_990_272
    assert t["macs"] == 1_582_671_872          # Σ weights × H_out × W_out per layer, reference section 1.3
    assert t["params"] == 13_378_280           # with biases and both aux heads: 6,998,552 + 3,188,840 + 3,190,888


def test_faithful_googlenet_with_lrn_has_no_finding_but_the_papers_errata(cli):
    code, report = run_json(cli, "specs/googlenet.yaml", ALT, "--model-arg", "lrn=true")
    assert code == 0
    assert {f["status"] for f in report["findings"]} == {"known"}


def test_3x3_in_every_5x5_branch_gives_nine_kernel_findings(cli):
    # torchvision's GoogLeNet bug (pytorch/vision#906), called through a factory with --model-arg.
    code, report = run_json(cli, "specs/googlenet.yaml", FACTORY, "--model-arg", "k5=3", "--model-arg", "lrn=1")
    assert code == 1 and report["verdict"] == "fail"
    mismatches = by_status(report, "mismatch")
    assert [f["row"] for f in mismatches] == list(FIVE)
    for f in mismatches:
        r5, n5 = FIVE[f["row"]]
        assert f["message"].startswith(f"{f['row']}, 5x5 branch: convolution 3×3, paper 5×5 "
                                       f"({r5} → {n5} channels)")
        assert (f["paper"], f["measured"]) == ("5×5", "3×3")
    # The row's counts come with its finding, not as failures of their own:
    # 3a: 163,328 - 16·32·(25 - 9) = 155,136 weights = 151.50K (K = 1024).
    assert "params 159K → 151.50K (-4.7%)" in mismatches[0]["message"]
    assert by_status(report, "warning") == []
    t = report["totals"]
    # (25 - 9)·Σ r5·n5 = 16·(16·32 + 32·96 + 16·48 + 24·64 + 24·64 + 32·64 + 32·128 + 32·128 + 48·128)
    # = 16·23,808 = 380,928 fewer weights; 6,609,344 is torchvision googlenet's conv/fc weights (ref. 6.1)
    assert t["weights"] == 6_990_272 - 380_928 == 6_609_344
    assert t["macs"] == 1_498_376_192                       # torchvision googlenet's MACs (ref. 6.1)
    budget = next(c for c in report["claims"] if c["id"] == "budget-1.5G")
    # 1.498G meets the 1.5G budget: for this model the claim holds, whatever the erratum says of the
    # spec's build (1.583G with its standard first conv).
    assert budget["status"] == "ok"


def test_torchvision_googlenets_four_deviations_each_one_finding(cli):
    # torchvision's googlenet against the build it follows (batch norm, no LRN): a 3×3 in every 5×5 branch
    # (pytorch/vision#906), a 2×2/2 pool before 5a, adaptive 4×4 pools in the aux heads, 20% dropout.
    code, report = run_json(cli, "specs/googlenet.yaml", "tests/subjects/googlenet_torchvision_style.py:googlenet",
                            "--variant", "torchvision-like", "--model-arg", "k5=3", "--model-arg", "maxpool4=2",
                            "--model-arg", "aux_pool=adaptive", "--model-arg", "dropout=0.2")
    assert code == 1
    judged = [(f["status"], f["row"], f["message"].split("; ")[0]) for f in report["findings"] if f["status"] != "known"]
    kernels = [("mismatch", row, f"{row}, 5x5 branch: convolution 3×3, paper 5×5 ({r5} → {n5} channels)")
               for row, (r5, n5) in FIVE.items()]
    assert judged == kernels[:3] + [
        ("mismatch", "aux1", "aux1: adaptive average pool to 4×4, paper average pool 5×5/3")] + kernels[3:6] + [
        ("mismatch", "aux2", "aux2: adaptive average pool to 4×4, paper average pool 5×5/3")] + kernels[6:7] + [
        ("mismatch", "pool4", "pool4: max pool 2×2/2, paper max pool 3×3/2")] + kernels[7:] + [
        ("warning", "dropout", "dropout: dropout 20%, paper 40%")]
    pool4 = next(f for f in report["findings"] if f["row"] == "pool4")
    assert pool4["message"].endswith("so the table's cells differ: patch size/stride 3×3/2 → 2×2/2")
    # 6,990,272 - 380,928 (the nine 3×3s, see below) = 6,609,344 conv/linear weights, as torchvision's
    assert report["totals"]["weights"] == 6_609_344


def test_pytorchcv_inceptionv4_is_the_release_but_its_dropout(cli):
    code, report = run_json(cli, "specs/inception_v4.yaml", "pytorchcv.models.inceptionv4:inceptionv4",
                            "--variant", "release", "--set", "aux_heads=false")
    assert code == 0
    assert [f["message"] for f in report["findings"] if f["status"] != "known"] == [
        "Dropout_1b: no dropout (20%) where the spec's build has it; so the table's cells differ: type Dropout "
        "(keep 0.8) → no dropout"]
    assert report["totals"]["params"] == 42_679_816        # pytorchcv inceptionv4 (reference 6.6)


def test_pytorchcv_inceptionresnetv2_counts_against_the_paper(cli):
    code, report = run_json(cli, "specs/inception_resnet_v2.yaml",
                            "pytorchcv.models.inceptionresnetv2:inceptionresnetv2")
    assert code == 1
    runs = [(f["row"], f["paper"], f["measured"]) for f in report["findings"] if f["field"] == "repeats"]
    assert runs == [("inception_resnet_a", "5", "10"), ("inception_resnet_b", "10", "20"),
                    ("inception_resnet_c", "5", "10")]
    code, report = run_json(cli, "specs/inception_resnet_v2.yaml",
                            "pytorchcv.models.inceptionresnetv2:inceptionresnetv2", "--variant", "release")
    assert code == 0 and [f["row"] for f in report["findings"] if f["status"] != "known"] == ["Dropout_1b"]


def test_stem_without_1x1_reduce_has_findings_on_conv2_only(cli):
    code, report = run_json(cli, "specs/googlenet.yaml", ALT, "--model-arg", "stem_reduce=false",
                            "--model-arg", "lrn=true")
    assert code == 1
    judged = [f for f in report["findings"] if f["status"] != "known"]
    assert [f["row"] for f in judged] == ["conv2"]
    [f] = judged
    assert f["message"].startswith("conv2: missing convolution 1×1 (64 → 64 channels)")
    # depth 2 -> 1; #3×3 reduce 64 -> 0; weights 9·64·192 = 110,592 = 108K (was 112K); ops 110,592·56·56.
    for part in ("depth 2 → 1", "#3×3 reduce 64 → 0", "params 112K → 108.00K (-3.6%)", "ops 360M → 346.82M"):
        assert part in f["message"]
    depth = next(c for c in report["claims"] if c["id"] == "depth-22")
    assert depth["measured"] == "21" and depth["status"] == "mismatch"   # in the claims table, not a finding


def test_network_that_stops_after_4a_reports_every_missing_row(cli):
    code, report = run_json(cli, "specs/googlenet.yaml", ALT, "--model-arg", "stop_after=4a",
                            "--model-arg", "lrn=true")
    assert code == 1
    missing = ["inception_4b", "inception_4c", "inception_4d", "aux2", "inception_4e", "pool4", "inception_5a",
               "inception_5b", "avgpool", "dropout", "fc", "softmax"]
    mismatches = by_status(report, "mismatch")
    assert [f["row"] for f in mismatches] == missing
    assert all("missing" in f["message"] for f in mismatches)
    assert "the model ends after inception_4a" in mismatches[0]["message"]
    assert "missing auxiliary classifier on top of inception_4d" in mismatches[3]["message"]
    assert by_status(report, "warning") == []


def test_batch_norm_after_every_conv_gives_warnings_only(cli):
    code, report = run_json(cli, "specs/googlenet.yaml", ALT, "--model-arg", "batch_norm=true")
    assert code == 0 and report["verdict"] == "pass"
    assert by_status(report, "mismatch") == []
    warnings = by_status(report, "warning")
    # one finding per place: 57 convs in the main network (conv1, conv2's two, 6 per module × 9) + 1 in each
    # aux head = 59 with batch norm after them, the same 59 without a bias; and the two LRN rows
    bn = [f for f in warnings if "batch norm after the" in f["message"]]
    bias = [f for f in warnings if "without a bias" in f["message"]]
    lrn = [f for f in warnings if "local response normalization" in f["message"]]
    assert (len(bn), len(bias), len(lrn), len(warnings)) == (59, 59, 2, 120)
    assert bn[0]["message"] == "conv1: batch norm after the convolution 7×7/2 (3 → 64 channels) where the spec's " \
                               "build has none"
    assert (bn[0]["paper"], bn[0]["measured"]) == ("none", "batch norm")
    assert "inception_3a, 5x5 branch: convolution 5×5 (16 → 32 channels) without a bias where the spec's build " \
           "has one" in [f["message"] for f in bias]
    assert all(f["row"] and f["field"] == "structure" for f in warnings)
    # text and Markdown show each kind of warning once, with its places
    code, text, _ = cli("verify", "specs/googlenet.yaml", "--model", ALT, "--model-arg", "batch_norm=true",
                        "--format", "text")
    assert ("[warning] conv1, conv2 (2), inception_3a (6), inception_3b (6), inception_4a (6), aux1, inception_4b "
            "(6), inception_4c (6), inception_4d (6), aux2, inception_4e (6), inception_5a (6), inception_5b (6) "
            "(59 places): batch norm after layers where the spec's build has none") in text.splitlines()
    assert text.count("[warning]") == 3
    code, _ = run_json(cli, "specs/googlenet.yaml", ALT, "--model-arg", "batch_norm=true", "--strict")
    assert code == 1   # --strict: warnings fail


def test_variant_chooses_the_build_compared_against(cli):
    # Against the torchvision-like build (batch norm, no conv bias, no LRN) the batch-norm subject is exact.
    code, report = run_json(cli, "specs/googlenet.yaml", ALT, "--model-arg", "batch_norm=true",
                            "--variant", "torchvision-like")
    assert code == 0
    # ... but for batch norm's epsilon: PyTorch's default 1e-5 in the subject, torchvision's 0.001 in the build
    eps = by_status(report, "warning")
    assert len(eps) == 59 and {f["group"] for f in eps} == {"batch norm eps 1e-5 where the spec's build has 0.001"}
    assert eps[0]["message"] == ("conv1: batch norm eps 1e-5 after the convolution 7×7/2 (3 → 64 channels) where the "
                                 "spec's build has 0.001")
    code, report = run_json(cli, "specs/googlenet.yaml", ALT, "--model-arg", "batch_norm=true",
                            "--variant", "torchvision-like", "--set", "bn_eps=0.00001")
    assert code == 0
    assert {f["status"] for f in report["findings"]} == {"known"}


def test_api_returns_the_same_report():
    spec = load_spec("specs/googlenet.yaml")
    report = verify_model(spec, ALT, {"k5": 3, "lrn": True})
    assert report.model == ALT and report.verdict == "fail"
    assert report.count("mismatch") == 9
    kernels = [f for f in report.findings if f.status == "mismatch"]
    assert all(f.field == "structure" for f in kernels)
    assert any("constructed as GoogLeNetAlt(k5=3, lrn=True)" in n for n in report.notes)


def test_markdown_and_text_render_the_foreign_report(cli):
    code, md, _ = cli("verify", "specs/googlenet.yaml", "--model", ALT, "--model-arg", "k5=3")
    assert code == 1
    assert "Checked: model `tests/subjects/googlenet_alt.py:GoogLeNetAlt`" in md
    # the nine kernel findings are one line of the Findings list; the table keeps each row's cells
    rows = ", ".join(FIVE)
    assert f"- **mismatch** {rows} (9 rows), 5x5 branch: convolution 3×3, paper 5×5" in md.splitlines()
    assert "| **380K → 331.00K ✗** " in md
    assert "## Notes" in md and "not judged" in md
    code, text, _ = cli("verify", "specs/googlenet.yaml", "--model", ALT, "--model-arg", "k5=3", "--format", "text")
    assert code == 1 and f"[mismatch] {rows} (9 rows), 5x5 branch: convolution 3×3, paper 5×5" in text.splitlines()
    assert text.count("[mismatch]") == 1


# -- third-party implementations (pytorchcv 0.0.74, imported by module) ---------------------------------

def test_pytorchcv_bninception_against_inception_v2(cli):
    code, report = run_json(cli, "specs/inception_v2.yaml", "pytorchcv.models.bninception:bninception")
    assert code == 1
    # Its real deviations from the default build (the table's 608-channel filter counts, the Appendix's
    # separable first conv, batch norm without conv bias) and nothing else:
    [conv1] = by_status(report, "mismatch")
    assert conv1["message"] == ("conv1: convolution 7×7/2 (3 → 64 channels) where the paper has a separable "
                                "convolution 7×7/2 (3 → 64 channels, depth multiplier 8)")
    bias = by_status(report, "warning")
    # every conv: 3 in the stem + 7 per module (5 in 3c and 4e, which have no 1×1 branch and no
    # projection) = 3 + 7·8 + 5·2 = 69, one finding each
    assert len(bias) == 69 and all("with a bias where the spec's build has none" in f["message"] for f in bias)
    counts = {}
    for f in bias:
        counts[f["row"]] = counts.get(f["row"], 0) + 1
    assert counts == {"conv1": 1, "conv2": 2, **{f"inception_{m}": 7 for m in ("3a", "3b", "4a", "4b", "4c", "4d",
                                                                              "5a", "5b")},
                      "inception_3c": 5, "inception_4e": 5}
    t = report["totals"]
    assert t["params"] == 11_295_240       # pytorchcv's own count (its _test asserts it)
    assert t["weights"] == 11_264_192      # the same minus 11,016 biases and 20,032 batch norm parameters
    assert t["macs"] == 2_032_600_064      # reference section 6.3, measured on pytorchcv/Cadene


def test_pytorchcv_bninception_is_the_caffe_ports_variant(cli):
    code, report = run_json(cli, "specs/inception_v2.yaml", "pytorchcv.models.bninception:bninception",
                            "--variant", "caffe-ports")
    assert code == 0
    assert {f["status"] for f in report["findings"]} == {"known"}


def test_pytorchcv_inceptionv3_against_inception_v3(cli):
    code, report = run_json(cli, "specs/inception_v3.yaml", "pytorchcv.models.inceptionv3:inceptionv3")
    assert code == 1
    [aux] = by_status(report, "mismatch")   # its only structural finding
    assert aux["row"] == "AuxLogits"
    assert aux["message"].startswith("AuxLogits: missing auxiliary classifier on top of Mixed_6e")
    [dropout] = by_status(report, "warning")
    # Table 1 prints no dropout: 20% is the release's (TF-slim keep 0.8), not the paper's
    assert dropout["message"] == "Dropout_1b: dropout 50% where the spec's build has 20%"
    t = report["totals"]
    assert t["params"] == 23_834_568       # pytorchcv's own count (its _test asserts it)
    assert t["macs"] == 5_713_216_096      # reference section 3.4 (torchvision / pytorchcv at 299×299)
    code, report = run_json(cli, "specs/inception_v3.yaml", "pytorchcv.models.inceptionv3:inceptionv3",
                            "--variant", "no-aux")
    assert code == 0 and by_status(report, "mismatch") == []


# -- bad references: one line each, exit 2 ---------------------------------------------------------------

@pytest.mark.parametrize("ref, args, expected", [
    ("tests/subjects/missing.py:Net", [], "tests/subjects/missing.py:Net: file tests/subjects/missing.py not found"),
    ("tests/subjects/broken.py:Nope", [], "tests/subjects/broken.py has no 'Nope'; it defines RaisesInInit, "
                                          "ReturnsNothing, WrongInput, not_a_model"),
    ("no_such_package.models:Net", [], "no module named 'no_such_package'"),
    ("tests/subjects/broken_import.py:Net", [], "importing tests/subjects/broken_import.py failed: "
                                                "ModuleNotFoundError: No module named 'archcheck_no_such_dependency'"),
    ("tests/subjects/broken.py:RaisesInInit", [], "constructing RaisesInInit() failed: ValueError: this model "
                                                  "needs a config file"),
    (ALT, ["--model-arg", "bogus=1"], "constructing GoogLeNetAlt(bogus=1) failed: TypeError:"),
    ("tests/subjects/broken.py:WrongInput", [], "the forward pass on a 1×3×224×224 input (the spec's input) "
                                                "failed: RuntimeError: linear: an input of shape [1, 401408] does "
                                                "not fit a weight of shape [10, 8192]"),
    ("tests/subjects/broken.py:ReturnsNothing", [], "returned no tensor"),
    ("tests/subjects/broken.py:not_a_model", [], "not_a_model() returned a value of type int, expected a "
                                                 "torch.nn.Module"),
    ("tests/subjects/broken.py", [], "expected path/to/file.py:Name or package.module:Name"),
    (ALT, ["--model-arg", "k5"], "--model-arg: expected key=value"),
])
def test_bad_reference_is_one_line_and_exit_2(cli, ref, args, expected):
    code, out, err = cli("verify", "specs/googlenet.yaml", "--model", ref, *args)
    assert code == 2 and out == ""
    assert len(err.splitlines()) == 1 and err.startswith("archcheck: error: ")
    assert expected in err


def test_model_arg_without_model_is_a_usage_error(cli):
    code, _, err = cli("verify", "specs/googlenet.yaml", "--model-arg", "k5=3")
    assert code == 2 and err == "archcheck: error: --model-arg: needs --model (the model the arguments are for)\n"


def test_debug_shows_the_users_traceback(cli):
    code, _, err = cli("verify", "specs/googlenet.yaml", "--model", "tests/subjects/broken.py:RaisesInInit", "--debug")
    assert code == 2
    first, *rest = err.splitlines()
    assert first.startswith("archcheck: error: --model: tests/subjects/broken.py:RaisesInInit: constructing")
    assert "Traceback" in err and 'broken.py", line' in err and rest[-1].startswith("ValueError: this model")


def test_api_raises_model_error():
    with pytest.raises(ModelError, match="file tests/subjects/missing.py not found"):
        verify_model(load_spec("specs/googlenet.yaml"), "tests/subjects/missing.py:Net")


RECORDED = [  # reports/ files written by `archcheck verify SPEC --model REF --output FILE`
    ("reports/pytorchcv_inceptionv4.md", "specs/inception_v4.yaml", "pytorchcv.models.inceptionv4:inceptionv4"),
    ("reports/pytorchcv_bninception.md", "specs/inception_v2.yaml", "pytorchcv.models.bninception:bninception"),
    ("reports/pytorchcv_inceptionv3.md", "specs/inception_v3.yaml", "pytorchcv.models.inceptionv3:inceptionv3"),
    ("reports/pytorchcv_inceptionresnetv2.md", "specs/inception_resnet_v2.yaml",
     "pytorchcv.models.inceptionresnetv2:inceptionresnetv2"),
]


@pytest.mark.parametrize("path, spec, ref", RECORDED)
def test_recorded_reports_are_current(cli, path, spec, ref):
    code, out, _ = cli("verify", spec, "--model", ref)
    assert code == 1
    with open(path, encoding="utf-8") as fh:
        assert out == fh.read(), f"{path} is stale: archcheck verify {spec} --model {ref} --output {path}"


def _builds():
    import yaml

    for name in ("googlenet", "inception_v2", "inception_v3", "inception_v4", "inception_resnet_v2"):
        with open(f"specs/{name}.yaml", encoding="utf-8") as fh:
            variants = list((yaml.safe_load(fh).get("variants") or {}))
        yield from ((name, v) for v in [None, *variants])


@pytest.mark.parametrize("name, variant", list(_builds()))
def test_every_build_read_as_someone_elses_model_has_no_finding(name, variant):
    # The spec's own network, traced as a subject: alignment must pair every unit with itself.
    from archcheck.build import build_model
    from archcheck.subject import subject_report
    from archcheck.trace import trace_model

    spec = load_spec(f"specs/{name}.yaml", variant)
    trace = trace_model(build_model(spec, device="meta"), spec.input, train=True)
    report = subject_report(spec, trace, "the build", "build_model(spec)")
    assert [f.message for f in report.findings if f.status in ("mismatch", "warning")] == []


def test_biases_alone_do_not_fail_a_parameter_claim():
    # torchvision-style Inception-v3 with a bias on each of its 96 convs (94, and 2 in the aux head): warnings only. Its parameter claim
    # ("less than 25M", erratum params-25M-aux: the release's 27,161,264 with the aux head) is judged with
    # the build's biases in place of the model's, as the counts are: still the erratum's number exactly.
    import torch
    from torch import nn

    from archcheck.subject.load import load_model

    model = load_model("tests/subjects/inception_v3_torchvision_style.py:Inception3")
    convs = [m for m in model.modules() if isinstance(m, nn.Conv2d) and m.bias is None]
    for conv in convs:
        conv.bias = nn.Parameter(torch.zeros(conv.out_channels, device="meta"))
    report = verify_model(load_spec("inception_v3"), model)
    assert report.ok and not [f for f in report.findings if f.status == "mismatch"]
    assert len(convs) == 96 and report.totals.params == 27_161_264 + sum(c.out_channels for c in convs)
    claim = next(c for c in report.claims if c.id == "params-25M")
    assert (claim.status, claim.measured) == ("known", "27,161,264")
