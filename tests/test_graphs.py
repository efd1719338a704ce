"""Canonical graphs with exact expected gradients, deep chains, accumulation, released
graphs, the once-per-node guarantee, and random DAGs checked against finite differences."""
from __future__ import annotations

import gc
from collections import Counter

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from micrograd import Function, GraphReleasedError, Tensor
from micrograd.engine import observe

G3 = np.array([0.5, -2.0, 3.0])  # a non-uniform upstream gradient for shape-(3,) outputs


def leaf(values) -> Tensor:
    return Tensor(np.array(values, dtype=np.float64), requires_grad=True)


class PartialCounter:
    """An engine observer counting local partials per (node, input) and forward ops."""

    def __init__(self):
        self.vjp: Counter = Counter()
        self.forward: Counter = Counter()

    def on_forward(self, fn, parents, out):
        self.forward[fn.name] += 1

    def on_partial(self, fn, i, g, pg, kind):
        if kind == "vjp":
            self.vjp[(id(fn), i)] += 1

    def __enter__(self):
        self._block = observe(self)  # the engine's public hook, as count_ops uses it
        return self._block.__enter__()

    def __exit__(self, *exc):
        return self._block.__exit__(*exc)


def graph_edges(root: Tensor) -> set:
    """(id(fn), i) for every edge of root's graph whose parent requires grad."""
    edges, seen, stack = set(), set(), [root]
    while stack:
        node = stack.pop()
        fn = node.grad_fn
        if fn is None or id(fn) in seen:
            continue
        seen.add(id(fn))
        for i, p in enumerate(fn.parents):
            if p.requires_grad:
                edges.add((id(fn), i))
                stack.append(p)
    return edges


# --------------------------------------------------------------------------- canonical graphs


def test_a_plus_a():
    a = leaf([1.0, 2.0, 3.0])
    (a + a).backward(gradient=G3)
    np.testing.assert_array_equal(a.grad, 2 * G3)


def test_b_is_a_plus_a_then_c_is_b_plus_b():
    a = leaf([1.0, 2.0, 3.0])
    b = a + a
    c = b + b
    c.backward(gradient=G3)
    np.testing.assert_array_equal(a.grad, 4 * G3)
    assert b.grad is None  # not a leaf, not retained


def test_x_is_a_plus_b_then_y_is_x_times_a():
    av, bv = np.array([1.0, -2.0, 0.5]), np.array([3.0, 4.0, -1.0])
    a, b = leaf(av), leaf(bv)
    x = a + b
    y = x * a  # y = a² + ab: ∂y/∂a = 2a + b, ∂y/∂b = a
    y.backward(gradient=G3)
    np.testing.assert_allclose(a.grad, G3 * (2 * av + bv), rtol=1e-15)
    np.testing.assert_allclose(b.grad, G3 * av, rtol=1e-15)


def test_scalar_output_seeds_one():
    a = leaf([1.0, 2.0, 3.0])
    (a * a).sum().backward()
    np.testing.assert_array_equal(a.grad, [2.0, 4.0, 6.0])


def test_fan_out_and_fan_in():
    av = np.array([0.3, -0.7, 1.1])
    a = leaf(av)
    s = a * 2 + a.exp() + a * a - a  # a feeds four consumers that meet again
    s.backward(gradient=G3)
    np.testing.assert_allclose(a.grad, G3 * (2 + np.exp(av) + 2 * av - 1), rtol=1e-14)


def test_diamond():
    av = np.array([0.3, -0.7, 1.1])
    a = leaf(av)
    b = a * 3
    c, d = b.tanh(), b.sigmoid()
    e = c * d
    e.backward(gradient=G3)
    bv = 3 * av
    sig = 1 / (1 + np.exp(-bv))
    expected = G3 * 3 * ((1 - np.tanh(bv) ** 2) * sig + np.tanh(bv) * sig * (1 - sig))
    np.testing.assert_allclose(a.grad, expected, rtol=1e-13)


