"""Adam, and AdamW (Adam with decoupled weight decay): momentum on the gradient, scaled per
coordinate by a running RMS of the gradient."""
from __future__ import annotations

from typing import Any

import numpy as np

from ..engine import Tensor
from ..errors import OptimizerError
from .optimizer import Optimizer, check_flag, check_in_unit, check_positive


class Adam(Optimizer):
    """m ← β₁m + (1-β₁)g, v ← β₂v + (1-β₂)g², p ← p - η m̂/(√v̂ + ε);  m̂ = m/(1-β₁ᵗ), v̂ = v/(1-β₂ᵗ)

    m̂ and v̂ undo the bias of m and v towards their zero start (t counts this tensor's
    steps). weight_decay λ adds λp to g (L2), or with decoupled_weight_decay=True (AdamW)
    shrinks p ← p(1 - ηλ) instead. amsgrad=True divides by the largest v̂ so far. The same
    update, options and defaults as torch.optim.Adam.
    """

    state_keys = ("step", "exp_avg", "exp_avg_sq", "max_exp_avg_sq")

    def __init__(self, params: Any, lr: float = 1e-3,
                 betas: tuple[float, float] = (0.9, 0.999), eps: float = 1e-8,
                 weight_decay: float = 0.0, amsgrad: bool = False, *, maximize: bool = False,
                 decoupled_weight_decay: bool = False):
        super().__init__(params, dict(lr=lr, betas=betas, eps=eps, weight_decay=weight_decay,
                                      amsgrad=amsgrad, maximize=maximize,
                                      decoupled_weight_decay=decoupled_weight_decay))

    def check_options(self, options: dict[str, Any], where: str) -> None:
        betas: Any = options.get("betas")
        if isinstance(betas, (str, bytes)) or not hasattr(betas, "__len__") or len(betas) != 2:
            raise OptimizerError(f"{where}: betas must be a pair (beta1, beta2) such as "
                                 f"(0.9, 0.999), got {betas!r}")
        options["betas"] = (check_in_unit("betas[0]", betas[0], where),
                            check_in_unit("betas[1]", betas[1], where))
        options["eps"] = check_positive("eps", options.get("eps"), where)
        options["amsgrad"] = check_flag("amsgrad", options.get("amsgrad"), where)
        options["decoupled_weight_decay"] = check_flag(
            "decoupled_weight_decay", options.get("decoupled_weight_decay"), where)

    def required_state(self, group: dict[str, Any]) -> tuple[str, ...]:
        return self.state_keys if group["amsgrad"] else self.state_keys[:3]

    def update(self, p: Tensor, g: np.ndarray, state: dict[str, Any],
               group: dict[str, Any]) -> None:
        lr, (b1, b2), weight_decay = group["lr"], group["betas"], group["weight_decay"]
        if not state:
            state.update(step=0, exp_avg=np.zeros_like(p.data), exp_avg_sq=np.zeros_like(p.data))
            if group["amsgrad"]:
                state["max_exp_avg_sq"] = np.zeros_like(p.data)
        state["step"] += 1
        t, m, v = state["step"], state["exp_avg"], state["exp_avg_sq"]
        if weight_decay and group["decoupled_weight_decay"]:
            p.mul_(1 - lr * weight_decay)  # AdamW: shrink p, outside the moments
        elif weight_decay:
            g = g + weight_decay * p.data  # L2 penalty ½λ‖p‖² adds λp to the gradient
        m += (1 - b1) * (g - m)  # = β₁m + (1-β₁)g, written as PyTorch's lerp computes it
        v *= b2
        v += (1 - b2) * g * g
        if group["amsgrad"]:
            v = np.maximum(state["max_exp_avg_sq"], v, out=state["max_exp_avg_sq"])
        step_size = lr / (1 - b1 ** t)  # η / (1-β₁ᵗ): m̂'s correction folded into the step
        denom = np.sqrt(v) / (1 - b2 ** t) ** 0.5 + group["eps"]  # √v̂ + ε
        p.sub_(step_size * (m / denom))


class AdamW(Adam):
    """Adam with decoupled weight decay (Loshchilov & Hutter): p ← p(1 - ηλ), then the Adam
    step on the plain gradient, so the decay is not rescaled by √v̂. torch.optim.AdamW's
    options and defaults (weight_decay=1e-2)."""

    def __init__(self, params: Any, lr: float = 1e-3,
                 betas: tuple[float, float] = (0.9, 0.999), eps: float = 1e-8,
                 weight_decay: float = 1e-2, amsgrad: bool = False, *, maximize: bool = False):
        super().__init__(params, lr, betas, eps, weight_decay, amsgrad, maximize=maximize,
                         decoupled_weight_decay=True)

    def check_options(self, options: dict[str, Any], where: str) -> None:
        super().check_options(options, where)
        if not options["decoupled_weight_decay"]:  # e.g. in a state dict saved from Adam
            raise OptimizerError(f"{where}: AdamW always decouples its weight decay; for L2 "
                                 "weight decay use Adam")
