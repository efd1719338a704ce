"""No silent wrong answers from ops.py: each op gives the right value and gradient, or
raises a MicrogradError that names the op and what is wrong with the input.

One section per finding of the op-safety review; every expected value follows
PyTorch's convention where it has one (the optional cross-checks at the end compare
with torch itself when it is installed).
"""
from __future__ import annotations

import warnings

import numpy as np
import pytest

import micrograd as mg
from micrograd import MicrogradError, ShapeError, Tensor, ops
from micrograd.ops import DTypeError

NAN, INF = np.nan, np.inf


def leaf(values, dtype=np.float64) -> Tensor:
    return Tensor(np.array(values, dtype=dtype), requires_grad=True)


def grads_of(build, *arrays, gradient=None):
    """The gradients of build(*leaves) with respect to each leaf, for the given upstream."""
    leaves = [leaf(a) for a in arrays]
    out = build(*leaves)
    out.backward(gradient=gradient)
    return [t.grad for t in leaves]


# --------------------------------------------------------------------------- 1. max/min on ints


@pytest.mark.parametrize("dtype", [np.int64, np.int32, np.uint8, np.bool_])
@pytest.mark.parametrize("op", ["max", "min"])
def test_max_min_on_integer_and_bool_tensors(op, dtype):
    """torch.max/min work on integer and bool tensors (forward only: they cannot require
    grad); numpy's in-place division of the tie weights used to crash on them."""
    a = np.array([[3, 1, 3], [0, 2, 1]]).astype(dtype)
    t = Tensor(a)
    ref = getattr(np, op)
    for axis in (None, 0, 1, (0, 1), -1):
        for keepdims in (False, True):
            out = getattr(t, op)(axis=axis, keepdims=keepdims)
            expected = ref(a, axis=axis, keepdims=keepdims)
            assert out.dtype == a.dtype, f"{op}: an {dtype.__name__} input gave {out.dtype}"
            np.testing.assert_array_equal(out.data, expected)
            assert not out.requires_grad and out.grad_fn is None


@pytest.mark.parametrize("dtype", [np.int64, np.bool_])
def test_maximum_minimum_on_integer_and_bool_tensors(dtype):
    a, b = np.array([1, 0, 3]).astype(dtype), np.array([2, 0, 1]).astype(dtype)
    np.testing.assert_array_equal(mg.maximum(Tensor(a), Tensor(b)).data, np.maximum(a, b))
    np.testing.assert_array_equal(mg.minimum(Tensor(a), Tensor(b)).data, np.minimum(a, b))


# --------------------------------------------------------------------------- 2. casts


@pytest.mark.parametrize("dtype", [int, np.int32, np.uint8, bool])
def test_cast_to_integer_or_bool_leaves_the_graph(dtype):
    """Like PyTorch's x.long(): the result does not require grad, and a product with it
    differentiates as a product with a constant (no gradient through the rounding)."""
    x = leaf([1.4, 2.6, 0.0])
    y = x.astype(dtype)
    assert y.dtype == np.dtype(dtype)
    np.testing.assert_array_equal(y.data, np.array([1.4, 2.6, 0.0]).astype(dtype))
    assert not y.requires_grad and y.grad_fn is None, f"astype({dtype}) stayed in the graph"
    (x * y.astype(float)).sum().backward()
    np.testing.assert_array_equal(x.grad, y.data.astype(float))  # d(x·c)/dx = c, and only c


def test_cast_to_integer_of_a_non_leaf_leaves_the_graph():
    x = leaf([0.3, 1.7])
    y = (x * 2).astype(np.int64)
    assert not y.requires_grad and y.grad_fn is None
    with pytest.raises(MicrogradError):  # nothing to differentiate
        y.sum().backward()


@pytest.mark.parametrize("dtype", [str, object, "datetime64[s]", "S3"])
def test_cast_to_a_non_number_dtype_is_refused(dtype):
    x = leaf([1.5, 2.5])
    with pytest.raises(DTypeError) as err:
        x.astype(dtype)
    assert isinstance(err.value, TypeError) and isinstance(err.value, MicrogradError)
    msg = str(err.value)
    assert "cast" in msg and str(np.dtype(dtype)) in msg and "float" in msg


