#!/usr/bin/env python
"""Cross-entropy vs squared error for classification (lab, questions 8 and 9).

Left: the same network trained on the circles with each loss (accuracy per epoch), from
its usual random start and from a "confidently wrong" start (output weights ×20, so the
softmax starts saturated).
Right: why, computed with the engine: the gradient that reaches the true class's logit,
as a function of the probability the softmax gives that class. Cross-entropy's is
1 - p, largest when the model is confidently wrong; squared error through a softmax
multiplies by p(1 - p) and fades exactly there. Writes losses.png.
"""
from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run from a checkout, installed or not

from micrograd import Tensor, data, nn, no_grad, optim  # noqa: E402
from micrograd.cli.options import demo_options  # noqa: E402
from micrograd.nn import functional as F  # noqa: E402
from micrograd.train import fit  # noqa: E402
from micrograd.viz.plots import pyplot, save_figure  # noqa: E402


def squared_error(logits: Tensor, y: np.ndarray) -> Tensor:
    """l = Σᵢ (ŷᵢ - yᵢ)² per example with ŷ = softmax(logits), y one-hot; mean over examples."""
    Y = F.one_hot(y, logits.shape[1])  # mse_loss takes values, not class labels
    return F.mse_loss(F.softmax(logits, axis=1), Y, reduction="none").sum(axis=1).mean()


LOSSES = {"cross-entropy": F.cross_entropy, "squared error": squared_error}


def saturate(model: nn.MLP, scale: float) -> None:
    """Multiply the output layer by `scale`: large logits, a softmax near 0 or 1 from the start."""
    last = model.layers[len(model.layers) - 1]
    with no_grad():  # an update of leaves that require grad: PyTorch's way, counted
        last.weight *= scale
        last.bias *= scale


def logit_gradient(loss_fn, p_true: np.ndarray) -> np.ndarray:
    """|∂l/∂z_true| for two classes, at logits z = (log p, log(1 - p)) with true class 0."""
    z = Tensor(np.column_stack([np.log(p_true), np.log1p(-p_true)]), requires_grad=True)
    loss_fn(z, np.zeros(len(p_true), dtype=np.int64)).backward()
    return np.abs(z.grad[:, 0]) * len(p_true)  # undo the mean over the batch of points


def main(argv: list[str] | None = None) -> int:
    args = demo_options(__doc__.split("\n\n")[0], argv)
    n, epochs = (300, 30) if args.fast else (600, 50)
    parts = data.split(*data.circles(n, noise=0.1, factor=0.5, seed=args.seed), seed=args.seed)
    plt = pyplot()
    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(11, 4))
    for k, (name, loss_fn) in enumerate(LOSSES.items()):
        for start, style in (("usual start", "-"), ("saturated start", "--")):
            model = nn.MLP([2, 10, 2], seed=args.seed)
            if start == "saturated start":
                saturate(model, 20.0)
            h = fit(model, loss_fn, optim.SGD(model.parameters(), lr=0.3, momentum=0.9), parts.train,
                    parts.val, epochs=epochs, batch_size=32, seed=args.seed, verbose=False, blowup=1e6,
                    metric="accuracy")  # squared error is not a classification loss: ask for it
            first = next((e + 1 for e, a in enumerate(h.val_acc) if a > 0.9), None)
            print(f"{name:<14} {start:<16} val accuracy after {epochs} epochs {100 * h.val_acc[-1]:5.1f}%; "
                  f"above 90% from epoch {first or 'never'}")
            ax1.plot(np.arange(1, h.epochs + 1), 100 * np.asarray(h.val_acc), style, color=f"C{k}",
                     label=f"{name}, {start}")
    ax1.set(xlabel="epoch", ylabel="validation accuracy (%)", title="same network, same SGD, two losses")
    p = np.linspace(1e-3, 1 - 1e-3, 400)
    for k, (name, loss_fn) in enumerate(LOSSES.items()):
        ax2.plot(p, logit_gradient(loss_fn, p), color=f"C{k}", label=name)
    ax2.set(xlabel="softmax probability of the true class", ylabel="|∂loss/∂logit of the true class|",
            title="the gradient where the model is wrong")
    ax2.annotate("confidently wrong:\nsquared error barely moves", xy=(0.02, 0.02), xytext=(0.25, 0.75),
                 arrowprops={"arrowstyle": "->"})
    for ax in (ax1, ax2):
        ax.grid(alpha=0.3)
        ax.legend()
    path = save_figure(fig, Path(args.out) / "losses.png")
    print("wrote", path)
    return 0


if __name__ == "__main__":
    sys.exit(main())
