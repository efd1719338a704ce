"""The budget check of the slow modes (`estimate_partials`): fast on deep graphs, and
exactly the count the modes really evaluate.

The reference below is the earlier implementation (one set of nodes above each target,
then a pass over every edge per target: quadratic in the graph). It is slow, but its
definition is the plain one, so it is the oracle for the linear-time count."""
from __future__ import annotations

import time

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import micrograd as mg
from micrograd.gradients.modes import DEFAULT_MAX_PARTIALS, BudgetError, estimate_partials
from micrograd.lab.families import build_model

# --------------------------------------------------------------------------- the oracle

def _ref_edges(node):
    return [] if node._ctx is None else [p for p in node._ctx.parents if p._rg]


def _ref_postorder(root):
    order, seen = [], {root}
    stack = [(root, iter(_ref_edges(root)))]
    while stack:
        node, parents = stack[-1]
        for p in parents:
            if p not in seen:
                seen.add(p)
                stack.append((p, iter(_ref_edges(p))))
                break
        else:
            stack.pop()
            order.append(node)
    return order


def reference_estimate(root, mode):
    """The quadratic count that modes.py used before: for each target T, the set of nodes
    above it, then each edge u→p with u above T and p = T or above T, counted paths(u)
    times (naive) or size(T) times (forward)."""
    if root._ctx is None:
        return 0
    order = _ref_postorder(root)
    paths = {node: 0 for node in order}
    paths[root] = 1
    for node in reversed(order):
        for p in _ref_edges(node):
            paths[p] += paths[node]
    total = 0
    for t in order:
        if t is root or not (t._ctx is None or t._retain):
            continue
        above = set()
        for node in order:
            if node is not t and any(p is t or p in above for p in _ref_edges(node)):
                above.add(node)
        for node in above:
            for p in _ref_edges(node):
                if p is t or p in above:
                    total += paths[node] if mode == "naive" else t.numel()
    return total


# --------------------------------------------------------------------------- deep graphs

def scalar_chain(n: int) -> mg.Tensor:
    """x * 1.0001, n times, on a small tensor that requires grad, then a sum."""
    y = mg.Tensor(np.ones(3), requires_grad=True)
    for _ in range(n):
        y = y * 1.0001
    return y.sum()


def timed(f, *args):
    t0 = time.perf_counter()
    out = f(*args)
    return out, time.perf_counter() - t0


def test_deep_model_chain_is_refused_fast_with_the_closed_form_need():
    # 2,000 layers of tanh(h @ W + b): 4,000 parameter tensors. The quadratic count took
    # about 30 s and 730 MB here; the linear one takes about 0.02 s.
    L = 2000
    root = build_model("chain", L).loss()
    need = 3 * L * L + 6 * L  # docs/complexity.md, not computed by the engine
    got, seconds = timed(estimate_partials, root, "naive")
    print(f"\nestimate_partials(chain {L} layers, naive): {seconds:.3f} s")
    assert got == need
    assert seconds < 5.0
    w = 4
    fwd, seconds = timed(estimate_partials, root, "forward")
    assert fwd == (w * w + w) * 3 * L * (L - 1) // 2 + (5 * w * w + 4 * w) * L
    assert seconds < 5.0

    t0 = time.perf_counter()
    with mg.count_ops() as c:
        with pytest.raises(BudgetError) as info:
            root.backward(mode="naive")
    seconds = time.perf_counter() - t0
    print(f"backward(mode='naive') refusal: {seconds:.3f} s")
    assert seconds < 5.0
    assert (info.value.mode, info.value.need, info.value.limit) == ("naive", need,
                                                                     DEFAULT_MAX_PARTIALS)
    assert c.partials == 0 and c.forward == 0
    with pytest.raises(BudgetError) as info:
        root.backward(mode="forward")
    assert info.value.need == fwd


@pytest.mark.parametrize("n", [2_000, 100_000])
def test_long_scalar_chain_is_estimated_fast_and_refused_with_the_same_need(n):
    root = scalar_chain(n)  # deeper than the recursion limit: the count must be iterative
    need, seconds = timed(estimate_partials, root, "naive")
    print(f"\nestimate_partials(x*1.0001 × {n:,}, naive): {seconds:.3f} s")
    assert need == n + 1  # n multiplications and the sum, each once: one path, one target
    assert seconds < 5.0
    fwd, seconds = timed(estimate_partials, root, "forward")
    assert fwd == 3 * (n + 1)  # the same edges, once per entry of x
    assert seconds < 5.0
    with mg.count_ops() as c:
        with pytest.raises(BudgetError) as info:
            root.backward(mode="naive", max_partials=need - 1)
    assert (info.value.need, info.value.limit) == (need, need - 1)
    assert c.partials == 0
    if n <= 2_000:  # the same graph, run: the estimate is what is measured
        with mg.count_ops() as c:
            root.backward(mode="naive", max_partials=need, retain_graph=True)
        assert c.partials == need


