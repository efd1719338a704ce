"""set_default_dtype / get_default_dtype, PyTorch's torch.set_default_dtype.

micrograd's default float is float32, as PyTorch's: tensors made from Python numbers
and lists, the float factories, nn parameters and integer-to-float promotions get it.
numpy arrays keep their dtype. set_default_dtype(float64) makes all of those float64.

Every test here runs under the `_restore` fixture, which puts back the defaults it found
(micrograd's and torch's) even when the test fails.
"""
from __future__ import annotations

from typing import Any

import numpy as np
import pytest

import micrograd as mg
from micrograd import DTypeError, nn

try:
    import torch
except ImportError:  # pragma: no cover - the torch comparisons are skipped
    torch = None

needs_torch = pytest.mark.skipif(torch is None, reason="PyTorch is not installed")


@pytest.fixture(autouse=True)
def _restore():
    """The process-wide defaults (micrograd's and torch's) back to what they were before
    each test, whether it passed or not."""
    torch_before = torch.get_default_dtype() if torch is not None else None
    before = mg.get_default_dtype()
    try:
        yield
    finally:
        mg.set_default_dtype(before)
        if torch is not None:
            torch.set_default_dtype(torch_before)


@pytest.fixture
def f32():
    """float32 set explicitly, so that these tests hold whatever the default becomes."""
    mg.set_default_dtype(mg.float32)


# --------------------------------------------------------------------------- the API

def test_the_default_is_float32_as_in_pytorch() -> None:
    assert mg.get_default_dtype() is mg.float32
    assert mg.tensor([1.0]).dtype == np.float32
    assert mg.zeros(2).dtype == np.float32
    assert nn.Linear(2, 3).weight.dtype == np.float32
    assert mg.tensor(np.zeros(2)).dtype == np.float64  # numpy arrays keep their dtype


def test_set_and_get() -> None:
    mg.set_default_dtype(mg.float32)
    assert mg.get_default_dtype() is mg.float32
    assert mg.get_default_dtype() == np.float32
    mg.set_default_dtype(np.float64)
    assert mg.get_default_dtype() is mg.float64
    mg.set_default_dtype("float32")
    assert mg.get_default_dtype() is mg.float32


@needs_torch
def test_torch_dtypes_are_accepted() -> None:
    mg.set_default_dtype(torch.float32)
    assert mg.get_default_dtype() is mg.float32


@pytest.mark.parametrize("bad, named", [
    (mg.float16, "float16"), (mg.int64, "int64"), (np.complex64, "complex64"),
    (mg.bool, "bool"), ("bfloat16", "bfloat16"), ("no such dtype", "no such dtype"),
])
def test_only_float32_and_float64(bad: Any, named: str) -> None:
    mg.set_default_dtype(mg.float32)
    with pytest.raises(DTypeError, match=named):
        mg.set_default_dtype(bad)
    assert mg.get_default_dtype() is mg.float32  # a refused call changes nothing


def test_in_the_public_api() -> None:
    assert "set_default_dtype" in mg.__all__ and "get_default_dtype" in mg.__all__


# --------------------------------------------------------------------------- from data

def test_python_numbers_and_lists(f32: None) -> None:
    assert mg.tensor([1.0]).dtype == np.float32
    assert mg.Tensor([1.0, 2.0]).dtype == np.float32
    assert mg.tensor(1.5).dtype == np.float32
    assert mg.tensor([[1, 2.5], [3, 4]]).dtype == np.float32
    assert mg.tensor([1.0], requires_grad=True).dtype == np.float32
    assert mg.tensor(1 + 2j).dtype == np.complex64  # complex follows, as in PyTorch
    # integers and booleans are not floats
    assert mg.tensor([1, 2]).dtype == np.int64
    assert mg.tensor([True]).dtype == np.bool_
    # dtype= wins
    assert mg.tensor([1.0], dtype=mg.float64).dtype == np.float64


def test_numpy_arrays_keep_their_dtype(f32: None) -> None:
    assert mg.tensor(np.array([1.0])).dtype == np.float64
    assert mg.Tensor(np.zeros(2)).dtype == np.float64
    assert mg.tensor(np.float64(1.5)).dtype == np.float64
    assert mg.from_numpy(np.zeros(2)).dtype == np.float64
    assert mg.tensor(np.zeros(2, np.float32)).dtype == np.float32
    x64 = mg.tensor(np.ones(2))
    assert mg.tensor(x64).dtype == np.float64  # a tensor keeps its dtype too


