"""A family's graph as a picture: build a member (families.py), count it, draw it (viz).

The naive-count overlay shows the same partials as `micrograd compare` for the same
member, because both take the member from the registry and count one gradient of it.
"""
from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from ..engine import Tensor
from ..errors import ArgumentError, DrawError
from ..gradients.counting import OpCounts, count_ops
from ..gradients.modes import DEFAULT_MAX_PARTIALS
from ..viz import draw, render
from .families import Model, build_model

__all__ = ["parse_sizes", "build_loss", "count_gradient", "Drawing", "draw_family", "draw_model"]


@dataclass
class Drawing:
    """What draw_family made: the graph from draw(), and with naive_counts the two
    OpCounts it overlaid (None without)."""
    graph: Any
    naive: OpCounts | None = None
    backprop: OpCounts | None = None


def parse_sizes(sizes: Sequence[int] | str) -> list[int]:
    """'2,10,2' (or a sequence of ints) → [2, 10, 2]; at least two sizes, each >= 1."""
    if isinstance(sizes, str):
        try:
            sizes = [int(s) for s in sizes.replace(" ", "").split(",") if s]
        except ValueError:
            raise DrawError(f"sizes must be whole numbers separated by commas, like 2,10,2; "
                            f"got {sizes!r}") from None
    sizes = [int(s) for s in sizes]
    if len(sizes) < 2 or min(sizes) < 1:
        raise DrawError(f"sizes needs at least two sizes >= 1 (inputs, outputs), like 2,10,2; "
                        f"got {sizes}")
    return sizes


def build_loss(model: str = "lab", sizes: Sequence[int] | str | None = None,
               depth: int | None = None, width: int | None = None, seed: int = 0,
               batch: int | None = None, fused: bool = False) -> Tensor:
    """The loss of a family member (see families.build_model), named "loss", ready to draw."""
    member = build_model(model, depth, width, batch=batch, seed=seed, fused=fused,
                         sizes=None if sizes is None else parse_sizes(sizes))
    loss = member.loss()
    loss.name = "loss"
    return loss


def count_gradient(loss: Tensor, params: Sequence[Tensor],
                   max_partials: int = DEFAULT_MAX_PARTIALS) -> tuple[OpCounts, OpCounts]:
    """(naive, backprop): count_ops() of one gradient of `loss` in each mode, on the same graph.

    Naive mode goes first and keeps the graph; BudgetError (before any partial is
    evaluated) if it would evaluate more than max_partials. The parameters' .grad is
    backprop's afterwards."""
    with count_ops() as naive:
        loss.backward(mode="naive", retain_graph=True, max_partials=max_partials)
    for p in params:
        p.grad = None
    with count_ops() as backprop:
        loss.backward(retain_graph=True)
    return naive, backprop


def draw_family(member: Model, naive_counts: bool = False, out: str | os.PathLike | None = None,
                *, max_partials: int = DEFAULT_MAX_PARTIALS, direction: str = "forward",
                show_values: bool = False, show_grads: bool = False,
                collapse_modules: bool | str = False, max_nodes: int | None = None,
                rankdir: str = "auto", legend: bool = True, title: str | None = None) -> Drawing:
    """Record `member`'s loss, draw it, and render it to `out` (format from the extension)
    when given. Returns the graph and the counts it shows.

    naive_counts  overlay how often naive mode and backprop evaluated each op's partials
                  (count_gradient), which also leaves the gradients there to show.
    show_grads    run backward() first so the gradients are there to show.
    """
    loss = member.loss()
    loss.name = "loss"
    naive = backprop = None
    if naive_counts:
        naive, backprop = count_gradient(loss, member.params, max_partials)
    elif show_grads:
        loss.backward(retain_graph=True)
    graph = draw(loss, rankdir=rankdir, show_values=show_values, show_grads=show_grads,
                 direction=direction, collapse_modules=collapse_modules, max_nodes=max_nodes,
                 naive_counts=naive, backprop_counts=backprop, legend=legend,
                 title=title)
    if out is not None:
        render(graph, out)
    return Drawing(graph, naive, backprop)


def draw_model(model: str = "lab", sizes: Sequence[int] | str | None = None,
               depth: int | None = None, naive_counts: bool = False,
               out: str | os.PathLike | None = None, *, width: int | None = None,
               batch: int | None = None, fused: bool = False, seed: int = 0,
               **draw_options: Any) -> Any:
    """Build a family member by name (families.build_model; sizes only for mlp) and draw it
    with draw_family(member, naive_counts, out, **draw_options). Returns the graph from draw()."""
    try:
        member = build_model(model, depth, width, batch=batch, seed=seed, fused=fused,
                             sizes=None if sizes is None else parse_sizes(sizes))
    except ArgumentError as e:
        raise DrawError(f"draw_model: {e}") from None
    return draw_family(member, naive_counts, out, **draw_options).graph