def test_cast_to_complex_is_refused_while_recording():
    """Complex values in the graph would get unconjugated (wrong) gradients."""
    x = leaf([1.5, 2.5])
    with pytest.raises(DTypeError, match=r"cast: .*complex128.*detach"):
        x.astype(np.complex128)
    # outside the graph it is an ordinary cast
    np.testing.assert_array_equal(x.detach().astype(np.complex128).data, [1.5 + 0j, 2.5 + 0j])
    with mg.no_grad():
        assert x.astype(np.complex64).dtype == np.complex64


def test_float_cast_still_differentiates_and_its_jvp_has_the_output_dtype():
    x = leaf([1.5, 2.5])
    y = x.astype(np.float32)
    assert y.requires_grad and type(y.grad_fn) is ops.Cast
    assert y.grad_fn.jvp(np.ones(2), 0).dtype == np.float32
    y.backward(gradient=np.ones(2, dtype=np.float32))
    assert x.grad.dtype == np.float64
    np.testing.assert_array_equal(x.grad, [1.0, 1.0])


# --------------------------------------------------------------------------- 3. pow at zero


def test_pow_zero_exponent_has_zero_base_gradient_at_zero():
    """d(x⁰)/dx = 0 everywhere, x = 0 included (PyTorch: 0; the formula 0·0⁻¹ gave nan)."""
    (gx,) = grads_of(lambda x: (x ** 0).sum(), [0.0, 1.0, -2.0])
    np.testing.assert_array_equal(gx, [0.0, 0.0, 0.0])
    # a zero exponent given as a tensor (which may have other entries) as well
    gx, gy = grads_of(lambda x, y: (x ** y).sum(), [0.0, 0.0, 2.0], [0.0, 2.0, 0.0])
    np.testing.assert_array_equal(gx, [0.0, 0.0, 0.0])
    np.testing.assert_allclose(gy, [0.0, 0.0, np.log(2.0)], rtol=1e-15)


def test_pow_zero_base_exponent_gradient():
    """d(0^y)/dy = 0 where 0^y is 0 or 1 (y ≥ 0), -inf for y < 0, as in PyTorch; the
    base gradient is y·0^(y-1): 0, inf, 1, 0, -inf for y = 0, ½, 1, 2, -1."""
    y = [0.0, 0.5, 1.0, 2.0, -1.0]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # 0^-1 = inf in the forward
        gx, gy = grads_of(lambda x, y: (x ** y).sum(), [0.0] * 5, y)
    np.testing.assert_array_equal(gy, [0.0, 0.0, 0.0, 0.0, -INF])
    np.testing.assert_array_equal(gx, [0.0, INF, 1.0, 0.0, -INF])
    # a constant base 0 (0 ** tensor) too
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        (g,) = grads_of(lambda y: (0.0 ** y).sum(), [2.0, 0.0, 3.5])
    np.testing.assert_array_equal(g, [0.0, 0.0, 0.0])


def test_pow_jvp_agrees_with_vjp_at_zero():
    x, y = leaf([0.0, 0.0, 2.0, 0.0]), leaf([0.0, 2.0, 0.0, 0.5])
    z = x ** y
    fn = z.grad_fn
    ones = np.ones(4)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # ½·0^(-½) = inf, rightly
        for i in (0, 1):
            jv, vj = np.broadcast_to(fn.jvp(ones, i), (4,)), fn.backward(ones, i)
            np.testing.assert_array_equal(jv, vj)
        np.testing.assert_array_equal(fn.backward(ones, 0), [0.0, 0.0, 0.0, INF])
    np.testing.assert_array_equal(fn.backward(ones, 1), [0.0, 0.0, np.log(2.0), 0.0])
    # and forward-mode differentiation through the engine gives the same gradients
    # (where all partials are finite: a unit tangent times an infinite partial is nan)
    x, y = leaf([0.0, 0.0, 2.0, 0.0]), leaf([0.0, 2.0, 0.0, 1.0])
    (x ** y).sum().backward(mode="forward")
    gx, gy = x.grad, y.grad
    x.grad = y.grad = None
    (x ** y).sum().backward()
    np.testing.assert_array_equal(gx, x.grad)
    np.testing.assert_array_equal(gy, y.grad)
    np.testing.assert_array_equal(gx, [0.0, 0.0, 0.0, 1.0])
    np.testing.assert_array_equal(gy, [0.0, 0.0, np.log(2.0), 0.0])


