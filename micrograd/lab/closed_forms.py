"""The exact number of local partials each mode evaluates on each family, in closed form.

Derived in docs/complexity.md from the edges each family records (families.py), and
checked against count_ops() in tests/test_complexity.py and tests/test_families.py.
Notation: L (or D for mlp) the depth, w (or h) the width; "edges above θ" are the graph
edges from the loss down to parameter θ, which is what forward mode walks once per
scalar entry of θ.
"""
from __future__ import annotations

from collections.abc import Sequence

from ..errors import ArgumentError
from .families import FAMILIES, mlp_sizes

__all__ = ["closed_form", "formula"]

# What `micrograd compare` prints under its table, per (family, fused).
_FORMULAS = {
    ("chain", False): "backprop 5L+1, naive 3L²+6L, forward (w²+w)·3L(L-1)/2 + (5w²+4w)·L",
    ("chain", True): "backprop 4L+1, naive 2L²+6L, forward (w²+w)·(L²+3L)",
    ("mlp", False): "backprop 5D+7, naive 3D²+14D+11, forward Σ size(θ)·(edges above θ)",
    ("mlp", True): "backprop 4D+3, naive 2D²+6D+4, forward Σ size(θ)·(edges above θ)",
    ("lab", False): "backprop 12, naive 28, forward 38h+10 (mlp at D = 1)",
    ("lab", True): "backprop 7, naive 12, forward 16h+4 (mlp at D = 1)",
    ("ladder", False): "backprop 3L+1, naive 3·2^L-2, forward w·(3L+1)",
    ("scalar-mlp", False): "backprop (D-1)(4w²+w)+15w+7, naive Σ edges·paths·reach "
                           "= (363·3^D-228D-249)/2 at w = 3, forward Σ edges·reach",
}


def formula(family: str, fused: bool = False) -> str:
    """The closed forms of `family` in one line, as `micrograd compare` prints them."""
    try:
        return _FORMULAS[(family, bool(fused))]
    except KeyError:
        raise ArgumentError(f"closed_form: no {'fused ' if fused else ''}form for family "
                            f"{family!r}; families: {', '.join(FAMILIES)}") from None


def _edges_above(sizes: Sequence[int], fused: bool) -> list[tuple[int, int]]:
    """(scalar entries, edges above) for every parameter of the mlp with these sizes.

    Unfused, from the loss: neg, mean, getitem, log_softmax, then add → by (5) or add →
    matmul → Wy (6); each hidden layer below adds tanh, add, matmul (3), so hidden layer l
    of D has b_l at 8 + 3(D - l) and W_l at 9 + 3(D - l). Fused: cross_entropy then
    linear → Wy or by (2); each hidden layer adds tanh, linear (2): 4 + 2(D - l) for both.
    """
    D = len(sizes) - 2
    out = []
    for layer, (n_in, n_out) in enumerate(zip(sizes[:-1], sizes[1:], strict=True), start=1):
        if layer == D + 1:  # the output layer
            edges_w, edges_b = (2, 2) if fused else (6, 5)
        else:
            k = D - layer  # hidden layers above this one
            edges_w, edges_b = (4 + 2 * k, 4 + 2 * k) if fused else (9 + 3 * k, 8 + 3 * k)
        out += [(n_in * n_out, edges_w), (n_out, edges_b)]
    return out