def test_constant_branch_gets_no_grad():
    a, k = leaf([1.0, 2.0]), Tensor(np.array([5.0, 7.0]))
    (a * k).sum().backward()
    assert k.grad is None and not k.requires_grad
    np.testing.assert_array_equal(a.grad, [5.0, 7.0])


def test_unused_leaf_keeps_grad_none():
    a, b = leaf([1.0]), leaf([2.0])
    (a * 3).sum().backward()
    assert b.grad is None


# --------------------------------------------------------------------------- depth 100,000

N_DEEP = 100_000


def test_deep_mul_chain():
    x = leaf([1.5, -2.0])
    c = 1.0 + 1e-6
    y = x
    for _ in range(N_DEEP):
        y = y * c
    y.backward(gradient=np.array([1.0, 2.0]))
    expected = np.array([1.0, 2.0]) * c ** N_DEEP
    np.testing.assert_allclose(x.grad, expected, rtol=1e-9)
    np.testing.assert_allclose(y.data, x.data * c ** N_DEEP, rtol=1e-9)
    del y
    gc.collect()  # freeing a 100,000-deep graph must not overflow the C stack either


def test_deep_add_chain_with_a_leaf_used_100001_times():
    x = leaf([0.25])
    y = x
    for _ in range(N_DEEP):
        y = y + x  # y = (N+1)·x; x fans out to every node of the chain
    y.sum().backward()
    assert x.grad[0] == N_DEEP + 1
    assert y.data[0] == 0.25 * (N_DEEP + 1)


def test_deep_tanh_chain():
    xv = np.linspace(-2.0, 2.0, 8)
    x = leaf(xv)
    y = x
    for _ in range(N_DEEP):
        y = y.tanh()
    G = np.linspace(1.0, 2.0, 8)
    y.backward(gradient=G)
    # reference: the same recursion in plain numpy, derivative by the chain rule
    v, d = xv.copy(), np.ones(8)
    for _ in range(N_DEEP):
        v = np.tanh(v)
        d *= 1 - v * v
    np.testing.assert_allclose(y.data, v, rtol=1e-12)
    np.testing.assert_allclose(x.grad, G * d, rtol=1e-9, atol=1e-300)
    del y
    gc.collect()


# --------------------------------------------------------------------------- accumulation and release


def test_grads_accumulate_over_two_backward_calls_with_retain_graph():
    av, bv = np.array([1.0, 2.0, 3.0]), np.array([-1.0, 0.5, 4.0])
    a, b = leaf(av), leaf(bv)
    y = (a * b).sum()
    y.backward(retain_graph=True)
    first = a.grad.copy()
    y.backward()
    np.testing.assert_array_equal(first, bv)
    np.testing.assert_array_equal(a.grad, 2 * bv)
    np.testing.assert_array_equal(b.grad, 2 * av)


def test_grads_accumulate_across_graphs_until_zeroed():
    av = np.array([1.0, 2.0, 3.0])
    a = leaf(av)
    (a * a).sum().backward()
    (a * 3).sum().backward()
    np.testing.assert_array_equal(a.grad, 2 * av + 3)
    a.zero_grad()
    assert a.grad is None
    (a * 3).sum().backward()
    np.testing.assert_array_equal(a.grad, [3.0, 3.0, 3.0])


def test_backward_through_released_graph_raises():
    a = leaf([1.0, 2.0])
    y = (a * a).sum()
    y.backward()
    with pytest.raises(GraphReleasedError, match="retain_graph"):
        y.backward()


def test_backward_through_released_subgraph_raises():
    a = leaf([1.0, 2.0])
    h = a.exp()
    h.sum().backward()
    with pytest.raises(GraphReleasedError, match="retain_graph") as info:
        (h * 2).sum().backward()
    assert "exp" in str(info.value)  # names the node whose buffers are gone


