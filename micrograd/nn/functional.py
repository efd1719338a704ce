"""The affine map of a layer (fused), and losses and helpers on logits: cross-entropy
(fused), squared error, softmax, accuracy.

`linear` is one op rather than `x @ W.T + b` built from three, for speed: a layer's
forward and backward then cost one dispatch instead of three, and ∂L/∂W = gᵀx comes
out in W's own (out, in) layout instead of as a transposed view of xᵀg, which the
optimiser would then read with strides. On an MNIST-sized MLP step this is about 1.05x
the time of hand-written numpy against 1.28x (benchmarks/bench_engine.py).

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

from ..engine import Tensor
from ..errors import ArgumentError, DataError, ShapeError
from ..ops import FusedLinear, SoftmaxCrossEntropy, log_softmax, softmax

__all__ = ["linear", "cross_entropy", "mse_loss", "softmax", "log_softmax", "accuracy",
           "one_hot", "target_matrix", "ArgumentError"]

_REDUCTIONS = ("mean", "sum", "none")


def one_hot(labels: Any, classes: int, dtype: Any = np.float64) -> np.ndarray:
    """Y[i, labels[i]] = 1, zeros elsewhere; labels must lie in [0, classes)."""
    labels = check_labels(labels, classes, "one_hot")
    out = np.zeros((len(labels), classes), dtype=dtype)
    out[np.arange(len(labels)), labels] = 1
    return out


def check_labels(labels: Any, classes: int, where: str) -> np.ndarray:
    """labels as a 1-D int64 array, or DataError naming the first bad label as it was given."""
    labels = np.asarray(labels.data if isinstance(labels, Tensor) else labels)
    if labels.ndim != 1:
        raise DataError(f"{where}: labels must be a 1-D array of class indices, "
                        f"got shape {labels.shape}")
    kind = labels.dtype.kind
    if kind == "f":
        whole = np.isfinite(labels) & (labels == np.round(labels))
        if not whole.all():
            k = int(np.flatnonzero(~whole)[0])
            raise DataError(f"{where}: labels must be whole numbers (class indices), but label "
                            f"{labels[k].item()!r} is at index {k}; pass integer class indices")
    elif kind not in "iub":
        raise DataError(f"{where}: labels must be integers, got dtype {labels.dtype}")
    # The range check runs in the labels' own dtype, before any cast to int64 could wrap a
    # huge value (1e20, or a uint64 above 2⁶³) into a small or negative one. For int64 labels,
    # read as unsigned, a negative label wraps to a huge value, so one max finds labels off
    # either end; the costlier search for the culprit runs only on failure.
    if not labels.size:
        out_of_range = False
    elif labels.dtype == np.int64:
        out_of_range = labels.view(np.uint64).max() >= classes
    else:
        out_of_range = labels.min() < 0 or labels.max() >= classes
    if out_of_range:
        bad = np.flatnonzero((labels < 0) | (labels >= classes))
        k = int(bad[0])
        raise DataError(
            f"{where}: labels must be in [0, {classes}) for {classes} classes, but label "
            f"{labels[k].item()!r} is at index {k} ({bad.size} bad label(s); values seen: "
            f"min {labels.min().item()!r}, max {labels.max().item()!r})")
    return labels.astype(np.int64, copy=False)


def target_matrix(targets: Any, n: int, classes: int, where: str) -> np.ndarray:
    """Targets as an (n, classes) float matrix: integer labels become one-hot rows."""
    t = np.asarray(targets.data if isinstance(targets, Tensor) else targets)
    if t.ndim == 2:
        if t.shape != (n, classes):
            raise DataError(f"{where}: target rows have shape {t.shape}, "
                            f"the logits ({n}, {classes})")
        return _float_targets(t, where)
    return one_hot(_labels_for(t, n, classes, where), classes)


def _float_targets(t: np.ndarray, where: str, dtype: Any = np.float64) -> np.ndarray:
    """Target values as a finite float array, or DataError naming what is wrong."""
    if t.dtype.kind not in "biuf":
        raise DataError(f"{where}: targets must be numbers, got dtype {t.dtype}")
    t = t.astype(dtype)
    if not np.isfinite(t).all():
        k = int(np.flatnonzero(~np.isfinite(t.reshape(-1)))[0])
        at = tuple(int(i) for i in np.unravel_index(k, t.shape))
        raise DataError(f"{where}: targets must be finite, but entry {at} is "
                        f"{t.reshape(-1)[k].item()!r} (as {t.dtype}); clean or rescale the targets")
    return t


def _labels_for(targets: np.ndarray, n: int, classes: int, where: str) -> np.ndarray:
    labels = check_labels(targets, classes, where)
    if len(labels) != n:
        raise DataError(f"{where}: {n} rows of logits but {len(labels)} labels")
    return labels


def linear(x: Any, weight: Tensor, bias: Tensor | None = None) -> Tensor:
    """x Wᵀ + b, one op (see the module docstring for why it is fused)."""
    x = x if isinstance(x, Tensor) else Tensor(x)
    if weight.ndim != 2 or x.ndim == 0 or x.shape[-1] != weight.shape[1]:
        raise ShapeError(f"linear: inputs of shape {x.shape} do not fit a weight of shape "
                         f"{weight.shape} (out, in): the last axis must be {weight.shape[-1]}")
    if bias is None:
        return FusedLinear.apply(x, weight)
    return FusedLinear.apply(x, weight, bias)


def cross_entropy(logits: Tensor, targets: Any, reduction: str = "mean") -> Tensor:
    """Mean (or sum) over rows of -log softmax(logits)[target]; targets are labels or rows."""
    if reduction not in _REDUCTIONS:
        raise ArgumentError(f"cross_entropy: reduction must be one of {_REDUCTIONS}, "
                            f"got {reduction!r}")
    logits = logits if isinstance(logits, Tensor) else Tensor(logits)
    t = np.asarray(targets.data if isinstance(targets, Tensor) else targets)
    if logits.ndim == 1:  # one sample
        logits = logits.reshape(1, -1)
        t = t.reshape(1, -1) if t.ndim == 1 and t.size > 1 else t.reshape(1)
    if logits.ndim != 2:
        raise ShapeError(f"cross_entropy: logits must be (n, classes), got shape {logits.shape}")
    n, classes = logits.shape
    if t.ndim == 2:
        Y = target_matrix(t, n, classes, "cross_entropy").astype(logits.dtype, copy=False)
        return SoftmaxCrossEntropy.apply(logits, targets=Y, reduction=reduction)
    labels = _labels_for(t, n, classes, "cross_entropy")
    return SoftmaxCrossEntropy.apply(logits, labels=labels, reduction=reduction)


def mse_loss(pred: Tensor, target: Any, reduction: str = "mean") -> Tensor:
    """Mean (or sum) of (pred - target)²; targets are values of pred's exact shape (no broadcast).

    Integer targets are values too, not class labels: for labels against (n, C)
    predictions pass one_hot(labels, C).
    """
    if reduction not in _REDUCTIONS:
        raise ArgumentError(f"mse_loss: reduction must be one of {_REDUCTIONS}, got {reduction!r}")
    pred = pred if isinstance(pred, Tensor) else Tensor(pred)
    t = np.asarray(target.data if isinstance(target, Tensor) else target)
    # PyTorch only warns when the shapes differ and broadcasts (n, 1) against (n,) into an
    # (n, n) matrix of wrong differences; here that is an error.
    if t.shape != pred.shape:
        raise ShapeError(f"mse_loss: predictions have shape {pred.shape} but targets {t.shape}; "
                         "they must match exactly (reshape the targets, or one_hot() class "
                         "labels)")
    dtype = pred.dtype if pred.dtype.kind == "f" else np.float64
    sq = (pred - Tensor(_float_targets(t, "mse_loss", dtype))) ** 2
    if reduction == "none":
        return sq
    return sq.mean() if reduction == "mean" else sq.sum()


def accuracy(logits: Any, targets: Any) -> float:
    """Fraction of rows whose largest logit is at the target class (labels or one-hot rows)."""
    z = np.asarray(logits.data if isinstance(logits, Tensor) else logits)
    t = np.asarray(targets.data if isinstance(targets, Tensor) else targets)
    if t.ndim == 2:
        t = t.argmax(axis=1)
    if len(t) != len(z):
        raise DataError(f"accuracy: {len(z)} rows of logits but {len(t)} targets")
    return float(np.mean(z.argmax(axis=-1) == t)) if len(t) else float("nan")
