"""A small training loop: `fit` runs epochs of (mini-)batch gradient descent, records a
`History`, and stops with a `DivergenceError` that explains itself when training blows up."""
from __future__ import annotations

import math
import sys
import time
from dataclasses import dataclass, field
from typing import Any, Callable, TextIO

import numpy as np

from .creation import as_generator
from .data import batches, check_xy
from .engine import Tensor, detect_anomaly, no_grad
from .errors import (
    AnomalyError,
    ArgumentError,
    DataError,
    DivergenceError,
    MicrogradError,
    ShapeError,
)
from .nn.functional import accuracy, check_labels, cross_entropy
from .nn.modules import Linear, Module
from .optim import Optimizer, _positive, clip_grad_norm

__all__ = ["fit", "evaluate", "History", "DivergenceError"]

LossFn = Callable[[Tensor, Any], Tensor]


@dataclass
class History:
    """Per-epoch records of a `fit` run (index k is epoch k; epoch numbers start at 1)."""
    train_loss: list[float] = field(default_factory=list)
    train_acc: list[float] = field(default_factory=list)
    val_loss: list[float] = field(default_factory=list)
    val_acc: list[float] = field(default_factory=list)
    time: list[float] = field(default_factory=list)        # training seconds so far, at each epoch's end
    step_loss: list[float] = field(default_factory=list)   # the loss of every step, before its update
    initial_loss: float = float("nan")                     # the untrained model's loss on the train set
    lr: float = float("nan")
    batch_size: int | None = None

    @property
    def epochs(self) -> int:
        return len(self.train_loss)

    def last(self) -> dict[str, float]:
        """The final epoch's numbers."""
        out = {"train_loss": self.train_loss[-1], "train_acc": self.train_acc[-1]}
        if self.val_loss:
            out.update(val_loss=self.val_loss[-1], val_acc=self.val_acc[-1])
        return out

    def curves(self) -> dict[str, list[float]]:
        """Everything that is deterministic given the seeds (times are left out)."""
        return {"train_loss": self.train_loss, "train_acc": self.train_acc, "val_loss": self.val_loss,
                "val_acc": self.val_acc, "step_loss": self.step_loss}


@no_grad()
def evaluate(model: Module, loss_fn: LossFn, X: Any, y: Any,
             metric: Callable[[Any, Any], float] = accuracy) -> tuple[float, float]:
    """(loss, metric) of the model on (X, y), without recording a graph."""
    was_training = model.training
    model.eval()
    try:
        out = model(Tensor(np.asarray(X, dtype=np.float64)))
        return float(loss_fn(out, y).item()), metric(out, y)
    finally:
        model.train(was_training)


def _layers(model: Module) -> list[Linear]:
    return [m for m in model.modules() if isinstance(m, Linear)]


def check_inputs(model: Module, X: Any, y: Any, where: str) -> tuple[np.ndarray, np.ndarray]:
    """X/y lengths, X non-empty and finite, X's feature count against the first layer,
    labels against the last layer."""
    X, y = check_xy(X, y, where)
    if len(X) == 0:
        raise DataError(f"{where}: X and y are empty (shape {X.shape}); pass at least one example")
    if not np.isfinite(X).all():  # else the first step's loss is nan and it looks like a bad learning rate
        row = int(np.flatnonzero(~np.isfinite(X.reshape(len(X), -1)).all(axis=1))[0])
        raise DataError(f"{where}: X holds {int(np.count_nonzero(~np.isfinite(X)))} nan/inf value(s), "
                        f"the first in row {row}; clean or impute the data first")
    if y.dtype.kind == "f" and not np.isfinite(y).all():
        raise DataError(f"{where}: y holds {int(np.count_nonzero(~np.isfinite(y)))} nan/inf value(s); "
                        "clean the targets first")
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
            raise DataError(f"{where}: target rows have {y.shape[1]} columns but the model has {classes} outputs")
    return X, y


def _first_nonfinite_op(model: Module, loss_fn: LossFn, Xb: np.ndarray, yb: np.ndarray) -> str | None:
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
        for p, g in zip(params, saved):
            p.grad = g
    return None


