"""engine.py's refusals, each read from its start: the op that refuses, the value at fault
and the way out. Found by mutation testing (issue 15): these messages could lose the op's
name, or the whole sentence, without any other test noticing."""
from __future__ import annotations

import io
import re

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


@pytest.fixture
def torch():
    return pytest.importorskip("torch", reason="the PyTorch cross-check needs torch")


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
def test_argmax_and_argmin_of_a_0d_tensor_take_dim_0_or_minus_1_as_pytorch(torch, method, dim):
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


def test_a_changed_saved_output_is_named_with_both_versions_as_pytorch_counts_them(torch):
    x = mg.tensor([1.0, 2.0], requires_grad=True, dtype=np.float64)
    y = x.exp()  # exp saves its output for the gradient
    with mg.no_grad():
        y.add_(1.0)
        y.mul_(2.0)
    with pytest.raises(InplaceError, match=r"^exp: one of the tensors needed for its gradient, "
                                           r"its output, was changed by an in-place operation "
                                           r"after the forward pass \(version 0 then, 2 now\), "
                                           r"so backward\(\) would compute a wrong gradient\. "
                                           r"Do the in-place update after backward\(\), or use "
                                           r"the out-of-place form \(x = x \+ y\) or "
                                           r"x\.clone\(\) before changing it$"):
        y.sum().backward()
    tx = torch.tensor([1.0, 2.0], requires_grad=True)
    ty = tx.exp()
    with torch.no_grad():
        ty.add_(1.0)
        ty.mul_(2.0)
    with pytest.raises(RuntimeError, match="is at version 2; expected version 0"):
        ty.sum().backward()


def test_a_leaf_that_requires_grad_changed_in_place_is_told_where_to_do_it():
    x = mg.tensor([1.0, 2.0], requires_grad=True, dtype=np.float64)
    with pytest.raises(InplaceError, match=r"^add_: a leaf tensor that requires grad \(of shape "
                                           r"\(2,\)\) cannot be changed in place while gradients "
                                           r"are recorded; update it inside `with "
                                           r"micrograd\.no_grad\(\):`, or use the out-of-place "
                                           r"form$"):
        x.add_(1.0)


@pytest.mark.parametrize("change", [lambda t, w: t.__setitem__(0, 1.5),
                                    lambda t, w: t.add_(w)], ids=["setitem", "recorded add_"])
def test_a_float_result_is_not_stored_in_an_integer_tensor(change):
    t = mg.tensor([1, 2])
    w = mg.tensor([0.5], requires_grad=True)
    with pytest.raises(DTypeError, match=r"^(setitem_|add_): a result of dtype float(32|64) cannot "
                                         r"be stored in this tensor of dtype int64; convert the "
                                         r"tensor first, e.g\. t\.astype\(float\)$"):
        change(t, w)
    assert t.tolist() == [1, 2]


def test_a_recorded_inplace_change_keeps_the_tensors_dtype_as_pytorch(torch):
    x = mg.tensor([1.0, 2.0], requires_grad=True)  # float32
    h = x * 3
    h.add_(mg.tensor([0.25, 0.5], dtype=np.float64))  # a float64 operand
    assert h.dtype == np.float32
    (h * h).sum().backward()
    tx = torch.tensor([1.0, 2.0], requires_grad=True)
    th = tx * 3
    th.add_(torch.tensor([0.25, 0.5], dtype=torch.float64))
    assert th.dtype == torch.float32
    (th * th).sum().backward()
    np.testing.assert_allclose(h.data, th.detach().numpy(), rtol=1e-6)
    np.testing.assert_allclose(x.grad, tx.grad.numpy(), rtol=1e-6)


def test_a_recorded_inplace_change_of_a_reductions_result_is_allowed():
    # amax's result is a view of a fresh array, not of its input: nothing else sees its
    # memory. (PyTorch refuses this one: its amax backward reads the output it saved; ours
    # keeps the value from before the change for the graph.)
    x = mg.tensor([[1.0, 5.0], [7.0, 2.0]], requires_grad=True, dtype=np.float64)
    m = x.amax(1)
    m.mul_(2.0)
    m.sum().backward()
    np.testing.assert_array_equal(m.data, [10.0, 14.0])
    np.testing.assert_array_equal(x.grad, [[0.0, 2.0], [2.0, 0.0]])  # 2 at each row's max