def test_a_python_float_operand_follows_the_tensor(f32: None) -> None:
    x64 = mg.tensor(np.ones(2))
    assert (x64 * 0.5).dtype == np.float64
    assert (mg.tensor([1.0]) * 0.5).dtype == np.float32
    assert (mg.tensor([1, 2]) * 0.5).dtype == np.float32  # int * float: the default float


# --------------------------------------------------------------------------- factories

def test_float_factories(f32: None) -> None:
    for t in (mg.zeros(2, 3), mg.ones(2), mg.empty(2), mg.randn(2, seed=0), mg.rand(2, seed=0),
              mg.full((2,), 1.5), mg.full(2, 3, fill_value=0.5), mg.eye(3),
              mg.linspace(0, 1, 5), mg.arange(0.0, 1.0, 0.25), mg.arange(2.5)):
        assert t.dtype == np.float32, t
    # integer and bool values, and explicit dtypes, are not the default float
    assert mg.full((2,), 1).dtype == np.int64
    assert mg.full((2,), True).dtype == np.bool_
    assert mg.arange(3).dtype == np.int64
    assert mg.zeros(2, dtype=mg.float64).dtype == np.float64
    assert mg.randn(2, dtype=mg.float64).dtype == np.float64


def test_seeded_samples_are_the_same_numbers(f32: None) -> None:
    """randn draws in float64 and casts: a seed gives the same values in both defaults."""
    a = mg.randn(5, seed=3).numpy()
    mg.set_default_dtype(mg.float64)
    b = mg.randn(5, seed=3).numpy()
    np.testing.assert_array_equal(a, b.astype(np.float32))


def test_like_factories_keep_the_likes_dtype(f32: None) -> None:
    x64 = mg.tensor(np.ones((2, 2)))
    for t in (mg.zeros_like(x64), mg.ones_like(x64), mg.empty_like(x64),
              mg.full_like(x64, 0.5), mg.randn_like(x64), mg.rand_like(x64)):
        assert t.dtype == np.float64
    x32 = mg.ones(2, 2)
    assert mg.zeros_like(x32).dtype == np.float32


# --------------------------------------------------------------------------- nn

def test_layers_and_parameters(f32: None) -> None:
    lin = nn.Linear(3, 2)
    assert lin.weight.dtype == np.float32 and lin.bias is not None
    assert lin.bias.dtype == np.float32
    mlp = nn.MLP([2, 4, 2], seed=0)
    assert {p.dtype for p in mlp.parameters()} == {np.dtype(np.float32)}
    assert mlp(mg.tensor([[0.5, -0.5]])).dtype == np.float32  # a list-made input fits
    assert mlp([[0.5, -0.5]]).dtype == np.float32
    assert nn.Parameter().dtype == np.float32
    assert nn.Linear(3, 2, dtype=mg.float64).weight.dtype == np.float64
    assert nn.MLP([2, 2], dtype=mg.float64).layers[0].weight.dtype == np.float64


def test_nn_init_keeps_the_default(f32: None) -> None:
    w = nn.Linear(4, 3).weight
    for init in (nn.init.xavier_uniform_, nn.init.kaiming_normal_, nn.init.zeros_):
        assert init(w).dtype == np.float32
    assert nn.init.constant_(w, 0.5).dtype == np.float32


def test_losses_of_a_float32_model(f32: None) -> None:
    model = nn.Linear(2, 3, seed=0)
    loss = nn.CrossEntropyLoss()(model(mg.tensor([[1.0, 2.0], [0.5, 0.0]])), mg.tensor([0, 2]))
    assert loss.dtype == np.float32
    loss.backward()
    assert model.weight.grad is not None and model.weight.grad.dtype == np.float32
    mse = nn.functional.mse_loss(mg.tensor([1.0, 2.0]), [1.5, 2.5])
    assert mse.dtype == np.float32


# --------------------------------------------------------------------------- promotions

def test_integer_to_float_promotions(f32: None) -> None:
    i = mg.tensor([1, 2, 3])
    assert (i / mg.tensor([2, 2, 2])).dtype == np.float32
    assert (i / 2).dtype == np.float32
    assert i.mean().dtype == np.float32
    assert i.mean(0).dtype == np.float32
    assert mg.exp(i).dtype == np.float32
    assert i.sqrt().dtype == np.float32
    assert mg.logsumexp(i, 0).dtype == np.float32
    np.testing.assert_allclose(i.mean().item(), 2.0)


def test_integer_promotions_follow_a_float64_default() -> None:
    mg.set_default_dtype(mg.float64)
    i = mg.tensor([1, 2, 3])
    assert (i / 2).dtype == np.float64
    assert i.mean().dtype == np.float64
    assert mg.exp(i).dtype == np.float64