# --------------------------------------------------------------------------- 4. max/min and nan


@pytest.mark.parametrize("op", ["max", "min"])
def test_max_min_of_a_slice_with_nan_is_nan_and_the_nans_get_the_gradient(op):
    """nan propagates as the max (min) and the gradient goes to the nan entries, shared
    equally as ties are (PyTorch's max() does the same); other slices are untouched."""
    a = [[1.0, NAN, NAN], [2.0, 3.0, 1.0], [NAN, NAN, NAN], [-INF, -INF, 0.0]]
    x = leaf(a)
    out = getattr(x, op)(axis=1)
    expected = [NAN, 3.0, NAN, 0.0] if op == "max" else [NAN, 1.0, NAN, -INF]
    np.testing.assert_array_equal(out.data, expected)
    out.backward(gradient=np.array([6.0, 6.0, 6.0, 6.0]))
    tail = [0.0, 0.0, 6.0] if op == "max" else [3.0, 3.0, 0.0]
    middle = [0.0, 6.0, 0.0] if op == "max" else [0.0, 0.0, 6.0]
    np.testing.assert_allclose(x.grad, [[0.0, 3.0, 3.0], middle, [2.0, 2.0, 2.0], tail],
                               rtol=1e-15)
    assert np.isfinite(x.grad).all()


def test_max_over_everything_with_nan():
    x = leaf([1.0, NAN, 3.0, NAN])
    m = x.max()
    assert np.isnan(m.item())
    m.backward()
    np.testing.assert_array_equal(x.grad, [0.0, 0.5, 0.0, 0.5])


# --------------------------------------------------------------------------- 5. softmax on ints


@pytest.mark.parametrize("dtype", [np.uint8, np.int32, np.int64, np.bool_])
@pytest.mark.parametrize("op", ["softmax", "log_softmax"])
def test_softmax_refuses_integer_and_bool_tensors(op, dtype):
    """PyTorch refuses them ("softmax_lastdim_kernel_impl" not implemented for 'Long');
    x - max(x) wrapped around for unsigned ints."""
    t = Tensor(np.array([1, 2, 250]).astype(dtype))
    with pytest.raises(DTypeError) as err:
        getattr(t, op)()
    msg = str(err.value)
    assert msg.startswith(op + ":") and str(np.dtype(dtype)) in msg and "astype(float)" in msg
    with pytest.raises(DTypeError):
        getattr(mg, op)(t)


# rtol for results computed in each default float
_RTOL = {"float32": 1e-6, "float64": 1e-14}


@pytest.mark.parametrize("default", ["float32", "float64"])
@pytest.mark.parametrize("dtype", [np.uint8, np.int8, np.int64, np.bool_])
def test_logsumexp_of_integers_is_computed_in_the_default_float(dtype, default):
    """PyTorch promotes integer input of logsumexp to its default float; so does
    micrograd, so the shift by the max cannot wrap around."""
    mg.set_default_dtype(getattr(mg, default))  # conftest puts the default back
    a = np.array([[1, 2, 120], [0, 1, 1]]).astype(dtype)
    f = a.astype(np.float64)
    for axis in (None, 1):
        out = Tensor(a).logsumexp(axis=axis)
        assert out.dtype == default
        np.testing.assert_allclose(out.data, np.log(np.exp(f).sum(axis=axis)),
                                   rtol=_RTOL[default])


