"""Two slower ways to the same gradients, kept for comparison with backprop.

naive    The chain rule as a recursion without memoisation. For each leaf, every
         path from the output down to that leaf is walked again from the output,
         and every local partial on it is evaluated again: nothing is reused from
         other leaves, nor where two paths meet again. (The walk is depth first, so
         paths that leave the output together share the partials of their common
         beginning: an edge u→p is evaluated once per path from the output to u.)
         Backprop is exactly this recursion with each node's partial computed once
         and cached.
forward  Forward-mode differentiation: one tangent pass per scalar entry of each
         leaf, each pass a chain of Jacobian-vector products from the leaf up to
         the output. Its cost grows with the number of inputs.

Both are reached through `Tensor.backward(mode=...)` and both refuse to start,
with the number they would need, when the count of partials they would evaluate
exceeds `max_partials`: the count is found cheaply by counting paths first.
"""
from __future__ import annotations

import numpy as np

from .autograd import _store_grad, register_mode, unbroadcast
from .engine import MicrogradError, Tensor

__all__ = ["BudgetError", "naive", "forward", "estimate_partials", "DEFAULT_MAX_PARTIALS"]

DEFAULT_MAX_PARTIALS = 2_000_000


class BudgetError(MicrogradError, RuntimeError):
    """A slow mode would evaluate more local partials than allowed.

    Attributes: mode, need (the partials it would evaluate) and limit (max_partials)."""

    def __init__(self, message: str, mode: str = "", need: int = 0, limit: int = 0):
        super().__init__(message)
        self.mode, self.need, self.limit = mode, need, limit


def _postorder(root: Tensor) -> list[Tensor]:
    """The nodes that need a gradient, each after all of its parents (iterative DFS)."""
    order: list[Tensor] = []
    seen = {root}
    stack = [(root, iter(root._ctx.parents if root._ctx else ()))]
    while stack:
        node, parents = stack[-1]
        for p in parents:
            if p._rg and p not in seen:
                seen.add(p)
                stack.append((p, iter(p._ctx.parents if p._ctx else ())))
                break
        else:
            stack.pop()
            order.append(node)
    return order


def _edges(node: Tensor):
    """(input index, parent) for each graph edge out of node that carries a gradient."""
    if node._ctx is None:
        return ()
    return [(i, p) for i, p in enumerate(node._ctx.parents) if p._rg]


def _targets(order: list[Tensor], root: Tensor) -> list[Tensor]:
    """Where gradients are stored: leaves that require grad, and tensors that asked to retain it."""
    return [t for t in order if (t._ctx is None or t._retain) and t is not root]


def _above(target: Tensor, order: list[Tensor]) -> set[Tensor]:
    """The nodes from which `target` can be reached by going down the graph."""
    above: set[Tensor] = set()
    for node in order:  # parents come first, so their membership is already known
        if node is not target and any(p is target or p in above for _, p in _edges(node)):
            above.add(node)
    return above


def _path_counts(order: list[Tensor]) -> dict[Tensor, int]:
    """Number of distinct paths from the output to each node."""
    paths = {node: 0 for node in order}
    paths[order[-1]] = 1
    for node in reversed(order):  # consumers before their inputs
        for _, p in _edges(node):
            paths[p] += paths[node]
    return paths


def _plan(root: Tensor) -> tuple[list[Tensor], list[tuple[Tensor, set[Tensor]]]]:
    """The nodes, inputs first, and for each target the nodes above it."""
    order = _postorder(root)
    return order, [(target, _above(target, order)) for target in _targets(order, root)]


def _count(order: list[Tensor], plan: list[tuple[Tensor, set[Tensor]]], mode: str) -> int:
    """naive: each edge u→p on a path to a target is evaluated once per path from the output
    to u. forward: each edge above a target is evaluated once per scalar entry of the target."""
    paths = _path_counts(order) if mode == "naive" else None
    total = 0
    for target, above in plan:
        for node in above:
            for _, p in _edges(node):
                if p is target or p in above:
                    total += paths[node] if paths is not None else target.data.size
    return total


