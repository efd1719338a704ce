"""Loss modules, PyTorch's: each holds its options and calls the function of the same name in
`functional`, where the math is. `weight` and `pos_weight` are buffers, so they appear in
state_dict() exactly when PyTorch's do (when given).
"""
from __future__ import annotations

from typing import Any

from ..engine import Tensor
from . import functional as F
from .modules import Module

__all__ = ["CrossEntropyLoss", "NLLLoss", "MSELoss", "L1Loss", "BCELoss", "BCEWithLogitsLoss"]


def _buffer(value: Any) -> Tensor | None:
    if value is None or isinstance(value, Tensor):
        return value
    return F._t(value)


class _Loss(Module):
    weight: Tensor | None
    pos_weight: Tensor | None

    def __init__(self, reduction: str = "mean"):
        F._check_reduction(reduction, type(self).__name__)
        self.reduction = reduction

    def extra_repr(self) -> str:
        return f"reduction={self.reduction!r}"


class CrossEntropyLoss(_Loss):
    """l = -Σ_c w_c y_c log softmax(x)_c per row; targets are class indices or probability rows."""

    def __init__(self, weight: Any = None, *, ignore_index: int = -100, reduction: str = "mean"):
        super().__init__(reduction)
        self.register_buffer("weight", _buffer(weight))
        self.ignore_index = ignore_index

    def forward(self, input: Any, target: Any) -> Tensor:
        return F.cross_entropy(input, target, self.weight, ignore_index=self.ignore_index,
                               reduction=self.reduction)


class NLLLoss(_Loss):
    """l = -w_y · x[y] per row, x holding log-probabilities (from LogSoftmax)."""

    def __init__(self, weight: Any = None, *, ignore_index: int = -100, reduction: str = "mean"):
        super().__init__(reduction)
        self.register_buffer("weight", _buffer(weight))
        self.ignore_index = ignore_index

    def forward(self, input: Any, target: Any) -> Tensor:
        return F.nll_loss(input, target, self.weight, ignore_index=self.ignore_index,
                          reduction=self.reduction)


class MSELoss(_Loss):
    """l = (x - y)² per entry; the target has the input's exact shape."""

    def __init__(self, *, reduction: str = "mean"):
        super().__init__(reduction)

    def forward(self, input: Any, target: Any) -> Tensor:
        return F.mse_loss(input, target, reduction=self.reduction)


class L1Loss(_Loss):
    """l = |x - y| per entry; the target has the input's exact shape."""

    def __init__(self, *, reduction: str = "mean"):
        super().__init__(reduction)

    def forward(self, input: Any, target: Any) -> Tensor:
        return F.l1_loss(input, target, reduction=self.reduction)


class BCELoss(_Loss):
    """l = -w (y log p + (1 - y) log(1 - p)) per entry, logs clamped to >= -100; p in [0, 1]."""

    def __init__(self, weight: Any = None, *, reduction: str = "mean"):
        super().__init__(reduction)
        self.register_buffer("weight", _buffer(weight))

    def forward(self, input: Any, target: Any) -> Tensor:
        return F.binary_cross_entropy(input, target, self.weight, reduction=self.reduction)


class BCEWithLogitsLoss(_Loss):
    """l = -w (pos_weight·y log σ(x) + (1 - y) log(1 - σ(x))) per entry, computed stably."""

    def __init__(self, weight: Any = None, *, reduction: str = "mean", pos_weight: Any = None):
        super().__init__(reduction)
        self.register_buffer("weight", _buffer(weight))
        self.register_buffer("pos_weight", _buffer(pos_weight))

    def forward(self, input: Any, target: Any) -> Tensor:
        return F.binary_cross_entropy_with_logits(input, target, self.weight,
                                                  reduction=self.reduction,
                                                  pos_weight=self.pos_weight)
