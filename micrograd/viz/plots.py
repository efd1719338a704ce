"""Pictures shared by the demos: decision boundaries, training curves, runs side by side.

matplotlib is imported lazily, with the Agg backend (files only, no window)."""
from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from ..engine import Tensor, no_grad
from ..nn.modules import Module
from ..train import History
from ..train.checks import model_dtype

__all__ = ["pyplot", "save_figure", "decision_boundary", "training_curves", "compare_runs",
           "image_grid"]

CLASS_COLORS = ["#08519c", "#b2182b", "#238b45", "#6a51a3", "#d94801", "#8c564b"]


def pyplot() -> Any:
    """matplotlib.pyplot on the Agg backend; ImportError with the install hint if it is missing."""
    try:
        import matplotlib
    except ImportError:
        raise ImportError("the pictures need matplotlib: pip install 'micrograd[plot]'") from None
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    return plt


def save_figure(fig: Any, path: str | Path) -> Path:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110, bbox_inches="tight")
    pyplot().close(fig)
    return path


@no_grad()
def _probabilities(model: Module, points: np.ndarray) -> np.ndarray:
    # The grid is numpy's float64; a float32 model (the default) refuses float64 input.
    points = points.astype(model_dtype(model) or points.dtype, copy=False)
    was_training = model.training
    model.eval()
    try:
        return model(Tensor(points)).softmax(axis=1).data
    finally:
        model.train(was_training)


def decision_boundary(model: Module, X: np.ndarray, y: np.ndarray, path: str | Path, *,
                      title: str = "", X_test: np.ndarray | None = None,
                      y_test: np.ndarray | None = None, resolution: int = 300) -> Path:
    """The model's predicted class over the plane (shaded by confidence), with the data on top."""
    plt = pyplot()
    pts = X if X_test is None else np.concatenate([X, X_test])
    lo, hi = pts.min(axis=0), pts.max(axis=0)
    pad = 0.15 * (hi - lo)
    gx, gy = np.meshgrid(np.linspace(lo[0] - pad[0], hi[0] + pad[0], resolution),
                         np.linspace(lo[1] - pad[1], hi[1] + pad[1], resolution))
    prob = _probabilities(model, np.column_stack([gx.ravel(), gy.ravel()]))
    classes = prob.shape[1]
    fig, ax = plt.subplots(figsize=(6, 5.4))
    if classes == 2:
        p1 = prob[:, 1].reshape(gx.shape)
        im = ax.contourf(gx, gy, p1, levels=np.linspace(0, 1, 21), cmap="RdBu_r", alpha=0.4)
        ax.contour(gx, gy, p1, levels=[0.5], colors="k", linewidths=1.5)
        fig.colorbar(im, ax=ax, fraction=0.046, pad=0.04, label="P(class 1)")
    else:
        from matplotlib.colors import ListedColormap
        pred = prob.argmax(axis=1).reshape(gx.shape)
        ax.contourf(gx, gy, pred, levels=np.arange(classes + 1) - 0.5,
                    cmap=ListedColormap(CLASS_COLORS[:classes]), alpha=0.3)
    for c in range(classes):
        ax.scatter(*X[y == c].T, s=14, color=CLASS_COLORS[c % len(CLASS_COLORS)],
                   edgecolor="white", linewidth=0.4, label=f"class {c} (train)")
        if X_test is not None:
            ax.scatter(*X_test[y_test == c].T, s=30, marker="^",
                       color=CLASS_COLORS[c % len(CLASS_COLORS)], edgecolor="black",
                       linewidth=0.6, label=f"class {c} (test)")
    ax.set(title=title, xlabel="$x_1$", ylabel="$x_2$", aspect="equal")
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.11),
              ncol=2 * classes if classes <= 3 else classes, fontsize=7, frameon=False)
    return save_figure(fig, path)