def test_repr_names_the_dtype_that_is_not_the_default(f32: None) -> None:
    assert "dtype" not in repr(mg.tensor([1.0]))
    assert "dtype=float64" in repr(mg.tensor(np.ones(1)))


def test_gradcheck_still_wants_float64(f32: None) -> None:
    x = mg.tensor([0.5, 1.5], requires_grad=True)
    with pytest.raises(mg.GradcheckError, match="float64"):
        mg.gradcheck(lambda t: (t * t).sum(), (x,))
    x64 = mg.tensor([0.5, 1.5], dtype=mg.float64, requires_grad=True)
    assert mg.gradcheck(lambda t: (t * t).sum(), (x64,))


# --------------------------------------------------------------------------- against torch

# Each idiom is written once against `lib` (torch or micrograd) and returns a tensor; under
# either default both libraries must give the same dtype.
IDIOMS = {
    "tensor of floats": lambda lib: lib.tensor([1.0, 2.0]),
    "tensor of a float": lambda lib: lib.tensor(1.5),
    "tensor of ints": lambda lib: lib.tensor([1, 2]),
    "tensor of a numpy float64 array": lambda lib: lib.tensor(np.ones(2)),
    "tensor of a numpy float32 array": lambda lib: lib.tensor(np.ones(2, np.float32)),
    "zeros": lambda lib: lib.zeros(2, 3),
    "ones": lambda lib: lib.ones(2),
    "empty": lambda lib: lib.empty(2),
    "randn": lambda lib: lib.randn(2),
    "rand": lambda lib: lib.rand(2),
    "full with a float": lambda lib: lib.full((2,), 1.5),
    "full with an int": lambda lib: lib.full((2,), 1),
    "eye": lambda lib: lib.eye(2),
    "linspace": lambda lib: lib.linspace(0, 1, 5),
    "arange of floats": lambda lib: lib.arange(0.0, 1.0, 0.25),
    "arange of ints": lambda lib: lib.arange(3),
    "zeros_like of float64": lambda lib: lib.zeros_like(lib.tensor(np.ones(2))),
    "randn_like of float64": lambda lib: lib.randn_like(lib.tensor(np.ones(2))),
    "Linear weight": lambda lib: lib.nn.Linear(2, 3).weight,
    "Parameter()": lambda lib: lib.nn.Parameter(),
    "int / int": lambda lib: lib.tensor([1, 2]) / lib.tensor([2, 2]),
    "int * float": lambda lib: lib.tensor([1, 2]) * 0.5,
    "exp of int": lambda lib: lib.exp(lib.tensor([1, 2])),
    "float64 tensor * float": lambda lib: lib.tensor(np.ones(2)) * 0.5,
    "float32 tensor + default tensor": lambda lib: lib.ones(2, dtype=lib.float32) + lib.ones(2),
}


@needs_torch
@pytest.mark.parametrize("default", ["float32", "float64"])
@pytest.mark.parametrize("name", list(IDIOMS))
def test_same_dtype_as_torch(name: str, default: str) -> None:
    torch.set_default_dtype(getattr(torch, default))
    mg.set_default_dtype(getattr(mg, default))
    want = str(IDIOMS[name](torch).dtype).removeprefix("torch.")
    got = IDIOMS[name](mg).dtype.name
    assert got == want, f"{name} under {default}: micrograd {got}, torch {want}"
    assert mg.get_default_dtype().__name__ == str(torch.get_default_dtype()).removeprefix("torch.")


# --------------------------------------------------------------------------- the first script

@needs_torch
def test_first_30_lines_with_float32_default(tmp_path: Any) -> None:
    """tests/test_parity.py's first script, run with micrograd after
    set_default_dtype(float32): what test_first_30_lines asserts for torch holds."""
    parity = pytest.importorskip("test_parity")
    mg.set_default_dtype(mg.float32)
    result = parity.first_30_lines(mg, str(tmp_path))
    assert result["losses"][-1] < 0.1 * result["losses"][0]
    assert result["accuracy"] > 0.95
    assert result["same"]
    assert parity.canon(result["dtype"]) == ("dtype", "float32")


def test_fit_takes_integer_data_into_a_float32_model(f32: None) -> None:
    model = nn.MLP([2, 4, 2], seed=0)
    X = np.array([[0, 1], [1, 0], [1, 1], [0, 0]])
    mg.fit(model, optimizer=mg.optim.SGD(model.parameters(), lr=0.1),
           train=(X, np.array([0, 1, 1, 0])), epochs=2, verbose=False)
    assert {p.dtype for p in model.parameters()} == {np.dtype(np.float32)}
