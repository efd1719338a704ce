"""The lab's closed-form gradients (questions 15-17) against the engine's backprop.

Network: h̃ = W_h x + b_h, h = tanh h̃, ỹ = W_y h + b_y, ŷ = softmax ỹ, l = -Σ y log ŷ.
  ∇ỹ = ŷ - y,  ∇W_y = (ŷ - y) hᵀ,  ∇b_y = ŷ - y,
  ∇h̃ = (1 - h²) ⊙ W_yᵀ(ŷ - y),  ∇W_h = ∇h̃ xᵀ,  ∇b_h = ∇h̃.
For a batch with the mean loss, each is the average over the examples.
"""
from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from micrograd import Tensor, no_grad
from micrograd.nn import MLP
from micrograd.nn import functional as F

sizes = st.tuples(st.integers(1, 5), st.integers(1, 6), st.integers(2, 5))


def lab_network(nx: int, nh: int, ny: int, seed: int) -> MLP:
    # float64, as the lab computes: the formulas are checked to 1e-9
    net = MLP([nx, nh, ny], activation="tanh", seed=seed, dtype=np.float64)
    with no_grad():
        for p in net.parameters():  # larger than the default init, so tanh is not near-linear
            p *= 3
    return net


def closed_form(net: MLP, X: np.ndarray, Y: np.ndarray) -> dict[str, np.ndarray]:
    """The lab's formulas, batched: rows of X are examples, rows of Y one-hot targets."""
    Wh, bh = net.layers[0].weight.data, net.layers[0].bias.data
    Wy, by = net.layers[2].weight.data, net.layers[2].bias.data
    h = np.tanh(X @ Wh.T + bh)
    z = h @ Wy.T + by
    y_hat = np.exp(z - z.max(1, keepdims=True))
    y_hat /= y_hat.sum(1, keepdims=True)
    n = len(X)
    d_y = (y_hat - Y) / n                      # ∇ỹ, one row per example (mean loss)
    d_h = (1 - h ** 2) * (d_y @ Wy)            # ∇h̃ = (1 - h²) ⊙ W_yᵀ(ŷ - y)
    return {"ytilde": d_y, "layers.2.weight": d_y.T @ h, "layers.2.bias": d_y.sum(0),
            "layers.0.weight": d_h.T @ X, "layers.0.bias": d_h.sum(0)}


def engine_gradients(net: MLP, X: np.ndarray, labels: np.ndarray, fused: bool) -> dict[str, np.ndarray]:
    net.zero_grad()
    logits = net(Tensor(X))
    logits.retain_grad()
    if fused:
        loss = F.cross_entropy(logits, labels)
    else:  # the textbook composition, op by op
        loss = -(logits.log_softmax(axis=1)[np.arange(len(X)), labels]).mean()
    loss.backward()
    grads = {name: p.grad for name, p in net.named_parameters()}
    grads["ytilde"] = logits.grad
    return grads


@settings(max_examples=40, deadline=None)
@given(sizes=sizes, n=st.integers(1, 7), seed=st.integers(0, 2**31 - 1), fused=st.booleans())
def test_closed_form_gradients_match_backprop(sizes, n, seed, fused):
    nx, nh, ny = sizes
    rng = np.random.default_rng(seed)
    net = lab_network(nx, nh, ny, seed)
    X = rng.normal(size=(n, nx))
    labels = rng.integers(0, ny, size=n)
    expected = closed_form(net, X, np.eye(ny)[labels])
    got = engine_gradients(net, X, labels, fused)
    for name, value in expected.items():
        np.testing.assert_allclose(got[name], value, rtol=1e-9, atol=1e-12, err_msg=name)


@settings(max_examples=25, deadline=None)
@given(sizes=sizes, seed=st.integers(0, 2**31 - 1))
def test_one_sample_matches_the_lab_vector_form(sizes, seed):
    """One example as vectors, exactly as the lab writes it (no batch axis)."""
    nx, nh, ny = sizes
    rng = np.random.default_rng(seed)
    net = lab_network(nx, nh, ny, seed)
    x, label = rng.normal(size=nx), int(rng.integers(ny))
    logits = net(Tensor(x))
    assert logits.shape == (ny,)
    F.cross_entropy(logits, label).backward()
    Wh, bh = net.layers[0].weight.data, net.layers[0].bias.data
    Wy = net.layers[2].weight.data
    h = np.tanh(Wh @ x + bh)
    y = np.eye(ny)[label]
    y_hat = np.exp(logits.data) / np.exp(logits.data).sum()
    grad_h_tilde = (1 - h ** 2) * (Wy.T @ (y_hat - y))
    np.testing.assert_allclose(net.layers[2].weight.grad, np.outer(y_hat - y, h), rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(net.layers[2].bias.grad, y_hat - y, rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(net.layers[0].weight.grad, np.outer(grad_h_tilde, x), rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(net.layers[0].bias.grad, grad_h_tilde, rtol=1e-9, atol=1e-12)


def test_the_lab_typo_one_minus_tanh_is_not_the_derivative():
    """The lab writes 1 - tanh(h̃) in places; only 1 - tanh²(h̃) agrees with backprop."""
    x = Tensor(np.linspace(-2, 2, 9), requires_grad=True)
    x.tanh().sum().backward()
    t = np.tanh(x.data)
    np.testing.assert_allclose(x.grad, 1 - t ** 2)
    assert not np.allclose(x.grad, 1 - t)
