"""Losses with soft targets (rows of probabilities that are not one-hot, labels in (0, 1)),
against the formulas in numpy and against PyTorch: values and gradients, every reduction,
with class weights, and on rows of extreme logits."""
from __future__ import annotations

import numpy as np
import pytest

import micrograd as mg
from micrograd.nn import functional as F

REDUCTIONS = ["mean", "sum", "none"]


def _soft_rows(rng, n, c):
    y = rng.uniform(0.05, 1.0, size=(n, c))
    return y / y.sum(axis=1, keepdims=True)


def _log_softmax(z):
    m = z.max(axis=1, keepdims=True)
    return z - m - np.log(np.exp(z - m).sum(axis=1, keepdims=True))


def _reduce(per, reduction):
    return per.mean() if reduction == "mean" else per.sum() if reduction == "sum" else per


def _value_and_grad(fn, x):
    t = mg.tensor(x, requires_grad=True, dtype=np.float64)
    out = fn(t)
    # A fixed, uneven cotangent so that every entry of a "none" result counts differently.
    w = np.linspace(0.5, 1.5, out.data.size).reshape(out.shape)
    (out * mg.tensor(w)).sum().backward()
    return out.data, t.grad, w


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("weighted", [False, True])
def test_cross_entropy_with_soft_targets_is_minus_sum_w_y_log_softmax(reduction, weighted):
    rng = np.random.default_rng(1)
    z = rng.normal(scale=3.0, size=(5, 4))
    y = _soft_rows(rng, 5, 4)
    w = rng.uniform(0.2, 2.0, size=4) if weighted else None
    value, grad, cot = _value_and_grad(
        lambda t: F.cross_entropy(t, y, weight=w, reduction=reduction), z)
    wy = y * (1.0 if w is None else w)
    per = -(wy * _log_softmax(z)).sum(axis=1)
    np.testing.assert_allclose(value, _reduce(per, reduction), rtol=1e-12)
    # ∂l_i/∂z_i = softmax(z_i)·Σ_c w_c y_ic - w ⊙ y_i
    p = np.exp(_log_softmax(z))
    row_grad = p * wy.sum(axis=1, keepdims=True) - wy
    scale = cot / 5 if reduction == "mean" else cot * np.ones(5)
    np.testing.assert_allclose(grad, row_grad * scale.reshape(-1, 1), rtol=1e-10, atol=1e-14)


def test_cross_entropy_soft_targets_on_extreme_rows_stays_finite_and_exact():
    z = np.array([[1000.0, -1000.0, 0.0], [-800.0, -800.0, -801.0], [0.0, 0.0, 700.0]])
    y = np.array([[0.5, 0.25, 0.25], [0.1, 0.1, 0.8], [0.3, 0.3, 0.4]])
    value, grad, _ = _value_and_grad(lambda t: F.cross_entropy(t, y, reduction="none"), z)
    np.testing.assert_allclose(value, -(y * _log_softmax(z)).sum(axis=1), rtol=1e-12)
    assert np.isfinite(grad).all()
    np.testing.assert_allclose(grad.sum(axis=1), np.zeros(3), atol=1e-9)  # rows of y sum to 1


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_binary_cross_entropy_with_soft_labels(reduction):
    rng = np.random.default_rng(2)
    p = rng.uniform(0.05, 0.95, size=(4, 3))
    y = rng.uniform(0.0, 1.0, size=(4, 3))
    w = rng.uniform(0.5, 2.0, size=(4, 3))
    value, grad, cot = _value_and_grad(
        lambda t: F.binary_cross_entropy(t, y, weight=w, reduction=reduction), p)
    per = -w * (y * np.log(p) + (1 - y) * np.log(1 - p))
    np.testing.assert_allclose(value, _reduce(per, reduction), rtol=1e-12)
    dper = -w * (y / p - (1 - y) / (1 - p))
    scale = np.broadcast_to(cot / per.size if reduction == "mean" else cot, per.shape)
    np.testing.assert_allclose(grad, dper * scale, rtol=1e-10)


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_bce_with_logits_soft_labels_and_pos_weight(reduction):
    rng = np.random.default_rng(3)
    x = rng.normal(scale=4.0, size=(4, 3))
    x[0, 0], x[1, 1] = 60.0, -60.0  # far tails: log σ must not round to log 0
    y = rng.uniform(0.0, 1.0, size=(4, 3))
    pw = rng.uniform(0.5, 3.0, size=3)
    value, grad, cot = _value_and_grad(
        lambda t: F.binary_cross_entropy_with_logits(t, y, pos_weight=pw, reduction=reduction), x)
    log_sig = -np.logaddexp(0.0, -x)
    log_one_minus = -np.logaddexp(0.0, x)
    per = -(pw * y * log_sig + (1 - y) * log_one_minus)
    np.testing.assert_allclose(value, _reduce(per, reduction), rtol=1e-12)
    sig = 1 / (1 + np.exp(-x))
    dper = -(pw * y * (1 - sig) - (1 - y) * sig)
    scale = np.broadcast_to(cot / per.size if reduction == "mean" else cot, per.shape)
    np.testing.assert_allclose(grad, dper * scale, rtol=1e-9, atol=1e-15)


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_soft_target_losses_match_pytorch(reduction):
    torch = pytest.importorskip("torch", reason="the PyTorch cross-check needs torch")
    tf = torch.nn.functional
    rng = np.random.default_rng(4)
    z, y = rng.normal(scale=2.0, size=(6, 5)), _soft_rows(rng, 6, 5)
    w = rng.uniform(0.2, 2.0, size=5)
    b, yb = rng.normal(size=(6, 2)), rng.uniform(size=(6, 2))
    pw = rng.uniform(0.5, 2.0, size=2)
    cases = [
        (lambda t: F.cross_entropy(t, y, weight=w, reduction=reduction),
         lambda t: tf.cross_entropy(t, torch.from_numpy(y), weight=torch.from_numpy(w),
                                    reduction=reduction), z),
        (lambda t: F.binary_cross_entropy(t.sigmoid(), yb, reduction=reduction),
         lambda t: tf.binary_cross_entropy(t.sigmoid(), torch.from_numpy(yb),
                                           reduction=reduction), b),
        (lambda t: F.binary_cross_entropy_with_logits(t, yb, pos_weight=pw, reduction=reduction),
         lambda t: tf.binary_cross_entropy_with_logits(t, torch.from_numpy(yb),
                                                       pos_weight=torch.from_numpy(pw),
                                                       reduction=reduction), b),
    ]
    for k, (ours, theirs, x) in enumerate(cases):
        value, grad, cot = _value_and_grad(ours, x)
        tx = torch.tensor(x, requires_grad=True)
        out = theirs(tx)
        (out * torch.from_numpy(cot.reshape(out.shape))).sum().backward()
        np.testing.assert_allclose(value, out.detach().numpy(), rtol=1e-10, err_msg=str(k))
        np.testing.assert_allclose(grad, tx.grad.numpy(), rtol=1e-9, atol=1e-14, err_msg=str(k))
