"""Ways to make tensors: from data, filled with a constant, random, or a range.

Every factory takes dtype= (float32 by default, as in PyTorch; set_default_dtype changes
it),
requires_grad=, name= and device= (only "cpu": the values are numpy arrays). Sizes are
given as numbers or as one tuple: zeros(2, 3) and zeros((2, 3)) are the same.

Random numbers come from one global numpy Generator unless a call gets seed= or
generator=: `manual_seed(0)` at the top of a script makes every later randn, rand,
*_like, nn initialisation, dataset and shuffle reproducible, as torch.manual_seed does.
"""
from __future__ import annotations

from typing import Any

import numpy as np

from . import engine as _engine
from .engine import _UNSET, Tensor, _check_device, _either, _shape_args, from_numpy
from .errors import ArgumentError, DTypeError

__all__ = ["tensor", "zeros", "ones", "empty", "full", "eye", "linspace", "arange",
           "zeros_like", "ones_like", "empty_like", "full_like", "rand_like", "randn_like",
           "randn", "rand", "manual_seed", "as_generator"]


def _shape(shape: tuple) -> tuple[int, ...]:
    """zeros(2, 3) and zeros((2, 3)) both mean the shape (2, 3), as in PyTorch."""
    return tuple(_shape_args(shape))


# --------------------------------------------------------------------------- randomness

_global_rng = np.random.default_rng()


def manual_seed(seed: int) -> np.random.Generator:
    """Reseed the global generator (the one used when no seed= or generator= is given),
    as torch.manual_seed; returns it."""
    global _global_rng
    _global_rng = np.random.default_rng(seed)
    return _global_rng


def as_generator(seed: int | np.random.Generator | None = None,
                 generator: np.random.Generator | None = None) -> np.random.Generator:
    """A numpy Generator: `generator`, or one made from `seed`, or the global one (see
    manual_seed) when both are None."""
    if generator is not None:
        return generator
    if isinstance(seed, np.random.Generator):
        return seed
    if seed is None:
        return _global_rng
    return np.random.default_rng(seed)


# --------------------------------------------------------------------------- helpers

def _make(array: np.ndarray, requires_grad: bool, name: str | None, device: Any,
          op: str) -> Tensor:
    _check_device(op, device)
    # The factories' arrays are fresh: wrap them without Tensor()'s copy, unshared.
    t = from_numpy(array)
    t._ver[1] = False
    t.name = name
    if requires_grad:
        t.requires_grad = True
    return t


def _default(dtype: Any) -> Any:
    """The default float (float32 unless set_default_dtype says otherwise) when no dtype
    is given."""
    return _engine._default_float if dtype is None else dtype


def _float_dtype(op: str, dtype: Any) -> np.dtype:
    """Random samples are real numbers: a float dtype only, as PyTorch's randn refuses ints."""
    dt = np.dtype(_default(dtype))
    if dt.kind != "f":
        raise DTypeError(f"{op}: samples need a floating-point dtype, got {dt}; pass "
                         "dtype=micrograd.float32 or float64 (or round the samples yourself)")
    return dt


def _like_dtype(t: Any, dtype: Any) -> np.dtype:
    return np.dtype(dtype) if dtype is not None else np.asarray(t).dtype


# --------------------------------------------------------------------------- from data

def tensor(data: Any, requires_grad: bool = False, dtype: Any = None,
           name: str | None = None, device: Any = None) -> Tensor:
    """A tensor holding a copy of `data`."""
    _check_device("tensor", device)
    return Tensor(data, requires_grad=requires_grad, dtype=dtype, name=name)


# --------------------------------------------------------------------------- constants

def zeros(*size: Any, dtype: Any = None, requires_grad: bool = False,
          name: str | None = None, device: Any = None) -> Tensor:
    """A tensor of the given shape filled with 0."""
    return _make(np.zeros(_shape(size), dtype=_default(dtype)), requires_grad, name,
                 device, "zeros")


def ones(*size: Any, dtype: Any = None, requires_grad: bool = False,
         name: str | None = None, device: Any = None) -> Tensor:
    """A tensor of the given shape filled with 1."""
    return _make(np.ones(_shape(size), dtype=_default(dtype)), requires_grad, name,
                 device, "ones")


def empty(*size: Any, dtype: Any = None, requires_grad: bool = False,
          name: str | None = None, device: Any = None) -> Tensor:
    """A tensor of the given shape, for values written later. Filled with zeros (PyTorch
    leaves memory uninitialised): reading it gives 0, never garbage."""
    return _make(np.zeros(_shape(size), dtype=_default(dtype)), requires_grad, name,
                 device, "empty")


def full(*args: Any, fill_value: Any = _UNSET, size: Any = _UNSET, dtype: Any = None,
         requires_grad: bool = False, name: str | None = None, device: Any = None) -> Tensor:
    """A tensor with every entry `fill_value`: full((2, 3), 1.5) as PyTorch and numpy
    write it, or full(2, 3, fill_value=1.5). The dtype follows the value (a float gives
    the default float, float32 unless set_default_dtype changed it, an int int64, a bool
    bool, as in PyTorch) unless dtype= is given."""
    if fill_value is _UNSET:
        if size is not _UNSET:
            args = (size, *args)
        if len(args) != 2:
            raise ArgumentError(f"full: expected full(size, fill_value), e.g. full((2, 3), 1.5), "
                                f"got {len(args)} positional argument(s) {args!r}")
        shape, fill_value = _shape((args[0],)), args[1]
    else:
        if size is not _UNSET and args:
            raise ArgumentError(f"full: got the size twice, as {args!r} and as size={size!r}")
        shape = _shape((size,)) if size is not _UNSET else _shape(args)
    if isinstance(fill_value, Tensor):
        fill_value = fill_value.item()
    if dtype is None and isinstance(fill_value, (float, complex)):
        # a Python float gives the default float, as in PyTorch (numpy would say float64)
        return _make(_engine._default_for(np.full(shape, fill_value)), requires_grad, name,
                     device, "full")
    return _make(np.full(shape, fill_value, dtype=dtype), requires_grad, name, device, "full")


