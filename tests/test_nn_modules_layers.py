"""Linear, the activation modules and MLP (micrograd/nn/modules.py): where their parameters
are drawn from, the PyTorch attributes they carry, and the errors they raise."""
from __future__ import annotations

import numpy as np
import pytest

import micrograd as mg
from micrograd import nn
from micrograd.errors import ArgumentError, DTypeError, ShapeError


def _uniform_draws(rng, shapes, fan_in):
    """What U(-1/√in, 1/√in) gives for each shape, drawn in turn from rng."""
    bound = 1 / np.sqrt(fan_in)
    return [rng.uniform(-bound, bound, shape) for shape in shapes]


def test_reset_parameters_draws_weight_then_bias_from_the_given_generator():
    layer = nn.Linear(4, 3, seed=0, dtype=np.float64)
    layer.reset_parameters(np.random.default_rng(11))
    w, b = _uniform_draws(np.random.default_rng(11), [(3, 4), (3,)], fan_in=4)
    np.testing.assert_array_equal(layer.weight.data, w)
    np.testing.assert_array_equal(layer.bias.data, b)
    assert layer.weight.data.min() < 0 < layer.weight.data.max()


def test_reset_parameters_keeps_a_float32_layer_float32():
    layer = nn.Linear(5, 2, seed=0, dtype=np.float32)
    layer.reset_parameters(np.random.default_rng(2))
    w, b = _uniform_draws(np.random.default_rng(2), [(2, 5), (2,)], fan_in=5)
    assert layer.weight.dtype == layer.bias.dtype == np.float32
    np.testing.assert_array_equal(layer.weight.data, w.astype(np.float32))
    np.testing.assert_array_equal(layer.bias.data, b.astype(np.float32))


def test_mlp_draws_its_layers_in_order_from_the_given_generator():
    mlp = nn.MLP([3, 4, 2], generator=np.random.default_rng(9), dtype=np.float64)
    rng = np.random.default_rng(9)
    want = _uniform_draws(rng, [(4, 3), (4,)], fan_in=3) + _uniform_draws(rng, [(2, 4), (2,)], 4)
    got = [p.data for p in mlp.parameters()]
    assert len(got) == 4
    for g, w in zip(got, want, strict=True):
        np.testing.assert_array_equal(g, w)


def test_relu_and_leaky_relu_keep_pytorchs_inplace_flag():
    torch = pytest.importorskip("torch", reason="the PyTorch defaults are read from torch")
    assert nn.ReLU().inplace is torch.nn.ReLU().inplace is False
    assert nn.ReLU(inplace=True).inplace is True
    assert nn.LeakyReLU().inplace is torch.nn.LeakyReLU().inplace is False
    assert nn.LeakyReLU(inplace=True).inplace is True
    # The flag changes nothing: the result is a new tensor, the input is left as it was.
    x = mg.tensor(np.array([-1.0, 2.0]), dtype=np.float64)
    y = nn.ReLU(inplace=True)(x)
    np.testing.assert_array_equal(y.data, [0.0, 2.0])
    np.testing.assert_array_equal(x.data, [-1.0, 2.0])


def test_linear_refuses_an_input_of_another_dtype_and_says_how_to_convert():
    layer = nn.Linear(2, 3, seed=0, dtype=np.float64)
    x = mg.tensor(np.ones((1, 2)), dtype=np.float32)
    with pytest.raises(DTypeError, match=(
            r"^Linear\(2 -> 3\): the input has dtype float32 but the layer's weights float64 "
            r"\(PyTorch refuses this too\); convert one of them: x\.double\(\) / x\.float\(\), "
            r"or model\.double\(\) / model\.float\(\) / model\.to\(x\.dtype\)$")):
        layer(x)


def test_mlp_refuses_sizes_that_are_not_a_list_of_widths():
    with pytest.raises(ShapeError, match=r"^MLP: sizes must be a list of layer widths such as "
                                         r"\[2, 10, 2\], got 5$"):
        nn.MLP(5)
    with pytest.raises(ShapeError, match=r"^MLP: needs at least an input and an output size, "
                                         r"got \[3\]$"):
        nn.MLP([3])


@pytest.mark.parametrize("make, dtype, message", [
    (lambda dt: nn.MLP([2, 3], dtype=dt), np.int32,
     r"^MLP: modules hold floating-point parameters, so the dtype must be floating "
     r"\(float32 or float64\), got int32$"),
    (lambda dt: nn.MLP([2, 3], dtype=dt), "nope",
     r"^MLP: cannot read 'nope' as a dtype; pass np\.float32"),
    (lambda dt: nn.Linear(2, 3, dtype=dt), np.int64,
     r"^Linear: modules hold floating-point parameters, so the dtype must be floating "
     r"\(float32 or float64\), got int64$"),
    (lambda dt: nn.Linear(2, 3, dtype=dt), "x",
     r"^Linear: cannot read 'x' as a dtype; pass np\.float32"),
])
def test_a_layer_refuses_a_dtype_that_is_not_floating_and_names_itself(make, dtype, message):
    with pytest.raises(DTypeError, match=message):
        make(dtype)


def test_linear_names_its_parameters_weight_and_bias_from_the_start():
    """The names a graph drawing or a repr shows, before any named_parameters() walk."""
    layer = nn.Linear(2, 3, seed=0)
    assert (layer.weight.name, layer.bias.name) == ("weight", "bias")
    assert nn.Linear(2, 3, bias=False, seed=0).weight.name == "weight"


def test_linear_refuses_a_device_other_than_the_cpu():
    with pytest.raises(ArgumentError, match=r"^Linear: device 'cuda' is not available: micrograd "
                                            r"runs on the CPU only"):
        nn.Linear(2, 3, device="cuda")
    assert nn.Linear(2, 3, device="cpu", seed=0).weight.shape == (3, 2)