def test_the_minus_infinity_norm_over_a_dim_is_the_smallest_magnitude_per_row(torch):
    data = np.array([[3.0, -1.0, 4.0], [-0.5, 9.0, -2.0]])
    for dim in (1, 0):
        got = mg.tensor(data, dtype=np.float64).norm(p=-np.inf, dim=dim)
        want = torch.linalg.vector_norm(torch.tensor(data), ord=-np.inf, dim=dim)
        np.testing.assert_array_equal(got.data, want.numpy())


def test_torch_dtypes_are_read_as_numpy_dtypes_by_to(torch):
    x = mg.tensor([1.0, 2.0])
    assert x.to(torch.float64).dtype == np.float64
    assert x.to(dtype=torch.int32).dtype == np.int32


def test_a_to_argument_that_is_neither_a_dtype_nor_a_device_is_named():
    with pytest.raises(DTypeError, match=r"^to: 'floaty' is neither a dtype \(micrograd\.float32, "
                                         r"np\.float64, 'float32', \.\.\.\) nor a device "
                                         r"\('cpu'\)$"):
        _x(2).to("floaty")


def test_data_that_is_not_numbers_is_named_with_numpys_reason_and_nothing_after():
    with pytest.raises(DTypeError, match=r"^Tensor: cannot make a tensor of list data with "
                                         r"dtype=.*float64.*: could not convert string to float: "
                                         r"'a'$"):
        mg.tensor(["a"], dtype=np.float64)


class _Phase(mg.Function):
    """z = x · e^{i}: an op of one's own with a complex result."""
    name = "phase"

    def forward(self, x):
        return x * np.exp(1j)

    def backward(self, g, i):
        raise AssertionError("never recorded")


def test_an_op_with_a_complex_result_from_an_input_that_requires_grad_is_refused():
    x = mg.tensor([1.0], requires_grad=True, dtype=np.float64)
    with pytest.raises(DTypeError, match=r"^phase: its result is complex, and autograd does not "
                                         r"do complex gradients \(they need conjugates\); keep "
                                         r"tensors that require grad real$"):
        _Phase.apply(x)
    assert _Phase.apply(x.detach()).dtype == np.complex128  # outside the graph it is fine


@pytest.mark.parametrize("create_graph", [False, True])
def test_a_recorded_backward_is_counted_per_input_as_the_plain_one(create_graph):
    # With create_graph=True the partials are recorded tensor ops (backward_t); the counters
    # are told which input each is for, so the bias partial still costs n, not 2mnk.
    m, k, n = 4, 3, 2
    rng = np.random.default_rng(0)
    x, w, b = (mg.tensor(rng.normal(size=s), requires_grad=True, dtype=np.float64)
               for s in [(m, k), (n, k), (n,)])
    y = mg.nn.functional.linear(x, w, b).sum()
    with mg.count_ops() as c:
        mg.grad(y, [x, w, b], create_graph=create_graph)
    assert c.by_op["linear"].partials == 3
    assert c.by_op["linear"].flops == 2 * (2 * m * n * k) + m * n


@pytest.mark.parametrize("call, error, message", [
    (lambda: mg.set_default_dtype(np.float16), DTypeError,
     r"^set_default_dtype: the default dtype must be micrograd\.float32 or micrograd\.float64, "
     r"got float16 \(PyTorch also allows float16 and bfloat16; micrograd does not\)$"),
    (lambda: f"{_x(2):.2f}", ShapeError,
     r"^format: the format '\.2f' applies to one number, but this tensor has shape \(2,\); "
     r"format t\.item\(\) of a one-element tensor, or the entries one by one$"),
    (lambda: mg.tensor(np.zeros((0, 3))).argmin(), ShapeError,
     r"^argmin: the tensor of shape \(0, 3\) is empty: there is no largest or smallest entry "
     r"to point at$"),
    (lambda: _x(3).norm(p=1, ord=1), ArgumentError, r"^norm: got p= and ord= "),
    (lambda: _x(2, 3).norm(dim=0, axis=0), ArgumentError, r"^norm: got dim= and axis= "),
    (lambda: _x(2, 3).flatten(5), ShapeError,
     r"^flatten: dimension 5 is out of range for 2 dimensions \(valid: -2 to 1\)$"),
    (lambda: _x(2, 3).flatten(0, -3), ShapeError,
     r"^flatten: dimension -3 is out of range for 2 dimensions \(valid: -2 to 1\)$"),
], ids=["default-dtype", "format", "argmin-empty", "norm-p-ord", "norm-dim-axis",
        "flatten-start", "flatten-end"])
def test_more_refusals_name_the_op_the_value_and_the_way_out(call, error, message):
    with pytest.raises(error, match=message):
        call()
    assert mg.get_default_dtype() == np.float32  # the refused default changed nothing