def test_retain_graph_then_release():
    a = leaf([1.0, 2.0])
    y = (a * a).sum()
    y.backward(retain_graph=True)
    y.backward()  # still fine: the first call kept the buffers; this one frees them
    np.testing.assert_array_equal(a.grad, [4.0, 8.0])
    with pytest.raises(GraphReleasedError):
        y.backward()


# --------------------------------------------------------------------------- each node once


def test_each_partial_runs_once_per_backward_whatever_the_fan_out():
    a = leaf([0.1, 0.2, 0.3])
    b = a * 2
    c = b + b
    d = b * c + c.tanh() + b.exp()
    e = (d * c + b).sum()
    with PartialCounter() as counter:
        e.backward(retain_graph=True)
        edges = graph_edges(e)
        assert set(counter.vjp) == edges
        assert all(n == 1 for n in counter.vjp.values()), counter.vjp
        e.backward()
        assert all(n == 2 for n in counter.vjp.values()), counter.vjp


class CountingSquare(Function):
    """x² with a backward that counts its own calls."""
    name = "counting_square"
    calls = 0

    def forward(self, x):
        self.x = x
        return x * x

    def backward(self, g, i):
        CountingSquare.calls += 1
        return 2 * self.x * g


def test_custom_function_backward_runs_once_under_heavy_fan_out():
    CountingSquare.calls = 0
    av = np.array([0.5, -1.5])
    a = leaf(av)
    s = CountingSquare.apply(a)
    total = s
    for k in range(50):  # s feeds 51 consumers
        total = total + s * float(k)
    total.sum().backward()
    assert CountingSquare.calls == 1
    np.testing.assert_allclose(a.grad, 2 * av * (1 + sum(range(50))), rtol=1e-14)


def test_forward_ops_are_each_reported_once():
    a = leaf([1.0, 2.0])
    with PartialCounter() as counter:
        ((a * a).exp() + a).sum()
    assert counter.forward == Counter({"mul": 1, "exp": 1, "add": 1, "sum": 1})


# --------------------------------------------------------------------------- random DAGs

SHAPE = (2, 3)

# name -> (arity, micrograd, numpy). Values stay in [-1, 1], so depth cannot blow them up.
DAG_OPS = {
    "add": (2, lambda x, y: (x + y) * 0.5, lambda x, y: (x + y) * 0.5),
    "sub": (2, lambda x, y: (x - y) * 0.5, lambda x, y: (x - y) * 0.5),
    "mul": (2, lambda x, y: x * y, lambda x, y: x * y),
    "div": (2, lambda x, y: x / (y * y + 1), lambda x, y: x / (y * y + 1)),
    "tanh": (1, lambda x: x.tanh(), np.tanh),
    "sigmoid": (1, lambda x: x.sigmoid(), lambda x: 1 / (1 + np.exp(-x))),
    "neg": (1, lambda x: -x, np.negative),
    "mean0": (1, lambda x: x.mean(axis=0, keepdims=True), lambda x: x.mean(axis=0, keepdims=True)),
    "mean1": (1, lambda x: x.mean(axis=1, keepdims=True), lambda x: x.mean(axis=1, keepdims=True)),
    "softmax": (1, lambda x: x.softmax(axis=-1), lambda x: np.exp(x) / np.exp(x).sum(-1, keepdims=True)),
    "flip": (1, lambda x: x[::-1], lambda x: x[::-1]),
}


