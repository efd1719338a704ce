"""Data sets, splits, batches and IDX files."""
from __future__ import annotations

import gzip
import struct

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from micrograd import data
from micrograd.data import DataError


def test_circles_are_two_rings_with_balanced_labels():
    X, y = data.circles(400, noise=0.0, factor=0.4, seed=1)
    assert X.shape == (400, 2) and y.shape == (400,) and set(y) == {0, 1}
    assert np.sum(y == 0) == 200
    r = np.hypot(*X.T)
    np.testing.assert_allclose(r[y == 0], 1.0)
    np.testing.assert_allclose(r[y == 1], 0.4)
    Xn, _ = data.circles(400, noise=0.1, factor=0.4, seed=1)
    assert 0.05 < np.std(np.hypot(*Xn.T)[y == 0]) < 0.2
    np.testing.assert_array_equal(data.circles(50, seed=3)[0], data.circles(50, seed=3)[0])
    assert not np.array_equal(data.circles(50, seed=3)[0], data.circles(50, seed=4)[0])
    with pytest.raises(DataError, match="1.5"):
        data.circles(10, factor=1.5)


def test_moons_and_spirals():
    X, y = data.moons(101, noise=0.0, seed=0)
    assert X.shape == (101, 2) and np.bincount(y).tolist() == [50, 51]
    np.testing.assert_allclose(np.hypot(*X[y == 0].T), 1.0)  # the upper moon lies on the unit circle
    X, y = data.spirals(90, classes=3, seed=0)
    assert X.shape == (90, 2) and np.bincount(y).tolist() == [30, 30, 30]
    assert np.all(np.hypot(*X.T) <= 1.0)


def test_digits_are_the_real_8x8_images():
    pytest.importorskip("sklearn", reason="digits() needs scikit-learn")
    X, y = data.digits()
    assert X.shape == (1797, 64) and y.shape == (1797,)
    assert X.min() == 0.0 and X.max() == 1.0 and set(y) == set(range(10))


def test_split_is_a_shuffled_partition():
    X = np.arange(100, dtype=float)[:, None]
    y = np.arange(100)
    parts = data.split(X, y, val=0.2, test=0.1, seed=0)
    assert [len(p[1]) for p in parts] == [70, 20, 10]
    assert sorted(np.concatenate([p[1] for p in parts]).tolist()) == list(range(100))
    for Xp, yp in parts:
        np.testing.assert_array_equal(Xp[:, 0], yp)  # rows stay with their labels
    assert not np.array_equal(parts.train[1], np.arange(70))
    np.testing.assert_array_equal(data.split(X, y, seed=0).test[1], data.split(X, y, seed=0).test[1])
    with pytest.raises(DataError, match="val=0.6, test=0.5"):
        data.split(X, y, val=0.6, test=0.5)


def test_length_mismatch_names_both_lengths():
    with pytest.raises(DataError, match="10 rows but y has 9 labels"):
        data.split(np.zeros((10, 2)), np.zeros(9))
    with pytest.raises(DataError, match="10 rows but y has 11"):
        next(data.batches(np.zeros((10, 2)), np.zeros(11)))


@settings(max_examples=40, deadline=None)
@given(n=st.integers(1, 60), batch_size=st.one_of(st.none(), st.integers(1, 70)),
       shuffle=st.booleans(), seed=st.integers(0, 1000))
def test_batches_cover_the_data_once(n, batch_size, shuffle, seed):
    X = np.arange(n, dtype=float)[:, None]
    y = np.arange(n)
    parts = list(data.batches(X, y, batch_size, shuffle=shuffle, seed=seed))
    size = n if batch_size is None else batch_size
    assert len(parts) == -(-n // size)
    assert all(len(b[1]) == size for b in parts[:-1]) and 0 < len(parts[-1][1]) <= size
    seen = np.concatenate([b[1] for b in parts])
    assert sorted(seen.tolist()) == list(range(n))
    if not shuffle:
        assert seen.tolist() == list(range(n))
    for Xb, yb in parts:
        np.testing.assert_array_equal(Xb[:, 0], yb)


def test_batch_modes_and_bad_batch_size():
    X, y = np.zeros((10, 2)), np.zeros(10)
    assert len(list(data.batches(X, y, None))) == 1   # full batch
    assert len(list(data.batches(X, y, 1))) == 10     # online
    assert len(list(data.batches(X, y, 4))) == 3      # mini-batches of 4, 4, 2
    for bad in (0, -3, 2.5):
        with pytest.raises(DataError, match=repr(bad)):
            next(data.batches(X, y, bad))
    first = [b[1] for b in data.batches(X, np.arange(10), 3, seed=7)]
    again = [b[1] for b in data.batches(X, np.arange(10), 3, seed=7)]
    assert all(np.array_equal(a, b) for a, b in zip(first, again))


def write_idx(path, array: np.ndarray, compress: bool = False) -> None:
    code = {np.dtype(np.uint8): 0x08, np.dtype(">i4"): 0x0C}[array.dtype]
    raw = bytes([0, 0, code, array.ndim]) + struct.pack(f">{array.ndim}I", *array.shape) + array.tobytes()
    (gzip.open if compress else open)(path, "wb").write(raw)


@pytest.mark.parametrize("compress", [False, True])
def test_load_mnist_reads_small_idx_files(tmp_path, compress):
    rng = np.random.default_rng(0)
    images = rng.integers(0, 256, size=(5, 4, 3), dtype=np.uint8)
    labels = np.array([3, 1, 4, 1, 5], dtype=np.uint8)
    ext = ".gz" if compress else ""
    write_idx(tmp_path / f"train-images-idx3-ubyte{ext}", images, compress)
    write_idx(tmp_path / f"train-labels-idx1-ubyte{ext}", labels, compress)
    X, y = data.load_mnist(tmp_path)
    assert X.shape == (5, 12) and X.dtype == np.float64
    np.testing.assert_allclose(X, images.reshape(5, 12) / 255.0)
    np.testing.assert_array_equal(y, labels)
    big_endian = np.arange(6, dtype=">i4").reshape(2, 3)
    write_idx(tmp_path / "ints.idx", big_endian)
    np.testing.assert_array_equal(data.read_idx(tmp_path / "ints.idx"), np.arange(6).reshape(2, 3))


def test_broken_idx_files_are_reported(tmp_path):
    (tmp_path / "junk").write_bytes(b"\x12\x34\x56\x78rest")
    with pytest.raises(DataError, match="bad magic number 12345678"):
        data.read_idx(tmp_path / "junk")
    write_idx(tmp_path / "short", np.zeros((3, 2), dtype=np.uint8))
    (tmp_path / "short").write_bytes((tmp_path / "short").read_bytes()[:-1])
    with pytest.raises(DataError, match=r"shape \(3, 2\).*5 bytes"):
        data.read_idx(tmp_path / "short")
    write_idx(tmp_path / "t10k-images-idx3-ubyte", np.zeros((3, 2, 2), dtype=np.uint8))
    write_idx(tmp_path / "t10k-labels-idx1-ubyte", np.zeros(2, dtype=np.uint8))
    with pytest.raises(DataError, match="3 images but 2 labels"):
        data.load_mnist(tmp_path, kind="t10k")
    with pytest.raises(DataError, match="no file train-images"):
        data.load_mnist(tmp_path)
