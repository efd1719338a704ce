"""What every command shares: the parser that reports a usage error in one line, the two
errors a command raises, the value types, the options several commands take, and the
checks on output paths that run before any work.

A command is a module with NAME, HELP, DESCRIPTION, EXAMPLES, `add_arguments(parser)`,
`check(args)` (every argument, before any work: raises UsageError or CommandError) and
`run(args) -> exit code`; cli/__init__.py registers them all the same way.
"""
from __future__ import annotations

import argparse
import os
import sys
import tempfile
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from ..files import write_atomically
from ..lab.families import FAMILIES, Family

__all__ = ["UsageError", "CommandError", "Parser", "whole", "parse_depths", "parse_sizes",
           "output_file", "check_output_file", "check_output_folder", "write_file",
           "add_out_folder", "add_seed", "add_debug", "add_model", "add_form",
           "check_family_options", "demo_options", "is_fast", "one_line"]


class UsageError(Exception):
    """The command line cannot be run as written (exit 2). `prog` names the command."""

    def __init__(self, message: str, prog: str | None = None):
        super().__init__(message)
        self.prog = prog


class CommandError(Exception):
    """The command cannot do its work: an output it cannot write, a budget, a missing
    program (exit 1). The message says what and how to fix it."""


def one_line(text: Any) -> str:
    """`text` on one line: a message printed to the terminal must not spill over several."""
    return " ".join(str(text).split())


class Parser(argparse.ArgumentParser):
    """An ArgumentParser that raises UsageError (one line, no usage block) instead of
    printing its usage and exiting."""

    def __init__(self, *args: Any, **kwargs: Any):
        kwargs.setdefault("formatter_class", argparse.RawDescriptionHelpFormatter)
        super().__init__(*args, **kwargs)

    def error(self, message: str) -> Any:  # argparse calls this for every usage error
        raise UsageError(f"{message} (see {self.prog} --help)", prog=self.prog)


# --------------------------------------------------------------------------- value types

def whole(least: int) -> Callable[[str], int]:
    """An argparse type: a whole number >= least."""
    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
        if value < least:
            raise argparse.ArgumentTypeError(f"must be at least {least}, got {value}")
        return value
    parse.__name__ = f"whole number >= {least}"  # what argparse calls the type in messages
    return parse


def parse_depths(text: str) -> list[int]:
    """'8' → [8];  '1:16' → 1..16 inclusive;  '2:16:2' → 2, 4, …, 16;  '1,2,4,8' → that list."""
    form = "write N, A:B, A:B:STEP or A,B,C with whole numbers >= 1, such as 1:16"
    try:
        if "," in text:
            depths = [int(t) for t in text.split(",")]
        elif ":" in text:
            parts = [int(t) for t in text.split(":")]
            if len(parts) not in (2, 3):
                raise argparse.ArgumentTypeError(f"{text!r} has {len(parts)} parts; {form}")
            step = parts[2] if len(parts) == 3 else 1
            if step < 1:
                raise argparse.ArgumentTypeError(f"the step of {text!r} must be at least 1, "
                                                 f"got {step}")
            if parts[0] > parts[1]:
                raise argparse.ArgumentTypeError(
                    f"the range {text!r} is empty: it starts after it ends; write A:B with "
                    f"A <= B, such as {parts[1]}:{parts[0]}")
            depths = list(range(parts[0], parts[1] + 1, step))
        else:
            depths = [int(text)]
    except ValueError:
        raise argparse.ArgumentTypeError(f"cannot read {text!r}; {form}") from None
    if min(depths) < 1:
        raise argparse.ArgumentTypeError(f"depths must be at least 1, got {min(depths)} in "
                                         f"{text!r}")
    return depths


def parse_sizes(text: str) -> list[int]:
    """'2,10,2' → [2, 10, 2]: at least two whole numbers >= 1."""
    try:
        sizes = [int(t) for t in text.split(",")]
    except ValueError:
        raise argparse.ArgumentTypeError(f"sizes must be whole numbers separated by commas, "
                                         f"like 2,10,2; got {text!r}") from None
    if len(sizes) < 2 or min(sizes) < 1:
        raise argparse.ArgumentTypeError(f"sizes needs at least two sizes >= 1 (inputs, "
                                         f"outputs), like 2,10,2; got {text!r}")
    return sizes


