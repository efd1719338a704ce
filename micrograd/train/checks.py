"""What `fit` refuses before any work: bad options, and data that does not fit the model."""
from __future__ import annotations

from typing import Any

import numpy as np

from ..data.batching import check_xy
from ..errors import ArgumentError, DataError, MicrogradError, ShapeError
from ..nn.functional import check_labels
from ..nn.modules import Linear, Module
from ..optim.optimizer import Optimizer, check_positive


def _is_integer(value: Any) -> bool:
    return isinstance(value, (int, np.integer)) and not isinstance(value, (bool, np.bool_))


def _layers(model: Module) -> list[Linear]:
    return [m for m in model.modules() if isinstance(m, Linear)]


def model_dtype(model: Module) -> np.dtype | None:
    """The float dtype of the model's parameters (None when it has none)."""
    floats = [p.dtype for p in model.parameters(include_frozen=True) if p.dtype.kind == "f"]
    return np.dtype(floats[0]) if floats else None


def in_model_dtype(model: Module, X: Any, y: Any, where: str) -> tuple[np.ndarray, np.ndarray]:
    """X (and float targets) as arrays in the model's float dtype. The loop makes the
    tensors from the data, so it does what a PyTorch user writes by hand
    (torch.tensor(X, dtype=torch.float32)): float64 data from numpy trains a float32 model
    (the default) in float32, and a float64 model in float64."""
    X, y = check_xy(X, y, where)
    dt = model_dtype(model)
    if dt is not None:
        X = X.astype(dt, copy=False)
        if y.dtype.kind == "f":
            y = y.astype(dt, copy=False)
    return X, y


def check_inputs(model: Module, X: Any, y: Any, where: str) -> tuple[np.ndarray, np.ndarray]:
    """X/y lengths, X non-empty and finite, X's feature count against the first layer,
    labels against the last layer; X and float targets in the model's dtype."""
    X, y = in_model_dtype(model, X, y, where)
    if len(X) == 0:
        raise DataError(f"{where}: X and y are empty (shape {X.shape}); pass at least one example")
    # Else the first step's loss is nan, and that looks like a bad learning rate.
    if not np.isfinite(X).all():
        row = int(np.flatnonzero(~np.isfinite(X.reshape(len(X), -1)).all(axis=1))[0])
        bad = int(np.count_nonzero(~np.isfinite(X)))
        raise DataError(f"{where}: X holds {bad} nan/inf value(s), the first in row {row}; "
                        "clean or impute the data first")
    if y.dtype.kind == "f" and not np.isfinite(y).all():
        bad = int(np.count_nonzero(~np.isfinite(y)))
        raise DataError(f"{where}: y holds {bad} nan/inf value(s); clean the targets first")
    layers = _layers(model)
    if layers:
        first, last = layers[0], layers[-1]
        if X.ndim != 2 or X.shape[1] != first.in_features:
            raise ShapeError(
                f"{where}: the model takes {first.in_features} input features (its first layer is "
                f"Linear({first.in_features} -> {first.out_features})), but X has shape {X.shape}")
        classes = last.out_features
        if y.ndim == 1 and classes > 1:
            y = check_labels(y, classes, f"{where} (labels; the model has {classes} outputs)")
        elif y.ndim == 2 and y.shape[1] != classes:
            raise DataError(f"{where}: target rows have {y.shape[1]} columns but the model has "
                            f"{classes} outputs")
    return X, y


def check_fit_options(optimizer: Any, model: Module, epochs: Any, batch_size: Any, blowup: Any,
                      clip_grad: Any, verbose: Any) -> None:
    """Every option of fit() that can be checked before any work, each named with the fix."""
    if not isinstance(model, Module):
        raise MicrogradError("fit: model must be a micrograd.nn Module, "
                             f"got a {type(model).__name__}")
    if not isinstance(optimizer, Optimizer):
        raise MicrogradError("fit: optimizer must be a micrograd.optim Optimizer such as "
                             "optim.SGD(model.parameters(), lr=0.1), "
                             f"got a {type(optimizer).__name__}")
    mine = {id(p) for p in model.parameters(include_frozen=True)}
    held = [p for p in optimizer.params if id(p) in mine]
    if not held:  # it would train nothing, silently
        raise MicrogradError("fit: the optimizer holds none of the model's parameters; build it "
                             "from this model: optim.SGD(model.parameters(), lr=...)")
    if not any(p.requires_grad for p in held):  # frozen ones get no .grad: nothing would move
        raise MicrogradError("fit: the optimizer holds only frozen parameters of the model "
                             "(requires_grad=False), so training would change nothing; unfreeze "
                             "them (p.requires_grad_()) or build the optimizer from the trainable "
                             "ones: optim.SGD(model.parameters(), lr=...)")
    if not _is_integer(epochs) or epochs < 1:
        raise ArgumentError(f"fit: epochs must be an integer >= 1, got {epochs!r}")
    if batch_size is not None and (not _is_integer(batch_size) or batch_size < 1):
        raise DataError("fit: batch_size must be None (full batch) or an integer >= 1, "
                        f"got {batch_size!r}")
    is_real = isinstance(blowup, (int, float, np.integer, np.floating))
    if isinstance(blowup, (bool, np.bool_)) or not is_real or not blowup > 1:  # refuses nan too
        raise ArgumentError("fit: blowup must be a number > 1, or float('inf') to turn the "
                            f"blow-up check off, got {blowup!r}")
    if clip_grad is not None:
        check_positive("clip_grad", clip_grad, "fit")
    if not (isinstance(verbose, (bool, np.bool_)) or (_is_integer(verbose) and verbose >= 0)):
        raise ArgumentError("fit: verbose must be True, False or an integer k >= 0 (print every "
                            f"k-th epoch), got {verbose!r}")