@pytest.mark.parametrize("default", ["float32", "float64"])
@pytest.mark.parametrize("op", ["exp", "log", "sqrt", "tanh", "sigmoid"])
def test_float_functions_of_small_integers_are_computed_in_the_default_float(op, default):
    """numpy computes these in float16 for 8-bit ints (exp(12) overflows there) and
    sigmoid's -|x| wrapped around for unsigned ints (sigmoid(5) came out nan)."""
    mg.set_default_dtype(getattr(mg, default))  # conftest puts the default back
    a = np.array([0, 5, 12, 200], dtype=np.uint8)
    f = a.astype(default)  # exp(200) overflows to inf in float32, in PyTorch too
    ref = {"exp": np.exp, "log": np.log, "sqrt": np.sqrt, "tanh": np.tanh,
           "sigmoid": lambda v: 1 / (1 + np.exp(-v))}[op]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # log(0) = -inf, exp(200) = inf
        out = getattr(Tensor(a), op)()
        expected = ref(f)
    assert out.dtype == default
    np.testing.assert_allclose(out.data, expected, rtol=_RTOL[default])


# --------------------------------------------------------------------------- 6. axes of 0-d tensors


@pytest.mark.parametrize("axis", [0, -1, (0,), (-1,)])
@pytest.mark.parametrize("keepdims", [False, True])
@pytest.mark.parametrize("op", ["sum", "mean", "max", "min", "logsumexp"])
def test_reductions_of_a_0d_tensor_accept_axis_0_and_minus_1(op, axis, keepdims):
    """PyTorch takes dim=0 and dim=-1 on a 0-d tensor and returns the value itself."""
    x = leaf(2.5)
    out = getattr(x, op)(axis=axis, keepdims=keepdims)
    assert out.shape == ()
    assert out.item() == 2.5
    out.backward()
    assert x.grad == 1.0


@pytest.mark.parametrize("axis", [0, -1])
def test_softmax_of_a_0d_tensor(axis):
    x = leaf(2.5)
    s = x.softmax(axis=axis)
    assert s.shape == () and s.item() == 1.0
    s.backward()
    assert x.grad == 0.0
    x.grad = None
    ls = x.log_softmax(axis=axis)
    assert ls.item() == 0.0
    ls.backward()
    assert x.grad == 0.0


@pytest.mark.parametrize("op", ["sum", "mean", "max", "min", "logsumexp", "softmax",
                                "log_softmax"])
@pytest.mark.parametrize("shape,axis", [((), 1), ((), -2), ((), (0, 1)), ((2, 3), 2),
                                        ((2, 3), -3), ((2, 3), (0, 5))])
def test_an_out_of_range_axis_is_a_shape_error(op, shape, axis):
    x = Tensor(np.ones(shape))
    with pytest.raises(ShapeError) as err:
        getattr(x, op)(axis=axis)
    msg = str(err.value)
    bad = [a for a in (axis if isinstance(axis, tuple) else (axis,))
           if not -max(len(shape), 1) <= a < max(len(shape), 1)][0]
    assert msg.startswith(op + ":") and f"axis {bad}" in msg
    assert f"{len(shape)} dimension" in msg


@pytest.mark.parametrize("shape,axis", [((), (0, -1)), ((2, 3), (1, -1))])
def test_a_repeated_axis_is_a_shape_error(shape, axis):
    with pytest.raises(ShapeError, match=r"sum: axis .* names the same axis twice"):
        Tensor(np.ones(shape)).sum(axis=axis)


@pytest.mark.parametrize("axis", [1.0, "0", True, (0, 0.5)])
def test_a_non_integer_axis_is_a_type_error(axis):
    with pytest.raises(DTypeError, match=r"mean: axis must be an int or a tuple of ints"):
        Tensor(np.ones((2, 3))).mean(axis=axis)


# --------------------------------------------------------------------------- 7. own copies


