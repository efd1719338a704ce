#!/usr/bin/env python
"""The lab's experiment: a 2-10-2 tanh network, softmax + cross-entropy, on two circles.

Trained with plain mini-batch SGD (with momentum), one line per epoch as in the lab's
log; the lab's run went to nan, this one does not (see docs/lab.md for why).
Writes circles_boundary.png, circles_curves.png and the weights circles_mlp.npz.
"""
from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run from a checkout, installed or not

from micrograd import nn  # noqa: E402
from micrograd.cli.options import demo_options  # noqa: E402
from micrograd.lab.demo import circles_experiment  # noqa: E402


def main(argv: list[str] | None = None) -> int:
    args = demo_options(__doc__.split("\n\n")[0], argv)
    run = circles_experiment(out=args.out, seed=args.seed, fast=args.fast, optimizer="sgd", lr=0.1,
                             epochs=40 if args.fast else 100, batch_size=16, verbose=1)
    h = run.history
    print(f"final: train acc {100 * h.train_acc[-1]:.1f}%, val acc {100 * h.val_acc[-1]:.1f}%, "
          f"test acc {100 * run.test_acc:.1f}% ({run.seconds:.2f} s of training)")
    weights = nn.save(run.model, Path(args.out) / "circles_mlp.npz")
    print("wrote", ", ".join(str(p) for p in [*run.pictures, weights]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
