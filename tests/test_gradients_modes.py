"""The slow gradient modes (micrograd.gradients.modes): what they leave in .grad, the count
`estimate_partials` gives for them, and the memory that count needs."""
from __future__ import annotations

import tracemalloc

import numpy as np
import pytest

import micrograd as mg
from micrograd.gradients import modes
from micrograd.gradients.modes import estimate_partials


def _diamond():
    """y = Σ h·h with h = x·x: one node (h) used twice, so naive mode walks two paths."""
    x = mg.tensor(np.array([1.5, -0.5]), requires_grad=True, dtype=np.float64)
    h = x * x
    return x, (h * h).sum()


def test_estimate_partials_without_a_mode_counts_the_naive_mode():
    x, y = _diamond()
    with mg.count_ops() as c:
        y.backward(mode="naive")
    # Hand count: sum→(h·h) on 1 path, h·h→h twice on 1 path, h→x twice on 2 paths.
    assert estimate_partials(y) == c.partials == 1 + 2 + 2 * 2


@pytest.mark.parametrize("mode", ["backprop", "Naive", "jvp"])
def test_estimate_partials_refuses_a_mode_it_cannot_count(mode):
    _, y = _diamond()
    with pytest.raises(ValueError, match=rf"^estimate_partials: mode must be 'naive' or "
                                         rf"'forward', got '{mode}'$"):
        estimate_partials(y, mode)


@pytest.mark.parametrize("mode", ["naive", "forward"])
def test_a_retained_output_is_not_counted_as_a_target(mode):
    """root.retain_grad() gives the output its seed as .grad, which costs no partial."""
    x, y = _diamond()
    y.retain_grad()
    est = estimate_partials(y, mode)
    with mg.count_ops() as c:
        y.backward(mode=mode)
    assert c.partials == est
    # Naive: 1 + 2 + 2·2 as in the test above; forward: each of the 5 edges once per entry.
    assert est == (1 + 2 + 2 * 2 if mode == "naive" else 5 * x.numel())
    np.testing.assert_allclose(x.grad, 4 * x.data ** 3)
    assert y.grad == 1.0


@pytest.mark.parametrize("run", [modes.naive, modes.forward])
@pytest.mark.parametrize("leaf", [True, False])
def test_the_output_grad_is_a_copy_of_the_seed_not_the_callers_array(run, leaf):
    """naive()/forward() are public: the seed array stays the caller's, as in backprop."""
    x = mg.tensor(np.array([1.0, 2.0, 3.0]), requires_grad=True, dtype=np.float64)
    y = x if leaf else x * 2.0
    if not leaf:
        y.retain_grad()
    seed = np.array([1.0, -1.0, 0.5])
    run(y, seed)
    seed[...] = 100.0
    np.testing.assert_array_equal(y.grad, [1.0, -1.0, 0.5])
    if not leaf:
        np.testing.assert_array_equal(x.grad, [2.0, -2.0, 1.0])


@pytest.mark.parametrize("mode", ["naive", "forward"])
def test_float32_leaves_get_float32_grads_equal_to_backprop(mode):
    rng = np.random.default_rng(0)
    x = mg.tensor(rng.uniform(-1, 1, (2, 3)), requires_grad=True, dtype=np.float32)
    w = mg.tensor(rng.uniform(-1, 1, (3,)), requires_grad=True, dtype=np.float64)
    y = ((x * w).tanh() * x).sum()
    y.backward(retain_graph=True)
    want = {t: t.grad.copy() for t in (x, w)}
    x.grad = w.grad = None
    y.backward(mode=mode)
    for t in (x, w):
        assert t.grad.dtype == t.dtype
        np.testing.assert_allclose(t.grad, want[t], rtol=1e-6)


def _count_peak_bytes(n_targets: int, depth: int) -> int:
    """Peak memory of the count on n_targets scalar leaves, joined, then `depth` scalings."""
    y = mg.cat([mg.tensor(np.ones(1), requires_grad=True, dtype=np.float64)
                for _ in range(n_targets)])
    for _ in range(depth):
        y = y * 1.0
    root = y.sum()
    tracemalloc.start()
    try:
        estimate_partials(root, "naive")
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def test_the_count_keeps_a_nodes_target_set_only_until_its_consumers_are_done():
    """Each node above many targets carries a bitset of them (n_targets bits). Kept for
    the whole walk they would cost n_targets/8 bytes per node; dropped once used, the
    memory per extra node of a chain does not depend on the number of targets."""
    n_targets, depth = 4096, 1000
    extra = _count_peak_bytes(n_targets, 2 * depth) - _count_peak_bytes(n_targets, depth)
    assert extra / depth < n_targets / 8 / 2, extra / depth
