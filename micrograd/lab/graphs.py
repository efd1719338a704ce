"""Draw a model family's graph: the loss of a family, built and drawn in one call.

(Moved here from viz/drawing.py: building models is the lab's business, drawing is viz's.)
"""
from __future__ import annotations

import os
from typing import Any, Sequence

import numpy as np

from ..engine import Tensor
from ..errors import DrawError
from ..viz.drawing import _collect, draw, render

# --------------------------------------------------------------------------- model families

def _parse_sizes(sizes: Sequence[int] | str) -> list[int]:
    if isinstance(sizes, str):
        try:
            sizes = [int(s) for s in sizes.replace(" ", "").split(",") if s]
        except ValueError:
            raise DrawError(f"sizes must be integers separated by commas, like 2,10,2; "
                            f"got {sizes!r}") from None
    sizes = [int(s) for s in sizes]
    if len(sizes) < 2 or min(sizes) < 1:
        raise DrawError(f"sizes needs at least two positive sizes (inputs, outputs), got {sizes}")
    return sizes


def _linear_stack(sizes: list[int], rng: np.random.Generator, activation_last: bool) -> Any:
    """nn Linear layers of the given sizes with tanh between them (and after the last one
    when activation_last); parameters named layers.K.weight (MLP) or K.weight (Sequential)."""
    from ..nn import MLP, Linear, Sequential, Tanh

    if not activation_last:
        return MLP(sizes, generator=rng)
    layers: list[Any] = []
    for n_in, n_out in zip(sizes[:-1], sizes[1:]):
        layers += [Linear(n_in, n_out, generator=rng), Tanh()]
    return Sequential(*layers)


def build_model(model: str = "mlp", sizes: Sequence[int] | str = (2, 10, 2), depth: int = 4,
                width: int = 3, seed: int = 0, n_points: int = 8) -> Tensor:
    """The loss of a model family, ready to draw (no backward run yet).

    mlp    the lab's MLP (Linear → tanh → … → Linear) on `n_points` random points, with
           softmax cross-entropy against random labels: mean(-log_softmax(logits)[i, y_i]).
    chain  `depth` layers of Linear(width, width) + tanh, loss = mean of the squares.
    """
    rng = np.random.default_rng(seed)
    if model == "mlp":
        sizes = _parse_sizes(sizes)
        net = _linear_stack(sizes, rng, activation_last=False)
        x = Tensor(rng.standard_normal((n_points, sizes[0])), name="x")
        y = rng.integers(0, sizes[-1], n_points)
        logits = net(x)
        logits.name = "logits"
        loss = -logits.log_softmax(axis=1)[np.arange(n_points), y].mean()
    elif model == "chain":
        if int(depth) < 1 or int(width) < 1:
            raise DrawError(f"chain: depth and width must be positive, got {depth}, {width}")
        net = _linear_stack([int(width)] * (int(depth) + 1), rng, activation_last=True)
        x = Tensor(rng.standard_normal((n_points, int(width))), name="x")
        h = net(x)
        loss = (h * h).mean()
    else:
        raise DrawError(f"unknown model {model!r}; choose 'mlp' or 'chain'")
    loss.name = "loss"
    return loss


def draw_model(model: str = "mlp", sizes: Sequence[int] | str = (2, 10, 2), depth: int = 4,
               naive_counts: bool = False, out: str | os.PathLike | None = None, *,
               width: int = 3, direction: str = "forward", show_values: bool = False,
               show_grads: bool = False, collapse_modules: bool | str = False,
               max_nodes: int | None = None, rankdir: str = "auto", legend: bool = True,
               seed: int = 0, n_points: int = 8) -> Any:
    """Build a model family's loss (see build_model), draw it, and render it to `out`
    (format from the extension) when given. Returns the graph from draw().

    naive_counts  run naive mode and backprop under count_ops() and overlay both counts.
    show_grads    run backward() first so the gradients are there to show.
    """
    from ..grad.counting import count_ops

    loss = build_model(model, sizes=sizes, depth=depth, width=width, seed=seed,
                       n_points=n_points)
    counts = compare = None
    if naive_counts:
        with count_ops() as counts:
            loss.backward(mode="naive", retain_graph=True)
        _zero_leaf_grads(loss)
        with count_ops() as compare:
            loss.backward(retain_graph=True)
    elif show_grads:
        loss.backward(retain_graph=True)
    graph = draw(loss, rankdir=rankdir, show_values=show_values, show_grads=show_grads,
                 direction=direction, collapse_modules=collapse_modules, max_nodes=max_nodes,
                 counts=counts, compare=compare, legend=legend)
    if out is not None:
        render(graph, out)
    return graph


def _zero_leaf_grads(root: Tensor) -> None:
    tensors, _ = _collect(root)
    for t in tensors:
        t.grad = None
