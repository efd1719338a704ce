"""The model families the lab measures and draws, each defined once: chain, mlp, ladder, lab,
scalar-mlp.

`micrograd compare`, `micrograd graph`, `micrograd check`, the demo, the docs and the tests
all build their models here, so every place that counts a family's work counts the
same graph. A family member is a `Model`: its parameters, and `loss()`, which records a
fresh graph on each call.

Two forms. Every family with layers comes in two forms that compute the same loss from
the same numbers but record different ops, and so cost different numbers of partials:

  unfused (the default)  written out in tensor ops, one op per line of the maths:
                         `h @ W + b` is a `matmul` and an `add` (W of shape (in, out),
                         so no transpose), the softmax cross-entropy is `log_softmax`,
                         picking each row's label (`getitem`), `mean` and `neg`.
  fused                  built with micrograd.nn, as the demo trains it: each layer is
                         nn.Linear, one `linear` op computing x Wᵀ + b (W of shape
                         (out, in)), and the loss is nn.functional.cross_entropy, one
                         `cross_entropy` op.

An op's partials are counted per input edge, so fusing k ops into one removes edges:
`linear` has 3 (2 when x needs no grad) where `matmul` + `add` have 4 (3), and
`cross_entropy` has 1 where the written-out loss has 4. The closed forms of both forms
are in closed_forms.py and derived in docs/complexity.md.

Two granularities. Every family but one records tensor ops: a layer is a few nodes however
wide it is. scalar-mlp is the mlp written in scalars, one node per weight, product and sum,
as the lab's formulas and a scalar engine write it: there every value feeds every unit of
the next layer, and naive mode's work becomes exponential in depth where the tensor form's
is quadratic.
"""
from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from ..engine import Tensor
from ..errors import ArgumentError

__all__ = ["Family", "FAMILIES", "Model", "build_model", "lab_model", "mlp_sizes"]


@dataclass
class Model:
    """A family member: its parameters, and `loss()`, which records a fresh graph per call."""
    family: str
    depth: int
    width: int
    fused: bool
    params: list[Tensor]
    loss: Callable[[], Tensor]
    description: str  # the ops it records, in one line

    @property
    def num_parameters(self) -> int:
        return sum(p.numel() for p in self.params)

    @property
    def form(self) -> str:
        return "fused" if self.fused else "unfused"

    def zero_grad(self) -> None:
        """Forget the gradients of the last backward(), so the next one starts from none."""
        for p in self.params:
            p.grad = None


# --------------------------------------------------------------------------- shared pieces

def _fresh(data: np.ndarray, name: str) -> Tensor:
    return Tensor(data, requires_grad=True, name=name)


def _linear_stack(arrays: list[tuple[np.ndarray, np.ndarray]], activation_last: bool) -> Any:
    """nn.Linear layers holding the given (W of shape (in, out), b) as weight = Wᵀ and bias = b,
    tanh between them (and after the last one when activation_last)."""
    from ..nn import Linear, Sequential, Tanh

    layers: list[Any] = []
    for k, (W, _) in enumerate(arrays):
        if k:
            layers.append(Tanh())
        n_in, n_out = W.shape
        layers.append(Linear(n_in, n_out, dtype=W.dtype))  # the lab computes in float64
    if activation_last:
        layers.append(Tanh())
    net = Sequential(*layers)
    state = {}
    for k, (W, b) in enumerate(arrays):  # the Linear layers sit at 0, 2, 4, …
        state[f"{2 * k}.weight"], state[f"{2 * k}.bias"] = W.T, b
    net.load_state_dict(state)
    return net


def _check_size(value: Any, what: str, family: str, least: int = 1) -> int:
    if (isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, np.integer))
            or value < least):
        raise ArgumentError(f"{family}: {what} must be a whole number >= {least}, got {value!r}")
    return int(value)


# --------------------------------------------------------------------------- chain

def _chain(depth: int, width: int, batch: int, seed: int, fused: bool) -> Model:
    """L layers h ← tanh(h W_l + b_l) of width w on a constant input x of shape (n, w);
    loss = mean(h²).

    Records, unfused: per layer `matmul` (1 edge in layer 1, where x needs no grad, else 2),
    `add` (2), `tanh` (1); then `pow` (1: the exponent is a constant) and `mean` (1).
    Fused: per layer `linear` (2 edges in layer 1, else 3) and `tanh` (1); then `pow`, `mean`.
    """
    rng = np.random.default_rng(seed)
    x = Tensor(rng.standard_normal((batch, width)), name="x")
    arrays = [(rng.standard_normal((width, width)) / np.sqrt(width),
               0.1 * rng.standard_normal(width)) for _ in range(depth)]
    if fused:
        net = _linear_stack(arrays, activation_last=True)
        params = net.parameters()

        def loss() -> Tensor:
            return (net(x) ** 2).mean()
        ops = "L × [linear, tanh]"
    else:
        params = []
        for k, (W, b) in enumerate(arrays, start=1):
            params += [_fresh(W, f"layer{k}.W"), _fresh(b, f"layer{k}.b")]

        def loss() -> Tensor:
            h = x
            for W, b in zip(params[::2], params[1::2], strict=True):
                h = (h @ W + b).tanh()
            return (h ** 2).mean()
        ops = "L × [matmul, add, tanh]"
    return Model("chain", depth, width, fused, params, loss,
                 f"{ops} of width {width} on a batch of {batch}, then pow, mean (loss = mean(h²))")


