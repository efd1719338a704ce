"""`micrograd demo`: the lab's experiment, done right, with pictures.

Two concentric circles, a 2-10-2 network with tanh, softmax + cross-entropy, trained
with Adam on mini-batches; prints per-epoch progress and the final train/val/test
accuracy, and draws the decision boundary and the training curves. Also home of the
command-line options the scripts in demos/ share (--fast, --out, --seed).
"""
from __future__ import annotations

import argparse
import os
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Sequence

from .. import data, optim
from ..nn import MLP
from ..nn import functional as F
from ..train import History, evaluate, fit

__all__ = ["DEFAULT_OUT", "add_demo_arguments", "demo_options", "is_fast", "CirclesRun",
           "circles_experiment", "extra_figures", "add_demo_parser", "cmd_demo"]

DEFAULT_OUT = "micrograd-out"


# --------------------------------------------------------------------------- shared options

def add_demo_arguments(parser: argparse.ArgumentParser) -> argparse.ArgumentParser:
    parser.add_argument("--out", default=DEFAULT_OUT, type=Path,
                        help=f"folder for the pictures (default: ./{DEFAULT_OUT}/)")
    parser.add_argument("--fast", action="store_true",
                        help="an even faster, smaller run for CI (also: MICROGRAD_FAST=1)")
    parser.add_argument("--seed", type=int, default=0, help="seed for data, weights and batch order")
    return parser


def demo_options(description: str, argv: Sequence[str] | None = None) -> argparse.Namespace:
    """Parse a demo script's command line; `args.fast` also turns on with MICROGRAD_FAST=1."""
    args = add_demo_arguments(argparse.ArgumentParser(description=description)).parse_args(argv)
    args.fast = is_fast(args)
    return args


def is_fast(args: argparse.Namespace) -> bool:
    return bool(getattr(args, "fast", False)) or os.environ.get("MICROGRAD_FAST", "") not in ("", "0")


# --------------------------------------------------------------------------- the circles experiment

@dataclass
class CirclesRun:
    """Everything one run produced: the model, its data, its history, its scores and pictures."""
    model: MLP
    split: data.Split
    history: History
    test_loss: float
    test_acc: float
    seconds: float
    pictures: list[Path] = field(default_factory=list)


def circles_experiment(out: Path | str | None = DEFAULT_OUT, seed: int = 0, fast: bool = False,
                       optimizer: str = "adam", lr: float | None = None, epochs: int | None = None,
                       batch_size: int | None = 32, hidden: int = 10, verbose: bool | int = 10) -> CirclesRun:
    """Train the lab's 2-`hidden`-2 tanh MLP on two circles; draw pictures into `out` (None: none)."""
    n, default_epochs = (400, 40) if fast else (1000, 60)
    X, y = data.circles(n, noise=0.1, factor=0.5, seed=seed)
    parts = data.split(X, y, val=0.2, test=0.2, seed=seed)
    model = MLP([2, hidden, 2], activation="tanh", seed=seed)
    if optimizer == "adam":
        opt: optim.Optimizer = optim.Adam(model.parameters(), lr=lr or 0.05)
    else:
        opt = optim.SGD(model.parameters(), lr=lr or 0.1, momentum=0.9)
    start = time.perf_counter()
    history = fit(model, F.cross_entropy, opt, parts.train, parts.val, epochs=epochs or default_epochs,
                  batch_size=batch_size, seed=seed, verbose=verbose)
    seconds = time.perf_counter() - start
    test_loss, test_acc = evaluate(model, F.cross_entropy, *parts.test)
    run = CirclesRun(model, parts, history, test_loss, test_acc, seconds)
    if out is not None:
        run.pictures = circles_pictures(run, Path(out))
    return run


def circles_pictures(run: CirclesRun, out: Path) -> list[Path]:
    """The decision boundary and the loss/accuracy curves, plus whatever `extra_figures` adds."""
    from ..viz.plots import decision_boundary, training_curves
    Xtr, ytr = run.split.train
    Xte, yte = run.split.test
    sizes = "-".join(map(str, run.model.sizes))
    pictures = [
        decision_boundary(run.model, Xtr, ytr, out / "circles_boundary.png", X_test=Xte, y_test=yte,
                          title=f"{sizes} tanh MLP on two circles: test accuracy {100 * run.test_acc:.1f}%"),
        training_curves(run.history, out / "circles_curves.png",
                        title=f"{sizes} tanh MLP, softmax + cross-entropy"),
    ]
    return pictures + extra_figures(run, out)


def extra_figures(run: CirclesRun, out: Path) -> list[Path]:
    """The graph backprop walks for the trained network (forward, and coloured by naive
    mode's partial counts) and the backprop-vs-naive complexity plot of a tanh chain."""
    from .. import Tensor, count_ops
    from ..errors import MicrogradError
    from ..nn import functional as F
    from ..viz.drawing import draw, render
    from .compare import plot_compare, run_compare

    X, y = run.split.train
    loss = F.cross_entropy(run.model(Tensor(X[:8])), y[:8])
    with count_ops() as naive:
        loss.backward(mode="naive", retain_graph=True)
    run.model.zero_grad()
    pictures = []
    for name, kwargs in [("graph_forward", {}), ("graph_naive_counts", {"counts": naive})]:
        graph = draw(loss, rankdir="auto", legend=True, **kwargs)
        try:
            pictures.append(render(graph, out / f"{name}.png"))
        except MicrogradError as e:  # no Graphviz `dot`: keep the DOT text, say why
            pictures.append(render(graph, out / f"{name}.dot"))
            print(f"{name}: {e}; wrote the DOT source instead")
    pictures.append(plot_compare(run_compare("chain", range(1, 13)), out / "complexity_chain.png"))
    return pictures


# --------------------------------------------------------------------------- the subcommand

def add_demo_parser(sub: "argparse._SubParsersAction") -> None:
    """Register `micrograd demo` on the command's subparsers."""
    p = sub.add_parser("demo", help="train the lab's circles network and draw its pictures",
                       description=__doc__.split("\n\n")[0])
    add_demo_arguments(p)
    p.add_argument("--epochs", type=int, default=None, help="epochs to train (default 60; 40 with --fast)")
    p.set_defaults(run=cmd_demo)


def cmd_demo(args: argparse.Namespace) -> int:
    """Run the circles experiment with the command's options and report where the pictures are."""
    fast = is_fast(args)
    print("micrograd demo: the lab's network (2 inputs -> 10 tanh units -> 2 logits, softmax + "
          "cross-entropy) on two concentric circles, trained with Adam on mini-batches of 32"
          + (" [fast mode]" if fast else ""))
    try:
        import matplotlib  # noqa: F401
        out = args.out
    except ImportError:
        print("matplotlib is not installed, so no pictures (pip install 'micrograd[plot]')")
        out = None
    run = circles_experiment(out=out, seed=args.seed, fast=fast, epochs=args.epochs)
    n = [len(part[1]) for part in run.split]
    h = run.history
    print(f"trained {h.epochs} epochs in {run.seconds:.2f} s on {n[0]} points "
          f"({run.model.num_parameters()} parameters)")
    print(f"accuracy: train {100 * h.train_acc[-1]:.1f}%  val {100 * h.val_acc[-1]:.1f}% "
          f"({n[1]} points)  test {100 * run.test_acc:.1f}% ({n[2]} points)")
    if run.pictures:
        print(f"pictures written to {Path(out).resolve()}/:")
        for p in run.pictures:
            print(f"  {p.name}")
    return 0
