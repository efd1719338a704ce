"""micrograd.interop: tensors, modules and state dicts to PyTorch and back, and training that
moves from one library to the other mid-run without changing a digit it should not.

Round trips: micrograd → PyTorch → micrograd gives the same weights (exactly) and the same
outputs (1e-12, float64). Hand-over: an MLP trained here for 50 steps and then in PyTorch
for 50 more ends where a PyTorch copy trained 100 steps from the same start ends (1e-10).
"""
from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest

torch = pytest.importorskip(
    "torch", reason="PyTorch is not installed; micrograd.interop converts to and from it")

import micrograd as mg  # noqa: E402
from micrograd import MicrogradError  # noqa: E402
from micrograd.interop import InteropError, TorchNotInstalledError, from_torch, to_torch  # noqa: E402
from micrograd.interop.torch_nn import MLP as TorchMLP  # noqa: E402

nn = mg.nn
F = mg.nn.functional
rng = np.random.default_rng(7)
X = rng.standard_normal((6, 4))


@pytest.fixture(autouse=True, scope="module")
def _one_torch_thread():
    """Tiny tensors: torch's thread pool only adds overhead (a lot of it on a busy machine)."""
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


def assert_same_weights(model, torch_model):
    ours = model.state_dict()
    theirs = torch_model.state_dict()
    assert list(ours) == list(theirs)
    for k in ours:
        assert ours[k].dtype == theirs[k].detach().numpy().dtype, k
        np.testing.assert_array_equal(ours[k], theirs[k].detach().numpy(), err_msg=k)


def outputs(model, torch_model, x=X):
    dtype = next(iter(model.state_dict().values())).dtype
    x = x.astype(dtype)
    with torch.no_grad():
        theirs = torch_model(torch.from_numpy(x)).numpy()
    return model(mg.Tensor(x)).detach().numpy(), theirs


# --------------------------------------------------------------------------- tensors

@pytest.mark.parametrize("values", [
    X, X.astype(np.float32), np.arange(6).reshape(2, 3), np.array([True, False]),
    np.array(2.5), X[:, ::-2],  # a 0-d array and a view with negative strides
], ids=["float64", "float32", "int64", "bool", "0-d", "strided"])
def test_tensor_round_trip_keeps_values_dtype_and_shape(values):
    t = mg.tensor(values)
    tt = to_torch(t)
    assert isinstance(tt, torch.Tensor) and tt.is_leaf and not tt.requires_grad
    assert str(tt.dtype) == f"torch.{values.dtype.name}"
    np.testing.assert_array_equal(tt.numpy(), values)
    back = from_torch(tt)
    assert isinstance(back, mg.Tensor) and back.dtype == values.dtype
    np.testing.assert_array_equal(back.numpy(), values)


def test_requires_grad_is_kept_both_ways():
    t = mg.tensor(X, requires_grad=True)
    tt = to_torch(t)
    assert tt.requires_grad and tt.is_leaf
    back = from_torch(tt)
    assert back.requires_grad and back.is_leaf
    # a non-leaf on either side arrives as a leaf that requires grad (the graph stays behind)
    assert to_torch(t * 2).requires_grad and to_torch(t * 2).is_leaf
    assert from_torch(tt * 2).requires_grad and from_torch(tt * 2).is_leaf


def test_conversions_copy():
    t = mg.tensor(X)
    tt = to_torch(t)
    tt.add_(1)
    np.testing.assert_array_equal(t.numpy(), X)
    back = from_torch(tt)
    tt.add_(1)
    np.testing.assert_array_equal(back.numpy(), X + 1)


def test_numpy_arrays_convert_too():
    tt = to_torch(X.astype(np.float32))
    assert tt.dtype == torch.float32 and not tt.requires_grad


def test_Tensor_accepts_a_torch_tensor():
    t = mg.Tensor(torch.tensor([[1.0, 2.0]], dtype=torch.float32))
    assert t.dtype == np.float32 and t.shape == (1, 2)
    assert mg.tensor(torch.arange(3)).dtype == np.int64


def test_Tensor_accepts_a_torch_tensor_that_requires_grad():
    t = mg.Tensor(torch.tensor([1.0, 2.0], dtype=torch.float64, requires_grad=True))
    assert t.dtype == np.float64 and not t.requires_grad


