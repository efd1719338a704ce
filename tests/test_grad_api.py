"""micrograd.grad and backward(create_graph=True) against torch.autograd.grad: what is
returned, what is left alone, what raises; and third derivatives against closed forms.

The torch comparisons run the same float64 computation in both engines and compare
values to 1e-10; they skip (with a reason) when torch is not installed.
"""
from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra.numpy import array_shapes, arrays

import micrograd as mg
from micrograd import GraphReleasedError, MicrogradError

RTOL = ATOL = 1e-10
finite = st.floats(-2, 2, allow_nan=False, allow_infinity=False)


@pytest.fixture(scope="module")
def torch():
    return pytest.importorskip(
        "torch", reason="PyTorch is not installed; the cross-check against it is skipped")


def both(torch, *arrays):
    """The same float64 arrays as micrograd and as torch leaves that require grad."""
    ours = [mg.tensor(np.array(a, dtype=np.float64), requires_grad=True) for a in arrays]
    theirs = [torch.tensor(np.array(a, dtype=np.float64), requires_grad=True) for a in arrays]
    return ours, theirs


def close(ours, theirs):
    assert len(ours) == len(theirs)
    for a, b in zip(ours, theirs, strict=True):
        if b is None:
            assert a is None
        else:
            assert a is not None and a.shape == tuple(b.shape)
            np.testing.assert_allclose(a.detach().numpy(), b.detach().numpy(), rtol=RTOL, atol=ATOL)


def f(x, w):
    """A function both engines run: tanh(x @ w) * x summed over its last axis."""
    return ((x @ w).tanh() * x).sum(dim=-1)


xs = arrays(np.float64, st.tuples(st.integers(1, 3), st.integers(1, 3)), elements=finite)


# ----------------------------------------------------------------- against torch


@given(x=xs, data=st.data())
def test_non_scalar_grad_outputs_and_several_outputs_match_torch(torch, x, data):
    n, k = x.shape
    w = data.draw(arrays(np.float64, (k, k), elements=finite))
    v1 = data.draw(arrays(np.float64, (n,), elements=finite))
    v2 = data.draw(arrays(np.float64, (n, k), elements=finite))
    (a, b), (ta, tb) = both(torch, x, w)
    outs = [f(a, b), (a * b.sum()).tanh()]
    touts = [f(ta, tb), (ta * tb.sum()).tanh()]
    got = mg.grad(outs, [a, b], grad_outputs=[mg.tensor(v1), v2])  # arrays are fine too
    want = torch.autograd.grad(touts, [ta, tb],
                               grad_outputs=[torch.tensor(v1), torch.tensor(v2)])
    close(got, want)
    assert all(g.grad_fn is None and not g.requires_grad for g in got)


@given(x=xs, data=st.data())
def test_second_derivatives_of_a_random_graph_match_torch(torch, x, data):
    n, k = x.shape
    w = data.draw(arrays(np.float64, (k, k), elements=finite))
    u = data.draw(arrays(np.float64, (n, k), elements=finite))
    (a, b), (ta, tb) = both(torch, x, w)
    ga, gb = mg.grad(f(a, b).sum(), [a, b], create_graph=True)
    tga, tgb = torch.autograd.grad(f(ta, tb).sum(), [ta, tb], create_graph=True)
    close([ga, gb], [tga, tgb])
    assert ga.requires_grad and ga.grad_fn is not None
    second = mg.grad((ga * mg.tensor(u)).sum() + gb.tanh().sum(), [a, b])
    tsecond = torch.autograd.grad((tga * torch.tensor(u)).sum() + tgb.tanh().sum(), [ta, tb])
    close(second, tsecond)


