"""The PyTorch-shaped Tensor API (issue 9): every method and factory, written once against
a namespace `L` and run with both micrograd and torch (when torch is installed; CI has it).

Each row of `ROWS` is a small program `fn(L, *inputs)`; the harness compares values,
shapes, dtypes and, where the result is differentiable, the gradients of a random
upstream gradient. Each row of `ERRORS` must raise in both libraries (micrograd's error
a MicrogradError). The numpy-only checks below them need no torch.
"""
from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import pytest

import micrograd as mg
from micrograd import ArgumentError, DTypeError, InplaceError, MicrogradError, ShapeError, Tensor

try:
    import torch
except ImportError:  # the parity rows skip; the numpy-only checks still run
    torch = None

needs_torch = pytest.mark.skipif(torch is None, reason="torch is not installed")

RNG = np.random.default_rng(0)
A23 = RNG.standard_normal((2, 3))
A234 = RNG.standard_normal((2, 3, 4))
A13 = RNG.standard_normal((1, 3))
A32 = RNG.standard_normal((3, 2))
V3 = RNG.standard_normal(3)
POS = RNG.uniform(0.5, 2.0, (2, 3))
ONE = np.array([2.75])


@dataclass
class Row:
    name: str
    fn: Callable[..., Any]
    inputs: tuple = ()
    grad: bool = True       # inputs require grad and the gradient is compared


def f32(a):
    return a.astype(np.float32)


