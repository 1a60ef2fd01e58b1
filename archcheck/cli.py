"""Command line: argument parsing only; the work is done by the library API.

Exit codes: 0 verified (no mismatch), 1 mismatches found, 2 bad input or usage, 3 internal error.
Nothing here imports torch at module level, so `--help` and usage errors answer at once.
"""
from __future__ import annotations

import argparse
import contextlib
import gc
import importlib
import os
import sys

from .output import output_file

EXIT_OK, EXIT_MISMATCH, EXIT_INPUT, EXIT_INTERNAL = 0, 1, 2, 3


class _Parser(argparse.ArgumentParser):
    def error(self, message):  # argparse's own usage errors: one line, exit 2
        self.exit(EXIT_INPUT, f"archcheck: error: {message} (see archcheck {self.prog.split()[-1]} --help)\n"
                  if " " in self.prog else f"archcheck: error: {message} (see archcheck --help)\n")


def _common(p: argparse.ArgumentParser) -> None:
    p.add_argument("--variant", metavar="NAME", help="a named set of --set overrides declared in the spec")
    p.add_argument("--set", dest="sets", action="append", default=[], metavar="KEY=VALUE",
                   help="override a build option (num_classes=10) or a row's value (inception_3a.n5x5=48); "
                        "repeatable, applied in order after --variant")
    p.add_argument("--output", "-o", metavar="FILE", type=output_file,
                   help="write the report to FILE (atomically) instead of stdout")
    p.add_argument("--debug", action="store_true", help="show tracebacks (internal errors, --model failures)")


COMMANDS = ["verify", "summary", "list", "report", "readme", "schema"]   # modules in archcheck/commands/, in the order --help lists them


def make_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="archcheck", description="Check neural-network architectures against the papers that "
                     "define them.", epilog="Exit codes: 0 verified, 1 mismatches found, 2 bad input or usage, "
                     "3 internal error (a bug).")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    sub.required = True
    for name in COMMANDS:
        module = importlib.import_module(f"archcheck.commands.{name}")
        module.register(sub, _common)
    return parser


@contextlib.contextmanager
def gc_paused():
    """Pause the cyclic garbage collector for one command, restoring its state after.

    A command makes few reference cycles, but once torch is imported every full collection walks its
    ~165,000 objects (about 80 ms, several times per run), and `import torch` itself runs ~0.2 s faster
    without collections. Code that runs real-weight models (--crosscheck) resumes collection itself.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def main(argv=None) -> int:
    """The command line. argv None (the `archcheck` program, `python -m archcheck`): the process then ends."""
    code = _main(argv)
    if argv is None:
        exit_now(code)
    return code


def exit_now(code: int) -> None:
    """End the process at once. With torch loaded, interpreter shutdown (module teardown, and a full
    collection of its ~165,000 objects were the collector on) takes ~0.3 s and has nothing left to do."""
    for stream in (sys.stdout, sys.stderr):
        try:
            if stream is not None:      # None: the process was started with the stream closed
                stream.flush()
        except (OSError, ValueError):   # a closed pipe or stream: nothing more can be written anyway
            pass
    os._exit(code)


def _main(argv) -> int:
    parser = make_parser()
    args = parser.parse_args(argv)
    from .interrupts import watch

    try:
        with gc_paused(), watch():
            return importlib.import_module(f"archcheck.commands.{args.command}").run(args)
    except KeyboardInterrupt:
        print("archcheck: interrupted", file=sys.stderr)
        return EXIT_INPUT
    except BrokenPipeError:   # stderr's reader went away (stdout's is handled where it is written)
        return EXIT_INPUT
    except Exception as exc:  # noqa: BLE001 - the one place that turns errors into exit codes
        from .errors import InputError, ModelError
        from .output import printable

        if isinstance(exc, InputError):
            for problem in exc.problems:   # may quote a spec or a model: no raw control characters
                print(f"archcheck: error: {printable(str(problem))}", file=sys.stderr)
            if isinstance(exc, ModelError) and args.debug and exc.cause is not None:
                import traceback
                traceback.print_exception(exc.cause, file=sys.stderr)
            return EXIT_INPUT
        if args.debug:
            import traceback
            traceback.print_exc()
        print(f"archcheck: internal error: {type(exc).__name__}: {printable(str(exc))}. This is a bug in archcheck; please "
              f"report it with the command line{'' if args.debug else ' (rerun with --debug for the traceback)'}.",
              file=sys.stderr)
        return EXIT_INTERNAL


if __name__ == "__main__":
    sys.exit(main())
