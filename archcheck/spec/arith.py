"""Re-checking an erratum's arithmetic ("160+160+160+128 = 608") with a tiny safe evaluator."""
from __future__ import annotations

import ast
import operator
import re

_OPS = {ast.Add: operator.add, ast.Sub: operator.sub, ast.Mult: operator.mul, ast.Div: operator.truediv}


class ArithmeticError_(ValueError):
    pass


MAX_EXPRESSION = 1_000     # characters; the longest arithmetic in the bundled specs has about 100


def _clip(expr: str) -> str:
    expr = " ".join(expr.split())
    return expr if len(expr) <= 80 else expr[:77] + "..."


def evaluate(expr: str) -> float:
    if len(expr) > MAX_EXPRESSION:
        raise ArithmeticError_(f"expected arithmetic of at most {MAX_EXPRESSION:,} characters, found {len(expr):,}")
    text = re.sub(r"(?<=\d),(?=\d{3}\b)", "", expr).replace("×", "*").replace("·", "*").replace("−", "-")
    try:
        tree = ast.parse(text.strip(), mode="eval")
    except (SyntaxError, ValueError, RecursionError):  # ValueError: an integer of more than 4,300 digits
        raise ArithmeticError_(f"cannot read {_clip(expr)!r} as arithmetic (numbers, + - * / × ·, parentheses)") from None

    def ev(node):
        if isinstance(node, ast.Expression):
            return ev(node.body)
        if isinstance(node, ast.Constant) and isinstance(node.value, (int, float)) and not isinstance(node.value, bool):
            return node.value
        if isinstance(node, ast.BinOp) and type(node.op) in _OPS:
            left, right = ev(node.left), ev(node.right)
            if isinstance(node.op, ast.Div) and right == 0:
                raise ArithmeticError_(f"division by zero in {_clip(expr)!r}")
            return _OPS[type(node.op)](left, right)
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
            return -ev(node.operand)
        raise ArithmeticError_(f"only numbers, + - * / and parentheses are allowed, found {_clip(expr)!r}")

    try:
        return float(ev(tree))
    except RecursionError:  # '------1' a thousand signs deep
        raise ArithmeticError_(f"expected arithmetic nested less deeply, found {_clip(expr)!r}") from None
    except OverflowError:   # a product beyond 1.8e308
        raise ArithmeticError_(f"expected numbers below 1e308, found {_clip(expr)!r}") from None


def check_arithmetic(text: str, expected: float | None) -> float:
    """Evaluate 'LHS = RHS'; both sides must agree, and RHS must equal `expected` when given."""
    parts = text.split("=")
    if len(parts) != 2:
        raise ArithmeticError_(f"expected 'expression = result', found {_clip(text)!r}")
    lhs, rhs = evaluate(parts[0]), evaluate(parts[1])
    if abs(lhs - rhs) > 1e-9 * max(1.0, abs(rhs)):
        raise ArithmeticError_(f"the arithmetic does not hold: {_clip(parts[0])} gives {lhs:,.10g}, not {rhs:,.10g}")
    if expected is not None and abs(rhs - expected) > 1e-9 * max(1.0, abs(expected)):
        raise ArithmeticError_(f"the arithmetic gives {rhs:,.10g} but expected says {expected:,.10g}")
    return rhs