def test_bfloat16_has_no_micrograd_counterpart():
    with pytest.raises(InteropError, match="bfloat16"):
        from_torch(torch.ones(2, dtype=torch.bfloat16))


# --------------------------------------------------------------------------- modules

# The models checked to 1e-12 are float64 (given explicitly: the default is float32, as in
# PyTorch); the two float32 ones are checked to float32's 1e-6.
F64 = {"dtype": np.float64}


def _models():
    return {
        "Linear": lambda: nn.Linear(4, 3, seed=1, **F64),
        "Linear_no_bias": lambda: nn.Linear(4, 3, bias=False, seed=2, **F64),
        "Linear_float32": lambda: nn.Linear(4, 3, seed=3, dtype=np.float32),
        "Sequential": lambda: nn.Sequential(nn.Linear(4, 5, seed=4, **F64), nn.Tanh(),
                                            nn.Linear(5, 5, seed=5, **F64), nn.ReLU(),
                                            nn.Linear(5, 2, seed=6, **F64), nn.Sigmoid()),
        "MLP_tanh": lambda: nn.MLP([4, 8, 8, 3], seed=7, **F64),
        "MLP_relu": lambda: nn.MLP([4, 6, 2], activation="relu", seed=8, **F64),
        "MLP_sigmoid_float32": lambda: nn.MLP([4, 6, 2], activation="sigmoid", seed=9,
                                              dtype=np.float32),
        "new_layers": lambda: nn.Sequential(
            nn.Flatten(), nn.Linear(4, 6, seed=10, **F64), nn.LeakyReLU(0.2), nn.Dropout(0.25),
            nn.Linear(6, 6, seed=11, **F64), nn.GELU(), nn.Identity(),
            nn.Linear(6, 5, seed=12, **F64), nn.GELU(approximate="tanh"),
            nn.Linear(5, 3, seed=13, **F64), nn.Softmax(dim=1),
            nn.Linear(3, 3, seed=14, **F64), nn.LogSoftmax(dim=1)),
        "Sequential_of_MLPs": lambda: nn.Sequential(nn.MLP([4, 5, 3], seed=15, **F64), nn.Tanh(),
                                                    nn.MLP([3, 4, 2], seed=16, **F64)),
    }


MODELS = _models()


@pytest.mark.parametrize("name", list(MODELS))
def test_module_round_trip_weights_exact_outputs_1e_12(name):
    model = MODELS[name]().eval()
    tm = to_torch(model)
    assert isinstance(tm, torch.nn.Module)
    assert_same_weights(model, tm)
    ours, theirs = outputs(model, tm)
    tol = 1e-12 if ours.dtype == np.float64 else 1e-6
    np.testing.assert_allclose(ours, theirs, rtol=tol, atol=tol)
    back = from_torch(tm)
    assert type(back) is type(model)
    assert repr(back) == repr(model)
    assert_same_weights(back, tm)
    np.testing.assert_allclose(back(mg.Tensor(X.astype(ours.dtype))).detach().numpy(), ours,
                               rtol=tol, atol=tol)
    for k, v in model.state_dict().items():  # micrograd → PyTorch → micrograd: not a bit off
        np.testing.assert_array_equal(back.state_dict()[k], v, err_msg=k)


@pytest.mark.parametrize("name", ["Sequential", "MLP_tanh", "new_layers"])
def test_gradients_agree_after_the_round_trip(name):
    model = MODELS[name]().eval()
    tm = to_torch(model)
    x = X.astype(np.float64)
    y = np.array([0, 1, 2, 0, 1, 2]) % model(mg.Tensor(x)).shape[1]
    F.cross_entropy(model(mg.Tensor(x)), y).backward()
    torch.nn.functional.cross_entropy(tm(torch.from_numpy(x)), torch.from_numpy(y)).backward()
    theirs = dict(tm.named_parameters())
    for n, p in model.named_parameters():
        np.testing.assert_allclose(p.grad, theirs[n].grad.numpy(), rtol=1e-10, atol=1e-12,
                                   err_msg=n)