def test_intermediate_inputs_get_their_gradient_as_in_torch(torch):
    rng = np.random.default_rng(0)
    x, w = rng.standard_normal((3, 2)), rng.standard_normal((2, 2))
    (a, b), (ta, tb) = both(torch, x, w)
    h, th = a @ b, ta @ tb
    y, ty = (h.tanh() * h).sum() + a.sum(), (th.tanh() * th).sum() + ta.sum()
    close(mg.grad(y, [h, a], retain_graph=True), torch.autograd.grad(ty, [th, ta],
                                                                     retain_graph=True))
    # Recorded, the intermediate's gradient differentiates again.
    gh, = mg.grad(y, h, create_graph=True)
    tgh, = torch.autograd.grad(ty, th, create_graph=True)
    close(mg.grad(gh.sum(), a), torch.autograd.grad(tgh.sum(), ta))


def test_allow_unused_gives_none_and_an_unused_input_raises_without_it(torch):
    (a, b, c), (ta, tb, tc) = both(torch, [1.0, 2.0], [3.0, 4.0], [5.0, 6.0])
    got = mg.grad((a * b).sum(), [a, c, b], allow_unused=True)
    want = torch.autograd.grad((ta * tb).sum(), [ta, tc, tb], allow_unused=True)
    close(got, want)
    assert got[1] is None
    with pytest.raises(RuntimeError):
        torch.autograd.grad((ta * tb).sum(), [ta, tc])
    with pytest.raises(MicrogradError, match=r"input 1 .*allow_unused=True"):
        mg.grad((a * b).sum(), [a, c])


def test_retain_graph_keeps_the_graph_for_a_second_call(torch):
    (a,), (ta,) = both(torch, [0.3, -0.7])
    y, ty = (a.tanh() * a).sum(), (ta.tanh() * ta).sum()
    first, = mg.grad(y, a, retain_graph=True)
    again, = mg.grad(y, a)
    np.testing.assert_array_equal(first.numpy(), again.numpy())
    close([again], torch.autograd.grad(ty, ta, retain_graph=True))
    # Without retain_graph the first call frees the graph: the second one raises, as
    # PyTorch's does.
    y, ty = (a.tanh() * a).sum(), (ta.tanh() * ta).sum()
    mg.grad(y, a)
    with pytest.raises(GraphReleasedError, match="retain_graph=True"):
        mg.grad(y, a)
    torch.autograd.grad(ty, ta)
    with pytest.raises(RuntimeError):
        torch.autograd.grad(ty, ta)


# ----------------------------------------------------------------- micrograd's own rules


def test_grad_leaves_dot_grad_alone():
    a = mg.tensor([0.5, -1.0], dtype=mg.float64, requires_grad=True)
    b = mg.tensor([2.0, 3.0], dtype=mg.float64, requires_grad=True)
    b.grad = np.array([7.0, 8.0])
    y = (a * b).tanh().sum()
    for create_graph in (False, True):
        mg.grad(y, [a, b], retain_graph=True, create_graph=create_graph)
        assert a.grad is None
        np.testing.assert_array_equal(b.grad, [7.0, 8.0])


def test_differentiating_a_gradient_computed_without_create_graph_says_create_graph():
    x = mg.tensor([0.5, -1.0], dtype=mg.float64, requires_grad=True)
    g, = mg.grad(x.tanh().sum(), x)
    assert not g.requires_grad and g.grad_fn is None
    with pytest.raises(MicrogradError, match="create_graph=True"):
        mg.grad(g.sum(), x)
    x.tanh().sum().backward()
    with pytest.raises(MicrogradError, match="create_graph=True"):
        mg.tensor(x.grad).sum().backward()


def test_backward_create_graph_leaves_a_differentiable_grad():
    x = mg.tensor([0.3, -0.8, 1.1], dtype=mg.float64, requires_grad=True)
    (x.tanh() * x).sum().backward(create_graph=True)
    g = x.grad
    assert isinstance(g, mg.Tensor) and g.grad_fn is not None
    v = x.detach().numpy()
    t = np.tanh(v)
    np.testing.assert_allclose(g.detach().numpy(), t + v * (1 - t * t), rtol=1e-12)
    # d/dx [tanh x + x (1 - tanh² x)] = 2(1 - t²) - 2 x t (1 - t²)
    second, = mg.grad(g.sum(), x)
    np.testing.assert_allclose(second.numpy(), 2 * (1 - t * t) * (1 - v * t), rtol=1e-12)


