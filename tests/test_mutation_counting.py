"""What the issue's planted bugs found untested in count_ops: the flop counts of the fused
linear op and of matmul (2mnk, by hand), the per-op breakdown summing to the totals, nested
blocks each counting exactly their own block, and the table and dict views."""
from __future__ import annotations

import numpy as np
import pytest

import micrograd as mg
from micrograd.nn import functional as F


def _linear_case(batch=5, n_in=4, n_out=3, bias=True):
    rng = np.random.default_rng(0)
    x = mg.tensor(rng.normal(size=(batch, n_in)), requires_grad=True, dtype=np.float64)
    w = mg.tensor(rng.normal(size=(n_out, n_in)), requires_grad=True, dtype=np.float64)
    b = mg.tensor(rng.normal(size=n_out), requires_grad=True, dtype=np.float64) if bias else None
    return x, w, b


@pytest.mark.parametrize("bias", [True, False])
def test_fused_linear_flops_are_2mnk_per_product_and_n_for_the_bias(bias):
    m, k, n = 5, 4, 3  # (m, k) @ (k, n)
    x, w, b = _linear_case(m, k, n, bias)
    with mg.count_ops() as c:
        y = F.linear(x, w, b)
    assert c.by_op["linear"].forward == 1
    assert c.by_op["linear"].forward_flops == 2 * m * n * k
    with mg.count_ops() as c:
        y.backward(np.ones((m, n)))
    stats = c.by_op["linear"]
    # ∂x = g W and ∂W = gᵀ x: 2mnk each; ∂b = Σ_rows g: one add per entry of g.
    assert stats.partials == (3 if bias else 2)
    assert stats.flops == 2 * (2 * m * n * k) + (m * n if bias else 0)


def test_matmul_flops_are_2mnk():
    m, k, n = 3, 7, 2
    a = mg.tensor(np.ones((m, k)), requires_grad=True, dtype=np.float64)
    b = mg.tensor(np.ones((k, n)), requires_grad=True, dtype=np.float64)
    with mg.count_ops() as c:
        (a @ b).sum().backward()
    assert c.by_op["matmul"].forward_flops == 2 * m * n * k
    assert c.by_op["matmul"].flops == 2 * (2 * m * n * k)
    assert c.by_op["matmul"].partials == 2


def test_elementwise_flops_are_one_per_entry():
    x = mg.tensor(np.ones((4, 6)), requires_grad=True, dtype=np.float64)
    with mg.count_ops() as c:
        x.tanh().sum().backward()
    assert c.by_op["tanh"].forward_flops == 24 and c.by_op["tanh"].flops == 24


def test_the_breakdown_sums_to_the_totals_and_the_views_agree():
    x, w, b = _linear_case()
    with mg.count_ops() as c:
        F.linear(x, w, b).tanh().sum().backward()
    for key in ("forward", "partials", "flops", "forward_flops"):
        assert getattr(c, key) == sum(getattr(s, key) for s in c.by_op.values()), key
    d = c.as_dict()
    assert {k: d[k] for k in ("forward", "partials", "flops", "forward_flops")} == {
        "forward": c.forward, "partials": c.partials, "flops": c.flops,
        "forward_flops": c.forward_flops}
    assert list(d["by_op"]) == sorted(c.by_op)
    d["by_op"]["linear"]["flops"] = -1  # a copy: the counter is not changed through it
    assert c.by_op["linear"].flops > 0
    lines = c.table().splitlines()
    assert lines[0].split() == ["op", "forward", "partials", "flops"]
    assert lines[-1].split() == ["total", str(c.forward), str(c.partials), str(c.flops)]
    assert [ln.split()[0] for ln in lines[1:-1]] == sorted(c.by_op)
    assert len({len(ln) for ln in lines}) == 1  # aligned columns
    assert repr(c) == (f"OpCounts(forward={c.forward}, partials={c.partials}, "
                       f"flops={c.flops}, forward_flops={c.forward_flops})")


def test_nested_blocks_each_count_their_own_block():
    x = mg.tensor(np.ones(3), requires_grad=True, dtype=np.float64)
    with mg.count_ops() as outer:
        y = x * 2.0
        with mg.count_ops() as inner:
            z = y.exp()
        s = z.sum()
    assert inner.forward == 1 and inner.by_op["exp"].forward == 1
    assert outer.forward == 3
    assert set(outer.by_op) == {"mul", "exp", "sum"}
    with mg.count_ops() as back:
        s.backward()
    assert back.forward == 0 and back.partials == 3
    assert sorted(back.per_node.values()) == [1, 1, 1]


def test_naive_mode_counts_a_partial_per_path():
    """y = Σ h·h with h = x·x: naive mode evaluates a node's partials once per path from the
    output to it, backprop once."""
    x = mg.tensor(np.array([1.5]), requires_grad=True, dtype=np.float64)
    h = x * x
    y = (h * h).sum()
    with mg.count_ops() as bp:
        y.backward(retain_graph=True)
    g_bp = x.grad.copy()
    x.grad = None
    with mg.count_ops() as nv:
        y.backward(mode="naive")
    np.testing.assert_allclose(x.grad, g_bp)
    # An edge u→p is evaluated once per path from the output to u: sum (1 path, 1 edge),
    # h·h (1 path, 2 edges), x·x (2 paths, 2 edges); backprop evaluates each edge once.
    assert sorted(bp.per_node.values()) == [1, 2, 2] and bp.partials == 5
    assert sorted(nv.per_node.values()) == [1, 2, 4] and nv.partials == 7


def test_an_op_run_twice_counts_twice_in_its_row_and_in_the_table():
    x = mg.tensor(np.ones((2, 5)), requires_grad=True, dtype=np.float64)
    with mg.count_ops() as c:
        y = x.tanh().tanh().sum()
        y.backward()
    tanh = c.by_op["tanh"]
    assert (tanh.forward, tanh.forward_flops, tanh.partials, tanh.flops) == (2, 20, 2, 20)
    rows = {ln.split()[0]: ln for ln in c.table().splitlines()}
    assert rows["tanh"].split() == ["tanh", "2", "2", "20"]
    # Names are left-aligned, numbers right-aligned, columns two spaces apart.
    assert rows["tanh"].startswith("tanh ") and rows["total"].startswith("total ")
    header = rows["op"]
    assert header.endswith("flops") and rows["tanh"].endswith(" 20")
    assert header.index("forward") + len("forward") == rows["tanh"].index("2") + 1


class _Noise(mg.Function):
    """A source op of one's own with no tensor inputs: z = the n numbers it was given."""
    name = "noise"

    def forward(self, *, values):
        return np.asarray(values, dtype=np.float64)

    def backward(self, g, i):
        raise AssertionError("a source op has no input to send a gradient to")


@pytest.mark.parametrize("n", [3, 0])
def test_an_op_without_tensor_inputs_is_counted_one_flop_per_output_entry(n):
    # Its input side has no entries (n_in = 0): the cost is the output's n, and an empty
    # output costs nothing.
    with mg.count_ops() as c:
        z = _Noise.apply(values=np.arange(n))
    assert z.shape == (n,) and z.grad_fn is None
    assert (c.forward, c.forward_flops) == (1, n)
    assert (c.by_op["noise"].forward, c.by_op["noise"].forward_flops) == (1, n)