INDEXES = {
    "int array": lambda: np.array([0, 2, 2]),
    "bool mask": lambda: np.array([True, False, True, False]),
    "tuple with array": lambda: (np.array([1, 3]),),
    "slice then array": lambda: (slice(None), np.array([0, 0, 1])),
}


# Tensor.__getitem__/__setitem__ copy the index too; the op must not rely on its caller.
VIA = ["tensor", "op"]


@pytest.mark.parametrize("via", VIA)
@pytest.mark.parametrize("kind", INDEXES)
def test_getitem_keeps_its_own_copy_of_the_index(kind, via):
    """Changing the caller's index array after x[idx] must not move the gradient."""
    a = np.arange(8.0).reshape(4, 2) if kind == "slice then array" else np.arange(4.0)

    def run(mutate: bool) -> np.ndarray:
        index = INDEXES[kind]()
        x = leaf(a)
        y = x[index] if via == "tensor" else ops.GetItem.apply(x, index=index)
        G = np.arange(1.0, y.numel() + 1).reshape(y.shape)
        if mutate:
            for part in index if isinstance(index, tuple) else (index,):
                if isinstance(part, np.ndarray):
                    part[...] = part[::-1].copy() if part.dtype == bool else 1
        y.backward(gradient=G)
        return x.grad

    np.testing.assert_array_equal(run(mutate=True), run(mutate=False))


@pytest.mark.parametrize("via", ["where", "where of a Tensor", "op"])
def test_where_keeps_its_own_copy_of_the_condition(via):
    def run(mutate: bool):
        cond = np.array([True, False, True])
        a, b = leaf([1.0, 2.0, 3.0]), leaf([4.0, 5.0, 6.0])
        if via == "op":
            out = ops.Where.apply(a, b, cond=cond)
        else:
            out = mg.where(Tensor(cond) if via == "where of a Tensor" else cond, a, b)
        if mutate:
            cond[:] = [False, True, False]
        out.backward(gradient=np.array([1.0, 10.0, 100.0]))
        return a.grad, b.grad

    (ga, gb), (ra, rb) = run(mutate=True), run(mutate=False)
    np.testing.assert_array_equal(ga, ra)
    np.testing.assert_array_equal(gb, rb)
    np.testing.assert_array_equal(ga, [1.0, 0.0, 100.0])


@pytest.mark.parametrize("via", VIA)
def test_setitem_keeps_its_own_copy_of_the_index(via):
    def run(mutate: bool):
        mask = np.array([True, False, True, False])
        x, v = leaf([1.0, 2.0, 3.0, 4.0]), leaf([9.0, 8.0])
        if via == "tensor":
            y = x * 1  # recorded in-place writes need a non-leaf
            y[mask] = v
        else:
            y = ops.SetItem.apply(x, v, index=mask)
        if mutate:
            mask[:] = [False, True, False, True]
        y.backward(gradient=np.array([1.0, 10.0, 100.0, 1000.0]))
        return x.grad, v.grad

    (gx, gv), (rx, rv) = run(mutate=True), run(mutate=False)
    np.testing.assert_array_equal(gx, rx)
    np.testing.assert_array_equal(gv, rv)
    np.testing.assert_array_equal(gv, [1.0, 100.0])


# --------------------------------------------------------------------------- 8. complex data


COMPLEX = np.array([1 + 1j, 2 + 0j, -1 - 2j])


@pytest.mark.parametrize("op", ["max", "min", "maximum", "minimum", "relu", "clip"])
def test_ordering_ops_refuse_complex_tensors(op):
    """Complex numbers have no order: numpy's lexicographic one gave a 'max' silently;
    PyTorch refuses all of these."""
    z = Tensor(COMPLEX)
    call = {"max": lambda: z.max(), "min": lambda: z.min(axis=0),
            "maximum": lambda: mg.maximum(z, 0.0), "minimum": lambda: mg.minimum(1.0, z),
            "relu": lambda: z.relu(), "clip": lambda: z.clip(0.0, 1.0)}[op]
    with pytest.raises(DTypeError) as err:
        call()
    msg = str(err.value)
    assert msg.startswith(op + ":") and "complex128" in msg and "no order" in msg


