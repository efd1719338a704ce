"""Optimizers against updates computed by hand."""
from __future__ import annotations

import math

import numpy as np
import pytest

from micrograd import Tensor, nn
from micrograd.optim import SGD, Adam, OptimizerError, clip_grad_norm


def param(values, grad):
    p = Tensor(np.array(values, dtype=float), requires_grad=True)
    p.grad = np.array(grad, dtype=float)
    return p


def test_sgd_step_is_p_minus_lr_g():
    p = param([1.0, -2.0, 3.0], [0.5, 0.5, -1.0])
    SGD([p], lr=0.1).step()
    np.testing.assert_allclose(p.data, [0.95, -2.05, 3.1])


def test_sgd_weight_decay_adds_lambda_p():
    p = param([2.0], [1.0])
    SGD([p], lr=0.1, weight_decay=0.5).step()
    np.testing.assert_allclose(p.data, [2.0 - 0.1 * (1.0 + 0.5 * 2.0)])


def test_sgd_momentum_two_steps_by_hand():
    p = param([1.0], [2.0])
    opt = SGD([p], lr=0.1, momentum=0.9)
    opt.step()                       # v = 2,            p = 1 - 0.2 = 0.8
    np.testing.assert_allclose(p.data, [0.8])
    p.grad = np.array([1.0])
    opt.step()                       # v = 0.9·2 + 1 = 2.8, p = 0.8 - 0.28 = 0.52
    np.testing.assert_allclose(p.data, [0.52])


def test_adam_two_steps_by_hand():
    p = param([1.0, 1.0], [0.5, -2.0])
    opt = Adam([p], lr=0.01, betas=(0.9, 0.99), eps=1e-8)
    opt.step()  # m̂ = g, v̂ = g², so the first step is lr·sign(g) (up to eps)
    np.testing.assert_allclose(p.data, [0.99, 1.01], rtol=1e-7)
    p.grad = np.array([1.0, 1.0])
    opt.step()
    m = 0.9 * 0.1 * np.array([0.5, -2.0]) + 0.1 * 1.0
    v = 0.99 * 0.01 * np.array([0.25, 4.0]) + 0.01 * 1.0
    m_hat, v_hat = m / (1 - 0.9 ** 2), v / (1 - 0.99 ** 2)
    np.testing.assert_allclose(p.data, np.array([0.99, 1.01]) - 0.01 * m_hat / (np.sqrt(v_hat) + 1e-8))


@pytest.mark.parametrize("lr", [0, -0.5, math.nan, math.inf])
@pytest.mark.parametrize("cls", [SGD, Adam])
def test_bad_learning_rate_is_named(cls, lr):
    with pytest.raises(OptimizerError, match=rf"lr .*{lr!r}"):
        cls(nn.Linear(2, 2, seed=0).parameters(), lr=lr)
    with pytest.raises(ValueError):  # also a ValueError, for callers that catch those
        cls(nn.Linear(2, 2, seed=0).parameters(), lr=lr)


def test_other_bad_hyperparameters():
    params = nn.Linear(2, 2, seed=0).parameters()
    with pytest.raises(OptimizerError, match="momentum"):
        SGD(params, lr=0.1, momentum=1.5)
    with pytest.raises(OptimizerError, match=r"betas\[1\]"):
        Adam(params, betas=(0.9, 1.0))
    with pytest.raises(OptimizerError, match="empty"):
        SGD([], lr=0.1)
    with pytest.raises(OptimizerError, match="requires_grad"):
        SGD([Tensor([1.0])], lr=0.1)


def test_zero_grad_and_params_without_grad_are_skipped():
    net = nn.MLP([2, 3, 2], seed=0)
    opt = SGD(net, lr=0.1)  # a Module works too
    before = [p.data.copy() for p in net.parameters()]
    net.layers[0].weight.grad = np.ones((3, 2))
    opt.step()
    after = [p.data for p in net.parameters()]
    assert not np.array_equal(before[0], after[0])
    for b, a in zip(before[1:], after[1:]):
        np.testing.assert_array_equal(b, a)
    opt.zero_grad()
    assert all(p.grad is None for p in net.parameters())


def test_step_updates_in_place_and_records_no_graph():
    p = param([1.0], [1.0])
    array, version = p.data, p._version
    SGD([p], lr=0.5).step()
    # The same storage, changed through the tensor: the version counter saw it.
    assert np.shares_memory(p.data, array) and array[0] == 0.5 and p._version == version + 1
    assert p.is_leaf and p.grad_fn is None


def test_clip_grad_norm_scales_jointly():
    a, b = param([0.0], [3.0]), param([0.0, 0.0], [0.0, 4.0])
    assert clip_grad_norm([a, b], 1.0) == pytest.approx(5.0)
    # PyTorch's factor max_norm / (‖g‖ + 1e-6), which keeps the clipped norm just under max_norm
    np.testing.assert_allclose(np.concatenate([a.grad, b.grad]), np.array([3.0, 0.0, 4.0]) / (5 + 1e-6))
    assert clip_grad_norm([a, b], 10.0) == pytest.approx(1.0)  # under the bound: unchanged
    np.testing.assert_allclose(a.grad, [3.0 / (5 + 1e-6)])
