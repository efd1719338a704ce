"""Toy 2-D classification problems: circles (the lab's data), moons and spirals."""
from __future__ import annotations

import math
from typing import Any

import numpy as np

from ..creation import as_generator
from ..errors import DataError
from .batching import Arrays, _shuffled


def _is_real(value: Any) -> bool:
    """Whether value is a real number: a Python or numpy int or float, not a bool."""
    return (isinstance(value, (int, float, np.integer, np.floating))
            and not isinstance(value, (bool, np.bool_)))


def _count(value: Any, name: str, where: str, least: int = 1) -> int:
    """value as an integer >= least (bools and floats are refused), or DataError naming it."""
    is_int = isinstance(value, (int, np.integer)) and not isinstance(value, (bool, np.bool_))
    if not is_int or value < least:
        raise DataError(f"{where}: {name} must be an integer >= {least}, got {value!r}")
    return int(value)


def _noise(value: Any, where: str) -> float:
    """value as a float, if it can be a standard deviation (finite, >= 0)."""
    if not _is_real(value) or not (math.isfinite(value) and value >= 0):
        raise DataError(f"{where}: noise is a standard deviation, a finite number >= 0; "
                        f"got {value!r}")
    return float(value)


def circles(n: int = 500, noise: float = 0.1, factor: float = 0.5, seed: Any = None) -> Arrays:
    """Two concentric circles (the lab's data): radius 1 is class 0, radius `factor` class 1."""
    n = _count(n, "n (the number of points, at least one per class)", "circles", least=2)
    noise = _noise(noise, "circles")
    if not _is_real(factor) or not 0 < factor < 1:
        raise DataError("circles: factor is the inner radius over the outer one, in (0, 1); "
                        f"got {factor}")
    rng = as_generator(seed)
    n_outer = n // 2
    angle = rng.uniform(0, 2 * np.pi, n)
    radius = np.where(np.arange(n) < n_outer, 1.0, factor)
    X = np.stack([radius * np.cos(angle), radius * np.sin(angle)], axis=1)
    X += noise * rng.standard_normal(X.shape)
    y = (np.arange(n) >= n_outer).astype(np.int64)
    return _shuffled(X, y, rng)


def moons(n: int = 500, noise: float = 0.1, seed: Any = None) -> Arrays:
    """Two interleaved half circles: the upper one is class 0, the lower (shifted) one class 1."""
    n = _count(n, "n (the number of points, at least one per class)", "moons", least=2)
    noise = _noise(noise, "moons")
    rng = as_generator(seed)
    n_upper = n // 2
    t = rng.uniform(0, np.pi, n)
    upper = np.arange(n) < n_upper
    X = np.where(upper[:, None],
                 np.stack([np.cos(t), np.sin(t)], axis=1),
                 np.stack([1 - np.cos(t), 0.5 - np.sin(t)], axis=1))
    X += noise * rng.standard_normal(X.shape)
    return _shuffled(X, (~upper).astype(np.int64), rng)


def spirals(n: int = 600, classes: int = 3, noise: float = 0.2, turns: float = 1.0,
            seed: Any = None) -> Arrays:
    """`classes` interleaved spiral arms from the origin; arm k is class k."""
    classes = _count(classes, "classes", "spirals")
    n = _count(n, f"n (the number of points, at least one per class: {classes})", "spirals",
               least=classes)
    noise = _noise(noise, "spirals")
    if not _is_real(turns) or not math.isfinite(turns):
        raise DataError(f"spirals: turns must be a finite number, got {turns!r}")
    rng = as_generator(seed)
    y = np.arange(n) % classes
    r = rng.uniform(0.05, 1.0, n)
    theta = 2 * np.pi * (y / classes + turns * r) + noise * rng.standard_normal(n)
    X = np.stack([r * np.cos(theta), r * np.sin(theta)], axis=1)
    return _shuffled(X, y.astype(np.int64), rng)
