"""Backpropagation: one walk of the graph in reverse topological order.

The chain rule says ∂L/∂x = Σ over the ops y that use x of ∂L/∂y · ∂y/∂x. Backprop
evaluates it so that every node's ∂L/∂y is complete before it is pushed further
down, so each local partial ∂y/∂x is computed once and reused (cached) by every
path that goes through y. A node is ready when all the ops that consume it have
sent their share: that is Kahn's topological sort, run on counts of consumers,
with an explicit stack instead of recursion (graphs 100,000 ops deep are fine).
"""
from __future__ import annotations

import threading
from collections.abc import Callable, Iterable, Iterator
from typing import Any

import numpy as np

from .engine import Function, Tensor, enable_grad
from .errors import DTypeError, GraphReleasedError, MicrogradError, ShapeError

__all__ = ["backward", "grad", "toposort", "consumer_counts", "unbroadcast", "register_mode",
           "release"]


def unbroadcast(g: Any, shape: tuple[int, ...]) -> Any:
    """Sum g down to `shape`: the adjoint of numpy broadcasting, done here once for all ops.
    The result is a new array whenever a sum was needed (never a view of g). g may be a
    tensor too (create_graph=True): then the sums are recorded ops."""
    if g.shape == shape:
        return g
    extra = g.ndim - len(shape)
    if extra < 0:  # a scalar partial for a larger input
        return g.expand(shape) if isinstance(g, Tensor) else np.broadcast_to(g, shape)
    if extra:
        g = g.sum(axis=tuple(range(extra)))
    axes = tuple(k for k, n in enumerate(shape) if n == 1 and g.shape[k] != 1)
    if axes:
        g = g.sum(axis=axes, keepdims=True)
    if g.shape != shape:
        raise ShapeError(f"backward: a gradient of shape {g.shape} cannot be reduced to {shape}")
    return g


def seed_gradient(root: Tensor, gradient: Any, where: str = "backward") -> np.ndarray:
    """The gradient that starts the walk: 1 for a scalar, else the one the caller gives."""
    if not root._rg:
        raise MicrogradError(
            f"{where}: this tensor does not require grad and has no grad_fn; create the "
            "inputs with requires_grad=True (and not inside no_grad()) to get gradients. "
            "If it is (made from) a gradient, that gradient was computed without "
            "create_graph=True, so its graph was not recorded: pass create_graph=True to "
            "the grad()/backward() that computed it")
    if gradient is None:
        if root._data.size != 1:
            raise MicrogradError(
                f"{where}: the output has shape {root.shape}; gradients can be implicitly "
                "created only for scalar outputs, so pass gradient= (an array of that shape)")
        return np.array(1, dtype=root._data.dtype).reshape(root._data.shape)  # quicker than np.ones
    # A copy: the walk may hand this array on as a .grad, and it stays the caller's.
    try:
        g = np.array(gradient._data if isinstance(gradient, Tensor) else gradient,
                     dtype=root._data.dtype, copy=True)
    except (ValueError, TypeError):
        raise DTypeError(f"{where}: gradient must be numbers of the output's shape "
                         f"{root.shape}, got {gradient!r:.80}") from None
    if g.shape != root.shape:
        raise ShapeError(f"{where}: gradient has shape {g.shape} but the output has shape "
                         f"{root.shape}")
    return g


# Two threads' backward() may meet in one shared leaf: its .grad += g is one
# read-modify-write, so accumulation is serialised.
_grad_lock = threading.Lock()


def _accumulate(t: Tensor, g: np.ndarray, owned: bool) -> None:
    """t.grad += g (hold _grad_lock). `owned` says no one else holds g: no copy needed."""
    if g.dtype != t._data.dtype:
        g = g.astype(t._data.dtype)
        owned = True
    if t.grad is None:
        t.grad = g if owned and type(g) is np.ndarray else np.array(g, copy=True)
    elif isinstance(t.grad, Tensor):  # recorded by an earlier create_graph=True: out of place
        t.grad = t.grad + g
    else:
        t.grad += g


def _store_grad(t: Tensor, g: np.ndarray, owned: bool) -> None:
    """Accumulate g into t.grad, safely against other threads doing the same."""
    with _grad_lock:
        _accumulate(t, g, owned)


def clear_grads(tensors: Iterable[Tensor], set_to_none: bool = True) -> None:
    """Forget each tensor's .grad: set it to None, or (set_to_none=False) zero it in place,
    as PyTorch's zero_grad does; what Module.zero_grad and Optimizer.zero_grad both call."""
    for t in tensors:
        if set_to_none:
            t.grad = None
        elif t.grad is not None:
            t.grad[...] = 0