@pytest.mark.parametrize("op", ["softmax", "log_softmax"])
def test_softmax_refuses_complex_tensors(op):
    with pytest.raises(DTypeError, match=rf"^{op}: not defined for complex tensors .*complex128"):
        getattr(Tensor(COMPLEX), op)()


def test_complex_sigmoid_and_logsumexp_values():
    """sigmoid made complex input real (|x| and x ≥ 0); logsumexp shifted by a complex
    max and left the principal branch of the log (PyTorch: 0.6931-2.2832j for [4j, 4j])."""
    np.testing.assert_allclose(Tensor(COMPLEX).sigmoid().data, 1 / (1 + np.exp(-COMPLEX)),
                               rtol=1e-14)
    for z in (np.array([4j, 4j]), np.array([1 + 4j, 5 + 4j, 2 - 1j]), COMPLEX):
        out = Tensor(z).logsumexp()
        np.testing.assert_allclose(out.data, np.log(np.exp(z).sum()), rtol=1e-14)
    np.testing.assert_allclose(Tensor(np.array([4j, 4j])).logsumexp().data,
                               np.log(2) + (4 - 2 * np.pi) * 1j, rtol=1e-14)


@pytest.mark.parametrize("op", ["exp", "log", "sqrt", "tanh", "abs", "sum", "mean", "neg",
                                "getitem", "where", "matmul", "reshape"])
def test_other_ops_compute_complex_values(op):
    z = COMPLEX
    ref = {"exp": np.exp, "log": np.log, "sqrt": np.sqrt, "tanh": np.tanh, "abs": np.abs,
           "sum": np.sum, "mean": np.mean, "neg": np.negative, "getitem": lambda v: v[[2, 0]],
           "where": lambda v: np.where([True, False, True], v, 0),
           "matmul": lambda v: v @ v, "reshape": lambda v: v.reshape(3, 1)}[op]
    call = {"exp": Tensor.exp, "log": Tensor.log, "sqrt": Tensor.sqrt, "tanh": Tensor.tanh,
            "abs": abs, "sum": Tensor.sum, "mean": Tensor.mean, "neg": lambda t: -t,
            "getitem": lambda t: t[[2, 0]],
            "where": lambda t: mg.where(np.array([True, False, True]), t, 0),
            "matmul": lambda t: t @ t, "reshape": lambda t: t.reshape(3, 1)}[op]
    np.testing.assert_allclose(call(Tensor(z)).data, ref(z), rtol=1e-14)


# --------------------------------------------------------------------------- clip bounds


def test_clip_takes_array_and_tensor_bounds():
    a = np.array([1.0, 5.0, 2.0, -3.0])
    lo, hi = np.array([2.0, 2.0, 0.0, -1.0]), np.array([3.0, 4.0, 1.0, 0.0])
    for bounds in ((lo, hi), (Tensor(lo), Tensor(hi))):
        x = leaf(a)
        y = mg.clip(x, *bounds)
        np.testing.assert_array_equal(y.data, np.clip(a, lo, hi))
        y.sum().backward()
        np.testing.assert_array_equal(x.grad, [0.0, 0.0, 0.0, 0.0])
    x = leaf([2.5, 5.0])
    x.clip(Tensor([2.0, 2.0]), Tensor([3.0, 3.0])).sum().backward()
    np.testing.assert_array_equal(x.grad, [1.0, 0.0])


def test_clip_refuses_a_bound_that_requires_grad_and_crossed_array_bounds():
    x = leaf([1.0, 5.0])
    with pytest.raises(MicrogradError, match=r"clip: the min bound requires grad.*detach"):
        mg.clip(x, leaf([0.0, 0.0]))
    with pytest.raises(MicrogradError, match=r"clip: the max bound requires grad"):
        x.clip(None, leaf([0.0, 0.0]))
    with pytest.raises(mg.ArgumentError, match=r"clip: min .* is greater than max"):
        mg.clip(x, np.array([0.0, 3.0]), np.array([1.0, 2.0]))
    y = mg.tensor([1.0, 2.0, 3.0])
    with pytest.raises(mg.ArgumentError, match=r"clip: min 2 is greater than max 1"):
        y.clamp_(2, 1)  # the in-place form checks its bounds too (it used to clip silently)
    assert y.tolist() == [1.0, 2.0, 3.0] and y._version == 0
    y.clamp_(min=mg.tensor(1.5))  # a tensor bound, as clip takes it
    assert y.tolist() == [1.5, 2.0, 3.0]