class _Progress:
    """A one-line progress bar on a terminal; per-epoch lines (like the lab's) otherwise."""

    def __init__(self, stream: TextIO, epochs: int, every: int):
        self.stream, self.epochs, self.every = stream, epochs, every
        self.tty = bool(getattr(stream, "isatty", lambda: False)())

    def epoch(self, k: int, h: History) -> None:
        line = f"train loss {h.train_loss[-1]:.4f} / acc {100 * h.train_acc[-1]:5.1f}%"
        if h.val_loss:
            line += f" | val loss {h.val_loss[-1]:.4f} / acc {100 * h.val_acc[-1]:5.1f}%"
        if self.tty:
            done = int(30 * k / self.epochs)
            self.stream.write(f"\r[{'#' * done}{'.' * (30 - done)}] epoch {k}/{self.epochs} {line}")
            if k == self.epochs:
                self.stream.write("\n")
        elif k == 1 or k == self.epochs or k % self.every == 0:
            self.stream.write(f"epoch {k:>{len(str(self.epochs))}}/{self.epochs}  {line}\n")
        self.stream.flush()

    def abort(self) -> None:
        if self.tty:
            self.stream.write("\n")


# How far the loss may climb is measured against max(|initial loss|, _BLOWUP_FLOOR): a
# loss that starts at (or extremely near) 0 has no size to be a multiple of, and without a
# floor any rounding error above 0 would count as a blow-up.
_BLOWUP_FLOOR = 1e-6


def _is_integer(value: Any) -> bool:
    return isinstance(value, (int, np.integer)) and not isinstance(value, (bool, np.bool_))


def _check_fit_options(optimizer: Any, model: Module, epochs: Any, batch_size: Any, blowup: Any,
                       clip_grad: Any, verbose: Any) -> None:
    """Every option of fit() that can be checked before any work, each named with the fix."""
    if not isinstance(model, Module):
        raise MicrogradError(f"fit: model must be a micrograd.nn Module, got a {type(model).__name__}")
    if not isinstance(optimizer, Optimizer):
        raise MicrogradError(f"fit: optimizer must be a micrograd.optim Optimizer such as "
                             f"optim.SGD(model.parameters(), lr=0.1), got a {type(optimizer).__name__}")
    mine = {id(p) for p in model.parameters(include_frozen=True)}
    if not any(id(p) in mine for p in optimizer.params):  # it would train nothing, silently
        raise MicrogradError("fit: the optimizer holds none of the model's parameters; build it "
                             "from this model: optim.SGD(model.parameters(), lr=...)")
    if not _is_integer(epochs) or epochs < 1:
        raise ArgumentError(f"fit: epochs must be an integer >= 1, got {epochs!r}")
    if batch_size is not None and (not _is_integer(batch_size) or batch_size < 1):
        raise DataError(f"fit: batch_size must be None (full batch) or an integer >= 1, got {batch_size!r}")
    if (isinstance(blowup, (bool, np.bool_)) or not isinstance(blowup, (int, float, np.integer, np.floating))
            or not blowup > 1):  # `not >` also refuses nan
        raise ArgumentError(f"fit: blowup must be a number > 1, or float('inf') to turn the blow-up "
                            f"check off, got {blowup!r}")
    if clip_grad is not None:
        _positive("clip_grad", clip_grad, "fit")
    if not (isinstance(verbose, (bool, np.bool_)) or (_is_integer(verbose) and verbose >= 0)):
        raise ArgumentError(f"fit: verbose must be True, False or an integer k >= 0 (print every k-th "
                            f"epoch), got {verbose!r}")