def training_curves(history: History, path: str | Path, title: str = "") -> Path:
    """Loss (log scale) per epoch, train and validation, beside the metric fit measured
    (accuracy in %, or the metric's own values; no second panel when it measured none)."""
    plt = pyplot()
    epochs = np.arange(1, history.epochs + 1)
    metric = history.metric
    fig, axes = plt.subplots(1, 1 if metric is None else 2,
                             figsize=(5.5 if metric is None else 10, 3.8), squeeze=False)
    ax1 = axes[0][0]
    ax1.plot(epochs, history.train_loss, label="train")
    if history.val_loss:
        ax1.plot(epochs, history.val_loss, label="validation")
    ax1.set(xlabel="epoch", ylabel="loss", yscale="log", title="loss")
    if metric is not None:
        ax2 = axes[0][1]
        scale = 100 if metric == "accuracy" else 1
        ax2.plot(epochs, scale * np.asarray(history.train_metric), label="train")
        if history.val_metric:
            ax2.plot(epochs, scale * np.asarray(history.val_metric), label="validation")
        if metric == "accuracy":
            ax2.set(ylabel="accuracy (%)", ylim=(min(45, ax2.get_ylim()[0]), 101))
        ax2.set(xlabel="epoch", title=metric)
    for ax in axes[0]:
        ax.grid(alpha=0.3)
        ax.legend()
    if title:
        fig.suptitle(title)
    return save_figure(fig, path)


def compare_runs(runs: Mapping[str, Sequence[float] | History], path: str | Path, *,
                 title: str = "",
                 x_axes: Sequence[str] = ("epoch",), ylabel: str = "training loss",
                 ends: Mapping[str, str] | None = None) -> Path:
    """One panel per x axis ("epoch", "time" or "step"), one line per run, loss on a log scale.

    A run is a History (its per-epoch train loss, or its per-step loss for x="step") or a
    plain sequence of values; `ends` marks runs that stopped early (label → note) with an ×."""
    plt = pyplot()
    ends = ends or {}
    fig, axes = plt.subplots(1, len(x_axes), figsize=(5.2 * len(x_axes), 3.9), squeeze=False)
    for ax, x_axis in zip(axes[0], x_axes, strict=True):
        for k, (label, run) in enumerate(runs.items()):
            ys: Sequence[float]
            if isinstance(run, History):  # start every curve at the untrained model's loss
                ys = [run.initial_loss, *(run.step_loss if x_axis == "step" else run.train_loss)]
                xs = [0.0, *run.time] if x_axis == "time" else np.arange(len(ys))
            else:
                ys, xs = run, np.arange(1, len(run) + 1)
            color = f"C{k}"
            name = f"{label} ({ends[label]})" if label in ends else label
            ax.plot(xs, ys, color=color, label=name, lw=1.6)
            if label in ends and len(ys):
                ax.plot(xs[-1], ys[-1], "x", color=color, ms=12, mew=3)
        xlabel = {"epoch": "epoch", "time": "training time (s)",
                  "step": "step (parameter update)"}[x_axis]
        ax.set(xlabel=xlabel, ylabel=ylabel, yscale="log")
        if x_axis == "time":
            ax.set_xscale("symlog", linthresh=0.01)  # fast and slow runs on one axis
            ax.set_xlim(left=0)
        ax.grid(alpha=0.3, which="both")
        ax.legend(fontsize=8)
    if title:
        fig.suptitle(title)
    return save_figure(fig, path)


def image_grid(images: np.ndarray, labels: Sequence[int], predicted: Sequence[int],
               path: str | Path, *, title: str = "", columns: int = 10) -> Path:
    """Small grayscale images with "predicted (true)" under each; mistakes are written in red."""
    plt = pyplot()
    rows = int(np.ceil(len(images) / columns))
    fig, axes = plt.subplots(rows, columns, figsize=(1.1 * columns, 1.3 * rows), squeeze=False)
    for ax in axes.ravel():
        ax.axis("off")
    # zip stops at the last image: the grid may have more cells than images
    for ax, img, true, pred in zip(axes.ravel(), images, labels, predicted, strict=False):
        ax.imshow(img, cmap="gray_r", interpolation="nearest")
        ax.set_title(f"{pred}" if pred == true else f"{pred} ({true})", fontsize=9,
                     color="black" if pred == true else "red")
    if title:
        fig.suptitle(title)
    return save_figure(fig, path)