# --------------------------------------------------------------------------- PyTorch, when installed


def _torch():
    return pytest.importorskip("torch", reason="PyTorch is not installed")


def test_crosscheck_pow_at_zero_with_torch():
    torch = _torch()
    x0 = np.array([0.0, 0.0, 0.0, 0.0, 0.0, 2.0, -1.0])
    y0 = np.array([0.0, 0.5, 1.0, 2.0, -1.0, 0.0, 2.0])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        gx, gy = grads_of(lambda x, y: (x ** y).sum(), x0, y0)
    tx = torch.tensor(x0, requires_grad=True)
    ty = torch.tensor(y0, requires_grad=True)
    (tx ** ty).sum().backward()
    np.testing.assert_array_equal(gx, tx.grad.numpy())
    np.testing.assert_array_equal(gy, ty.grad.numpy())


def test_crosscheck_max_min_with_nan_with_torch():
    torch = _torch()
    a = np.array([1.0, NAN, 3.0, NAN, -2.0])
    for op in ("max", "min"):
        (g,) = grads_of(lambda x: getattr(x, op)(), a)
        t = torch.tensor(a, requires_grad=True)
        getattr(t, op)().backward()
        np.testing.assert_array_equal(g, t.grad.numpy())


def test_crosscheck_integer_max_and_0d_axes_with_torch():
    torch = _torch()
    a = np.array([[3, 1, 3], [0, 2, 1]])
    np.testing.assert_array_equal(Tensor(a).max(axis=1).data, torch.tensor(a).amax(dim=1).numpy())
    np.testing.assert_array_equal(Tensor(a).min().data, torch.tensor(a).min().numpy())
    z = torch.tensor(2.5, dtype=torch.float64, requires_grad=True)
    z.logsumexp(dim=-1).backward()
    x = leaf(2.5)
    x.logsumexp(axis=-1).backward()
    assert x.grad == z.grad.item()
    b = np.array([1, 2, 120])
    np.testing.assert_allclose(Tensor(b).logsumexp().data,
                               torch.logsumexp(torch.tensor(b), 0).double().numpy(), rtol=1e-6)


@pytest.mark.parametrize("op", ["log", "div"])
def test_a_subnormal_float32_divisor_gives_the_gradient_not_nan(op):
    """g / x, not g · (1/x): 1/x overflows to inf for a float32 x below about 3e-39, and a
    zero upstream gradient then gave 0 · inf = nan where PyTorch (and the math) give 0;
    a small one gave inf where g / x is finite."""
    x = mg.tensor(np.array([1e-40, 1e-40, 2.0], dtype=np.float32), requires_grad=True)
    upstream = np.array([0.0, 1e-10, 1.0], dtype=np.float32)
    with np.errstate(over="ignore", invalid="ignore"):
        out = x.log() if op == "log" else mg.tensor(np.float32(1.0)) / x
        if op == "log":
            (out * mg.tensor(upstream)).sum().backward()
            want = upstream / x.data
        else:  # ∂(1/x)/∂x = -1/x²: use x as the numerator instead, ∂(x/c)/∂x = 1/c
            x.grad = None
            c = mg.tensor(np.array([1e-40, 1e-40, 2.0], dtype=np.float32))
            (x / c * mg.tensor(upstream)).sum().backward()
            want = upstream / c.data
    assert np.isfinite(x.grad).all(), x.grad
    np.testing.assert_allclose(x.grad, want, rtol=1e-6)