ROWS = [
    # sizes
    Row("size", lambda L, x: tuple(x.size()), (A23,), grad=False),
    Row("size_d", lambda L, x: (x.size(1), x.size(-1)), (A234,), grad=False),
    Row("dim_numel", lambda L, x: (x.dim(), x.numel(), tuple(x.shape)), (A234,), grad=False),
    # reductions with dim=/keepdim=
    Row("sum_dim", lambda L, x: x.sum(dim=1, keepdim=True), (A23,)),
    Row("sum_dims", lambda L, x: x.sum(dim=(0, 2)), (A234,)),
    Row("sum_pos", lambda L, x: x.sum(0), (A23,)),
    Row("mean_dim", lambda L, x: x.mean(dim=-1, keepdim=True), (A234,)),
    Row("max_all", lambda L, x: x.max(), (A23,)),
    Row("max_dim", lambda L, x: tuple(x.max(dim=1)), (A23,)),
    Row("max_pos_keep", lambda L, x: tuple(x.max(0, keepdim=True)), (A23,)),
    Row("min_dim", lambda L, x: tuple(x.min(dim=-1)), (A234,)),
    Row("max_dim_values", lambda L, x: x.max(dim=1).values, (A23,)),
    Row("min_dim_indices", lambda L, x: x.min(1).indices, (A23,), grad=False),
    Row("amax", lambda L, x: x.amax(dim=(0, 2), keepdim=True), (A234,)),
    Row("amin", lambda L, x: x.amin(dim=1), (A23,)),
    Row("argmax_dim", lambda L, x: x.argmax(dim=1, keepdim=True), (A23,), grad=False),
    Row("argmax_all", lambda L, x: x.argmax(), (A23,), grad=False),
    Row("argmax_all_keep", lambda L, x: x.argmax(keepdim=True), (A23,), grad=False),
    Row("argmin_dim", lambda L, x: x.argmin(dim=0), (A234,), grad=False),
    Row("logsumexp", lambda L, x: x.logsumexp(dim=1, keepdim=True), (A23,)),
    Row("softmax", lambda L, x: x.softmax(dim=0), (A23,)),
    Row("log_softmax", lambda L, x: x.log_softmax(dim=1), (A23,)),
    Row("F_softmax_fn", lambda L, x: L.softmax(x, dim=0), (A23,)),
    Row("logsumexp_fn", lambda L, x: L.logsumexp(x, dim=1), (A23,)),
    Row("var", lambda L, x: x.var(), (A23,)),
    Row("var_dim_corr0", lambda L, x: x.var(dim=1, correction=0, keepdim=True), (A23,)),
    Row("var_unbiased_false", lambda L, x: x.var(1, unbiased=False), (A234,)),
    Row("var_positional_bool", lambda L, x: x.var(False), (A23,)),
    Row("var_one_entry", lambda L, x: x.var(), (ONE,), grad=False),
    Row("std", lambda L, x: x.std(), (A23,)),
    Row("std_dim", lambda L, x: x.std(dim=(0, 2), keepdim=True), (A234,)),
    Row("std_legacy", lambda L, x: x.std(0, True), (A23,)),
    Row("std_corr2", lambda L, x: x.std(dim=2, correction=2), (A234,)),
    Row("norm", lambda L, x: x.norm(), (A23,)),
    Row("norm_dim", lambda L, x: x.norm(dim=1, keepdim=True), (A23,)),
    Row("norm_p1", lambda L, x: x.norm(p=1, dim=0), (A23,)),
    Row("norm_fro", lambda L, x: x.norm(p="fro"), (A23,)),
    Row("norm_inf", lambda L, x: x.norm(p=float("inf"), dim=1), (A23,)),
    Row("norm_at_zero", lambda L, x: (x * 0).norm(), (A23,)),  # subgradient 0, not nan
    Row("norm_f32", lambda L, x: x.norm(dim=0), (f32(A23),)),
    # shapes
    Row("view", lambda L, x: x.view(3, 2), (A23,)),
    Row("view_tuple", lambda L, x: x.view((-1,)), (A23,)),
    Row("reshape", lambda L, x: x.reshape(4, -1), (A234,)),
    Row("permute", lambda L, x: x.permute(2, 0, 1), (A234,)),
    Row("permute_tuple", lambda L, x: x.permute((1, 0)), (A23,)),
    Row("unsqueeze", lambda L, x: x.unsqueeze(1), (A23,)),
    Row("unsqueeze_neg", lambda L, x: x.unsqueeze(-1), (A23,)),
    Row("squeeze", lambda L, x: x.squeeze(), (A13,)),
    Row("squeeze_dim", lambda L, x: x.squeeze(0), (A13,)),
    Row("squeeze_not_one", lambda L, x: x.squeeze(1), (A13,)),  # no change, as in PyTorch
    Row("flatten", lambda L, x: x.flatten(), (A234,)),
    Row("flatten_from", lambda L, x: x.flatten(1), (A234,)),
    Row("flatten_range", lambda L, x: x.flatten(0, 1), (A234,)),
    Row("transpose_swap", lambda L, x: x.transpose(0, 1), (A23,)),
    Row("transpose_3d", lambda L, x: x.transpose(0, 2), (A234,)),
    Row("transpose_neg", lambda L, x: x.transpose(-1, -2), (A234,)),
    Row("expand", lambda L, x: x.expand(2, 3), (A13,)),
    Row("expand_keep", lambda L, x: x.expand(4, -1, 3), (A13,)),
    Row("expand_as", lambda L, x, y: x.expand_as(y), (A13, A23)),
    Row("repeat", lambda L, x: x.repeat(2, 3), (A23,)),
    Row("repeat_lead", lambda L, x: x.repeat(2, 1, 2), (A23,)),
    Row("repeat_zero", lambda L, x: x.repeat(0, 2), (A23,)),
    # arithmetic and functions
    Row("clone", lambda L, x: x.clone(), (A23,)),
    Row("pow", lambda L, x: x.pow(3), (A23,)),
    Row("pow_tensor", lambda L, x, y: x.pow(y), (POS, A23)),
    Row("neg", lambda L, x: x.neg(), (A23,)),
    Row("square", lambda L, x: x.square(), (A23,)),
    Row("methods", lambda L, x, y: x.add(y).mul(y).sub(x).div(y + 3), (A23, POS)),
    Row("matmul", lambda L, x, y: x.matmul(y), (A23, A32)),
    Row("matmul_fn", lambda L, x, y: L.matmul(x, y), (A234, RNG.standard_normal((4, 2)))),
    Row("mm", lambda L, x, y: x.mm(y), (A23, A32)),
    Row("exp2", lambda L, x: x.exp2(), (A23,)),
    Row("exp2_fn", lambda L, x: L.exp2(x), (f32(A23),)),
    Row("log1p", lambda L, x: x.log1p(), (POS,)),
    Row("log1p_tiny", lambda L, x: (x * 1e-12).log1p(), (POS,)),
    Row("expm1", lambda L, x: x.expm1(), (A23,)),
    Row("expm1_fn", lambda L, x: L.expm1(x * 1e-12), (A23,)),
    Row("erf", lambda L, x: x.erf(), (A23 * 2,)),
    Row("erf_fn_f32", lambda L, x: L.erf(x), (f32(A23),)),
    # dtypes and devices
    Row("float", lambda L, x: x.float(), (A23,)),
    Row("double", lambda L, x: x.double(), (f32(A23),)),
    Row("long", lambda L, x: x.long(), (A23 * 3,), grad=False),
    Row("to_dtype", lambda L, x: x.to(L.float32), (A23,)),
    Row("to_dtype_kw", lambda L, x: x.to(dtype=L.float32), (A23,)),
    Row("to_cpu", lambda L, x: x.to("cpu"), (A23,)),
    Row("to_device_kw", lambda L, x: x.to(device="cpu"), (A23,)),
    Row("to_cpu_dtype", lambda L, x: x.to("cpu", L.float32), (A23,)),
    Row("to_other", lambda L, x, y: x.to(y), (A23, f32(A13))),
    Row("is_floating_point", lambda L, x: (x.is_floating_point(), x.long().is_floating_point()),
        (A23,), grad=False),
    Row("float_int", lambda L, x: (float(x), int(x), f"{x.sum():.3f}"), (ONE,), grad=False),
    Row("float_0d", lambda L, x: (float(x.sum()), f"{x.sum():.2e}"), (A23,), grad=False),
    Row("item", lambda L, x: x.sum().item(), (A23,), grad=False),
    Row("requires_grad_", lambda L, x: x.detach().requires_grad_().requires_grad, (A23,),
        grad=False),
    Row("requires_grad_false", lambda L, x: x.requires_grad_(False).requires_grad, (A23,),
        grad=False),
    Row("dtype_names", lambda L: (L.float32 != L.float64, L.int64 != L.bool), grad=False),
    # type promotion (PyTorch's rule)
    Row("f32_plus_f64", lambda L, x, y: x + y, (f32(A23), A23)),
    Row("f32_times_0d_f64", lambda L, x, y: x * y, (f32(A23), np.float64(1.5))),
    Row("int_plus_f32", lambda L, x: x.long() + x, (f32(A23) * 3,)),
    Row("f32_minus_int", lambda L, x: x - x.long(), (f32(A23) * 3,)),
    Row("int_plus_int", lambda L, x: x.long() + x.long(), (A23 * 3,), grad=False),
    Row("f32_pow_f64", lambda L, x, y: x ** y, (f32(POS), POS)),
    Row("maximum_fn", lambda L, x, y: L.maximum(x, y), (f32(A23), A23)),
    Row("where_fn", lambda L, x, y: L.where(x > 0, x, y), (f32(A23), f32(POS))),
    # factories
    Row("cat", lambda L, x, y: L.cat([x, y], dim=1), (A23, A23)),
    Row("cat_axis0", lambda L, x, y: L.cat((x, y)), (A23, A13)),
    Row("stack", lambda L, x, y: L.stack([x, y], dim=-1), (A23, A23)),
    Row("concatenate", lambda L, x, y: L.concatenate([x, y], dim=0), (A23, A23)),
    Row("eye", lambda L: L.eye(3, dtype=L.float64), grad=False),
    Row("eye_rect", lambda L: L.eye(2, 4, dtype=L.float32), grad=False),
    Row("linspace", lambda L: L.linspace(-1, 2, 7, dtype=L.float64), grad=False),
    Row("full", lambda L: L.full((2, 3), 1.5, dtype=L.float64), grad=False),
    Row("full_list_int", lambda L: L.full([2], 7), grad=False),  # the value's dtype: int64
    Row("full_bool", lambda L: L.full((2,), True), grad=False),
    Row("zeros", lambda L: L.zeros(2, 3, dtype=L.float32), grad=False),
    Row("ones_tuple", lambda L: L.ones((2, 3), dtype=L.float64, requires_grad=True), grad=False),
    Row("empty_shape", lambda L: tuple(L.empty(2, 3).shape), grad=False),
    Row("zeros_like", lambda L, x: L.zeros_like(x), (f32(A23),), grad=False),
    Row("ones_like_dtype", lambda L, x: L.ones_like(x, dtype=L.float64), (f32(A23),), grad=False),
    Row("full_like", lambda L, x: L.full_like(x, 2.5), (f32(A23),), grad=False),
    Row("empty_like", lambda L, x: (tuple(L.empty_like(x).shape), L.empty_like(x).dtype == x.dtype),
        (f32(A23),), grad=False),
    Row("rand_like", lambda L, x: (tuple(L.rand_like(x).shape), L.rand_like(x).dtype == x.dtype),
        (f32(A23),), grad=False),
    Row("randn_like", lambda L, x: (tuple(L.randn_like(x).shape), L.randn_like(x).dtype == x.dtype),
        (A23,), grad=False),
    Row("from_numpy", lambda L: L.from_numpy(np.arange(6.0).reshape(2, 3)), grad=False),
    Row("arange", lambda L: L.arange(5), grad=False),
    Row("tensor_dtype", lambda L: L.tensor([1, 2], dtype=L.float32, requires_grad=True),
        grad=False),
]


