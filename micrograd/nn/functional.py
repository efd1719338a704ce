"""Functional forms: the affine map of a layer (fused), activations, dropout, and the
losses (cross-entropy fused; the others built from the engine's ops, so their gradients
come from the ops' own partials), with PyTorch's names and signatures.

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

Targets are constants, except where a loss is differentiable in them (mse, l1, the two
binary cross-entropies): a target tensor that requires grad then gets its gradient, as in
PyTorch; the losses that cannot give one (cross_entropy, nll_loss) refuse such a target
rather than silently treat it as a constant.
"""
from __future__ import annotations

import math
from typing import Any

import numpy as np

from .. import engine as _engine
from ..creation import as_generator
from ..engine import Tensor
from ..errors import ArgumentError, DataError, ShapeError
from ..ops import (
    BinaryCrossEntropy,
    FusedLinear,
    SoftmaxCrossEntropy,
    erf,
    log_softmax,
    softmax,
    stack,
    where,
)
from ..ops import relu as _relu
from ..ops import sigmoid as _sigmoid
from ..ops import tanh as _tanh

__all__ = ["linear", "relu", "tanh", "sigmoid", "leaky_relu", "gelu", "softmax", "log_softmax",
           "dropout", "cross_entropy", "nll_loss", "mse_loss", "l1_loss", "binary_cross_entropy",
           "binary_cross_entropy_with_logits", "one_hot", "accuracy", "target_matrix",
           "BinaryCrossEntropy",
           "ArgumentError"]

_REDUCTIONS = ("mean", "sum", "none")


def _t(x: Any) -> Tensor:
    """x itself if a Tensor, else a Tensor of it: a floating array keeps its dtype (float32
    stays float32), Python floats and anything else get the default float (float32 unless
    set_default_dtype changed it)."""
    if isinstance(x, Tensor):
        return x
    a = np.asarray(x)
    if a.dtype.kind == "f":
        return Tensor(a if isinstance(x, (np.ndarray, np.generic)) else _engine._default_for(a))
    return Tensor(a.astype(_engine._default_float))


def _float_dtype_of(x: Tensor) -> np.dtype:
    return x.dtype if x.dtype.kind == "f" else _engine._default_float


# ----------------------------------------------------------------- labels and targets


def one_hot(tensor: Any, num_classes: int = -1) -> Tensor:
    """Y[..., c] = 1 where c = tensor[...], 0 elsewhere: an int64 Tensor of shape
    tensor.shape + (num_classes,), as PyTorch's; num_classes=-1 means max label + 1."""
    labels = np.asarray(tensor.data if isinstance(tensor, Tensor) else tensor)
    flat = labels.reshape(-1)
    if isinstance(num_classes, (bool, np.bool_)) or not isinstance(num_classes, (int, np.integer)):
        raise ArgumentError(f"one_hot: num_classes must be an integer, got {num_classes!r}")
    if num_classes == -1:
        if not flat.size:
            raise DataError("one_hot: cannot infer the number of classes from no labels; "
                            "pass num_classes")
        if flat.dtype.kind in "iu" and flat.min() < 0:
            raise DataError(f"one_hot: class labels must be >= 0, got {flat.min()}")
        num_classes = int(check_labels(flat, np.iinfo(np.int64).max, "one_hot").max()) + 1
    elif num_classes < 1:
        raise ArgumentError(f"one_hot: num_classes must be >= 1 (or -1 to infer it), "
                            f"got {num_classes}")
    return Tensor(_one_hot_array(flat, int(num_classes), np.int64).reshape(
        labels.shape + (int(num_classes),)))


def _one_hot_array(labels: Any, classes: int, dtype: Any = np.float64) -> np.ndarray:
    """Y[i, labels[i]] = 1, zeros elsewhere, as a numpy array; labels in [0, classes)."""
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
    return _one_hot_array(_labels_for(t, n, classes, where), classes)


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


def _check_reduction(reduction: Any, where: str) -> None:
    if reduction not in _REDUCTIONS:
        raise ArgumentError(f"{where}: reduction must be one of {_REDUCTIONS}, got {reduction!r}")


def _reduce(per: Tensor, reduction: str) -> Tensor:
    if reduction == "none":
        return per
    return per.mean() if reduction == "mean" else per.sum()


def _target_like(x: Tensor, target: Any, where: str) -> Tensor:
    """The target of an elementwise loss, of x's exact shape (no broadcasting, which would
    pair wrong entries without a word). A target tensor that requires grad is used as it
    is, so it gets its gradient; any other becomes a constant of x's float dtype."""
    t = target.data if isinstance(target, Tensor) else np.asarray(target)
    # PyTorch only warns when the shapes differ and broadcasts (n, 1) against (n,) into an
    # (n, n) matrix of wrong differences; here that is an error.
    if t.shape != x.shape:
        raise ShapeError(f"{where}: predictions have shape {x.shape} but targets {t.shape}; "
                         "they must match exactly (reshape the targets, or one_hot() class "
                         "labels)")
    if isinstance(target, Tensor) and target.requires_grad:
        return target
    return Tensor(_float_targets(t, where, _float_dtype_of(x)))


