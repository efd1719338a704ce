"""Optimizers: they read each parameter's `.grad` and update `.data` in place.

An update is not an op to differentiate, so it writes the numpy arrays directly
(the same as running under `no_grad()`): the graph never sees it.
"""
from __future__ import annotations

import math
from typing import Any, Iterable

import numpy as np

from .engine import MicrogradError, Tensor

__all__ = ["Optimizer", "SGD", "Adam", "OptimizerError", "clip_grad_norm"]


class OptimizerError(MicrogradError, ValueError):
    """A hyperparameter out of range, or parameters that cannot be optimized."""


def _positive(name: str, value: float, where: str) -> float:
    if not isinstance(value, (int, float, np.floating)) or not math.isfinite(value) or value <= 0:
        raise OptimizerError(f"{where}: {name} must be a finite number > 0, got {value!r}")
    return float(value)


def _in_unit(name: str, value: float, where: str) -> float:
    if not 0 <= value < 1:
        raise OptimizerError(f"{where}: {name} must be in [0, 1), got {value!r}")
    return float(value)


class Optimizer:
    """Holds the parameters; subclasses define `update(p, g, state)` for one tensor."""

    def __init__(self, params: Iterable[Tensor], lr: float, weight_decay: float = 0.0):
        where = type(self).__name__
        if hasattr(params, "parameters"):  # a Module was passed
            params = params.parameters()
        self.params = list(params)
        if not self.params:
            raise OptimizerError(f"{where}: got an empty list of parameters")
        for k, p in enumerate(self.params):
            if not isinstance(p, Tensor) or not p.requires_grad or not p.is_leaf:
                raise OptimizerError(f"{where}: parameter {k} ({getattr(p, 'name', None) or type(p).__name__}) "
                                     "must be a leaf Tensor with requires_grad=True")
        self.lr = _positive("lr (the learning rate)", lr, where)
        if weight_decay < 0:
            raise OptimizerError(f"{where}: weight_decay must be >= 0, got {weight_decay!r}")
        self.weight_decay = float(weight_decay)
        self.state: dict[int, dict[str, Any]] = {id(p): {} for p in self.params}
        self.steps = 0

    def zero_grad(self) -> None:
        for p in self.params:
            p.grad = None

    def step(self) -> None:
        """One update of every parameter that has a gradient."""
        self.steps += 1
        for p in self.params:
            if p.grad is None:
                continue
            g = p.grad
            if self.weight_decay:
                g = g + self.weight_decay * p.data  # L2 penalty ½λ‖p‖² adds λp to the gradient
            self.update(p, g, self.state[id(p)])

    def update(self, p: Tensor, g: np.ndarray, state: dict[str, Any]) -> None:
        raise NotImplementedError

    def __repr__(self) -> str:
        return f"{type(self).__name__}(lr={self.lr}, {len(self.params)} tensors)"


class SGD(Optimizer):
    """p ← p - η g;  with momentum μ: v ← μ v + g, p ← p - η v (v starts at the first g)."""

    def __init__(self, params: Iterable[Tensor], lr: float, momentum: float = 0.0,
                 weight_decay: float = 0.0):
        super().__init__(params, lr, weight_decay)
        self.momentum = _in_unit("momentum", momentum, "SGD")

    def update(self, p: Tensor, g: np.ndarray, state: dict[str, Any]) -> None:
        if self.momentum:
            v = state.get("velocity")
            if v is None:
                v = state["velocity"] = np.array(g, dtype=p.dtype, copy=True)
            else:
                v *= self.momentum
                v += g
            g = v
        p.data -= self.lr * g


class Adam(Optimizer):
    """m ← β₁m + (1-β₁)g, v ← β₂v + (1-β₂)g², p ← p - η m̂/(√v̂ + ε) with m̂ = m/(1-β₁ᵗ), v̂ = v/(1-β₂ᵗ)."""

    def __init__(self, params: Iterable[Tensor], lr: float = 1e-3,
                 betas: tuple[float, float] = (0.9, 0.999), eps: float = 1e-8,
                 weight_decay: float = 0.0):
        super().__init__(params, lr, weight_decay)
        self.betas = (_in_unit("betas[0]", betas[0], "Adam"), _in_unit("betas[1]", betas[1], "Adam"))
        self.eps = _positive("eps", eps, "Adam")

    def update(self, p: Tensor, g: np.ndarray, state: dict[str, Any]) -> None:
        b1, b2 = self.betas
        if not state:
            state.update(t=0, m=np.zeros_like(p.data), v=np.zeros_like(p.data))
        state["t"] += 1
        t, m, v = state["t"], state["m"], state["v"]
        m *= b1
        m += (1 - b1) * g
        v *= b2
        v += (1 - b2) * g * g
        m_hat = m / (1 - b1 ** t)
        v_hat = v / (1 - b2 ** t)
        p.data -= self.lr * m_hat / (np.sqrt(v_hat) + self.eps)


def clip_grad_norm(params: Iterable[Tensor], max_norm: float) -> float:
    """Scale all gradients by min(1, max_norm / ‖g‖) where ‖g‖ is their joint L2 norm; returns ‖g‖."""
    max_norm = _positive("max_norm", max_norm, "clip_grad_norm")
    grads = [p.grad for p in params if p.grad is not None]
    total = float(np.sqrt(sum(float(np.sum(g * g)) for g in grads)))
    if total > max_norm:
        for g in grads:
            g *= max_norm / total
    return total
