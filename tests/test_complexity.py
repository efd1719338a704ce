"""The operation counts of backprop, naive and forward mode, checked against the closed
forms of docs/complexity.md and against counts taken independently from the graph."""
from __future__ import annotations

import time

import numpy as np
import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

import micrograd as mg
from micrograd import engine
from micrograd.gradients.modes import DEFAULT_MAX_PARTIALS, BudgetError, estimate_partials
from micrograd.lab.closed_forms import closed_form
from micrograd.lab.families import build_model

MODES = ("backprop", "naive", "forward")


def measure(model, mode: str):
    """(partials, flops) of one backward() of a fresh graph of `model` in `mode`."""
    for p in model.params:
        p.grad = None
    root = model.loss()
    with mg.count_ops() as c:
        root.backward(mode=mode)
    return c.partials, c.flops


# --------------------------------------------------------------------------- chain

def chain_partials(L: int, w: int) -> dict[str, int]:
    """docs/complexity.md, "The chain": the formulas written out again, not imported."""
    return {"backprop": 5 * L + 1,
            "naive": 3 * L ** 2 + 6 * L,
            "forward": (w ** 2 + w) * 3 * L * (L - 1) // 2 + (5 * w ** 2 + 4 * w) * L}


def chain_flops(L: int, w: int, n: int) -> dict[str, int]:
    return {"backprop": n * w ** 2 * (4 * L - 2) + n * w * (3 * L + 2),
            "naive": 2 * n * w ** 2 * L ** 2 + n * w * (2 * L ** 2 + 6 * L),
            "forward": (n * w ** 3 * (w + 1) * L * (L + 1) + n * w ** 2 * (w + 1) * L * (L - 1)
                        + 2 * n * w ** 3 * L + 3 * n * w ** 2 * L + w ** 2 * L)}


@pytest.mark.parametrize("w,n", [(4, 8), (3, 5)])
def test_chain_partials_and_flops_match_the_closed_forms(w, n):
    for L in range(1, 13):
        model = build_model("chain", L, width=w, batch=n)
        want_p, want_f = chain_partials(L, w), chain_flops(L, w, n)
        assert closed_form("chain", L, w) == want_p
        for mode in MODES:
            partials, flops = measure(model, mode)
            assert partials == want_p[mode], (L, mode)
            assert flops == want_f[mode], (L, mode)


def test_chain_naive_over_backprop_grows_linearly():
    # (3L² + 6L) / (5L + 1) → 3L/5 + 27/25: its increments tend to 3/5.
    ratios = [chain_partials(L, 4)["naive"] / chain_partials(L, 4)["backprop"]
              for L in range(1, 33)]
    steps = np.diff(ratios)
    assert np.all(steps > 0.55) and np.all(steps < 0.70)
    assert abs(steps[-1] - 0.6) < 0.005


def test_chain_backprop_partials_is_one_per_edge_of_the_described_graph():
    # Layer 1: matmul→W (x needs no grad), add→matmul, add→b, tanh→add: 4 edges.
    # Layer l ≥ 2: the same plus matmul→h: 5 edges. Loss: pow→h, mean→pow: 2 edges.
    for L in range(1, 6):
        root = build_model("chain", L).loss()
        assert count_edges(root) == 4 + 5 * (L - 1) + 2 == 5 * L + 1


# --------------------------------------------------------------------------- mlp

def test_mlp_partials_match_the_closed_forms():
    h = 10
    for D in range(1, 7):
        model = build_model("mlp", D, width=h)
        # Edges from the loss down to each parameter: Wy 6, by 5, W_l 9 + 3(D-l), b_l 8 + 3(D-l).
        fwd = 6 * h * 2 + 5 * 2 + sum((2 if l == 1 else h) * h * (9 + 3 * (D - l))
                                      + h * (8 + 3 * (D - l)) for l in range(1, D + 1))
        want = {"backprop": 5 * D + 7, "naive": 3 * D ** 2 + 14 * D + 11, "forward": fwd}
        assert closed_form("mlp", D, h) == want
        for mode in MODES:
            assert measure(model, mode)[0] == want[mode], (D, mode)


# --------------------------------------------------------------------------- fused forms

@pytest.mark.parametrize("w", [4, 3])
def test_fused_chain_partials_match_the_closed_forms(w):
    # nn.Linear's `linear` op: 3 edges (2 in layer 1), where matmul + add have 4 (3).
    for L in range(1, 11):
        model = build_model("chain", L, width=w, fused=True)
        want = {"backprop": 4 * L + 1, "naive": 2 * L ** 2 + 6 * L,
                "forward": (w ** 2 + w) * (L ** 2 + 3 * L)}
        assert closed_form("chain", L, w, fused=True) == want
        for mode in MODES:
            assert measure(model, mode)[0] == want[mode], (L, mode)


def test_fused_mlp_partials_match_the_closed_forms():
    h = 10
    for D in range(1, 6):
        model = build_model("mlp", D, width=h, fused=True)
        # cross_entropy → linear → Wy or by: 2 edges; each hidden layer below adds tanh,
        # linear: W_k and b_k of hidden layer k at 4 + 2(D - k).
        fwd = (h * 2 + 2) * 2 + sum(((2 if k == 1 else h) * h + h) * (4 + 2 * (D - k))
                                    for k in range(1, D + 1))
        want = {"backprop": 4 * D + 3, "naive": 2 * D ** 2 + 6 * D + 4, "forward": fwd}
        assert closed_form("mlp", D, h, fused=True) == want
        for mode in MODES:
            assert measure(model, mode)[0] == want[mode], (D, mode)


# --------------------------------------------------------------------------- ladder

def test_ladder_naive_doubles_and_backprop_grows_by_a_constant():
    w = 4
    counts = {mode: [] for mode in MODES}
    for L in range(1, 15):
        model = build_model("ladder", L, width=w)
        for mode in MODES:
            counts[mode].append(measure(model, mode)[0])
    naive, bp, fwd = counts["naive"], counts["backprop"], counts["forward"]
    for k, L in enumerate(range(1, 15)):
        assert naive[k] == 3 * 2 ** L - 2
        assert bp[k] == 3 * L + 1
        assert fwd[k] == w * (3 * L + 1)
    # Each rung doubles the paths: N(L+1) = 2·N(L) + 2, B(L+1) = B(L) + 3.
    assert all(b == 2 * a + 2 for a, b in zip(naive, naive[1:]))
    assert all(b - a == 3 for a, b in zip(bp, bp[1:]))


def test_budget_error_fires_before_any_work_on_a_deep_ladder():
    model = build_model("ladder", 40)
    root = model.loss()
    need = 3 * 2 ** 40 - 2  # computed here, not by the engine
    t0 = time.perf_counter()
    with mg.count_ops() as c:
        with pytest.raises(BudgetError) as info:
            root.backward(mode="naive")
    assert time.perf_counter() - t0 < 1.0
    assert c.partials == 0 and c.flops == 0 and c.forward == 0
    assert f"{need:,}" in str(info.value)
    assert f"{DEFAULT_MAX_PARTIALS:,}" in str(info.value)
    assert (info.value.mode, info.value.need, info.value.limit) == ("naive", need,
                                                                     DEFAULT_MAX_PARTIALS)
    assert estimate_partials(root, "naive") == need
    # Nothing was stored and the graph is intact: backprop still works on it.
    x = model.params[0]
    assert x.grad is None
    root.backward()
    assert np.array_equal(x.grad, np.ones(4))


def test_max_partials_option_sets_the_budget():
    model = build_model("ladder", 6)
    need = 3 * 2 ** 6 - 2
    with pytest.raises(BudgetError, match=f"would evaluate {need:,} local partials"):
        model.loss().backward(mode="naive", max_partials=need - 1)
    with mg.count_ops() as c:
        model.loss().backward(mode="naive", max_partials=need)
    assert c.partials == need


# --------------------------------------------------------------------------- count_ops

def test_count_ops_leaves_no_observer_behind():
    assert engine._state.observers == ()
    with mg.count_ops():
        assert len(engine._state.observers) == 1
    assert engine._state.observers == ()
    with pytest.raises(ZeroDivisionError):
        with mg.count_ops():
            1 / 0
    assert engine._state.observers == ()
    with pytest.raises(BudgetError):
        with mg.count_ops():
            build_model("ladder", 30).loss().backward(mode="naive")
    assert engine._state.observers == ()


def test_nested_counters_both_count():
    x = mg.Tensor(np.ones(3), requires_grad=True)
    with mg.count_ops() as outer:
        y = (x * 2).sum()
        with mg.count_ops() as inner:
            y.backward()
        x.tanh()  # counted by the outer counter only
    assert (inner.forward, inner.partials) == (0, 2)
    assert (outer.forward, outer.partials) == (3, 2)
    assert outer.flops == inner.flops == 3 + 3
    assert engine._state.observers == ()


@pytest.mark.parametrize("m,k,n", [(3, 4, 5), (1, 7, 2), (6, 1, 6)])
def test_matmul_flops_are_2mnk_forward_and_twice_that_backward(m, k, n):
    a = mg.Tensor(np.ones((m, k)), requires_grad=True)
    b = mg.Tensor(np.ones((k, n)), requires_grad=True)
    with mg.count_ops() as fwd:
        out = a @ b
    assert fwd.forward == 1 and fwd.forward_flops == 2 * m * n * k
    with mg.count_ops() as bwd:
        out.backward(gradient=np.ones((m, n)))
    assert bwd.partials == 2 and bwd.flops == 2 * (2 * m * n * k)
    assert bwd.by_op["matmul"].flops == 4 * m * n * k
    assert np.array_equal(a.grad, np.full((m, k), n)) and np.array_equal(b.grad, np.full((k, n), m))


def test_retained_output_gets_its_seed_in_every_mode():
    for mode in MODES:
        x = mg.Tensor([1.0, 2.0], requires_grad=True)
        y = (x * x).sum()
        y.retain_grad()
        y.backward(mode=mode)
        assert y.grad == 1.0, mode
        assert np.array_equal(x.grad, [2.0, 4.0])


# --------------------------------------------------------------------------- random graphs

def count_edges(root: mg.Tensor) -> int:
    """Graph edges below root that carry a gradient: for each recorded node reachable
    from root, its parents that require grad (a parent used twice counts twice)."""
    seen, stack, edges = {id(root)}, [root], 0
    while stack:
        node = stack.pop()
        if node.grad_fn is None:
            continue
        for p in node.grad_fn.parents:
            if p.requires_grad:
                edges += 1
                if id(p) not in seen:
                    seen.add(id(p))
                    stack.append(p)
    return edges


def _reaches(node: mg.Tensor, target: mg.Tensor, memo: dict) -> bool:
    if node is target:
        return True
    if id(node) not in memo:
        memo[id(node)] = node.grad_fn is not None and any(
            p.requires_grad and _reaches(p, target, memo) for p in node.grad_fn.parents)
    return memo[id(node)]


def brute_counts(root: mg.Tensor, targets: list[mg.Tensor]) -> tuple[int, int]:
    """(naive, forward) partial counts by walking the tree of paths explicitly.

    naive: from the output, every edge toward the target is evaluated each time the walk
    arrives at its upper node, i.e. once per path from the output to that node.
    forward: every edge above the target, once per scalar entry of the target."""
    naive = forward = 0
    for t in targets:
        memo: dict = {}

        def walk(node):
            nonlocal naive
            for p in node.grad_fn.parents:
                if p.requires_grad and _reaches(p, t, memo):
                    naive += 1
                    if p is not t:
                        walk(p)
        walk(root)
        # Edges u→p with u above t (u ≠ t reaches t) and p = t or p reaching t.
        above, stack = set(), [root]
        while stack:
            u = stack.pop()
            if id(u) in above or u is t or not _reaches(u, t, memo):
                continue
            above.add(id(u))
            stack.extend(p for p in u.grad_fn.parents if p.requires_grad)
        seen = {}
        stack = [root]
        edges_above = 0
        while stack:
            u = stack.pop()
            if id(u) in seen or id(u) not in above:
                continue
            seen[id(u)] = True
            for p in u.grad_fn.parents:
                if p.requires_grad and _reaches(p, t, memo):
                    edges_above += 1
                    stack.append(p)
        forward += edges_above * t.numel()
    return naive, forward


# Every shape broadcasts with every other: last axis 1 or 3, the one before 1 or 2.
SHAPES = [(), (3,), (1, 3), (2, 1), (2, 3), (1,)]
UNARY = ("neg", "tanh", "sigmoid", "exp_tanh", "sum0", "mean_last", "sum_all", "reshape",
         "square", "scale")
BINARY = ("add", "sub", "mul", "div")


def apply_op(name: str, args: list[mg.Tensor]) -> mg.Tensor:
    a = args[0]
    if name == "neg":
        return -a
    if name == "tanh":
        return a.tanh()
    if name == "sigmoid":
        return a.sigmoid()
    if name == "exp_tanh":
        return a.tanh().exp()
    if name == "sum0":
        return a.sum(axis=0, keepdims=True) if a.ndim else a.sum()
    if name == "mean_last":
        return a.mean(axis=-1, keepdims=True) if a.ndim else a.mean()
    if name == "sum_all":
        return a.sum()
    if name == "reshape":
        return a.reshape(-1).reshape(a.shape)
    if name == "square":
        return a * a  # the same node on both sides: two edges to it
    if name == "scale":
        return 0.5 * a
    b = args[1]
    if name == "add":
        return a + b
    if name == "sub":
        return a - b
    if name == "mul":
        return a * b
    if name == "div":
        return a / (b * b + 1)  # b is used twice; the denominator stays ≥ 1
    raise ValueError(name)


@st.composite
def programs(draw):
    n_leaves = draw(st.integers(1, 4))
    leaves = [(draw(st.sampled_from(SHAPES)), draw(st.booleans())) for _ in range(n_leaves)]
    leaves[0] = (leaves[0][0], True)
    ops = []
    for k in range(draw(st.integers(1, 9))):
        n = n_leaves + k
        # Prefer recent nodes (deeper graphs) but allow any earlier one (fan-out).
        pick = st.one_of(st.integers(max(0, n - 3), n - 1), st.integers(0, n - 1))
        if draw(st.booleans()):
            ops.append((draw(st.sampled_from(UNARY)), draw(pick)))
        else:
            ops.append((draw(st.sampled_from(BINARY)), draw(pick), draw(pick)))
    total = n_leaves + len(ops)
    outputs = draw(st.lists(st.integers(0, total - 1), min_size=1, max_size=3))
    retained = draw(st.lists(st.integers(n_leaves, total - 1), max_size=2))
    seeded = draw(st.booleans())  # a non-scalar output with a random seed gradient
    return leaves, ops, outputs, retained, seeded, draw(st.integers(0, 2 ** 32 - 1))


def build(program):
    leaves, ops, outputs, retained, seeded, seed = program
    rng = np.random.default_rng(seed)
    nodes = [mg.Tensor(rng.uniform(-1.5, 1.5, shape), requires_grad=rg) for shape, rg in leaves]
    for name, *idx in ops:
        nodes.append(apply_op(name, [nodes[i] for i in idx]))
    if seeded:
        root = nodes[outputs[0]]
        for i in outputs[1:]:
            root = root + nodes[i]  # fan-in, broadcast to the widest shape
        gradient = rng.standard_normal(root.shape)
    else:
        root = nodes[outputs[0]].sum()
        for i in outputs[1:]:
            root = root + nodes[i].sum()
        gradient = None
    for i in retained:
        if nodes[i].requires_grad and nodes[i] is not root:
            nodes[i].retain_grad()
    targets = [t for t in nodes if t.requires_grad and (t.is_leaf or t._retain)]
    return root, gradient, targets


def close(a: np.ndarray | None, b: np.ndarray | None) -> bool:
    if a is None or b is None:
        return a is None and b is None
    # Summing the same path products in another order: relative 1e-12, and an absolute
    # floor of 1e-12 of the largest entry for entries that cancel to nearly 0.
    scale = max(1.0, float(np.max(np.abs(b), initial=0.0)))
    return a.shape == b.shape and bool(np.allclose(a, b, rtol=1e-12, atol=1e-12 * scale))


@given(programs())
def test_random_graphs_modes_agree_and_counts_match(program):
    root, gradient, targets = build(program)
    assume(root.requires_grad and root.grad_fn is not None)
    assume(all(np.all(np.isfinite(t.data)) for t in targets))
    edges = count_edges(root)
    estimates = {m: estimate_partials(root, m) for m in ("naive", "forward")}
    naive_count, forward_count = brute_counts(root, [t for t in targets if t is not root])
    assert estimates == {"naive": naive_count, "forward": forward_count}

    grads = {}
    for mode in ("naive", "forward", "backprop"):  # backprop last: it frees the graph
        for t in targets:
            t.grad = None
        with mg.count_ops() as c:
            root.backward(gradient, mode=mode, retain_graph=mode != "backprop")
        grads[mode] = [t.grad for t in targets]
        want = edges if mode == "backprop" else estimates[mode]
        assert c.partials == want, mode
        assert sum(c.per_node.values()) == c.partials
    for mode in ("naive", "forward"):
        for t, g, ref in zip(targets, grads[mode], grads["backprop"]):
            assert close(g, ref), (mode, t.shape, g, ref)


def test_fused_linear_charges_its_partials_what_the_unfused_ops_do():
    """F.linear's partials cost what x @ wᵀ + b's do: a matmul's flops for x and for w, and
    for b the sum of g over the batch (n·out), not a third matmul."""
    rng = np.random.default_rng(0)
    n, n_in, n_out = 5, 3, 4
    x = mg.tensor(rng.standard_normal((n, n_in)))
    w = mg.tensor(rng.standard_normal((n_out, n_in)), requires_grad=True)
    b = mg.tensor(rng.standard_normal(n_out), requires_grad=True)

    def flops(fused: bool) -> dict:
        out = mg.nn.functional.linear(x, w, b) if fused else x @ w.T + b
        with mg.count_ops() as c:
            out.sum().backward()
        return {op: s.flops for op, s in c.by_op.items()}

    fused, unfused = flops(True), flops(False)
    matmul = 2 * n * n_out * n_in  # one VJP of x @ wᵀ: w's (x needs no gradient)
    assert unfused["matmul"] == matmul and unfused["add"] == 2 * n * n_out
    assert fused["linear"] == unfused["matmul"] + n * n_out  # the bias: add's b partial
