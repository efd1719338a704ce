"""Stochastic gradient descent, with optional momentum."""
from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import numpy as np

from ..engine import Tensor, no_grad
from .optimizer import Optimizer, check_in_unit


class SGD(Optimizer):
    """p ← p - η g;  with momentum μ: v ← μ v + g, p ← p - η v (v starts at the first g)."""

    def __init__(self, params: Iterable[Tensor], lr: float, momentum: float = 0.0,
                 weight_decay: float = 0.0):
        super().__init__(params, lr, weight_decay)
        self.momentum = check_in_unit("momentum", momentum, "SGD")

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