# --------------------------------------------------------------------------- mlp and lab

def mlp_sizes(depth: int, width: int, n_in: int = 2, n_out: int = 2) -> list[int]:
    """The layer sizes of the mlp family: n_in, `depth` hidden layers of `width`, n_out."""
    return [n_in] + [width] * depth + [n_out]


def _classifier(family: str, sizes: list[int], X: np.ndarray, labels: np.ndarray,
                arrays: list[tuple[np.ndarray, np.ndarray]], fused: bool) -> Model:
    """The tanh network with layers `arrays` [(W of shape (in, out), b), …] and softmax
    cross-entropy on the points X with integer labels: the loss of mlp and lab."""
    x, rows = Tensor(X, name="x"), np.arange(len(X))
    depth, width = len(sizes) - 2, (sizes[1] if len(sizes) > 2 else sizes[0])
    shape = "-".join(map(str, sizes))
    if fused:
        from ..nn.functional import cross_entropy

        net = _linear_stack(arrays, activation_last=False)
        params = net.parameters()

        def loss() -> Tensor:
            return cross_entropy(net(x), labels)
        ops = "[linear, tanh] per hidden layer, linear, cross_entropy"
    else:
        params = []
        for k, (W, b) in enumerate(arrays, start=1):
            prefix = "out" if k == len(arrays) else f"hidden{k}"
            params += [_fresh(W, f"{prefix}.W"), _fresh(b, f"{prefix}.b")]

        def loss() -> Tensor:
            h = x
            pairs = list(zip(params[::2], params[1::2], strict=True))
            for W, b in pairs[:-1]:
                h = (h @ W + b).tanh()
            W, b = pairs[-1]
            logits = h @ W + b
            # softmax cross-entropy = mean over the rows of -log softmax(logits)[label]
            return -logits.log_softmax(axis=1)[rows, labels].mean()
        ops = ("[matmul, add, tanh] per hidden layer, matmul, add, "
               "log_softmax, getitem, mean, neg")
    return Model(family, depth, width, fused, params, loss,
                 f"{shape} tanh network on {len(X)} points: {ops}")


def _init_layers(sizes: list[int],
                 rng: np.random.Generator) -> list[tuple[np.ndarray, np.ndarray]]:
    """(W of shape (in, out), b) per layer, both U(-1/√in, 1/√in) as nn.Linear starts them."""
    arrays = []
    for n_in, n_out in zip(sizes[:-1], sizes[1:], strict=True):
        bound = 1 / np.sqrt(n_in)
        arrays.append((rng.uniform(-bound, bound, (n_in, n_out)),
                       rng.uniform(-bound, bound, n_out)))
    return arrays


def _mlp(depth: int, width: int, batch: int, seed: int, fused: bool,
         sizes: Sequence[int] | None = None) -> Model:
    """A tanh network n_in-h-…-h-n_out (`depth` hidden layers of `width`, or any `sizes`)
    with softmax cross-entropy on `batch` random points in [-1, 1]^n_in with random labels.

    Records, unfused: per hidden layer `matmul` (1 edge in layer 1, else 2), `add` (2),
    `tanh` (1); the output layer `matmul` (2) and `add` (2); the loss `log_softmax`,
    `getitem`, `mean`, `neg` (1 each). Fused: per hidden layer `linear` (2 edges in layer 1,
    else 3) and `tanh`; the output layer `linear` (3); the loss `cross_entropy` (1).
    """
    sizes = mlp_sizes(depth, width) if sizes is None else list(sizes)
    rng = np.random.default_rng(seed)
    X = rng.uniform(-1, 1, (batch, sizes[0]))
    labels = rng.integers(0, sizes[-1], batch)
    return _classifier("mlp", sizes, X, labels, _init_layers(sizes, rng), fused)


