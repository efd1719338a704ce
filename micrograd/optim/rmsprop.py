"""RMSprop: each coordinate's step divided by a running RMS of its gradient."""
from __future__ import annotations

from typing import Any

import numpy as np

from ..engine import Tensor
from .optimizer import Optimizer, check_flag, check_in_unit, check_positive


class RMSprop(Optimizer):
    """s ← αs + (1-α)g², p ← p - η g/(√s + ε);  centered: also ḡ ← αḡ + (1-α)g and √(s - ḡ²)
    in place of √s;  with momentum μ: b ← μb + g/(√s + ε), p ← p - η b.

    g includes weight decay λp when weight_decay = λ > 0. The same update, options and
    defaults as torch.optim.RMSprop (lr=1e-2, alpha=0.99, eps=1e-8).
    """

    state_keys = ("step", "square_avg", "momentum_buffer", "grad_avg")

    def __init__(self, params: Any, lr: float = 1e-2, alpha: float = 0.99, eps: float = 1e-8,
                 weight_decay: float = 0.0, momentum: float = 0.0, centered: bool = False, *,
                 maximize: bool = False):
        super().__init__(params, dict(lr=lr, momentum=momentum, alpha=alpha, eps=eps,
                                      centered=centered, weight_decay=weight_decay,
                                      maximize=maximize))

    def check_options(self, options: dict[str, Any], where: str) -> None:
        options["alpha"] = check_in_unit("alpha", options.get("alpha"), where)
        options["eps"] = check_positive("eps", options.get("eps"), where)
        options["momentum"] = check_in_unit("momentum", options.get("momentum"), where)
        options["centered"] = check_flag("centered", options.get("centered"), where)

    def required_state(self, group: dict[str, Any]) -> tuple[str, ...]:
        return (("step", "square_avg") + (("momentum_buffer",) if group["momentum"] else ())
                + (("grad_avg",) if group["centered"] else ()))

    def update(self, p: Tensor, g: np.ndarray, state: dict[str, Any],
               group: dict[str, Any]) -> None:
        lr, alpha, momentum = group["lr"], group["alpha"], group["momentum"]
        if not state:
            state.update(step=0, square_avg=np.zeros_like(p.data))
            if momentum:
                state["momentum_buffer"] = np.zeros_like(p.data)
            if group["centered"]:
                state["grad_avg"] = np.zeros_like(p.data)
        state["step"] += 1
        if group["weight_decay"]:
            g = g + group["weight_decay"] * p.data  # L2 penalty ½λ‖p‖² adds λp to the gradient
        s = state["square_avg"]
        s *= alpha
        s += (1 - alpha) * g * g
        if group["centered"]:
            g_avg = state["grad_avg"]
            g_avg += (1 - alpha) * (g - g_avg)  # = αḡ + (1-α)g, as PyTorch's lerp computes it
            avg = np.sqrt(s - g_avg * g_avg)  # the running variance's square root
        else:
            avg = np.sqrt(s)
        avg += group["eps"]
        if momentum:
            buf = state["momentum_buffer"]
            buf *= momentum
            buf += g / avg
            g_step = buf
        else:
            g_step = g / avg
        p.sub_(lr * g_step)
