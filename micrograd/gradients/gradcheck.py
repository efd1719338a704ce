"""Check backward() against central finite differences, and second derivatives (the
backward pass recorded with create_graph=True) against finite differences of backward()."""
from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, NamedTuple

import numpy as np

from ..autograd import grad
from ..engine import Tensor, no_grad
from ..errors import GradcheckError

__all__ = ["gradcheck", "gradgradcheck", "GradcheckError", "numerical_grad", "second_order",
           "second_derivatives", "SecondOrder", "central_differences"]


def _scalarize(out: Tensor, upstream: np.ndarray | None) -> Tensor:
    return out.sum() if upstream is None else (out * Tensor(upstream)).sum()


def numerical_grad(fn: Callable[..., Tensor], inputs: Sequence[Tensor], k: int,
                   upstream: np.ndarray | None = None, eps: float = 1e-6) -> np.ndarray:
    """∂/∂inputs[k] of Σ upstream ⊙ fn(*inputs), by (f(x+ε) - f(x-ε)) / 2ε per entry.

    Each entry is nudged through the tensor (x[j] = ..., under no_grad) so that its
    version counter sees it, and the original values are put back even if fn raises.
    """
    x = inputs[k]
    original = np.array(x.data, copy=True)
    grad = np.zeros(x.shape, dtype=np.float64)
    with no_grad():
        try:
            for j in np.ndindex(*x.shape):
                old = original[j]
                x[j] = old + eps
                hi = _scalarize(fn(*inputs), upstream).item()
                x[j] = old - eps
                lo = _scalarize(fn(*inputs), upstream).item()
                x[j] = old
                grad[j] = (hi - lo) / (2 * eps)
        finally:
            x.copy_(original)
    return grad


def _checked_inputs(inputs: Sequence[Tensor], where: str) -> list[Tensor]:
    """The inputs as a list, each a Tensor, float64 where it requires grad (finite
    differences need the precision)."""
    inputs = list(inputs)
    for k, t in enumerate(inputs):
        if not isinstance(t, Tensor):
            raise GradcheckError(f"{where}: input {k} is a {type(t).__name__}, not a Tensor; "
                                 "wrap it: Tensor(x, requires_grad=True)")
        if t.requires_grad and t.dtype != np.float64:
            raise GradcheckError(f"{where}: inputs must be float64 for finite differences, "
                                 f"got {t.dtype}")
    return inputs


def gradcheck(fn: Callable[..., Tensor], inputs: Sequence[Tensor], eps: float = 1e-6,
              atol: float = 1e-5, rtol: float = 1e-3, seed: int = 0) -> bool:
    """True if backward() matches central differences for every input that requires grad.

    A non-scalar output is reduced with a random upstream gradient (not all ones, so
    that a partial summed in the wrong order or transposed cannot hide). Raises
    GradcheckError naming the input and the entry with the worst mismatch.
    """
    inputs = _checked_inputs(inputs, "gradcheck")
    out = fn(*inputs)
    upstream = None
    if out.numel() != 1:
        upstream = np.random.default_rng(seed).standard_normal(out.shape)
    saved = [t.grad for t in inputs]
    for t in inputs:
        t.grad = None
    try:
        _scalarize(out, upstream).backward()
        for k, t in enumerate(inputs):
            if not t.requires_grad:
                continue
            analytic = t.grad if t.grad is not None else np.zeros(t.shape)
            numeric = numerical_grad(fn, inputs, k, upstream, eps)
            excess = np.abs(analytic - numeric) - (atol + rtol * np.abs(numeric))
            if excess.size and excess.max() > 0:
                j = np.unravel_index(np.argmax(excess), excess.shape)
                raise GradcheckError(
                    f"gradcheck: input {k} (shape {t.shape}) entry {tuple(int(a) for a in j)}: "
                    f"backward gives {analytic[j]!r}, finite differences give {numeric[j]!r} "
                    f"(atol={atol}, rtol={rtol})")
    finally:
        for t, g in zip(inputs, saved, strict=True):
            t.grad = g
    return True


