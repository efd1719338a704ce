"""What the issue's planted bugs found untested in nn: the initialisation range of Linear, and
the softmax family (softmax, log_softmax, cross-entropy with labels) on numerically extreme
rows, against numpy's stable formulas."""
from __future__ import annotations

import numpy as np
import pytest

import micrograd as mg
from micrograd import nn
from micrograd.nn import functional as F


@pytest.mark.parametrize("fan_in, fan_out", [(4, 300), (64, 64), (400, 3)])
def test_linear_starts_uniform_in_plus_minus_one_over_sqrt_fan_in(fan_in, fan_out):
    layer = nn.Linear(fan_in, fan_out, seed=0, dtype=np.float64)
    bound = 1 / np.sqrt(fan_in)
    for p in (layer.weight.data, layer.bias.data):
        assert np.abs(p).max() <= bound
    w = layer.weight.data
    assert w.shape == (fan_out, fan_in)
    # U(-b, b) fills its range: the extremes come near ±b, the mean near 0, the std b/√3.
    assert w.max() > 0.95 * bound and w.min() < -0.95 * bound
    assert abs(w.mean()) < 0.1 * bound
    assert w.std() == pytest.approx(bound / np.sqrt(3), rel=0.1)
    assert layer.bias.data.max() > 0 > layer.bias.data.min()


def test_reset_parameters_draws_again_in_the_same_range():
    layer = nn.Linear(16, 32, seed=1, dtype=np.float64)
    before = layer.weight.data.copy(), layer.bias.data.copy()
    layer.reset_parameters(np.random.default_rng(5))
    bound = 1 / np.sqrt(16)
    for old, p in zip(before, (layer.weight, layer.bias), strict=True):
        assert not np.array_equal(old, p.data)
        assert np.abs(p.data).max() <= bound and np.abs(p.data).max() > 0.8 * bound


def test_a_seed_gives_the_same_layer_and_another_seed_another():
    a, b, c = (nn.Linear(5, 7, seed=s, dtype=np.float64) for s in (3, 3, 4))
    np.testing.assert_array_equal(a.weight.data, b.weight.data)
    np.testing.assert_array_equal(a.bias.data, b.bias.data)
    assert not np.array_equal(a.weight.data, c.weight.data)


EXTREME = np.array([[1000.0, 0.0, -1000.0],
                    [-1000.0, -1000.0, -1000.0],
                    [700.0, 710.0, 705.0],
                    [-1e-300, 0.0, 1e-300],
                    [3.0, 3.0, -np.inf]])


def _log_softmax(z, axis):
    m = np.max(z, axis=axis, keepdims=True)
    return z - m - np.log(np.sum(np.exp(z - m), axis=axis, keepdims=True))


@pytest.mark.parametrize("axis", [1, 0, -1])
def test_log_softmax_and_softmax_on_extreme_rows(axis):
    z = EXTREME if axis != 0 else EXTREME[:4].T.copy()
    want = _log_softmax(z, axis)
    x = mg.tensor(z, requires_grad=True, dtype=np.float64)
    got = F.log_softmax(x, axis)
    np.testing.assert_allclose(got.data, want, rtol=1e-12)
    np.testing.assert_allclose(F.softmax(mg.tensor(z, dtype=np.float64), axis).data,
                               np.exp(want), rtol=1e-12, atol=1e-300)
    # ∂/∂z of Σ_j c_j log p_j = c - p Σ c: finite even where p rounds to 0.
    c = np.arange(1.0, z.size + 1).reshape(z.shape)
    (got * mg.tensor(c)).sum().backward()
    want_grad = c - np.exp(want) * c.sum(axis=axis, keepdims=True)
    assert np.isfinite(x.grad).all()
    np.testing.assert_allclose(x.grad, want_grad, rtol=1e-10, atol=1e-10)


def test_cross_entropy_with_labels_on_extreme_rows():
    z = EXTREME[:4]
    labels = np.array([2, 0, 1, 1])
    x = mg.tensor(z, requires_grad=True, dtype=np.float64)
    loss = F.cross_entropy(x, labels, reduction="none")
    per = -_log_softmax(z, 1)[np.arange(4), labels]
    np.testing.assert_allclose(loss.data, per, rtol=1e-12)
    assert per[0] == pytest.approx(2000.0)  # far from the max: large but exact, not inf
    loss.sum().backward()
    onehot = np.eye(3)[labels]
    np.testing.assert_allclose(x.grad, np.exp(_log_softmax(z, 1)) - onehot, atol=1e-12)


def test_cross_entropy_mean_and_sum_of_labels_against_pytorch():
    torch = pytest.importorskip("torch", reason="the PyTorch cross-check needs torch")
    z = np.vstack([EXTREME[:4], np.random.default_rng(0).normal(size=(3, 3))])
    labels = np.array([2, 0, 1, 1, 0, 2, 1])
    w = np.array([0.5, 2.0, 1.0])
    for reduction in ("mean", "sum"):
        for weight in (None, w):
            ours = F.cross_entropy(mg.tensor(z, dtype=np.float64), labels, weight=weight,
                                   reduction=reduction)
            theirs = torch.nn.functional.cross_entropy(
                torch.from_numpy(z), torch.from_numpy(labels),
                weight=None if weight is None else torch.from_numpy(weight), reduction=reduction)
            assert float(ours.data) == pytest.approx(float(theirs), rel=1e-12), (reduction, weight)
