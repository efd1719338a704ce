"""Optimizers: they read each parameter's `.grad` and update the parameter in place.

An update is not an op to differentiate, so it runs under `no_grad()` (the graph never
sees it), through the tensor's own in-place ops (`p.sub_`), so that the tensor's version
counter records it and a graph that saved the old values can tell they changed.
"""
from __future__ import annotations

import math
from typing import Any, Iterable

import numpy as np

from .engine import Tensor, no_grad
from .errors import OptimizerError

__all__ = ["Optimizer", "SGD", "Adam", "OptimizerError", "clip_grad_norm"]


def _number(name: str, value: Any, where: str) -> float:
    """value as a float, if it is a real number (bools are refused: True is not a rate)."""
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, float, np.integer, np.floating)):
        raise OptimizerError(f"{where}: {name} must be a number, got {value!r}")
    return float(value)


def _positive(name: str, value: Any, where: str) -> float:
    value_f = _number(name, value, where)
    if not math.isfinite(value_f) or value_f <= 0:
        raise OptimizerError(f"{where}: {name} must be a finite number > 0, got {value!r}")
    return value_f


def _non_negative(name: str, value: Any, where: str) -> float:
    value_f = _number(name, value, where)
    if not math.isfinite(value_f) or value_f < 0:
        raise OptimizerError(f"{where}: {name} must be a finite number >= 0 (0 turns it off), got {value!r}")
    return value_f


def _in_unit(name: str, value: Any, where: str) -> float:
    value_f = _number(name, value, where)
    if not 0 <= value_f < 1:  # also refuses nan
        raise OptimizerError(f"{where}: {name} must be in [0, 1), got {value!r}")
    return value_f


def _param_list(params: Any, where: str) -> list[Tensor]:
    """params (a Module, or an iterable of Tensors) as a list, refusing a single Tensor."""
    if isinstance(params, Tensor):  # iterating it would give its rows, not the tensor
        raise OptimizerError(f"{where}: params must be an iterable of Tensors or a Module, got a "
                             f"single Tensor of shape {params.shape}; pass [tensor]")
    if hasattr(params, "parameters"):  # a Module was passed
        params = params.parameters()
    try:
        return list(params)
    except TypeError:
        raise OptimizerError(f"{where}: params must be an iterable of Tensors or a Module, "
                             f"got {params!r}; pass model.parameters()") from None


class Optimizer:
    """Holds the parameters; subclasses define `update(p, g, state)` for one tensor."""

    def __init__(self, params: Iterable[Tensor], lr: float, weight_decay: float = 0.0):
        where = type(self).__name__
        self.params = _param_list(params, where)
        if not self.params:
            raise OptimizerError(f"{where}: optimizer got an empty parameter list; pass model.parameters() "
                                 "(are all of the model's parameters frozen?)")
        first_at: dict[int, int] = {}
        for k, p in enumerate(self.params):
            if not isinstance(p, Tensor) or not p.requires_grad or not p.is_leaf:
                raise OptimizerError(f"{where}: parameter {k} ({getattr(p, 'name', None) or type(p).__name__}) "
                                     "must be a leaf Tensor with requires_grad=True")
            if id(p) in first_at:  # it would be updated twice per step
                raise OptimizerError(f"{where}: parameter {k} ({p.name or f'shape {p.shape}'}) is the same "
                                     f"tensor as parameter {first_at[id(p)]}; list each tensor once")
            first_at[id(p)] = k
        self.lr = _positive("lr (the learning rate)", lr, where)
        self.weight_decay = _non_negative("weight_decay", weight_decay, where)
        self.state: dict[int, dict[str, Any]] = {id(p): {} for p in self.params}
        self.steps = 0

    def zero_grad(self) -> None:
        for p in self.params:
            p.grad = None

    def step(self) -> None:
        """One update of every parameter that has a gradient (all gradients are checked first,
        so a bad one leaves every parameter as it was)."""
        todo = [p for p in self.params if p.grad is not None]
        for p in todo:
            if np.shape(p.grad) != p.shape:  # numpy would broadcast it over p without a word
                raise OptimizerError(f"{type(self).__name__}.step: {p.name or 'a parameter'} has shape "
                                     f"{p.shape} but its .grad has shape {np.shape(p.grad)}; set .grad to "
                                     "an array of the parameter's shape")
        self.steps += 1
        for p in todo:
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
            if v is None:  # a copy: the buffer must not change when someone edits p.grad
                v = state["velocity"] = np.array(g, dtype=p.dtype, copy=True)
            else:
                v *= self.momentum
                v += g
            g = v
        with no_grad():
            p.sub_(self.lr * g)


class Adam(Optimizer):
    """m ← β₁m + (1-β₁)g, v ← β₂v + (1-β₂)g², p ← p - η m̂/(√v̂ + ε) with m̂ = m/(1-β₁ᵗ), v̂ = v/(1-β₂ᵗ)."""

    def __init__(self, params: Iterable[Tensor], lr: float = 1e-3,
                 betas: tuple[float, float] = (0.9, 0.999), eps: float = 1e-8,
                 weight_decay: float = 0.0):
        super().__init__(params, lr, weight_decay)
        if isinstance(betas, (str, bytes)) or not hasattr(betas, "__len__") or len(betas) != 2:
            raise OptimizerError(f"Adam: betas must be a pair (beta1, beta2) such as (0.9, 0.999), got {betas!r}")
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
        with no_grad():
            p.sub_(self.lr * m_hat / (np.sqrt(v_hat) + self.eps))


def clip_grad_norm(params: Iterable[Tensor] | Tensor, max_norm: float) -> float:
    """Scale all gradients by min(1, max_norm / ‖g‖) where ‖g‖ is their joint L2 norm; returns ‖g‖.

    params: an iterable of Tensors, a Module, or (as in PyTorch) a single Tensor.
    """
    max_norm = _positive("max_norm", max_norm, "clip_grad_norm")
    params = [params] if isinstance(params, Tensor) else _param_list(params, "clip_grad_norm")
    for k, p in enumerate(params):
        if not isinstance(p, Tensor):
            raise OptimizerError(f"clip_grad_norm: item {k} is a {type(p).__name__}, not a Tensor")
    grads = [p.grad for p in params if p.grad is not None]
    total = float(np.sqrt(sum(float(np.sum(g * g)) for g in grads)))
    if total > max_norm:
        for g in grads:
            g *= max_norm / total
    return total
