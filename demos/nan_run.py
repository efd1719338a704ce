#!/usr/bin/env python
"""The lab's nan run, reproduced, then fixed one change at a time (docs/lab.md, Part 2).

The lab's recipe: the 2-10-2 tanh network on the circles in float32, a hand-written
softmax e^ỹ/Σe^ỹ, the one-hot loss −Σ y log ŷ summed over batches of 10, SGD with η = 1.
It reaches nan in the first epoch; detect_anomaly() names the op where it started. Then
each fix alone (log-sum-exp, the mean over the batch, η = 0.1, gradient clipping,
float64) keeps every loss finite, and only those that make the steps smaller also make
the network learn. Prints the lab's run epoch by epoch, as the lab printed its own, and
one line per fix; writes nan_run.png.
"""
from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run from a checkout, installed or not

from micrograd.cli.options import demo_options  # noqa: E402
from micrograd.lab.nan_run import LAB, RECIPES, format_log, plot_runs, run_recipe  # noqa: E402


def main(argv: list[str] | None = None) -> int:
    args = demo_options(__doc__.split("\n\n")[0], argv)
    epochs = 3 if args.fast else 20
    runs = [run_recipe(recipe, epochs=epochs, seed=args.seed) for recipe in RECIPES]
    print(format_log(runs[0], max_epochs=8))
    print(f"\neach fix alone, {epochs} epochs from the same weights and batches:")
    print(f"  {'fix':<12} {'what changes':<62} {'finite':>6} {'val acc':>8}")
    for run in runs:
        if run.recipe is LAB:
            continue
        print(f"  {run.recipe.name:<12} {run.recipe.change:<62} "
              f"{'yes' if run.finite else 'NO':>6} {100 * run.val_acc[-1]:>7.0f}%")
    path = plot_runs(runs, Path(args.out) / "nan_run.png")
    print("wrote", path)
    return 0


if __name__ == "__main__":
    sys.exit(main())