@st.composite
def programs(draw):
    n_leaves = draw(st.integers(1, 3))
    n_ops = draw(st.integers(1, 14))
    steps = []
    for k in range(n_ops):
        name = draw(st.sampled_from(sorted(DAG_OPS)))
        arity = DAG_OPS[name][0]
        # any earlier node may be reused, including the same node twice
        args = tuple(draw(st.integers(0, n_leaves + k - 1)) for _ in range(arity))
        steps.append((name, args))
    n_nodes = n_leaves + n_ops
    outputs = draw(st.lists(st.integers(0, n_nodes - 1), min_size=1, max_size=3, unique=True))
    if n_nodes - 1 not in outputs:
        outputs.append(n_nodes - 1)
    leaves = [draw(st.lists(st.floats(-1, 1), min_size=6, max_size=6)) for _ in range(n_leaves)]
    retained = draw(st.sets(st.integers(n_leaves, n_nodes - 1), max_size=3))
    return [np.reshape(v, SHAPE) for v in leaves], steps, outputs, retained


def run_program(values, steps, outputs, weights, use_micrograd, retained=()):
    nodes = list(values)
    for name, args in steps:
        _, mgf, npf = DAG_OPS[name]
        nodes.append((mgf if use_micrograd else npf)(*[nodes[a] for a in args]))
        if len(nodes) - 1 in retained:
            nodes[-1].retain_grad()
    total = 0.0
    for o, w in zip(outputs, weights):
        total = total + (nodes[o] * w).sum()
    return total, nodes


def reachable_leaves(n_leaves, steps, outputs):
    need, stack = set(), list(outputs)
    while stack:
        k = stack.pop()
        if k in need:
            continue
        need.add(k)
        if k >= n_leaves:
            stack.extend(steps[k - n_leaves][1])
    return {k for k in need if k < n_leaves}


@given(prog=programs(), seed=st.integers(0, 2**32 - 1))
def test_random_dag_matches_finite_differences(prog, seed):
    values, steps, outputs, retained = prog
    rng = np.random.default_rng(seed)
    weights = [rng.standard_normal(SHAPE) for _ in outputs]  # broadcast against any node
    leaves = [Tensor(v.copy(), requires_grad=True) for v in values]
    with PartialCounter() as counter:
        root, nodes = run_program(leaves, steps, outputs, weights, use_micrograd=True,
                                  retained=retained)
        root.backward(retain_graph=True)
    # every .grad (leaves and retained intermediates) has its tensor's shape and is
    # private: no two share memory, nor with any node's data or the weights
    grads = {k: n.grad for k, n in enumerate(nodes) if n.grad is not None}
    for k, g in grads.items():
        assert g.shape == nodes[k].shape and g.flags.writeable
        others = [o for j, o in grads.items() if j != k] + [n.data for n in nodes] + weights
        assert not any(np.shares_memory(g, o) for o in others), f"node {k}'s grad is shared"
    # every edge's partial ran exactly once
    assert set(counter.vjp) == graph_edges(root)
    assert set(counter.vjp.values()) == {1}
    # the value and the gradients agree with numpy and central differences
    ref, _ = run_program(values, steps, outputs, weights, use_micrograd=False)
    np.testing.assert_allclose(root.item(), ref, rtol=1e-12, atol=1e-12)
    used = reachable_leaves(len(values), steps, outputs)
    h = 1e-5
    for k, t in enumerate(leaves):
        if k not in used:
            assert t.grad is None
            continue
        assert t.grad.shape == SHAPE and t.grad.dtype == np.float64
        numeric = np.zeros(SHAPE)
        for j in np.ndindex(*SHAPE):
            vals = []
            for step in (2, 1, -1, -2):
                moved = [v.copy() for v in values]
                moved[k][j] += step * h
                vals.append(run_program(moved, steps, outputs, weights, use_micrograd=False)[0])
            numeric[j] = (-vals[0] + 8 * vals[1] - 8 * vals[2] + vals[3]) / (12 * h)
        np.testing.assert_allclose(t.grad, numeric, rtol=1e-6, atol=1e-8)
    # a second backward through the retained graph adds the same gradients again
    first = [None if t.grad is None else t.grad.copy() for t in leaves]
    root.backward()
    for t, g in zip(leaves, first):
        if g is not None:
            np.testing.assert_allclose(t.grad, 2 * g, rtol=1e-15)
