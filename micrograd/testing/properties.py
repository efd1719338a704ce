"""The properties every op must have, each checked on one example (arrays and parameters).

`check_op` runs them on examples Hypothesis draws; the project's op table
(tests/test_ops_properties.py) runs them on every op of ops.py. Each takes the op as
`fn(*tensors, **params)`, its numpy reference as `ref(*arrays, **params)`, float64 input
arrays, and raises GradcheckError (an AssertionError) saying what differs and where:

  check_forward        values, shape and dtype equal the reference's; the inputs are untouched
  check_vjp            the gradient of Σ G ⊙ op(x), G a random upstream gradient, equals
                       5-point central differences of the *reference* (so it does not lean
                       on the op's own forward), with the input's shape and dtype
  check_second_order   the gradient of a random scalar function of the first gradient,
                       by differentiating the backward pass recorded with
                       create_graph=True, equals central differences of that first
                       gradient; and the recorded first gradient equals the ordinary one
  check_adjoint        ⟨G, J t⟩ = ⟨Jᵀ G, t⟩: the op's jvp and backward are one Jacobian
  check_float32        float32 in, float32 out and float32 gradients (no partial computed
                       in float64 along the way), close to float64's
"""
from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from ..autograd import grad
from ..engine import Tensor, observe
from ..errors import GradcheckError
from ..gradients.gradcheck import central_differences, second_order

__all__ = ["check_forward", "check_vjp", "check_second_order", "check_adjoint",
           "check_float32", "fd_gradient", "sum_to"]

Op = Callable[..., Tensor]
Reference = Callable[..., Any]


def fd_gradient(ref: Reference, arrays: Sequence[np.ndarray], k: int, upstream: np.ndarray,
                params: dict | None = None, h: float = 1e-4) -> np.ndarray:
    """∂/∂arrays[k] of Σ upstream ⊙ ref(*arrays), by the 5-point central stencil (error O(h⁴))."""
    params = params or {}
    point = [np.array(a, dtype=np.float64) for a in arrays]
    return central_differences(lambda: float(np.sum(upstream * ref(*point, **params))),
                               point[k], h, five_point=True)


def sum_to(g: np.ndarray, shape: tuple[int, ...]) -> np.ndarray:
    """g summed down to `shape` (the adjoint of broadcasting), written independently of
    the engine's unbroadcast so that a test of it can lean on this."""
    g = np.asarray(g)
    while g.ndim > len(shape):
        g = g.sum(axis=0)
    for ax, n in enumerate(shape):
        if n == 1 and g.shape[ax] != 1:
            g = g.sum(axis=ax, keepdims=True)
    return g


def _tensors(arrays: Sequence[np.ndarray], dtype: Any = None) -> list[Tensor]:
    return [Tensor(np.array(a, dtype=dtype), requires_grad=True) for a in arrays]


def _close(name: str, what: str, actual: Any, desired: Any, rtol: float, atol: float) -> None:
    try:
        np.testing.assert_allclose(actual, desired, rtol=rtol, atol=atol, equal_nan=True)
    except AssertionError as e:
        raise GradcheckError(f"{name}: {what}{e}") from None


def check_forward(fn: Op, ref: Reference, arrays: Sequence[np.ndarray],
                  params: dict | None = None, *, rtol: float = 1e-10, atol: float = 1e-12,
                  name: str = "op") -> Tensor:
    """fn's output has ref's values, shape and dtype, and fn leaves its inputs alone.
    Returns the output (so that a caller can look at its grad_fn)."""
    params = params or {}
    expected = np.asarray(ref(*arrays, **params))
    tensors = _tensors(arrays)
    out = fn(*tensors, **params)
    if not isinstance(out, Tensor):
        raise GradcheckError(f"{name}: returned a {type(out).__name__}, not a Tensor")
    if out.shape != expected.shape or out.dtype != expected.dtype:
        raise GradcheckError(f"{name}: output of shape {out.shape} and dtype {out.dtype}, the "
                             f"reference's is {expected.shape} {expected.dtype}")
    _close(name, "the forward differs from the reference", out.data, expected, rtol, atol)
    for k, (t, a) in enumerate(zip(tensors, arrays, strict=True)):
        if not np.array_equal(t.data, a, equal_nan=True):
            raise GradcheckError(f"{name}: the forward changed its input {k}")
    return out