def fit(model: Module, loss_fn: LossFn = cross_entropy, optimizer: Optimizer | None = None,
        train: tuple[Any, Any] | None = None, val: tuple[Any, Any] | None = None,
        epochs: int = 10, batch_size: int | None = None, seed: Any = 0,
        verbose: bool | int = True, metric: Callable[[Any, Any], float] = accuracy,
        clip_grad: float | None = None, blowup: float = 10.0,
        stream: TextIO | None = None) -> History:
    """Train `model` on `train` = (X, y) for `epochs` passes and return the History.

    batch_size None = full-batch gradient descent, 1 = online SGD, k = mini-batches of k;
    `seed` fixes the order of the examples. verbose=True prints every epoch, an int k every
    k-th. Raises DivergenceError when a step's loss or gradients are nan/inf, or when the
    loss, smoothed over about an epoch, climbs above the untrained model's loss L₀ by more
    than (blowup - 1)·max(|L₀|, 1e-6). For a positive L₀ that is "more than blowup times
    L₀"; measured as a climb, it also works for losses that are negative or start near 0.
    blowup must be > 1; blowup=float('inf') turns this check off (nan/inf are still caught).
    """
    if optimizer is None or train is None:
        raise MicrogradError("fit: needs an optimizer and train=(X, y)")
    _check_fit_options(optimizer, model, epochs, batch_size, blowup, clip_grad, verbose)
    for name, pair in (("train", train), ("val", val)):
        if pair is not None and (not isinstance(pair, (tuple, list)) or len(pair) != 2):
            raise DataError(f"fit: {name} must be a pair (X, y), got a {type(pair).__name__}"
                            + (f" of length {len(pair)}" if hasattr(pair, "__len__") else ""))
    X, y = check_inputs(model, *train, where="fit (train)")
    if val is not None:
        val = check_inputs(model, *val, where="fit (val)")
    rng = as_generator(seed)
    params = model.parameters()
    history = History(lr=optimizer.lr, batch_size=batch_size)
    history.initial_loss = evaluate(model, loss_fn, X, y, metric)[0]
    # The climb that counts as a blow-up (inf turns the check off; a nan initial loss makes
    # it nan, which never compares greater: the nan/inf check then catches that loss).
    allowed = (blowup - 1) * max(abs(history.initial_loss), _BLOWUP_FLOOR) if math.isfinite(blowup) else math.inf
    every = 1 if verbose is True else int(verbose)
    progress = _Progress(stream or sys.stdout, epochs, every) if verbose else None
    steps_per_epoch = 1 if batch_size is None else math.ceil(len(X) / batch_size)
    # Smoothing over about one epoch's worth of examples, so that one unlucky example
    # in online SGD does not count as a blow-up but a steady climb does.
    weight = 1.0 / steps_per_epoch
    smoothed = history.initial_loss
    elapsed = 0.0
    model.train()
    for epoch in range(1, epochs + 1):
        start = time.perf_counter()
        for step, (Xb, yb) in enumerate(batches(X, y, batch_size, shuffle=True, seed=rng), 1):
            optimizer.zero_grad()
            loss = loss_fn(model(Tensor(Xb)), yb)
            value = float(loss.item())
            finite = math.isfinite(value)
            if finite:
                loss.backward()
                finite = all(p.grad is None or np.isfinite(p.grad).all() for p in params)
            smoothed = (1 - weight) * smoothed + weight * value if finite else value
            if not finite or smoothed - history.initial_loss > allowed:
                if progress:
                    progress.abort()
                raise _divergence(model, loss_fn, Xb, yb, history, epoch, step,
                                  steps_per_epoch, optimizer.lr, value, smoothed, finite, blowup)
            history.step_loss.append(value)
            if clip_grad is not None:
                clip_grad_norm(params, clip_grad)
            optimizer.step()
        elapsed += time.perf_counter() - start
        history.time.append(elapsed)
        _record(history.train_loss, history.train_acc, evaluate(model, loss_fn, X, y, metric))
        if val is not None:
            _record(history.val_loss, history.val_acc, evaluate(model, loss_fn, *val, metric))
        if progress:
            progress.epoch(epoch, history)
    return history


def _record(losses: list[float], scores: list[float], result: tuple[float, float]) -> None:
    losses.append(result[0])
    scores.append(result[1])


def _divergence(model: Module, loss_fn: LossFn, Xb: np.ndarray, yb: np.ndarray, history: History,
                epoch: int, step: int, steps_per_epoch: int, lr: float, value: float,
                smoothed: float, finite: bool, blowup: float) -> DivergenceError:
    """The DivergenceError for this step, naming where, how, and (if any) the op that made nan/inf."""
    where = f"epoch {epoch}, step {step} of {steps_per_epoch}"
    if finite:
        L0 = history.initial_loss
        what = (f"the loss grew to {smoothed:.4g} (averaged over about an epoch; this step's is "
                f"{value:.4g}) from the untrained model's {L0:.4g}, a climb of more than "
                f"{blowup - 1:g} x max(|{L0:.4g}|, {_BLOWUP_FLOOR:g}) (blowup={blowup:g}; "
                "blowup=float('inf') turns this check off)")
        op = None
    else:
        what = f"the {'loss' if not math.isfinite(value) else 'gradient'} became nan or inf"
        op = _first_nonfinite_op(model, loss_fn, Xb, yb)
        if op:
            what += f"; the first op to produce it (found by re-running the step under detect_anomaly()) was {op}"
    if epoch == 1 and step == 1:  # no update has happened yet: the learning rate cannot be the cause
        return DivergenceError(
            f"training diverged at {where}, before any update: {what}. Check the loss function, "
            "the model's initial weights and the data", epoch=epoch, step=step, lr=lr, loss=value,
            op=op, history=history)
    message = (f"training diverged at {where} with learning rate {lr:g}: {what}. "
               f"Try a smaller learning rate (e.g. lr={lr / 10:g}), gradient clipping "
               f"(fit(..., clip_grad=1.0)), an adaptive optimizer such as Adam, or standardized inputs.")
    return DivergenceError(message, epoch=epoch, step=step, lr=lr, loss=value, op=op, history=history)
