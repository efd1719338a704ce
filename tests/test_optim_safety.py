"""Bad optimizer settings and parameter lists end in a clear OptimizerError, and an
optimizer's state never aliases the gradients it reads."""
from __future__ import annotations

import math

import numpy as np
import pytest

import micrograd as mg
from micrograd import Tensor, nn
from micrograd.optim import SGD, Adam, OptimizerError, clip_grad_norm


def param(values, grad, name=None):
    p = Tensor(np.array(values, dtype=float), requires_grad=True, name=name)
    p.grad = np.array(grad, dtype=float)
    return p


def test_a_parameter_listed_twice_is_named():
    w, b = param([1.0], [1.0], "w"), param([2.0], [1.0], "b")
    for cls in (SGD, Adam):
        with pytest.raises(OptimizerError, match=r"parameter 2 \(w\) is the same tensor as parameter 0"):
            cls([w, b, w], lr=0.1)
    net = nn.MLP([2, 3, 2], seed=0)
    with pytest.raises(OptimizerError, match=r"layers\.0\.weight\) is the same tensor as parameter 0"):
        SGD(net.parameters() + net.parameters(), lr=0.1)


@pytest.mark.parametrize("weight_decay", [math.nan, -0.1, math.inf, "0.1", True])
def test_bad_weight_decay(weight_decay):
    for cls in (SGD, Adam):
        with pytest.raises(OptimizerError, match=rf"{cls.__name__}: weight_decay must be"):
            cls([param([1.0], [1.0])], lr=0.1, weight_decay=weight_decay)


@pytest.mark.parametrize("momentum", [-0.1, 1.0, 1.5, math.nan, "0.9", None])
def test_bad_momentum(momentum):
    with pytest.raises(OptimizerError, match=r"SGD: momentum must be"):
        SGD([param([1.0], [1.0])], lr=0.1, momentum=momentum)


@pytest.mark.parametrize("lr", [math.nan, math.inf, -math.inf, 0.0, -0.1, "0.1", None])
def test_bad_learning_rate(lr):
    for cls in (SGD, Adam):
        with pytest.raises(OptimizerError, match=r"lr \(the learning rate\) must be"):
            cls([param([1.0], [1.0])], lr=lr)


@pytest.mark.parametrize("betas, pattern", [
    ((0.9,), r"betas must be a pair"), ((0.9, 0.99, 0.999), r"betas must be a pair"),
    (0.9, r"betas must be a pair"), ("ab", r"betas must be a pair"),
    ((0.9, 1.0), r"betas\[1\] must be in \[0, 1\)"), ((-0.1, 0.9), r"betas\[0\] must be in \[0, 1\)"),
    ((math.nan, 0.9), r"betas\[0\] must be in \[0, 1\)"),
])
def test_bad_betas(betas, pattern):
    with pytest.raises(OptimizerError, match=rf"Adam: {pattern}"):
        Adam([param([1.0], [1.0])], betas=betas)


@pytest.mark.parametrize("eps", [0.0, -1e-8, math.nan, math.inf])
def test_bad_eps(eps):
    with pytest.raises(OptimizerError, match=r"Adam: eps must be a finite number > 0"):
        Adam([param([1.0], [1.0])], eps=eps)


def test_an_empty_parameter_list_is_refused_as_in_pytorch():
    for params in ([], iter([])):
        with pytest.raises(OptimizerError, match="optimizer got an empty parameter list"):
            SGD(params, lr=0.1)
    frozen = nn.Linear(2, 2, seed=0)
    for p in frozen.parameters():
        p.requires_grad = False
    with pytest.raises(OptimizerError, match="optimizer got an empty parameter list"):
        Adam(frozen)


def test_a_single_tensor_is_not_a_parameter_list():
    p = param([[1.0, 2.0], [3.0, 4.0]], [[1.0, 1.0], [1.0, 1.0]])
    with pytest.raises(OptimizerError, match=r"single Tensor of shape \(2, 2\); pass \[tensor\]"):
        SGD(p, lr=0.1)
    with pytest.raises(OptimizerError, match="got 3; pass model.parameters"):
        SGD(3, lr=0.1)


def test_the_momentum_buffer_is_a_copy_of_the_gradient():
    p = param([1.0, 2.0], [0.5, -0.5])
    opt = SGD([p], lr=0.1, momentum=0.9)
    opt.step()
    velocity = opt.state[p]["momentum_buffer"]
    assert not np.shares_memory(velocity, p.grad)
    p.grad[...] = 100.0  # someone edits the gradient in place after the step
    np.testing.assert_array_equal(velocity, [0.5, -0.5])


def test_adam_moments_do_not_alias_the_gradient():
    p = param([1.0, 2.0], [0.5, -0.5])
    opt = Adam([p], lr=0.1)
    opt.step()
    state = opt.state[p]
    m, v = state["exp_avg"].copy(), state["exp_avg_sq"].copy()
    p.grad[...] = 100.0
    np.testing.assert_array_equal(state["exp_avg"], m)
    np.testing.assert_array_equal(state["exp_avg_sq"], v)


@pytest.mark.parametrize("cls", [SGD, Adam])
def test_steps_go_through_the_counted_in_place_path(cls):
    p = param([1.0, 2.0], [0.5, -0.5])
    version = p._version
    cls([p], lr=0.1).step()
    assert p._version == version + 1 and p.is_leaf and p.grad_fn is None
    assert mg.is_grad_enabled()


def test_a_gradient_of_the_wrong_shape_is_refused_before_any_update():
    good, bad = param([1.0, 2.0], [1.0, 1.0], "good"), param([1.0, 2.0], [1.0, 1.0], "bad")
    bad.grad = np.array(1.0)  # would broadcast over the parameter
    opt = SGD([good, bad], lr=0.1)
    with pytest.raises(OptimizerError, match=r"bad has shape \(2,\) but its \.grad has shape \(\)"):
        opt.step()
    np.testing.assert_array_equal(good.data, [1.0, 2.0])  # not half a step
    assert opt.steps == 0


def test_clip_grad_norm_takes_a_single_tensor_and_names_bad_items():
    p = param([0.0, 0.0], [3.0, 4.0])
    assert clip_grad_norm(p, 1.0) == pytest.approx(5.0)  # not iterated row by row
    np.testing.assert_allclose(p.grad, np.array([3.0, 4.0]) / (5 + 1e-6))
    with pytest.raises(OptimizerError, match="item 1 is a ndarray, not a Tensor"):
        clip_grad_norm([p, np.zeros(2)], 1.0)
    with pytest.raises(OptimizerError, match="max_norm must be a finite number > 0"):
        clip_grad_norm(p, math.nan)
