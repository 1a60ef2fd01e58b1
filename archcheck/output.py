"""Where command output goes: stdout, or a file written atomically."""
from __future__ import annotations

import sys


def emit(text: str, output: str | None) -> None:
    if output:
        from .fsutil import write_atomic
        write_atomic(output, text)
    else:
        sys.stdout.write(text)
