"""Mutations of a spec, for the fuzz test (test_spec_fuzz.py): the ways a hand transcription goes wrong.

Most mutations edit the parsed YAML tree and dump it again, so that the mutant still parses and reaches
validation and the builder; a few edit the text (truncation, random bytes, lines moved), which mostly
exercises the YAML loader. Every choice comes from one `random.Random`, so a mutant is reproducible
from the generator's seed (hypothesis supplies and shrinks it).
"""
from __future__ import annotations

import copy
import functools
import json
import pickle
import random

import yaml

_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_DUMPER = getattr(yaml, "CSafeDumper", yaml.SafeDumper)

# Values a field should not have: other types, edges, huge and tiny numbers, names of real things in
# the wrong place, unparseable printed cells, control and right-to-left characters.
ODD_VALUES = [
    None, True, False, 0, -1, 1, 2, 3, 7, 2.5, -0.0, 1e-9, 1e308, float("inf"), float("-inf"), float("nan"),
    10**5, 10**5 + 1, 10**12, 10**30, 10**400, -10**30,
    "", " ", "x", "same", "valid", "max", "avg", "none", "relu", "concat", "residual", "sequence",
    "in_channels", "not lrn", "not", "2.7Q", "112x112", "112×112×0", "-64", "1e400", "3×3/0", "avg + -1",
    "stride 0", "7×7/", "1·10^400", "1·10^99999999", "1" * 5000, "-" * 990 + "1 = 1", "9" * 400 + " = 1", "ünïcødé ☃ \u202e", "\x00\x07", "\ud7ff\ufffe",
    # structural arithmetic and the layer notations (issue 15), broken the ways they get mistyped
    "4 * k", "in_channels / 0", "in_channels / 3", "floor(", "floor(in_channels * 0.3)", "1e999 * 2", "x ** 2",
    "__import__('os')", "res", "conv3-", "conv0-64", "FC-0", "[3×3, 64] ×0", "[3×3, 64", "3×3, 64, 64",
    "[1 × 1 conv<br>3 × 3 conv] × 99999", "3 × 3 × 0 dw", "1 × 1 × 32 × 64", "Pool 0 × 0", "Conv dw / s0",
    "5× Conv / s1", "s0", "s2", "56×56", "0×0",
    [], [1], [0], [1, 2, 3], [-1, 2], ["a", "b"], [[1]], [None], {}, {"a": 1}, {"conv": {"out": 1}},
    {"printed": "conv3-64", "applies_to": {"nope": 1}}, {"printed": 1}, {"applies_to": "lrn"},
    {"use": "inception"}, {"first_conv": "separable"},
]
FACTORS = [2, 10, 1000, 10**5, 10**6, 10**9, 10**18, 10**40]


def parse(text: str):
    return yaml.load(text, Loader=_LOADER)


@functools.lru_cache(maxsize=None)
def _pickled(text: str) -> bytes:
    return pickle.dumps(parse(text))


def fresh_tree(text: str):
    """The spec's YAML tree, parsed once per text; each call returns a new copy (unpickling is ~50x
    faster than parsing again)."""
    return pickle.loads(_pickled(text))


def dump(tree, rnd: random.Random) -> str:
    """YAML text for the tree: block-style YAML a quarter of the time, else JSON (which is YAML too,
    in flow style) because PyYAML's representer costs 10-15 ms a spec and json.dumps 1 ms."""
    if rnd.random() < 0.25:
        return yaml.dump(tree, Dumper=_DUMPER, allow_unicode=True, sort_keys=False, width=120)
    return json.dumps(tree, indent=1, ensure_ascii=rnd.random() < 0.5)


def _positions(node, out, section=None):
    """Every (container, key) in the tree, each with the top-level section it lies in."""
    items = node.items() if isinstance(node, dict) else enumerate(node) if isinstance(node, list) else ()
    for key, value in items:
        out.append((node, key, section if section is not None else key))
        _positions(value, out, section if section is not None else key)
    return out


