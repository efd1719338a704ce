"""The 2-2-2 walk-through of docs/lab.md: its numbers are regenerated here and must be the
page's, the engine and the lab's hand formulas agree on every value and gradient, and one
entry is checked by finite differences. Then the local-gradient patterns the page states."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

import micrograd as mg
from micrograd.lab import walkthrough
from micrograd.lab.walkthrough import BEGIN, END, NETWORK, by_hand, finite_difference, run

DOC = Path(__file__).resolve().parents[1] / "docs" / "lab.md"


def test_the_numbers_in_the_docs_are_the_ones_the_engine_computes():
    text = DOC.read_text(encoding="utf-8")
    assert text.count(BEGIN) == 1 and text.count(END) == 1
    start = text.index(BEGIN)
    block = text[start:text.index(END) + len(END)]
    assert block == walkthrough.markdown(), (
        "docs/lab.md's walk-through differs from micrograd.lab.walkthrough.markdown(); "
        "paste the function's output between the markers")


def test_the_walkthrough_entry_agrees_with_finite_differences():
    exact = run().grads["W_h"][0, 1]
    assert abs(finite_difference() - exact) < 1e-10
    assert abs(exact) > 0.1  # a gradient worth checking, not one that is 0 by symmetry


weights = arrays(np.float64, (2, 2), elements=st.floats(-2, 2))
vectors = arrays(np.float64, (2,), elements=st.floats(-2, 2))


@settings(max_examples=40, deadline=None)
@given(x=vectors, W_h=weights, b_h=vectors, W_y=weights, b_y=vectors, label=st.integers(0, 1))
def test_the_engine_and_the_lab_formulas_agree_on_every_value_and_gradient(
        x, W_h, b_h, W_y, b_y, label):
    net = {"x": x, "W_h": W_h, "b_h": b_h, "W_y": W_y, "b_y": b_y, "label": label}
    engine, hand = run(net), by_hand(net)
    for name in ("h_pre", "h", "y_pre", "y_hat", "l"):
        np.testing.assert_allclose(engine.values[name], hand[name], rtol=1e-12, atol=1e-12)
    for name in ("y_pre", "b_y", "W_y", "h", "h_pre", "b_h", "W_h"):
        np.testing.assert_allclose(engine.grads[name], hand[f"grad {name}"], rtol=1e-10,
                                   atol=1e-12, err_msg=name)


def test_the_walkthrough_network_is_the_one_the_docs_draw():
    """The page's numbers are of NETWORK: label 1, and the values it lists."""
    w = run()
    assert NETWORK["label"] == 1
    np.testing.assert_allclose(w.values["h_pre"], NETWORK["W_h"] @ NETWORK["x"] + NETWORK["b_h"])
    assert w.grads["y_hat"][0] == 0  # −log ŷ[1] does not depend on ŷ[0]


# --------------------------------------------------------------------------- local gradients

def _grads(f, *values):
    ts = [mg.Tensor(np.asarray(v, dtype=np.float64), requires_grad=True) for v in values]
    out = f(*ts)
    out.backward(mg.Tensor(np.asarray(3.0)))  # an upstream gradient of 3
    return [t.grad for t in ts]


def test_add_distributes_the_upstream_gradient_unchanged():
    assert _grads(lambda a, b: a + b, 1.5, -4.0) == [3.0, 3.0]


def test_max_routes_the_upstream_gradient_to_the_larger_input():
    assert _grads(lambda a, b: mg.maximum(a, b), 1.5, -4.0) == [3.0, 0.0]
    assert _grads(lambda a, b: mg.maximum(a, b), -1.5, 4.0) == [0.0, 3.0]


def test_multiply_swaps_the_inputs():
    assert _grads(lambda a, b: a * b, 1.5, -4.0) == [3.0 * -4.0, 3.0 * 1.5]


@pytest.mark.parametrize("k", [10.0, 100.0])
def test_scaling_an_input_by_k_scales_one_sgd_step_on_the_output_by_k_squared(k):
    """z = w·x with the same z: x scaled by k, w by 1/k. ∂l/∂w = x·∂l/∂z grows by k (multiply
    swaps), and the step it makes on z, x·Δw = −η x² ∂l/∂z, by k²: the learning rate that
    suits inputs of size 1 is k² too large for inputs of size k."""
    def step_on_z(x, w, lr=0.01):
        wt = mg.Tensor(np.asarray(w), requires_grad=True)
        z = wt * mg.Tensor(np.asarray(x))
        loss = (z - 1.0) ** 2
        loss.backward()
        g = float(wt.grad)
        return g, x * (w - lr * g) - x * w

    g1, dz1 = step_on_z(0.5, 0.8)
    gk, dzk = step_on_z(0.5 * k, 0.8 / k)
    assert gk == pytest.approx(k * g1, rel=1e-12)
    assert dzk == pytest.approx(k * k * dz1, rel=1e-9)


def test_the_numbers_quoted_around_the_block_are_the_engines():
    text = " ".join(DOC.read_text(encoding="utf-8").split())  # the page wraps its lines
    w = run()
    y_hat, g_h, g_h_pre, h = (w.values["y_hat"], w.grads["h"], w.grads["h_pre"], w.values["h"])
    assert f"({y_hat[0]:.4f}, {y_hat[1]:.4f}) − (0, 1)" in text
    assert (f"{g_h[0]:.4f} becomes {g_h_pre[0]:.4f} at the first hidden unit, where "
            f"h = {h[0]:.4f}") in text