ERRORS = [
    Row("sum_dim_twice", lambda L, x: x.sum(1, dim=1), (A23,)),
    Row("size_out_of_range", lambda L, x: x.size(2), (A23,)),
    Row("size_of_0d", lambda L, x: x.sum().size(0), (A23,)),
    Row("mm_vector", lambda L, x, y: x.mm(y), (A23, V3)),
    Row("mm_batch", lambda L, x, y: x.mm(y), (A234, RNG.standard_normal((4, 2)))),
    Row("matmul_mixed_dtypes", lambda L, x, y: x @ y, (f32(A23), A32)),
    Row("matmul_int_float", lambda L, x, y: x.long() @ y, (A23, A32)),
    Row("expand_bad_size", lambda L, x: x.expand(2, 4), (A13,)),
    Row("expand_fewer_dims", lambda L, x: x.expand(3), (A23,)),
    Row("expand_new_minus_one", lambda L, x: x.expand(-1, 2, 3), (A23,)),
    Row("repeat_fewer_reps", lambda L, x: x.repeat(2), (A23,)),
    Row("float_of_many", lambda L, x: float(x), (A23,)),
    Row("int_of_many", lambda L, x: int(x), (A23,)),
    Row("item_of_many", lambda L, x: x.item(), (A23,)),
    Row("format_many", lambda L, x: f"{x:.3f}", (A23,)),
    Row("to_cuda", lambda L, x: x.to("cuda:7"), (A23,)),
    Row("flatten_backwards", lambda L, x: x.flatten(2, 0), (A234,)),
    Row("permute_short", lambda L, x: x.permute(1, 0), (A234,)),
    Row("permute_repeat", lambda L, x: x.permute(0, 0, 1), (A234,)),
    Row("unsqueeze_range", lambda L, x: x.unsqueeze(4), (A23,)),
    Row("squeeze_range", lambda L, x: x.squeeze(3), (A23,)),
    Row("transpose_range", lambda L, x: x.transpose(0, 2), (A23,)),
    Row("var_both_corrections", lambda L, x: x.var(unbiased=True, correction=1), (A23,)),
    Row("var_of_ints", lambda L, x: x.long().var(), (A23,)),
    Row("norm_of_ints", lambda L, x: x.long().norm(), (A23,)),
    Row("max_dim_tuple", lambda L, x: x.max(dim=(0, 1)), (A23,)),
    Row("argmax_empty", lambda L: L.zeros(0).argmax(), ()),
    Row("rand_like_int", lambda L, x: L.rand_like(x.long()), (A23,)),
    Row("randn_int_dtype", lambda L: L.randn(3, dtype=L.int64), ()),
    Row("cat_empty_list", lambda L: L.cat([]), ()),
    Row("cat_shapes", lambda L, x, y: L.cat([x, y], dim=0), (A23, A32)),
    Row("requires_grad_int", lambda L, x: x.long().requires_grad_(), (A23,)),
]

