"""Data sets and the plumbing around them: toy 2-D problems, handwritten digits, MNIST
from local IDX files, train/val/test splits, and batching (full, mini-batch, online)."""
from __future__ import annotations

import gzip
import math
import os
from pathlib import Path
from typing import Any, Iterator, NamedTuple

import numpy as np

from .creation import as_generator
from .errors import DataError

__all__ = ["DataError", "circles", "moons", "spirals", "digits", "load_mnist", "read_idx",
           "split", "Split", "batches", "check_xy"]

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
    return X.astype(np.float64, copy=False), y


def _shuffled(X: np.ndarray, y: np.ndarray, rng: np.random.Generator) -> Arrays:
    order = rng.permutation(len(X))
    return X[order], y[order]


# --------------------------------------------------------------------------- toy problems

def _count(value: Any, name: str, where: str, least: int = 1) -> int:
    """value as an integer >= least (bools and floats are refused), or DataError naming it."""
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, np.integer)) or value < least:
        raise DataError(f"{where}: {name} must be an integer >= {least}, got {value!r}")
    return int(value)


def _noise(value: Any, where: str) -> float:
    if (isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, float, np.integer, np.floating))
            or not (math.isfinite(value) and value >= 0)):
        raise DataError(f"{where}: noise is a standard deviation, a finite number >= 0; got {value!r}")
    return float(value)


def circles(n: int = 500, noise: float = 0.1, factor: float = 0.5, seed: Any = None) -> Arrays:
    """Two concentric circles (the lab's data): radius 1 is class 0, radius `factor` class 1."""
    n = _count(n, "n (the number of points, at least one per class)", "circles", least=2)
    noise = _noise(noise, "circles")
    if not 0 < factor < 1:
        raise DataError(f"circles: factor is the inner radius over the outer one, in (0, 1); got {factor}")
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
    n = _count(n, f"n (the number of points, at least one per class: {classes})", "spirals", least=classes)
    noise = _noise(noise, "spirals")
    if isinstance(turns, (bool, np.bool_)) or not isinstance(turns, (int, float, np.integer, np.floating)) \
            or not math.isfinite(turns):
        raise DataError(f"spirals: turns must be a finite number, got {turns!r}")
    rng = as_generator(seed)
    y = np.arange(n) % classes
    r = rng.uniform(0.05, 1.0, n)
    theta = 2 * np.pi * (y / classes + turns * r) + noise * rng.standard_normal(n)
    X = np.stack([r * np.cos(theta), r * np.sin(theta)], axis=1)
    return _shuffled(X, y.astype(np.int64), rng)


# --------------------------------------------------------------------------- real digits

def digits() -> Arrays:
    """scikit-learn's 1,797 handwritten 8x8 digits (bundled, no download): X in [0, 1], shape (n, 64)."""
    try:
        from sklearn.datasets import load_digits
    except ImportError:
        raise ImportError("digits() needs scikit-learn, which bundles the images: "
                          "pip install 'micrograd[data]'") from None
    d = load_digits()
    return d.data.astype(np.float64) / 16.0, d.target.astype(np.int64)


_IDX_TYPES = {0x08: ">u1", 0x09: ">i1", 0x0B: ">i2", 0x0C: ">i4", 0x0D: ">f4", 0x0E: ">f8"}