def _scalars(tree) -> list:
    found = []

    def walk(node):
        if isinstance(node, dict):
            for k, v in node.items():
                found.append(k)
                walk(v)
        elif isinstance(node, list):
            for v in node:
                walk(v)
        elif not isinstance(node, float):
            found.append(node)

    walk(tree)
    return found


def _pick_position(tree, rnd: random.Random):
    positions = _positions(tree, [])
    if not positions:
        return None
    if rnd.random() < 0.5:  # half the time: a top-level section first, so small sections get their share
        sections = sorted({str(s) for _, _, s in positions})
        section = rnd.choice(sections)
        positions = [p for p in positions if str(p[2]) == section]
    container, key, _ = rnd.choice(positions)
    return container, key


def _digits_scaled(text: str, fn) -> str:
    """Apply fn to the first run of digits in text ('112×112×64' -> fn('112') ...)."""
    start = next((i for i, ch in enumerate(text) if ch.isdigit()), None)
    if start is None:
        return text
    end = start
    while end < len(text) and text[end].isdigit():
        end += 1
    return text[:start] + fn(text[start:end]) + text[end:]


def _is_number(v) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool)


def mutate_value(value, op: str, rnd: random.Random, scalars: list):
    """The new value for one field under `op`; returns the value unchanged when op does not apply."""
    if op == "retype":
        return copy.deepcopy(rnd.choice(ODD_VALUES))
    if op == "swap":
        return copy.deepcopy(rnd.choice(scalars)) if scalars else value
    if op == "negate":
        if _is_number(value):
            return -value if value else -1
        if isinstance(value, str):
            return _digits_scaled(value, lambda d: "-" + d)
    if op == "zero":
        if _is_number(value):
            return 0
        if isinstance(value, str):
            return _digits_scaled(value, lambda d: "0")
    if op == "enlarge":
        factor = rnd.choice(FACTORS)
        if _is_number(value):
            return value * factor if value else factor
        if isinstance(value, str):
            return _digits_scaled(value, lambda d: str(int(d) * factor) if len(d) < 1000 else d)
    if op == "floatify" and _is_number(value):
        return float(value) + rnd.choice([0.0, 0.5])
    if op == "stringify":
        if _is_number(value) or isinstance(value, bool) or value is None:
            return str(value)
        if isinstance(value, str) and value.strip().isdigit():
            return int(value)
    return value


TREE_OPS = ["delete", "retype", "swap", "negate", "zero", "enlarge", "floatify", "stringify", "duplicate",
            "rename", "emptied"]


def mutate_tree(tree, rnd: random.Random, n_ops: int):
    """Apply n_ops structural mutations in place; returns the list of what was done (for messages)."""
    done = []
    scalars = _scalars(tree)
    for _ in range(n_ops):
        picked = _pick_position(tree, rnd)
        if picked is None:
            break
        container, key = picked
        op = rnd.choice(TREE_OPS)
        value = container[key]
        if op == "delete":
            del container[key]
        elif op == "duplicate":
            if isinstance(value, list) and value:
                value.insert(rnd.randrange(len(value) + 1), copy.deepcopy(rnd.choice(value)))
            elif isinstance(container, list):
                container.insert(key, copy.deepcopy(value))
            else:
                container[f"{key}_2"] = copy.deepcopy(value)
        elif op == "rename":
            if isinstance(container, dict) and isinstance(key, str) and len(key) > 1:
                i = rnd.randrange(len(key))
                new = key[:i] + key[i + 1:]  # a typo: one letter dropped
                if new not in container:
                    container[new] = container.pop(key)
        elif op == "emptied":
            container[key] = type(value)() if isinstance(value, (list, dict, str)) else None
        else:
            container[key] = mutate_value(value, op, rnd, scalars)
        done.append(f"{op} {key!r}")
    return done