class ReleasedTensor(Tensor):
    """What the graph keeps of a large intermediate after backward() freed the graph:
    its name, shape, dtype and the op that made it, not its values. Asking for its
    values raises; an op computed on it gives nan (its storage is all-ones bits), never
    a plausible number."""

    __slots__ = ()

    def _freed(self, *args: Any, **kwargs: Any) -> Any:
        raise GraphReleasedError(
            f"this intermediate's values ({self.shape} {self.dtype}) were freed by "
            "backward(); pass retain_graph=True to keep them, or hold the tensor itself")

    data = property(_freed)  # read-only: nothing to set either
    numpy = tolist = item = detach = __array__ = __float__ = __int__ = _freed

    def __repr__(self) -> str:
        return f"ReleasedTensor(shape={self.shape}, dtype={self.dtype}, freed by backward())"


# An intermediate smaller than this costs no more to keep than its stand-in would.
_KEEP_BYTES = 1024


# One element of any dtype (up to 64 bytes), read-only, all bits set: nan in every float
# dtype. What every stand-in's zero-strided array views.
_NO_VALUES = b"\xff" * 64


def _stand_in(t: Tensor) -> Tensor:
    s = ReleasedTensor.__new__(ReleasedTensor)
    # A zero-strided array over _NO_VALUES: shape and dtype for the drawing, no memory.
    # (The ndarray constructor costs a fifth of np.broadcast_to, on backward's path.)
    a = t._data
    s._data = np.ndarray(a.shape, a.dtype, buffer=_NO_VALUES, strides=(0,) * a.ndim)
    s.grad, s.name, s._ctx, s._rg, s._retain, s._ver = None, t.name, t._ctx, t._rg, False, t._ver
    return s


def _droppable(t: Tensor) -> bool:
    """An intermediate, or an input that needs no gradient (a batch of data), large enough
    to be worth a stand-in. Parameters stay themselves: their .grad is read after backward."""
    return (t._data.nbytes > _KEEP_BYTES and (t._ctx is not None or not t._rg)
            and type(t) is Tensor and t._data.itemsize <= len(_NO_VALUES))


def release(fns: Iterable[Function]) -> None:
    """Free what the ops of a finished backward() hold: their saved buffers, and the
    large intermediates and data inputs they point to (replaced by shape-only
    stand-ins), so a kept loss tensor does not keep every activation alive."""
    stand_ins: dict[Tensor, Tensor] = {}
    for fn in fns:
        fn.__dict__.clear()
        fn.released = True
        parents = fn.parents
        new = None  # the parents with stand-ins, built from the first droppable one on
        for k, p in enumerate(parents):
            if _droppable(p):
                if new is None:
                    new = list(parents)
                s = stand_ins.get(p)
                if s is None:
                    s = stand_ins[p] = _stand_in(p)
                new[k] = s
        if new is not None:
            fn.parents = tuple(new)


def consumer_counts(root: Tensor, grad_only: bool = True) -> dict[Tensor, int]:
    """For every node below root, how many graph edges lead into it from above.
    grad_only: follow only the edges into tensors that require grad (those gradients take)."""
    counts: dict[Tensor, int] = {}
    stack = [root]
    while stack:
        fn = stack.pop()._ctx
        if fn is None:
            continue
        for p in fn.parents:
            if p._rg or not grad_only:
                if p in counts:
                    counts[p] += 1
                else:
                    counts[p] = 1
                    if p._ctx is not None:
                        stack.append(p)
    return counts


def toposort(root: Tensor, grad_only: bool = True) -> Iterator[Tensor]:
    """Every node of root's graph, each after all the nodes that consume it (root first).

    Kahn's algorithm on consumer counts with an explicit stack, so a graph 100,000 ops
    deep needs no recursion. A node is yielded when its last consumer has been yielded
    *and* the caller's work on that consumer is done (the counts drop on resuming), so
    backprop can push gradients between yields. The one walk every graph walker uses:
    backprop, the slow modes and the drawing."""
    counts = consumer_counts(root, grad_only)
    ready = [root]
    while ready:
        node = ready.pop()
        yield node
        fn = node._ctx
        if fn is not None:
            for p in fn.parents:
                if p._rg or not grad_only:
                    n = counts[p] - 1
                    counts[p] = n
                    if n == 0:
                        ready.append(p)


