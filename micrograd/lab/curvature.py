"""Curvature and the learning rate: λ_max of a loss Hessian, and the largest learning rate
at which full-batch gradient descent still converges.

On a quadratic L(θ) = ½ θᵀHθ, gradient descent θ ← θ - η H θ multiplies the component of θ
along each eigenvector of H (eigenvalue λ) by 1 - ηλ per step, so it converges exactly when
|1 - ηλ| < 1 for every λ, that is for η < 2/λ_max. This module measures both sides of that
rule on any loss written with micrograd: λ_max by power iteration on Hessian-vector
products (each one is a gradient of ∇L·v, so H is never formed), and the critical learning
rate by running gradient descent from a fixed start and bisecting on η.

A problem is a `loss_fn()` (no arguments: it reads the parameters itself and returns a scalar
Tensor) and the list of parameters it depends on. Vectors over the parameters are flat
numpy arrays, the parameters' entries one after another.
"""
from __future__ import annotations

import functools
import math
import operator
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from ..autograd import grad
from ..engine import Tensor, no_grad
from ..errors import ArgumentError, MicrogradError
from ..nn import functional as F

__all__ = ["Eigen", "Bracket", "flatten", "unflatten", "snapshot", "restore", "hvp_at",
           "hessian_at", "power_iteration", "top_eigenvalue", "sharpness", "gradient_descent",
           "sharpness_along", "converges", "descends", "gd_check", "critical_learning_rate",
           "circles_loss", "saddle_loss"]

LossFn = Callable[[], Tensor]
MatVec = Callable[[np.ndarray], np.ndarray]


# --------------------------------------------------------------------------- flat vectors

def flatten(arrays: Sequence[np.ndarray | Tensor | None], params: Sequence[Tensor]) -> np.ndarray:
    """One float64 vector of the arrays' entries (None, an unused parameter's gradient: zeros)."""
    return np.concatenate([
        np.zeros(p.data.size) if a is None else
        np.asarray(a.data if isinstance(a, Tensor) else a, dtype=np.float64).ravel()
        for a, p in zip(arrays, params, strict=True)])


def unflatten(v: np.ndarray, params: Sequence[Tensor]) -> list[np.ndarray]:
    """The flat vector v cut into arrays of the parameters' shapes and dtypes."""
    sizes = [p.data.size for p in params]
    if v.shape != (sum(sizes),):
        raise ArgumentError(f"unflatten: the parameters hold {sum(sizes)} numbers, "
                            f"got a vector of shape {v.shape}")
    pieces = np.split(v, np.cumsum(sizes)[:-1])
    return [piece.reshape(p.shape).astype(p.dtype) for piece, p in zip(pieces, params, strict=True)]


def snapshot(params: Sequence[Tensor]) -> list[np.ndarray]:
    """Copies of the parameters' values, to start several runs from the same point."""
    return [np.array(p.data, copy=True) for p in params]


def restore(params: Sequence[Tensor], values: Sequence[np.ndarray]) -> None:
    """Put the values of a snapshot back into the parameters."""
    with no_grad():
        for p, value in zip(params, values, strict=True):
            p.copy_(value)


# --------------------------------------------------------------------------- curvature

def hvp_at(loss_fn: LossFn, params: Sequence[Tensor]) -> MatVec:
    """v ↦ H v with H = ∇²L at the parameters' current values (Pearlmutter's trick:
    H v = ∇(∇L · v), so each product costs a small constant times one gradient).

    The first gradient is recorded once (create_graph=True) and kept (retain_graph=True):
    every product then only differentiates the scalar ∇L · v again."""
    params = list(params)
    first = grad(loss_fn(), params, create_graph=True)

    def product(v: np.ndarray) -> np.ndarray:
        terms = [(g * Tensor(piece)).sum()
                 for g, piece in zip(first, unflatten(v, params), strict=True)]
        dot = functools.reduce(operator.add, terms)  # ∇L · v, one recorded number
        return flatten(grad(dot, params, retain_graph=True, allow_unused=True), params)

    return product


def hessian_at(loss_fn: LossFn, params: Sequence[Tensor]) -> np.ndarray:
    """The full Hessian as an (n, n) array: column j is H e_j, one HVP per parameter entry."""
    product = hvp_at(loss_fn, params)
    n = sum(p.data.size for p in params)
    return np.column_stack([product(e) for e in np.eye(n)])