# Errors that Python itself raises in micrograd (a keyword given twice), as in PyTorch.
PYTHON_ERRORS = {"sum_dim_twice"}


class Lib:
    """How the harness reads results of one library."""

    def __init__(self, mod):
        self.mod = mod

    def tensor(self, a, rg):
        if self.mod is mg:
            return mg.tensor(a, requires_grad=rg)
        return torch.tensor(a, requires_grad=rg)

    def is_tensor(self, v):
        return isinstance(v, Tensor if self.mod is mg else torch.Tensor)

    def array(self, t):
        return np.asarray(t.detach().numpy())

    def dtype_name(self, t):
        return str(t.dtype).removeprefix("torch.")

    def backward(self, out, G):
        if self.mod is mg:
            out.backward(gradient=G.astype(out.dtype))
        else:
            out.backward(torch.from_numpy(G).to(out.dtype))


def run(lib: Lib, row: Row):
    ins = [lib.tensor(np.array(a, copy=True), row.grad) for a in row.inputs]
    out = row.fn(lib.mod, *ins)
    flat = list(out) if isinstance(out, tuple) else [out]
    values = []
    for v in flat:
        if lib.is_tensor(v):
            values.append(("tensor", lib.array(v), lib.dtype_name(v)))
        else:
            values.append(("value", v, None))
    grads = None
    if row.grad:
        head = next(v for v in flat if lib.is_tensor(v) and v.requires_grad)
        G = np.random.default_rng(1).standard_normal(tuple(head.shape))
        lib.backward(head, G)
        grads = [None if t.grad is None else np.asarray(t.grad) for t in ins]
    return values, grads


