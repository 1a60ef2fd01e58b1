"""Does the JSON Schema (archcheck schema) agree with the validator on one loaded spec?

Both are written from the declarations of archcheck/spec/language.py, so they must agree in two ways:
a spec the schema refuses, the validator refuses too (the schema is never stricter); and every problem
of the structural rules the validator reports (`Problem.rule`: an unknown key, a wrong type, a value
outside its choices or bounds, a missing required key, not exactly one layer kind) the schema reports
too, at the same place (or, for a value, at a part of it: a bad entry of `kernel: [h, w]` is a problem
of the kernel to the validator and of the entry to the schema). Problems of the other checks
(references, arithmetic, cells, which keys go together) have no rule and the schema does not state them.

One exception is named: JSON has one kind of number, so to a JSON Schema `3.0` is a whole number. A
float with a whole value where the validator wants an int (`kernel: 3.0`, `kernel: [1.0, 7]`,
`k: 1024.0`) is refused by the validator alone; such problems are counted as `json_number`, not asked
of the schema.
"""
from __future__ import annotations

import functools
from dataclasses import dataclass, field

import jsonschema

from archcheck.spec.schema import schema
from archcheck.spec.structure import STRUCTURAL_RULES


@functools.lru_cache(maxsize=1)
def validator() -> jsonschema.Draft202012Validator:
    return jsonschema.Draft202012Validator(schema())


# Small items the schema accepts, one per section of a spec whose items the schema checks alike.
STAND_INS = {
    "columns": {"name": "c", "kind": "label"},
    "rows": {"name": "r"},
    "claims": {"id": "c", "text": "t", "quantity": "params", "value": "1"},
    "errata": {"id": "e", "expected": 1, "arithmetic": "1 = 1", "explanation": "x", "source": "y"},
    "templates": {"merge": "sequence", "layers": []},
    "variants": {"set": {}},
}


def reduced(doc, base):
    """`doc` with every item of its sections (a row, a column, a template, ...) that equals an item of
    the same section of `base`, a spec the schema accepts, replaced by that section's stand-in.

    The schema's errors are local: what it says of an item depends on that item alone (no keyword of
    the schema relates two items, and the sections' own keywords see only their lengths and keys). So
    the schema finds the same errors, at the same places, in the reduced document, without walking the
    unchanged bulk of a mutant."""
    if not isinstance(doc, dict) or not isinstance(base, dict):
        return doc
    out = dict(doc)
    for section, stand_in in STAND_INS.items():
        items, known = doc.get(section), base.get(section)
        if isinstance(items, list) and isinstance(known, list):
            out[section] = [stand_in if item in known else item for item in items]
        elif isinstance(items, dict) and isinstance(known, dict):
            out[section] = {k: stand_in if k in known and v == known[k] else v for k, v in items.items()}
    return out


def schema_errors(doc) -> list[jsonschema.ValidationError]:
    """Every error the schema finds, with those inside anyOf/oneOf alternatives."""
    out, todo = [], list(validator().iter_errors(doc))
    while todo:
        error = todo.pop()
        out.append(error)
        todo.extend(error.context or ())
    return out


def _value_at(doc, path):
    for key in path:
        try:
            doc = doc[key]
        except (KeyError, IndexError, TypeError):
            return None
    return doc


def _whole_float(value) -> bool:
    """A float with a whole value, or a list ([h, w]) holding one."""
    values = value if isinstance(value, list) else [value]
    return any(isinstance(v, float) and v.is_integer() for v in values)


@dataclass
class Agreement:
    schema_refuses: bool | None = False  # None: not asked (the validator refused, none of it structural)
    validator_refuses: bool = False
    structural: int = 0                 # structural problems the validator reported
    matched: int = 0                    # ... that the schema reported at the same place
    json_number: int = 0                # ... about a whole-valued float (see the module's docstring)
    unmatched: list = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return (self.validator_refuses or not self.schema_refuses) and not self.unmatched


def agreement(doc, problems, base=None) -> Agreement:
    """Compare the schema's verdict on `doc` with the validator's `problems` (None: it accepted `doc`);
    `base`: a spec the schema accepts that `doc` was made from (only what differs is walked again).

    A spec the validator refuses for other checks alone agrees with any verdict of the schema, which
    is then not asked (it is the slow part)."""
    if problems is not None and not any(p.rule in STRUCTURAL_RULES for p in problems):
        return Agreement(schema_refuses=None, validator_refuses=True)
    errors = schema_errors(reduced(doc, base) if base is not None else doc)
    places = {tuple(e.absolute_path) for e in errors}
    result = Agreement(schema_refuses=bool(errors), validator_refuses=problems is not None)
    for p in problems or ():
        if p.rule not in STRUCTURAL_RULES:
            continue
        result.structural += 1
        # An unknown or missing key is reported on the mapping that has (or lacks) it.
        if p.rule in ("key", "required"):
            found = p.path[:-1] in places
        else:
            found = any(place[:len(p.path)] == p.path for place in places)
        if found:
            result.matched += 1
        elif p.rule in ("type", "enum") and _whole_float(_value_at(doc, p.path)):
            result.json_number += 1
        else:
            result.unmatched.append(p)
    return result
