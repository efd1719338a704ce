"""The lab's nan run, reproduced, then fixed one change at a time (docs/lab.md, Part 2).

The lab's recipe, as far as its report shows it: the 2-h-2 tanh network on the two
circles, in float32 (PyTorch's default), a hand-written softmax ŷ = e^ỹ / Σ e^ỹ, the
one-hot cross-entropy −Σ yᵢ log ŷᵢ summed (not averaged) over batches of 10, and plain
SGD with η = 1. Written op by op with the engine, that recipe reaches nan within two
epochs. Each fix changes one thing:

  log-sum-exp   the loss from log_softmax (ỹ − max ỹ − log Σ e^(ỹ − max ỹ)): finite, but
                the steps stay as large, so the network does not learn much
  mean          the loss averaged over the batch: the same steps as η = 1/10
  η = 0.1       a ten times smaller learning rate
  clipping      every gradient scaled to a norm of at most 1 before the step
  float64       exp overflows above ỹ ≈ 709 instead of ≈ 88.7: finite, but as large steps

At the first step whose loss or gradient is not finite, the step is run again under
detect_anomaly(), which names the op where the first inf or nan appeared; training then
goes on as the lab's did, with nan weights.

    runs = [run_recipe(r, epochs=10) for r in RECIPES]
    print(format_log(runs[0])); plot_runs(runs, "nan_run.png")
"""
from __future__ import annotations

import warnings
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np

from .. import data as _data
from ..engine import Tensor, detect_anomaly
from ..errors import AnomalyError, ArgumentError

__all__ = ["Recipe", "LAB", "FIXES", "RECIPES", "Run", "lab_data", "run_recipe", "format_log",
           "plot_runs", "FLOAT32_EXP_LIMIT"]

# The largest x with a finite float32 exp(x): log of the largest float32, ≈ 88.72.
FLOAT32_EXP_LIMIT = float(np.log(np.finfo(np.float32).max))


@dataclass(frozen=True)
class Recipe:
    """How one run is trained. The defaults are the lab's recipe."""
    name: str = "the lab's recipe"
    dtype: str = "float32"          # float32 or float64, data and weights
    loss: str = "softmax"           # softmax: −Σ y log(e^z/Σe^z); log_softmax: −Σ y log_softmax(z)
    reduction: str = "sum"          # sum or mean over the batch
    lr: float = 1.0
    clip: float | None = None       # clip the gradients' total norm to this before each step
    change: str = "float32, e^ỹ/Σe^ỹ, −Σ y log ŷ summed over batches of 10, SGD η = 1"

    def __post_init__(self) -> None:
        if self.dtype not in ("float32", "float64"):
            raise ArgumentError(f"Recipe: dtype must be 'float32' or 'float64', got {self.dtype!r}")
        if self.loss not in ("softmax", "log_softmax"):
            raise ArgumentError(f"Recipe: loss must be 'softmax' or 'log_softmax', "
                                f"got {self.loss!r}")
        if self.reduction not in ("sum", "mean"):
            raise ArgumentError(f"Recipe: reduction must be 'sum' or 'mean', "
                                f"got {self.reduction!r}")


LAB = Recipe()
FIXES = [
    replace(LAB, name="log-sum-exp", loss="log_softmax",
            change="the loss from log_softmax: z - max z - log Σ exp(z - max z)"),
    replace(LAB, name="mean", reduction="mean", change="the loss averaged over the batch"),
    replace(LAB, name="η = 0.1", lr=0.1,
            change="a learning rate of 0.1 (the same steps as the mean over 10)"),
    replace(LAB, name="clipping", clip=1.0, change="gradients clipped to a total norm of 1"),
    replace(LAB, name="float64", dtype="float64", change="float64 data and weights"),
]
RECIPES = [LAB, *FIXES]


