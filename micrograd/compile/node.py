"""The one node a compiled call records, and the tensor it returns.

Its parents are the program's inputs, so backward() fills their .grad through the
generated backward, checks their versions as eager does (an input changed in place
before backward() raises InplaceError), and frees the saved values when done.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from .. import engine as _engine
from ..autograd import _accumulate, _grad_lock, release, seed_gradient
from ..engine import Function, Tensor
from ..errors import CompileError, HigherOrderError

if TYPE_CHECKING:
    from .compiled import _Entry

__all__ = ["CompiledFunction", "CompiledResult", "record"]


class CompiledFunction(Function):
    """The one node a compiled call records: forward was the generated forward; each
    partial ∂out/∂input_i is read from one run of the generated backward."""
    name = "compiled"
    g: Any = None            # the gradient the last backward ran for
    reporting = False        # saved for the reporting program (observers were on)
    entry: _Entry            # the program
    saved: tuple             # what its forward kept for its backward
    arrays: tuple            # its inputs (a reporting backward runs the forward again)
    grads: tuple             # the gradients of the last backward

    def call_backward(self, g: np.ndarray, i: int) -> np.ndarray:
        """Backprop asks input by input; the generated backward answers all of them at
        once, on the first ask for this g. Observers hear of each op's partials, as eager
        would tell them, not of this node's."""
        if self.g is not g:
            self.grads = self.entry.backward(self, g)
            self.g = g
        return self.grads[self.entry.slots[i]]

    def jvp(self, t: np.ndarray, i: int) -> np.ndarray:
        raise CompileError(
            "compiled: a compiled function generates its backward (VJPs) only, so "
            "mode='forward' cannot push tangents through it; call the function uncompiled "
            "(compiled.fn) for forward mode")

    def backward_t(self, g: Tensor, i: int, out: Tensor) -> Tensor:
        raise HigherOrderError(
            "compiled: a compiled function's backward is generated numpy, not recorded ops, "
            "so create_graph=True cannot differentiate it again; call the function "
            "uncompiled (compiled.fn) for gradients of gradients")


class CompiledResult(Tensor):
    """What a compiled call returns: a Tensor whose backward() goes the short way when
    the graph below it is its compiled node and that node's leaves (the usual loss):
    the generated backward, each gradient into its leaf's .grad, the node freed. The
    steps and the checks are backprop's for that graph; anything else (a gradient=,
    retain_graph, create_graph, a non-leaf input, observers) takes backprop itself."""
    __slots__ = ()

    def backward(self, gradient: Any = None, retain_graph: bool | None = None,
                 create_graph: bool = False, mode: str = "backprop", **options: Any) -> None:
        node = self._ctx
        if (gradient is None and not retain_graph and not create_graph and mode == "backprop"
                and not options and type(node) is CompiledFunction and not node.released
                and not self._retain and not (_engine._observing and _engine._state.observers)
                and all(p._ctx is None for p in node.parents)):
            _backward_to_leaves(self, node)
        else:
            super().backward(gradient, retain_graph, create_graph, mode, **options)


def _backward_to_leaves(root: Tensor, node: CompiledFunction) -> None:
    seed = seed_gradient(root, None)
    versions, parents = node.versions, node.parents
    changed = root._ver[0] != versions[-1]
    for k, p in enumerate(parents):
        changed = changed or p._ver[0] != versions[k]
    if changed:
        node.check(root)  # raises: an input or the result changed in place since
    entry = node.entry
    grads = entry.backward(node, seed)
    slots, exclusive = entry.slots, entry.program.exclusive
    with _grad_lock:
        for k, p in enumerate(parents):
            if p._rg:
                s = slots[k]
                g = grads[s]
                # A leaf keeps g itself only when no one else holds it (see Program.exclusive).
                _accumulate(p, g, exclusive[s] and g.base is None)
    release([node])


def record(node: CompiledFunction | None, parents: tuple[Tensor, ...], data: Any,
            name: str | None) -> Tensor:
    """The compiled call's result, recorded as Function.apply records an op's (by node,
    when there is one: a call without a backward records nothing)."""
    if type(data) is not np.ndarray:
        data = np.asarray(data)
    cls = Tensor if node is None else CompiledResult
    out = cls.__new__(cls)
    out._data = data
    out.grad = out._ctx = None
    out.name = name
    out._retain = False
    out._ver = [0, False] if data.base is None else _engine._view_counter(data, parents)
    out._rg = node is not None
    if node is not None:
        node.parents = parents
        node.versions = (*[p._ver[0] for p in parents], out._ver[0])
        out._ctx = node
    return out