@needs_torch
@pytest.mark.filterwarnings("ignore:.*degrees of freedom")  # var_one_entry: both warn
@pytest.mark.parametrize("row", ROWS, ids=[r.name for r in ROWS])
def test_same_as_torch(row):
    ours, our_grads = run(Lib(mg), row)
    theirs, their_grads = run(Lib(torch), row)
    # float32 anywhere (an input, a result) limits the agreement to float32's precision
    low = any(np.asarray(a).dtype == np.float32 for a in row.inputs) or any(
        v[2] == "float32" for v in ours)
    assert len(ours) == len(theirs)
    for (kind, a, dt), (kind_t, b, dt_t) in zip(ours, theirs, strict=True):
        assert kind == kind_t, f"{row.name}: micrograd gives a {kind}, torch a {kind_t}"
        if kind == "value":
            assert a == b, f"{row.name}: {a!r} != {b!r}"
            continue
        assert a.shape == b.shape, f"{row.name}: shape {a.shape} != {b.shape}"
        assert dt == dt_t, f"{row.name}: dtype {dt} != {dt_t}"
        tol = 1e-5 if low else 1e-12
        np.testing.assert_allclose(a, b, rtol=tol, atol=tol, equal_nan=True,
                                   err_msg=f"{row.name}: values")
    if row.grad:
        for k, (g, h) in enumerate(zip(our_grads, their_grads, strict=True)):
            assert (g is None) == (h is None), f"{row.name}: input {k} gradient presence"
            if g is not None:
                assert g.dtype == h.dtype and g.shape == h.shape
                tol = 1e-5 if low else 1e-12
                np.testing.assert_allclose(g, h, rtol=tol, atol=tol,
                                           err_msg=f"{row.name}: gradient of input {k}")


@needs_torch
@pytest.mark.parametrize("row", ERRORS, ids=[r.name for r in ERRORS])
def test_both_raise(row):
    with pytest.raises(Exception):  # noqa: B017 (torch raises many kinds)
        row.fn(torch, *[torch.tensor(a) for a in row.inputs])
    expected = TypeError if row.name in PYTHON_ERRORS else MicrogradError
    with pytest.raises(expected) as info:
        row.fn(mg, *[mg.tensor(a) for a in row.inputs])
    assert len(str(info.value)) > 20  # says what went wrong, not just a name


# --------------------------------------------------------------------------- numpy-only checks