@dataclass(frozen=True)
class Eigen:
    """An eigenpair found by power iteration: H vector ≈ value · vector, |vector| = 1."""
    value: float
    vector: np.ndarray
    iterations: int


def power_iteration(matvec: MatVec, dim: int, iters: int = 500, tol: float = 1e-10,
                    seed: int = 0) -> Eigen:
    """The eigenvalue of the symmetric H largest in magnitude: v ← Hv / |Hv| from a random
    start, value = vᵀHv (the Rayleigh quotient), until it changes by less than tol relative.
    The error shrinks like (|λ₂|/|λ₁|)^k, so a small gap between the top two is slow."""
    if dim < 1 or iters < 1:
        raise ArgumentError(f"power_iteration: needs dim >= 1 and iters >= 1, got {dim}, {iters}")
    v = np.random.default_rng(seed).standard_normal(dim)
    v /= np.linalg.norm(v)
    value = math.nan
    for k in range(1, iters + 1):
        hv = matvec(v)
        new_value = float(v @ hv)
        norm = float(np.linalg.norm(hv))
        if not math.isfinite(norm):
            raise MicrogradError(f"power_iteration: H v is not finite at iteration {k}; the "
                                 "loss or its Hessian overflowed at these parameters")
        if norm == 0.0:  # v is in H's null space: H is 0 along it, and so is every power
            return Eigen(0.0, v, k)
        done = abs(new_value - value) <= tol * abs(new_value)
        v, value = hv / norm, new_value
        if done:
            return Eigen(value, v, k)
    return Eigen(value, v, iters)


def top_eigenvalue(matvec: MatVec, dim: int, iters: int = 500, tol: float = 1e-10,
                   seed: int = 0) -> Eigen:
    """The largest (most positive) eigenvalue λ_max of the symmetric H, the one that limits
    gradient descent. Power iteration finds the largest in magnitude; if that one is negative,
    a second run on H - λ I (all eigenvalues shifted to ≥ 0) finds λ_max - λ."""
    first = power_iteration(matvec, dim, iters, tol, seed)
    if first.value >= 0:
        return first
    shift = first.value
    second = power_iteration(lambda v: matvec(v) - shift * v, dim, iters, tol, seed + 1)
    return Eigen(second.value + shift, second.vector, first.iterations + second.iterations)


def sharpness(loss_fn: LossFn, params: Sequence[Tensor], iters: int = 500, tol: float = 1e-8,
              seed: int = 0) -> float:
    """λ_max of the loss Hessian at the parameters' current values (the 'sharpness')."""
    dim = sum(p.data.size for p in params)
    return top_eigenvalue(hvp_at(loss_fn, params), dim, iters, tol, seed).value


# --------------------------------------------------------------------------- the learning rate

def gradient_descent(loss_fn: LossFn, params: Sequence[Tensor], lr: float, steps: int,
                     blowup: float = 1e6,
                     every: int = 0, on_step: Callable[[int], None] | None = None) -> np.ndarray:
    """Full-batch gradient descent θ ← θ - lr ∇L(θ), in place, for `steps` steps. Returns the
    losses before each step and after the last (steps + 1 of them), cut short as soon as one
    is not finite or exceeds `blowup` times the first. on_step(t) is called before step t
    whenever t is a multiple of `every` (and after the last step), for measurements."""
    params = list(params)
    losses = []
    with np.errstate(over="ignore", invalid="ignore"):
        for t in range(steps + 1):
            if on_step is not None and every and (t % every == 0 or t == steps):
                on_step(t)
            loss = loss_fn()
            value = loss.item()
            losses.append(value)
            if not math.isfinite(value) or value > blowup * abs(losses[0]) or t == steps:
                break
            gradients = grad(loss, params, allow_unused=True)
            with no_grad():
                for p, g in zip(params, gradients, strict=True):
                    if g is not None:
                        p.sub_(lr * g.data)
    return np.array(losses)


