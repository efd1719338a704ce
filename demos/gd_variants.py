#!/usr/bin/env python
"""Full-batch vs mini-batch vs online gradient descent on the circles (lab, question 10).

The same network and initial weights, each variant with a learning rate that suits it.
An epoch of full-batch descent is one update and costs little, an epoch of online SGD is
n updates, so the cheap variants get more epochs. Left: the loss of every step, the batch
it was computed on, against epochs (passes over the data): online SGD's steps each see one
example, and their losses scatter over orders of magnitude around the trend; the bold
lines are running means over one epoch. Right: the loss on the whole training set at the
end of each epoch, against wall time. Writes gd_variants.png.
"""
from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run from a checkout, installed or not

from micrograd import data, nn, optim  # noqa: E402
from micrograd.cli.options import demo_options  # noqa: E402
from micrograd.nn.functional import cross_entropy  # noqa: E402
from micrograd.train import History, evaluate, fit  # noqa: E402
from micrograd.viz.plots import pyplot, save_figure  # noqa: E402

# name: (batch_size, learning rate, epochs as a multiple of the online variant's)
VARIANTS = {"full batch": (None, 1.0, 10), "mini-batch (32)": (32, 0.3, 3), "online (1)": (1, 0.03, 1)}


def main(argv: list[str] | None = None) -> int:
    args = demo_options(__doc__.split("\n\n")[0], argv)
    n, epochs = (300, 15) if args.fast else (400, 40)
    parts = data.split(*data.circles(n, noise=0.1, factor=0.5, seed=args.seed), seed=args.seed)
    runs: dict[str, History] = {}
    print(f"{'variant':<17} {'lr':>5} {'epochs':>7} {'updates':>8} {'time (s)':>9} {'train loss':>11} "
          f"{'test acc':>9}")
    for name, (batch_size, lr, factor) in VARIANTS.items():
        model = nn.MLP([2, 10, 2], seed=args.seed)  # the same initial weights for every variant
        h = fit(model, cross_entropy, optim.SGD(model.parameters(), lr=lr), parts.train,
                epochs=factor * epochs, batch_size=batch_size, seed=args.seed, verbose=False)
        runs[f"{name}, lr={lr:g}"] = h
        test_acc = evaluate(model, cross_entropy, *parts.test)[1]
        print(f"{name:<17} {lr:>5g} {h.epochs:>7} {len(h.step_loss):>8} {h.time[-1]:>9.3f} {h.train_loss[-1]:>11.4f} "
              f"{100 * test_acc:>8.1f}%")
    path = draw(runs, Path(args.out) / "gd_variants.png",
                f"Gradient descent variants on the circles ({len(parts.train[1])} training points)")
    print("wrote", path)
    return 0


def _running_mean(values: np.ndarray, window: int) -> np.ndarray:
    """The mean of each value and the window - 1 before it (fewer at the start)."""
    sums = np.cumsum(np.concatenate([[0.0], values]))
    k = np.arange(1, len(values) + 1)
    start = np.maximum(k - window, 0)
    return (sums[k] - sums[start]) / (k - start)


def draw(runs: dict[str, History], path: Path, title: str) -> Path:
    plt = pyplot()
    fig, (per_step, per_time) = plt.subplots(1, 2, figsize=(11, 4.2), constrained_layout=True)
    for k, (label, h) in enumerate(runs.items()):
        color = f"C{k}"
        steps_per_epoch = len(h.step_loss) // h.epochs
        losses = np.asarray(h.step_loss)
        x = np.arange(1, len(losses) + 1) / steps_per_epoch
        if steps_per_epoch > 1:  # one step an epoch has nothing to scatter or average
            per_step.plot(x, losses, color=color, lw=0.5, alpha=0.25)
        per_step.plot(x, _running_mean(losses, steps_per_epoch), color=color, lw=2,
                      label=f"{label}: {steps_per_epoch} step{'s' * (steps_per_epoch > 1)} an epoch")
        per_time.plot([0.0, *h.time], [h.initial_loss, *h.train_loss], color=color, lw=1.6,
                      label=label)
    per_step.set(xlabel="epoch (a step at the fraction of the epoch it ends)",
                 ylabel="loss of each step's batch", yscale="log", xscale="log",
                 title="every step (light) and its running mean over an epoch")
    per_time.set(xlabel="training time (s)", ylabel="training loss (whole set, end of epoch)",
                 yscale="log", title="per epoch, against wall time")
    per_time.set_xscale("symlog", linthresh=0.01)  # fast and slow runs on one axis
    per_time.set_xlim(left=0)
    for ax in (per_step, per_time):
        ax.grid(alpha=0.3, which="both")
        ax.legend(fontsize=8)
    fig.suptitle(title)
    return save_figure(fig, path)


if __name__ == "__main__":
    sys.exit(main())
