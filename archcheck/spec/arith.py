"""The one evaluator for arithmetic a spec writes: erratum checks ("160+160+160+128 = 608") and
structural values ("4 * k", "in_channels / 2", "floor(64 * alpha)").

A tiny walker over Python's parse tree, never `eval`: numbers, + - * /, parentheses, unary minus,
floor() ceil() round(), and, in structural values only, names (options, template parameters,
in_channels) looked up in a given mapping. Numbers are exact fractions of the decimals as written
(0.1 is one tenth), so "64 * 0.75" is exactly 48 and a whole result is recognised without a
tolerance. Bounded: at most MAX_EXPRESSION characters, finite numbers only (1e999 is infinite and
refused, so NaN cannot arise), every intermediate value below 1e308 in size and precision.
"""
from __future__ import annotations

import ast
import math
import re
from fractions import Fraction

MAX_EXPRESSION = 1_000     # characters; the longest arithmetic in the bundled specs has about 100
_LIMIT = 10**308           # no numerator or denominator beyond this (a float's range)
FUNCTIONS = ("floor", "ceil", "round")
_OPS = {ast.Add: lambda a, b: a + b, ast.Sub: lambda a, b: a - b, ast.Mult: lambda a, b: a * b,
        ast.Div: lambda a, b: a / b}


class ArithmeticError_(ValueError):
    pass


def _clip(expr: str) -> str:
    expr = " ".join(str(expr).split())
    return expr if len(expr) <= 80 else expr[:77] + "..."


def _round(x: Fraction) -> int:
    """To the nearest whole number, halves away from zero (2.5 -> 3, -2.5 -> -3)."""
    return math.floor(x + Fraction(1, 2)) if x >= 0 else -math.floor(-x + Fraction(1, 2))


_CALLS = {"floor": math.floor, "ceil": math.ceil, "round": _round}


def parse(expr: str) -> ast.Expression:
    """The parse tree of `expr`, checked to hold only what the evaluator allows."""
    expr = str(expr)
    if len(expr) > MAX_EXPRESSION:
        raise ArithmeticError_(f"expected arithmetic of at most {MAX_EXPRESSION:,} characters, found {len(expr):,}")
    text = re.sub(r"(?<=\d),(?=\d{3}\b)", "", expr).replace("×", "*").replace("·", "*").replace("−", "-")
    try:
        tree = ast.parse(text.strip(), mode="eval")
    except (SyntaxError, ValueError, RecursionError, MemoryError):  # ValueError: more than 4,300 digits
        raise ArithmeticError_(f"cannot read {_clip(expr)!r} as arithmetic (numbers, + - * / × ·, parentheses)") from None
    try:
        for node in ast.walk(tree):
            if isinstance(node, ast.Constant):
                value = node.value
                if not isinstance(value, (int, float)) or isinstance(value, bool):
                    raise ArithmeticError_(f"only numbers, + - * / and parentheses are allowed, found {_clip(expr)!r}")
                if isinstance(value, float) and not math.isfinite(value):
                    raise ArithmeticError_(f"expected finite numbers (below 1e308), found {_clip(expr)!r}")
            elif isinstance(node, ast.Call):
                if (not isinstance(node.func, ast.Name) or node.func.id not in FUNCTIONS or len(node.args) != 1
                        or node.keywords):
                    raise ArithmeticError_(f"expected floor(x), ceil(x) or round(x) as the only functions, found "
                                           f"{_clip(expr)!r}")
            elif not isinstance(node, (ast.Expression, ast.BinOp, ast.UnaryOp, ast.Name, ast.Load)
                                + tuple(_OPS) + (ast.USub,)):
                raise ArithmeticError_(f"only numbers, + - * / and parentheses are allowed, found {_clip(expr)!r}")
            if isinstance(node, ast.UnaryOp) and not isinstance(node.op, ast.USub):
                raise ArithmeticError_(f"only numbers, + - * / and parentheses are allowed, found {_clip(expr)!r}")
    except RecursionError:
        raise ArithmeticError_(f"expected arithmetic nested less deeply, found {_clip(expr)!r}") from None
    return tree