def test_mlp_becomes_a_torch_module_with_the_same_keys():
    model = nn.MLP([2, 10, 2], seed=0)  # float32, the default in both libraries
    tm = to_torch(model)
    assert isinstance(tm, TorchMLP) and isinstance(tm.layers, torch.nn.Sequential)
    assert list(tm.state_dict()) == list(model.state_dict()) == [
        "layers.0.weight", "layers.0.bias", "layers.2.weight", "layers.2.bias"]
    assert tm.sizes == [2, 10, 2] and tm.activation == "tanh"
    # and the torch class can be built on its own, as a torch user would
    fresh = TorchMLP([2, 10, 2])
    fresh.load_state_dict(tm.state_dict())
    assert fresh.layers[0].weight.dtype == tm.layers[0].weight.dtype == torch.float32
    np.testing.assert_array_equal(fresh(torch.ones(1, 2)).detach().numpy(),
                                  tm(torch.ones(1, 2)).detach().numpy())


def test_containers_round_trip():
    model = nn.ModuleDict({"body": nn.ModuleList([nn.Linear(4, 4, seed=1), nn.Tanh()]),
                           "head": nn.Linear(4, 2, seed=2)})
    tm = to_torch(model)
    assert isinstance(tm, torch.nn.ModuleDict) and isinstance(tm["body"], torch.nn.ModuleList)
    assert_same_weights(model, tm)
    back = from_torch(tm)
    assert type(back) is nn.ModuleDict and type(back["body"]) is nn.ModuleList
    assert_same_weights(back, tm)


def test_requires_grad_flags_and_train_eval_mode_carry_over():
    model = nn.Sequential(nn.Linear(4, 4, seed=1), nn.Dropout(0.5), nn.Linear(4, 2, seed=2))
    model[0].weight.requires_grad = False
    model[1].eval()
    tm = to_torch(model)
    assert [p.requires_grad for p in tm.parameters()] == [False, True, True, True]
    assert tm.training and not tm[1].training and tm[2].training
    back = from_torch(tm)
    assert back[0].weight.requires_grad is False and back[0].bias.requires_grad
    assert back.training and not back[1].training
    assert [n for n, _ in back.named_parameters()] == ["0.bias", "2.weight", "2.bias"]


def test_options_of_layers_carry_over():
    model = nn.Sequential(nn.LeakyReLU(0.3), nn.Dropout(0.1), nn.GELU(approximate="tanh"),
                          nn.Softmax(dim=0), nn.Flatten(0, -1))
    tm = to_torch(model)
    assert tm[0].negative_slope == 0.3 and tm[1].p == 0.1 and tm[2].approximate == "tanh"
    assert tm[3].dim == 0 and (tm[4].start_dim, tm[4].end_dim) == (0, -1)
    back = from_torch(tm)
    assert repr(back) == repr(model)


def test_conversions_leave_both_global_generators_alone():
    model = nn.MLP([3, 5, 2], seed=0)
    torch.manual_seed(0)
    expected = torch.rand(3)
    torch.manual_seed(0)
    tm = to_torch(model)
    assert torch.equal(torch.rand(3), expected)
    mg.manual_seed(0)
    expected = mg.rand(3).numpy().copy()
    mg.manual_seed(0)
    from_torch(tm)
    np.testing.assert_array_equal(mg.rand(3).numpy(), expected)


# --------------------------------------------------------------------------- the recipe

