"""`verify --model`: the main output is the one that follows the spec's rows, whatever its place in a tuple,
list, dict or namedtuple; the others are auxiliary heads. Faithful subjects of several styles pass with no
finding but the papers' declared errata (`known`), also under --strict.
"""
from __future__ import annotations

import pytest

from .subject_helpers import KNOWN, check

TUTORIAL = "tests/subjects/googlenet_tutorial.py:GoogLeNet"

# Section 5's heads, with biases: 512·128 + 128 + 2048·1024 + 1024 + 1024·1000 + 1000 = 3,188,840 on (4a), and
# 528·128 + 128 + ... = 3,190,888 on (4d); the network without them has 6,998,552 parameters (weights and
# biases, reference section 1.3): 6,998,552 + 3,188,840 + 3,190,888 = 13,378,280.
GOOGLENET_PARAMS = {"params": 13_378_280, "params_without_aux": 6_998_552}


@pytest.mark.parametrize("ref, args, position", [
    (TUTORIAL, [], 3),                                              # return aux1, aux2, x
    (TUTORIAL, ["--model-arg", "order=list"], 2),                   # return [aux2, x, aux1]
    (TUTORIAL, ["--model-arg", "order=main-first"], 1),             # return x, aux2, aux1
    ("tests/subjects/googlenet_functional.py:FunctionalGoogLeNet", [], 3),   # {"aux1", "aux2", "logits"}
    ("tests/subjects/googlenet_notebook.py:NotebookGoogLeNet", [], 1),        # [x, aux1, aux2]
    ("tests/subjects/googlenet_alt.py:GoogLeNetAlt", ["--model-arg", "lrn=true"], 1),   # {"logits", ...}
])
def test_faithful_googlenets_pass_whatever_the_order_of_their_outputs(ref, args, position):
    code, mine, known, report = check("specs/googlenet.yaml", ref, "--strict", *args)
    assert (code, mine) == (0, [])
    assert known == KNOWN["googlenet"]
    assert {k: report["totals"][k] for k in GOOGLENET_PARAMS} == GOOGLENET_PARAMS
    assert report["totals"]["macs"] == 1_582_671_872         # without the heads: reference section 1.3
    note = next(n for n in report_notes(ref, args) if n.startswith("The model returns"))
    assert note.startswith(f"The model returns 3 outputs; output {position} (1×1000) is the network's")


def report_notes(ref, args):
    from archcheck.spec import load_spec
    from archcheck.subject import parse_model_args, verify_model

    values = [a for a in args if a != "--model-arg"]
    return verify_model(load_spec("specs/googlenet.yaml"), ref, parse_model_args(values)).notes


def test_torchvision_style_googlenet_with_namedtuple_and_transform_input_is_the_torchvision_like_build():
    # BasicConv2d with batch norm, GoogLeNetOutputs(logits, aux_logits2, aux_logits1), transform_input's
    # slices, scalings and concatenation before conv1 (input preprocessing, not a layer of the paper).
    code, mine, known, _ = check("specs/googlenet.yaml", "tests/subjects/googlenet_torchvision_style.py:GoogLeNet",
                                 "--variant", "torchvision-like", "--strict")
    assert (code, mine) == (0, [])
    assert known == KNOWN["googlenet"]


@pytest.mark.parametrize("args", [[], ["--model-arg", "order=aux-first"]])
def test_torchvision_style_inception_v3_is_the_release(args):
    # InceptionOutputs(logits, aux_logits) or (aux_logits, logits); the aux head's adaptive pool on its 1×1 map
    # changes nothing.
    code, mine, known, report = check("specs/inception_v3.yaml",
                                      "tests/subjects/inception_v3_torchvision_style.py:Inception3", "--strict", *args)
    assert (code, mine) == (0, [])
    assert known == KNOWN["inception_v3"]
    # torchvision / pytorchcv inception_v3: 23,834,568 parameters without the aux head, 27,161,264 with it
    # (reference section 3.4); 5,713,216,096 MACs at 299×299.
    assert (report["totals"]["params_without_aux"], report["totals"]["params"]) == (23_834_568, 27_161_264)
    assert report["totals"]["macs"] == 5_713_216_096


def test_a_model_that_stops_early_keeps_its_own_output_and_its_aux_head():
    # {"features": output of 4a, "aux_a": head on 4a}: neither reaches through the spec's rows; both reach 4a,
    # and taking the features as the network leaves the head for aux1, which fits it exactly.
    code, mine, _, _ = check("specs/googlenet.yaml", "tests/subjects/googlenet_alt.py:GoogLeNetAlt",
                             "--model-arg", "stop_after=4a", "--model-arg", "lrn=true")
    assert code == 1
    rows = [row for _, row, _, _ in mine]
    assert rows == ["inception_4b", "inception_4c", "inception_4d", "aux2", "inception_4e", "pool4", "inception_5a",
                    "inception_5b", "avgpool", "dropout", "fc", "softmax"]
    assert "aux1" not in rows


def test_timm_style_inception_v3_without_its_aux_head_is_the_no_aux_build():
    # ConvNormAct, blocks from tables, forward_features / forward_head, a pool that flattens, drop_rate.
    code, mine, known, report = check("specs/inception_v3.yaml",
                                      "tests/subjects/inception_v3_timm_style.py:InceptionV3", "--variant", "no-aux",
                                      "--strict")
    assert (code, mine) == (0, [])
    assert known == KNOWN["inception_v3_no_aux"]
    assert report["totals"]["params"] == 23_834_568       # torchvision / pytorchcv inception_v3 without aux


def test_timm_style_inception_v3_with_its_aux_head_returned_second():
    code, mine, known, _ = check("specs/inception_v3.yaml", "tests/subjects/inception_v3_timm_style.py:InceptionV3",
                                 "--model-arg", "aux_logits=true", "--strict")
    assert (code, mine) == (0, [])
    assert known == KNOWN["inception_v3"]


def test_the_python_api_takes_the_reference_by_position_and_by_name():
    import archcheck

    spec = archcheck.load_spec("specs/googlenet.yaml")
    by_position = archcheck.verify_model(spec, TUTORIAL, {"order": "list"}, True)
    by_name = archcheck.verify_model(spec, ref=TUTORIAL, model_args={"order": "list"}, strict=True)
    assert by_position.verdict == by_name.verdict == "pass"
    assert [f.message for f in by_position.findings] == [f.message for f in by_name.findings]
