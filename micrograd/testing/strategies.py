"""Hypothesis strategies for tensors: shapes, broadcastable shapes, reduction axes, and value
domains in which finite differences mean something.

A *domain* turns a list of shapes into a list of float64 arrays: `domain(draw, shapes)`,
draw being Hypothesis's (of @st.composite or st.data()). Pick the one that keeps the
op smooth within a finite-difference stencil (±2·10⁻⁴):

  uniform(lo, hi)         every entry in [lo, hi]: away from poles (log wants lo > 0)
  per_input(r₀, r₁, …)    input i in the range rᵢ = (lo, hi), or (lo, hi, True) for ±[lo, hi]
  distinct()              all entries distinct and off a grid of 0.01 (never 0, never tied):
                          for piecewise ops (relu, abs, max, clip), whose kinks and ties
                          finite differences cannot cross

Needs Hypothesis, which is in the `test` extra: pip install 'micrograd[test]'.
"""
from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

try:
    from hypothesis import strategies as st
    from hypothesis.extra import numpy as hnp
except ImportError:  # pragma: no cover - exercised by a test that hides hypothesis
    raise ImportError(
        "micrograd.testing's strategies and check_op need Hypothesis, which is in micrograd's "
        "`test` extra: pip install 'micrograd[test]' (or pip install hypothesis)") from None

from ..engine import Tensor

__all__ = ["shapes", "same_shapes", "broadcastable_shapes", "axes", "uniform", "per_input",
           "distinct", "domain", "tensors", "GRID", "Domain"]

Domain = Callable[[Callable[[Any], Any], Sequence[tuple[int, ...]]], list[np.ndarray]]

# --------------------------------------------------------------------------- shapes


def shapes(min_dims: int = 0, max_dims: int = 4, min_side: int = 0,
           max_side: int = 3) -> st.SearchStrategy[tuple[int, ...]]:
    """Array shapes, 0-d and size-1 axes included; with min_side=0, zero-length axes now
    and then (not so often that most examples are empty)."""
    nonempty = hnp.array_shapes(min_dims=min_dims, max_dims=max_dims, min_side=max(min_side, 1),
                                max_side=max_side)
    if min_side > 0:
        return nonempty
    return st.one_of(nonempty, hnp.array_shapes(min_dims=min_dims, max_dims=max_dims,
                                                min_side=0, max_side=max_side))


def same_shapes(n: int, **kwargs: Any) -> st.SearchStrategy[list[tuple[int, ...]]]:
    """n copies of one shape (the inputs of an op that does not broadcast, a loss)."""
    return shapes(**kwargs).map(lambda s: [s] * n)


def broadcastable_shapes(n: int, min_dims: int = 0, max_dims: int = 4,
                         max_side: int = 3) -> st.SearchStrategy[list[tuple[int, ...]]]:
    """n shapes that broadcast together, as numpy (and PyTorch) broadcast them."""
    return st.one_of(
        hnp.mutually_broadcastable_shapes(num_shapes=n, min_dims=min_dims, max_dims=max_dims,
                                          min_side=1, max_side=max_side),
        hnp.mutually_broadcastable_shapes(num_shapes=n, min_dims=min_dims, max_dims=max_dims,
                                          min_side=0, max_side=max_side),
    ).map(lambda b: list(b.input_shapes))


def axes(ndim: int) -> st.SearchStrategy[Any]:
    """A reduction's axis argument: None, an int in [-ndim, ndim), or a tuple of distinct
    axes (maybe negative, maybe empty)."""
    choices: list[st.SearchStrategy[Any]] = [st.none(), hnp.valid_tuple_axes(ndim)]
    if ndim:
        choices.append(st.integers(-ndim, ndim - 1))
    return st.one_of(*choices)


# --------------------------------------------------------------------------- value domains


def uniform(lo: float, hi: float) -> Domain:
    """Every entry of every input drawn from [lo, hi]."""
    def draw_arrays(draw: Any, shapes: Sequence[tuple[int, ...]]) -> list[np.ndarray]:
        return [draw(hnp.arrays(np.float64, s, elements=st.floats(lo, hi,
                                                                  allow_subnormal=False)))
                for s in shapes]
    return draw_arrays


def per_input(*ranges: tuple) -> Domain:
    """Input i drawn from ranges[i] = (lo, hi); (lo, hi, True) means ±[lo, hi], away from 0."""
    def draw_arrays(draw: Any, shapes: Sequence[tuple[int, ...]]) -> list[np.ndarray]:
        out = []
        for s, r in zip(shapes, ranges, strict=True):
            mag = draw(hnp.arrays(np.float64, s, elements=st.floats(r[0], r[1],
                                                                    allow_subnormal=False)))
            if len(r) == 3 and r[2]:
                mag = np.where(draw(hnp.arrays(np.bool_, s)), -mag, mag)
            out.append(mag)
        return out
    return draw_arrays


GRID = 0.01


def distinct(grid: float = GRID, span: int = 400) -> Domain:
    """All entries of all inputs distinct, of the form (k + ½)·grid with |k| ≤ span: never 0,
    never on the grid (where clip bounds can sit), never tied, so that max, min, relu, abs
    and clip are smooth within a finite-difference stencil."""
    def draw_arrays(draw: Any, shapes: Sequence[tuple[int, ...]]) -> list[np.ndarray]:
        sizes = [int(np.prod(s)) for s in shapes]
        ks = draw(st.lists(st.integers(-span, span), min_size=sum(sizes),
                           max_size=sum(sizes), unique=True))
        flat = (np.asarray(ks, dtype=np.float64) + 0.5) * grid
        out, start = [], 0
        for s, n in zip(shapes, sizes, strict=True):
            out.append(flat[start:start + n].reshape(s))
            start += n
        return out
    return draw_arrays


def domain(spec: Any) -> Domain:
    """A domain from what check_op accepts: a domain itself, a range (lo, hi) for every
    input, or a list of ranges, one per input (see per_input)."""
    if callable(spec):
        return spec
    if isinstance(spec, list):
        return per_input(*spec)
    if isinstance(spec, tuple) and len(spec) == 2:
        return uniform(*spec)
    raise TypeError(f"domain: expected a domain function, a range (lo, hi) or a list of "
                    f"ranges, got {spec!r}")


_as_domain = domain  # for tensors(), whose argument of that name hides the function


@st.composite
def tensors(draw: Any, shapes: Any, domain: Any = (-3.0, 3.0), dtype: Any = np.float64,
            requires_grad: bool = True) -> list[Tensor]:
    """Tensors of the given shapes (a list of shapes, or a strategy of one) with values from
    the domain, float64 unless dtype says otherwise."""
    if isinstance(shapes, st.SearchStrategy):
        shapes = draw(shapes)
    arrays = _as_domain(domain)(draw, shapes)
    return [Tensor(a.astype(dtype), requires_grad=requires_grad) for a in arrays]
