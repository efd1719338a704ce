"""Bad sizes for the toy data sets and broken IDX files end in a DataError naming the
argument or the file."""
from __future__ import annotations

import gzip
import math
import struct

import numpy as np
import pytest

from micrograd import data
from micrograd.data import DataError


@pytest.mark.parametrize("make, kwargs, pattern", [
    (data.circles, dict(n=-1), r"circles: n .* must be an integer >= 2, got -1"),
    (data.circles, dict(n=0), r"circles: n .* must be an integer >= 2, got 0"),
    (data.circles, dict(n=1), r"circles: n .* must be an integer >= 2, got 1"),  # one class only
    (data.circles, dict(n=10.5), r"circles: n .* got 10\.5"),
    (data.circles, dict(n=True), r"circles: n .* got True"),
    (data.circles, dict(noise=-0.1), r"circles: noise is a standard deviation.*got -0\.1"),
    (data.circles, dict(noise=math.nan), r"circles: noise .*got nan"),
    (data.circles, dict(factor=math.nan), r"circles: factor .*got nan"),
    (data.moons, dict(n=0), r"moons: n .* got 0"),
    (data.moons, dict(noise=-1), r"moons: noise .*got -1"),
    (data.moons, dict(noise=math.inf), r"moons: noise .*got inf"),
    (data.spirals, dict(classes=0), r"spirals: classes must be an integer >= 1, got 0"),
    (data.spirals, dict(classes=-2), r"spirals: classes must be an integer >= 1, got -2"),
    (data.spirals, dict(classes=2.5), r"spirals: classes must be an integer >= 1, got 2\.5"),
    (data.spirals, dict(n=2, classes=3), r"spirals: n .*at least one per class: 3.* >= 3, got 2"),
    (data.spirals, dict(n=-5), r"spirals: n .* got -5"),
    (data.spirals, dict(noise=-0.2), r"spirals: noise .*got -0\.2"),
    (data.spirals, dict(turns=math.nan), r"spirals: turns must be a finite number, got nan"),
])
def test_toy_sets_name_the_bad_argument(make, kwargs, pattern):
    with pytest.raises(DataError, match=pattern):
        make(seed=0, **kwargs)


def test_the_smallest_toy_sets_have_every_class():
    for X, y in (data.circles(n=2, seed=0), data.moons(n=2, seed=0)):
        assert X.shape == (2, 2) and sorted(y) == [0, 1]
    X, y = data.spirals(n=3, classes=3, seed=0)
    assert sorted(y) == [0, 1, 2]


def test_a_bool_batch_size_is_refused():
    with pytest.raises(DataError, match="batch_size must be None .* got True"):
        next(data.batches(np.zeros((4, 2)), np.zeros(4), batch_size=True))


# --------------------------------------------------------------------------- IDX files

def idx(dtype_code: int, shape, payload: bytes = b"") -> bytes:
    return bytes([0, 0, dtype_code, len(shape)]) + struct.pack(f">{len(shape)}I", *shape) + payload


def write(tmp_path, name, raw: bytes):
    path = tmp_path / name
    path.write_bytes(gzip.compress(raw) if name.endswith(".gz") else raw)
    return path


@pytest.mark.parametrize("raw, pattern", [
    (b"\x00\x00\x08", r"3 bytes long, too short for an IDX header"),
    (b"", r"0 bytes long, too short"),
    (bytes([0, 0, 8, 3]) + struct.pack(">2I", 2, 2), r"truncated: its magic number declares 3 dimensions "
                                                     r"\(16 header bytes\) but the file has only 12 bytes"),
    (bytes([1, 0, 8, 1]) + struct.pack(">I", 1) + b"\x07", r"not an IDX file \(bad magic number 01000801"),
    (bytes([0, 0, 0x42, 1]) + struct.pack(">I", 1) + b"\x07", r"bad magic number 00004201"),
    # 65536⁴ = 2⁶⁴ elements: in int64 the product wraps around to 0, which an empty
    # payload would "match"; it must be read as the huge size it is.
    (idx(0x08, (65536, 65536, 65536, 65536)), r"declares shape \(65536, 65536, 65536, 65536\) "
                                              r"\(18446744073709551616 bytes of data\) but holds 0 bytes"),
    (idx(0x08, (2, 3), bytes(5)), r"declares shape \(2, 3\) \(6 bytes of data\) but holds 5 bytes"),
    (idx(0x0C, (2,), bytes(12)), r"declares shape \(2,\) \(8 bytes of data\) but holds 12 bytes"),
])
@pytest.mark.parametrize("name", ["f-idx1-ubyte", "f-idx1-ubyte.gz"])
def test_broken_idx_files_name_the_file_and_the_problem(tmp_path, raw, pattern, name):
    path = write(tmp_path, name, raw)
    with pytest.raises(DataError, match=rf"read_idx: .*{pattern}") as e:
        data.read_idx(path)
    assert str(path) in str(e.value)


def test_unreadable_idx_files_are_data_errors(tmp_path):
    with pytest.raises(DataError, match=r"read_idx: there is no file .*missing-idx1-ubyte"):
        data.read_idx(tmp_path / "missing-idx1-ubyte")
    fake_gz = write(tmp_path, "fake-idx1-ubyte.gz", b"")
    fake_gz.write_bytes(b"not gzip at all")
    with pytest.raises(DataError, match=r"read_idx: cannot read .*fake-idx1-ubyte\.gz \(BadGzipFile"):
        data.read_idx(fake_gz)
    cut = tmp_path / "cut-idx1-ubyte.gz"
    cut.write_bytes(gzip.compress(idx(0x08, (100,), bytes(100)))[:20])
    with pytest.raises(DataError, match=r"read_idx: cannot read .*cut-idx1-ubyte\.gz \(EOFError"):
        data.read_idx(cut)


def test_a_good_idx_file_still_reads(tmp_path):
    path = write(tmp_path, "ok-idx1-ubyte", idx(0x0B, (2, 2), struct.pack(">4h", 1, -2, 3, -4)))
    np.testing.assert_array_equal(data.read_idx(path), [[1, -2], [3, -4]])


def test_load_mnist_refuses_images_that_are_not_bytes(tmp_path):
    write(tmp_path, "train-images-idx3-ubyte", idx(0x0D, (1, 2, 2), struct.pack(">4f", 0.1, 0.2, 0.3, 0.4)))
    write(tmp_path, "train-labels-idx1-ubyte", idx(0x08, (1,), bytes([3])))
    with pytest.raises(DataError, match="load_mnist: expected uint8 images and integer labels .* got float32 and uint8"):
        data.load_mnist(tmp_path)


def test_split_and_circles_refuse_what_is_not_a_number():
    X, y = np.ones((10, 2)), np.zeros(10)
    with pytest.raises(DataError, match="val and test are fractions"):
        data.split(X, y, val="0.2")
    with pytest.raises(DataError, match="circles: factor"):
        data.circles(10, factor="a")