def _constant(value: Any, what: str, x: Tensor, where: str) -> np.ndarray | None:
    """A weight-like option as an array of x's float dtype that broadcasts to x's shape."""
    if value is None:
        return None
    if isinstance(value, Tensor) and value.requires_grad:
        raise ArgumentError(f"{where}: {what} requires grad, but the loss is not differentiated "
                            f"with respect to it (PyTorch's is not either); pass "
                            f"{what}.detach()")
    a = _float_targets(np.asarray(value.data if isinstance(value, Tensor) else value),
                       f"{where}: {what}", _float_dtype_of(x))
    try:
        fits = np.broadcast_shapes(a.shape, x.shape) == x.shape
    except ValueError:
        fits = False
    if not fits:
        raise ShapeError(f"{where}: {what} of shape {a.shape} does not broadcast to the input's "
                         f"shape {x.shape}")
    return a


# ----------------------------------------------------------------- layers and activations


def linear(x: Any, weight: Tensor, bias: Tensor | None = None) -> Tensor:
    """x Wᵀ + b, one op (see the module docstring for why it is fused)."""
    x = x if isinstance(x, Tensor) else Tensor(x)
    if weight.ndim != 2 or x.ndim == 0 or x.shape[-1] != weight.shape[1]:
        raise ShapeError(f"linear: inputs of shape {x.shape} do not fit a weight of shape "
                         f"{weight.shape} (out, in): the last axis must be {weight.shape[-1]}")
    if bias is None:
        return FusedLinear.apply(x, weight)
    return FusedLinear.apply(x, weight, bias)


def relu(input: Any, inplace: bool = False) -> Tensor:
    """max(x, 0); `inplace` is accepted for PyTorch code and changes nothing (a new tensor)."""
    return _relu(input)


def tanh(input: Any) -> Tensor:
    """tanh x"""
    return _tanh(input)


def sigmoid(input: Any) -> Tensor:
    """σ(x) = 1 / (1 + e⁻ˣ)"""
    return _sigmoid(input)


def leaky_relu(input: Any, negative_slope: float = 0.01, inplace: bool = False) -> Tensor:
    """x where x > 0, else negative_slope · x (so the gradient at 0 is negative_slope, as
    in PyTorch); `inplace` is accepted and changes nothing."""
    x = _t(input)
    return where(x.data > 0, x, x * negative_slope)


_SQRT_HALF = math.sqrt(0.5)
_SQRT_2_OVER_PI = math.sqrt(2.0 / math.pi)


def gelu(input: Any, approximate: str = "none") -> Tensor:
    """x Φ(x) = ½ x (1 + erf(x/√2)); approximate='tanh': ½ x (1 + tanh(√(2/π)(x + 0.044715 x³)))."""
    x = _t(input)
    if approximate == "none":
        return 0.5 * x * (1.0 + erf(x * _SQRT_HALF))
    if approximate == "tanh":
        return 0.5 * x * (1.0 + _tanh(_SQRT_2_OVER_PI * (x + 0.044715 * (x * x * x))))
    raise ArgumentError(f"gelu: approximate must be 'none' or 'tanh', got {approximate!r}")


def _check_p(p: Any, where: str) -> float:
    if isinstance(p, (bool, np.bool_)) or not isinstance(p, (int, float, np.integer, np.floating)):
        raise ArgumentError(f"{where}: the dropout probability p must be a number in [0, 1], "
                            f"got {p!r}")
    if not 0 <= p <= 1:  # also refuses nan
        raise ArgumentError(f"{where}: dropout probability has to be between 0 and 1, "
                            f"but got {p}")
    return float(p)


def dropout(input: Any, p: float = 0.5, training: bool = True, inplace: bool = False, *,
            generator: np.random.Generator | None = None) -> Tensor:
    """y = x · m / (1 - p), m ~ Bernoulli(1 - p) per entry, when training (inverted dropout:
    E[y] = x, so evaluation needs no rescaling); y = x when not training. The mask comes
    from `generator`, else from micrograd's global generator. `inplace` changes nothing."""
    p = _check_p(p, "dropout")
    x = _t(input)
    if not training or p == 0:
        return x
    dtype = _float_dtype_of(x)
    if p == 1:  # every entry dropped; 1/(1 - p) would divide by zero
        return x * Tensor(np.zeros(x.shape, dtype=dtype))
    keep = as_generator(None, generator).random(x.shape) >= p  # P(keep) = 1 - p
    return x * Tensor(keep.astype(dtype) * dtype.type(1.0 / (1.0 - p)))


