"""Module.to / float / double: which arguments are devices and which are dtypes (PyTorch's
spellings), that a device-only call leaves the dtype alone, that gradients follow the cast,
and the errors naming the module and the call; and what dtype a layer gives a non-float input."""
from __future__ import annotations

import numpy as np
import pytest

import micrograd as mg
from micrograd import Tensor, nn
from micrograd.errors import ArgumentError, DTypeError


def _model():
    return nn.Sequential(nn.Linear(2, 3, seed=0, dtype=np.float32), nn.Tanh())


def _dtypes(m):
    return {t.dtype for _, t in m.named_parameters(include_frozen=True)}


@pytest.mark.parametrize("device", ["cuda", "cuda:1", "mps", "meta", "xpu", "xpu:0", "cpu:1", "xla"])
def test_a_device_other_than_the_cpu_is_refused_as_a_device_naming_the_call(device):
    with pytest.raises(ArgumentError, match=rf"^Sequential\.to: device '{device}' is not "
                                            r"available: micrograd runs on the CPU only \(numpy "
                                            r"arrays\); drop the device, or move the model to "
                                            r"PyTorch with micrograd.interop for other devices$"):
        _model().to(device)


@pytest.mark.parametrize("device", ["cpu", "cpu:0"])
def test_the_cpu_by_either_name_is_accepted_by_a_model_as_by_a_tensor(device):
    m = _model()
    assert m.to(device) is m and _dtypes(m) == {np.dtype(np.float32)}
    assert mg.tensor([1.0]).to(device).device == "cpu"
    assert nn.Linear(2, 3, device=device, seed=0).weight.shape == (3, 2)


def test_torch_devices_are_read_as_devices():
    torch = pytest.importorskip("torch", reason="torch.device objects need torch")
    m = _model()
    assert m.to(torch.device("cpu")) is m and _dtypes(m) == {np.dtype(np.float32)}
    assert m.to(torch.device("cpu", 0)) is m
    with pytest.raises(ArgumentError, match=r"^Sequential\.to: device 'cuda:1' is not available"):
        m.to(torch.device("cuda", 1))


@pytest.mark.parametrize("args", [("cpu",), ()])
def test_a_cpu_only_call_keeps_a_float32_model_float32(args):
    m = _model()
    assert m.to(*args) is m and _dtypes(m) == {np.dtype(np.float32)}
    assert m.to(device="cpu") is m and _dtypes(m) == {np.dtype(np.float32)}


@pytest.mark.parametrize("dtype", ["float64", np.float64, np.dtype("float64"),
                                   Tensor(np.zeros(1, np.float64))])
def test_a_dtype_argument_in_any_spelling_casts(dtype):
    m = _model()
    assert m.to("cpu", dtype) is m and _dtypes(m) == {np.dtype(np.float64)}


def test_a_cast_keeps_the_gradients_values_in_the_new_dtype():
    m = _model()
    m(np.ones((1, 2), np.float32)).sum().backward()
    grads = [p.grad.copy() for p in m.parameters()]
    m.double()
    for p, g in zip(m.parameters(), grads, strict=True):
        assert p.grad.dtype == np.float64
        np.testing.assert_array_equal(p.grad, g.astype(np.float64))


def test_a_dtype_that_is_not_floating_is_refused_naming_the_call():
    with pytest.raises(DTypeError, match=r"^Sequential\.to: modules hold floating-point "
                                         r"parameters, so the dtype must be floating \(float32 or "
                                         r"float64\), got int32$"):
        _model().to(np.int32)


def test_layers_give_integer_inputs_the_layer_s_or_the_default_float_dtype():
    ints = np.array([[1, 2]])
    for dtype in (np.float32, np.float64):
        assert nn.Linear(2, 3, seed=0, dtype=dtype)(ints).dtype == dtype
    assert nn.ReLU()(ints).dtype == np.float32  # the default float
    assert nn.ReLU()(ints.astype(np.float64)).dtype == np.float64  # numpy floats keep theirs


def test_a_dtype_name_numpy_cannot_read_is_refused_with_the_spellings_that_work():
    with pytest.raises(DTypeError, match=r"^Sequential\.to: cannot read 'float33' as a dtype; pass "
                                         r"np\.float32, np\.float64, micrograd\.float32 or a name "
                                         r"such as 'float32'$"):
        _model().to("float33")