def lab_model(width: int = 10, batch: int = 8, seed: int = 0, fused: bool = False, *,
              net: Any = None, points: tuple[np.ndarray, np.ndarray] | None = None) -> Model:
    """The lab's network: 2 inputs, `width` tanh units, 2 logits, softmax cross-entropy, on
    `batch` points of the two circles the lab trains on (data.circles, noise 0.1, factor 0.5).

    It records what mlp records at depth 1. `net` (an nn.MLP [2, h, 2], trained or not) gives
    its weights instead of fresh ones, `points` = (X, labels) its points: the demo draws its
    trained network this way.
    """
    if net is not None:
        sizes = list(getattr(net, "sizes", []))
        if (len(sizes) != 3 or sizes[0] != 2 or sizes[2] != 2
                or getattr(net, "activation", "") != "tanh"):
            raise ArgumentError(f"lab: net must be the lab's network, an nn.MLP([2, h, 2]) with "
                                f"tanh, got {net!r}")
        # float64 whatever the net's dtype (a default nn.MLP is float32): the lab's points
        # and closed forms are float64, and matmul refuses mixed dtypes.
        state = {k: v.astype(np.float64) for k, v in net.state_dict().items()}
        arrays = [(state[f"layers.{k}.weight"].T, state[f"layers.{k}.bias"]) for k in (0, 2)]
        width = sizes[1]
    else:
        width = _check_size(width, "width (hidden units)", "lab")
        arrays = None
    if points is None:
        from ..data import circles

        batch = _check_size(batch, "batch (points)", "lab")
        X, labels = circles(batch, noise=0.1, factor=0.5, seed=seed)
    else:
        X, labels = np.asarray(points[0], dtype=np.float64), np.asarray(points[1])
    if arrays is None:
        arrays = _init_layers([2, width, 2], np.random.default_rng(seed))
    return _classifier("lab", [2, width, 2], X, labels, arrays, fused)


def _lab(depth: int, width: int, batch: int, seed: int, fused: bool) -> Model:
    return lab_model(width, batch, seed, fused)


# --------------------------------------------------------------------------- scalar-mlp

def _scalar_mlp(depth: int, width: int, batch: int, seed: int, fused: bool) -> Model:
    """The mlp family's network on one point, written in scalars as the lab's formulas
    (h̃ᵢ = Σⱼ W[j, i] hⱼ + bᵢ) and a scalar engine write it: every weight, bias and
    activation is its own 0-d tensor, every product and sum its own op.

    The same numbers as `mlp` at batch 1 with the same seed, so the same loss and gradients.
    Each unit computes ((b + W[0, i] h₀) + W[1, i] h₁) + … then tanh (not in the output
    layer); the loss is log(Σₖ exp(zₖ)) − z_label (not shifted by the max: the untrained
    logits are small).

    Records: per unit of fan-in m, m `mul` (2 edges; 1 in the first layer, where the inputs
    need no grad) and m `add` (2), then `tanh` (1) in hidden layers; the loss `exp` (1 per
    logit), `add` (2 per logit after the first), `log` (1) and `sub` (2). Every hidden value
    reaches each unit of the next layer, so the paths from the loss multiply by the width at
    each layer: naive mode's work grows exponentially with depth.
    """
    sizes = mlp_sizes(depth, width)
    rng = np.random.default_rng(seed)
    X = rng.uniform(-1, 1, (1, sizes[0]))  # the draws of _mlp at batch 1, in the same order
    label = int(rng.integers(0, sizes[-1], 1)[0])
    arrays = _init_layers(sizes, rng)
    x = [Tensor(np.asarray(v), name=f"x[{j}]") for j, v in enumerate(X[0])]
    layers: list[tuple[list[list[Tensor]], list[Tensor]]] = []
    params: list[Tensor] = []
    for k, (W, b) in enumerate(arrays, start=1):
        prefix = "out" if k == len(arrays) else f"hidden{k}"
        Ws = [[_fresh(np.asarray(W[j, i]), f"{prefix}.W[{j},{i}]") for j in range(W.shape[0])]
              for i in range(W.shape[1])]  # Ws[i] holds the weights into unit i
        bs = [_fresh(np.asarray(b[i]), f"{prefix}.b[{i}]") for i in range(len(b))]
        layers.append((Ws, bs))
        params += [Ws[i][j] for j in range(W.shape[0]) for i in range(W.shape[1])] + bs

    def loss() -> Tensor:
        h = x
        for k, (Ws, bs) in enumerate(layers, start=1):
            out = []
            for weights, b in zip(Ws, bs, strict=True):
                s = b
                for w, v in zip(weights, h, strict=True):
                    s = s + w * v
                out.append(s.tanh() if k < len(layers) else s)
            h = out
        total = h[0].exp()
        for z in h[1:]:
            total = total + z.exp()
        return total.log() - h[label]

    shape = "-".join(map(str, sizes))
    return Model("scalar-mlp", depth, width, False, params, loss,
                 f"{shape} tanh network on one point, in scalars: per unit mul and add per "
                 f"input, then tanh; loss exp, add, log, sub (log Σ exp(z) - z_label)")


# --------------------------------------------------------------------------- ladder

