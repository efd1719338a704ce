"""engine.py's refusals, each read from its start: the op that refuses, the value at fault
and the way out. Found by mutation testing (issue 15): these messages could lose the op's
name, or the whole sentence, without any other test noticing."""
from __future__ import annotations

import io

import numpy as np
import pytest

import micrograd as mg
from micrograd.errors import (
    AnomalyError,
    ArgumentError,
    DTypeError,
    HigherOrderError,
    InplaceError,
    ShapeError,
)

BOTH = r"\(numpy's and PyTorch's spellings of one argument, or a positional argument and its " \
       r"keyword\); pass it once$"


def _x(*shape):
    return mg.tensor(np.arange(float(np.prod(shape))).reshape(shape), dtype=np.float64)


@pytest.mark.parametrize("call, message", [
    (lambda: _x(2, 3).unsqueeze(3),
     r"^unsqueeze: dimension 3 is out of range for 3 dimensions \(valid: -3 to 2\)$"),
    (lambda: _x(4).argmin(dim=-2),
     r"^argmin: dimension -2 is out of range for 1 dimension \(valid: -1 to 0\)$"),
    (lambda: _x(2, 3).argmax(dim=2),
     r"^argmax: dimension 2 is out of range for 2 dimensions \(valid: -2 to 1\)$"),
], ids=["unsqueeze", "argmin-1d", "argmax-2d"])
def test_an_out_of_range_dimension_names_the_op_and_the_valid_range(call, message):
    with pytest.raises(ShapeError, match=message):
        call()


@pytest.mark.parametrize("method, dim", [("argmax", 0), ("argmin", -1)])
def test_argmax_and_argmin_of_a_0d_tensor_take_dim_0_or_minus_1_as_pytorch(method, dim):
    torch = pytest.importorskip("torch", reason="the PyTorch cross-check needs torch")
    x = mg.tensor(2.5)
    got = getattr(x, method)(dim=dim)
    want = getattr(torch.tensor(2.5), method)(dim=dim)
    assert got.item() == want.item() == 0 and got.dtype == np.int64


@pytest.mark.parametrize("call, message", [
    (lambda: _x(2, 3).amin(dim=0, axis=0), r"^amin: got dim= and axis= "),
    (lambda: _x(2, 3).argmin(dim=0, keepdim=True, keepdims=True),
     r"^argmin: got keepdim= and keepdims= "),
    (lambda: _x(2, 3).softmax(dim=1, axis=1), r"^softmax: got dim= and axis= "),
    (lambda: _x(2, 3).var(False, unbiased=True), r"^var: got unbiased= twice "),
    (lambda: _x(2).to(np.float32, dtype=np.float64), r"^to: got dtype= twice "),
    (lambda: _x(2).to("cpu", device="cpu"), r"^to: got device= twice "),
], ids=["amin", "argmin", "softmax", "var", "to-dtype", "to-device"])
def test_an_argument_given_twice_names_the_op_and_the_argument(call, message):
    with pytest.raises(ArgumentError, match=message + BOTH):
        call()


def test_a_device_passed_as_the_dtype_is_named_with_the_fix():
    with pytest.raises(DTypeError, match=r"^to: dtype='cpu' names a device; pass device='cpu'$"):
        _x(2).to(dtype="cpu")


def test_a_ragged_nested_list_is_a_shape_error_that_says_so():
    with pytest.raises(ShapeError, match=r"^Tensor: nested lists of different lengths \(ragged\) "
                                         r"cannot make a tensor; every row must have the same "
                                         r"length$"):
        mg.tensor([[1.0, 2.0], [3.0]])


@pytest.mark.parametrize("rows", [[[1, 2], [3, 4]], [np.zeros(2), np.zeros(3)]],
                         ids=["even", "ragged"])
def test_an_object_array_of_rows_is_not_called_a_ragged_list(rows):
    data = np.empty(len(rows), dtype=object)
    data[:] = [None] * len(rows)  # filled one by one: numpy would stack equal rows otherwise
    for k, row in enumerate(rows):
        data[k] = row
    with pytest.raises(DTypeError, match=r"^Tensor: cannot make a tensor of ndarray data with "
                                         r"dtype=.*float64.*: setting an array element with a "
                                         r"sequence; an array of dtype object holds Python "
                                         r"objects, not numbers: np\.stack its items"):
        mg.tensor(data, dtype=np.float64)
    assert mg.tensor(np.stack(rows[:1]), dtype=np.float64).shape == (1, len(rows[0]))


def test_an_object_with_a_detach_method_is_not_taken_for_a_torch_tensor():
    # A file object has detach() too; calling it would unhook the file from its buffer.
    f = io.BufferedReader(io.BytesIO(b"1.0"))
    with pytest.raises(DTypeError, match=r"^Tensor: cannot hold data of dtype object"):
        mg.tensor(f)
    assert f.read() == b"1.0"  # still attached and unread


@pytest.mark.parametrize("change, error, message", [
    (lambda t: t.add_(1.0), InplaceError,
     r"^add_: this tensor's memory is read-only \(a broadcast view, or a read-only array given "
     r"to from_numpy\); clone\(\) it first$"),
    (lambda t: t.mul_(np.ones(4)), ShapeError, r"^mul_: .* \(the tensor changed in place has "
     r"shape \(2, 3\), the operand \(4,\); in-place ops cannot change a tensor's shape\)$"),
], ids=["read-only", "shape"])
def test_an_unrecorded_inplace_change_names_the_inplace_method(change, error, message):
    t = mg.tensor(np.ones(3), dtype=np.float64).expand(2, 3)
    if error is ShapeError:
        t = t.clone()
    with pytest.raises(error, match=message):
        change(t)


def test_a_recorded_inplace_change_of_shared_memory_says_to_clone():
    w = mg.tensor([1.0, 2.0], requires_grad=True, dtype=np.float64)
    h = w * 2
    h.detach()  # h's storage is now shared with the detached tensor
    with pytest.raises(InplaceError, match=r"^mul_: this tensor \(.*\) shares its memory with "
                                           r"another \(a view, detach\(\) or from_numpy\), so a "
                                           r"recorded in-place change would leave the other with "
                                           r"values its graph does not explain; use the "
                                           r"out-of-place form, or clone\(\) first$"):
        h.mul_(3.0)


class _Cube(mg.Function):
    """z = x³, with a backward on arrays only (no backward_t): first order only."""
    name = "cube"

    def forward(self, x):
        self.x = x
        return x ** 3

    def backward(self, g, i):
        return g * 3 * self.x ** 2


def test_a_second_derivative_of_an_array_only_backward_names_the_class_to_fix():
    x = mg.tensor([2.0], requires_grad=True, dtype=np.float64)
    with pytest.raises(HigherOrderError, match=r"^cube: its backward is written only on arrays, "
                                               r"so create_graph=True cannot record it; give "
                                               r"_Cube a backward_t\(g, i, out\) written with "
                                               r"tensor ops to differentiate it twice$"):
        mg.grad(_Cube.apply(x).sum(), x, create_graph=True)


@pytest.mark.filterwarnings("ignore:divide by zero:RuntimeWarning")
def test_a_non_finite_forward_mode_partial_is_named_as_a_jvp():
    x = mg.tensor([0.0, 4.0], requires_grad=True, dtype=np.float64)
    y = x.sqrt().sum()  # d sqrt(x)/dx = 1 / (2 sqrt x): inf at 0
    with mg.detect_anomaly(), pytest.raises(AnomalyError, match=r"^sqrt: the local partial "
                                                                r"\(jvp\) for input 0 produced "):
        y.backward(mode="forward")