def backprop(root: Tensor, seed: np.ndarray, retain_graph: bool = False,
             wanted: dict[Tensor, Any] | None = None) -> None:
    """Accumulate d(root)/d(leaf) · seed into the .grad of every leaf that requires grad.
    With `wanted` (what grad() asks), fill wanted[t] with the gradient of each of its
    tensors instead, and leave every .grad alone."""
    if root._ctx is None:  # the root is itself a leaf
        if wanted is None:
            _store_grad(root, seed, owned=False)
        elif root in wanted:
            wanted[root] = seed
        return
    grads: dict[Tensor, np.ndarray] = {root: seed}
    # Nodes whose pending gradient may share memory with an array someone else holds;
    # it is copied before it becomes a .grad the user may change in place. A partial
    # that returns its incoming g, or a view of it (add, reshape, transpose), passes
    # g's ownership to the first input that takes it; any further taker shares it.
    shared: set[Tensor] = set()
    walked: list[Function] = []
    stores: list[tuple[Tensor, np.ndarray, bool]] = []  # into .grad at the end, under one lock
    for node in toposort(root):
        g = grads.pop(node)
        fn = node._ctx
        if wanted is not None:
            if node in wanted:
                wanted[node] = g  # complete: every consumer has sent its share
            if fn is None:
                continue
        elif fn is None or node._retain:
            # A retained node's g also flows on to its inputs, so its .grad is a copy.
            stores.append((node, g, fn is None and node not in shared))
            if fn is None:
                continue
        versions = fn.versions
        if fn.released or node._ver[0] != versions[-1]:
            fn.check(node)  # raises: freed, or its output changed in place since the forward
        walked.append(fn)
        g_free = node not in shared
        i = -1
        for p in fn.parents:
            i += 1
            if p._ver[0] != versions[i]:
                fn.check(node)  # raises: this input changed in place since the forward
            if not p._rg:
                continue
            pg = fn.call_backward(g, i)
            if pg.shape != p._data.shape:
                pg = unbroadcast(pg, p._data.shape)
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
    with _grad_lock:
        for t, g, owned in stores:
            _accumulate(t, g, owned)
    if not retain_graph:
        release(walked)


def backprop_recorded(root: Tensor, seed: Tensor, wanted: dict[Tensor, Any] | None = None
                      ) -> None:
    """Backprop with create_graph=True: the same walk, but every gradient is a tensor and
    every partial a recorded op (Function.backward_t), so the gradients it gives can be
    differentiated again. Fills wanted[t] (grad()) or accumulates into .grad (backward())."""
    if root._ctx is None:
        _hand_over(root, seed, wanted)
        return
    with enable_grad():
        grads: dict[Tensor, Tensor] = {root: seed}
        for node in toposort(root):
            g = grads.pop(node)
            fn = node._ctx
            if fn is None or node._retain or (wanted is not None and node in wanted):
                _hand_over(node, g, wanted)
                if fn is None:
                    continue
            fn.check(node)
            for i, p in enumerate(fn.parents):
                if p._rg:
                    pg = fn.call_backward_t(g, i, node)
                    if pg.shape != p._data.shape:
                        pg = unbroadcast(pg, p._data.shape)
                    grads[p] = grads[p] + pg if p in grads else pg


def _hand_over(t: Tensor, g: Tensor, wanted: dict[Tensor, Any] | None) -> None:
    """A recorded gradient to whoever asked: grad()'s `wanted`, or t.grad (backward())."""
    if wanted is not None:
        if t in wanted:
            wanted[t] = g
        return
    if g.dtype != t._data.dtype:
        g = g.to(t._data.dtype)
    with _grad_lock:
        # .grad becomes a tensor with a graph, as in PyTorch after create_graph=True: a
        # (recorded) copy, as PyTorch's, since g may be another leaf's gradient too (x + y
        # hands both the same g), a read-only broadcast view, or the caller's seed.
        t.grad = g.clone() if t.grad is None else g + t.grad


_MODES: dict[str, Callable[..., None]] = {}


def register_mode(name: str, run: Callable[..., None]) -> None:
    """Add a way of computing gradients: run(root, seed, retain_graph=..., **options)."""
    _MODES[name] = run


register_mode("backprop", backprop)


def _recorded_seed(root: Tensor, gradient: Any, where: str) -> Tensor:
    """The seed of a recorded walk: a tensor given as gradient= keeps its own graph (it
    may require grad); anything else is checked as for the array walk."""
    if isinstance(gradient, Tensor) and root._rg:
        if gradient.shape != root.shape:
            raise ShapeError(f"{where}: gradient has shape {gradient.shape} but the output has "
                             f"shape {root.shape}")
        return gradient if gradient.dtype == root.dtype else gradient.to(root.dtype)
    return Tensor(seed_gradient(root, gradient, where))


