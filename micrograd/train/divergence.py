"""The `DivergenceError` that `fit` raises: where training blew up, how, and which op made
nan/inf."""
from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np

from ..engine import Tensor, detect_anomaly
from ..errors import AnomalyError, DivergenceError, MicrogradError
from ..nn.modules import Module
from .history import History

LossFn = Callable[[Tensor, Any], Tensor]

# How far the loss may climb is measured against max(|initial loss|, BLOWUP_FLOOR): a
# loss that starts at (or extremely near) 0 has no size to be a multiple of, and without a
# floor any rounding error above 0 would count as a blow-up.
BLOWUP_FLOOR = 1e-6


def _first_nonfinite_op(model: Module, loss_fn: LossFn, Xb: np.ndarray,
                        yb: np.ndarray) -> str | None:
    """Re-run one step's forward and backward under detect_anomaly(); the first op whose
    output or partial is nan/inf, as AnomalyError describes it (None if all stay finite)."""
    params = model.parameters()
    saved = [p.grad for p in params]
    for p in params:  # backward() accumulates in place: give it fresh grads to write into
        p.grad = None
    try:
        with detect_anomaly():
            loss_fn(model(Tensor(Xb)), yb).backward()
    except AnomalyError as e:
        return str(e)
    except MicrogradError:
        return None
    finally:
        for p, g in zip(params, saved, strict=True):
            p.grad = g
    return None


def divergence(model: Module, loss_fn: LossFn, Xb: np.ndarray, yb: np.ndarray, history: History,
               epoch: int, step: int, steps_per_epoch: int, lrs: list[float], value: float,
               smoothed: float, finite: bool, blowup: float) -> DivergenceError:
    """The DivergenceError for this step: where, how, and (if any) the op that made nan/inf.
    lrs: each param group's learning rate; the error's `lr` is the largest."""
    lr = max(lrs)
    lr_text = (f"learning rate {lr:g}" if all(x == lr for x in lrs) else
               f"learning rates {', '.join(f'{x:g}' for x in lrs)} (one per param group)")
    where = f"epoch {epoch}, step {step} of {steps_per_epoch}"
    if finite:
        L0 = history.initial_loss
        what = (f"the loss grew to {smoothed:.4g} (averaged over about an epoch; this step's is "
                f"{value:.4g}) from the untrained model's {L0:.4g}, a climb of more than "
                f"{blowup - 1:g} x max(|{L0:.4g}|, {BLOWUP_FLOOR:g}) (blowup={blowup:g}; "
                "blowup=float('inf') turns this check off)")
        op = None
    else:
        what = f"the {'loss' if not math.isfinite(value) else 'gradient'} became nan or inf"
        op = _first_nonfinite_op(model, loss_fn, Xb, yb)
        if op:
            what += ("; the first op to produce it (found by re-running the step under "
                     f"detect_anomaly()) was {op}")
    if epoch == 1 and step == 1:  # no update has happened yet: the learning rate is not the cause
        return DivergenceError(
            f"training diverged at {where}, before any update: {what}. Check the loss function, "
            "the model's initial weights and the data", epoch=epoch, step=step, lr=lr, loss=value,
            op=op, history=history)
    message = (f"training diverged at {where} with {lr_text}: {what}. "
               f"Try a smaller learning rate (e.g. lr={lr / 10:g}), gradient clipping "
               "(fit(..., clip_grad=1.0)), an adaptive optimizer such as Adam, or standardized "
               "inputs.")
    return DivergenceError(message, epoch=epoch, step=step, lr=lr, loss=value, op=op,
                           history=history)
