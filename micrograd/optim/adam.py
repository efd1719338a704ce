"""Adam: momentum on the gradient, scaled per coordinate by a running RMS of the gradient."""
from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import numpy as np

from ..engine import Tensor, no_grad
from ..errors import OptimizerError
from .optimizer import Optimizer, check_in_unit, check_positive


class Adam(Optimizer):
    """m ← β₁m + (1-β₁)g, v ← β₂v + (1-β₂)g², p ← p - η m̂/(√v̂ + ε);  m̂ = m/(1-β₁ᵗ), v̂ = v/(1-β₂ᵗ)

    m̂ and v̂ undo the bias of m and v towards their zero start (t counts this tensor's steps).
    """

    def __init__(self, params: Iterable[Tensor], lr: float = 1e-3,
                 betas: tuple[float, float] = (0.9, 0.999), eps: float = 1e-8,
                 weight_decay: float = 0.0):
        super().__init__(params, lr, weight_decay)
        if isinstance(betas, (str, bytes)) or not hasattr(betas, "__len__") or len(betas) != 2:
            raise OptimizerError("Adam: betas must be a pair (beta1, beta2) such as (0.9, 0.999), "
                                 f"got {betas!r}")
        self.betas = (check_in_unit("betas[0]", betas[0], "Adam"),
                      check_in_unit("betas[1]", betas[1], "Adam"))
        self.eps = check_positive("eps", eps, "Adam")

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