def test_repr_shows_the_dtype_and_the_op_together():
    x = mg.tensor([1.0, 2.0], requires_grad=True, dtype=np.float64)
    assert repr(x * 2) == "Tensor([2., 4.], dtype=float64, grad_fn=<mul>)"
    assert repr(x) == "Tensor([1., 2.], dtype=float64, requires_grad=True)"


@pytest.mark.parametrize("keepdim", [True, False])
@pytest.mark.parametrize("p", [1, 2, np.inf])
def test_norm_over_a_dim_keeps_the_dim_when_asked_as_pytorch(torch, p, keepdim):
    data = np.array([[3.0, -1.0, 4.0], [-0.5, 9.0, -2.0]])
    got = mg.tensor(data, dtype=np.float64).norm(p=p, dim=1, keepdim=keepdim)
    want = torch.linalg.vector_norm(torch.tensor(data), ord=p, dim=1, keepdim=keepdim)
    assert got.shape == tuple(want.shape)
    np.testing.assert_allclose(got.data, want.numpy(), rtol=1e-12)


def test_comparisons_and_truth_follow_the_values(torch):
    a, b = np.array([1.0, 2.0, 3.0]), np.array([2.0, 2.0, 2.0])
    x, tx = mg.tensor(a), torch.tensor(a)
    for op in ("__ge__", "__gt__", "__le__", "__lt__"):
        np.testing.assert_array_equal(getattr(x, op)(mg.tensor(b)).data,
                                      getattr(tx, op)(torch.tensor(b)).numpy())
        np.testing.assert_array_equal(getattr(x, op)(2.0).data, getattr(tx, op)(2.0).numpy())
    assert bool(mg.tensor(1.5)) is True and bool(mg.tensor([0.0])) is False


def test_a_0d_tensor_transposed_is_itself_and_passes_its_gradient(torch):
    x = mg.tensor(3.0, requires_grad=True, dtype=np.float64)
    y = x.transpose(0, -1)
    assert y.shape == () and y.item() == torch.tensor(3.0).transpose(0, -1).item()
    (y * 2).backward()
    assert x.grad == 2.0


def test_asarray_of_the_same_dtype_is_a_read_only_view_not_a_copy():
    t = mg.tensor([1.0, 2.0], dtype=np.float64)
    for a in (np.asarray(t), np.asarray(t, dtype=np.float64)):
        assert np.shares_memory(a, t.data) and not a.flags.writeable
    c = np.asarray(t, dtype=np.float32)  # another dtype: a copy, the caller's to change
    c[0] = 5.0
    assert c.flags.writeable and t.tolist() == [1.0, 2.0]


# --------------------------------------------------------------------------- every refusal,
# one row per raise site and per op name passed to a helper (_reduce_args, _either, _one_dim).

def _whole(text):
    """A regex that matches exactly `text`, from its start to its end."""
    return "^" + re.escape(text) + "$"


_REDUCTIONS = ["sum", "mean", "max", "min", "amax", "amin", "argmax", "argmin", "var", "std",
               "norm", "logsumexp"]
_ALREADY_READ = {("amin", "dim"), ("argmin", "keepdim"), ("norm", "dim")}  # rows above


@pytest.mark.parametrize("op, name, other", [
    (op, name, other) for op in _REDUCTIONS
    for name, other in [("dim", "axis"), ("keepdim", "keepdims")]
    if (op, name) not in _ALREADY_READ])
def test_every_reduction_names_itself_when_an_argument_is_spelled_twice(op, name, other):
    kwargs = {"dim": 0, "axis": 0} if name == "dim" else {"dim": 0, "keepdim": True,
                                                          "keepdims": True}
    with pytest.raises(ArgumentError, match=rf"^{op}: got {name}= and {other}= " + BOTH):
        getattr(_x(2, 3), op)(**kwargs)


@pytest.mark.parametrize("call, message", [
    (lambda: _x(2, 3).log_softmax(dim=1, axis=1), r"^log_softmax: got dim= and axis= "),
    (lambda: _x(2, 1).squeeze(dim=1, axis=1), r"^squeeze: got dim= and axis= "),
    (lambda: _x(3).norm(3, ord=1), r"^norm: got p= and ord= "),
], ids=["log_softmax", "squeeze", "norm-p-positional"])
def test_the_other_ops_with_two_spellings_name_themselves(call, message):
    with pytest.raises(ArgumentError, match=message + BOTH):
        call()