@dataclass
class Run:
    """What one recipe did. Losses are per example (a summed batch loss divided by the batch
    size) so that every recipe is on the same scale; accuracies are fractions."""
    recipe: Recipe
    step_loss: list[float] = field(default_factory=list)      # per step
    step_max_logit: list[float] = field(default_factory=list)  # max |ỹ| of the step's batch
    batch_loss: list[float] = field(default_factory=list)  # per epoch: the last batch's loss, as
    batch_acc: list[float] = field(default_factory=list)   # the recipe reduces it, and accuracy
    val_loss: list[float] = field(default_factory=list)    # per epoch, the whole validation set
    val_acc: list[float] = field(default_factory=list)
    val_class0: float = 0.0  # the share of class 0 in the validation set
    first_bad_step: int | None = None   # the first step whose loss or gradient is not finite
    first_bad_epoch: int | None = None
    anomaly: str | None = None  # what detect_anomaly() said on that step
    cause: str | None = None    # what the numbers of that step show, in words
    batch_class0: list[float] = field(default_factory=list)  # per epoch: class 0's share of
    # the last batch, which is the accuracy of a network that predicts class 0 everywhere
    steps_per_epoch: int = 0

    @property
    def finite(self) -> bool:
        return self.first_bad_step is None


def lab_data(n_train: int = 300, n_val: int = 100, seed: int = 0
             ) -> tuple[tuple[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]]:
    """(train, val) points of the two circles (noise 0.1, inner radius 0.5), labels 0/1."""
    X, y = _data.circles(n_train + n_val, noise=0.1, factor=0.5, seed=seed)
    return (X[:n_train], y[:n_train]), (X[n_train:], y[n_train:])


def _loss(recipe: Recipe, logits: Tensor, onehot: Tensor) -> Tensor:
    """The recipe's loss of one batch, op by op as the lab wrote it."""
    if recipe.loss == "softmax":
        e = logits.exp()
        log_p = (e / e.sum(axis=1, keepdims=True)).log()
    else:
        log_p = logits.log_softmax(axis=1)
    total = -(onehot * log_p).sum()
    return total / len(onehot.data) if recipe.reduction == "mean" else total


def _finite_step(loss: Tensor, params: list[Tensor]) -> bool:
    return bool(np.isfinite(loss.data).all()) and all(
        p.grad is None or bool(np.isfinite(p.grad).all()) for p in params)


def run_recipe(recipe: Recipe = LAB, epochs: int = 10, hidden: int = 10, batch_size: int = 10,
               seed: int = 0, data: Any = None) -> Run:
    """Train the 2-`hidden`-2 tanh network with `recipe` for `epochs` epochs on `data`
    ((train, val) as lab_data returns; default lab_data(seed=seed)) and record it."""
    from ..nn import MLP
    from ..optim import SGD, clip_grad_norm_

    (X, y), (Xv, yv) = lab_data(seed=seed) if data is None else data
    dtype = np.dtype(recipe.dtype)
    X, Xv = np.asarray(X, dtype=dtype), np.asarray(Xv, dtype=dtype)
    Y, Yv = np.eye(2, dtype=dtype)[y], np.eye(2, dtype=dtype)[yv]
    model = MLP([2, hidden, 2], activation="tanh", seed=seed, dtype=dtype)
    params = model.parameters()
    opt = SGD(params, lr=recipe.lr)
    run = Run(recipe, val_class0=float(np.mean(yv == 0)))
    step = 0
    # numpy warns on every overflow and 0·inf; this run is about them, and reports them itself
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore", RuntimeWarning)
        for epoch in range(epochs):
            for xb, yb in _data.batches(X, Y, batch_size, seed=seed * 1000 + epoch):
                opt.zero_grad()
                logits = model(Tensor(xb))
                loss = _loss(recipe, logits, Tensor(yb))
                loss.backward()
                if run.first_bad_step is None and not _finite_step(loss, params):
                    run.first_bad_step, run.first_bad_epoch = step, epoch
                    run.anomaly = _diagnose(recipe, model, params, xb, yb)
                    run.cause = _cause(logits.data, yb)
                if recipe.clip is not None:
                    clip_grad_norm_(params, recipe.clip)
                opt.step()
                per_example = loss.item() / (len(xb) if recipe.reduction == "sum" else 1)
                run.step_loss.append(per_example)
                run.step_max_logit.append(float(np.max(np.abs(logits.data))))
                step += 1
            run.steps_per_epoch = step // (epoch + 1)
            # as the lab's log: the last batch's loss and accuracy (its accuracies are
            # multiples of 10 %, one batch of 10), then the whole validation set
            run.batch_loss.append(loss.item())
            run.batch_acc.append(float(np.mean(logits.data.argmax(axis=1) == yb.argmax(axis=1))))
            run.batch_class0.append(float(np.mean(yb[:, 0] == 1)))
            val_logits = model(Tensor(Xv))
            run.val_loss.append(_loss(replace(recipe, reduction="mean"), val_logits,
                                      Tensor(Yv)).item())
            run.val_acc.append(float(np.mean(val_logits.data.argmax(axis=1) == yv)))
    return run


