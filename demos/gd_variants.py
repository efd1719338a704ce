#!/usr/bin/env python
"""Full-batch vs mini-batch vs online gradient descent on the circles (lab, question 10).

The same network and initial weights, each variant with a learning rate that suits it.
An epoch of full-batch descent is one update and costs little, an epoch of online SGD is
n updates, so the cheap variants get more epochs; the training loss is plotted against
epochs (passes over the data) and against wall time. Writes gd_variants.png.
"""
from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run from a checkout, installed or not

from micrograd import data, nn, optim  # noqa: E402
from micrograd.cli.options import demo_options  # noqa: E402
from micrograd.nn.functional import cross_entropy  # noqa: E402
from micrograd.train import evaluate, fit  # noqa: E402
from micrograd.viz.plots import compare_runs  # noqa: E402

# name: (batch_size, learning rate, epochs as a multiple of the online variant's)
VARIANTS = {"full batch": (None, 1.0, 10), "mini-batch (32)": (32, 0.3, 3), "online (1)": (1, 0.03, 1)}


def main(argv: list[str] | None = None) -> int:
    args = demo_options(__doc__.split("\n\n")[0], argv)
    n, epochs = (300, 15) if args.fast else (400, 40)
    parts = data.split(*data.circles(n, noise=0.1, factor=0.5, seed=args.seed), seed=args.seed)
    runs = {}
    print(f"{'variant':<17} {'lr':>5} {'epochs':>7} {'updates':>8} {'time (s)':>9} {'train loss':>11} "
          f"{'test acc':>9}")
    for name, (batch_size, lr, factor) in VARIANTS.items():
        model = nn.MLP([2, 10, 2], seed=args.seed)  # the same initial weights for every variant
        h = fit(model, cross_entropy, optim.SGD(model.parameters(), lr=lr), parts.train,
                epochs=factor * epochs, batch_size=batch_size, seed=args.seed, verbose=False)
        label = f"{name}, lr={lr:g}"
        runs[label] = h
        test_acc = evaluate(model, cross_entropy, *parts.test)[1]
        print(f"{name:<17} {lr:>5g} {h.epochs:>7} {len(h.step_loss):>8} {h.time[-1]:>9.3f} {h.train_loss[-1]:>11.4f} "
              f"{100 * test_acc:>8.1f}%")
    path = compare_runs(runs, Path(args.out) / "gd_variants.png", x_axes=("epoch", "time"),
                        title=f"Gradient descent variants on the circles ({len(parts.train[1])} training points)")
    print("wrote", path)
    return 0


if __name__ == "__main__":
    sys.exit(main())
