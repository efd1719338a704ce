"""The `micrograd` command. Each subcommand is a function `cmd_NAME(args)` registered in `main`."""
from __future__ import annotations

import argparse
import sys
from typing import Sequence

import numpy as np

from .. import __version__


def cmd_check(args: argparse.Namespace) -> int:
    """Gradcheck a small MLP-like expression: tanh(x W1 + b1) W2 + b2 → log-softmax → mean."""
    import micrograd as mg

    rng = np.random.default_rng(args.seed)
    x = mg.Tensor(rng.standard_normal((5, 3)))
    params = [mg.Tensor(rng.standard_normal(s), requires_grad=True, name=n)
              for n, s in [("W1", (3, 4)), ("b1", (4,)), ("W2", (4, 2)), ("b2", (2,))]]
    targets = np.array([0, 1, 1, 0, 1])

    def loss(W1, b1, W2, b2):
        logits = (x @ W1 + b1).tanh() @ W2 + b2
        return -logits.log_softmax(axis=1)[np.arange(5), targets].mean()

    try:
        mg.gradcheck(loss, params)
    except mg.GradcheckError as e:
        print(f"gradcheck FAILED: {e}")
        return 1
    print("gradcheck passed: backward() matches central finite differences on "
          "tanh(x W1 + b1) W2 + b2 -> log_softmax -> mean for W1, b1, W2, b2")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="micrograd", description=__doc__)
    parser.add_argument("--version", action="version", version=f"micrograd {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    p = sub.add_parser("check", help="gradcheck a small MLP-like expression")
    p.add_argument("--seed", type=int, default=0)
    p.set_defaults(run=cmd_check)
    from ..lab.demo import add_demo_parser
    add_demo_parser(sub)
    from ..lab.compare import add_compare_parser
    add_compare_parser(sub)
    from .graph import add_graph_parser
    add_graph_parser(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not hasattr(args, "run"):
        parser.print_help()
        return 2
    return args.run(args)


if __name__ == "__main__":
    sys.exit(main())
