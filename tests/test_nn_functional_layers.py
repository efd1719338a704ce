"""The layer functions of micrograd.nn.functional: linear on lists, arrays and Tensors and
its shape errors, leaky_relu's default slope, and dropout's mask, its p = 1 edge and its
argument errors."""
from __future__ import annotations

import numpy as np
import pytest

from micrograd import ArgumentError, Tensor, get_default_dtype
from micrograd.errors import ShapeError
from micrograd.nn import functional as F

X = [[1.0, -2.0, 0.5], [0.0, 3.0, -1.0]]
W = np.array([[0.5, -1.0, 2.0], [1.5, 0.25, -0.5]])
B = np.array([0.1, -0.2])


@pytest.mark.parametrize("x", [X, np.array(X), Tensor(np.array(X))],
                         ids=["list", "array", "tensor"])
def test_linear_takes_lists_arrays_and_tensors(x):
    out = F.linear(x, Tensor(W), Tensor(B))
    np.testing.assert_allclose(out.data, np.array(X) @ W.T + B)
    np.testing.assert_allclose(F.linear(x, Tensor(W)).data, np.array(X) @ W.T)


@pytest.mark.parametrize("x, w, message", [
    (np.ones((2, 5)), np.ones((3, 4)), r"^linear: inputs of shape \(2, 5\) do not fit a weight "
                                       r"of shape \(3, 4\) \(out, in\): the last axis must be 4$"),
    (np.ones((2, 3)), np.ones(3), r"^linear: inputs of shape \(2, 3\) do not fit a weight of "
                                  r"shape \(3,\) \(out, in\)"),
    (np.ones((2, 3)), np.ones((2, 3, 3)), r"^linear: inputs of shape \(2, 3\) do not fit a weight "
                                          r"of shape \(2, 3, 3\) \(out, in\)"),
    (np.float64(1.0), np.ones((2, 1)), r"^linear: inputs of shape \(\) do not fit a weight of "
                                       r"shape \(2, 1\) \(out, in\): the last axis must be 1$"),
], ids=["last-axis", "1d-weight", "3d-weight", "scalar-input"])
def test_linear_refuses_inputs_and_weights_that_do_not_fit(x, w, message):
    with pytest.raises(ShapeError, match=message):
        F.linear(Tensor(x), Tensor(w))


def test_leaky_relu_default_slope_is_pytorchs_0_01():
    x = np.array([-3.0, -0.5, 0.0, 2.0])
    np.testing.assert_allclose(F.leaky_relu(x).data, np.where(x > 0, x, 0.01 * x))


@pytest.mark.parametrize("p, message", [
    ("0.5", r"^dropout: the dropout probability p must be a number in \[0, 1\], got '0\.5'$"),
    (1.5, r"^dropout: dropout probability has to be between 0 and 1, but got 1\.5$"),
])
def test_dropout_probability_errors_name_dropout(p, message):
    with pytest.raises(ArgumentError, match=message):
        F.dropout(np.ones(3), p)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_dropout_of_everything_keeps_the_dtype_and_passes_no_gradient(dtype):
    x = Tensor(np.arange(1, 5, dtype=dtype), requires_grad=True)
    y = F.dropout(x, 1.0)
    assert y.dtype == dtype
    np.testing.assert_array_equal(y.data, 0)
    y.sum().backward()
    np.testing.assert_array_equal(x.grad, 0)
    assert x.grad.dtype == dtype


def test_dropout_keeps_an_entry_whose_draw_is_at_least_p():
    draws = np.random.default_rng(7).random((2, 5))
    p = float(draws[0, 3])  # one draw equals p exactly: P(keep) = P(u >= p) = 1 - p keeps it
    x = np.arange(1.0, 11.0).reshape(2, 5)
    y = F.dropout(x, p, generator=np.random.default_rng(7))
    np.testing.assert_allclose(y.data, x * (draws >= p) / (1 - p))
    assert y.data[0, 3] != 0


@pytest.mark.parametrize("data", [[0.5, -2.0], [1, -2], [True, False]],
                         ids=["floats", "ints", "bools"])
@pytest.mark.parametrize("op", [F.leaky_relu, F.gelu, lambda x: F.dropout(x, 0.0)],
                         ids=["leaky_relu", "gelu", "dropout"])
def test_python_numbers_become_the_default_float(data, op):
    out = op(data)
    assert out.dtype == get_default_dtype()
    expected = op(np.array(data, dtype=np.float64)).data
    np.testing.assert_allclose(out.data, expected, rtol=1e-6)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_numpy_float_inputs_keep_their_dtype(dtype):
    assert F.leaky_relu(np.array([0.5, -2.0], dtype=dtype)).dtype == dtype
    assert F.leaky_relu(dtype(-2.0)).dtype == dtype