def output_file(*suffixes: str) -> Callable[[str], Path]:
    """An argparse type: a file name ending in one of `suffixes` (none: any name)."""
    def parse(text: str) -> Path:
        path = Path(text)
        if not text or text.endswith(os.sep) or path.name in ("", ".", ".."):
            raise argparse.ArgumentTypeError(f"{text!r} is not a file name")
        if suffixes and path.suffix.lower() not in suffixes:
            got = f"a {path.suffix} file" if path.suffix else "a name without an extension"
            names = (f"{', '.join(suffixes[:-1])} or {suffixes[-1]}" if len(suffixes) > 1
                     else suffixes[0])
            raise argparse.ArgumentTypeError(f"cannot write {got} ({text}); name it {names}")
        return path
    parse.__name__ = "file name"
    return parse


# --------------------------------------------------------------------------- output checks

def _probe(folder: Path) -> str | None:
    """Why nothing can be written in the existing folder `folder` (None: it can). Tries for
    real, with a temporary file it removes at once: permissions alone do not tell (root may
    write anywhere but on a read-only or virtual file system such as /proc)."""
    try:
        fd, tmp = tempfile.mkstemp(dir=folder, prefix=".micrograd-probe-")
    except OSError as e:
        return e.strerror or str(e)
    os.close(fd)
    os.unlink(tmp)
    return None


def check_output_file(path: Path, option: str, example: str) -> None:
    """CommandError unless `path` can be written as a file: its folder exists and takes
    files, and it is not a folder itself (`example`: a file name to suggest inside it)."""
    if path.is_dir():
        raise CommandError(f"{option} {path}: is a folder; give a file name inside it, such as "
                           f"{path / example}")
    folder = path.parent
    if not folder.exists():
        raise CommandError(f"{option} {path}: the folder {folder} does not exist; create it "
                           f"(mkdir -p {folder}) or choose another path")
    if not folder.is_dir():
        raise CommandError(f"{option} {path}: {folder} is a file, not a folder; choose another "
                           f"path")
    why = _probe(folder)
    if why:
        raise CommandError(f"{option} {path}: cannot write in {folder} ({why}); choose a "
                           f"folder you can write to")


def check_output_folder(path: Path, option: str) -> None:
    """CommandError unless `path` is a folder that files can be written in, or one that can
    be created (with its parents). Nothing is created here: the work creates it."""
    if path.exists():
        if not path.is_dir():
            raise CommandError(f"{option} {path}: is a file, not a folder; give a folder for "
                               f"the pictures (it is created if missing)")
        why = _probe(path)
        if why:
            raise CommandError(f"{option} {path}: cannot write in it ({why}); choose a folder "
                               f"you can write to")
        return
    ancestor = path.absolute().parent
    while not ancestor.exists():
        ancestor = ancestor.parent
    if not ancestor.is_dir():
        raise CommandError(f"{option} {path}: cannot create it, {ancestor} is a file; choose "
                           f"another folder")
    try:  # a real attempt, removed at once, for the reason given in _probe
        os.rmdir(tempfile.mkdtemp(dir=ancestor, prefix=".micrograd-probe-"))
    except OSError as e:
        raise CommandError(f"{option} {path}: cannot create it in {ancestor} "
                           f"({e.strerror or e}); choose another folder") from None


def write_file(path: Path, text: str) -> Path:
    """Write `text` to `path` in one step (a temporary file renamed over it), so that a
    failure leaves no half-written file."""
    return write_atomically(path, lambda f: f.write(text.encode("utf-8")))


# --------------------------------------------------------------------------- shared options

def add_seed(p: argparse.ArgumentParser, what: str) -> None:
    p.add_argument("--seed", type=whole(0), default=0, metavar="N",
                   help=f"seed for {what}: the same seed gives the same numbers (default 0)")


def add_debug(p: argparse.ArgumentParser) -> None:
    # SUPPRESS: the subcommand's default must not overwrite `micrograd --debug CMD`.
    p.add_argument("--debug", action="store_true", default=argparse.SUPPRESS,
                   help="on an error, show Python's traceback (also: MICROGRAD_DEBUG=1)")


def _families_help() -> str:
    return "; ".join(f"{f.name}: {f.summary}" for f in FAMILIES.values())


