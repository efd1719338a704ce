"""Gradient clipping by the joint norm of all gradients, as torch.nn.utils.clip_grad_norm_."""
from __future__ import annotations

import math
from typing import Any

import numpy as np

from ..engine import Tensor, no_grad
from ..errors import OptimizerError
from .optimizer import check_flag, check_number, check_positive, param_list


def clip_grad_norm_(parameters: Any, max_norm: float, norm_type: float = 2.0,
                    error_if_nonfinite: bool = False) -> np.float64:
    """Scale all gradients in place by min(1, max_norm / (‖g‖ + 1e-6)), ‖g‖ being the
    `norm_type`-norm of all of them together (as one long vector); returns ‖g‖.

    parameters: an iterable of Tensors, a Module, or a single Tensor; tensors without a
    gradient are skipped. norm_type: any p > 0, or float('inf') for the largest |gᵢ|.
    The total is returned as a numpy float64 (`.item()`, `float()` and f-strings work on
    it, as on the 0-d tensor PyTorch returns). A nan or inf total scales the gradients to
    nan, as in PyTorch, unless error_if_nonfinite=True, which raises OptimizerError instead.
    """
    where = "clip_grad_norm_"
    max_norm = check_positive("max_norm", max_norm, where)
    norm_type = check_number("norm_type", norm_type, where)
    if not norm_type > 0:  # inf is allowed; nan is not
        raise OptimizerError(f"{where}: norm_type must be a number > 0 or float('inf'), "
                             f"got {norm_type!r}")
    error_if_nonfinite = check_flag("error_if_nonfinite", error_if_nonfinite, where)
    params = [parameters] if isinstance(parameters, Tensor) else param_list(parameters, where)
    for k, p in enumerate(params):
        if not isinstance(p, Tensor):
            raise OptimizerError(f"{where}: item {k} is a {type(p).__name__}, not a Tensor")
    grads = [p.grad for p in params if p.grad is not None]
    if not grads:
        return np.float64(0.0)
    # The norm of the per-tensor norms is the norm of all entries together.
    values = [np.asarray(g) for g in grads]  # a recorded .grad (create_graph) is a tensor
    norms = [np.linalg.norm(a.ravel(), ord=norm_type) for a in values]  # empty: 0.0
    total = np.float64(np.linalg.norm(np.asarray(norms, dtype=np.float64), ord=norm_type))
    if error_if_nonfinite and not math.isfinite(total):
        raise OptimizerError(f"{where}: the total norm of order {norm_type:g} of the gradients "
                             f"is {total}, so they cannot be clipped; find where the nan/inf "
                             "comes from (micrograd.detect_anomaly())")
    coef = max_norm / (total + 1e-6)
    if not coef >= 1.0:  # under the bound: left alone; a nan total makes every gradient nan
        with no_grad():  # a recorded .grad (create_graph) is scaled, not differentiated
            for g in grads:
                g *= coef
    return total


clip_grad_norm = clip_grad_norm_  # the older name, kept as an alias (as PyTorch keeps its own)
