"""Ways to make tensors: from data, filled with a constant, random, or a range."""
from __future__ import annotations

from typing import Any

import numpy as np

from .engine import Tensor

__all__ = ["tensor", "zeros", "ones", "zeros_like", "ones_like", "full", "randn", "rand", "arange",
           "as_generator"]


def _shape(shape: tuple) -> tuple[int, ...]:
    """zeros(2, 3) and zeros((2, 3)) both mean the shape (2, 3), as in PyTorch."""
    if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
        return tuple(shape[0])
    return tuple(shape)


def as_generator(seed: int | np.random.Generator | None = None,
                 generator: np.random.Generator | None = None) -> np.random.Generator:
    """A numpy Generator from a seed, a Generator, or fresh entropy when both are None."""
    if generator is not None:
        return generator
    if isinstance(seed, np.random.Generator):
        return seed
    return np.random.default_rng(seed)


def tensor(data: Any, requires_grad: bool = False, dtype: Any = None,
           name: str | None = None) -> Tensor:
    """A tensor holding a copy of `data`."""
    return Tensor(data, requires_grad=requires_grad, dtype=dtype, name=name)


def full(*shape: Any, fill_value: float, dtype: Any = np.float64, requires_grad: bool = False,
         name: str | None = None) -> Tensor:
    """A tensor of the given shape with every entry `fill_value`."""
    return Tensor(np.full(_shape(shape), fill_value, dtype=dtype), requires_grad=requires_grad,
                  name=name)


def zeros(*shape: Any, dtype: Any = np.float64, requires_grad: bool = False,
          name: str | None = None) -> Tensor:
    """A tensor of the given shape filled with 0."""
    return Tensor(np.zeros(_shape(shape), dtype=dtype), requires_grad=requires_grad, name=name)


def ones(*shape: Any, dtype: Any = np.float64, requires_grad: bool = False,
         name: str | None = None) -> Tensor:
    """A tensor of the given shape filled with 1."""
    return Tensor(np.ones(_shape(shape), dtype=dtype), requires_grad=requires_grad, name=name)


def zeros_like(t: Any, requires_grad: bool = False, name: str | None = None) -> Tensor:
    """Zeros of t's shape and dtype."""
    return Tensor(np.zeros_like(np.asarray(t)), requires_grad=requires_grad, name=name)


def ones_like(t: Any, requires_grad: bool = False, name: str | None = None) -> Tensor:
    """Ones of t's shape and dtype."""
    return Tensor(np.ones_like(np.asarray(t)), requires_grad=requires_grad, name=name)


def randn(*shape: Any, seed: int | None = None, generator: np.random.Generator | None = None,
          dtype: Any = np.float64, requires_grad: bool = False,
          name: str | None = None) -> Tensor:
    """Samples of the standard normal distribution; the same seed gives the same numbers."""
    rng = as_generator(seed, generator)
    return Tensor(rng.standard_normal(_shape(shape)).astype(dtype, copy=False),
                  requires_grad=requires_grad, name=name)


def rand(*shape: Any, seed: int | None = None, generator: np.random.Generator | None = None,
         dtype: Any = np.float64, requires_grad: bool = False,
         name: str | None = None) -> Tensor:
    """Samples of the uniform distribution on [0, 1)."""
    rng = as_generator(seed, generator)
    return Tensor(rng.random(_shape(shape)).astype(dtype, copy=False),
                  requires_grad=requires_grad, name=name)


def arange(start: float, stop: float | None = None, step: float = 1, dtype: Any = None,
           requires_grad: bool = False, name: str | None = None) -> Tensor:
    """Evenly spaced values in [start, stop), as numpy.arange."""
    if stop is None:  # arange(n) counts from 0 up to n, as numpy's and PyTorch's do
        start, stop = 0, start
    return Tensor(np.arange(start, stop, step, dtype=dtype), requires_grad=requires_grad, name=name)