def estimate_partials(root: Tensor, mode: str = "naive") -> int:
    """How many local partials `root.backward(mode=mode)` would evaluate, by counting paths."""
    if mode not in ("naive", "forward"):
        raise ValueError(f"estimate_partials: mode must be 'naive' or 'forward', got {mode!r}")
    if root._ctx is None:
        return 0
    return _count(*_plan(root), mode)


def _start(root: Tensor, seed: np.ndarray, mode: str,
           max_partials: int | None) -> tuple[list[Tensor], list[tuple[Tensor, set[Tensor]]]]:
    """What both slow modes do first: refuse an over-budget graph, give the output its own
    gradient (the seed) where backprop would, and plan the walk (see `_plan`)."""
    if root._ctx is None:  # the output is a leaf: its gradient is the seed, nothing to walk
        _store_grad(root, seed, owned=False)
        return [], []
    order, plan = _plan(root)
    limit = DEFAULT_MAX_PARTIALS if max_partials is None else max_partials
    need = _count(order, plan, mode)
    if need > limit:
        raise BudgetError(
            f"backward(mode={mode!r}) would evaluate {need:,} local partials, more than "
            f"max_partials={limit:,} (backprop needs one per graph edge). Pass a larger "
            f"max_partials= to run it anyway, or use a shallower graph.",
            mode=mode, need=need, limit=limit)
    if root._retain:
        _store_grad(root, seed, owned=False)
    return order, plan


def naive(root: Tensor, seed: np.ndarray, retain_graph: bool = False,
          max_partials: int | None = None) -> None:
    """Gradients by walking every output-to-leaf path, one leaf at a time, reusing nothing."""
    order, plan = _start(root, seed, "naive", max_partials)
    for target, above in plan:
        total = None
        stack = [(root, seed)]
        while stack:
            node, g = stack.pop()
            fn = node._ctx
            for i, p in enumerate(fn.parents):
                if not (p is target or p in above):  # only edges on a path to the target
                    continue
                pg = fn.vjp(g, i)  # recomputed for every path through this edge
                if pg.shape != p.data.shape:
                    pg = unbroadcast(pg, p.data.shape)
                if p is target:
                    total = pg if total is None else total + pg
                else:
                    stack.append((p, pg))
        if total is not None:
            _store_grad(target, total, owned=False)
    if not retain_graph:
        _release(order)


def forward(root: Tensor, seed: np.ndarray, retain_graph: bool = False,
            max_partials: int | None = None) -> None:
    """Gradients by forward mode: for each scalar input, push a unit tangent up to the output."""
    order, plan = _start(root, seed, "forward", max_partials)
    for target, above_set in plan:
        above = [n for n in order if n in above_set]  # inputs before consumers
        grad = np.zeros(target.shape, dtype=np.result_type(target.data.dtype, seed.dtype))
        for j in np.ndindex(*target.shape):
            tangent = {target: np.zeros(target.shape, dtype=target.data.dtype)}
            tangent[target][j] = 1
            for node in above:
                fn = node._ctx
                t = None
                for i, p in enumerate(fn.parents):
                    if p in tangent:
                        pt = fn.jvp_(tangent[p], i)
                        t = pt if t is None else t + pt
                if t.shape != node.data.shape:
                    t = np.broadcast_to(t, node.data.shape)
                tangent[node] = t
            # d(Σ seed ⊙ root)/d target[j]: the output tangent projected on the seed.
            grad[j] = np.sum(seed * tangent[root])
        _store_grad(target, grad, owned=True)
    if not retain_graph:
        _release(order)


def _release(order: list[Tensor]) -> None:
    for node in order:
        if node._ctx is not None:
            node._ctx.release()


register_mode("naive", naive)
register_mode("forward", forward)
