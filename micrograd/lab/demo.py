"""The lab's experiment, done right, with pictures (the work of `micrograd demo`).

Two concentric circles, the lab's 2-10-2 network with tanh, softmax + cross-entropy,
trained with Adam on mini-batches; the decision boundary and the training curves, the
graph backprop walks for the trained network (plain and with naive mode's counts), and
the backprop-vs-naive complexity plot of a tanh chain.
"""
from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from .. import data, optim
from ..engine import Tensor
from ..nn import MLP
from ..nn import functional as F
from ..train import History, evaluate, fit

__all__ = ["DEFAULT_OUT", "DEFAULT_EPOCHS", "CirclesRun", "circles_experiment",
           "circles_pictures", "extra_figures", "explore_page"]

DEFAULT_OUT = "micrograd-out"
DEFAULT_EPOCHS = {False: 60, True: 40}  # by `fast`


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
                       optimizer: str = "adam", lr: float | None = None,
                       epochs: int | None = None, batch_size: int | None = 32, hidden: int = 10,
                       verbose: bool | int = 10) -> CirclesRun:
    """Train the lab's 2-`hidden`-2 tanh MLP on two circles; draw pictures into `out` (None:
    none). epochs None: DEFAULT_EPOCHS; verbose as for fit (10: a bar and a line every 10)."""
    n, default_epochs = (400 if fast else 1000), DEFAULT_EPOCHS[bool(fast)]
    X, y = data.circles(n, noise=0.1, factor=0.5, seed=seed)
    parts = data.split(X, y, val=0.2, test=0.2, seed=seed)
    # float64, not the default float32: the lab's numbers are checked against closed forms
    model = MLP([2, hidden, 2], activation="tanh", seed=seed, dtype=np.float64)
    if optimizer == "adam":
        opt: optim.Optimizer = optim.Adam(model.parameters(), lr=lr or 0.05)
    else:
        opt = optim.SGD(model.parameters(), lr=lr or 0.1, momentum=0.9)
    start = time.perf_counter()
    history = fit(model, F.cross_entropy, opt, parts.train, parts.val,
                  epochs=default_epochs if epochs is None else epochs,
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
        decision_boundary(run.model, Xtr, ytr, out / "circles_boundary.png", X_test=Xte,
                          y_test=yte, title=f"{sizes} tanh MLP on two circles: test accuracy "
                                            f"{100 * run.test_acc:.1f}%"),
        training_curves(run.history, out / "circles_curves.png",
                        title=f"{sizes} tanh MLP, softmax + cross-entropy"),
    ]
    return pictures + extra_figures(run, out)


def extra_figures(run: CirclesRun, out: Path) -> list[Path]:
    """The graph backprop walks for the trained network on 8 training points (the `lab`
    family in its fused form, as fit trained it: forward, and coloured by naive mode's
    partial counts), the page that steps through backprop and naive mode on it (written out
    in tensor ops, explore.html) and the backprop-vs-naive complexity plot of a tanh chain."""
    from ..errors import GraphvizNotFoundError
    from ..viz import render
    from .closed_forms import closed_form
    from .compare import run_compare
    from .compare_plot import plot_compare
    from .families import lab_model
    from .graphs import draw_family

    X, y = run.split.train
    member = lab_model(net=run.model, points=(X[:8], y[:8]), fused=True)
    fused, unfused = (closed_form("lab", width=member.width, fused=f) for f in (True, False))
    pictures = []
    for name, naive_counts, title in [
            ("graph_forward", False,
             f"the trained network on 8 points as micrograd.nn records it (the fused form): "
             f"backprop evaluates {fused['backprop']} partials, naive mode {fused['naive']}; "
             f"written out in tensor ops, {unfused['backprop']} and {unfused['naive']}"),
            ("graph_naive_counts", True, None)]:  # None: draw's title, with the counts it drew
        graph = draw_family(member, naive_counts, title=title).graph
        try:
            pictures.append(render(graph, out / f"{name}.png"))
        except GraphvizNotFoundError as e:  # no Graphviz `dot`: keep the DOT text, say why
            pictures.append(render(graph, out / f"{name}.dot"))
            print(f"{name}: {e}; wrote the DOT source instead")
    pictures += explore_page(run, out)
    pictures.append(plot_compare(run_compare("chain", range(1, 13)), out / "complexity_chain.png"))
    return pictures


def explore_page(run: CirclesRun, out: Path) -> list[Path]:
    """explore.html: the trained network on 8 training points, one op per line of the maths
    (the unfused form), to step through in a browser; none without Graphviz's `dot`."""
    from ..errors import GraphvizNotFoundError
    from ..viz.explore import explore
    from .families import lab_model

    X, y = run.split.train
    member = lab_model(net=run.model, points=(X[:8], y[:8]))

    def loss() -> Tensor:
        t = member.loss()
        t.name = "loss"
        return t
    try:
        explore(loss, out / "explore.html", title="Watch backprop and naive mode walk the "
                "trained 2-10-2 network's loss on 8 training points")
    except GraphvizNotFoundError as e:
        print(f"explore.html: {e}; no page written")
        return []
    return [out / "explore.html"]
