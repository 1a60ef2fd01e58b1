"""Structural values: a literal, a name, or arithmetic over names, resolved where it is written.

A value the builder reads (a layer argument, a row or template argument, a repeat count, an input
size) is a number, a keyword (`same`, `max`, `relu`, ...), a name (an option, a template parameter,
`in_channels`), or arithmetic over numbers and names ("4 * k", "in_channels / 2", "floor(64 * alpha)"),
evaluated exactly by arith.py, the evaluator of erratum arithmetic. Validation checks the names an
expression uses (`references`); the builder resolves it in its scope (`resolve`). A whole result is
an integer; any other result, where a whole number is needed, is an error naming the expression, unless
the expression says how to round (floor, ceil, round). A literal float stays a float, so `out: 48.0`
is refused where a whole number is needed, as before.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from fractions import Fraction

from . import language
from .arith import ArithmeticError_, evaluate, names_in, shown

WORDS = frozenset(language.WORDS)   # keywords (same, max, relu, ...): never names
NAME = re.compile(r"[A-Za-z_]\w*")


class ValueProblem(ValueError):
    """Why a structural value cannot be resolved (the message names the value)."""


@dataclass(frozen=True)
class Computed:
    """A result of arithmetic that is not a whole number, kept with its expression so that a use
    needing a whole number can say which expression gave it."""

    text: str
    value: Fraction


def is_name(raw) -> bool:
    return isinstance(raw, str) and raw not in WORDS and NAME.fullmatch(raw) is not None


def is_expression(raw) -> bool:
    """Arithmetic: text that is neither a keyword nor a plain name."""
    return isinstance(raw, str) and raw not in WORDS and NAME.fullmatch(raw) is None


def references(raw) -> list[str]:
    """The names `raw` refers to (itself, if a name; an expression's names; a list's); raises
    ArithmeticError_ for text that is not arithmetic."""
    if isinstance(raw, list):
        return [n for v in raw for n in references(v)]
    if is_name(raw):
        return [raw]
    if is_expression(raw):
        return names_in(raw)
    return []


def _numbers(env: dict) -> dict:
    return {k: (v.value if isinstance(v, Computed) else v) for k, v in env.items()}


def settle(value, need: str | None):
    """A resolved value for a use that needs a whole number ('whole'), a number ('number') or either."""
    if isinstance(value, Computed):
        if need == "whole":
            raise ValueProblem(f"expected a whole number, found {value.text!r} = {shown(value.value)}; say how to "
                               "round it: floor(...), ceil(...) or round(...)")
        if need == "number":
            return float(value.value)
    return value


def evaluate_value(text: str, env: dict):
    """Arithmetic -> an int when whole, else a Computed."""
    try:
        value = evaluate(text, _numbers(env))
    except ArithmeticError_ as exc:
        raise ValueProblem(str(exc)) from None
    return int(value) if value.denominator == 1 else Computed(text, value)


def resolve(raw, env: dict, need: str | None = None):
    """The value of `raw` in the scope `env` (name -> value); lists element by element."""
    if isinstance(raw, list):
        return [resolve(v, env, need) for v in raw]
    if is_name(raw):
        if raw not in env:
            raise ValueProblem(f"undefined reference {raw!r}")
        return settle(env[raw], need)
    if is_expression(raw):
        return settle(evaluate_value(raw, env), need)
    return raw


def need_of(declared: language.Type | None) -> str | None:
    """What a value of a declared type needs its arithmetic to give: a whole number, a number, or either."""
    if isinstance(declared, language.Number):
        return "whole" if declared.whole else "number"
    return None
