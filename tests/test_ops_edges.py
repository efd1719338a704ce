"""Edges of the ops that mutation testing found unchecked (docs/testing.md#mutation-testing):
the default axis of log_softmax on 3-D input, clip with equal bounds, the op named in a
conflicting-spelling error, the axis range message, and BCE's clamped logs on the recorded
(create_graph) road."""
from __future__ import annotations

import numpy as np
import pytest

import micrograd as mg
from micrograd.errors import ArgumentError, ShapeError
from micrograd.nn import functional as F


def test_log_softmax_normalises_the_last_axis_by_default_on_3d_input():
    x = np.random.default_rng(0).normal(size=(2, 3, 4))
    got = mg.log_softmax(mg.tensor(x)).data
    want = x - np.log(np.exp(x).sum(axis=-1, keepdims=True))
    np.testing.assert_allclose(got, want, rtol=1e-12)


def test_clip_with_equal_bounds_pins_every_entry_as_pytorch_allows():
    x = mg.tensor([-2.0, 0.5, 3.0], requires_grad=True)
    y = x.clip(1.0, 1.0)
    np.testing.assert_array_equal(y.data, [1.0, 1.0, 1.0])
    y.sum().backward()
    np.testing.assert_array_equal(x.grad, [0.0, 0.0, 0.0])


@pytest.mark.parametrize("call, op", [
    (lambda x: mg.logsumexp(x, dim=1, axis=1), "logsumexp"),
    (lambda x: mg.stack([x, x], dim=0, axis=0), "stack"),
])
def test_both_spellings_of_one_argument_are_refused_naming_the_op(call, op):
    with pytest.raises(ArgumentError, match=rf"^{op}: got dim= and axis= \(numpy's and "
                                            r"PyTorch's spellings of one argument"):
        call(mg.tensor(np.ones((2, 3))))


@pytest.mark.parametrize("shape, message", [
    ((2, 3), r"^sum: axis 5 is out of range for a tensor of 2 dimensions \(valid axes: -2 to 1\)"),
    ((2,), r"^sum: axis 5 is out of range for a tensor of 1 dimension \(valid axes: -1 to 0\)"),
])
def test_an_axis_out_of_range_names_the_number_of_dimensions(shape, message):
    with pytest.raises(ShapeError, match=message):
        mg.tensor(np.ones(shape)).sum(axis=5)


def test_bce_gradient_is_the_same_recorded_or_not_at_probabilities_0_and_1():
    """BCE clamps its logs at -100, as PyTorch; the recorded partial (create_graph=True),
    built from tensors, must clamp at the same place as the array one."""
    grads = []
    for create_graph in (False, True):
        p = mg.tensor([1.0, 0.0, 0.3], dtype=np.float64, requires_grad=True)
        y = mg.tensor([0.0, 1.0, 1.0], dtype=np.float64, requires_grad=True)  # soft targets learn
        F.binary_cross_entropy(p, y, reduction="sum").backward(create_graph=create_graph)
        grads.append((np.asarray(p.grad), np.asarray(y.grad)))
    for plain, recorded in zip(*grads, strict=True):
        np.testing.assert_array_equal(plain, recorded)
    np.testing.assert_array_equal(grads[0][1][:2], [-100.0, 100.0])  # log(1-p) - log(p), clamped
