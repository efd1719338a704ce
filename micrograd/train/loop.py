"""The training loop: `fit` runs epochs of (mini-)batch gradient descent and records a
`History`; `evaluate` measures a model without recording a graph."""
from __future__ import annotations

import math
import sys
import time
from typing import Any, TextIO

import numpy as np

from ..creation import as_generator
from ..data.batching import as_float, batches
from ..engine import Tensor, no_grad
from ..errors import DataError, MicrogradError
from ..nn.functional import cross_entropy
from ..nn.modules import Module
from ..optim.clip import clip_grad_norm_
from ..optim.optimizer import Optimizer
from .checks import check_fit_options, check_inputs, in_model_dtype
from .divergence import BLOWUP_FLOOR, LossFn, divergence
from .history import History
from .metrics import Metric, resolve_metric
from .progress import Progress

MetricOption = str | Metric | None


@no_grad()
def evaluate(model: Module, loss_fn: LossFn, X: Any, y: Any,
             metric: MetricOption = "auto") -> tuple[float, float | None]:
    """(loss, metric) of the model on (X, y), without recording a graph. metric: as in
    fit ('auto': accuracy for cross_entropy/nll_loss, else None, and then the pair's
    second value is None)."""
    fn = resolve_metric(metric, loss_fn, "evaluate")[1]
    return _evaluate(model, loss_fn, *in_model_dtype(model, X, y, "evaluate"), fn)


@no_grad()
def _evaluate(model: Module, loss_fn: LossFn, X: Any, y: Any,
              metric: Metric | None) -> tuple[float, float | None]:
    was_training = model.training
    model.eval()
    try:
        out = model(Tensor(as_float(X)))
        return float(loss_fn(out, y).item()), None if metric is None else metric(out, y)
    finally:
        model.train(was_training)


def fit(model: Module, loss_fn: LossFn = cross_entropy, optimizer: Optimizer | None = None,
        train: tuple[Any, Any] | None = None, val: tuple[Any, Any] | None = None,
        epochs: int = 10, batch_size: int | None = None, seed: Any = 0,
        verbose: bool | int = True, metric: MetricOption = "auto",
        clip_grad: float | None = None, blowup: float = 10.0,
        stream: TextIO | None = None) -> History:
    """Train `model` on `train` = (X, y) for `epochs` passes and return the History.

    batch_size None = full-batch gradient descent, 1 = online SGD, k = mini-batches of k;
    `seed` fixes the order of the examples. verbose=True shows a progress bar (on a terminal
    only; a widget in Jupyter), an int k also a log line every k-th epoch, False nothing.
    metric: what to measure besides the loss after each epoch: 'accuracy', None (nothing),
    or a function metric(outputs, targets) -> float; the default 'auto' is 'accuracy' when
    loss_fn is cross_entropy or nll_loss (function or module) and None for any other loss.
    Raises DivergenceError when a step's loss or gradients are nan/inf, or when the loss,
    smoothed over about an epoch, climbs above the untrained model's loss L₀ by more than
    (blowup - 1)·max(|L₀|, 1e-6). For a positive L₀ that is "more than blowup times L₀";
    measured as a climb, it also works for losses that are negative or start near 0.
    blowup must be > 1; blowup=float('inf') turns this check off (nan/inf are still caught).
    """
    if optimizer is None or train is None:
        raise MicrogradError("fit: needs an optimizer and train=(X, y)")
    check_fit_options(optimizer, model, epochs, batch_size, blowup, clip_grad, verbose)
    metric_name, metric_fn = resolve_metric(metric, loss_fn, "fit")
    for name, pair in (("train", train), ("val", val)):
        if pair is not None and (not isinstance(pair, (tuple, list)) or len(pair) != 2):
            raise DataError(f"fit: {name} must be a pair (X, y), got a {type(pair).__name__}"
                            + (f" of length {len(pair)}" if hasattr(pair, "__len__") else ""))
    X, y = check_inputs(model, *train, where="fit (train)")
    if val is not None:
        val = check_inputs(model, *val, where="fit (val)")
    rng = as_generator(seed)
    params = model.parameters()
    history = History(lr=max(_lrs(optimizer)), batch_size=batch_size, metric=metric_name)
    history.initial_loss = _evaluate(model, loss_fn, X, y, None)[0]
    # The climb that counts as a blow-up (inf turns the check off; a nan initial loss makes
    # it nan, which never compares greater: the nan/inf check then catches that loss).
    allowed = math.inf
    if math.isfinite(blowup):
        allowed = (blowup - 1) * max(abs(history.initial_loss), BLOWUP_FLOOR)
    every = 0 if verbose is True else int(verbose)  # log lines every k epochs; True: the bar only
    progress = Progress(stream or sys.stdout, epochs, every) if verbose else None
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
                raise divergence(model, loss_fn, Xb, yb, history, epoch, step,
                                 steps_per_epoch, _lrs(optimizer), value, smoothed, finite, blowup)
            history.step_loss.append(value)
            if clip_grad is not None:
                clip_grad_norm_(params, clip_grad)
            optimizer.step()
        elapsed += time.perf_counter() - start
        history.time.append(elapsed)
        _record(history.train_loss, history.train_metric,
                _evaluate(model, loss_fn, X, y, metric_fn))
        if val is not None:
            _record(history.val_loss, history.val_metric,
                    _evaluate(model, loss_fn, *val, metric_fn))
        if progress:
            progress.epoch(epoch, history)
    return history


def _lrs(optimizer: Optimizer) -> list[float]:
    """Each param group's learning rate, now."""
    return [group["lr"] for group in optimizer.param_groups]


def _record(losses: list[float], scores: list[float], result: tuple[float, float | None]) -> None:
    losses.append(result[0])
    if result[1] is not None:  # no metric: the list stays empty
        scores.append(result[1])
