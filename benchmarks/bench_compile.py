"""What micrograd.compile buys over eager micrograd, as ratios to hand-written numpy, in one run.

    python benchmarks/bench_compile.py            # the four cases, a table of ratios
    python benchmarks/bench_compile.py --quick    # fewer repeats

The cases are bench_engine.py's: each times a step written three ways, the compiled
function (micrograd.compile), the same function eager, and the same model by hand in
numpy (the lab's manual backprop), in alternating rounds, each keeping its best round.
BLAS is pinned to one thread before numpy loads. The targets are issue 12's, for the
compiled ratio to numpy; the table also gives compiled / eager. Last, the peak memory
(tracemalloc) of one compiled and one eager step of the lab network.
"""
from __future__ import annotations

import os

for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[_var] = "1"

import argparse  # noqa: E402
import ctypes  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
import tracemalloc  # noqa: E402
from collections.abc import Callable  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_engine import numpy_mlp_step, numpy_tanh_chain, numpy_tiny_ops  # noqa: E402

import micrograd as mg  # noqa: E402
from micrograd import nn, optim  # noqa: E402
from micrograd.nn import functional as F  # noqa: E402

Step = Callable[[], object]


def steady_malloc() -> bool:
    """Keep freed memory in the process. glibc hands large freed blocks back to the OS, and
    the next array of that size page-faults in fresh memory: on the 784-256-10 step that
    alone moved any side's time by up to 2x, depending on what ran just before it. With
    the blocks kept, the timings measure the arithmetic. (Linux with glibc only.)"""
    try:
        libc = ctypes.CDLL("libc.so.6")
    except OSError:
        return False
    trim, mmap = -1, -3  # M_TRIM_THRESHOLD, M_MMAP_THRESHOLD in malloc.h
    return bool(libc.mallopt(trim, 1 << 25) and libc.mallopt(mmap, 1 << 25))


def compare(fns: list[Step], number: int, repeat: int) -> list[float]:
    """Mean seconds per call of each function, the best of `repeat` rounds of `number`
    calls, the functions timed in turn within each round. Each round starts with the
    next function: with large arrays, the one that runs right after another's frees
    pays for fresh memory (page faults), and no side should always be that one."""
    best = [float("inf")] * len(fns)
    for r in range(repeat):
        for j in range(len(fns)):
            k = (j + r) % len(fns)
            t0 = time.perf_counter()
            for _ in range(number):
                fns[k]()
            best[k] = min(best[k], (time.perf_counter() - t0) / number)
    return best


def warm(step: Step) -> Step:
    """A compiled step runs its generated code from a signature's third call on."""
    for _ in range(3):
        step()
    return step


# ----------------------------------------------------------------------------- the cases


def mlp_steps(sizes: tuple[int, int, int], batch: int) -> tuple[Step, Step, Step]:
    """(compiled, eager, numpy) full SGD steps of a tanh MLP with softmax cross-entropy."""
    rng = np.random.default_rng(0)
    X = rng.standard_normal((batch, sizes[0]))
    y = rng.integers(0, sizes[2], size=batch)
    onehot = np.eye(sizes[2])[y]

    def model_and_optimizer() -> tuple[nn.Module, optim.Optimizer]:
        model = nn.MLP(list(sizes), activation="tanh", seed=0, dtype=np.float64)
        return model, optim.SGD(model.parameters(), lr=0.01)

    Xt = mg.Tensor(X)
    model_c, opt_c = model_and_optimizer()
    model_e, opt_e = model_and_optimizer()
    np_params = [(layer.weight.data.copy(), layer.bias.data.copy())
                 for layer in model_e.modules() if isinstance(layer, nn.Linear)]
    loss = mg.compile(lambda x: F.cross_entropy(model_c(x), y))

    def compiled() -> None:
        opt_c.zero_grad()
        loss(Xt).backward()
        opt_c.step()

    def eager() -> None:
        opt_e.zero_grad()
        F.cross_entropy(model_e(Xt), y).backward()
        opt_e.step()

    return warm(compiled), eager, lambda: numpy_mlp_step(X, onehot, np_params, 0.01)


def tiny_steps() -> tuple[Step, Step, Step]:
    """(a*b + a).sum() on shape-(4,) tensors, forward and backward."""
    rng = np.random.default_rng(0)
    a_np, b_np = rng.standard_normal(4), rng.standard_normal(4)
    a = mg.Tensor(a_np, requires_grad=True)
    b = mg.Tensor(b_np, requires_grad=True)
    f = mg.compile(lambda a, b: (a * b + a).sum())

    def compiled() -> None:
        a.grad = b.grad = None
        f(a, b).backward()

    def eager() -> None:
        a.grad = b.grad = None
        (a * b + a).sum().backward()

    return warm(compiled), eager, lambda: numpy_tiny_ops(a_np, b_np)


def tanh_steps(depth: int) -> tuple[Step, Step, Step]:
    """tanh applied `depth` times to a shape-(8,) tensor, then .sum().backward()."""
    x_np = np.random.default_rng(0).standard_normal(8)
    x = mg.Tensor(x_np, requires_grad=True)

    def chain(h: mg.Tensor) -> mg.Tensor:
        for _ in range(depth):
            h = h.tanh()
        return h.sum()

    f = mg.compile(chain)

    def compiled() -> None:
        x.grad = None
        f(x).backward()

    def eager() -> None:
        x.grad = None
        chain(x).backward()

    return warm(compiled), eager, lambda: numpy_tanh_chain(x_np, depth)


def peak_memory(step: Step) -> int:
    """The largest number of bytes numpy and Python held at once during one step."""
    step()
    tracemalloc.start()
    try:
        step()
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="fewer repeats (noisier)")
    args = parser.parse_args()
    rounds = 20 if args.quick else 100
    steady = steady_malloc()
    cases = [
        ("MLP 2-10-2, 200 points, full-batch step", 1.05,
         lambda: mlp_steps((2, 10, 2), 200), 50, rounds),
        ("MLP 784-256-10, batch 64, one SGD step", 1.02,
         lambda: mlp_steps((784, 256, 10), 64), 3, rounds),
        ("(a*b + a).sum() on (4,), fwd+bwd", 1.3, tiny_steps, 200, rounds),
        ("tanh x10,000 on (8,), then sum().backward()", 1.2,
         lambda: tanh_steps(10_000), 1, max(rounds // 3, 5)),
    ]
    print(f"micrograd {mg.__version__}, numpy {np.__version__}, one BLAS thread, "
          f"{'freed memory kept (mallopt)' if steady else 'default malloc'}")
    print(f"{'case':46} {'compiled':>10} {'eager':>10} {'numpy':>10} {'c/numpy':>8} "
          f"{'e/numpy':>8} {'c/eager':>8} {'target':>7}")
    failed = 0
    for title, target, make, number, repeat in cases:
        compiled, eager, numpy = make()
        c, e, n = compare([compiled, eager, numpy], number, repeat)
        ok = c / n <= target
        failed += not ok
        print(f"{title:46} {c * 1e6:8.1f}us {e * 1e6:8.1f}us {n * 1e6:8.1f}us {c / n:7.2f}x "
              f"{e / n:7.2f}x {c / e:7.2f}x {'<=' if ok else '> '}{target:4.2f}x")
    compiled, eager, _ = mlp_steps((2, 10, 2), 200)
    pc, pe = peak_memory(compiled), peak_memory(eager)
    print(f"peak memory of one lab step (2-10-2, 200 points): compiled {pc / 1024:.1f} KiB, "
          f"eager {pe / 1024:.1f} KiB ({pc / pe:.2f}x)")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
