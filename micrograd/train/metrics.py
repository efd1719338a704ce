"""Which metric `fit` and `evaluate` measure besides the loss.

metric='accuracy' (the fraction of rows whose largest output is the target class), None
(the loss only), or a callable metric(outputs, targets) -> float. The default, 'auto',
is 'accuracy' when the loss is a classification loss, F.cross_entropy or F.nll_loss (or
nn.CrossEntropyLoss / nn.NLLLoss, or a functools.partial of one), and None for any other
loss (mse_loss, l1_loss, your own): accuracy means nothing for a regression, and for a
loss of your own only you know; pass metric='accuracy' to measure it anyway.
"""
from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

from ..errors import ArgumentError
from ..nn import functional as F

Metric = Callable[[Any, Any], float]
METRICS: dict[str, Metric] = {"accuracy": F.accuracy}
_CLASSIFICATION_FUNCTIONS = ("cross_entropy", "nll_loss")
_CLASSIFICATION_MODULES = ("CrossEntropyLoss", "NLLLoss")


def is_classification_loss(loss_fn: Any) -> bool:
    """True for cross-entropy and negative log-likelihood, as functions or modules."""
    from .. import nn  # nn's loss modules, looked up when asked (they may be added later)

    while isinstance(loss_fn, functools.partial):
        loss_fn = loss_fn.func
    functions = [getattr(F, name, None) for name in _CLASSIFICATION_FUNCTIONS]
    modules = tuple(c for name in _CLASSIFICATION_MODULES
                    if isinstance(c := getattr(nn, name, None), type))
    return any(loss_fn is f for f in functions if f is not None) or isinstance(loss_fn, modules)


def resolve_metric(metric: Any, loss_fn: Any, where: str) -> tuple[str | None, Metric | None]:
    """(the metric's name, the function) for fit's or evaluate's `metric` (None, None: none)."""
    if isinstance(metric, str):
        if metric == "auto":
            metric = "accuracy" if is_classification_loss(loss_fn) else None
        elif metric not in METRICS:
            raise ArgumentError(f"{where}: metric must be 'auto', 'accuracy', None or a function "
                                f"metric(outputs, targets) -> float, got {metric!r}")
    if metric is None:
        return None, None
    if isinstance(metric, str):
        return metric, METRICS[metric]
    if not callable(metric):
        raise ArgumentError(f"{where}: metric must be 'auto', 'accuracy', None or a function "
                            f"metric(outputs, targets) -> float, got a {type(metric).__name__}")
    name = getattr(metric, "__name__", type(metric).__name__)
    return ("metric" if name == "<lambda>" else name), metric