def test_state_dict_keys_are_pytorchs_for_the_same_architecture():
    """The hand-over recipe of docs/pytorch.md, without to_torch: torch.from_numpy into a
    torch model written by hand, and back with .numpy(). Both libraries' default float is
    float32, so the models need no dtype= on either side (and agree to float32's 1e-6)."""
    model = nn.Sequential(nn.Linear(2, 8, seed=1), nn.Tanh(), nn.Linear(8, 2, seed=2))
    tm = torch.nn.Sequential(torch.nn.Linear(2, 8), torch.nn.Tanh(), torch.nn.Linear(8, 2))
    tm.load_state_dict({k: torch.from_numpy(v) for k, v in model.state_dict().items()})
    assert_same_weights(model, tm)  # the dtypes too
    ours, theirs = outputs(model, tm, X[:, :2])
    np.testing.assert_allclose(ours, theirs, rtol=1e-6, atol=1e-6)

    class Net(torch.nn.Module):  # the layout of micrograd's MLP, written in PyTorch
        def __init__(self):
            super().__init__()
            self.layers = torch.nn.Sequential(torch.nn.Linear(2, 8), torch.nn.Tanh(),
                                              torch.nn.Linear(8, 2))

        def forward(self, x):
            return self.layers(x)

    mlp = nn.MLP([2, 8, 2], seed=3)
    net = Net()
    net.load_state_dict({k: torch.from_numpy(v) for k, v in mlp.state_dict().items()})
    ours, theirs = outputs(mlp, net, X[:, :2])
    np.testing.assert_allclose(ours, theirs, rtol=1e-6, atol=1e-6)
    fresh = nn.MLP([2, 8, 2], seed=4)
    fresh.load_state_dict({k: v.detach().numpy() for k, v in net.state_dict().items()})
    assert_same_weights(fresh, net)
    fresh.load_state_dict(from_torch(net.state_dict()))
    assert_same_weights(fresh, net)


def test_state_dicts_convert_both_ways():
    model = nn.MLP([2, 3, 2], seed=1)
    sd = to_torch(model.state_dict())
    assert list(sd) == list(model.state_dict())
    assert all(isinstance(v, torch.Tensor) and not v.requires_grad for v in sd.values())
    back = from_torch(sd)
    assert all(isinstance(v, np.ndarray) for v in back.values())
    with pytest.raises(InteropError, match="already"):
        to_torch(sd)


# --------------------------------------------------------------------------- refusals