@pytest.mark.parametrize("call, error, message", [
    (lambda: _x(2, 3).size(2), ShapeError,
     r"^size: dimension 2 is out of range for 2 dimensions \(valid: -2 to 1\)$"),
    (lambda: mg.tensor(1.0).size(0), ShapeError,
     r"^size: dimension 0 is out of range for 0 dimensions \(valid: none: the tensor is 0-d\)$"),
    (lambda: _x(2, 3).size("a"), DTypeError, r"^size: a dimension must be an int, got 'a'$"),
    (lambda: _x(2, 3).flatten(0.0), DTypeError,
     r"^flatten: a dimension must be an int, got 0\.0$"),
    (lambda: _x(2, 3).flatten(0, 1.0), DTypeError,
     r"^flatten: a dimension must be an int, got 1\.0$"),
    (lambda: _x(2, 3).unsqueeze(True), DTypeError,
     r"^unsqueeze: a dimension must be an int, got True$"),
    (lambda: _x(2, 1).squeeze(2), ShapeError,
     r"^squeeze: dimension 2 is out of range for 2 dimensions \(valid: -2 to 1\)$"),
    (lambda: _x(2, 1).squeeze((1, 1.5)), DTypeError,
     r"^squeeze: a dimension must be an int, got 1\.5$"),
    (lambda: _x(2, 3).transpose(0, 2), ShapeError,
     r"^transpose: dimension 2 is out of range for 2 dimensions \(valid: -2 to 1\)$"),
    (lambda: mg.tensor(1.0).transpose(0, -2), ShapeError,
     r"^transpose: dimension -2 is out of range for 0 dimensions \(valid: -1 to 0\)$"),
    (lambda: _x(2, 3).argmax(dim=1.0), DTypeError,
     r"^argmax: a dimension must be an int, got 1\.0$"),
    (lambda: _x(2, 3).argmin(1.0), DTypeError,
     r"^argmin: a dimension must be an int, got 1\.0$"),
], ids=["size", "size-0d", "size-type", "flatten-start-type", "flatten-end-type",
        "unsqueeze-bool", "squeeze", "squeeze-type", "transpose", "transpose-0d", "argmax-type",
        "argmin-type"])
def test_every_op_that_takes_a_dimension_names_itself_when_it_is_wrong(call, error, message):
    with pytest.raises(error, match=message):
        call()


@pytest.mark.parametrize("call", [
    lambda torch: torch.ones(2, 3).size(2),
    lambda torch: torch.tensor(1.0).size(0),
    lambda torch: torch.ones(2, 1).squeeze(2),
    lambda torch: torch.ones(2, 3).transpose(0, 2),
    lambda torch: torch.ones(2, 3).unsqueeze(3),
    lambda torch: torch.ones(2, 3).flatten(5),
], ids=["size", "size-0d", "squeeze", "transpose", "unsqueeze", "flatten"])
def test_pytorch_refuses_the_same_out_of_range_dimensions(torch, call):
    with pytest.raises(IndexError, match="[Dd]imension"):
        call(torch)


def _released_by_backward():
    x = mg.tensor([1.0, 2.0], requires_grad=True, dtype=np.float64)
    y = (x * x).sum()
    y.backward()
    y.backward()


def _released_under_a_partial():
    # Another thread's backward may free the buffers between check() and the partial.
    x = mg.tensor([1.0, 2.0], requires_grad=True, dtype=np.float64)
    fn = (x * x).grad_fn
    fn.release()
    fn.call_backward(np.ones(2), 0)


def _input_changed():
    w = mg.tensor([1.0, 2.0], requires_grad=True, dtype=np.float64, name="w")
    y = (w * w).sum()  # mul saves both inputs, w twice
    with mg.no_grad():
        w.add_(1.0)
    y.backward()


class _Unwritten(mg.Function):
    """An op with a forward and no derivative at all."""
    name = "unwritten"

    def forward(self, x):
        return x.copy()


class _Square(mg.Function):
    """z = x², elementwise with partial() on arrays only (no partial_t)."""
    name = "square_np"

    def forward(self, x):
        self.x = x
        return x * x

    def partial(self, i):
        return 2 * self.x


def _second_derivative_of_square():
    x = mg.tensor([1.0], requires_grad=True, dtype=np.float64)
    mg.grad(_Square.apply(x).sum(), x, create_graph=True)


_GRAPH_RELEASED = ("trying to backward through the graph a second time, but its saved buffers "
                   "were freed by the first backward(); pass retain_graph=True to the first "
                   "backward() if you need to call it again")
