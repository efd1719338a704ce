"""Derivatives of derivatives at known numbers: closed forms of third derivatives, the special
cases the ops' first derivatives make (pow at 0, ties, kinks, the zero norm, the stable
sigmoid), and Hessians of the fused losses. The op table (test_ops_properties.py) checks
every op's second derivatives on random examples; these pin the cases it cannot draw."""
from __future__ import annotations

import warnings

import numpy as np
import pytest

import micrograd as mg
from micrograd import Tensor, ops
from micrograd.nn import functional as F


def t64(values, requires_grad=True):
    return Tensor(np.asarray(values, dtype=np.float64), requires_grad=requires_grad)


def derivatives(f, x, order):
    """[f'(x), f''(x), …] entrywise for an elementwise f, each by differentiating the last."""
    out, y = [], f(x).sum()
    for k in range(order):
        (y,) = mg.grad(y, x, create_graph=k < order - 1)
        out.append(y.data.copy())
        y = y.sum()
    return out


X = np.linspace(-3.0, 3.0, 13)


def test_third_derivative_of_tanh_is_its_closed_form():
    t = np.tanh(X)
    d1, d2, d3 = derivatives(mg.tanh, t64(X), 3)
    np.testing.assert_allclose(d1, 1 - t**2, rtol=1e-13, atol=1e-15)
    np.testing.assert_allclose(d2, -2 * t * (1 - t**2), rtol=1e-13, atol=1e-15)
    np.testing.assert_allclose(d3, -2 * (1 - t**2) * (1 - 3 * t**2), rtol=1e-12, atol=1e-14)