def add_model(p: argparse.ArgumentParser, default: str, depth_help: str,
              depth_type: Callable[[str], Any], depth_metavar: str) -> None:
    """--model, --depth, --width, --batch: which member of which family (docs/complexity.md)."""
    p.add_argument("--model", choices=list(FAMILIES), default=default,
                   help=f"the model family ({_families_help()}; default {default})")
    p.add_argument("--depth", type=depth_type, default=None, metavar=depth_metavar,
                   help=depth_help)
    widths = ", ".join(f"{f.name} {f.default_width}" for f in FAMILIES.values())
    p.add_argument("--width", type=whole(1), default=None, metavar="N",
                   help=f"units per layer; hidden units for lab; entries of x for ladder "
                        f"(default: {widths})")
    p.add_argument("--batch", type=whole(1), default=None, metavar="N",
                   help="input rows or points the loss is computed on (not for ladder; "
                        "default 8)")


def add_one_member(p: argparse.ArgumentParser) -> None:
    """--model (default lab), --depth N, --width, --batch, --sizes and --form: the one family
    member that `graph` draws and `explain` compiles."""
    depths = ", ".join(f"{f.name} {f.default_depth}" for f in FAMILIES.values()
                       if f.takes("depth"))
    add_model(p, default="lab", depth_type=whole(1), depth_metavar="N",
              depth_help=f"layers, hidden layers or rungs (default: {depths}; lab takes none)")
    p.add_argument("--sizes", type=parse_sizes, default=None, metavar="A,B,...",
                   help="mlp only, instead of --depth and --width: every layer size from inputs "
                        "to outputs, such as 2,10,10,2")
    add_form(p, both=False)


def add_form(p: argparse.ArgumentParser, both: bool) -> None:
    """--form (and its shorthand --fused): which of a family's two forms to record."""
    forms = ["unfused", "fused"] + (["both"] if both else [])
    group = p.add_mutually_exclusive_group()
    group.add_argument("--form", choices=forms, default="unfused",
                       help="unfused: every op written out (x @ W + b, log_softmax, ...); "
                            "fused: as micrograd.nn records it (one linear op per layer, one "
                            "cross_entropy op)" + ("; both: one after the other" if both else "")
                            + " (default unfused; ladder has only the unfused form)")
    group.add_argument("--fused", dest="form", action="store_const", const="fused",
                       help="the same as --form fused")


def check_family_options(args: argparse.Namespace, given: Sequence[str]) -> Family:
    """UsageError for an option (among `given`, names of args) the chosen family does not
    take, or a fused form it does not have. Returns the family."""
    family = FAMILIES[args.model]
    for option in given:
        value = getattr(args, option, None)
        if value is not None and value is not False and not family.takes(option):
            takes = ", ".join(f"--{o} ({meaning})" for o, meaning in family.options.items())
            raise UsageError(f"--{option} does not apply to --model {family.name}, which takes "
                             f"{takes}")
    if getattr(args, "form", "unfused") != "unfused" and not family.fusable:
        raise UsageError(f"--form {args.form}: --model {family.name} has no fused form (it has "
                         f"no layers to fuse); leave --form out")
    return family


# --------------------------------------------------------------------------- demo scripts

def is_fast(args: argparse.Namespace) -> bool:
    """--fast, or MICROGRAD_FAST set to anything but empty or 0."""
    return (bool(getattr(args, "fast", False))
            or os.environ.get("MICROGRAD_FAST", "") not in ("", "0"))


def add_out_folder(p: argparse.ArgumentParser, default: str) -> None:
    p.add_argument("-o", "--out", default=Path(default), type=Path, metavar="DIR",
                   help=f"folder for the pictures, created if missing (default ./{default}/)")


def demo_options(description: str, argv: Sequence[str] | None = None) -> argparse.Namespace:
    """The command line of a script in demos/: -o/--out DIR, --fast, --seed, checked before
    the script does any work. A bad one prints one line and exits (2: usage, 1: the folder)."""
    from ..lab.demo import DEFAULT_OUT

    parser = Parser(description=description)
    add_out_folder(parser, DEFAULT_OUT)
    parser.add_argument("--fast", action="store_true",
                        help="a faster, smaller run, for CI (also: MICROGRAD_FAST=1)")
    add_seed(parser, "the data, the weights and the batch order")
    try:
        args = parser.parse_args(argv)
        check_output_folder(args.out, "--out")
    except UsageError as e:
        print(f"{e.prog or parser.prog}: error: {one_line(e)}", file=sys.stderr)
        raise SystemExit(2) from None
    except CommandError as e:
        print(f"{parser.prog}: error: {one_line(e)}", file=sys.stderr)
        raise SystemExit(1) from None
    args.fast = is_fast(args)
    return args