# ----------------------------------------------------------------- losses


def _check_targets_constant(target: Any, where: str) -> None:
    if isinstance(target, Tensor) and target.requires_grad:
        raise ArgumentError(f"{where}: the target requires grad, but {where} does not "
                            "differentiate with respect to its targets; pass target.detach(), "
                            "or write -(target * log_softmax(input, 1)).sum(1).mean() to "
                            "differentiate both")


def _class_weights(weight: Any, classes: int, x: Tensor, where: str) -> np.ndarray | None:
    if weight is None:
        return None
    shape = np.shape(weight.data if isinstance(weight, Tensor) else weight)
    if shape != (classes,):
        raise ShapeError(f"{where}: weight must have one entry per class ({classes}), got shape "
                         f"{shape}")
    return _constant(weight, "weight", Tensor(np.zeros(classes, dtype=_float_dtype_of(x))), where)


def cross_entropy(input: Any, target: Any, weight: Any = None, *, ignore_index: int = -100,
                  reduction: str = "mean") -> Tensor:
    """Mean (or sum) over rows of -Σ_c w_c y_c log softmax(input)_c; target is class indices
    (n,) (rows equal to ignore_index are skipped) or rows (n, C) of probabilities.

    With labels and a `weight`, the mean divides by Σ of the rows' weights, as PyTorch's."""
    _check_reduction(reduction, "cross_entropy")
    _check_targets_constant(target, "cross_entropy")
    logits = _t(input)
    t = np.asarray(target.data if isinstance(target, Tensor) else target)
    if logits.ndim == 1:  # one sample
        logits = logits.reshape(1, -1)
        t = t.reshape(1, -1) if t.ndim == 1 and t.size > 1 else t.reshape(1)
        out = cross_entropy(logits, t, weight, ignore_index=ignore_index, reduction=reduction)
        return out.reshape(()) if reduction == "none" else out
    if logits.ndim != 2:
        raise ShapeError(f"cross_entropy: input must be (n, classes), got shape {logits.shape}")
    n, classes = logits.shape
    w = _class_weights(weight, classes, logits, "cross_entropy")
    if t.ndim == 2:
        Y = target_matrix(t, n, classes, "cross_entropy").astype(logits.dtype, copy=False)
        if w is not None:
            Y = Y * w  # -Σ_c w_c y_c log p_c: the fused op takes any target rows
        return SoftmaxCrossEntropy.apply(logits, targets=Y, reduction=reduction)
    if w is None and not (t.size and np.any(t == ignore_index)):
        labels = _labels_for(t, n, classes, "cross_entropy")
        return SoftmaxCrossEntropy.apply(logits, labels=labels, reduction=reduction)
    return nll_loss(log_softmax(logits, 1), t, w, ignore_index=ignore_index, reduction=reduction)


def nll_loss(input: Any, target: Any, weight: Any = None, *, ignore_index: int = -100,
             reduction: str = "mean") -> Tensor:
    """l_i = -w_{y_i} · input[i, y_i] (input holds log-probabilities, e.g. log_softmax);
    rows whose label is ignore_index count 0; the mean divides by Σ_i w_{y_i}."""
    _check_reduction(reduction, "nll_loss")
    _check_targets_constant(target, "nll_loss")
    x = _t(input)
    t = np.asarray(target.data if isinstance(target, Tensor) else target)
    if x.ndim == 1:  # one sample
        out = nll_loss(x.reshape(1, -1), t.reshape(1), weight, ignore_index=ignore_index,
                       reduction=reduction)
        return out.reshape(()) if reduction == "none" else out
    if x.ndim != 2:
        raise ShapeError(f"nll_loss: input must be (n, classes) log-probabilities, got shape "
                         f"{x.shape}")
    n, classes = x.shape
    if t.ndim != 1 or len(t) != n:
        raise DataError(f"nll_loss: {n} rows of input but labels of shape {t.shape}; pass one "
                        "class index per row")
    kept = t != ignore_index
    # Ignored rows get label 0 for the check and the pick; their weight 0 removes them.
    labels = _labels_for(np.where(kept, t, 0), n, classes, "nll_loss")
    w = _class_weights(weight, classes, x, "nll_loss")
    row_w = (np.ones(n, dtype=_float_dtype_of(x)) if w is None else w[labels]) * kept
    # An ignored row's pick is masked out, not multiplied by its weight 0: a -inf there (a
    # masked logit) would make 0 · inf = nan, where PyTorch gives 0.
    per = -where(kept, x[np.arange(n), labels], 0.0) * Tensor(row_w)
    if reduction == "mean" and not kept.any():
        # Every row ignored: the mean is 0/0 = nan, as in PyTorch, and, as there, no gradient
        # reaches the input (0/0 would send nan into every weight of the model).
        return per.sum() + Tensor(np.full((), np.nan, dtype=row_w.dtype))
    if reduction == "mean":
        return per.sum() / Tensor(row_w.sum())
    return per.sum() if reduction == "sum" else per