_CHANGED = (", was changed by an in-place operation after the forward pass (version 0 then, "
            "{} now), so backward() would compute a wrong gradient. Do the in-place update "
            "after backward(), or use the out-of-place form (x = x + y) or x.clone() before "
            "changing it")
_SAME_DTYPE = ("matmul: expected both operands to have the same dtype, got {} and {} (PyTorch "
               "refuses this too: \"expected m1 and m2 to have the same dtype\"); convert one "
               "first, e.g. b.to(a.dtype), or a.float() / a.double()")
_NO_DEVICE = ("to: device {!r} is not available: micrograd runs on the CPU only (numpy arrays); "
              "drop the device, or move the model to PyTorch with micrograd.interop for other "
              "devices")
_CORRECTION = (", which say the same thing (correction = ddof = 1 if unbiased else 0); "
               "pass one")


@pytest.mark.parametrize("call, error, message", [
    # reductions
    (lambda: _x(2, 3).max(dim=(0, 1)), ArgumentError, _whole(
        "max: dim=(0, 1) gives (values, indices) along one axis and must be an int, as in "
        "PyTorch; for several axes use amax/amin(dim=(0, 1)) or max(axis=(0, 1)), which give "
        "the values only")),
    (lambda: _x(2, 3).min([1]), ArgumentError, _whole(
        "min: dim=[1] gives (values, indices) along one axis and must be an int, as in "
        "PyTorch; for several axes use amax/amin(dim=[1]) or min(axis=[1]), which give the "
        "values only")),
    (lambda: mg.tensor([1j, 2j]).argmax(), DTypeError, _whole(
        "argmax: complex numbers have no order (got dtype complex64); apply it to abs() or "
        "the real part")),
    (lambda: mg.tensor(np.zeros(0)).argmax(dim=0), ShapeError, _whole(
        "argmax: the tensor of shape (0,) is empty: there is no largest or smallest entry to "
        "point at")),
    (lambda: _x(3).var(unbiased=True, correction=1), ArgumentError,
     _whole("var: got unbiased= and correction=" + _CORRECTION)),
    (lambda: _x(3).var(correction=0, ddof=0, unbiased=False), ArgumentError,
     _whole("var: got unbiased= and correction= and ddof=" + _CORRECTION)),
    (lambda: _x(3).norm(p=3), ArgumentError, _whole(
        "norm: p=3 is not supported; use 2 (or 'fro'), 1, inf or -inf, or write another "
        "p-norm out: (x.abs() ** p).sum() ** (1 / p)")),
    # shapes
    (lambda: _x(2, 3, 4).flatten(2, 1), ShapeError, _whole(
        "flatten: start_dim 2 comes after end_dim 1 (shape (2, 3, 4)); pass start_dim <= "
        "end_dim")),
    (lambda: _x(2, 3).permute(0), ShapeError, _whole(
        "permute: dims (0,) must name each of the 2 axes of the tensor of shape (2, 3) once")),
    (lambda: _x(2, 3).permute(1, -1), ShapeError, _whole(
        "permute: dims (1, -1) must name each of the 2 axes of the tensor of shape (2, 3) once")),
    (lambda: _x(2, 3).permute(0, 5), ShapeError, _whole(
        "permute: dimension 5 is out of range for 2 dimensions (valid: -2 to 1)")),
    (lambda: _x(3).std(unbiased=True, ddof=1), ArgumentError,
     _whole("std: got unbiased= and ddof=" + _CORRECTION)),
    (lambda: _x(3).std(False, unbiased=True), ArgumentError, r"^std: got unbiased= twice "),
    (lambda: _x(2, 3).expand(3), ShapeError, _whole(
        "expand: 1 sizes (3,) for a tensor of 2 axes (shape (2, 3)); give at least one size "
        "per axis")),
    (lambda: _x(3).expand(-1, 3), ShapeError, _whole(
        "expand: -1 (keep the length) is not allowed for the new leading axis 0 in sizes "
        "(-1, 3); give its length")),
    (lambda: _x(2, 3).expand(2, 4), ShapeError, _whole(
        "expand: the size 4 at axis 1 must match the existing length 3 (shape (2, 3), sizes "
        "(2, 4)); only axes of length 1 can be expanded, use repeat() to tile others")),
    (lambda: _x(2, 3).repeat(2), ShapeError, _whole(
        "repeat: 1 repeats (2,) for a tensor of 2 axes (shape (2, 3)); the number of repeats "
        "cannot be smaller than the number of axes, as in PyTorch")),
    (lambda: _x(3).repeat(-1), ShapeError, _whole("repeat: repeats (-1,) must not be negative")),
    (lambda: _x(3).mm(_x(3, 2)), ShapeError, _whole(
        "mm: both operands must be matrices (2-D), got shapes (3,) and (3, 2); use matmul() "
        "or @ for vectors and batches")),
    (lambda: _x(2).item(), ShapeError, _whole(
        "item: only a tensor with one element can become a Python number, got shape (2,)")),
    (lambda: iter(mg.tensor(1.0)), TypeError, _whole("iteration over a 0-d tensor")),
    # dtypes and devices
    (lambda: _x(2, 2) @ mg.tensor(np.ones((2, 2), dtype=np.float32)), DTypeError,
     _whole(_SAME_DTYPE.format("float64", "float32"))),
    (lambda: [[1.0, 0.0], [0.0, 1.0]] @ _x(2, 2), DTypeError,
     _whole(_SAME_DTYPE.format("float32", "float64"))),
    (lambda: _x(2).to("cuda"), ArgumentError, _whole(_NO_DEVICE.format("cuda"))),
    (lambda: _x(2).to(device="mps:0"), ArgumentError, _whole(_NO_DEVICE.format("mps:0"))),
    (lambda: mg.from_numpy([1.0]), DTypeError, _whole(
        "from_numpy: expected a numpy array, got list; use micrograd.tensor(data) for other "
        "data")),
    (lambda: mg.set_default_dtype("floaty"), DTypeError, _whole(
        "set_default_dtype: the default dtype must be micrograd.float32 or micrograd.float64, "
        "got 'floaty' (PyTorch also allows float16 and bfloat16; micrograd does not)")),
    (lambda: mg.tensor(np.array(["a"])), DTypeError,
     _whole("Tensor: cannot hold data of dtype <U1 (numbers only)")),
    (lambda: mg.tensor([1, 2], requires_grad=True), DTypeError, _whole(
        "Tensor: only floating-point tensors can require gradients, got dtype int64; convert "
        "first, e.g. Tensor(x, dtype=float)")),
    (lambda: mg.tensor([1j], requires_grad=True), DTypeError, _whole(
        "Tensor: complex tensors are not supported by autograd (their gradients need "
        "conjugates), got dtype complex64; convert first, e.g. Tensor(x, dtype=float)")),
    (lambda: setattr(mg.tensor([1.0], requires_grad=True), "data", np.array([1])), DTypeError,
     _whole("data: a tensor that requires grad needs floating-point values, got dtype int64")),
    # autograd
    (lambda: setattr(mg.tensor([1.0], requires_grad=True) * 2, "requires_grad", False),
     mg.MicrogradError, _whole("requires_grad can only be turned off on leaves; use detach()")),
    (lambda: mg.tensor([1.0], requires_grad=True).numpy(), mg.MicrogradError, _whole(
        "numpy: can't call numpy() on a tensor that requires grad; use t.detach().numpy() "
        "instead")),
    (_released_by_backward, mg.GraphReleasedError, _whole("sum: " + _GRAPH_RELEASED)),
    (_released_under_a_partial, mg.GraphReleasedError, _whole("mul: " + _GRAPH_RELEASED)),
    (_input_changed, InplaceError, _whole(
        "mul: one of the tensors needed for its gradient, input 0 (w of shape (2,))"
        + _CHANGED.format(1))),
    (lambda: _Unwritten.apply(mg.tensor([1.0], requires_grad=True)).sum().backward(),
     NotImplementedError, _whole("unwritten defines neither partial() nor backward()")),
    (_second_derivative_of_square, HigherOrderError, _whole(
        "square_np: its derivative is written only on arrays, so create_graph=True cannot "
        "record it; give _Square a partial_t(i, out) (or a backward_t(g, i, out)) written "
        "with tensor ops to differentiate it twice")),
], ids=["max-dims", "min-dims", "argmax-complex", "argmax-empty", "var-two-corrections",
        "var-three-corrections", "norm-p", "flatten-order", "permute", "permute-twice",
        "permute-range", "std-two-corrections", "std-positional", "expand-few", "expand-lead",
        "expand-mismatch", "repeat-few", "repeat-negative", "mm", "item",
        "iter-0d", "matmul-dtype", "rmatmul-dtype", "to-device", "to-device-keyword",
        "from_numpy", "default-dtype-name", "string-data", "requires-grad-int",
        "requires-grad-complex", "data-int", "requires-grad-off", "numpy", "released",
        "released-under-a-partial", "input-changed", "no-partial", "no-partial_t"])
