#!/usr/bin/env python
"""The learning rate: too small, good, too large (lab, question 11).

Full-batch gradient descent on the circles with learning rates three times apart. The
smallest barely leaves the plateau of the untrained network, the middle ones converge,
the largest that survives oscillates, and the too-large one blows up: fit() stops it with
a DivergenceError, reported here instead of a column of nan. Writes learning_rate.png.
"""
from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run from a checkout, installed or not

from micrograd import data, nn, optim  # noqa: E402
from micrograd.cli.options import demo_options  # noqa: E402
from micrograd.nn.functional import cross_entropy  # noqa: E402
from micrograd.train import DivergenceError, fit  # noqa: E402
from micrograd.viz.plots import pyplot, save_figure  # noqa: E402

# Three times apart, so that no two curves share a stretch of the plot: 0.01 and 0.1 both
# stayed on the untrained plateau for the whole run and were drawn on top of each other.
RATES = {0.1: "too small", 0.3: "small", 1.0: "good", 3.0: "large: oscillates", 30.0: "too large"}
STYLES = ["-", "--", "-", "-.", "-"]


def main(argv: list[str] | None = None) -> int:
    args = demo_options(__doc__.split("\n\n")[0], argv)
    n, epochs = (300, 60) if args.fast else (600, 200)
    parts = data.split(*data.circles(n, noise=0.1, factor=0.5, seed=args.seed), seed=args.seed)
    runs: dict[str, list[float]] = {}
    ends: dict[str, str] = {}
    for lr, verdict in RATES.items():
        model = nn.MLP([2, 10, 2], seed=args.seed)
        label = f"lr={lr:g} ({verdict})"
        try:
            h = fit(model, cross_entropy, optim.SGD(model.parameters(), lr=lr), parts.train, parts.val,
                    epochs=epochs, batch_size=None, seed=args.seed, verbose=False)
            runs[label] = h.step_loss
            print(f"{label:<26} train loss {h.train_loss[-1]:.4f}, val acc {100 * h.val_acc[-1]:.1f}% "
                  f"after {epochs} epochs")
        except DivergenceError as e:
            runs[label] = [*e.history.step_loss, e.loss]  # the curve up to the step that blew up
            ends[label] = f"diverged at epoch {e.epoch}"
            print(f"{label:<26} stopped by DivergenceError: {e}")
    path = draw(runs, ends, Path(args.out) / "learning_rate.png")
    print("wrote", path)
    return 0


def draw(runs: dict[str, list[float]], ends: dict[str, str], path: Path) -> Path:
    """One curve per rate, each with its own style and its last loss written at its end."""
    plt = pyplot()
    fig, ax = plt.subplots(figsize=(7.5, 4.4), constrained_layout=True)
    longest = max(len(losses) for losses in runs.values())
    for k, (label, losses) in enumerate(runs.items()):
        color = f"C{k}"
        steps = range(1, len(losses) + 1)
        ax.plot(steps, losses, color=color, ls=STYLES[k % len(STYLES)], lw=1.8,
                label=f"{label} ({ends[label]})" if label in ends else label)
        if label in ends:
            ax.plot(len(losses), losses[-1], "x", color=color, ms=12, mew=3)
        else:
            ax.annotate(f"{losses[-1]:.3f}", (len(losses), losses[-1]), textcoords="offset points",
                        xytext=(4, 0), va="center", fontsize=8, color=color)
    ax.set(xlabel="step (parameter update; full batch, so one per epoch)", ylabel="training loss",
           yscale="log", xlim=(0, longest * 1.1),
           title="Full-batch gradient descent on the circles: the learning rate")
    ax.grid(alpha=0.3, which="both")
    ax.legend(fontsize=8, loc="lower left")
    return save_figure(fig, path)


if __name__ == "__main__":
    sys.exit(main())