def _diagnose(recipe: Recipe, model: Any, params: list[Tensor], xb: np.ndarray,
              yb: np.ndarray) -> str:
    """The same step again under detect_anomaly(): the message naming the first op whose
    output or local partial was not finite. The step's gradients are put back after."""
    saved = [p.grad for p in params]
    for p in params:
        p.grad = None
    try:
        with detect_anomaly():
            _loss(recipe, model(Tensor(xb)), Tensor(yb)).backward()
    except AnomalyError as e:
        return str(e)
    finally:
        for p, g in zip(params, saved, strict=True):
            p.grad = g
    return "anomaly detection found nothing on a second run"  # not expected: same numbers


def _cause(logits: np.ndarray, onehot: np.ndarray) -> str:
    """Which of the routes to nan the batch's logits took, read from the numbers."""
    limit = float(np.log(np.finfo(logits.dtype).max))
    top = float(np.max(logits))
    if top > limit:
        return (f"a logit of {top:.4g} > {limit:.4g}: exp overflowed to inf, and the "
                f"softmax's inf/inf is nan")
    e = np.exp(logits)
    p = e / e.sum(axis=1, keepdims=True)
    zero = p == 0
    if np.any(zero & (onehot == 0)):
        return ("a probability of a class that is not the label rounded to 0: its term of "
                "−Σ y log ŷ is 0 · log 0 = 0 · (−inf) = nan, in the forward pass, even where "
                "the prediction is right")
    if np.any(zero & (onehot == 1)):
        return "the probability of a label rounded to 0: −log 0 = inf"
    # Finite probabilities, so the loss is finite; what overflows is a gradient: the
    # label's −1/ŷ, once ŷ is below 1/(the dtype's largest number).
    labels = p[onehot == 1]
    tiny = float(np.min(labels if labels.size else p))
    big = float(np.finfo(logits.dtype).max)
    return (f"the label's probability is {tiny:.3g}: its loss −log ŷ = {-np.log(tiny):.4g} "
            f"is finite, but the gradient −1/ŷ is beyond {logits.dtype}'s largest number "
            f"({big:.3g}): it overflows, in the backward pass")


def format_log(run: Run, max_epochs: int | None = None) -> str:
    """The run as the lab's log printed it: a line per epoch (the first `max_epochs`)."""
    lines = [f"{run.recipe.name}: {run.recipe.change}"]
    shown = len(run.batch_loss) if max_epochs is None else min(max_epochs, len(run.batch_loss))
    for k in range(shown):
        line = (f"  epoch {k}: loss {run.batch_loss[k]:.4g} / acc {100 * run.batch_acc[k]:.0f}"
                f"   val loss {run.val_loss[k]:.4g} / val acc {100 * run.val_acc[k]:.0f}")
        if not np.isfinite(run.batch_loss[k]):
            line += (f"   (class 0 is {100 * run.batch_class0[k]:.0f} % of the batch, "
                     f"{100 * run.val_class0:.0f} % of val)")
        lines.append(line)
    if shown < len(run.batch_loss):
        rest = run.batch_loss[shown:]
        lines.append(f"  ... {len(rest)} more epochs" + (", every loss nan" if np.isnan(rest).all()
                                                      else ""))
    if run.first_bad_step is None:
        lines.append("  every loss and gradient finite")
    else:
        lines.append(f"  first non-finite loss or gradient: epoch {run.first_bad_epoch}, step "
                     f"{run.first_bad_step} (max |logit| of that batch "
                     f"{run.step_max_logit[run.first_bad_step]:.4g})")
        lines.append(f"  what happened: {run.cause}")
        lines.append(f"  detect_anomaly(): {run.anomaly}")
    return "\n".join(lines)