def _ladder(depth: int, width: int, batch: int, seed: int, fused: bool) -> Model:
    """L rungs x ← (x + x) / 2 from a parameter x of shape (w,); loss = Σ x. Every rung
    doubles the number of paths from the loss down to x.

    Records: per rung `add` (2 edges, both to the same x) and `div` (1: the 2 is a
    constant); then `sum` (1). It has no layers, so no fused form.
    """
    x0 = _fresh(np.random.default_rng(seed).standard_normal(width), "x")

    def loss() -> Tensor:
        x = x0
        for _ in range(depth):
            x = (x + x) / 2
        return x.sum()

    return Model("ladder", depth, width, False, [x0], loss,
                 f"L × [add (x + x), div by 2] on x of shape ({width},), then sum")


# --------------------------------------------------------------------------- the registry

@dataclass(frozen=True)
class Family:
    """One family: how to build it, and which options it takes (name → what it means)."""
    name: str
    summary: str                  # one line, for --help and the docs
    build: Callable[..., Model]   # (depth, width, batch, seed, fused) -> Model
    options: dict[str, str]       # the options it takes: depth, width, batch, sizes
    default_width: int
    default_depth: int            # for a single picture (micrograd graph)
    fusable: bool                 # has a fused form
    growth: str = "polynomial"    # how naive mode's work grows with depth: polynomial or
    #                               exponential (which axes show it as a straight line)
    default_depths: range = range(1, 17)  # what `micrograd compare` measures by default

    def takes(self, option: str) -> bool:
        return option in self.options


FAMILIES: dict[str, Family] = {f.name: f for f in [
    Family("chain", "L layers h <- tanh(h W + b), loss mean(h^2)", _chain,
           {"depth": "layers", "width": "units per layer", "batch": "input rows"},
           default_width=4, default_depth=4, fusable=True),
    Family("mlp", "tanh classifier 2-h-...-h-2 with softmax cross-entropy", _mlp,
           {"depth": "hidden layers", "width": "units per hidden layer", "batch": "input points",
            "sizes": "all layer sizes, inputs to outputs"},
           default_width=10, default_depth=2, fusable=True),
    Family("ladder", "L rungs x <- (x + x) / 2, loss sum(x): fan-out", _ladder,
           {"depth": "rungs", "width": "entries of x"},
           default_width=4, default_depth=4, fusable=False, growth="exponential"),
    Family("lab", "the lab's 2-10-2 tanh network with softmax cross-entropy", _lab,
           {"width": "hidden units", "batch": "points from the two circles"},
           default_width=10, default_depth=1, fusable=True),
    Family("scalar-mlp", "the mlp on one point written in scalars (0-d tensors), as the "
           "lab's formulas", _scalar_mlp,
           {"depth": "hidden layers", "width": "units per hidden layer"},
           default_width=3, default_depth=2, fusable=False, growth="exponential",
           default_depths=range(1, 7)),
]}

DEFAULT_BATCH = 8


def build_model(family: str, depth: int | None = None, width: int | None = None,
                batch: int | None = None, seed: int = 0, fused: bool = False,
                sizes: Sequence[int] | None = None) -> Model:
    """One member of a family, by name (see FAMILIES); None means the family's default.

    Raises ArgumentError for an unknown family, an option the family does not take
    (a depth for lab, a batch for ladder, fused for ladder, sizes for anything but mlp)
    or a size below 1.
    """
    if family not in FAMILIES:
        raise ArgumentError(f"unknown model family {family!r}; choose one of {', '.join(FAMILIES)}")
    f = FAMILIES[family]
    given = {"depth": depth, "batch": batch, "sizes": sizes}
    for option, value in given.items():
        if value is not None and not f.takes(option):
            raise ArgumentError(f"{family}: takes no {option} (it takes {', '.join(f.options)})")
    if fused and not f.fusable:
        raise ArgumentError(f"{family}: has no fused form (it has no layers to fuse)")
    seed = _check_size(seed, "seed", family, least=0)
    batch = DEFAULT_BATCH if batch is None else _check_size(batch, "batch", family)
    if sizes is not None:
        if depth is not None or width is not None:
            raise ArgumentError(f"{family}: give either sizes or depth and width, not both")
        sizes = [_check_size(s, "every size", family) for s in sizes]
        if len(sizes) < 2:
            raise ArgumentError(f"{family}: sizes needs at least two sizes (inputs, outputs), "
                                f"got {sizes}")
        return _mlp(len(sizes) - 2, sizes[1] if len(sizes) > 2 else sizes[0], batch, seed,
                    bool(fused), sizes=sizes)
    depth = f.default_depth if depth is None else _check_size(depth, "depth", family)
    width = f.default_width if width is None else _check_size(width, "width", family)
    return f.build(depth, width, batch, seed, bool(fused))