def test_many_parameters_on_a_long_chain_is_fast():
    # 20,000 targets along a chain of 60,000 nodes: the bitsets are 20,000 bits wide.
    n = 20_000
    y = mg.Tensor(np.ones(2), requires_grad=True)
    for k in range(n):
        y = (y * mg.Tensor(np.full(2, 1.0001), requires_grad=True)).tanh()
    root = y.sum()
    need, seconds = timed(estimate_partials, root, "naive")
    print(f"\nestimate_partials({n:,} parameters, naive): {seconds:.3f} s")
    assert seconds < 5.0
    assert need == reference_closed_chain(n)


def reference_closed_chain(n: int) -> int:
    """Naive partials of the chain above, summed edge by edge (one path to every node, so
    each edge counts the targets below it): sum→tanh_0 reaches all n + 1; in layer k (0 at
    the top), tanh_k→mul_k reaches n - k + 1, mul_k→w_k 1, mul_k→tanh_{k+1} (or x) n - k."""
    return (n + 1) + sum((n - k + 1) + 1 + (n - k) for k in range(n))


def test_diamonds_count_each_target_once_per_edge_and_path():
    # y = x; y = y + y, 20 times: 2^20 paths to x, but x is one target, not 2^20.
    x = mg.Tensor(np.ones(2), requires_grad=True)
    y = x
    for _ in range(20):
        y = y + y
    mid = y
    mid.retain_grad()
    root = (mid * mid).sum()
    for mode in ("naive", "forward"):
        assert estimate_partials(root, mode) == reference_estimate(root, mode)


# --------------------------------------------------------------------------- random DAGs

SHAPES = [(), (3,), (2, 3), (4, 1), (7,), (1,)]  # sizes 1, 3, 6, 4, 7: several size bits


def _combine(a: mg.Tensor, b: mg.Tensor, op: str) -> mg.Tensor:
    try:
        np.broadcast_shapes(a.shape, b.shape)
    except ValueError:
        b = b.sum()
    if op == "add":
        return a + b
    if op == "mul":
        return a * b
    return a - b


@st.composite
def dags(draw):
    n_leaves = draw(st.integers(1, 5))
    leaves = [(draw(st.sampled_from(SHAPES)), draw(st.booleans())) for _ in range(n_leaves)]
    leaves[0] = (leaves[0][0], True)
    ops = []
    for k in range(draw(st.integers(1, 18))):
        n = n_leaves + k
        pick = st.one_of(st.integers(max(0, n - 3), n - 1), st.integers(0, n - 1))
        kind = draw(st.sampled_from(["tanh", "scale", "square", "sum", "add", "mul", "sub"]))
        ops.append((kind, draw(pick), draw(pick)))
    total = n_leaves + len(ops)
    outputs = draw(st.lists(st.integers(0, total - 1), min_size=1, max_size=3))
    retained = draw(st.lists(st.integers(n_leaves, total - 1), max_size=4))
    return leaves, ops, outputs, retained, draw(st.integers(0, 2 ** 32 - 1))


def build_dag(program):
    leaves, ops, outputs, retained, seed = program
    rng = np.random.default_rng(seed)
    nodes = [mg.Tensor(rng.uniform(-1, 1, shape), requires_grad=rg) for shape, rg in leaves]
    for kind, i, j in ops:
        a, b = nodes[i], nodes[j]
        if kind == "tanh":
            out = a.tanh()
        elif kind == "scale":
            out = a * 0.5
        elif kind == "square":
            out = a * a  # two edges to one input
        elif kind == "sum":
            out = a.sum()
        else:
            out = _combine(a, b, kind)
        nodes.append(out)
    root = nodes[outputs[0]].sum()
    for i in outputs[1:]:
        root = root + nodes[i].sum()
    for i in retained:
        if nodes[i].requires_grad and nodes[i] is not root:
            nodes[i].retain_grad()
    return root, [t for t in nodes if t.requires_grad]


@given(dags())
def test_random_dags_estimate_matches_the_reference_and_the_measured_count(program):
    root, tensors = build_dag(program)
    if root.grad_fn is None:
        assert estimate_partials(root, "naive") == estimate_partials(root, "forward") == 0
        return
    grads = {}
    for mode in ("naive", "forward"):
        est = estimate_partials(root, mode)
        assert est == reference_estimate(root, mode), mode
        for t in tensors:
            t.grad = None
        # One partial short of the budget: refused with that need, before any work.
        with mg.count_ops() as c:
            with pytest.raises(BudgetError) as info:
                root.backward(mode=mode, max_partials=est - 1, retain_graph=True)
        assert (info.value.need, c.partials) == (est, 0), mode
        assert all(t.grad is None for t in tensors)
        if est > 20_000:  # not drawn so far (the largest is a few hundred); kept quick
            continue
        with mg.count_ops() as c:
            root.backward(mode=mode, max_partials=est, retain_graph=True)
        assert c.partials == est, mode
        grads[mode] = [t.grad for t in tensors]
    for t in tensors:
        t.grad = None
    root.backward(retain_graph=True)
    for mode, got in grads.items():
        for t, g in zip(tensors, got):
            if g is None or t.grad is None:
                assert g is None and t.grad is None, mode
            else:
                assert np.allclose(g, t.grad, rtol=1e-10, atol=1e-10), mode