# ----------------------------------------------------------------- third derivatives


def nth_derivatives(fn, x, n):
    """d^k fn/dx^k (k = 1..n) by nesting micrograd.grad, each recorded for the next."""
    out, ds = fn(x), []
    for _ in range(n):
        out, = mg.grad(out.sum(), x, create_graph=True)
        ds.append(out.detach().numpy())
    return ds


@given(arrays(np.float64, array_shapes(max_dims=2, max_side=4),
              elements=st.floats(-4, 4, allow_nan=False)))
def test_third_derivative_of_tanh_is_the_closed_form(v):
    x = mg.tensor(v, requires_grad=True)
    d1, d2, d3 = nth_derivatives(lambda x: x.tanh(), x, 3)
    t = np.tanh(v)
    np.testing.assert_allclose(d1, 1 - t**2, rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(d2, -2 * t * (1 - t**2), rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(d3, (6 * t**2 - 2) * (1 - t**2), rtol=1e-11, atol=1e-13)


@given(arrays(np.float64, array_shapes(max_dims=2, max_side=4),
              elements=st.floats(-6, 6, allow_nan=False)))
def test_third_derivative_of_sigmoid_is_the_closed_form(v):
    x = mg.tensor(v, requires_grad=True)
    d1, d2, d3 = nth_derivatives(lambda x: x.sigmoid(), x, 3)
    s = 1 / (1 + np.exp(-v))
    np.testing.assert_allclose(d1, s * (1 - s), rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(d2, s * (1 - s) * (1 - 2 * s), rtol=1e-11, atol=1e-14)
    np.testing.assert_allclose(d3, s * (1 - s) * (1 - 6 * s + 6 * s**2), rtol=1e-10,
                               atol=1e-13)


@pytest.mark.filterwarnings("ignore:Using backward\\(\\) with create_graph=True")
def test_grad_of_a_leaf_with_respect_to_itself_is_the_seed_as_in_torch(torch):
    (a,), (ta,) = both(torch, [1.0, -2.0])
    v, tv = np.array([3.0, 4.0]), torch.tensor([3.0, 4.0], dtype=torch.float64)
    for create_graph in (False, True):
        got = mg.grad(a, a, grad_outputs=mg.tensor(v), create_graph=create_graph)
        close(got, torch.autograd.grad(ta, ta, grad_outputs=tv, create_graph=create_graph))
        assert a.grad is None  # grad() returns the gradient, it leaves .grad alone
    a.backward(gradient=v, create_graph=True)  # backward() fills .grad instead
    ta.backward(gradient=tv, create_graph=True)
    close([a.grad], [ta.grad])


def test_grad_names_what_is_wrong_with_its_arguments():
    x = mg.tensor([0.5, -1.0], dtype=mg.float64, requires_grad=True)
    with pytest.raises(MicrogradError, match=r"^grad: inputs must be a tensor or a sequence "
                                             r"of tensors, got float$"):
        mg.grad((x * x).sum(), 3.0)
    with pytest.raises(MicrogradError, match=r"^grad: outputs must be .* got str$"):
        mg.grad("y", x)
    with pytest.raises(MicrogradError, match=r"^grad: input 1 \(\(2,\)\) does not require "
                                             r"grad.*create it with requires_grad=True$"):
        mg.grad((x * x).sum(), [x, mg.tensor([1.0, 2.0])])
    with pytest.raises(MicrogradError, match=r"^grad: the output has shape \(2,\); "
                                             r"gradients can be implicitly created only"):
        mg.grad(x * x, x)  # a non-scalar output with no grad_outputs
    w = mg.tensor([1.0, 2.0], dtype=mg.float64, requires_grad=True)
    w.name = "w"
    with pytest.raises(MicrogradError, match=r"^grad: input 1 \(w, shape \(2,\)\) is not used"):
        mg.grad((x * x).sum(), [x, w])