def check_vjp(fn: Op, ref: Reference, arrays: Sequence[np.ndarray], params: dict | None = None,
              seed: int = 0, *, rtol: float = 1e-6, atol: float = 1e-7,
              name: str = "op") -> None:
    """backward() of a random upstream G gives, for every input, the reference's central
    differences of Σ G ⊙ ref (atol is relative to the largest of them, if above 1)."""
    params = params or {}
    tensors = _tensors(arrays)
    out = fn(*tensors, **params)
    upstream = np.random.default_rng(seed).standard_normal(out.shape)
    out.backward(gradient=upstream)
    for k, (t, a) in enumerate(zip(tensors, arrays, strict=True)):
        if t.grad is None:
            raise GradcheckError(f"{name}: input {k} got no gradient")
        if t.grad.shape != a.shape or t.grad.dtype != a.dtype:
            raise GradcheckError(f"{name}: the gradient of input {k} has shape {t.grad.shape} "
                                 f"and dtype {t.grad.dtype}, the input {a.shape} {a.dtype}")
        numeric = fd_gradient(ref, arrays, k, upstream, params)
        scale = max(1.0, float(np.abs(numeric).max(initial=0)))
        _close(name, f"the gradient of input {k} differs from finite differences",
               t.grad, numeric, rtol, atol * scale)


def check_second_order(fn: Op, arrays: Sequence[np.ndarray], params: dict | None = None,
                       seed: int = 0, *, rtol: float = 1e-6, atol: float = 1e-7,
                       h: float = 1e-4, name: str = "op") -> None:
    """For a random upstream G and random weights W, φ = Σ W ⊙ ∂/∂x Σ G ⊙ fn(x): ∂φ/∂x and
    ∂φ/∂G by differentiating the recorded backward pass equal the 5-point central
    differences of φ computed with the ordinary backward (float64), and the recorded
    first gradient equals the ordinary one."""
    params = params or {}
    rng = np.random.default_rng(seed)
    tensors = _tensors(arrays)
    upstream = rng.standard_normal(fn(*tensors, **params).shape)
    weights = [rng.standard_normal(a.shape) for a in arrays]
    r = second_order(lambda *ts: fn(*ts, **params), tensors, upstream, weights, eps=h,
                     five_point=True)
    for what, v, rv in zip(r.names, r.first, r.recorded_first, strict=False):
        scale = max(1.0, float(np.abs(v).max(initial=0)))
        _close(name, f"{what}: the first gradient recorded with create_graph=True differs from "
               "the ordinary backward's", rv, v, 1e-9, 1e-12 * scale)
    for what, a, n in zip(r.names, r.analytic, r.numeric, strict=True):
        scale = max(1.0, float(np.abs(n).max(initial=0)))
        _close(name, f"{what}: the derivative of the first gradient differs from finite "
               "differences of it", a, n, rtol, atol * scale)


def check_adjoint(fn: Op, arrays: Sequence[np.ndarray], params: dict | None = None,
                  seed: int = 0, *, tol: float = 1e-10, name: str = "op") -> None:
    """For the recorded node of out = fn(x₀, x₁, …), every input i, a random tangent tᵢ and
    a random upstream G: ⟨G, jvp(tᵢ, i)⟩ = ⟨backward(G, i), tᵢ⟩ (jvp may return a shape that
    broadcasts to the output's, and backward one that sums down to the input's)."""
    params = params or {}
    out = fn(*_tensors(arrays), **params)
    node = out.grad_fn
    if node is None:
        raise GradcheckError(f"{name}: the output was not recorded (no grad_fn), so there is "
                             "no node whose jvp and backward to compare")
    rng = np.random.default_rng(seed)
    g = rng.standard_normal(out.shape)
    for i, a in enumerate(arrays):
        t = rng.standard_normal(a.shape)
        jv = np.asarray(node.jvp(t.copy(), i))
        if np.broadcast_shapes(jv.shape, out.shape) != out.shape:
            raise GradcheckError(f"{name}: jvp for input {i} has shape {jv.shape}, the output "
                                 f"{out.shape}")
        jv = np.broadcast_to(jv, out.shape)
        vj = sum_to(np.asarray(node.backward(g.copy(), i)), a.shape)
        if vj.shape != a.shape:
            raise GradcheckError(f"{name}: backward for input {i} has shape {vj.shape}, which "
                                 f"does not sum down to the input's {a.shape}")
        lhs, rhs = float(np.sum(g * jv)), float(np.sum(vj * t))
        scale = float(np.sum(np.abs(g * jv))) + float(np.sum(np.abs(vj * t))) + 1e-300
        if not abs(lhs - rhs) <= tol * scale + 1e-12:
            raise GradcheckError(f"{name}: input {i}: ⟨G, jvp(t)⟩ = {lhs!r} but ⟨backward(G), "
                                 f"t⟩ = {rhs!r}: jvp and backward are not one Jacobian")