def test_every_refusal_names_the_op_the_value_at_fault_and_the_fix(call, error, message):
    with pytest.raises(error, match=message):
        call()
    assert mg.get_default_dtype() == np.float32  # a refused default changed nothing


def _anomaly(make):
    with mg.detect_anomaly():
        make()


class _Wall(mg.Function):
    """z = x, with a recorded partial that is a constant inf (made by no op, so only the
    partial's own check can see it)."""
    name = "wall"

    def forward(self, x):
        return x.copy()

    def backward_t(self, g, i, out):
        return mg.tensor(np.full(g.shape, np.inf))


def _recorded_inf_partial():
    x = mg.tensor([1.0], requires_grad=True, dtype=np.float64)
    mg.grad(_Wall.apply(x).sum(), x, create_graph=True)


def _recorded_shape_change():
    h = mg.tensor([1.0, 2.0], requires_grad=True, dtype=np.float64) * 2
    h.add_(mg.tensor(np.ones((3, 2)), requires_grad=True, dtype=np.float64))


@pytest.mark.filterwarnings("ignore::RuntimeWarning")
@pytest.mark.parametrize("call, error, message", [
    # numpy's refusal inside a forward, as ours: the op's name first, the input shapes last
    (lambda: _x(2, 3) + _x(4), ShapeError,
     r"^add: operands could not be broadcast .* \(input shapes: \(2, 3\), \(4,\)\)$"),
    (lambda: _x(2, 3)[5], IndexError,
     r"^getitem: index 5 is out of bounds .* \(input shapes: \(2, 3\)\)$"),
    (lambda: _x(2, 3).transpose((0, 5)), ShapeError,  # numpy's AxisError: not an IndexError
     r"^transpose: axis 5 is out of bounds .* \(input shapes: \(2, 3\)\)$"),
    (lambda: mg.tensor([True]) - mg.tensor([True]), DTypeError,
     r"^sub: numpy boolean subtract.* \(input dtypes: bool, bool\)$"),
    (lambda: _x(2).clip(2, 1), ArgumentError,  # already ours: its type and words kept, once
     r"^clip: min 2 is greater than max 1; swap them \(input shapes: \(2,\)\)$"),
    # the same, writing straight into the storage
    (lambda: _x(2).add_("a"), DTypeError,
     r"^add_: ufunc 'add' did not contain a loop .* \(the tensor has dtype float64\)$"),
    (_recorded_shape_change, ShapeError, _whole(
        "add_: the result has shape (3, 2) but the tensor changed in place has shape (2,); "
        "in-place ops cannot change a tensor's shape")),
    # detect_anomaly: the op, what it made, and what it was given
    (lambda: _anomaly(lambda: mg.tensor([-1.0], dtype=np.float64).log()), AnomalyError,
     _whole("log: forward produced nan; inputs: (1,) float64")),
    (lambda: _anomaly(lambda: mg.tensor([np.inf], dtype=np.float64) * 0.0), AnomalyError,
     _whole("mul: forward produced nan; inputs: (1,) float64 (already non-finite), () float64")),
    (lambda: _anomaly(lambda: mg.tensor([0.0, 4.0], requires_grad=True, dtype=np.float64)
                      .sqrt().sum().backward()), AnomalyError, _whole(
        "sqrt: the local partial (vjp) for input 0 produced inf (incoming gradient finite, "
        "shape (2,)); op inputs: (2,) float64")),
    (lambda: _anomaly(lambda: mg.tensor([4.0, 0.0], requires_grad=True, dtype=np.float64)
                      .sqrt().backward(mg.tensor([np.inf, 1.0], dtype=np.float64))),
     AnomalyError, _whole(
        "sqrt: the local partial (vjp) for input 0 produced inf (incoming gradient already "
        "non-finite, shape (2,)); op inputs: (2,) float64")),
    (lambda: _anomaly(_recorded_inf_partial), AnomalyError, _whole(
        "wall: the local partial (vjp) for input 0 produced inf (incoming gradient finite, "
        "shape (1,)); op inputs: (1,) float64")),
], ids=["broadcast", "index", "axis", "bool-sub", "ours-kept", "write-dtype", "recorded-shape",
        "anomaly-forward", "anomaly-forward-input", "anomaly-vjp", "anomaly-vjp-upstream",
        "anomaly-recorded-vjp"])
