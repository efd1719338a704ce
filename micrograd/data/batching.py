"""Checking (X, y) pairs, splitting them into train / val / test, and cutting them into batches."""
from __future__ import annotations

from collections.abc import Iterator
from typing import Any, NamedTuple

import numpy as np

from .. import engine as _engine
from ..creation import as_generator
from ..errors import DataError

Arrays = tuple[np.ndarray, np.ndarray]


def check_xy(X: Any, y: Any, where: str = "data") -> Arrays:
    """X as a float array and y as an array, checking they have the same number of rows."""
    X, y = np.asarray(X), np.asarray(y)
    if X.ndim == 0 or y.ndim == 0:
        raise DataError(f"{where}: X and y must be arrays with one row per example, "
                        f"got shapes {X.shape} and {y.shape}")
    if len(X) != len(y):
        raise DataError(f"{where}: X has {len(X)} rows but y has {len(y)} labels; they must match")
    if X.dtype.kind not in "fiub":
        raise DataError(f"{where}: X must be numeric, got dtype {X.dtype}")
    return as_float(X), y


def as_float(X: Any) -> np.ndarray:
    """X as a float array: a float array keeps its dtype (a float32 model takes float32),
    Python floats and other numbers become the default float (float32 unless
    set_default_dtype changed it)."""
    from_python = not isinstance(X, (np.ndarray, np.generic))
    X = np.asarray(X)
    if X.dtype.kind == "f":
        return _engine._default_for(X) if from_python else X
    return X.astype(_engine._default_float)


def _shuffled(X: np.ndarray, y: np.ndarray, rng: np.random.Generator) -> Arrays:
    order = rng.permutation(len(X))
    return X[order], y[order]


class Split(NamedTuple):
    train: Arrays
    val: Arrays
    test: Arrays


def split(X: Any, y: Any, val: float = 0.2, test: float = 0.2, seed: Any = 0) -> Split:
    """Shuffle, then cut into train / val / test with the given fractions (train gets the rest)."""
    X, y = check_xy(X, y, "split")
    if not all(isinstance(f, (int, float, np.integer, np.floating)) and not isinstance(f, bool)
               for f in (val, test)):
        raise DataError(f"split: val and test are fractions (numbers), got val={val!r}, "
                        f"test={test!r}")
    if not (0 <= val < 1 and 0 <= test < 1 and val + test < 1):
        raise DataError("split: val and test are fractions with val + test < 1, "
                        f"got val={val}, test={test}")
    n = len(X)
    n_val, n_test = int(round(val * n)), int(round(test * n))
    if (val and not n_val) or (test and not n_test) or n - n_val - n_test < 1:
        raise DataError(f"split: {n} examples are too few for val={val}, test={test}")
    X, y = _shuffled(X, y, as_generator(seed))
    a, b = n - n_val - n_test, n - n_test
    return Split((X[:a], y[:a]), (X[a:b], y[a:b]), (X[b:], y[b:]))


def batches(X: Any, y: Any, batch_size: int | None = None, shuffle: bool = True,
            seed: Any = None) -> Iterator[Arrays]:
    """(X_batch, y_batch) pairs covering the data once: batch_size None = one full batch,
    1 = online (one example per step), k = mini-batches of k (the last may be smaller)."""
    X, y = check_xy(X, y, "batches")
    n = len(X)
    if batch_size is None:
        batch_size = max(n, 1)  # range() refuses a step of 0; an empty set gives no batches anyway
    elif isinstance(batch_size, (bool, np.bool_)) or not isinstance(batch_size, (int, np.integer)) \
            or batch_size < 1:
        raise DataError("batches: batch_size must be None (full batch) or an integer >= 1, "
                        f"got {batch_size!r}")
    order = as_generator(seed).permutation(n) if shuffle else np.arange(n)
    for start in range(0, n, batch_size):
        idx = order[start:start + batch_size]
        yield X[idx], y[idx]
