#!/usr/bin/env python
"""Real handwritten digits: scikit-learn's 8x8 images, a 64-64-10 MLP, softmax + cross-entropy.

Needs scikit-learn (it bundles the 1,797 images, no download). Trains with Adam on
mini-batches, reports train/val/test accuracy (test reaches 95% or more), and writes
digits_curves.png and digits_predictions.png (test digits, mistakes in red).
"""
from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run from a checkout, installed or not

from micrograd import Tensor, data, float32, nn, no_grad, optim  # noqa: E402
from micrograd.cli.options import demo_options  # noqa: E402
from micrograd.nn.functional import cross_entropy  # noqa: E402
from micrograd.train import evaluate, fit  # noqa: E402
from micrograd.viz.plots import image_grid, training_curves  # noqa: E402


def main(argv: list[str] | None = None) -> int:
    args = demo_options(__doc__.split("\n\n")[0], argv)
    X, y = data.digits()
    parts = data.split(X, y, val=0.2, test=0.2, seed=args.seed)
    model = nn.MLP([64, 64, 10], activation="tanh", seed=args.seed)
    epochs = 10 if args.fast else 20
    h = fit(model, cross_entropy, optim.Adam(model.parameters(), lr=0.01), parts.train, parts.val,
            epochs=epochs, batch_size=32, seed=args.seed, verbose=5)
    test_loss, test_acc = evaluate(model, cross_entropy, *parts.test)
    print(f"digits: {model.num_parameters()} parameters, {h.time[-1]:.2f} s of training; accuracy "
          f"train {100 * h.train_acc[-1]:.1f}%, val {100 * h.val_acc[-1]:.1f}%, test {100 * test_acc:.1f}% "
          f"({len(parts.test[1])} test images)")
    out = Path(args.out)
    Xte, yte = parts.test
    with no_grad():
        pred = model(Tensor(Xte, dtype=float32)).data.argmax(axis=1)  # the model's dtype
    wrong = np.flatnonzero(pred != yte)
    shown = np.concatenate([wrong[:10], np.flatnonzero(pred == yte)[:40 - min(len(wrong), 10)]])
    pictures = [
        training_curves(h, out / "digits_curves.png", title="64-64-10 tanh MLP on 8x8 digits"),
        image_grid(Xte[shown].reshape(-1, 8, 8), yte[shown], pred[shown], out / "digits_predictions.png",
                   title=f"test digits: predicted (true); {len(wrong)} of {len(yte)} wrong"),
    ]
    print("wrote", ", ".join(map(str, pictures)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