def _running(values: np.ndarray, window: int, reduce: Any) -> np.ndarray:
    """`reduce` (np.mean, np.min, np.max) of each value and the window - 1 before it (fewer
    at the start); a nan (a step that was not finite) makes its windows nan."""
    return np.array([reduce(values[max(0, k - window + 1):k + 1]) for k in range(len(values))])


def plot_runs(runs: list[Run], path: str | Path, title: str | None = None) -> Path:
    """Three panels: the per-example training loss per step (an × where a run first went
    non-finite), the largest |logit| per step against float32's exp limit, and the
    validation accuracy per epoch."""
    from ..viz.plots import pyplot, save_figure

    if not runs:
        raise ArgumentError("plot_runs: no runs to plot")
    plt = pyplot()
    fig, (ax_loss, ax_logit, ax_acc) = plt.subplots(1, 3, figsize=(15, 4.8),
                                                    constrained_layout=True)
    styles = ["-", "-", "--", ":", "-.", (0, (5, 1, 1, 1))]
    for k, run in enumerate(runs):
        color, ls = f"C{k}", styles[k % len(styles)]
        steps = np.arange(1, len(run.step_loss) + 1) / max(run.steps_per_epoch, 1)
        loss = np.array(run.step_loss)
        label = run.recipe.name
        if run.first_bad_step is not None:
            label += f" (non-finite at epoch {run.first_bad_epoch})"
        loss = np.where(np.isfinite(loss), loss, np.nan)
        # the spread of single steps as a light band (the loss only: it would hide the
        # logits' trend), a running mean over a third of an epoch on top
        window = max(run.steps_per_epoch // 3, 1)
        low, high = _running(loss, window, np.min), _running(loss, window, np.max)
        ax_loss.fill_between(steps, low, high, color=color, alpha=0.12, lw=0)
        ax_loss.plot(steps, _running(loss, window, np.mean), color=color, ls=ls, lw=1.8,
                     label=label)
        logit = np.array(run.step_max_logit)
        logit = np.where(np.isfinite(logit), logit, np.nan)
        ax_logit.plot(steps, _running(logit, window, np.mean), color=color, ls=ls, lw=1.8)
        if run.first_bad_step is not None:
            bad = run.first_bad_step
            last = max(bad - 1, 0)
            ax_loss.plot(steps[bad], loss[last] if np.isfinite(loss[last]) else 1, "x",
                         color=color, ms=12, mew=3)
            if np.isfinite(logit[bad]):
                ax_logit.plot(steps[bad], logit[bad], "x", color=color, ms=12, mew=3)
        epochs = np.arange(1, len(run.val_acc) + 1)
        ax_acc.plot(epochs, 100 * np.array(run.val_acc), color=color, ls=ls, marker="o", ms=3,
                    lw=1.3)
    ax_logit.axhline(FLOAT32_EXP_LIMIT, color="black", lw=1, ls="--")
    ax_logit.annotate(f"float32 exp overflows above {FLOAT32_EXP_LIMIT:.1f}",
                      (0.02, FLOAT32_EXP_LIMIT), xycoords=("axes fraction", "data"),
                      textcoords="offset points", xytext=(0, 4), fontsize=8)
    ax_loss.set_ylim(bottom=1e-2)  # single steps dip far lower; the running means do not
    ax_loss.set(xlabel="epoch", ylabel="training loss per example", yscale="log",
                title="loss of each step's batch (× : first nan or inf)")
    ax_logit.set(xlabel="epoch", ylabel="largest |logit| in the batch", yscale="log",
                 title="how far the logits grow")
    ax_acc.set(xlabel="epoch", ylabel="validation accuracy (%)", ylim=(-3, 103),
               title="validation accuracy (nan weights: the share of class 0)")
    for ax in (ax_loss, ax_logit, ax_acc):
        ax.grid(alpha=0.3, which="both")
    fig.legend(loc="outside lower center", ncol=min(len(runs), 6), fontsize=9, frameon=False)
    fig.suptitle(title or "The lab's recipe goes to nan; each fix alone keeps it finite",
                 fontsize=11)
    return save_figure(fig, path)