class MyNet(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(2, 2)

    def forward(self, x):
        return self.fc(x)


class MyLinear(nn.Linear):
    def forward(self, x):
        return super().forward(x) * 2


@pytest.mark.parametrize("obj, name", [
    (MyNet(), "MyNet"), (MyLinear(2, 2), "MyLinear"),
    (nn.Sequential(nn.Linear(2, 2), MyNet()), "MyNet"),
    (nn.CrossEntropyLoss(), "CrossEntropyLoss"),
    ("weights", "str"), (3.0, "float"), (torch.ones(2), "already a PyTorch object"),
])
def test_to_torch_refuses_what_it_cannot_convert_naming_the_type(obj, name):
    with pytest.raises(InteropError, match=name) as info:
        to_torch(obj)
    assert isinstance(info.value, MicrogradError) and isinstance(info.value, TypeError)


@pytest.mark.parametrize("obj, name", [
    (torch.nn.Conv2d(1, 1, 3), "Conv2d"), (torch.nn.BatchNorm1d(3), "BatchNorm1d"),
    (torch.nn.Sequential(torch.nn.Linear(2, 2), torch.nn.LayerNorm(2)), "LayerNorm"),
    (mg.tensor([1.0]), "already a micrograd object"), (object(), "object"),
])
def test_from_torch_refuses_what_it_cannot_convert_naming_the_type(obj, name):
    with pytest.raises(InteropError, match=name):
        from_torch(obj)


def test_without_torch_the_error_says_pip_install_torch(monkeypatch):
    monkeypatch.setitem(sys.modules, "torch", None)  # import torch now raises ImportError
    # Forget the modules that imported torch, if an earlier test loaded them (order varies:
    # the mutation runs reorder the suite), so that they import it again and fail.
    monkeypatch.delitem(sys.modules, "micrograd.interop.convert", raising=False)
    monkeypatch.delitem(sys.modules, "micrograd.interop.torch_nn", raising=False)
    for convert in (to_torch, from_torch):
        with pytest.raises(TorchNotInstalledError, match="pip install torch") as info:
            convert(mg.tensor([1.0]))
        assert isinstance(info.value, MicrogradError) and isinstance(info.value, ImportError)


def test_importing_micrograd_and_interop_does_not_import_torch():
    code = ("import sys, micrograd, micrograd.interop, micrograd.nn; "
            "assert 'torch' not in sys.modules, 'torch was imported'")
    subprocess.run([sys.executable, "-c", code], check=True)


# --------------------------------------------------------------------------- hand-over

def _circles():
    X, y = mg.data.circles(200, noise=0.1, seed=0)
    return X, y


def _torch_steps(tm, opt, X, y, steps):
    Xt, yt = torch.from_numpy(X), torch.from_numpy(y)
    for _ in range(steps):
        opt.zero_grad()
        torch.nn.functional.cross_entropy(tm(Xt), yt).backward()
        opt.step()


def _micrograd_steps(model, opt, X, y, steps):
    for _ in range(steps):
        opt.zero_grad()
        F.cross_entropy(model(mg.Tensor(X)), y).backward()
        opt.step()


def _max_difference(tm, ref):
    return max(float((a - b).abs().max()) for a, b in zip(tm.state_dict().values(),
                                                          ref.state_dict().values(), strict=True))


def test_training_continues_in_pytorch_sgd():
    """50 SGD steps here, 50 in PyTorch = 100 in PyTorch from the same start (1e-10, in
    float64: to_torch keeps the dtype)."""
    X, y = _circles()
    model = nn.MLP([2, 16, 2], seed=1, **F64)
    reference = to_torch(model)                     # the same start, in PyTorch
    _micrograd_steps(model, mg.optim.SGD(model.parameters(), lr=0.5), X, y, 50)
    tm = to_torch(model)                            # the hand-over
    ours, theirs = outputs(model, tm, X)
    np.testing.assert_allclose(ours, theirs, rtol=1e-12, atol=1e-12)
    _torch_steps(tm, torch.optim.SGD(tm.parameters(), lr=0.5), X, y, 50)
    _torch_steps(reference, torch.optim.SGD(reference.parameters(), lr=0.5), X, y, 100)
    assert _max_difference(tm, reference) < 1e-10
    Xt = torch.from_numpy(X)
    np.testing.assert_allclose(tm(Xt).detach().numpy(), reference(Xt).detach().numpy(),
                               rtol=1e-10, atol=1e-10)


def test_training_continues_in_pytorch_adam_with_its_state():
    """Adam's moments travel too: optimizer.state_dict() has PyTorch's layout, and
    to_torch converts its arrays."""
    X, y = _circles()
    model = nn.MLP([2, 16, 2], activation="relu", seed=2, **F64)
    reference = to_torch(model)
    opt = mg.optim.Adam(model.parameters(), lr=0.02)
    _micrograd_steps(model, opt, X, y, 50)
    tm = to_torch(model)
    topt = torch.optim.Adam(tm.parameters(), lr=0.02)
    topt.load_state_dict(to_torch(opt.state_dict()))
    _torch_steps(tm, topt, X, y, 50)
    _torch_steps(reference, torch.optim.Adam(reference.parameters(), lr=0.02), X, y, 100)
    assert _max_difference(tm, reference) < 1e-10


def test_training_comes_back_from_pytorch():
    """The other way: 50 Adam steps in PyTorch, 50 here = 100 here... and = 100 in PyTorch."""
    X, y = _circles()
    start = nn.MLP([2, 16, 2], seed=3, **F64)
    tm = to_torch(start)
    topt = torch.optim.Adam(tm.parameters(), lr=0.02)
    _torch_steps(tm, topt, X, y, 50)
    model = from_torch(tm)
    opt = mg.optim.Adam(model.parameters(), lr=0.02)
    opt.load_state_dict(from_torch(topt.state_dict()))
    _micrograd_steps(model, opt, X, y, 50)
    _micrograd_steps(start, mg.optim.Adam(start.parameters(), lr=0.02), X, y, 100)
    for k, v in start.state_dict().items():
        np.testing.assert_allclose(model.state_dict()[k], v, rtol=1e-10, atol=1e-10, err_msg=k)


def test_a_sequential_with_named_children_keeps_its_names_both_ways():
    from collections import OrderedDict
    m = mg.nn.Sequential(OrderedDict(fc=mg.nn.Linear(2, 3), act=mg.nn.ReLU()))
    t = to_torch(m)
    assert list(t.state_dict()) == ["fc.weight", "fc.bias"]
    assert list(from_torch(t).state_dict()) == ["fc.weight", "fc.bias"]
