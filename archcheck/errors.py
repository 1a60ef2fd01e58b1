"""Errors meant for people: each names where the problem is and what was expected.

Exit codes (see cli.py): 0 verified, 1 mismatches, 2 bad input or usage, 3 internal error.
"""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Problem:
    """One problem in an input file: `file:line:column: field: message`.

    A problem the structural check of a spec finds (spec/structure.py) also names the rule it breaks
    (`rule`: key, type, enum, range, required or kind; "" for every other problem) and its place in the
    document (`path`: keys and list indices, as a JSON Schema validator names it)."""

    file: str
    line: int | None
    column: int | None
    field: str
    message: str
    rule: str = ""
    path: tuple = ()

    def __str__(self) -> str:
        where = self.file
        if self.line is not None:
            where += f":{self.line}"
            if self.column is not None:
                where += f":{self.column}"
        return f"{where}: {self.field}: {self.message}" if self.field else f"{where}: {self.message}"


class InputError(Exception):
    """Bad input or usage (exit code 2). Holds one or more problems."""

    def __init__(self, problems: list[Problem] | str):
        if isinstance(problems, str):
            problems = [Problem("archcheck", None, None, "", problems)]
        self.problems = list(problems)
        super().__init__("\n".join(str(p) for p in self.problems))


class SpecError(InputError):
    """A spec file that cannot be loaded, validated or built."""


class ModelError(InputError):
    """A user's model (--model) that cannot be imported, constructed or run."""

    def __init__(self, message: str, cause: BaseException | None = None):
        super().__init__([Problem("--model", None, None, "", message)])
        self.cause = cause
