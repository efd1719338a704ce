"""`micrograd demo`: train the lab's network on two circles and write its pictures."""
from __future__ import annotations

import argparse
from pathlib import Path

from ..lab import demo as experiment
from .options import add_out_folder, add_seed, check_output_folder, is_fast, whole

NAME = "demo"
HELP = "train the lab's 2-10-2 network on two circles and write its pictures"
DESCRIPTION = """\
Train the lab's network (2 inputs, 10 tanh units, 2 logits, softmax cross-entropy)
on two concentric circles with Adam on mini-batches of 32, print the train,
validation and test accuracy, and write into the output folder: the decision
boundary, the training curves, the graph backprop walks for the trained network
(plain, and coloured by how often naive mode evaluates each op), a page that steps
through backprop and naive mode on it in a browser (explore.html), and the
backprop-vs-naive complexity plot of a tanh chain. Takes a few seconds. The
pictures need matplotlib (pip install 'micrograd[plot]') and the graphs Graphviz's
`dot` (without it they are written as .dot text)."""
EXAMPLES = """\
examples:
  micrograd demo                       pictures into ./micrograd-out/
  micrograd demo -o /tmp/pics --fast   a smaller, faster run
  micrograd demo --epochs 200 --no-progress > log.txt"""


def add_arguments(p: argparse.ArgumentParser) -> None:
    add_out_folder(p, experiment.DEFAULT_OUT)
    p.add_argument("--epochs", type=whole(1), default=None, metavar="N",
                   help=f"passes over the training points (default "
                        f"{experiment.DEFAULT_EPOCHS[False]}; {experiment.DEFAULT_EPOCHS[True]} "
                        f"with --fast)")
    p.add_argument("--fast", action="store_true",
                   help="fewer points and epochs, for a quick look or CI (also: MICROGRAD_FAST=1)")
    p.add_argument("--no-progress", action="store_true",
                   help="no progress bar and no per-epoch lines while training (the bar only "
                        "shows on a terminal anyway)")
    add_seed(p, "the data, the weights and the batch order")


def check(args: argparse.Namespace) -> None:
    """The output folder can be created and written, before the seconds of training."""
    check_output_folder(args.out, "--out")


def run(args: argparse.Namespace) -> int:
    fast = is_fast(args)
    # Lines under 80 columns: a terminal that wraps them makes the bar below hard to read.
    print("micrograd demo: the lab's network, 2 inputs -> 10 tanh units -> 2 logits with")
    print("softmax cross-entropy, on two circles; Adam on mini-batches of 32"
          + (" [fast mode]" if fast else ""))
    out: Path | None = args.out
    try:
        import matplotlib  # noqa: F401
    except ImportError:
        print("matplotlib is not installed, so no pictures (pip install 'micrograd[plot]')")
        out = None
    done = experiment.circles_experiment(out=out, seed=args.seed, fast=fast, epochs=args.epochs,
                                         verbose=False if args.no_progress else 10)
    n = [len(part[1]) for part in done.split]
    h = done.history
    print(f"trained {h.epochs} epochs in {done.seconds:.2f} s on {n[0]} points "
          f"({done.model.num_parameters()} parameters)")
    print(f"accuracy: train {100 * h.train_acc[-1]:.1f}%  val {100 * h.val_acc[-1]:.1f}% "
          f"({n[1]} points)  test {100 * done.test_acc:.1f}% ({n[2]} points)")
    if out is not None and done.pictures:
        print(f"pictures written to {out.resolve()}/:")
        for p in done.pictures:
            print(f"  {p.name}")
    return 0
