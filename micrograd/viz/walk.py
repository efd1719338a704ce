"""The tensors and ops of the graph that produced a tensor, numbered inputs first: what
the drawing draws, found with autograd.toposort through the Tensor's public accessors."""
from __future__ import annotations

from dataclasses import dataclass, field

from ..autograd import ReleasedTensor, toposort
from ..engine import Function, Tensor

__all__ = ["GraphNodes", "walk", "role"]


@dataclass
class GraphNodes:
    """One graph to draw. Tensors are inputs first (root last); ops in the order of the
    tensors they make. Node ids: tensors `t0, t1, …` and ops `f0, f1, …` in that order;
    a freed intermediate's stand-in has the id of the tensor it stands for."""
    root: Tensor
    tensors: list[Tensor]
    ops: list[Function]
    # id(tensor) -> the ops that take it, once per edge (x * x lists `mul` twice)
    consumers: dict[int, list[Function]] = field(default_factory=dict)
    # id(op) -> the tensor it made
    output: dict[int, Tensor] = field(default_factory=dict)
    _tid: dict[int, str] = field(default_factory=dict)
    _fid: dict[int, str] = field(default_factory=dict)

    def tensor_id(self, t: Tensor) -> str:
        return self._tid[id(t)]

    def op_id(self, fn: Function) -> str:
        return self._fid[id(fn)]

    def role(self, t: Tensor) -> str:
        return role(t, self.root)


def role(t: Tensor, root: Tensor) -> str:
    """'output' for root; for leaves 'param' (requires grad) or 'input'; else 'tensor'."""
    if t is root:
        return "output"
    if t.is_leaf:
        return "param" if t.requires_grad else "input"
    return "tensor"


def walk(root: Tensor) -> GraphNodes:
    """Every tensor and op of root's graph, each tensor after all of its inputs.

    toposort yields root first and each node after all of its consumers, with an
    explicit stack, so a 100,000-op chain needs no recursion; reversed, inputs come first.
    """
    found = list(toposort(root, grad_only=False))
    found.reverse()
    # An op makes one tensor. Two tensors with one op are that tensor and the stand-in
    # backward() left for it in a graph sharing ops with this one: one node, drawn from
    # the tensor that still has its values.
    made: dict[int, int] = {}  # id(op) -> index in `tensors` of the tensor it made
    tensors: list[Tensor] = []
    alias: dict[int, int] = {}  # id(tensor) -> its index in `tensors`
    for t in found:
        fn = t.grad_fn
        k = made.get(id(fn)) if fn is not None else None
        if k is None:
            k = len(tensors)
            tensors.append(t)
            if fn is not None:
                made[id(fn)] = k
        elif isinstance(tensors[k], ReleasedTensor):
            tensors[k] = t
        alias[id(t)] = k
    g = GraphNodes(root, tensors, [])
    for t in tensors:
        fn = t.grad_fn
        if fn is None:
            continue
        g.output[id(fn)] = t
        g.ops.append(fn)
        for p in fn.parents:
            g.consumers.setdefault(id(tensors[alias[id(p)]]), []).append(fn)
    g._tid.update((i, f"t{k}") for i, k in alias.items())
    g._fid.update((id(fn), f"f{k}") for k, fn in enumerate(g.ops))
    return g
