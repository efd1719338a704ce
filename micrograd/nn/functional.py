"""Losses and helpers on logits: cross-entropy (fused), squared error, softmax, accuracy.

Cross-entropy is one fused op rather than `-log(softmax(z))[y]` built from parts, for
two reasons. Stability: softmax can round a probability to exactly 0, and log(0) = -inf
then turns into nan in the backward pass (this is how the lab's run blew up); the
fused form works with log-softmax, z - max z - log Σ e^(z - max z), which stays finite.
Speed: the whole backward is one line, softmax(z) - onehot(y) (the lab's Q15), instead
of a chain of exp, sum, divide, log and indexing ops each with its own partial.
"""
from __future__ import annotations

from typing import Any

import numpy as np

from ..data import DataError
from ..engine import Function, ShapeError, Tensor
from ..ops import LogSoftmax, Softmax

__all__ = ["CrossEntropy", "cross_entropy", "mse_loss", "softmax", "log_softmax", "accuracy",
           "one_hot", "target_matrix"]

_REDUCTIONS = ("mean", "sum", "none")


def one_hot(labels: Any, classes: int, dtype: Any = np.float64) -> np.ndarray:
    """Y[i, labels[i]] = 1, zeros elsewhere; labels must lie in [0, classes)."""
    labels = check_labels(labels, classes, "one_hot")
    out = np.zeros((len(labels), classes), dtype=dtype)
    out[np.arange(len(labels)), labels] = 1
    return out


def check_labels(labels: Any, classes: int, where: str) -> np.ndarray:
    """labels as a 1-D int64 array, or DataError naming the first bad label."""
    labels = np.asarray(labels.data if isinstance(labels, Tensor) else labels)
    if labels.ndim != 1:
        raise DataError(f"{where}: labels must be a 1-D array of class indices, got shape {labels.shape}")
    if labels.dtype.kind == "f":
        if not np.all(np.isfinite(labels)) or not np.all(labels == np.round(labels)):
            raise DataError(f"{where}: labels must be whole numbers (class indices), got {labels[:5]}...")
    elif labels.dtype.kind not in "iub":
        raise DataError(f"{where}: labels must be integers, got dtype {labels.dtype}")
    labels = labels.astype(np.int64)
    bad = np.flatnonzero((labels < 0) | (labels >= classes))
    if bad.size:
        k = int(bad[0])
        raise DataError(
            f"{where}: labels must be in [0, {classes}) for {classes} classes, but label "
            f"{int(labels[k])} is at index {k} ({bad.size} bad label(s); values seen: "
            f"min {int(labels.min())}, max {int(labels.max())})")
    return labels


def target_matrix(targets: Any, n: int, classes: int, where: str) -> np.ndarray:
    """Targets as an (n, classes) float matrix: integer labels become one-hot rows."""
    t = np.asarray(targets.data if isinstance(targets, Tensor) else targets)
    if t.ndim == 2:
        if t.shape != (n, classes):
            raise DataError(f"{where}: target rows have shape {t.shape}, the logits ({n}, {classes})")
        return t.astype(np.float64)
    labels = check_labels(t, classes, where)
    if len(labels) != n:
        raise DataError(f"{where}: {n} rows of logits but {len(labels)} labels")
    return np.eye(classes)[labels]


class CrossEntropy(Function):
    """l = -Σᵢ yᵢ log softmax(z)ᵢ per row;  ∂l/∂z = softmax(z)·Σy - y  (= ŷ - y for one-hot y)"""
    name = "cross_entropy"

    def forward(self, z, targets, reduction="mean"):
        self.reduction = reduction
        shifted = z - z.max(axis=1, keepdims=True)
        e = np.exp(shifted)
        s = e.sum(axis=1, keepdims=True)
        log_p = shifted - np.log(s)
        per_row = -(targets * log_p).sum(axis=1)
        # ŷ Σy - y: the softmax minus the one-hot row when the targets sum to 1 (lab Q15).
        self.dz = (e / s) * targets.sum(axis=1, keepdims=True) - targets
        if reduction == "mean":
            self.dz = self.dz / len(z)
            return per_row.mean()
        return per_row.sum() if reduction == "sum" else per_row

    def backward(self, g, i):
        return g[:, None] * self.dz if self.reduction == "none" else g * self.dz

    def jvp(self, t, i):
        per_row = (self.dz * t).sum(axis=1)
        return per_row if self.reduction == "none" else per_row.sum()


def cross_entropy(logits: Tensor, targets: Any, reduction: str = "mean") -> Tensor:
    """Mean (or sum) over rows of -log softmax(logits)[target]; targets are labels or one-hot rows."""
    if reduction not in _REDUCTIONS:
        raise ValueError(f"cross_entropy: reduction must be one of {_REDUCTIONS}, got {reduction!r}")
    logits = logits if isinstance(logits, Tensor) else Tensor(logits)
    if logits.ndim == 1:  # one sample
        logits = logits.reshape(1, -1)
        t = np.asarray(targets.data if isinstance(targets, Tensor) else targets)
        targets = t.reshape(1, -1) if t.ndim == 1 and t.size > 1 else t.reshape(1)
    if logits.ndim != 2:
        raise ShapeError(f"cross_entropy: logits must be (n, classes), got shape {logits.shape}")
    n, classes = logits.shape
    Y = target_matrix(targets, n, classes, "cross_entropy").astype(logits.dtype, copy=False)
    return CrossEntropy.apply(logits, targets=Y, reduction=reduction)


def mse_loss(pred: Tensor, target: Any, reduction: str = "mean") -> Tensor:
    """Mean (or sum) of (pred - target)²; integer labels against (n, C) predictions become one-hot."""
    if reduction not in _REDUCTIONS:
        raise ValueError(f"mse_loss: reduction must be one of {_REDUCTIONS}, got {reduction!r}")
    pred = pred if isinstance(pred, Tensor) else Tensor(pred)
    t = np.asarray(target.data if isinstance(target, Tensor) else target)
    if pred.ndim == 2 and t.ndim == 1 and t.dtype.kind in "iub":
        t = one_hot(t, pred.shape[1])
    if t.shape != pred.shape:
        raise ShapeError(f"mse_loss: predictions have shape {pred.shape}, targets {t.shape}")
    sq = (pred - Tensor(t.astype(pred.dtype))) ** 2
    if reduction == "none":
        return sq
    return sq.mean() if reduction == "mean" else sq.sum()


def softmax(x: Any, axis: int = -1) -> Tensor:
    """ŷᵢ = e^xᵢ / Σⱼ e^xⱼ along axis."""
    return Softmax.apply(x if isinstance(x, Tensor) else Tensor(x), axis=axis)


def log_softmax(x: Any, axis: int = -1) -> Tensor:
    """log ŷᵢ = xᵢ - log Σⱼ e^xⱼ along axis."""
    return LogSoftmax.apply(x if isinstance(x, Tensor) else Tensor(x), axis=axis)


def accuracy(logits: Any, targets: Any) -> float:
    """Fraction of rows whose largest logit is at the target class (labels or one-hot rows)."""
    z = np.asarray(logits.data if isinstance(logits, Tensor) else logits)
    t = np.asarray(targets.data if isinstance(targets, Tensor) else targets)
    if t.ndim == 2:
        t = t.argmax(axis=1)
    if len(t) != len(z):
        raise DataError(f"accuracy: {len(z)} rows of logits but {len(t)} targets")
    return float(np.mean(z.argmax(axis=-1) == t)) if len(t) else float("nan")
