"""The training loop: `fit` runs epochs of (mini-)batch gradient descent and records a
`History`; `evaluate` measures a model without recording a graph."""
from __future__ import annotations

import math
import sys
import time
from collections.abc import Callable
from typing import Any, TextIO

import numpy as np

from ..creation import as_generator
from ..data.batching import batches
from ..engine import Tensor, no_grad
from ..errors import DataError, MicrogradError
from ..nn.functional import accuracy, cross_entropy
from ..nn.modules import Module
from ..optim.clip import clip_grad_norm
from ..optim.optimizer import Optimizer
from .checks import check_fit_options, check_inputs
from .divergence import BLOWUP_FLOOR, LossFn, divergence
from .history import History
from .progress import Progress


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


def fit(model: Module, loss_fn: LossFn = cross_entropy, optimizer: Optimizer | None = None,
        train: tuple[Any, Any] | None = None, val: tuple[Any, Any] | None = None,
        epochs: int = 10, batch_size: int | None = None, seed: Any = 0,
        verbose: bool | int = True, metric: Callable[[Any, Any], float] = accuracy,
        clip_grad: float | None = None, blowup: float = 10.0,
        stream: TextIO | None = None) -> History:
    """Train `model` on `train` = (X, y) for `epochs` passes and return the History.

    batch_size None = full-batch gradient descent, 1 = online SGD, k = mini-batches of k;
    `seed` fixes the order of the examples. verbose=True shows a progress bar (on a terminal
    only; a widget in Jupyter), an int k also a log line every k-th epoch, False nothing.
    Raises DivergenceError when a step's loss or gradients are nan/inf, or when the loss,
    smoothed over about an epoch, climbs above the untrained model's loss L₀ by more than
    (blowup - 1)·max(|L₀|, 1e-6). For a positive L₀ that is "more than blowup times L₀";
    measured as a climb, it also works for losses that are negative or start near 0.
    blowup must be > 1; blowup=float('inf') turns this check off (nan/inf are still caught).
    """
    if optimizer is None or train is None:
        raise MicrogradError("fit: needs an optimizer and train=(X, y)")
    check_fit_options(optimizer, model, epochs, batch_size, blowup, clip_grad, verbose)
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