def eye(n: int, m: int | None = None, dtype: Any = None, requires_grad: bool = False,
        name: str | None = None, device: Any = None) -> Tensor:
    """The n × m matrix (n × n if m is None) with ones on the diagonal."""
    return _make(np.eye(n, m, dtype=_default(dtype)), requires_grad, name, device, "eye")


def linspace(start: float, end: float, steps: int | Any = _UNSET, *, num: Any = _UNSET,
             dtype: Any = None, requires_grad: bool = False, name: str | None = None,
             device: Any = None) -> Tensor:
    """`steps` evenly spaced values from start to end, both included (numpy's num=)."""
    steps = _either("linspace", steps, num, _UNSET, ("steps", "num"))
    if steps is _UNSET:
        raise ArgumentError("linspace: give the number of values, linspace(start, end, steps)")
    return _make(np.linspace(start, end, steps, dtype=_default(dtype)), requires_grad,
                 name, device, "linspace")


def arange(start: float, stop: float | None = None, step: float = 1, dtype: Any = None,
           requires_grad: bool = False, name: str | None = None, device: Any = None) -> Tensor:
    """Evenly spaced values in [start, stop), as numpy.arange."""
    if stop is None:  # arange(n) counts from 0 up to n, as numpy's and PyTorch's do
        start, stop = 0, start
    values = np.arange(start, stop, step, dtype=dtype)
    if dtype is None:  # float arguments give the default float, as in PyTorch
        values = _engine._default_for(values)
    return _make(values, requires_grad, name, device, "arange")


# --------------------------------------------------------------------------- *_like

def zeros_like(t: Any, dtype: Any = None, requires_grad: bool = False,
               name: str | None = None, device: Any = None) -> Tensor:
    """Zeros of t's shape and dtype (or `dtype`)."""
    a = np.asarray(t)
    return _make(np.zeros(a.shape, _like_dtype(a, dtype)), requires_grad, name, device,
                 "zeros_like")


def ones_like(t: Any, dtype: Any = None, requires_grad: bool = False,
              name: str | None = None, device: Any = None) -> Tensor:
    """Ones of t's shape and dtype (or `dtype`)."""
    a = np.asarray(t)
    return _make(np.ones(a.shape, _like_dtype(a, dtype)), requires_grad, name, device,
                 "ones_like")


def empty_like(t: Any, dtype: Any = None, requires_grad: bool = False,
               name: str | None = None, device: Any = None) -> Tensor:
    """Like empty(): t's shape and dtype, filled with zeros."""
    return zeros_like(t, dtype=dtype, requires_grad=requires_grad, name=name, device=device)


def full_like(t: Any, fill_value: Any, dtype: Any = None, requires_grad: bool = False,
              name: str | None = None, device: Any = None) -> Tensor:
    """`fill_value` everywhere, in t's shape and dtype (or `dtype`)."""
    a = np.asarray(t)
    return _make(np.full(a.shape, fill_value, _like_dtype(a, dtype)), requires_grad, name,
                 device, "full_like")


def randn_like(t: Any, dtype: Any = None, requires_grad: bool = False,
               name: str | None = None, device: Any = None, seed: int | None = None,
               generator: np.random.Generator | None = None) -> Tensor:
    """Standard normal samples of t's shape and dtype (or `dtype`), which must be a float."""
    a = np.asarray(t)
    dt = _float_dtype("randn_like", _like_dtype(a, dtype))
    return randn(a.shape, seed=seed, generator=generator, dtype=dt,
                 requires_grad=requires_grad, name=name, device=device)


def rand_like(t: Any, dtype: Any = None, requires_grad: bool = False,
              name: str | None = None, device: Any = None, seed: int | None = None,
              generator: np.random.Generator | None = None) -> Tensor:
    """Uniform samples on [0, 1) of t's shape and dtype (or `dtype`), which must be a float."""
    a = np.asarray(t)
    dt = _float_dtype("rand_like", _like_dtype(a, dtype))
    return rand(a.shape, seed=seed, generator=generator, dtype=dt,
                requires_grad=requires_grad, name=name, device=device)


# --------------------------------------------------------------------------- random

def randn(*size: Any, seed: int | None = None, generator: np.random.Generator | None = None,
          dtype: Any = None, requires_grad: bool = False,
          name: str | None = None, device: Any = None) -> Tensor:
    """Samples of the standard normal distribution; the same seed gives the same numbers
    (drawn in float64 and then cast, so a seed gives the same values in every dtype)."""
    dt = _float_dtype("randn", dtype)
    rng = as_generator(seed, generator)
    return _make(rng.standard_normal(_shape(size)).astype(dt, copy=False), requires_grad,
                 name, device, "randn")


def rand(*size: Any, seed: int | None = None, generator: np.random.Generator | None = None,
         dtype: Any = None, requires_grad: bool = False,
         name: str | None = None, device: Any = None) -> Tensor:
    """Samples of the uniform distribution on [0, 1)."""
    dt = _float_dtype("rand", dtype)
    rng = as_generator(seed, generator)
    return _make(rng.random(_shape(size)).astype(dt, copy=False), requires_grad, name, device,
                 "rand")