def test_a_refusal_from_inside_an_op_names_the_op_and_its_inputs(call, error, message):
    with pytest.raises(error, match=message):
        call()


@pytest.mark.parametrize("call", [
    lambda torch: torch.ones(2, 3).max(dim=(0, 1)),
    lambda torch: torch.tensor([1j, 2j]).argmax(),
    lambda torch: torch.ones(2, 3, 4).flatten(2, 1),
    lambda torch: torch.ones(2, 3).permute(0),
    lambda torch: torch.ones(2, 3).expand(3),
    lambda torch: torch.ones(3).expand(-1, 3),
    lambda torch: torch.ones(2, 3).expand(2, 4),
    lambda torch: torch.ones(2, 3).repeat(2),
    lambda torch: torch.ones(3).mm(torch.ones(3, 2)),
    lambda torch: torch.ones(2).item(),
    lambda torch: iter(torch.tensor(1.0)),
    lambda torch: torch.ones(2, 2, dtype=torch.float64) @ torch.ones(2, 2),
    lambda torch: torch.tensor([1, 2]).requires_grad_(),
    lambda torch: torch.ones(1, requires_grad=True).numpy(),
    lambda torch: (torch.ones(1, requires_grad=True) * 2).requires_grad_(False),
], ids=["max-dims", "argmax-complex", "flatten", "permute", "expand-few", "expand-lead",
        "expand-mismatch", "repeat-few", "mm", "item", "iter-0d", "matmul-dtype",
        "requires-grad-int", "numpy", "requires-grad-off"])