# Snippets of YAML a spec must refuse: aliases (one used to blow up size), custom tags, deep nesting.
YAML_SNIPPETS = [
    "bomb: &a [x, x, x, x, x, x, x, x, x]\nbomb2: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a]\n"
    "bomb3: [*b, *b, *b, *b, *b, *b, *b, *b, *b]\n",
    "extra: !!python/object/apply:os.system ['true']\n",
    "extra: !custom 1\n",
    "extra: " + "[" * 5000 + "]" * 5000 + "\n",
    "extra: !!binary aGVsbG8=\n",
    "---\nsecond: document\n",
]
TEXT_OPS = ["truncate", "bytes", "delete_line", "duplicate_line", "swap_lines", "indent", "snippet", "tab"]


def mutate_text(data: bytes, rnd: random.Random) -> tuple[bytes, str]:
    op = rnd.choice(TEXT_OPS)
    lines = data.split(b"\n")
    i = rnd.randrange(len(lines))
    if op == "truncate":
        data = data[:rnd.randrange(len(data) + 1)]
    elif op == "bytes":
        at = rnd.randrange(len(data) + 1)
        data = data[:at] + bytes(rnd.randrange(256) for _ in range(rnd.randint(1, 8))) + data[at:]
    elif op == "delete_line":
        del lines[i]
    elif op == "duplicate_line":
        lines.insert(i, lines[i])
    elif op == "swap_lines":
        j = rnd.randrange(len(lines))
        lines[i], lines[j] = lines[j], lines[i]
    elif op == "indent":
        lines[i] = (b"  " + lines[i]) if rnd.random() < 0.5 else lines[i][2:]
    elif op == "tab":
        lines[i] = b"\t" + lines[i].lstrip(b" ")
    elif op == "snippet":
        lines.insert(i if rnd.random() < 0.3 else len(lines), rnd.choice(YAML_SNIPPETS).encode())
    if op not in ("truncate", "bytes"):
        data = b"\n".join(lines)
    return data, f"{op} (line {i + 1})"


def setting_keys(tree) -> list[str]:
    """Keys --set accepts for this spec (options and row arguments), to mutate command lines too."""
    keys = []
    if isinstance(tree, dict):
        if isinstance(tree.get("options"), dict):
            keys += [str(k) for k in tree["options"]]
        for row in tree.get("rows") or []:
            if isinstance(row, dict) and isinstance(row.get("args"), dict):
                keys += [f"{row.get('name')}.{a}" for a in row["args"]]
    return keys


SET_VALUES = ["0", "-1", "1", "3", "100000", "100001", "1e9", "2.5", "true", "null", "abc", "[a, b]",
              "{a: 1}", "[1, [2]]", "", "'x", "separable", "standard"]


def mutate_spec(text: str, rnd: random.Random) -> tuple[bytes, list[str], list[str]]:
    """One mutant: (file bytes, extra CLI arguments, what was done)."""
    tree = fresh_tree(text)
    done: list[str] = []
    mode = rnd.random()
    if mode < 0.8:
        done += mutate_tree(tree, rnd, rnd.randint(1, 3))
        data = dump(tree, rnd).encode("utf-8")
    else:
        data = text.encode("utf-8")
    if mode >= 0.7:  # the last 10% of tree mutants get a text edit too
        data, what = mutate_text(data, rnd)
        done.append(what)
    extra: list[str] = []
    if rnd.random() < 0.15:
        keys = setting_keys(fresh_tree(text)) + ["no_such_option", "no_row.n1x1", "conv1.no_arg", "=", ""]
        for _ in range(rnd.randint(1, 2)):
            extra += ["--set", f"{rnd.choice(keys)}={rnd.choice(SET_VALUES)}"]
    if rnd.random() < 0.1:
        variants = list((tree.get("variants") or {}) if isinstance(tree, dict) and
                        isinstance(tree.get("variants"), dict) else {}) + ["no_such_variant"]
        extra += ["--variant", str(rnd.choice(variants))]
    return data, extra, done
