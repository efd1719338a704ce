"""The base class of every optimizer, and the checks of the numbers they are given
(also used by `fit` and `clip_grad_norm`).

An update is not an op to differentiate, so it runs under `no_grad()` (the graph never
sees it), through the tensor's own in-place ops (`p.sub_`), so that the tensor's version
counter records it and a graph that saved the old values can tell they changed.
"""
from __future__ import annotations

import math
from collections.abc import Iterable
from typing import Any

import numpy as np

from ..engine import Tensor
from ..errors import OptimizerError


def check_number(name: str, value: Any, where: str) -> float:
    """value as a float, if it is a real number (bools are refused: True is not a rate)."""
    if (isinstance(value, (bool, np.bool_))
            or not isinstance(value, (int, float, np.integer, np.floating))):
        raise OptimizerError(f"{where}: {name} must be a number, got {value!r}")
    return float(value)


def check_positive(name: str, value: Any, where: str) -> float:
    """value as a float, if it is a finite number > 0 (a rate, a tolerance, a norm)."""
    value_f = check_number(name, value, where)
    if not math.isfinite(value_f) or value_f <= 0:
        raise OptimizerError(f"{where}: {name} must be a finite number > 0, got {value!r}")
    return value_f


def check_non_negative(name: str, value: Any, where: str) -> float:
    """value as a float, if it is a finite number >= 0 (a coefficient that 0 turns off)."""
    value_f = check_number(name, value, where)
    if not math.isfinite(value_f) or value_f < 0:
        raise OptimizerError(f"{where}: {name} must be a finite number >= 0 (0 turns it off), "
                             f"got {value!r}")
    return value_f


def check_in_unit(name: str, value: Any, where: str) -> float:
    """value as a float, if it lies in [0, 1) (a decay rate: 1 would never forget)."""
    value_f = check_number(name, value, where)
    if not 0 <= value_f < 1:  # also refuses nan
        raise OptimizerError(f"{where}: {name} must be in [0, 1), got {value!r}")
    return value_f


def param_list(params: Any, where: str) -> list[Tensor]:
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
        self.params = param_list(params, where)
        if not self.params:
            raise OptimizerError(f"{where}: optimizer got an empty parameter list; pass "
                                 "model.parameters() (are all of the model's parameters frozen?)")
        first_at: dict[int, int] = {}
        for k, p in enumerate(self.params):
            if not isinstance(p, Tensor) or not p.requires_grad or not p.is_leaf:
                label = getattr(p, "name", None) or type(p).__name__
                raise OptimizerError(f"{where}: parameter {k} ({label}) "
                                     "must be a leaf Tensor with requires_grad=True")
            if id(p) in first_at:  # it would be updated twice per step
                raise OptimizerError(f"{where}: parameter {k} ({p.name or f'shape {p.shape}'}) is "
                                     f"the same tensor as parameter {first_at[id(p)]}; list each "
                                     "tensor once")
            first_at[id(p)] = k
        self.lr = check_positive("lr (the learning rate)", lr, where)
        self.weight_decay = check_non_negative("weight_decay", weight_decay, where)
        self.state: dict[int, dict[str, Any]] = {id(p): {} for p in self.params}
        self.steps = 0

    def zero_grad(self) -> None:
        for p in self.params:
            p.grad = None

    def step(self) -> None:
        """One update of every parameter that has a gradient (all gradients are checked first,
        so a bad one leaves every parameter as it was)."""
        todo = [(p, g) for p in self.params if (g := p.grad) is not None]
        for p, g in todo:
            if np.shape(g) != p.shape:  # numpy would broadcast it over p without a word
                raise OptimizerError(f"{type(self).__name__}.step: {p.name or 'a parameter'} has "
                                     f"shape {p.shape} but its .grad has shape {np.shape(g)}; "
                                     "set .grad to an array of the parameter's shape")
        self.steps += 1
        for p, g in todo:
            if self.weight_decay:
                g = g + self.weight_decay * p.data  # L2 penalty ½λ‖p‖² adds λp to the gradient
            self.update(p, g, self.state[id(p)])

    def update(self, p: Tensor, g: np.ndarray, state: dict[str, Any]) -> None:
        """Change p in place by this optimizer's rule, given its gradient g (weight decay
        already added) and `state`, p's own dict kept from step to step."""
        raise NotImplementedError

    def __repr__(self) -> str:
        return f"{type(self).__name__}(lr={self.lr}, {len(self.params)} tensors)"