def read_idx(path: str | os.PathLike) -> np.ndarray:
    """One IDX file (MNIST's format, optionally gzipped): a magic number, the sizes, the values.

    Magic: two zero bytes, a type code (0x08 uint8 ... 0x0E float64) and the number of
    dimensions; then one big-endian uint32 per dimension; then the values, nothing more.
    """
    path = Path(path)
    opener = gzip.open if path.suffix == ".gz" else open
    try:
        with opener(path, "rb") as f:
            raw = f.read()
    except FileNotFoundError:
        raise DataError(f"read_idx: there is no file {path}; check the path") from None
    except Exception as e:  # OSError, gzip.BadGzipFile, EOFError (a cut .gz), zlib.error
        raise DataError(f"read_idx: cannot read {path} ({type(e).__name__}: {e}); "
                        "the file is unreadable, truncated or not gzip despite its .gz name") from None
    if len(raw) < 4:
        raise DataError(f"read_idx: {path} is {len(raw)} bytes long, too short for an IDX header "
                        "(4 bytes of magic number, then the sizes)")
    if raw[0] != 0 or raw[1] != 0 or raw[2] not in _IDX_TYPES:
        raise DataError(f"read_idx: {path} is not an IDX file (bad magic number {raw[:4].hex()}: expected "
                        f"00 00, a type code in {sorted(hex(c) for c in _IDX_TYPES)}, the number of dims)")
    dtype, ndim = np.dtype(_IDX_TYPES[raw[2]]), raw[3]
    header = 4 + 4 * ndim
    if len(raw) < header:
        raise DataError(f"read_idx: {path} is truncated: its magic number declares {ndim} dimensions "
                        f"({header} header bytes) but the file has only {len(raw)} bytes")
    shape = tuple(int(s) for s in np.frombuffer(raw[4:header], dtype=">u4"))
    # math.prod works on Python ints, which cannot overflow (np.prod would wrap around in int64).
    expected = math.prod(shape) * dtype.itemsize
    if len(raw) - header != expected:
        raise DataError(f"read_idx: {path} declares shape {shape} ({expected} bytes of data) but holds "
                        f"{len(raw) - header} bytes after its header; the file is truncated or corrupt")
    return np.frombuffer(raw, dtype=dtype, offset=header).reshape(shape).astype(dtype.newbyteorder("="))


def _find(folder: Path, stem: str) -> Path:
    for name in (stem, stem + ".gz", stem.replace("-idx", ".idx"), stem.replace("-idx", ".idx") + ".gz"):
        if (folder / name).exists():
            return folder / name
    raise DataError(f"load_mnist: no file {stem}[.gz] in {folder}")


def load_mnist(path: str | os.PathLike, kind: str = "train") -> Arrays:
    """MNIST-format images and labels from local IDX files in folder `path`, kind "train" or "t10k".

    Returns X of shape (n, rows·cols) scaled to [0, 1] and integer labels y.
    """
    folder = Path(path)
    images = read_idx(_find(folder, f"{kind}-images-idx3-ubyte"))
    labels = read_idx(_find(folder, f"{kind}-labels-idx1-ubyte"))
    if images.ndim != 3 or labels.ndim != 1:
        raise DataError(f"load_mnist: expected images (n, rows, cols) and labels (n,), "
                        f"got {images.shape} and {labels.shape}")
    # The scaling to [0, 1] below assumes bytes 0..255; labels must be class indices.
    if images.dtype != np.uint8 or labels.dtype.kind not in "iu":
        raise DataError(f"load_mnist: expected uint8 images and integer labels (MNIST's IDX types), "
                        f"got {images.dtype} and {labels.dtype} in {folder}")
    if len(images) != len(labels):
        raise DataError(f"load_mnist: {len(images)} images but {len(labels)} labels in {folder}")
    return images.reshape(len(images), -1).astype(np.float64) / 255.0, labels.astype(np.int64)


# --------------------------------------------------------------------------- splitting and batching

class Split(NamedTuple):
    train: Arrays
    val: Arrays
    test: Arrays


def split(X: Any, y: Any, val: float = 0.2, test: float = 0.2, seed: Any = 0) -> Split:
    """Shuffle, then cut into train / val / test with the given fractions (train gets the rest)."""
    X, y = check_xy(X, y, "split")
    if not (0 <= val < 1 and 0 <= test < 1 and val + test < 1):
        raise DataError(f"split: val and test are fractions with val + test < 1, got val={val}, test={test}")
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
        raise DataError(f"batches: batch_size must be None (full batch) or an integer >= 1, got {batch_size!r}")
    order = as_generator(seed).permutation(n) if shuffle else np.arange(n)
    for start in range(0, n, batch_size):
        idx = order[start:start + batch_size]
        yield X[idx], y[idx]