# ----------------------------------------------------------------- second derivatives


class SecondOrder(NamedTuple):
    """What gradgradcheck compares, for fn at one point, with upstream g and weights W.

    names[k] says what variable k is ("input 0", ..., "grad_outputs"); first and
    recorded_first hold the first gradient of each input requiring grad, by the ordinary
    backward and by the recorded one (create_graph=True); analytic[k] and numeric[k] hold
    ∂φ/∂(variable k) for φ = Σ_k W_k ⊙ first_k, by differentiating the recorded backward
    and by central differences of the ordinary one."""
    names: list[str]
    first: list[np.ndarray]
    recorded_first: list[np.ndarray]
    analytic: list[np.ndarray]
    numeric: list[np.ndarray]


def second_derivatives(fn: Callable[..., Tensor], inputs: Sequence[Tensor],
                       upstream: np.ndarray, weights: Sequence[np.ndarray]
                       ) -> tuple[list[np.ndarray], list[np.ndarray]]:
    """By differentiating the backward pass recorded with create_graph=True: the first
    gradient v_k = ∂/∂x_k Σ g ⊙ fn(x) of each input x_k requiring grad, and ∂φ/∂x_k, then
    ∂φ/∂g, for φ = Σ_k W_k ⊙ v_k (g = upstream, W = weights; an unused one counts 0)."""
    xs = [Tensor(np.array(t.data), requires_grad=True) if t.requires_grad else t
          for t in inputs]
    wrt = [x for x in xs if x.requires_grad]
    g = Tensor(np.array(upstream), requires_grad=True)
    firsts = grad(fn(*xs), wrt, grad_outputs=g, create_graph=True, allow_unused=True)
    terms = [(Tensor(w) * v).sum() for w, v in zip(weights, firsts, strict=True)
             if v is not None and v.requires_grad]
    seconds: tuple[Tensor | None, ...] = (None,) * (len(wrt) + 1)
    if terms:  # else the first gradient is a constant: every second derivative is 0
        seconds = grad(sum(terms[1:], terms[0]), [*wrt, g], allow_unused=True)
    return _values(firsts, wrt), _values(seconds, [*wrt, g])


def _values(ts: Sequence[Tensor | None], like: Sequence[Tensor]) -> list[np.ndarray]:
    return [np.zeros(x.shape) if t is None else np.array(t.data, dtype=np.float64)
            for t, x in zip(ts, like, strict=True)]


def second_order(fn: Callable[..., Tensor], inputs: Sequence[Tensor], upstream: np.ndarray,
                 weights: Sequence[np.ndarray], eps: float = 1e-6,
                 five_point: bool = False) -> SecondOrder:
    """The numbers gradgradcheck compares (see SecondOrder), without the verdict:
    second_derivatives, and the same by central differences of φ = Σ W ⊙ v, v computed
    by the ordinary backward. five_point: the O(ε⁴) stencil of central_differences."""
    inputs = list(inputs)
    wrt = [k for k, t in enumerate(inputs) if t.requires_grad]
    point = [np.array(inputs[k].data, dtype=np.float64) for k in wrt]  # nudged in place
    g_point = np.array(upstream, dtype=np.float64)

    def first() -> list[np.ndarray]:
        xs = list(inputs)
        for k, a in zip(wrt, point, strict=True):
            xs[k] = Tensor(a, requires_grad=True)  # a copy of the nudged point
        v = grad(fn(*xs), [xs[k] for k in wrt], grad_outputs=Tensor(g_point), allow_unused=True)
        return _values(v, [xs[k] for k in wrt])

    def phi() -> float:
        return sum(float(np.sum(w * v)) for w, v in zip(weights, first(), strict=True))

    recorded_first, analytic = second_derivatives(fn, inputs, upstream, weights)
    numeric = [central_differences(phi, a, eps, five_point) for a in [*point, g_point]]
    return SecondOrder([f"input {k}" for k in wrt] + ["grad_outputs"], first(), recorded_first,
                       analytic, numeric)


