"""How much the engine costs over hand-written numpy, as ratios measured in one run.

    python benchmarks/bench_engine.py            # the four cases, a table of ratios
    python benchmarks/bench_engine.py --quick    # fewer repeats

Each case times micrograd's forward+backward(+SGD update) against the same model
written by hand in numpy (the lab's manual backprop: the floor for a numpy engine).
BLAS is pinned to one thread, before numpy loads, so that the ratio measures the
engine and not how many cores a matmul got. Both sides are timed in alternating
rounds and each keeps its best round, which keeps the ratio steady on a busy machine.
"""
from __future__ import annotations

import os

for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[_var] = "1"

import argparse  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402
from typing import Callable  # noqa: E402

import numpy as np  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
import micrograd as mg  # noqa: E402
from micrograd import nn, optim  # noqa: E402
from micrograd.nn import functional as F  # noqa: E402


def compare(ours: Callable[[], object], theirs: Callable[[], object], number: int,
            repeat: int) -> tuple[float, float]:
    """Mean seconds per call of each, as the best of `repeat` rounds of `number` calls.

    The two are timed in alternation, round after round, so that a slow spell of the
    machine hits both; the best round is the one least disturbed by anything else.
    """
    best = [float("inf"), float("inf")]
    for _ in range(repeat):
        for k, fn in enumerate((ours, theirs)):
            t0 = time.perf_counter()
            for _ in range(number):
                fn()
            best[k] = min(best[k], (time.perf_counter() - t0) / number)
    return best[0], best[1]


# ----------------------------------------------------------------------------- MLPs


def numpy_mlp_step(X, y_onehot, params, lr):
    """One full SGD step of a tanh MLP with softmax cross-entropy (mean), by hand."""
    (W1, b1), (W2, b2) = params
    n = X.shape[0]
    h = np.tanh(X @ W1.T + b1)
    logits = h @ W2.T + b2
    shifted = logits - logits.max(axis=1, keepdims=True)
    e = np.exp(shifted)
    s = e.sum(axis=1, keepdims=True)
    p = e / s
    loss = -(y_onehot * (shifted - np.log(s))).sum() / n
    d_logits = (p - y_onehot) / n
    dW2 = d_logits.T @ h
    db2 = d_logits.sum(axis=0)
    dh = d_logits @ W2
    d_pre = dh * (1 - h * h)
    dW1 = d_pre.T @ X
    db1 = d_pre.sum(axis=0)
    W1 -= lr * dW1
    b1 -= lr * db1
    W2 -= lr * dW2
    b2 -= lr * db2
    return loss


def mlp_case(sizes: tuple[int, int, int], batch: int, number: int, repeat: int) -> tuple[float, float]:
    rng = np.random.default_rng(0)
    X = rng.standard_normal((batch, sizes[0]))
    y = rng.integers(0, sizes[2], size=batch)
    onehot = np.eye(sizes[2])[y]
    # float64 on both sides, as the numpy step (the default float is float32, as PyTorch)
    model = nn.MLP(list(sizes), activation="tanh", seed=0, dtype=np.float64)
    np_params = [(layer.weight.data.copy(), layer.bias.data.copy())
                 for layer in model.modules() if isinstance(layer, nn.Linear)]
    opt = optim.SGD(model.parameters(), lr=0.01)
    Xt = mg.Tensor(X)

    def ours():
        opt.zero_grad()
        loss = F.cross_entropy(model(Xt), y)
        loss.backward()
        opt.step()

    def theirs():
        numpy_mlp_step(X, onehot, np_params, 0.01)

    return compare(ours, theirs, number, repeat)


# ----------------------------------------------------------------------------- small ops


def numpy_tiny_ops(a_np, b_np):
    """(a*b + a).sum() and its gradients for a and b, by hand."""
    s = (a_np * b_np + a_np).sum()
    g = np.ones_like(a_np)  # d s / d(a*b + a)
    return s, g * b_np + g, g * a_np


def numpy_tanh_chain(x_np, depth):
    """tanh applied `depth` times, then the gradient of the sum, by hand."""
    outs = []
    h = x_np
    for _ in range(depth):
        h = np.tanh(h)
        outs.append(h)
    g = np.ones_like(h)
    for z in reversed(outs):
        g = g * (1 - z * z)
    return g


def tiny_ops_case(number: int, repeat: int) -> tuple[float, float]:
    """(a*b + a).sum() on shape-(4,) tensors, forward and backward."""
    rng = np.random.default_rng(0)
    a_np, b_np = rng.standard_normal(4), rng.standard_normal(4)
    a = mg.Tensor(a_np, requires_grad=True)
    b = mg.Tensor(b_np, requires_grad=True)

    def ours():
        a.grad = b.grad = None
        ((a * b + a).sum()).backward()

    def theirs():
        return numpy_tiny_ops(a_np, b_np)

    return compare(ours, theirs, number, repeat)


def tanh_chain_case(depth: int, number: int, repeat: int) -> tuple[float, float]:
    """tanh applied `depth` times to a shape-(8,) tensor, then .sum().backward()."""
    x_np = np.random.default_rng(0).standard_normal(8)
    x = mg.Tensor(x_np, requires_grad=True)

    def ours():
        x.grad = None
        h = x
        for _ in range(depth):
            h = h.tanh()
        h.sum().backward()

    def theirs():
        return numpy_tanh_chain(x_np, depth)

    return compare(ours, theirs, number, repeat)


def deep_chain_completes(depth: int) -> float:
    x = mg.Tensor(np.ones(8) * 0.1, requires_grad=True)
    t0 = time.perf_counter()
    h = x
    for _ in range(depth):
        h = h.tanh()
    h.sum().backward()
    assert x.grad is not None and np.isfinite(x.grad).all()
    return time.perf_counter() - t0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="fewer repeats (noisier)")
    args = parser.parse_args()
    # Many short rounds rather than a few long ones: the best round of each side is
    # then likely to have fallen in a quiet spell of a shared machine.
    rounds = 20 if args.quick else 100
    cases = [
        ("MLP 2-10-2, 200 points, full-batch step", 1.5,
         lambda: mlp_case((2, 10, 2), 200, 50, rounds)),
        ("MLP 784-256-10, batch 64, one SGD step", 1.1,
         lambda: mlp_case((784, 256, 10), 64, 3, rounds)),
        ("(a*b + a).sum() on (4,), fwd+bwd", 3.0,
         lambda: tiny_ops_case(200, rounds)),
        ("tanh x10,000 on (8,), then sum().backward()", 2.0,
         lambda: tanh_chain_case(10_000, 1, rounds // 3)),
    ]
    print(f"micrograd {mg.__version__}, numpy {np.__version__}, one BLAS thread")
    print(f"{'case':46} {'micrograd':>11} {'numpy':>11} {'ratio':>7} {'target':>7}")
    failed = 0
    for title, target, run in cases:
        ours, theirs = run()
        ratio = ours / theirs
        ok = ratio <= target
        failed += not ok
        print(f"{title:46} {ours * 1e6:9.1f}us {theirs * 1e6:9.1f}us {ratio:6.2f}x {'<=' if ok else '> '}{target:4.1f}x")
    print(f"tanh chain of depth 100,000 forward+backward: {deep_chain_completes(100_000):.2f} s (completes)")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
