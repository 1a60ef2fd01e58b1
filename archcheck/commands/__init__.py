"""Subcommands. Each module defines `register(subparsers, common)` and `run(args) -> exit code`.

Command modules must not import torch at module level: `archcheck --help` and usage errors answer
without it.
"""