def _scalar_edges(sizes: Sequence[int]) -> list[tuple[int, int, int]]:
    """(edges, paths, reach) for every kind of edge of the scalar-mlp with these sizes: how
    many such edges u → p there are, how many paths lead from the loss to u, and how many
    parameters p reaches (itself included). Then, every parameter being a scalar,

        backprop = Σ edges,   naive = Σ edges·paths·reach,   forward = Σ edges·reach.

    A unit of layer l with fan-in m computes a₀ = b, aₖ = aₖ₋₁ + Wₖ·hₖ (k = 1..m), then
    tanh(aₘ) in hidden layers. Every node of the unit has the paths of its output: 1 for a
    logit, 2 for the label's (the loss also subtracts it), and in hidden layer l the sum
    over the next layer's units, (n_out + 1)·w^(D−l). aₖ reaches b, W₁..Wₖ and, through
    h₁..hₖ, k units of the layer below with everything under them.
    """
    D, n_out = len(sizes) - 2, sizes[-1]
    per_unit = [m + 1 for m in sizes[:-1]]           # parameters of one unit of layer l
    below = [0]                                       # parameters in the layers before l
    for size, c in zip(sizes[1:], per_unit, strict=True):
        below.append(below[-1] + size * c)
    total = below[-1]
    paths = [0] * (D + 2)  # paths from the loss to each unit of hidden layer l (1..D)
    paths[D] = n_out + 1
    for layer in range(D - 1, 0, -1):
        paths[layer] = sizes[layer + 1] * paths[layer + 1]
    out: list[tuple[int, int, int]] = []
    for layer in range(1, D + 2):
        m, units = sizes[layer - 1], sizes[layer]
        # the reach of one input value, and of a₀..aₘ
        value = 0 if layer == 1 else per_unit[layer - 2] + below[layer - 2]
        a = [1] + [1 + k + (0 if layer == 1 else k * per_unit[layer - 2] + below[layer - 2])
                   for k in range(1, m + 1)]
        unit_paths = ([paths[layer]] * units if layer <= D
                      else [2] + [1] * (n_out - 1))  # the label's logit: any one of them
        for q in unit_paths:
            if layer <= D:
                out.append((1, q, a[m]))                       # tanh → aₘ
            for k in range(1, m + 1):
                out += [(1, q, a[k - 1]),                      # add → aₖ₋₁
                        (1, q, 1 + value),                     # add → the product
                        (1, q, 1)]                             # mul → W
                if layer > 1:
                    out.append((1, q, value))                  # mul → h
    logit = per_unit[-1] + below[-2]  # the reach of one logit
    out += [(1, 1, total), (1, 1, logit), (1, 1, total)]       # sub → log, sub → z, log → Σ
    for k in range(2, n_out + 1):
        out += [(1, 1, (k - 1) * per_unit[-1] + below[-2]), (1, 1, logit)]  # add → Σ, add → exp
    out += [(n_out, 1, logit)]                                 # exp → z
    return out


def closed_form(family: str, depth: int | None = None, width: int | None = None,
                fused: bool = False, sizes: Sequence[int] | None = None) -> dict[str, int]:
    """{"backprop", "naive", "forward"}: the partials each mode evaluates on one member.

    chain (L layers, width w):  backprop 5L + 1,   naive 3L² + 6L,
                                forward (w² + w)·3L(L-1)/2 + (5w² + 4w)·L
                         fused: backprop 4L + 1,   naive 2L² + 6L,   forward (w² + w)·(L² + 3L)
    mlp (D hidden layers):      backprop 5D + 7,   naive 3D² + 14D + 11,
                         fused: backprop 4D + 3,   naive 2D² + 6D + 4,
                                forward Σ over parameters of size × (edges above it)
    lab (2-h-2):                mlp at D = 1: 12, 28, 38h + 10;  fused 7, 12, 16h + 4
    ladder (L rungs, width w):  backprop 3L + 1,   naive 3·2^L - 2,   forward w·(3L + 1)
    scalar-mlp (D hidden layers of w, in scalars): backprop (D - 1)(4w² + w) + 15w + 7,
                                naive Σ edges·paths·reach (_scalar_edges), which is
                                (363·3^D - 228D - 249)/2 at w = 3, forward Σ edges·reach
    """
    formula(family, fused)  # an unknown family or form fails here, by name
    f = FAMILIES[family]
    w = f.default_width if width is None else int(width)
    if family == "lab":
        family, sizes = "mlp", mlp_sizes(1, w)
    L = f.default_depth if depth is None else int(depth)
    if family == "chain":
        if fused:
            return {"backprop": 4 * L + 1, "naive": 2 * L * L + 6 * L,
                    "forward": (w * w + w) * (L * L + 3 * L)}
        return {"backprop": 5 * L + 1, "naive": 3 * L * L + 6 * L,
                "forward": (w * w + w) * 3 * L * (L - 1) // 2 + (5 * w * w + 4 * w) * L}
    if family == "mlp":
        sizes = mlp_sizes(L, w) if sizes is None else list(sizes)
        D = len(sizes) - 2
        forward = sum(size * edges for size, edges in _edges_above(sizes, fused))
        if fused:
            return {"backprop": 4 * D + 3, "naive": 2 * D * D + 6 * D + 4, "forward": forward}
        return {"backprop": 5 * D + 7, "naive": 3 * D * D + 14 * D + 11, "forward": forward}
    if family == "scalar-mlp":
        edges = _scalar_edges(mlp_sizes(L, w))
        return {"backprop": sum(e for e, _, _ in edges),
                "naive": sum(e * q * r for e, q, r in edges),
                "forward": sum(e * r for e, _, r in edges)}
    return {"backprop": 3 * L + 1, "naive": 3 * 2 ** L - 2, "forward": w * (3 * L + 1)}
