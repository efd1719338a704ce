"""Real handwritten digits: scikit-learn's bundled 8x8 set, and MNIST from local IDX files."""
from __future__ import annotations

import gzip
import math
import os
from pathlib import Path

import numpy as np

from ..errors import DataError
from .batching import Arrays


def digits() -> Arrays:
    """scikit-learn's 1,797 handwritten 8x8 digits (bundled, no download): X in [0, 1], (n, 64)."""
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
        raise DataError(f"read_idx: cannot read {path} ({type(e).__name__}: {e}); the file is "
                        "unreadable, truncated or not gzip despite its .gz name") from None
    if len(raw) < 4:
        raise DataError(f"read_idx: {path} is {len(raw)} bytes long, too short for an IDX header "
                        "(4 bytes of magic number, then the sizes)")
    if raw[0] != 0 or raw[1] != 0 or raw[2] not in _IDX_TYPES:
        codes = sorted(hex(c) for c in _IDX_TYPES)
        raise DataError(f"read_idx: {path} is not an IDX file (bad magic number {raw[:4].hex()}: "
                        f"expected 00 00, a type code in {codes}, the number of dims)")
    dtype, ndim = np.dtype(_IDX_TYPES[raw[2]]), raw[3]
    header = 4 + 4 * ndim
    if len(raw) < header:
        raise DataError(f"read_idx: {path} is truncated: its magic number declares {ndim} "
                        f"dimensions ({header} header bytes) but the file has only {len(raw)} "
                        "bytes")
    shape = tuple(int(s) for s in np.frombuffer(raw[4:header], dtype=">u4"))
    # math.prod works on Python ints, which cannot overflow (np.prod would wrap around in int64).
    expected = math.prod(shape) * dtype.itemsize
    if len(raw) - header != expected:
        raise DataError(f"read_idx: {path} declares shape {shape} ({expected} bytes of data) but "
                        f"holds {len(raw) - header} bytes after its header; the file is truncated "
                        "or corrupt")
    values = np.frombuffer(raw, dtype=dtype, offset=header).reshape(shape)
    return values.astype(dtype.newbyteorder("="))  # IDX is big-endian; compute in native order


def _find(folder: Path, stem: str) -> Path:
    dotted = stem.replace("-idx", ".idx")  # some mirrors name the files train-images.idx3-ubyte
    for name in (stem, stem + ".gz", dotted, dotted + ".gz"):
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
        raise DataError("load_mnist: expected uint8 images and integer labels (MNIST's IDX "
                        f"types), got {images.dtype} and {labels.dtype} in {folder}")
    if len(images) != len(labels):
        raise DataError(f"load_mnist: {len(images)} images but {len(labels)} labels in {folder}")
    return images.reshape(len(images), -1).astype(np.float64) / 255.0, labels.astype(np.int64)
