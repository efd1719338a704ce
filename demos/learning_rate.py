#!/usr/bin/env python
"""The learning rate: too small, good, too large (lab, question 11).

Full-batch gradient descent on the circles with several learning rates. The too-large
one blows up; fit() stops it with a DivergenceError, which is reported here instead
of a column of nan. Writes learning_rate.png.
"""
from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run from a checkout, installed or not

from micrograd import data, nn, optim  # noqa: E402
from micrograd.cli.options import demo_options  # noqa: E402
from micrograd.nn.functional import cross_entropy  # noqa: E402
from micrograd.train import DivergenceError, fit  # noqa: E402
from micrograd.viz.plots import compare_runs  # noqa: E402

RATES = {0.01: "too small", 0.1: "small", 1.0: "good", 30.0: "too large"}


def main(argv: list[str] | None = None) -> int:
    args = demo_options(__doc__.split("\n\n")[0], argv)
    n, epochs = (300, 60) if args.fast else (600, 200)
    parts = data.split(*data.circles(n, noise=0.1, factor=0.5, seed=args.seed), seed=args.seed)
    runs, ends = {}, {}
    for lr, verdict in RATES.items():
        model = nn.MLP([2, 10, 2], seed=args.seed)
        label = f"lr={lr:g} ({verdict})"
        try:
            h = fit(model, cross_entropy, optim.SGD(model.parameters(), lr=lr), parts.train, parts.val,
                    epochs=epochs, batch_size=None, seed=args.seed, verbose=False)
            runs[label] = h.step_loss
            print(f"{label:<22} train loss {h.train_loss[-1]:.4f}, val acc {100 * h.val_acc[-1]:.1f}% "
                  f"after {epochs} epochs")
        except DivergenceError as e:
            runs[label] = [*e.history.step_loss, e.loss]  # the curve up to the step that blew up
            ends[label] = f"diverged at epoch {e.epoch}"
            print(f"{label:<22} stopped by DivergenceError: {e}")
    path = compare_runs(runs, Path(args.out) / "learning_rate.png", x_axes=("step",), ends=ends,
                        title="Full-batch gradient descent on the circles: the learning rate")
    print("wrote", path)
    return 0


if __name__ == "__main__":
    sys.exit(main())