def sharpness_along(loss_fn: LossFn, params: Sequence[Tensor], lr: float, steps: int,
                    every: int, tol: float = 1e-6,
                    seed: int = 0) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Train with full-batch gradient descent (in place) and measure λ_max every `every`
    steps: (the steps measured, λ_max at each, the losses of every step)."""
    at: list[int] = []
    values: list[float] = []

    def measure(t: int) -> None:
        at.append(t)
        values.append(sharpness(loss_fn, params, tol=tol, seed=seed))

    losses = gradient_descent(loss_fn, params, lr, steps, every=every, on_step=measure)
    return np.array(at), np.array(values), losses


def converges(losses: np.ndarray, steps: int, window: int | None = None) -> bool:
    """The convergence criterion: all `steps` steps ran (no blow-up, no inf or nan) and the
    median of the last `window` losses (default: the last tenth of the run) is below the first
    loss. The median, not the last value: a late catapult spike of a few steps (the loss jumps
    and comes back) is not a failure to converge."""
    window = window or max(1, steps // 10)
    return (len(losses) == steps + 1 and bool(np.all(np.isfinite(losses)))
            and bool(np.median(losses[-window:]) < losses[0]))


def descends(losses: np.ndarray, steps: int) -> bool:
    """The local stability criterion: all `steps` steps ran and the loss fell at every one
    (the quadratic rule's prediction for η < 2/λ_max, over a few steps)."""
    return len(losses) == steps + 1 and bool(np.all(np.diff(losses) <= 0))


def gd_check(loss_fn: LossFn, params: Sequence[Tensor], steps: int,
             criterion: Callable[[np.ndarray, int], bool] = converges) -> Callable[[float], bool]:
    """lr ↦ criterion(the losses of `steps` steps of gradient descent with this lr, steps),
    from the parameters' values now: each call starts from those same values and puts them
    back afterwards. criterion: `converges` (the default) or `descends`."""
    params = list(params)
    start = snapshot(params)

    def check(lr: float) -> bool:
        try:
            return criterion(gradient_descent(loss_fn, params, lr, steps), steps)
        finally:
            restore(params, start)

    return check


@dataclass(frozen=True)
class Bracket:
    """The critical learning rate lies in [lo, hi]: GD converges at lo and does not at hi.
    `tried` holds every (lr, converged) checked on the way, in order."""
    lo: float
    hi: float
    tried: tuple[tuple[float, bool], ...]

    @property
    def lr(self) -> float:
        """The estimate: the geometric middle of the bracket."""
        return math.sqrt(self.lo * self.hi)


def critical_learning_rate(check: Callable[[float], bool], start: float, factor: float = 2 ** 0.25,
                           rel_tol: float = 1e-2, limit: int = 60) -> Bracket:
    """The learning rate at which check(lr) (does gradient descent converge?) first turns
    False: walk up the grid start·factorᵏ to the first failure, then bisect (on a log scale)
    between it and the grid point before until hi / lo < 1 + rel_tol.

    check(start) must be True. When convergence is not monotone in lr (a network can land by
    luck at a larger rate) this is the first boundary above start on that grid."""
    if not (start > 0 and factor > 1 and rel_tol > 0):
        raise ArgumentError("critical_learning_rate: needs start > 0, factor > 1 and "
                            f"rel_tol > 0, got {start}, {factor}, {rel_tol}")
    tried: list[tuple[float, bool]] = []

    def ask(lr: float) -> bool:
        tried.append((lr, check(lr)))
        return tried[-1][1]

    if not ask(start):
        raise ArgumentError(f"critical_learning_rate: gradient descent does not converge at "
                            f"the starting lr {start:g}; start lower")
    lo = start
    for _ in range(limit):
        if not ask(lo * factor):
            break
        lo *= factor
    else:
        raise ArgumentError(f"critical_learning_rate: gradient descent still converges at "
                            f"lr={lo:g} after {limit} steps up the grid; start higher")
    hi = lo * factor
    while hi / lo >= 1 + rel_tol:
        mid = math.sqrt(lo * hi)
        if ask(mid):
            lo = mid
        else:
            hi = mid
    return Bracket(lo, hi, tuple(tried))


# --------------------------------------------------------------------------- the problems

def circles_loss(model: Any, X: np.ndarray, y: np.ndarray) -> LossFn:
    """The lab's loss, the mean cross-entropy of the model's logits on (X, y), as a
    no-argument function of the model's parameters (a fresh graph on every call)."""
    inputs = Tensor(np.asarray(X), dtype=next(iter(model.parameters())).dtype)
    labels = np.asarray(y)
    return lambda: F.cross_entropy(model(inputs), labels)


def saddle_loss(u: Tensor, v: Tensor, target: float = 1.0) -> LossFn:
    """The two-parameter network f = u·v fitted to one target: L(u, v) = ½ (uv - target)².
    Its minima lie on the hyperbola uv = target, where λ_max = u² + v²: the flat ones near
    u = v and ever sharper ones along the axes (the toy model of the catapult)."""
    def loss() -> Tensor:
        r = u * v - target
        return 0.5 * r * r

    return loss