def mse_loss(input: Any, target: Any, reduction: str = "mean") -> Tensor:
    """Mean (or sum) of (input - target)²; the target has input's exact shape (no broadcast).

    Integer targets are values too, not class labels: for labels against (n, C)
    predictions pass one_hot(labels, C).
    """
    _check_reduction(reduction, "mse_loss")
    x = _t(input)
    return _reduce((x - _target_like(x, target, "mse_loss")) ** 2, reduction)


def l1_loss(input: Any, target: Any, reduction: str = "mean") -> Tensor:
    """Mean (or sum) of |input - target|; the target has input's exact shape."""
    _check_reduction(reduction, "l1_loss")
    x = _t(input)
    return _reduce((x - _target_like(x, target, "l1_loss")).abs(), reduction)


def binary_cross_entropy(input: Any, target: Any, weight: Any = None, *,
                         reduction: str = "mean") -> Tensor:
    """Mean (or sum) of -w (y log p + (1 - y) log(1 - p)), each log clamped to >= -100;
    input p holds probabilities in [0, 1] (use the _with_logits form on raw scores)."""
    where_ = "binary_cross_entropy"
    _check_reduction(reduction, where_)
    p = _t(input)
    outside = ~((p.data >= 0) & (p.data <= 1))  # nan is outside too
    if outside.any():
        k = int(np.flatnonzero(outside.reshape(-1))[0])
        at = tuple(int(i) for i in np.unravel_index(k, p.shape))
        raise DataError(f"{where_}: all elements of the input should be between 0 and 1 "
                        f"(probabilities), but entry {at} is {p.data.reshape(-1)[k].item()!r}; "
                        "apply sigmoid first, or use binary_cross_entropy_with_logits")
    y = _target_like(p, target, where_)
    per = BinaryCrossEntropy.apply(p, y)
    w = _constant(weight, "weight", p, where_)
    return _reduce(per if w is None else per * Tensor(w), reduction)


def _softplus(z: Tensor) -> Tensor:
    """log(1 + eᶻ) = logsumexp(0, z): never overflows, and its gradient σ(z) is exact
    everywhere (the form max(z, 0) + log(1 + e^-|z|) has kinks whose one-sided partials
    would be wrong at z = 0)."""
    return stack([Tensor(np.zeros(z.shape, dtype=z.dtype)), z], axis=-1).logsumexp(axis=-1)


def binary_cross_entropy_with_logits(input: Any, target: Any, weight: Any = None, *,
                                     reduction: str = "mean", pos_weight: Any = None) -> Tensor:
    """Mean (or sum) of w ((1 - y) x + (1 + (pos_weight - 1) y) softplus(-x)), which equals
    -w (pos_weight·y log σ(x) + (1 - y) log(1 - σ(x))) without ever taking log 0."""
    where_ = "binary_cross_entropy_with_logits"
    _check_reduction(reduction, where_)
    x = _t(input)
    y = _target_like(x, target, where_)
    pw = _constant(pos_weight, "pos_weight", x, where_)
    log_weight = 1.0 if pw is None else 1.0 + (Tensor(pw) - 1.0) * y
    per = (1.0 - y) * x + log_weight * _softplus(-x)
    w = _constant(weight, "weight", x, where_)
    return _reduce(per if w is None else per * Tensor(w), reduction)


def accuracy(logits: Any, targets: Any) -> float:
    """Fraction of rows whose largest logit is at the target class (labels or one-hot rows)."""
    z = np.asarray(logits.data if isinstance(logits, Tensor) else logits)
    t = np.asarray(targets.data if isinstance(targets, Tensor) else targets)
    # 1-D logits (binary scores) would otherwise be argmaxed into one index and compared
    # with every label: a number, and a wrong one.
    if t.ndim not in (1, 2) or z.ndim != 2:
        raise DataError(f"accuracy: logits (shape {z.shape}) and targets (shape {t.shape}) need "
                        "one row per example: logits (n, classes), targets (n,) class labels "
                        "or (n, classes) one-hot rows")
    if t.ndim == 2:
        t = t.argmax(axis=1)
    if len(t) != len(z):
        raise DataError(f"accuracy: {len(z)} rows of logits but {len(t)} targets")
    return float(np.mean(z.argmax(axis=-1) == t)) if len(t) else float("nan")
