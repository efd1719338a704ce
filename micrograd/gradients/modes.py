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
         the output. Its cost grows with the number of inputs. One pass is
         `push_tangents`; `graph_jvp` runs it on any recorded graph, which is how
         micrograd.functional computes jvp, forward-mode Jacobians and the
         forward-over-reverse Hessian-vector product.

Both are reached through `Tensor.backward(mode=...)` and both refuse to start,
with the number they would need, when the count of partials they would evaluate
exceeds `max_partials`: the count is found first, in time linear in the graph, by
counting paths and the targets each node reaches (see `_count`).
"""
from __future__ import annotations

from collections.abc import Iterable, Sequence

import numpy as np

from ..autograd import _store_grad, consumer_counts, register_mode, release, toposort, unbroadcast
from ..engine import Tensor
from ..errors import BudgetError

__all__ = ["BudgetError", "naive", "forward", "estimate_partials", "DEFAULT_MAX_PARTIALS",
           "push_tangents", "graph_jvp", "inputs_first"]

DEFAULT_MAX_PARTIALS = 2_000_000


def _graph(root: Tensor) -> tuple[list[Tensor], dict[Tensor, int]]:
    """The nodes that need a gradient, each after all of its inputs, and for each node but
    the output how many graph edges lead into it from above (autograd's one walk)."""
    order = list(toposort(root))
    order.reverse()
    return order, consumer_counts(root)


def _edges(node: Tensor):
    """(input index, parent) for each graph edge out of node that carries a gradient."""
    if node._ctx is None:
        return ()
    return [(i, p) for i, p in enumerate(node._ctx.parents) if p._rg]


def _targets(order: list[Tensor], root: Tensor) -> list[Tensor]:
    """Where gradients are stored: leaves that require grad, and tensors that asked to retain it."""
    return [t for t in order if (t._ctx is None or t._retain) and t is not root]


def _consumers(order: list[Tensor]) -> dict[Tensor, list[Tensor]]:
    """For each node, the nodes that use it as an input (once per edge)."""
    consumers: dict[Tensor, list[Tensor]] = {node: [] for node in order}
    for node in order:
        for _, p in _edges(node):
            consumers[p].append(node)
    return consumers


def _above(target: Tensor, consumers: dict[Tensor, list[Tensor]]) -> set[Tensor]:
    """The nodes from which `target` can be reached by going down the graph, found by
    climbing from it through consumers: time proportional to the edges into that set."""
    above: set[Tensor] = set()
    stack = [target]
    while stack:
        for c in consumers[stack.pop()]:
            if c not in above:
                above.add(c)
                stack.append(c)
    return above


def _count(order: list[Tensor], uses: dict[Tensor, int], targets: list[Tensor],
           mode: str) -> int:
    """The partials a slow mode evaluates, in time linear in the graph (×⌈#targets/64⌉ for
    the bitsets): nothing is evaluated and no per-target set is built.

    The walk toward a target T evaluates an edge u→p when p is T or p reaches T: in naive
    mode once per path from the output to u, in forward mode once per scalar entry of T.
    Summed over the targets, edge u→p counts paths(u)·|R(p)| (naive) or Σ_{T in R(p)} size(T)
    (forward), with R(p) the set of targets reachable from p, p included. R is a bitset (a
    Python int, one bit per target) OR-ed from the inputs up, so a target reached by several
    routes is counted once, as the walks do."""
    bit = {t: 1 << k for k, t in enumerate(targets)}
    if mode == "forward":
        # Σ size(T) over a bitset, with the sizes written in binary: masks[b] holds the
        # targets whose size has bit b set, so the sum is Σ_b 2^b · |bits & masks[b]|.
        masks: list[int] = []
        for t in targets:
            size, b = t._data.size, 0
            while size:
                if size & 1:
                    masks.extend([0] * (b + 1 - len(masks)))
                    masks[b] |= bit[t]
                size >>= 1
                b += 1

        def weight(bits: int) -> int:
            return sum((bits & m).bit_count() << b for b, m in enumerate(masks))
    else:
        def weight(bits: int) -> int:
            return bits.bit_count()

    uses = dict(uses)  # counted down as consumers are done
    reach: dict[Tensor, int] = {}  # R(node) as a bitset, dropped once its consumers are done
    weights: dict[Tensor, int] = {}  # weight(R(node)), dropped likewise
    down: list[int] = []  # for each node, Σ over its edges u→p of weight(R(p))
    for node in order:  # inputs first
        bits, w = bit.get(node, 0), 0
        if node._ctx is not None:
            for p in node._ctx.parents:
                if p._rg:
                    bits |= reach[p]
                    w += weights[p]
                    n = uses[p] - 1
                    uses[p] = n
                    if n == 0:
                        del reach[p], weights[p]
        down.append(w)
        if node in uses:  # all but the output, which has no consumers
            reach[node] = bits
            weights[node] = weight(bits)
    if mode == "forward":
        return sum(down)
    paths = {order[-1]: 1}  # paths from the output, complete once all consumers are done
    total = 0
    for node, w in zip(reversed(order), reversed(down), strict=True):
        k = paths.pop(node)
        total += k * w
        if node._ctx is not None:
            for p in node._ctx.parents:
                if p._rg:
                    paths[p] = paths.get(p, 0) + k
    return total


def estimate_partials(root: Tensor, mode: str = "naive") -> int:
    """How many local partials `root.backward(mode=mode)` would evaluate, counted (not run)
    in time linear in the graph: see `_count`."""
    if mode not in ("naive", "forward"):
        raise ValueError(f"estimate_partials: mode must be 'naive' or 'forward', got {mode!r}")
    if root._ctx is None:
        return 0
    order, uses = _graph(root)
    return _count(order, uses, _targets(order, root), mode)


def _start(root: Tensor, seed: np.ndarray, mode: str,
           max_partials: int | None) -> tuple[list[Tensor], list[Tensor]]:
    """What both slow modes do first: refuse an over-budget graph, give the output its own
    gradient (the seed) where backprop would, and return the nodes (inputs first) and the
    targets. All of it takes time linear in the graph."""
    if root._ctx is None:  # the output is a leaf: its gradient is the seed, nothing to walk
        _store_grad(root, seed, owned=False)
        return [], []
    order, uses = _graph(root)
    targets = _targets(order, root)
    limit = DEFAULT_MAX_PARTIALS if max_partials is None else max_partials
    need = _count(order, uses, targets, mode)
    if need > limit:
        raise BudgetError(
            f"backward(mode={mode!r}) would evaluate {need:,} local partials, more than "
            f"max_partials={limit:,} (backprop needs one per graph edge). Pass a larger "
            f"max_partials= to run it anyway, or use a shallower graph.",
            mode=mode, need=need, limit=limit)
    for node in order:  # freed or changed in place since the forward: refuse before any work
        if node._ctx is not None:
            node._ctx.check(node)
    if root._retain:
        _store_grad(root, seed, owned=False)
    return order, targets


def naive(root: Tensor, seed: np.ndarray, retain_graph: bool = False,
          max_partials: int | None = None) -> None:
    """Gradients by walking every output-to-leaf path, one leaf at a time, reusing nothing."""
    order, targets = _start(root, seed, "naive", max_partials)
    consumers = _consumers(order)
    for target in targets:
        above = _above(target, consumers)
        total = None
        stack = [(root, seed)]
        while stack:
            node, g = stack.pop()
            fn = node._ctx
            assert fn is not None  # only nodes above a target are pushed: none is a leaf
            for i, p in enumerate(fn.parents):
                if not (p is target or p in above):  # only edges on a path to the target
                    continue
                pg = fn.call_backward(g, i)  # recomputed for every path through this edge
                if pg.shape != p._data.shape:
                    pg = unbroadcast(pg, p._data.shape)
                if p is target:
                    total = pg if total is None else total + pg
                else:
                    stack.append((p, pg))
        if total is not None:
            _store_grad(target, total, owned=False)
    if not retain_graph:
        release([node._ctx for node in order if node._ctx is not None])


def push_tangents(nodes: Iterable[Tensor], tangent: dict[Tensor, np.ndarray]
                  ) -> dict[Tensor, np.ndarray]:
    """One forward-mode pass, a Jacobian-vector product: ṅ = Σ_i ∂n/∂x_i · ẋ_i for each of
    `nodes` (inputs first), from the tangents ẋ already in `tangent` (the seeds, kept as
    given). A node none of whose inputs has a tangent gets none: it does not depend on the
    seeds, and no partial is evaluated for it. Fills `tangent` and returns it."""
    for node in nodes:
        fn = node._ctx
        if fn is None or node in tangent:  # a leaf, or a seed
            continue
        t: np.ndarray | None = None
        for i, p in enumerate(fn.parents):
            if p in tangent:
                pt = fn.call_jvp(tangent[p], i)
                t = pt if t is None else t + pt
        if t is None:
            continue
        if t.shape != node._data.shape:
            t = np.broadcast_to(t, node._data.shape)
        tangent[node] = t
    return tangent


def inputs_first(outputs: Sequence[Tensor]) -> list[Tensor]:
    """The nodes of the outputs' recorded graphs that need a gradient, each once and after
    all of its inputs; refuses (raises) if one was freed or changed in place since."""
    order: dict[Tensor, None] = {}  # a dict keeps the first place of a node shared by outputs
    for out in outputs:
        nodes = list(toposort(out))
        nodes.reverse()
        for node in nodes:
            if node not in order:
                if node._ctx is not None:
                    node._ctx.check(node)
                order[node] = None
    return list(order)


def graph_jvp(outputs: Sequence[Tensor], tangent: dict[Tensor, np.ndarray]
              ) -> list[np.ndarray | None]:
    """∂outputs/∂x · ẋ for the tangents ẋ = tangent[x] of tensors x below the outputs, by one
    push through the outputs' recorded graphs (any graph: one recorded by create_graph=True
    too): each edge above a seed has its partial evaluated once, however many outputs
    share it. None for an output that depends on no seed. Fills `tangent` as it goes."""
    push_tangents(inputs_first(outputs), tangent)
    return [tangent.get(out) for out in outputs]


def forward(root: Tensor, seed: np.ndarray, retain_graph: bool = False,
            max_partials: int | None = None) -> None:
    """Gradients by forward mode: for each scalar input, push a unit tangent up to the output."""
    order, targets = _start(root, seed, "forward", max_partials)
    consumers = _consumers(order)
    pos = {node: k for k, node in enumerate(order)}
    for target in targets:
        above = sorted(_above(target, consumers), key=pos.__getitem__)  # inputs first
        grad = np.zeros(target.shape, dtype=np.result_type(target._data.dtype, seed.dtype))
        for j in np.ndindex(*target.shape):
            tangent = {target: np.zeros(target.shape, dtype=target._data.dtype)}
            tangent[target][j] = 1
            push_tangents(above, tangent)
            # d(Σ seed ⊙ root)/d target[j]: the output tangent projected on the seed.
            grad[j] = np.sum(seed * tangent[root])
        _store_grad(target, grad, owned=True)
    if not retain_graph:
        release([node._ctx for node in order if node._ctx is not None])


register_mode("naive", naive)
register_mode("forward", forward)