class _DtypeRecorder:
    """An observer that writes down the dtype of every local partial."""

    def __init__(self) -> None:
        self.seen: list[tuple[str, int, Any, Any]] = []

    def on_forward(self, fn: Any, parents: Any, out: Any) -> None:
        pass

    def on_partial(self, fn: Any, i: int, g: Any, pg: Any, kind: str) -> None:
        self.seen.append((fn.name, i, np.asarray(g).dtype, np.asarray(pg).dtype))


def check_float32(fn: Op, ref: Reference, arrays: Sequence[np.ndarray],
                  params: dict | None = None, seed: int = 0, *, second_order: bool = True,
                  name: str = "op") -> None:
    """float32 inputs give a float32 output close to the reference, and float32 gradients
    close to float64's, with no local partial computed in float64 on the way (the leaf's
    cast back would hide a backward done in float64). With second_order, the same holds for
    a backward recorded with create_graph=True and for its gradient."""
    params = params or {}
    x32, x64 = _tensors(arrays, np.float32), _tensors(arrays)
    out32, out64 = fn(*x32, **params), fn(*x64, **params)
    if out32.dtype != np.float32:
        raise GradcheckError(f"{name}: float32 in, {out32.dtype} out")
    _close(name, "the float32 forward differs from the reference", out32.data,
           np.asarray(ref(*arrays, **params)), 1e-4, 1e-5)
    upstream = np.random.default_rng(seed).standard_normal(out32.shape)
    recorder = _DtypeRecorder()
    with observe(recorder):
        out32.backward(gradient=upstream.astype(np.float32))
    out64.backward(gradient=upstream)
    for k, (t32, t64) in enumerate(zip(x32, x64, strict=True)):
        if t32.grad is None or t32.grad.dtype != np.float32 or t32.grad.shape != t32.shape:
            raise GradcheckError(f"{name}: the gradient of float32 input {k} is "
                                 f"{None if t32.grad is None else t32.grad.dtype}")
        _close(name, f"the float32 gradient of input {k} differs from float64's", t32.grad,
               t64.grad, 1e-3, 1e-4)
    if second_order:
        x32 = _tensors(arrays, np.float32)
        g32 = Tensor(upstream.astype(np.float32), requires_grad=True)
        with observe(recorder):
            firsts = [v for v in grad(fn(*x32, **params), x32, grad_outputs=g32,
                                      create_graph=True, allow_unused=True) if v is not None]
            total = sum((v * v).sum() for v in firsts)
            if isinstance(total, Tensor) and total.requires_grad:
                seconds = grad(total, [*x32, g32], allow_unused=True)
                firsts += [s for s in seconds if s is not None]
        for v in firsts:
            if v.dtype != np.float32:
                raise GradcheckError(f"{name}: a float32 graph gave a {v.dtype} gradient when "
                                     "its backward was recorded (create_graph=True)")
    for op, i, g_dtype, pg_dtype in recorder.seen:
        if pg_dtype != np.float32:
            raise GradcheckError(f"{name}: the partial of {op} for input {i} is {pg_dtype} "
                                 f"(upstream {g_dtype}) in a float32 graph")
