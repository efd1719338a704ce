"""What the issue's planted bugs found untested around the backward walk: nested grad-mode
blocks, the dispatch of backward(mode=...), the checks on backward(gradient=), and that the
seed and the first .grad stay the caller's own arrays."""
from __future__ import annotations

import numpy as np
import pytest

import micrograd as mg
from micrograd.errors import BudgetError, DTypeError, MicrogradError, ShapeError


def _x():
    return mg.tensor(np.array([[0.5, -1.0, 2.0], [1.5, 0.25, -0.75]]), requires_grad=True,
                     dtype=np.float64)


def _f(x):
    return (x.tanh() * x).sum(axis=1) * mg.tensor([1.0, -2.0], dtype=np.float64)


def test_nested_grad_mode_blocks_restore_each_outer_mode():
    assert mg.is_grad_enabled()
    with mg.no_grad():
        assert not mg.is_grad_enabled()
        with mg.enable_grad():
            assert mg.is_grad_enabled()
            with mg.no_grad():
                assert not mg.is_grad_enabled()
            assert mg.is_grad_enabled()
            assert (_x() * 2).requires_grad
        assert not mg.is_grad_enabled()
        assert not (_x() * 2).requires_grad
    assert mg.is_grad_enabled()


def test_a_grad_mode_block_left_by_an_exception_restores_the_mode():
    with pytest.raises(ValueError):
        with mg.no_grad():
            with mg.enable_grad():
                raise ValueError("inside")
    assert mg.is_grad_enabled()


def test_one_grad_mode_object_can_be_reentered():
    off = mg.no_grad()
    with off:
        with mg.enable_grad():
            with off:
                assert not mg.is_grad_enabled()
            assert mg.is_grad_enabled()
        assert not mg.is_grad_enabled()
    assert mg.is_grad_enabled()


@pytest.mark.parametrize("mode", ["naive", "forward"])
def test_every_mode_gives_backprops_gradients(mode):
    g = np.array([0.3, -1.2])
    x1, x2 = _x(), _x()
    _f(x1).backward(g)
    _f(x2).backward(g, mode=mode)
    np.testing.assert_allclose(x2.grad, x1.grad, rtol=1e-12)


@pytest.mark.parametrize("mode", ["naive", "forward"])
def test_the_slow_modes_take_their_budget(mode):
    x = _x()
    with pytest.raises(BudgetError, match=r"max_partials"):
        _f(x).backward(np.ones(2), mode=mode, max_partials=2)
    assert x.grad is None  # refused before any gradient was stored


def test_an_unknown_mode_lists_the_modes():
    with pytest.raises(MicrogradError, match=r"unknown mode 'fast'; choose one of \['backprop', "
                                             r"'forward', 'naive'\]"):
        _f(_x()).sum().backward(mode="fast")


@pytest.mark.parametrize("kwargs, named", [(dict(mode="naive"), "mode='naive'"),
                                           (dict(max_partials=10), "with max_partials")])
def test_create_graph_refuses_other_modes_and_options(kwargs, named):
    with pytest.raises(MicrogradError, match=rf"create_graph=True records backprop's walk; "
                                             rf".*{named}"):
        _f(_x()).sum().backward(create_graph=True, **kwargs)


def test_create_graph_keeps_the_graph_unless_told_otherwise():
    x = _x()
    y = (x ** 3).sum()
    y.backward(create_graph=True)
    y.backward(create_graph=True)  # the graph was retained: a second walk works
    np.testing.assert_allclose(np.asarray(x.grad), 2 * 3 * x.data ** 2)


def test_a_gradient_of_the_wrong_shape_names_both_shapes():
    with pytest.raises(ShapeError, match=r"^backward: gradient has shape \(2, 1\) but the "
                                         r"output has shape \(2,\)$"):
        _f(_x()).backward(np.ones((2, 1)))
    with pytest.raises(ShapeError, match=r"gradient has shape \(\) but the output has shape"):
        _f(_x()).backward(1.0)  # no broadcasting of the seed


def test_a_non_scalar_output_needs_a_gradient():
    with pytest.raises(MicrogradError, match=r"^backward: the output has shape \(2,\); "
                                             r"gradients can be implicitly created only for "
                                             r"scalar outputs"):
        _f(_x()).backward()


def test_a_gradient_that_is_not_numbers_is_a_dtype_error():
    with pytest.raises(DTypeError, match=r"^backward: gradient must be numbers of the output's "
                                         r"shape \(2,\)"):
        _f(_x()).backward(["a", "b"])


