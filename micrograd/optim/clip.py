"""Gradient clipping by the joint L2 norm of all gradients, as in torch.nn.utils.clip_grad_norm_."""
from __future__ import annotations

from collections.abc import Iterable

import numpy as np

from ..engine import Tensor
from ..errors import OptimizerError
from .optimizer import check_positive, param_list


def clip_grad_norm(params: Iterable[Tensor] | Tensor, max_norm: float) -> float:
    """Scale all gradients by min(1, max_norm / ‖g‖) where ‖g‖ is their joint L2 norm; returns ‖g‖.

    params: an iterable of Tensors, a Module, or (as in PyTorch) a single Tensor.
    """
    max_norm = check_positive("max_norm", max_norm, "clip_grad_norm")
    params = [params] if isinstance(params, Tensor) else param_list(params, "clip_grad_norm")
    for k, p in enumerate(params):
        if not isinstance(p, Tensor):
            raise OptimizerError(f"clip_grad_norm: item {k} is a {type(p).__name__}, not a Tensor")
    grads = [p.grad for p in params if p.grad is not None]
    total = float(np.sqrt(sum(float(np.sum(g * g)) for g in grads)))
    if total > max_norm:
        for g in grads:
            g *= max_norm / total
    return total