def test_errors_name_the_op_the_values_and_the_fix():
    x = mg.tensor(A23)
    cases = [
        (lambda: x.sum(axis=1, dim=1), ArgumentError, r"sum: got dim= and axis="),
        (lambda: x.mean(keepdim=True, keepdims=True), ArgumentError, r"keepdim= and keepdims="),
        (lambda: x @ mg.tensor(f32(A32)), DTypeError,
         r"matmul: .*float64 and float32.*b\.to\(a\.dtype\)"),
        (lambda: x.mm(mg.tensor(V3)), ShapeError, r"mm: .*\(2, 3\) and \(3,\).*matmul\(\)"),
        (lambda: x.to("cuda"), ArgumentError, r"to: device 'cuda' is not available"),
        (lambda: x.to("floaty"), DTypeError, r"neither a dtype .* nor a device"),
        (lambda: x.expand(2, 4), ShapeError, r"expand: the size 4 at axis 1 .* length 3"),
        (lambda: x.repeat(2), ShapeError, r"repeat: .*cannot be smaller"),
        (lambda: x.norm(p=3), ArgumentError, r"norm: p=3 .*\(x\.abs\(\) \*\* p\)"),
        (lambda: x.var(ddof=0, correction=1), ArgumentError, r"var: got correction= and ddof="),
        (lambda: x.max(dim=(0, 1)), ArgumentError, r"amax/amin"),
        (lambda: float(x), ShapeError, r"one element.*\(2, 3\)"),
        (lambda: f"{x:.2f}", ShapeError, r"format: .*\(2, 3\).*item\(\)"),
        (lambda: x.size(2), ShapeError, r"size: dimension 2 is out of range"),
        (lambda: x.flatten(1, 0), ShapeError, r"start_dim 1 comes after end_dim 0"),
        (lambda: mg.full(2, 3, 4), ArgumentError, r"full\(size, fill_value\)"),
        (lambda: mg.randn(2, dtype=np.int64), DTypeError, r"randn: .*floating-point"),
        (lambda: mg.zeros(2, device="cuda"), ArgumentError, r"zeros: device 'cuda'"),
        (lambda: mg.linspace(0, 1), ArgumentError, r"linspace: give the number"),
    ]
    for fn, kind, pattern in cases:
        with pytest.raises(kind, match=pattern):
            fn()


def test_numpy_spellings_still_work():
    x = mg.tensor(A234, requires_grad=True)
    np.testing.assert_allclose(x.sum(axis=(0, 2), keepdims=True).data,
                               A234.sum(axis=(0, 2), keepdims=True))
    assert x.max(axis=1).shape == (2, 4)  # axis= gives the values alone, as numpy
    assert isinstance(x.max(1), tuple) and isinstance(x.max(axis=1), Tensor)
    np.testing.assert_allclose(x.var(ddof=0).data, A234.var())
    np.testing.assert_allclose(x.std(axis=1, ddof=1).data, A234.std(axis=1, ddof=1))
    np.testing.assert_allclose(x.norm(ord=1).data, np.abs(A234).sum())
    np.testing.assert_allclose(x.transpose().data, A234.T)  # no args: all axes reversed
    np.testing.assert_allclose(x.transpose((1, 0, 2)).data, A234.transpose(1, 0, 2))
    np.testing.assert_allclose(x.swapaxes(0, 2).data, A234.swapaxes(0, 2))
    np.testing.assert_allclose(mg.concatenate([x, x], axis=2).data,
                               np.concatenate([A234, A234], axis=2))
    np.testing.assert_allclose(mg.stack([x, x], axis=1).data, np.stack([A234, A234], axis=1))
    np.testing.assert_allclose(mg.linspace(0, 1, num=5).data, np.linspace(0, 1, 5))
    np.testing.assert_allclose(x.softmax(axis=0).data, mg.softmax(x, dim=0).data)
    np.testing.assert_array_equal(x.argmax(axis=2).data, A234.argmax(axis=2))
    assert x.squeeze(axis=0).shape == (2, 3, 4)


def test_var_default_is_pytorchs_unbiased_not_numpys():
    x = mg.tensor(A23)
    np.testing.assert_allclose(x.var().data, A23.var(ddof=1))
    np.testing.assert_allclose(x.std(unbiased=False).data, A23.std())
    with pytest.warns(RuntimeWarning, match="var: 1 entries per slice with correction=1"):
        assert np.isnan(mg.tensor([2.0]).var().item())