def test_pytorch_refuses_the_same_calls(torch, call):
    with pytest.raises((RuntimeError, TypeError)):
        call(torch)


# --------------------------------------------------------------------------- arguments that
# must reach the op: each spelling of dim/keepdim changes the result, as in PyTorch.

@pytest.mark.parametrize("call, torch_call", [
    (lambda x: x.amin(axis=1, keepdims=True), lambda t: t.amin(dim=1, keepdim=True)),
    (lambda x: x.var(0), lambda t: t.var(0)),
    (lambda x: x.var(dim=1, keepdim=True), lambda t: t.var(dim=1, keepdim=True)),
    (lambda x: x.std(1, correction=0), lambda t: t.std(1, correction=0)),
    (lambda x: x.log_softmax(), lambda t: t.log_softmax(dim=-1)),
    (lambda x: x.softmax(), lambda t: t.softmax(dim=-1)),
], ids=["amin-keepdims", "var-dim", "var-keepdim", "std-dim", "log_softmax-default",
        "softmax-default"])
def test_dims_and_keepdims_reach_the_op_as_in_pytorch(torch, call, torch_call):
    data = np.array([[3.0, -1.0, 4.0], [-0.5, 9.0, -2.0]])
    got, want = call(mg.tensor(data, dtype=np.float64)), torch_call(torch.tensor(data))
    assert got.shape == tuple(want.shape)
    np.testing.assert_allclose(got.data, want.numpy(), rtol=1e-12)


def test_a_0d_tensor_flattens_to_one_entry_as_in_pytorch(torch):
    x = mg.tensor(3.0, requires_grad=True, dtype=np.float64)
    y = x.flatten()
    assert y.shape == tuple(torch.tensor(3.0).flatten().shape) == (1,)
    (y * 2).sum().backward()
    assert x.grad == 2.0


# --------------------------------------------------------------------------- what the graph
# records: promotion casts only the operand that changes dtype; in-place versions add up.

@pytest.mark.parametrize("reflected", [False, True])
def test_promotion_records_one_cast_for_the_operand_that_changes_dtype(reflected):
    a = mg.tensor([1.0, 2.0], requires_grad=True)  # float32
    b = mg.tensor([3.0, 4.0], requires_grad=True, dtype=np.float64)
    with mg.count_ops() as c:
        y = b + a if reflected else a + b
    assert y.dtype == np.float64
    assert (c.forward, c.by_op["cast"].forward, c.by_op["add"].forward) == (2, 1, 1)


def test_two_recorded_inplace_changes_in_a_row_backward_through_both():
    x = mg.tensor([1.0, 2.0], requires_grad=True, dtype=np.float64)
    h = x * 1.0
    h.mul_(2.0)
    h.mul_(3.0)  # its input is the value after the first change: version 1
    h.sum().backward()
    np.testing.assert_array_equal(x.grad, [6.0, 6.0])
    assert h._version == 2


def test_a_device_with_an_index_is_a_device_for_a_tensor():
    with pytest.raises(ArgumentError, match=r"^to: device 'cuda:1' is not available"):
        _x(2).to("cuda:1")
