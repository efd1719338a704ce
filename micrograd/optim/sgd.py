"""Stochastic gradient descent, with optional momentum (heavy-ball or Nesterov) and dampening."""
from __future__ import annotations

from typing import Any

import numpy as np

from ..engine import Tensor
from ..errors import OptimizerError
from .optimizer import Optimizer, check_flag, check_in_unit


class SGD(Optimizer):
    """p ← p - η g;  with momentum μ: b ← μ b + (1-τ) g (b starts at the first g),
    p ← p - η b, or with nesterov=True p ← p - η (g + μ b).

    g includes weight decay λp when weight_decay = λ > 0; τ is the dampening. The same
    update, options and defaults as torch.optim.SGD.
    """

    state_keys = ("momentum_buffer",)

    def __init__(self, params: Any, lr: float = 1e-3, momentum: float = 0.0,
                 dampening: float = 0.0, weight_decay: float = 0.0, nesterov: bool = False, *,
                 maximize: bool = False):
        super().__init__(params, dict(lr=lr, momentum=momentum, dampening=dampening,
                                      weight_decay=weight_decay, nesterov=nesterov,
                                      maximize=maximize))

    def check_options(self, options: dict[str, Any], where: str) -> None:
        options["momentum"] = check_in_unit("momentum", options.get("momentum"), where)
        options["dampening"] = check_in_unit("dampening", options.get("dampening"), where)
        options["nesterov"] = check_flag("nesterov", options.get("nesterov"), where)
        if options["nesterov"] and (options["momentum"] == 0 or options["dampening"] != 0):
            raise OptimizerError(f"{where}: Nesterov momentum requires a momentum > 0 and zero "
                                 f"dampening, got momentum={options['momentum']}, "
                                 f"dampening={options['dampening']}")

    def required_state(self, group: dict[str, Any]) -> tuple[str, ...]:
        return ("momentum_buffer",) if group["momentum"] else ()

    def update(self, p: Tensor, g: np.ndarray, state: dict[str, Any],
               group: dict[str, Any]) -> None:
        lr, momentum, weight_decay = group["lr"], group["momentum"], group["weight_decay"]
        if weight_decay:
            g = g + weight_decay * p.data  # L2 penalty ½λ‖p‖² adds λp to the gradient
        if momentum:
            buf = state.get("momentum_buffer")
            if buf is None:  # a copy: the buffer must not change when someone edits p.grad
                buf = state["momentum_buffer"] = np.array(g, dtype=p.dtype, copy=True)
            else:
                buf *= momentum
                buf += (1 - group["dampening"]) * g
            g = g + momentum * buf if group["nesterov"] else buf
        p.sub_(lr * g)
