"""Class labels in micrograd.nn.functional: one_hot (as PyTorch's: int64, num_classes=-1
infers it), target_matrix (labels or rows into an (n, classes) float matrix) and accuracy,
on lists, arrays and Tensors, and their errors, which name the op, the bad value and the fix."""
from __future__ import annotations

import warnings

import numpy as np
import pytest

from micrograd import ArgumentError, Tensor
from micrograd.errors import DataError
from micrograd.nn import functional as F


@pytest.mark.parametrize("labels", [[0, 2, 1], np.array([0, 2, 1]), Tensor(np.array([0, 2, 1]))],
                         ids=["list", "array", "tensor"])
def test_one_hot_takes_lists_arrays_and_tensors(labels):
    out = F.one_hot(labels)
    assert out.dtype == np.int64
    np.testing.assert_array_equal(out.data, np.eye(3, dtype=np.int64)[[0, 2, 1]])


def test_one_hot_keeps_the_labels_shape_and_adds_a_class_axis():
    out = F.one_hot([[1, 0], [0, 3]], num_classes=4)
    assert out.shape == (2, 2, 4)
    np.testing.assert_array_equal(out.data.argmax(-1), [[1, 0], [0, 3]])
    np.testing.assert_array_equal(out.data.sum(-1), 1)


def test_one_hot_with_a_single_class():
    np.testing.assert_array_equal(F.one_hot([0, 0], num_classes=1).data, [[1], [1]])


@pytest.mark.parametrize("bad", [2.0, "3", True, None])
def test_one_hot_num_classes_must_be_an_integer(bad):
    with pytest.raises(ArgumentError, match=r"^one_hot: num_classes must be an integer, got "
                                            + f"{bad!r}$"):
        F.one_hot([0, 1], num_classes=bad)


@pytest.mark.parametrize("bad", [0, -2])
def test_one_hot_num_classes_must_be_positive_or_minus_one(bad):
    with pytest.raises(ArgumentError, match=r"^one_hot: num_classes must be >= 1 \(or -1 to "
                                            rf"infer it\), got {bad}$"):
        F.one_hot([0, 1], num_classes=bad)


def test_one_hot_cannot_infer_classes_from_no_labels():
    with pytest.raises(DataError, match=r"^one_hot: cannot infer the number of classes from no "
                                        r"labels; pass num_classes$"):
        F.one_hot(np.array([], dtype=np.int64))


@pytest.mark.parametrize("labels, num_classes, message", [
    ([0, 1.5], -1, r"^one_hot: labels must be whole numbers \(class indices\), but label 1\.5 "
                   r"is at index 1"),
    ([0.0, -1.0], -1, r"^one_hot: labels must be in \[0, \d+\) .*but label -1\.0 is at index 1"),
    ([0, 2], 2, r"^one_hot: labels must be in \[0, 2\) for 2 classes, but label 2 is at index 1"),
    ([-1, 0], 2, r"^one_hot: labels must be in \[0, 2\) for 2 classes, but label -1 is at index 0"),
])
def test_one_hot_names_the_first_bad_label(labels, num_classes, message):
    with pytest.raises(DataError, match=message):
        F.one_hot(labels, num_classes=num_classes)


@pytest.mark.parametrize("labels", [[2, 0], np.array([2, 0]), Tensor(np.array([2, 0]))],
                         ids=["list", "array", "tensor"])
def test_target_matrix_turns_labels_into_one_hot_float_rows(labels):
    out = F.target_matrix(labels, 2, 3, "my_loss")
    assert out.dtype == np.float64
    np.testing.assert_array_equal(out, [[0, 0, 1], [1, 0, 0]])


def test_target_matrix_passes_rows_through_as_floats():
    rows = [[0.25, 0.75], [1, 0]]
    out = F.target_matrix(rows, 2, 2, "my_loss")
    assert out.dtype == np.float64
    np.testing.assert_array_equal(out, rows)


@pytest.mark.parametrize("targets, message", [
    ([0, 1, 2], r"^my_loss: 2 rows of logits but 3 labels$"),
    ([0, 3], r"^my_loss: labels must be in \[0, 3\) for 3 classes, but label 3 is at index 1"),
    ([0.5, 1], r"^my_loss: labels must be whole numbers"),
    (np.zeros((2, 3, 1)), r"^my_loss: labels must be a 1-D array of class indices, got shape "
                          r"\(2, 3, 1\)"),
    (np.zeros((2, 2)), r"^my_loss: target rows have shape \(2, 2\), the logits \(2, 3\)"),
])
def test_target_matrix_errors_name_the_caller(targets, message):
    with pytest.raises(DataError, match=message):
        F.target_matrix(targets, 2, 3, "my_loss")


def test_accuracy_takes_lists_and_tensors():
    logits = [[0.1, 0.9], [0.8, 0.2], [0.3, 0.7]]
    assert F.accuracy(logits, [1, 1, 1]) == pytest.approx(2 / 3)
    assert F.accuracy(Tensor(np.array(logits)), Tensor(np.array([1, 0, 1]))) == 1.0
    assert F.accuracy(logits, np.eye(2)[[1, 1, 0]]) == pytest.approx(1 / 3)


def test_accuracy_of_no_examples_is_nan_without_a_warning():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert np.isnan(F.accuracy(np.zeros((0, 3)), np.zeros(0, dtype=np.int64)))


@pytest.mark.parametrize("logits, targets, message", [
    (np.zeros((2, 2)), 1, r"^accuracy: logits \(shape \(2, 2\)\) and targets \(shape \(\)\) "
                          r"need one row per example"),
    (np.float64(0.5), [1], r"^accuracy: logits \(shape \(\)\) and targets \(shape \(1,\)\) "
                           r"need one row per example"),
    (np.zeros((3, 2)), [0, 1], r"^accuracy: 3 rows of logits but 2 targets$"),
])
def test_accuracy_needs_one_target_per_row(logits, targets, message):
    with pytest.raises(DataError, match=message):
        F.accuracy(logits, targets)


@pytest.mark.parametrize("dtype", [np.int32, np.uint8, np.int16, np.float32])
def test_one_hot_takes_labels_of_any_integer_or_whole_float_dtype(dtype):
    labels = np.array([0, 2, 1, 2], dtype=dtype)
    np.testing.assert_array_equal(F.one_hot(labels, num_classes=3).data,
                                  np.eye(3, dtype=np.int64)[[0, 2, 1, 2]])


@pytest.mark.parametrize("dtype", [np.int32, np.uint8, np.float32])
def test_a_label_equal_to_the_class_count_is_out_of_range_in_any_dtype(dtype):
    with pytest.raises(DataError, match=r"^one_hot: labels must be in \[0, 3\) for 3 classes, "
                                        r"but label 3(\.0)? is at index 1"):
        F.one_hot(np.array([0, 3], dtype=dtype), num_classes=3)


def test_one_hot_of_no_labels_with_a_class_count_is_empty():
    out = F.one_hot(np.array([], dtype=np.int64), num_classes=3)
    assert out.shape == (0, 3)


@pytest.mark.parametrize("labels, shown", [(np.array(["a", "b"]), "<U1"),
                                           (np.array(["2020-01-01"], dtype="datetime64[D]"),
                                            r"datetime64\[D\]")])
def test_labels_that_are_not_numbers_are_refused_with_their_dtype(labels, shown):
    with pytest.raises(DataError, match=rf"^one_hot: labels must be integers, got dtype {shown}$"):
        F.one_hot(labels, num_classes=2)