def names_in(expr: str) -> list[str]:
    """The names an expression refers to (not its functions), in order of first use."""
    tree = parse(expr)
    calls = {id(n.func) for n in ast.walk(tree) if isinstance(n, ast.Call)}
    out = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Name) and id(node) not in calls and node.id not in out:
            out.append(node.id)
    return out


def exact(value) -> Fraction:
    """A spec's number as an exact fraction of its decimal (0.1 -> 1/10)."""
    if isinstance(value, Fraction):
        return value
    if isinstance(value, int) and not isinstance(value, bool):
        return Fraction(value)
    if isinstance(value, float) and math.isfinite(value):
        return Fraction(repr(value))
    raise TypeError(value)


def evaluate(expr: str, names=None) -> Fraction:
    """The exact value of `expr`. Names are allowed only when `names` (a mapping to numbers) is given."""
    tree = parse(expr)

    def bounded(x: Fraction) -> Fraction:
        if abs(x.numerator) > _LIMIT or x.denominator > _LIMIT:
            raise ArithmeticError_(f"expected numbers below 1e308, found {_clip(expr)!r}")
        return x

    def ev(node) -> Fraction:
        if isinstance(node, ast.Expression):
            return ev(node.body)
        if isinstance(node, ast.Constant):
            return bounded(exact(node.value))
        if isinstance(node, ast.Name):
            if names is None:
                raise ArithmeticError_(f"only numbers, + - * / and parentheses are allowed, found {_clip(expr)!r}")
            if node.id not in names:
                raise ArithmeticError_(f"undefined name {node.id!r} in {_clip(expr)!r}")
            value = names[node.id]
            try:
                return bounded(exact(value))
            except TypeError:
                raise ArithmeticError_(f"{node.id!r} in {_clip(expr)!r} is {_what(value)}, not a number") from None
        if isinstance(node, ast.BinOp):
            left, right = ev(node.left), ev(node.right)
            if isinstance(node.op, ast.Div) and right == 0:
                raise ArithmeticError_(f"division by zero in {_clip(expr)!r}")
            return bounded(_OPS[type(node.op)](left, right))
        if isinstance(node, ast.UnaryOp):
            return -ev(node.operand)
        if isinstance(node, ast.Call):
            return Fraction(_CALLS[node.func.id](ev(node.args[0])))
        raise ArithmeticError_(f"only numbers, + - * / and parentheses are allowed, found {_clip(expr)!r}")

    try:
        return ev(tree)
    except RecursionError:  # '------1' a thousand signs deep
        raise ArithmeticError_(f"expected arithmetic nested less deeply, found {_clip(expr)!r}") from None


def _what(value) -> str:
    if isinstance(value, bool):
        return f"a boolean ({str(value).lower()})"
    if isinstance(value, str):
        return f"text ({value!r})" if len(value) < 40 else "text"
    if isinstance(value, float):
        return f"a number ({value})"
    return "a list" if isinstance(value, list) else type(value).__name__


def shown(x: Fraction) -> str:
    """A value for a message: whole numbers with thousands separators, others to 10 digits."""
    if x.denominator == 1:
        return f"{x.numerator:,}"
    return f"{float(x):,.10g}"


def check_arithmetic(text: str, expected: float | None) -> Fraction:
    """Evaluate 'LHS = RHS'; both sides must agree, and RHS must equal `expected` when given."""
    parts = str(text).split("=")
    if len(parts) != 2:
        raise ArithmeticError_(f"expected 'expression = result', found {_clip(text)!r}")
    lhs, rhs = evaluate(parts[0]), evaluate(parts[1])
    if abs(lhs - rhs) > Fraction(1, 10**9) * max(1, abs(rhs)):
        raise ArithmeticError_(f"the arithmetic does not hold: {_clip(parts[0])} gives {float(lhs):,.10g}, "
                               f"not {float(rhs):,.10g}")
    if expected is not None:
        want = exact(expected)
        if abs(rhs - want) > Fraction(1, 10**9) * max(1, abs(want)):
            raise ArithmeticError_(f"the arithmetic gives {float(rhs):,.10g} but expected says {float(want):,.10g}")
    return rhs
