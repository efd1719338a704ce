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
    return {"backprop": 3 * L + 1, "naive": 3 * 2 ** L - 2, "forward": w * (3 * L + 1)}