def backward(root: Tensor, gradient: Any = None, retain_graph: bool | None = None,
             mode: str = "backprop", create_graph: bool = False, **options: Any) -> None:
    """Tensor.backward: seed the walk and run it in the requested mode."""
    if retain_graph is None:
        retain_graph = create_graph  # as in PyTorch: a recorded backward keeps the graph
    if create_graph:
        if mode != "backprop" or options:
            raise MicrogradError(
                f"backward: create_graph=True records backprop's walk; mode={mode!r} "
                f"{'with ' + ', '.join(options) + ' ' if options else ''}cannot be recorded. "
                "Record the first derivative with backprop, then differentiate it again "
                "in any mode")
        backprop_recorded(root, _recorded_seed(root, gradient, "backward"))
        return
    seed = seed_gradient(root, gradient)
    try:  # "naive" and "forward" register themselves when micrograd imports grad.modes
        run = _MODES[mode]
    except KeyError:
        raise MicrogradError(
            f"backward: unknown mode {mode!r}; choose one of {sorted(_MODES)}") from None
    run(root, seed, retain_graph=retain_graph, **options)


def _as_tensors(xs: Any, what: str) -> tuple[list[Tensor], bool]:
    """One tensor or a sequence of them, as a list, and whether a single one was given."""
    if isinstance(xs, Tensor):
        return [xs], True
    if isinstance(xs, (list, tuple)) and all(isinstance(x, Tensor) for x in xs):
        return list(xs), False
    raise MicrogradError(f"grad: {what} must be a tensor or a sequence of tensors, got "
                         f"{type(xs).__name__}")


def grad(outputs: Any, inputs: Any, grad_outputs: Any = None,
         retain_graph: bool | None = None, create_graph: bool = False,
         allow_unused: bool = False) -> tuple[Tensor | None, ...]:
    """Σ_k grad_outputs[k] · ∂outputs[k]/∂inputs, returned (one tensor per input) instead of
    accumulated into .grad, as torch.autograd.grad. With create_graph=True the backward
    pass is recorded, so the results can be differentiated again (gradients of gradients).
    An input the outputs do not depend on raises, unless allow_unused=True: then None."""
    outs, _ = _as_tensors(outputs, "outputs")
    ins, _ = _as_tensors(inputs, "inputs")
    if grad_outputs is None or isinstance(grad_outputs, Tensor) and len(outs) == 1:
        seeds = [grad_outputs] * len(outs)
    elif isinstance(grad_outputs, (list, tuple)) and len(grad_outputs) == len(outs):
        seeds = list(grad_outputs)
    else:
        raise MicrogradError(f"grad: grad_outputs must hold one gradient per output "
                             f"({len(outs)}), got {grad_outputs!r:.80}")
    for k, x in enumerate(ins):
        if not x._rg:
            raise MicrogradError(f"grad: input {k} ({x.shape}) does not require grad, so no "
                                 "gradient flows into it; create it with requires_grad=True")
    if retain_graph is None:
        retain_graph = create_graph
    total: list[Any] = [None] * len(ins)
    for k, (out, seed) in enumerate(zip(outs, seeds, strict=True)):
        wanted: dict[Tensor, Any] = dict.fromkeys(ins)
        keep = retain_graph or k < len(outs) - 1  # the next output may share this graph
        if create_graph:
            backprop_recorded(out, _recorded_seed(out, seed, "grad"), wanted)
        else:
            backprop(out, seed_gradient(out, seed, "grad"), retain_graph=keep, wanted=wanted)
        for j, x in enumerate(ins):
            g = wanted[x]
            if g is not None:
                total[j] = g if total[j] is None else total[j] + g
    results: list[Tensor | None] = []
    for j, (x, g) in enumerate(zip(ins, total, strict=True)):
        if g is None:
            if not allow_unused:
                raise MicrogradError(
                    f"grad: input {j} ({_name(x)}) is not used to compute the outputs, so it "
                    "has no gradient; pass allow_unused=True to get None for it")
            results.append(None)
        elif isinstance(g, Tensor):
            results.append(g if g.dtype == x.dtype else g.to(x.dtype))
        else:  # an array of the walk, maybe shared with another input's: the caller's own copy
            results.append(Tensor(g.astype(x.dtype, copy=False)))
    return tuple(results)


def _name(t: Tensor) -> str:
    return f"{t.name}, shape {t.shape}" if t.name else f"shape {t.shape}"