def test_factories_default_to_float32_and_take_dtype_and_requires_grad():
    for t in (mg.zeros(2), mg.ones(2), mg.empty(2), mg.eye(2), mg.linspace(0, 1, 3),
              mg.randn(2), mg.rand(2), mg.full((2,), 1.0)):
        assert t.dtype == np.float32  # PyTorch's default float
    assert mg.zeros_like(np.zeros(2)).dtype == np.float64  # a like-factory keeps the dtype
    for make in (lambda **k: mg.zeros(2, **k), lambda **k: mg.empty(2, **k),
                 lambda **k: mg.eye(2, **k), lambda **k: mg.linspace(0, 1, 3, **k),
                 lambda **k: mg.full((2,), 1.0, **k), lambda **k: mg.randn(2, **k),
                 lambda **k: mg.rand(2, **k), lambda **k: mg.arange(3.0, **k),
                 lambda **k: mg.tensor([1.0], **k), lambda **k: mg.ones(2, **k),
                 lambda **k: mg.full_like(np.zeros(2), 3, **k),
                 lambda **k: mg.randn_like(np.zeros(2), **k),
                 lambda **k: mg.rand_like(np.zeros(2), **k),
                 lambda **k: mg.zeros_like(np.zeros(2), **k),
                 lambda **k: mg.ones_like(np.zeros(2), **k),
                 lambda **k: mg.empty_like(np.zeros(2), **k)):
        t = make(dtype=mg.float64, requires_grad=True, device="cpu")
        assert t.dtype == np.float64 and t.requires_grad and t.is_leaf
        assert make(dtype=mg.float32).dtype == np.float32
    assert not mg.empty(3, 2).data.any()  # documented: empty() is zeros
    assert mg.full(3, 2).dtype == np.int64 and mg.full((2,), 0.5).dtype == np.float32
    np.testing.assert_array_equal(mg.full(2, 3, fill_value=7.0).data, np.full((2, 3), 7.0))
    np.testing.assert_array_equal(mg.full(size=(2,), fill_value=1.5).data, [1.5, 1.5])
    a = np.arange(3.0)
    t = mg.from_numpy(a)
    a[0] = 9
    assert t.data[0] == 9  # shares memory, as torch.from_numpy


def test_manual_seed_makes_a_script_reproducible():
    def script():
        w = mg.randn(3, 2)
        u = mg.rand(2)
        like = mg.randn_like(w)
        layer = mg.nn.Linear(2, 2)
        return np.concatenate([w.data.ravel(), u.data, like.data.ravel(),
                               layer.weight.data.ravel()])
    mg.manual_seed(123)
    first = script()
    mg.manual_seed(123)
    np.testing.assert_array_equal(script(), first)
    assert not np.array_equal(script(), first)  # the generator moves on
    # an explicit seed= does not touch the global generator
    mg.manual_seed(5)
    a = mg.randn(2)
    mg.manual_seed(5)
    mg.randn(2, seed=99)
    np.testing.assert_array_equal(mg.randn(2).data, a.data)


def test_no_grad_and_enable_grad_bare_and_called():
    @mg.no_grad
    def bare():
        return mg.is_grad_enabled()

    @mg.no_grad()
    def called():
        return mg.is_grad_enabled()

    @mg.enable_grad
    def back_on():
        return mg.is_grad_enabled()

    assert bare.__name__ == "bare"
    assert not bare() and not called() and mg.is_grad_enabled()
    with mg.no_grad():
        assert back_on() is True and not mg.is_grad_enabled()
    x = mg.tensor(1.0, requires_grad=True)
    assert mg.no_grad(lambda: x * 2)().grad_fn is None


def test_to_float_double_return_the_tensor_itself_when_nothing_changes():
    x = mg.tensor(f32(A23))
    assert x.float() is x and x.to(np.float32) is x and x.to("cpu") is x and x.cpu() is x
    assert x.to("cpu", copy=True) is not x
    assert x.double().dtype == np.float64 and x.to("float64").dtype == np.float64
    assert x.device == "cpu"
    assert mg.float32 is np.float32 and mg.int64 is np.int64 and mg.bool is np.bool_
    assert mg.tensor([1, 2], dtype=mg.float64).dtype == mg.float64


