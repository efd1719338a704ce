"""`micrograd check`: backward() against finite differences on the lab's network, both forms."""
from __future__ import annotations

import argparse

from ..errors import GradcheckError
from ..gradients.gradcheck import gradcheck
from ..lab import families
from .options import CommandError, add_seed

NAME = "check"
HELP = "check backprop against finite differences on the lab's network"
DESCRIPTION = """\
Check that the gradients backward() computes match central finite differences
(f(θ + ε) - f(θ - ε)) / 2ε, entry by entry, on the lab's 2-10-2 tanh network with
softmax cross-entropy on 8 points of the two circles, in both of its forms: every op
written out (matmul, add, tanh, log_softmax, ...) and as micrograd.nn records it (the
fused linear and cross_entropy ops). Exits 0 when every gradient matches, 1 when one
does not."""
EXAMPLES = """\
examples:
  micrograd check
  micrograd check --seed 3      other weights and points"""


def add_arguments(p: argparse.ArgumentParser) -> None:
    add_seed(p, "the network's weights and the points")


def check(args: argparse.Namespace) -> None:
    """Nothing to check beyond the types argparse already checked."""


def run(args: argparse.Namespace) -> int:
    for fused in (False, True):
        member = families.build_model("lab", seed=args.seed, fused=fused)
        names = ", ".join(p.name or "?" for p in member.params)
        try:
            gradcheck(lambda *params, m=member: m.loss(), member.params)
        except GradcheckError as e:
            raise CommandError(f"the {member.form} lab network fails: {e}; the parameters "
                               f"are, in order, {names}") from None
        print(f"gradcheck passed, {member.form} form ({member.description}): backward() "
              f"matches finite differences for {names}")
    return 0
