"""Backpropagation: one walk of the graph in reverse topological order.

The chain rule says ∂L/∂x = Σ over the ops y that use x of ∂L/∂y · ∂y/∂x. Backprop
evaluates it so that every node's ∂L/∂y is complete before it is pushed further
down, so each local partial ∂y/∂x is computed once and reused (cached) by every
path that goes through y. A node is ready when all the ops that consume it have
sent their share: that is Kahn's topological sort, run on counts of consumers,
with an explicit stack instead of recursion (graphs 100,000 ops deep are fine).
"""
from __future__ import annotations

from typing import Any, Callable

import numpy as np

from .engine import MicrogradError, ShapeError, Tensor

__all__ = ["backward", "unbroadcast", "register_mode"]


def unbroadcast(g: np.ndarray, shape: tuple[int, ...]) -> np.ndarray:
    """Sum g down to `shape`: the adjoint of numpy broadcasting, done here once for all ops.
    The result is a new array whenever a sum was needed (never a view of g)."""
    if g.shape == shape:
        return g
    extra = g.ndim - len(shape)
    if extra < 0:
        return np.broadcast_to(g, shape)  # a scalar partial for a larger input
    if extra:
        g = g.sum(axis=tuple(range(extra)))
    axes = tuple(k for k, n in enumerate(shape) if n == 1 and g.shape[k] != 1)
    if axes:
        g = g.sum(axis=axes, keepdims=True)
    if g.shape != shape:
        raise ShapeError(f"backward: a gradient of shape {g.shape} cannot be reduced to {shape}")
    return g


def seed_gradient(root: Tensor, gradient: Any) -> np.ndarray:
    """The gradient that starts the walk: 1 for a scalar, else the one the caller gives."""
    if not root._rg:
        raise MicrogradError(
            "backward: this tensor does not require grad and has no grad_fn; create the "
            "inputs with requires_grad=True (and not inside no_grad()) to get gradients")
    if gradient is None:
        if root.data.size != 1:
            raise MicrogradError(
                f"backward: the output has shape {root.shape}; gradients can be implicitly "
                "created only for scalar outputs, so pass gradient= (an array of that shape)")
        return np.array(1, dtype=root.data.dtype).reshape(root.data.shape)  # quicker than np.ones
    # A copy: the walk may hand this array on as a .grad, and it stays the caller's.
    g = np.array(gradient.data if isinstance(gradient, Tensor) else gradient,
                 dtype=root.data.dtype, copy=True)
    if g.shape != root.shape:
        raise ShapeError(f"backward: gradient has shape {g.shape} but the output has shape {root.shape}")
    return g


def _store_grad(t: Tensor, g: np.ndarray, owned: bool) -> None:
    """Accumulate g into t.grad. `owned` says no one else holds g, so it need not be copied."""
    if g.dtype != t.data.dtype:
        g = g.astype(t.data.dtype)
        owned = True
    if t.grad is None:
        t.grad = g if owned and type(g) is np.ndarray else np.array(g, copy=True)
    else:
        t.grad += g


def _consumer_counts(root: Tensor) -> dict[Tensor, int]:
    """For every node that needs a gradient, how many graph edges lead into it from above."""
    counts: dict[Tensor, int] = {}
    stack = [root]
    while stack:
        node = stack.pop()
        for p in node._ctx.parents:
            if p._rg:
                if p in counts:
                    counts[p] += 1
                else:
                    counts[p] = 1
                    if p._ctx is not None:
                        stack.append(p)
    return counts


def backprop(root: Tensor, seed: np.ndarray, retain_graph: bool = False) -> None:
    """Accumulate d(root)/d(leaf) · seed into the .grad of every leaf that requires grad."""
    if root._ctx is None:  # the root is itself a leaf
        _store_grad(root, seed, owned=False)
        return
    counts = _consumer_counts(root)
    grads: dict[Tensor, np.ndarray] = {root: seed}
    # Nodes whose pending gradient may share memory with an array someone else holds;
    # it is copied before it becomes a .grad the user may change in place. A partial
    # that returns its incoming g, or a view of it (add, reshape, transpose), passes
    # g's ownership to the first input that takes it; any further taker shares it.
    shared: set[Tensor] = set()
    ready = [root]
    while ready:
        node = ready.pop()
        g = grads.pop(node)
        fn = node._ctx
        if fn is None or node._retain:
            # A retained node's g also flows on to its inputs, so its .grad is a copy.
            _store_grad(node, g, owned=fn is None and node not in shared)
            if fn is None:
                continue
        g_free = node not in shared
        i = -1
        for p in fn.parents:
            i += 1
            if not p._rg:
                continue
            pg = fn.vjp(g, i)
            if pg.shape != p.data.shape:
                pg = unbroadcast(pg, p.data.shape)
            if p in grads:
                grads[p] = grads[p] + pg
                shared.discard(p)
            else:
                grads[p] = pg
                if pg is g or pg.base is not None or type(pg) is not np.ndarray:
                    if g_free and (pg is g or pg.base is g or pg.base is g.base):
                        g_free = False  # this input now owns g's memory
                    else:
                        shared.add(p)
            n = counts[p] - 1
            counts[p] = n
            if n == 0:
                ready.append(p)
        if not retain_graph:
            fn.__dict__.clear()  # fn.release(), inlined: this loop is the hot path
            fn.released = True


_MODES: dict[str, Callable[..., None]] = {}


def register_mode(name: str, run: Callable[..., None]) -> None:
    """Add a way of computing gradients: run(root, seed, retain_graph=..., **options)."""
    _MODES[name] = run


register_mode("backprop", backprop)


def backward(root: Tensor, gradient: Any = None, retain_graph: bool = False,
             mode: str = "backprop", **options: Any) -> None:
    """Tensor.backward: seed the walk and run it in the requested mode."""
    seed = seed_gradient(root, gradient)
    if mode not in _MODES:
        from . import modes  # noqa: F401  (registers "naive" and "forward")
    try:
        run = _MODES[mode]
    except KeyError:
        raise MicrogradError(
            f"backward: unknown mode {mode!r}; choose one of {sorted(_MODES)}") from None
    run(root, seed, retain_graph=retain_graph, **options)
