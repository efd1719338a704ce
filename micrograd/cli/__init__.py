"""The `micrograd` command: parse, check every argument, then work; fail in one line.

check.py, demo.py, compare.py and graph.py hold one command each; options.py what they
share. Exit codes: 0 done, 1 the work failed (an output that cannot be written, a budget,
a missing program, gradients that disagree), 2 a usage error, 130 Ctrl-C. An error is
one line on stderr, `micrograd CMD: error: ...`; the traceback only with --debug or
MICROGRAD_DEBUG=1.
"""
from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from types import ModuleType

from .._version import __version__
from ..errors import MicrogradError
from . import check, compare, demo, explain, graph
from .options import CommandError, Parser, UsageError, add_debug, one_line

__all__ = ["main", "build_parser", "COMMANDS"]

COMMANDS: tuple[ModuleType, ...] = (check, demo, compare, graph, explain)

DESCRIPTION = """\
micrograd computes gradients three ways (backprop, the naive chain rule, forward
mode), counts the work each one does, and draws the graph backprop walks."""
EPILOG = """\
examples:
  micrograd demo -o pictures/
  micrograd compare --model chain --depth 1:16
  micrograd graph --model chain --depth 4 --naive-counts -o chain.svg

Run `micrograd COMMAND --help` for a command's options."""


def build_parser() -> Parser:
    """The parser of `micrograd` and every command, each registered the same way."""
    parser = Parser(prog="micrograd", description=DESCRIPTION, epilog=EPILOG)
    parser.add_argument("--version", action="version", version=f"micrograd {__version__}")
    add_debug(parser)
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", title="commands",
                                parser_class=Parser)
    for command in COMMANDS:
        p = sub.add_parser(command.NAME, help=command.HELP, description=command.DESCRIPTION,
                           epilog=command.EXAMPLES)
        command.add_arguments(p)
        add_debug(p)
        p.set_defaults(module=command)
    return parser


def _debug(args: argparse.Namespace | None) -> bool:
    return (bool(getattr(args, "debug", False))
            or os.environ.get("MICROGRAD_DEBUG", "") not in ("", "0"))


def _say(prog: str, message: object) -> None:
    print(f"{prog}: error: {one_line(message)}", file=sys.stderr)


def main(argv: Sequence[str] | None = None) -> int:
    """Run `micrograd` with `argv` (default sys.argv[1:]); the exit code."""
    argv = list(sys.argv[1:] if argv is None else argv)
    parser = build_parser()
    prog, args = "micrograd", None
    try:
        try:
            args, extra = parser.parse_known_args(argv)
        except SystemExit as e:  # --help and --version print, then exit 0
            return e.code if isinstance(e.code, int) else 0
        if getattr(args, "command", None) is None:
            parser.print_help(sys.stderr)
            return 2
        prog = f"micrograd {args.command}"
        if extra:  # named here rather than by argparse, so the message names the command
            raise UsageError(f"unrecognized arguments: {' '.join(extra)} (see {prog} --help)")
        args.module.check(args)  # every argument, before any work starts
        return int(args.module.run(args))
    except UsageError as e:
        _say(e.prog or prog, e)
        return 2
    except KeyboardInterrupt:
        if _debug(args):
            raise
        return 130
    except BrokenPipeError:  # `micrograd compare | head`: the reader left; stop quietly
        try:  # and keep Python from failing again when it flushes stdout at exit
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        except (OSError, ValueError):
            pass
        return 141  # 128 + SIGPIPE, what a shell reports for a reader that went away
    except CommandError as e:
        if _debug(args):
            raise
        _say(prog, e)
        return 1
    except (MicrogradError, OSError) as e:
        if _debug(args):
            raise
        if isinstance(e, OSError) and e.filename is not None:
            _say(prog, f"{e.filename}: {e.strerror or e}; check the path and its permissions")
        else:
            _say(prog, e)
        return 1
    except Exception as e:  # a bug: still one line, and how to see more
        if _debug(args):
            raise
        _say(prog, f"internal error, {type(e).__name__}: {e} (run again with --debug for the "
                   f"traceback, and please report it)")
        return 1


if __name__ == "__main__":
    sys.exit(main())