def test_a_one_element_output_needs_no_gradient_and_keeps_its_shape():
    x = _x()
    (x.sum(axis=(0, 1), keepdims=True) * 3.0).backward()
    np.testing.assert_array_equal(x.grad, np.full((2, 3), 3.0))


def test_backward_of_a_tensor_without_a_graph_says_how_to_get_one():
    with pytest.raises(MicrogradError, match=r"^backward: this tensor does not require grad"):
        mg.tensor([1.0, 2.0]).sum().backward()


@pytest.mark.parametrize("op", [lambda x: x + 0.0, lambda x: x.reshape(2), lambda x: x * 1.0])
def test_the_seed_stays_the_callers_array(op):
    x = mg.tensor(np.array([1.0, 2.0]), requires_grad=True, dtype=np.float64)
    seed = np.array([3.0, 4.0])
    op(x).backward(seed)
    x.grad += 1.0  # the .grad handed out must not be (a view of) the caller's seed
    np.testing.assert_array_equal(seed, [3.0, 4.0])
    op(x).backward(seed)  # nor does the next accumulation write into it
    np.testing.assert_array_equal(seed, [3.0, 4.0])
    np.testing.assert_array_equal(x.grad, [7.0, 9.0])


def test_a_float32_graph_seeded_with_float64_keeps_float32_gradients():
    x = mg.tensor(np.array([1.0, 2.0], dtype=np.float32), requires_grad=True)
    (x * x).backward(np.array([1.0, 1.0], dtype=np.float64))
    assert x.grad.dtype == np.float32
    np.testing.assert_array_equal(x.grad, [2.0, 4.0])


def test_unbroadcast_spreads_a_scalar_partial_over_a_larger_input():
    from micrograd.autograd import unbroadcast
    np.testing.assert_array_equal(unbroadcast(np.array(2.5), (2, 3)), np.full((2, 3), 2.5))
    np.testing.assert_array_equal(unbroadcast(np.array([1.0, 2.0]), (3, 2)),
                                  [[1.0, 2.0]] * 3)
    # A recorded gradient (create_graph=True) stays a recorded tensor: d/ds Σ expand(s) = 6.
    s = mg.tensor(2.5, dtype=np.float64, requires_grad=True)
    out = unbroadcast(s, (2, 3))
    assert isinstance(out, mg.Tensor) and out.shape == (2, 3)
    out.sum().backward()
    np.testing.assert_array_equal(s.grad, 6.0)


def test_a_freed_intermediate_keeps_its_dtype_and_says_how_to_keep_its_values():
    from micrograd import GraphReleasedError
    x = mg.tensor(np.linspace(-1, 1, 400, dtype=np.float32), requires_grad=True)
    loss = (x.tanh() * x).sum()  # x.tanh(): 1,600 bytes, freed by backward()
    loss.backward()
    freed = loss.grad_fn.parents[0]  # the product's stand-in
    assert freed.shape == (400,) and freed.dtype == mg.float32
    with pytest.raises(GraphReleasedError, match=r"^this intermediate's values \(\(400,\) "
                                                 r"float32\) were freed by backward\(\); pass "
                                                 r"retain_graph=True to keep them"):
        freed.numpy()


class _TripleF64Partial(mg.Function):
    """3x, whose partial a user wrote in float64 whatever the input's dtype."""
    name = "triple"

    def forward(self, x):
        return x * x.dtype.type(3)

    def partial(self, i):
        return np.full(self.parents[0].shape, 3.0)

    def partial_t(self, i, out):
        return mg.tensor(np.full(out.shape, 3.0, dtype=np.float64))


@pytest.mark.parametrize("create_graph", [False, True])
def test_a_custom_ops_float64_partial_leaves_a_float32_input_a_float32_grad(create_graph):
    # As PyTorch casts a custom Function's gradient to its input's dtype.
    x = mg.tensor(np.array([1.0, 2.0], dtype=np.float32), requires_grad=True)
    _TripleF64Partial.apply(x).sum().backward(create_graph=create_graph)
    assert x.grad.dtype == np.float32
    np.testing.assert_array_equal(np.asarray(x.grad), [3.0, 3.0])
    g, = mg.grad(_TripleF64Partial.apply(x).sum(), x, create_graph=create_graph)
    assert g.dtype == mg.float32