def test_third_derivative_of_sigmoid_is_its_closed_form():
    s = 1 / (1 + np.exp(-X))
    d1, d2, d3 = derivatives(mg.sigmoid, t64(X), 3)
    np.testing.assert_allclose(d1, s * (1 - s), rtol=1e-13, atol=1e-15)
    np.testing.assert_allclose(d2, s * (1 - s) * (1 - 2 * s), rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(d3, s * (1 - s) * (1 - 6 * s + 6 * s**2), rtol=1e-12, atol=1e-15)


def test_sigmoid_derivatives_keep_their_precision_in_the_tails():
    """From the stable output: at x = -30, σ ≈ e⁻³⁰ and so are σ' and σ'', to full relative
    precision (1 - σ computed as 1/(1 + e⁻ˣ) subtracted would lose them); at ±800 no
    overflow, and the derivatives are 0 or tiny, never nan."""
    x = np.array([-30.0, -800.0, 800.0])
    e = np.exp(-np.abs(x))
    s = np.where(x >= 0, 1 / (1 + e), e / (1 + e))
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # an overflow in exp would raise here
        d1, d2 = derivatives(mg.sigmoid, t64(x), 2)
    np.testing.assert_allclose(d1, s * (1 - s), rtol=1e-13, atol=0)
    np.testing.assert_allclose(d2, s * (1 - s) * (1 - 2 * s), rtol=1e-13, atol=0)
    assert d2[0] > 0 and np.isfinite(d2).all()


# --------------------------------------------------------------------------- pow's special cases


def test_square_at_zero_has_second_derivative_two():
    d1, d2, d3 = derivatives(lambda x: x ** 2, t64([0.0, 1.5]), 3)
    np.testing.assert_array_equal(d1, [0.0, 3.0])
    np.testing.assert_array_equal(d2, [2.0, 2.0])
    np.testing.assert_array_equal(d3, [0.0, 0.0])


def test_pow_at_zero_base_and_zero_exponent_stays_finite():
    """0⁰ = 1: the array form's partials there are 0 (PyTorch's), with no nan; the recorded
    ones are the same numbers, and so finite too, as are their derivatives."""
    x, y = t64([0.0, 0.0, 2.0]), t64([0.0, 2.0, 0.0])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        gx, gy = mg.grad((x ** y).sum(), [x, y], create_graph=True)
        plain = mg.grad((x ** y).sum(), [x, y])
        second = mg.grad((gx + gy).sum(), [x, y])
    np.testing.assert_array_equal(gx.data, plain[0].data)
    np.testing.assert_array_equal(gy.data, plain[1].data)
    np.testing.assert_array_equal(gx.data, [0.0, 0.0, 0.0])  # y·x^(y-1): 0 at 0⁰ and at 0²
    assert all(np.isfinite(s.data).all() for s in second)


def test_mixed_derivative_of_pow_at_zero_exponent_is_one_over_x_both_ways():
    """∂²(x^y)/∂x∂y = x^(y-1)(1 + y ln x) is 1/x at y = 0, whichever order: the Hessian is
    symmetric (PyTorch's mask of y = 0 gives 0 in one order and 1/x in the other)."""
    x, y = t64([2.0, 0.5]), t64([0.0, 0.0])
    gx, gy = mg.grad((x ** y).sum(), [x, y], create_graph=True)
    (dy_of_gx,) = mg.grad(gx.sum(), [y])
    (dx_of_gy,) = mg.grad(gy.sum(), [x])
    np.testing.assert_allclose(dy_of_gx.data, [0.5, 2.0], rtol=1e-15)
    np.testing.assert_allclose(dx_of_gy.data, [0.5, 2.0], rtol=1e-15)


# --------------------------------------------------------------------------- kinks and ties


@pytest.mark.parametrize("f", [
    lambda x: x.relu(), lambda x: abs(x), lambda x: x.clip(-1.0, 1.0),
    lambda x: mg.maximum(x, 0.5), lambda x: x.amax(), lambda x: x.norm(p=1),
])
def test_piecewise_linear_ops_have_zero_second_derivative(f):
    """Their derivatives are masks, constant between the kinks, recorded as constants: the
    first gradient equals backward's, and its derivative is 0 (almost everywhere, as in
    PyTorch), also with respect to x when the upstream gradient is itself a variable."""
    x = t64([-2.0, -0.25, 0.75, 3.0])
    (g,) = mg.grad(f(x).sum(), x, create_graph=True)
    (plain,) = mg.grad(f(x).sum(), x)
    np.testing.assert_array_equal(g.data, plain.data)
    assert not g.requires_grad  # a constant (PyTorch's clamp, maximum, amax give one too)
    out = f(x)
    upstream = t64(np.full(out.shape, 1.5))
    (g,) = mg.grad(out, x, grad_outputs=upstream, create_graph=True)
    w = t64([1.0, -2.0, 3.0, 0.5], requires_grad=False)
    hx, hu = mg.grad((g * w).sum() + (g * g).sum(), [x, upstream], allow_unused=True)
    assert hx is None and hu is not None and hu.data.any()


def test_recorded_max_splits_ties_and_keeps_them_split():
    x = t64([[3.0, 1.0, 3.0], [2.0, 2.0, 2.0]])
    (g,) = mg.grad(x.max(axis=1).sum(), x, create_graph=True)
    np.testing.assert_allclose(g.data, [[0.5, 0.0, 0.5], [1 / 3, 1 / 3, 1 / 3]], rtol=1e-15)
    y = mg.maximum(x, t64([[3.0, 0.0, 5.0], [2.0, 9.0, 0.0]]))
    (gm,) = mg.grad(y.sum(), x, create_graph=True)
    np.testing.assert_array_equal(gm.data, [[0.5, 1.0, 0.0], [0.5, 0.0, 1.0]])


def test_norm_at_zero_has_subgradient_zero_and_no_curvature():
    """‖x‖ at x = 0: PyTorch's subgradient 0, and its derivative 0, without a 0/0 warning."""
    x = t64([[0.0, 0.0], [3.0, 4.0]])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        (g,) = mg.grad(x.norm(dim=1).sum(), x, create_graph=True)
        (h,) = mg.grad((g * t64([[1.0, 2.0], [1.0, 2.0]], False)).sum(), x)
    np.testing.assert_allclose(g.data, [[0.0, 0.0], [0.6, 0.8]], rtol=1e-15)
    # ∂(x/‖x‖)/∂x = (I - u uᵀ)/‖x‖, u = (0.6, 0.8), contracted with w = (1, 2)
    u, w = np.array([0.6, 0.8]), np.array([1.0, 2.0])
    np.testing.assert_allclose(h.data, [[0.0, 0.0], (w - u * (u @ w)) / 5], rtol=1e-14)


# --------------------------------------------------------------------------- fused losses


def hessian(f, x):
    """The full Hessian of a scalar f at x (flattened), one recorded gradient per row."""
    (g,) = mg.grad(f(x), x, create_graph=True)
    n = x.numel()
    rows = []
    for k in range(n):
        e = np.zeros(n)
        e[k] = 1.0
        (h,) = mg.grad((g.reshape(-1) * Tensor(e)).sum(), x, retain_graph=True, allow_unused=True)
        rows.append(np.zeros(n) if h is None else h.data.reshape(-1))
    return np.array(rows)


@pytest.mark.parametrize("reduction", ["mean", "sum"])
def test_cross_entropy_hessian_is_diag_p_minus_ppT(reduction):
    """Per row, ∂²l/∂z² = diag(p) - p pᵀ (p = softmax z), whatever the labels; the mean
    divides it by the number of rows."""
    z = np.array([[0.2, -1.0, 0.5], [1.5, 0.0, -0.3]])
    H = hessian(lambda t: F.cross_entropy(t, np.array([2, 0]), reduction=reduction), t64(z))
    p = np.exp(z) / np.exp(z).sum(axis=1, keepdims=True)
    expected = np.zeros((6, 6))
    for r in range(2):
        expected[3 * r:3 * r + 3, 3 * r:3 * r + 3] = np.diag(p[r]) - np.outer(p[r], p[r])
    np.testing.assert_allclose(H, expected / (2 if reduction == "mean" else 1), rtol=1e-12,
                               atol=1e-15)


def test_binary_cross_entropy_second_derivative_is_pytorchs_formula():
    """∂²l/∂p² = (p² - 2py + y) / (p²(1 - p)²), what PyTorch's double backward computes;
    ∂²l/∂p∂y = -1/(p(1 - p)); ∂²l/∂y² = 0."""
    p, y = np.array([0.1, 0.5, 0.8]), np.array([0.0, 1.0, 0.3])
    pt, yt = t64(p), t64(y)
    gp, gy = mg.grad(ops.BinaryCrossEntropy.apply(pt, yt).sum(), [pt, yt], create_graph=True)
    hpp, hpy = mg.grad(gp.sum(), [pt, yt])
    hyp, hyy = mg.grad(gy.sum(), [pt, yt], allow_unused=True)
    np.testing.assert_allclose(hpp.data, (p**2 - 2 * p * y + y) / (p**2 * (1 - p) ** 2),
                               rtol=1e-13)
    np.testing.assert_allclose(hpy.data, -1 / (p * (1 - p)), rtol=1e-13)
    np.testing.assert_allclose(hyp.data, -1 / (p * (1 - p)), rtol=1e-13)
    assert hyy is None or not hyy.data.any()


def test_repeated_index_gradient_is_recorded_as_a_scatter():
    """x[[0, 2, 0]]: the recorded gradient adds the repeats (a scatter_add op), and its own
    gradient reads them back."""
    x = t64([1.0, 2.0, 3.0])
    g_out = t64([1.0, 10.0, 100.0])
    (g,) = mg.grad((x[[0, 2, 0]] ** 2), x, grad_outputs=g_out, create_graph=True)
    assert type(g.grad_fn) is ops.ScatterAdd
    np.testing.assert_allclose(g.data, [2 * 1 * 101, 0, 2 * 3 * 10])
    hx, hg = mg.grad(g.sum(), [x, g_out])
    np.testing.assert_allclose(hx.data, [2 * 101, 0, 2 * 10])
    np.testing.assert_allclose(hg.data, [2.0, 6.0, 2.0])
