"""`micrograd explain`: print the program micrograd.compile writes for a model family's loss."""
from __future__ import annotations

import argparse

from ..compile import compile
from ..lab import families
from .options import (
    UsageError,
    add_one_member,
    add_seed,
    check_family_options,
)

NAME = "explain"
HELP = "print the forward and backward program that micrograd.compile generates for a model"
DESCRIPTION = """\
Trace the loss of a model family member once and print the straight-line numpy program
micrograd.compile generates for it: the forward, one line per op, then the backward,
one line per op of each local partial, each commented with the partial it computes
(∂tanh1/∂add1: the derivative of the value tanh1 with respect to the value add1).
The gradients are named g_<value>, after the parameters (hidden1_W, out_b, ...). Read
it beside the lab's hand derivation: docs/compile.md sets the two side by side."""
EXAMPLES = """\
examples:
  micrograd explain                                  the lab's 2-10-2 network
  micrograd explain --model lab --fused              as micrograd.nn records it
  micrograd explain --model chain --depth 2
  micrograd explain --model mlp --sizes 2,4,4,2
  micrograd explain --model ladder --depth 3"""


def add_arguments(p: argparse.ArgumentParser) -> None:
    add_one_member(p)
    p.add_argument("--forward-only", action="store_true",
                   help="the program of a call under no_grad: the forward alone")
    add_seed(p, "the weights and inputs")


def check(args: argparse.Namespace) -> None:
    check_family_options(args, ["depth", "width", "batch", "sizes"])
    if args.sizes is not None and (args.depth is not None or args.width is not None):
        raise UsageError("--sizes gives every layer size: leave out --depth and --width")


def run(args: argparse.Namespace) -> int:
    member = families.build_model(args.model, args.depth, args.width, batch=args.batch,
                                  seed=args.seed, fused=args.form == "fused", sizes=args.sizes)
    program = compile(member.loss)
    if args.forward_only:
        from ..engine import no_grad

        with no_grad():
            source = program.code()
    else:
        source = program.code()
    print(f"# micrograd.compile of the {member.family} loss ({member.form}): "
          f"{member.description}")
    print(source, end="")
    return 0