def test_format_float_int():
    x = mg.tensor([2.75])
    assert f"{x:.1f}" == "2.8" and float(x) == 2.75 and int(x) == 2
    assert format(mg.tensor(A23), "") == str(mg.tensor(A23))  # "" is str(), any shape
    assert f"{mg.tensor(3.0).sum():>6.2f}" == "  3.00"


def test_size_is_a_method_and_numel_counts():
    x = mg.zeros(2, 3, 4)
    assert x.size() == (2, 3, 4) and x.size(-1) == 4 and x.numel() == 24 and x.dim() == 3
    assert x.shape == (2, 3, 4) and x.ndim == 3
    assert mg.nn.Linear(3, 2).num_parameters() == 8  # a call site that read .size


def test_type_promotion_rule():
    x32 = mg.tensor(f32(A23), requires_grad=True)
    s64 = mg.tensor(1.5, dtype=mg.float64, requires_grad=True)  # 0-d: defers to the float32
    out = x32 * s64
    assert out.dtype == np.float32
    out.sum().backward()
    assert s64.grad.dtype == np.float64 and x32.grad.dtype == np.float32
    np.testing.assert_allclose(s64.grad, A23.sum(), rtol=1e-5)
    i = mg.tensor([[1, 2, 3], [4, 5, 6]])
    assert (i + x32).dtype == np.float32 and (x32 / i).dtype == np.float32
    assert (i + mg.tensor(A23)).dtype == np.float64
    assert (i + mg.tensor([1, 2, 3], dtype=np.int32)).dtype == np.int64
    assert (mg.tensor([True]) + mg.tensor([2])).dtype == np.int64
    assert (x32 + np.float64(2.0)).dtype == np.float32  # numbers take the tensor's dtype
    assert (x32 + mg.tensor(A23)).dtype == np.float64  # both dimensioned: numpy's promotion


def test_expand_is_a_read_only_view():
    x = mg.tensor(A13)
    e = x.expand(4, 3)
    with pytest.raises(InplaceError, match="read-only"):
        e.add_(1)
    assert np.shares_memory(e.data, x.data)


def test_transpose_two_ints_swap_as_in_pytorch():
    # numpy's x.transpose(0, 1) of a matrix is no change; PyTorch's (and ours) swaps.
    x = mg.tensor(A23)
    np.testing.assert_array_equal(x.transpose(0, 1).data, A23.T)
    np.testing.assert_array_equal(x.transpose(1, 0).data, A23.T)


def test_erf_is_correct_to_the_last_digits():
    xs = np.concatenate([np.linspace(-6, 6, 2001), [0.0, 1e-300, -1e-10, 1e-5, 27.0, -np.inf,
                                                     np.inf]])
    expected = np.array([math.erf(v) for v in xs])
    t = mg.tensor(xs, requires_grad=True)
    out = t.erf()
    np.testing.assert_allclose(out.data, expected, rtol=2e-16, atol=0)
    out.sum().backward()
    np.testing.assert_allclose(t.grad, 2 / math.sqrt(math.pi) * np.exp(-xs**2), rtol=1e-15)
    assert np.isnan(mg.erf(mg.tensor(np.nan)).item())
    assert mg.erf(mg.tensor(f32(xs))).dtype == np.float32
    assert mg.erf(mg.tensor([0, 1])).dtype == np.float32  # ints promote to the default float
    with pytest.raises(DTypeError, match="erf"):
        mg.erf(mg.tensor([1j]))


def test_exp2_log1p_expm1_keep_digits_near_zero():
    tiny = mg.tensor([1e-15, -1e-17], dtype=mg.float64)  # the digits are float64's
    np.testing.assert_allclose(tiny.log1p().data, [1e-15, -1e-17], rtol=1e-15)
    np.testing.assert_allclose(tiny.expm1().data, [1e-15, -1e-17], rtol=1e-15)
    np.testing.assert_array_equal(mg.tensor([3.0, -1.0]).exp2().data, [8.0, 0.5])
