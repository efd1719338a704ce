"""Check backward() against central finite differences."""
from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np

from ..engine import Tensor, no_grad
from ..errors import GradcheckError

__all__ = ["gradcheck", "GradcheckError", "numerical_grad"]


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


def gradcheck(fn: Callable[..., Tensor], inputs: Sequence[Tensor], eps: float = 1e-6,
              atol: float = 1e-5, rtol: float = 1e-3, seed: int = 0) -> bool:
    """True if backward() matches central differences for every input that requires grad.

    A non-scalar output is reduced with a random upstream gradient (not all ones, so
    that a partial summed in the wrong order or transposed cannot hide). Raises
    GradcheckError naming the input and the entry with the worst mismatch.
    """
    inputs = list(inputs)
    for k, t in enumerate(inputs):
        if not isinstance(t, Tensor):
            raise GradcheckError(f"gradcheck: input {k} is a {type(t).__name__}, not a Tensor; "
                                 "wrap it: Tensor(x, requires_grad=True)")
        if t.requires_grad and t.dtype != np.float64:
            raise GradcheckError("gradcheck: inputs must be float64 for finite differences, "
                                 f"got {t.dtype}")
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