def central_differences(f: Callable[[], float], a: np.ndarray, eps: float,
                        five_point: bool = False) -> np.ndarray:
    """∂f/∂a entry by entry, f reading a, which is nudged in place and put back:
    (f(a + ε) - f(a - ε)) / 2ε, or with five_point the stencil
    (-f(+2ε) + 8f(+ε) - 8f(-ε) + f(-2ε)) / 12ε (error O(ε⁴) instead of O(ε²))."""
    steps, weights = ((2, 1, -1, -2), (-1, 8, -8, 1)) if five_point else ((1, -1), (1, -1))
    denominator = (12 if five_point else 2) * eps
    out = np.zeros(a.shape)
    for j in np.ndindex(*a.shape):
        old = a[j]
        try:
            values = []
            for s in steps:
                a[j] = old + s * eps
                values.append(f())
        finally:
            a[j] = old
        out[j] = np.dot(weights, values) / denominator
    return out


def gradgradcheck(fn: Callable[..., Tensor], inputs: Sequence[Tensor],
                  grad_outputs: Any = None, eps: float = 1e-6, atol: float = 1e-5,
                  rtol: float = 1e-3, seed: int = 0) -> bool:
    """True if second derivatives, from the backward pass recorded with create_graph=True,
    match central differences of the first gradient (as torch.autograd.gradgradcheck).

    The first gradient v = ∂/∂x Σ g ⊙ fn(x), g = grad_outputs or a random upstream, is
    reduced with random weights W to φ = Σ W ⊙ v; ∂φ/∂x (the Hessian contracted with g
    and W) and ∂φ/∂g (the Jacobian times W) from the recorded pass must match
    (φ(· + ε) - φ(· - ε)) / 2ε, computed with the ordinary backward, and the recorded v
    must equal the ordinary one. Raises GradcheckError naming the worst entry."""
    inputs = _checked_inputs(inputs, "gradgradcheck")
    rng = np.random.default_rng(seed)
    with no_grad():
        shape = fn(*inputs).shape
    upstream = (rng.standard_normal(shape) if grad_outputs is None
                else np.asarray(grad_outputs.data if isinstance(grad_outputs, Tensor)
                                else grad_outputs, dtype=np.float64))
    if upstream.shape != shape:
        raise GradcheckError(f"gradgradcheck: grad_outputs has shape {upstream.shape}, the "
                             f"output {shape}")
    weights = [rng.standard_normal(t.shape) for t in inputs if t.requires_grad]
    r = second_order(fn, inputs, upstream, weights, eps)
    for name, v, rv in zip(r.names, r.first, r.recorded_first, strict=False):
        _compare("gradgradcheck", f"{name}: the first gradient recorded with "
                 "create_graph=True", rv, "the ordinary backward gives", v, atol, rtol)
    for name, a, n in zip(r.names, r.analytic, r.numeric, strict=True):
        _compare("gradgradcheck", f"{name}: the derivative of the first gradient", a,
                 "finite differences of the first gradient give", n, atol, rtol)
    return True


def _compare(where: str, what: str, got: np.ndarray, against: str, expected: np.ndarray,
             atol: float, rtol: float) -> None:
    """Raise GradcheckError at the worst entry where |got - expected| > atol + rtol |expected|."""
    excess = np.abs(got - expected) - (atol + rtol * np.abs(expected))
    excess = np.where(np.isnan(excess) & (np.isnan(got) != np.isnan(expected)), np.inf, excess)
    if excess.size and np.nanmax(excess, initial=-np.inf) > 0:
        j = np.unravel_index(np.nanargmax(excess), excess.shape)
        raise GradcheckError(
            f"{where}: {what} at entry {tuple(int(a) for a in j)} is {got[j]!r}, but "
            f"{against} {expected[j]!r} (atol={atol}, rtol={rtol})")
