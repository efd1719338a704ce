"""The PyTorch-shaped nn API (issue 9): layers, losses, init, Parameter, containers and the
Module methods, checked against torch where torch has an answer (float64, 1e-10).

The torch rows skip, with the reason shown by `pytest -ra`, when torch is not installed.
"""
from __future__ import annotations

from collections import OrderedDict

import numpy as np
import pytest

import micrograd as mg
from micrograd import Tensor, nn, no_grad
from micrograd.creation import manual_seed
from micrograd.data import DataError
from micrograd.nn import functional as F
from micrograd.nn import init

try:
    import torch
    import torch.nn.functional as TF
except ImportError:  # pragma: no cover - CI installs torch
    torch = None
needs_torch = pytest.mark.skipif(torch is None, reason="PyTorch is not installed; the "
                                 "comparisons with it are skipped")
TOL = dict(rtol=1e-10, atol=1e-10)

rng = np.random.default_rng(2024)
X = rng.normal(size=(4, 3, 5))
X[0, 0, :3] = 0.0  # kinks: relu and leaky_relu at exactly 0
X2 = rng.normal(size=(6, 4))
X2[0, :2] = 0.0


def tt(a, grad=False):
    return torch.tensor(np.asarray(a), requires_grad=grad)


def to_torch_state(sd):
    return {k: torch.from_numpy(np.array(v)) for k, v in sd.items()}


# --------------------------------------------------------------------------- layers

# name -> (micrograd module, torch module, input). Modules with parameters get the
# micrograd weights through load_state_dict(strict=True), which also checks the keys.
LAYERS = {
    "Identity": (lambda: nn.Identity(3, k=1), lambda: torch.nn.Identity(3, k=1), X),
    "ReLU": (lambda: nn.ReLU(inplace=True), lambda: torch.nn.ReLU(), X),
    "Tanh": (nn.Tanh, lambda: torch.nn.Tanh(), X),
    "Sigmoid": (nn.Sigmoid, lambda: torch.nn.Sigmoid(), X),
    "LeakyReLU": (nn.LeakyReLU, lambda: torch.nn.LeakyReLU(), X),
    "LeakyReLU(0.2)": (lambda: nn.LeakyReLU(0.2), lambda: torch.nn.LeakyReLU(0.2), X),
    "GELU": (nn.GELU, lambda: torch.nn.GELU(), X),
    "GELU(tanh)": (lambda: nn.GELU("tanh"), lambda: torch.nn.GELU("tanh"), X),
    "Softmax(1)": (lambda: nn.Softmax(1), lambda: torch.nn.Softmax(1), X),
    "Softmax(-1)": (lambda: nn.Softmax(dim=-1), lambda: torch.nn.Softmax(dim=-1), X),
    "LogSoftmax(0)": (lambda: nn.LogSoftmax(0), lambda: torch.nn.LogSoftmax(0), X),
    "Flatten": (nn.Flatten, lambda: torch.nn.Flatten(), X),
    "Flatten(0,1)": (lambda: nn.Flatten(0, 1), lambda: torch.nn.Flatten(0, 1), X),
    "Flatten(-2)": (lambda: nn.Flatten(-2), lambda: torch.nn.Flatten(-2), X),
    "Dropout.eval": (lambda: nn.Dropout(0.3).eval(), lambda: torch.nn.Dropout(0.3).eval(), X),
    "Linear": (lambda: nn.Linear(5, 2, seed=0).double(), lambda: torch.nn.Linear(5, 2).double(), X),
    "Sequential": (
        lambda: nn.Sequential(nn.Flatten(), nn.Linear(15, 4, seed=1), nn.GELU(), nn.Dropout(),
                              nn.Linear(4, 3, seed=2), nn.LogSoftmax(1)).double().eval(),
        lambda: torch.nn.Sequential(torch.nn.Flatten(), torch.nn.Linear(15, 4), torch.nn.GELU(),
                                    torch.nn.Dropout(), torch.nn.Linear(4, 3),
                                    torch.nn.LogSoftmax(1)).double().eval(), X),
    "MLP(gelu).layers": (
        lambda: nn.MLP([5, 4, 3], activation="gelu", seed=0).double().layers,
        lambda: torch.nn.Sequential(torch.nn.Linear(5, 4), torch.nn.GELU(),
                                    torch.nn.Linear(4, 3)).double(), X),
    "MLP(leaky_relu).layers": (
        lambda: nn.MLP([5, 4, 3], activation="leaky_relu", seed=0).double().layers,
        lambda: torch.nn.Sequential(torch.nn.Linear(5, 4), torch.nn.LeakyReLU(),
                                    torch.nn.Linear(4, 3)).double(), X),
    "F.relu": (lambda: F.relu, lambda: TF.relu, X),
    "F.tanh": (lambda: F.tanh, lambda: torch.tanh, X),
    "F.sigmoid": (lambda: F.sigmoid, lambda: torch.sigmoid, X),
    "F.leaky_relu": (lambda: lambda x: F.leaky_relu(x, 0.3),
                     lambda: lambda x: TF.leaky_relu(x, 0.3), X),
    "F.gelu": (lambda: F.gelu, lambda: TF.gelu, X),
    "F.gelu(tanh)": (lambda: lambda x: F.gelu(x, approximate="tanh"),
                     lambda: lambda x: TF.gelu(x, approximate="tanh"), X),
    "F.dropout(training=False)": (lambda: lambda x: F.dropout(x, 0.4, training=False),
                                  lambda: lambda x: TF.dropout(x, 0.4, training=False), X),
}


@needs_torch
@pytest.mark.parametrize("name", LAYERS)
def test_layer_value_and_gradients_equal_torch(name):
    make, make_torch, x = LAYERS[name]
    ours, theirs = make(), make_torch()
    if isinstance(ours, nn.Module):
        theirs.load_state_dict(to_torch_state(ours.state_dict()))  # strict: same keys, shapes
    a, b = Tensor(x, requires_grad=True), tt(x, grad=True)
    out, out_t = ours(a), theirs(b)
    np.testing.assert_allclose(out.data, out_t.detach().numpy(), **TOL)
    assert out.shape == tuple(out_t.shape)
    w = np.random.default_rng(1).normal(size=out.shape)  # a loss that weighs every entry
    (out * Tensor(w)).sum().backward()
    (out_t * tt(w)).sum().backward()
    np.testing.assert_allclose(a.grad, b.grad.numpy(), **TOL)
    if isinstance(ours, nn.Module):
        grads_t = {n: p.grad.numpy() for n, p in theirs.named_parameters()}
        grads = {n: p.grad for n, p in ours.named_parameters()}
        assert grads.keys() == grads_t.keys()
        for n in grads:
            np.testing.assert_allclose(grads[n], grads_t[n], **TOL)


def test_layers_keep_float32():
    x = np.random.default_rng(0).normal(size=(3, 4)).astype(np.float32)
    for layer in (nn.ReLU(), nn.LeakyReLU(), nn.GELU(), nn.GELU("tanh"), nn.Softmax(1),
                  nn.LogSoftmax(1), nn.Flatten(0), nn.Dropout(0.5), nn.Tanh()):
        assert layer(x).dtype == np.float32, layer
        assert layer(Tensor(x)).dtype == np.float32, layer


@pytest.mark.parametrize("make, pattern", [
    (lambda: nn.Softmax(), r"Softmax: pass the axis"),
    (lambda: nn.GELU("fast"), r"'none' or 'tanh'"),
    (lambda: F.gelu(Tensor(X), approximate="erf"), r"'none' or 'tanh'"),
    (lambda: nn.Flatten()(np.zeros(3)), r"Flatten: dim 1 is out of range .* \(3,\)"),
    (lambda: nn.Flatten(2, 1)(np.zeros((2, 3, 4))), r"start_dim 2 comes after end_dim 1"),
])
def test_layer_misuse_is_named(make, pattern):
    with pytest.raises(mg.MicrogradError, match=pattern):
        make()


# --------------------------------------------------------------------------- dropout


@pytest.mark.parametrize("p", [-0.1, 1.5, float("nan"), "0.5", True])
def test_dropout_probability_outside_0_1_is_refused(p):
    with pytest.raises(nn.ArgumentError, match="between 0 and 1|a number in"):
        nn.Dropout(p)
    with pytest.raises(nn.ArgumentError):
        F.dropout(Tensor(X), p)


def test_dropout_scales_the_kept_entries_and_is_the_identity_in_eval():
    p, n = 0.3, 200_000
    layer = nn.Dropout(p, generator=np.random.default_rng(0))
    x = Tensor(np.full(n, 2.0), requires_grad=True)
    y = layer(x)
    kept = y.data != 0
    np.testing.assert_allclose(y.data[kept], 2.0 / (1 - p), rtol=1e-15)  # inverted scaling
    assert abs(kept.mean() - (1 - p)) < 5 * np.sqrt(p * (1 - p) / n)  # Bernoulli(1 - p), 5σ
    assert abs(y.data.mean() - 2.0) < 0.02  # so E[y] = x
    y.sum().backward()
    np.testing.assert_array_equal(x.grad, kept / (1 - p))  # the same mask and scale backward
    layer.eval()
    assert layer(x) is x
    assert nn.Dropout(0.0)(x) is x and F.dropout(x, 0.5, training=False) is x
    np.testing.assert_array_equal(nn.Dropout(1.0)(x).data, 0.0)


def test_dropout_is_reproducible_from_a_generator_or_the_global_seed():
    x = np.ones((50, 50))

    def masks(**kw):
        return nn.Dropout(0.5, **kw)(x).data

    np.testing.assert_array_equal(masks(generator=np.random.default_rng(7)),
                                  masks(generator=np.random.default_rng(7)))
    manual_seed(3)
    first = masks()
    assert not np.array_equal(first, masks())  # the global generator moves on
    manual_seed(3)
    np.testing.assert_array_equal(first, masks())
    assert F.dropout(Tensor(x)).data.min() == 0.0  # F.dropout trains by default, as torch's


# --------------------------------------------------------------------------- losses

LOGITS = rng.normal(size=(5, 4))
LABELS = np.array([0, 3, 1, 3, 2])
PROBS = np.exp(LOGITS) / np.exp(LOGITS).sum(1, keepdims=True)
W4 = np.array([0.5, 1.0, 2.0, 0.25])
P = 1 / (1 + np.exp(-X2))
Y01 = rng.random((6, 4))
Y01[0, 0] = P[0, 0]  # l1's kink: input equal to target
Z = X2.copy()
Z[1, :2] = [40.0, -40.0]  # saturated logits

# name -> (micrograd loss(reduction), torch loss(reduction), input, target, target grad?)
LOSSES = {
    "CrossEntropyLoss": (lambda r: nn.CrossEntropyLoss(reduction=r),
                         lambda r: torch.nn.CrossEntropyLoss(reduction=r), LOGITS, LABELS, False),
    "CrossEntropyLoss(weight)": (
        lambda r: nn.CrossEntropyLoss(W4, reduction=r),
        lambda r: torch.nn.CrossEntropyLoss(tt(W4), reduction=r), LOGITS, LABELS, False),
    "CrossEntropyLoss(ignore_index)": (
        lambda r: nn.CrossEntropyLoss(ignore_index=3, reduction=r),
        lambda r: torch.nn.CrossEntropyLoss(ignore_index=3, reduction=r), LOGITS, LABELS, False),
    "CrossEntropyLoss(-100 label)": (
        lambda r: nn.CrossEntropyLoss(W4, reduction=r),
        lambda r: torch.nn.CrossEntropyLoss(tt(W4), reduction=r), LOGITS,
        np.array([0, -100, 1, 3, 2]), False),
    "CrossEntropyLoss(probabilities)": (
        lambda r: nn.CrossEntropyLoss(reduction=r),
        lambda r: torch.nn.CrossEntropyLoss(reduction=r), LOGITS, PROBS[::-1].copy(), False),
    "CrossEntropyLoss(probabilities, weight)": (
        lambda r: nn.CrossEntropyLoss(W4, reduction=r),
        lambda r: torch.nn.CrossEntropyLoss(tt(W4), reduction=r), LOGITS, PROBS[::-1].copy(),
        False),
    "CrossEntropyLoss(one sample)": (lambda r: nn.CrossEntropyLoss(reduction=r),
                                     lambda r: torch.nn.CrossEntropyLoss(reduction=r),
                                     LOGITS[0], np.array(2), False),
    "NLLLoss": (lambda r: nn.NLLLoss(reduction=r), lambda r: torch.nn.NLLLoss(reduction=r),
                np.log(PROBS), LABELS, False),
    "NLLLoss(weight, ignore_index)": (
        lambda r: nn.NLLLoss(W4, ignore_index=1, reduction=r),
        lambda r: torch.nn.NLLLoss(tt(W4), ignore_index=1, reduction=r), np.log(PROBS),
        LABELS, False),
    "MSELoss": (lambda r: nn.MSELoss(reduction=r), lambda r: torch.nn.MSELoss(reduction=r),
                X2, Y01, True),
    "L1Loss": (lambda r: nn.L1Loss(reduction=r), lambda r: torch.nn.L1Loss(reduction=r),
               P, Y01, True),
    "BCELoss": (lambda r: nn.BCELoss(reduction=r), lambda r: torch.nn.BCELoss(reduction=r),
                P, Y01, True),
    "BCELoss(weight)": (lambda r: nn.BCELoss(W4, reduction=r),
                        lambda r: torch.nn.BCELoss(tt(W4), reduction=r), P, Y01, True),
    "BCELoss(p = 0 or 1)": (lambda r: nn.BCELoss(reduction=r),
                            lambda r: torch.nn.BCELoss(reduction=r),
                            np.array([0.0, 1.0, 0.0, 1.0, 0.5]),
                            np.array([0.0, 1.0, 0.3, 0.2, 1.0]), False),
    "BCEWithLogitsLoss": (lambda r: nn.BCEWithLogitsLoss(reduction=r),
                          lambda r: torch.nn.BCEWithLogitsLoss(reduction=r), Z, Y01, True),
    "BCEWithLogitsLoss(pos_weight, weight)": (
        lambda r: nn.BCEWithLogitsLoss(W4, pos_weight=W4[::-1].copy(), reduction=r),
        lambda r: torch.nn.BCEWithLogitsLoss(tt(W4), pos_weight=tt(W4[::-1].copy()),
                                             reduction=r), Z, Y01, True),
    "BCEWithLogitsLoss(x = 0)": (lambda r: nn.BCEWithLogitsLoss(reduction=r),
                                 lambda r: torch.nn.BCEWithLogitsLoss(reduction=r),
                                 np.zeros(3), np.array([0.0, 1.0, 0.25]), True),
}
LOSS_CASES = [(n, r) for n in LOSSES for r in ("mean", "sum", "none")]


@needs_torch
@pytest.mark.parametrize("name, reduction", LOSS_CASES, ids=[f"{n}-{r}" for n, r in LOSS_CASES])
def test_loss_value_and_gradients_equal_torch(name, reduction):
    make, make_torch, x, y, target_grad = LOSSES[name]
    ours, theirs = make(reduction), make_torch(reduction)
    assert list(ours.state_dict()) == list(theirs.state_dict())  # weight, pos_weight buffers
    integer = y.dtype.kind == "i"
    a, b = Tensor(x, requires_grad=True), tt(x, grad=True)
    t = Tensor(y, requires_grad=target_grad and not integer)
    t_t = tt(y, grad=target_grad and not integer)
    out, out_t = ours(a, t), theirs(b, t_t)
    assert out.shape == tuple(out_t.shape) and out.dtype == np.float64
    np.testing.assert_allclose(out.data, out_t.detach().numpy(), **TOL)
    w = np.random.default_rng(1).normal(size=out.shape)
    (out * Tensor(w)).sum().backward()
    (out_t * tt(w)).sum().backward()
    np.testing.assert_allclose(a.grad, b.grad.numpy(), rtol=1e-10, atol=1e-9)
    if target_grad:
        np.testing.assert_allclose(t.grad, t_t.grad.numpy(), **TOL)


@needs_torch
def test_functional_losses_take_torch_s_positional_arguments():
    x, y = Tensor(LOGITS), LABELS
    pairs = [
        (F.cross_entropy(x, y, W4), TF.cross_entropy(tt(LOGITS), tt(y), tt(W4))),
        (F.nll_loss(x.log_softmax(1), y, W4),
         TF.nll_loss(tt(LOGITS).log_softmax(1), tt(y), tt(W4))),
        (F.binary_cross_entropy(P, Y01, W4), TF.binary_cross_entropy(tt(P), tt(Y01), tt(W4))),
        (F.binary_cross_entropy_with_logits(Z, Y01, W4),
         TF.binary_cross_entropy_with_logits(tt(Z), tt(Y01), tt(W4))),
        (F.l1_loss(P, Y01), TF.l1_loss(tt(P), tt(Y01))),
        (F.mse_loss(P, Y01, reduction="sum"), TF.mse_loss(tt(P), tt(Y01), reduction="sum")),
    ]
    for ours, theirs in pairs:
        np.testing.assert_allclose(ours.data, theirs.numpy(), **TOL)


def test_losses_keep_float32():
    x32 = Tensor(X2.astype(np.float32), requires_grad=True)
    labels = np.array([0, 3, 1, 3, 2, 2])
    for loss in (F.mse_loss(x32, Y01), F.l1_loss(x32, Y01),
                 F.binary_cross_entropy_with_logits(x32, Y01, pos_weight=W4),
                 F.binary_cross_entropy(x32.sigmoid(), Y01), F.cross_entropy(x32, labels),
                 F.cross_entropy(x32, labels, W4), F.nll_loss(x32.log_softmax(1), labels, W4)):
        assert loss.dtype == np.float32
        loss.backward()
        assert x32.grad.dtype == np.float32
        x32.grad = None


@pytest.mark.parametrize("call, error, pattern", [
    (lambda: nn.MSELoss(reduction="avg"), nn.ArgumentError, r"reduction must be one of"),
    (lambda: F.l1_loss(P, Y01[:, :1]), mg.ShapeError, r"predictions have shape \(6, 4\)"),
    (lambda: F.binary_cross_entropy(X2, Y01), DataError, r"between 0 and 1.*entry \(0, 2\)"),
    (lambda: F.binary_cross_entropy(np.full(2, np.nan), np.ones(2)), DataError, r"nan"),
    (lambda: F.nll_loss(LOGITS, np.array([0, 1, 4, 0, 0])), DataError, r"label 4 is at index 2"),
    (lambda: F.nll_loss(LOGITS, LABELS, np.ones(3)), mg.ShapeError, r"one entry per class \(4\)"),
    (lambda: F.cross_entropy(LOGITS, Tensor(PROBS, requires_grad=True)), nn.ArgumentError,
     r"does not differentiate with respect to its targets"),
    (lambda: F.binary_cross_entropy_with_logits(Z, Y01, pos_weight=np.ones(3)), mg.ShapeError,
     r"pos_weight of shape \(3,\)"),
])
def test_loss_misuse_is_named(call, error, pattern):
    with pytest.raises(error, match=pattern):
        call()


@needs_torch
def test_one_hot_is_an_int64_tensor_like_torch_s():
    labels = np.array([[2, 0], [1, 2]])
    for k in (-1, 5):
        ours, theirs = F.one_hot(labels, k), TF.one_hot(tt(labels), k)
        assert isinstance(ours, Tensor) and ours.dtype == np.int64
        np.testing.assert_array_equal(ours.data, theirs.numpy())
    np.testing.assert_array_equal(F.one_hot(Tensor(np.array([1, 0])), 2).data, [[0, 1], [1, 0]])
    with pytest.raises(DataError, match=r"label 3 is at index 1"):
        F.one_hot(np.array([0, 3]), 3)
    with pytest.raises(DataError, match="cannot infer"):
        F.one_hot(np.array([], dtype=int))


# --------------------------------------------------------------------------- state_dict keys


def _custom_pair():
    class Block(nn.Module):
        def __init__(self):
            self.proj = nn.Linear(3, 2, seed=0)
            self.register_buffer("running", Tensor(np.zeros(2)))
            self.register_buffer("scratch", Tensor(np.zeros(2)), persistent=False)
            self.scale = nn.Parameter(np.ones(2), requires_grad=False)
            self.heads = nn.ModuleList([nn.Linear(2, 2, seed=1), nn.Identity()])
            self.named = nn.ModuleDict({"b": nn.Linear(2, 1, seed=2), "a": nn.ReLU()})

    class TBlock(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.proj = torch.nn.Linear(3, 2)
            self.register_buffer("running", torch.zeros(2))
            self.register_buffer("scratch", torch.zeros(2), persistent=False)
            self.scale = torch.nn.Parameter(torch.ones(2), requires_grad=False)
            self.heads = torch.nn.ModuleList([torch.nn.Linear(2, 2), torch.nn.Identity()])
            self.named = torch.nn.ModuleDict({"b": torch.nn.Linear(2, 1), "a": torch.nn.ReLU()})

    return Block(), TBlock()


def _tied_pair():
    lin, tlin = nn.Linear(2, 2, seed=0), torch.nn.Linear(2, 2)
    return (nn.Sequential(lin, nn.ReLU(), lin), torch.nn.Sequential(tlin, torch.nn.ReLU(), tlin))


ARCHITECTURES = {
    "Sequential": lambda: (nn.Sequential(nn.Linear(2, 3), nn.ReLU(), nn.Linear(3, 1)),
                           torch.nn.Sequential(torch.nn.Linear(2, 3), torch.nn.ReLU(),
                                               torch.nn.Linear(3, 1))),
    "new layers": lambda: (
        nn.Sequential(nn.Flatten(), nn.Linear(4, 3, bias=False), nn.LeakyReLU(), nn.Dropout(),
                      nn.GELU(), nn.Identity(), nn.Linear(3, 2), nn.Softmax(1)),
        torch.nn.Sequential(torch.nn.Flatten(), torch.nn.Linear(4, 3, bias=False),
                            torch.nn.LeakyReLU(), torch.nn.Dropout(), torch.nn.GELU(),
                            torch.nn.Identity(), torch.nn.Linear(3, 2), torch.nn.Softmax(1))),
    "OrderedDict": lambda: (
        nn.Sequential(OrderedDict(fc=nn.Linear(2, 3), act=nn.Tanh(), out=nn.Linear(3, 1))),
        torch.nn.Sequential(OrderedDict(fc=torch.nn.Linear(2, 3), act=torch.nn.Tanh(),
                                        out=torch.nn.Linear(3, 1)))),
    "Sequential slice": lambda: (nn.Sequential(nn.Linear(2, 3), nn.ReLU(), nn.Linear(3, 1))[1:],
                                 torch.nn.Sequential(torch.nn.Linear(2, 3), torch.nn.ReLU(),
                                                     torch.nn.Linear(3, 1))[1:]),
    "ModuleList slice": lambda: (nn.ModuleList([nn.Linear(1, 1), nn.Linear(1, 2)])[1:],
                                 torch.nn.ModuleList([torch.nn.Linear(1, 1),
                                                      torch.nn.Linear(1, 2)])[1:]),
    "MLP": lambda: (nn.MLP([2, 10, 10, 2]),
                    torch.nn.ModuleDict({"layers": torch.nn.Sequential(
                        torch.nn.Linear(2, 10), torch.nn.Tanh(), torch.nn.Linear(10, 10),
                        torch.nn.Tanh(), torch.nn.Linear(10, 2))})),
    "custom module": _custom_pair,
    "tied weights": _tied_pair,
    "losses": lambda: (nn.ModuleList([nn.CrossEntropyLoss(W4), nn.BCEWithLogitsLoss(pos_weight=W4),
                                      nn.MSELoss(), nn.BCELoss()]),
                       torch.nn.ModuleList([torch.nn.CrossEntropyLoss(tt(W4)),
                                            torch.nn.BCEWithLogitsLoss(pos_weight=tt(W4)),
                                            torch.nn.MSELoss(), torch.nn.BCELoss()])),
}


@needs_torch
@pytest.mark.parametrize("name", ARCHITECTURES)
def test_state_dict_keys_order_and_shapes_are_torch_s(name):
    ours, theirs = ARCHITECTURES[name]()
    sd, sd_t = ours.state_dict(), theirs.state_dict()
    assert [(k, v.shape) for k, v in sd.items()] == [(k, tuple(v.shape)) for k, v in sd_t.items()]
    assert [n for n, _ in ours.named_parameters(include_frozen=True)] == \
        [n for n, _ in theirs.named_parameters()]
    assert [n for n, _ in ours.named_buffers()] == [n for n, _ in theirs.named_buffers()]
    if name not in ("MLP", "custom module"):  # the same classes, in the same order
        assert [type(m).__name__ for m in ours.modules()] == \
            [type(m).__name__ for m in theirs.modules()]
    theirs.double().load_state_dict(to_torch_state(sd))  # strict: every key fits
    ours.load_state_dict({k: v.numpy() for k, v in theirs.state_dict().items()})


# --------------------------------------------------------------------------- init


@pytest.mark.parametrize("fn, kw, bound", [
    (init.xavier_uniform_, {}, np.sqrt(6 / (300 + 200))),
    (init.xavier_uniform_, {"gain": 5 / 3}, 5 / 3 * np.sqrt(6 / (300 + 200))),
    (init.kaiming_uniform_, {}, np.sqrt(6 / 300)),  # a=0, fan_in, leaky_relu: gain √2
    (init.kaiming_uniform_, {"a": np.sqrt(5)}, 1 / np.sqrt(300)),  # Linear's default
    (init.kaiming_uniform_, {"mode": "fan_out", "nonlinearity": "relu"}, np.sqrt(6 / 200)),
    (init.uniform_, {"a": -0.5, "b": 2.0}, None),
])
def test_uniform_initialisers_fill_the_whole_interval_and_nothing_outside(fn, kw, bound):
    w = nn.Parameter(np.zeros((200, 300)))
    out = fn(w, generator=np.random.default_rng(0), **kw)
    assert out is w and w.requires_grad and w._version == 1  # in place, counted
    lo, hi = (kw["a"], kw["b"]) if fn is init.uniform_ else (-bound, bound)
    span = hi - lo
    assert lo <= w.data.min() < lo + 0.001 * span and hi - 0.001 * span < w.data.max() < hi
    assert abs(w.data.mean() - (lo + hi) / 2) < 5 * (hi - lo) / np.sqrt(12 * w.numel())
    if torch is not None and fn is not init.uniform_:  # torch's samples obey the same bound
        t = getattr(torch.nn.init, fn.__name__)(torch.empty(200, 300, dtype=torch.float64), **kw)
        assert bound * 0.999 < t.abs().max().item() <= bound


@pytest.mark.parametrize("fn, kw, std", [
    (init.normal_, {"mean": 1.5, "std": 0.2}, 0.2),
    (init.xavier_normal_, {}, np.sqrt(2 / 500)),
    (init.kaiming_normal_, {"nonlinearity": "relu"}, np.sqrt(2 / 300)),
])
def test_normal_initialisers_have_the_right_spread(fn, kw, std):
    w = fn(Tensor(np.zeros((200, 300), dtype=np.float32)), generator=np.random.default_rng(1), **kw)
    assert w.dtype == np.float32
    assert abs(w.data.std() / std - 1) < 0.01  # 60,000 samples: the ratio's sd is about 0.003
    assert abs(w.data.mean() - kw.get("mean", 0)) < 5 * std / np.sqrt(w.numel())


def test_constant_initialisers_and_generators():
    w = nn.Linear(3, 2, seed=0).weight
    assert init.zeros_(w) is w and np.all(w.data == 0) and w.requires_grad
    assert np.all(init.ones_(w).data == 1) and np.all(init.constant_(w, 0.3).data == 0.3)
    a = init.xavier_uniform_(Tensor(np.zeros((4, 4))), generator=np.random.default_rng(5))
    b = init.xavier_uniform_(Tensor(np.zeros((4, 4))), generator=np.random.default_rng(5))
    np.testing.assert_array_equal(a.data, b.data)
    manual_seed(9)
    c = init.normal_(Tensor(np.zeros(5))).data.copy()
    manual_seed(9)
    np.testing.assert_array_equal(init.normal_(Tensor(np.zeros(5))).data, c)
    with pytest.raises(mg.ShapeError, match="fewer than 2 dimensions"):
        init.kaiming_uniform_(Tensor(np.zeros(3)))
    with pytest.raises(nn.ArgumentError, match="mode must be"):
        init.kaiming_uniform_(Tensor(np.zeros((3, 3))), mode="fan")


@needs_torch
@pytest.mark.parametrize("args", [("linear",), ("sigmoid",), ("tanh",), ("relu",),
                                  ("leaky_relu",), ("leaky_relu", 0.2), ("selu",), ("conv2d",)])
def test_calculate_gain_is_torch_s(args):
    assert init.calculate_gain(*args) == pytest.approx(torch.nn.init.calculate_gain(*args),
                                                       rel=1e-15)


# --------------------------------------------------------------------------- Parameter


def test_parameter_is_a_registered_leaf_that_shares_its_source():
    src = Tensor(np.zeros(3))
    p = nn.Parameter(src)
    assert isinstance(p, Tensor) and p.requires_grad and p.is_leaf
    with no_grad():
        p.add_(1.0)
    np.testing.assert_array_equal(src.data, 1.0)  # one storage, as torch.nn.Parameter(t)
    assert src._version == p._version == 1
    assert type(p * 2) is Tensor and repr(p).startswith("Parameter containing:")
    assert nn.Parameter(np.ones(2), requires_grad=False).requires_grad is False
    with pytest.raises(mg.DTypeError, match="floating"):
        nn.Parameter(Tensor(np.arange(3)))
    m = nn.Module()
    m.frozen = nn.Parameter(np.ones(2), requires_grad=False)  # still a parameter, as in torch
    m.buf = Tensor(np.ones(2))
    assert list(m.state_dict()) == ["frozen", "buf"]
    assert m.parameters() == [] and [n for n, _ in m.named_parameters(include_frozen=True)] == [
        "frozen"]
    with pytest.raises(nn.ModuleError, match="wrap it: nn.Parameter"):
        m.register_parameter("w", Tensor(np.ones(2), requires_grad=True))


# --------------------------------------------------------------------------- Module methods


def test_children_modules_apply_and_add_module():
    shared = nn.Linear(2, 2, seed=0)
    net = nn.Sequential(shared, nn.ReLU(), shared)
    assert [type(c).__name__ for c in net.children()] == ["Linear", "ReLU"]  # shared once
    assert len(list(net.modules())) == 3
    assert [n for n, _ in net.named_modules(remove_duplicate=False)] == ["", "0", "1", "2"]
    seen = []
    net.apply(lambda m: seen.append(type(m).__name__))
    assert seen == ["Linear", "ReLU", "Sequential"]  # children first, as torch's apply
    m = nn.Module()
    m.add_module("head", nn.Tanh())
    net.add_module("extra", nn.Sigmoid())
    assert [n for n, _ in m.named_children()] == ["head"] and len(net) == 4
    assert isinstance(net(np.ones((1, 2), np.float32)), Tensor)
    with pytest.raises(nn.ArgumentError, match="without '.'"):
        m.add_module("a.b", nn.Tanh())
    with pytest.raises(TypeError, match="not a Module subclass"):  # a ModuleError, as torch's
        m.add_module("f", np.tanh)
    with pytest.raises(nn.ModuleError, match="item '1' is a int"):
        nn.Sequential(nn.Tanh(), 3)
    with pytest.raises(nn.ModuleError, match="OrderedDict"):
        nn.Sequential({"a": nn.Tanh()})


def test_containers_index_like_torch():
    seq = nn.Sequential(nn.Linear(1, 2), nn.ReLU(), nn.Linear(2, 3))
    assert isinstance(seq[-1], nn.Linear) and seq[-1].out_features == 3
    del seq[0]
    assert list(seq.state_dict()) == ["1.weight", "1.bias"]  # renumbered, as in torch 2
    seq.insert(0, nn.Identity())
    seq.append(nn.Tanh())
    assert [type(m).__name__ for m in seq] == ["Identity", "ReLU", "Linear", "Tanh"]
    with pytest.raises(IndexError, match="index 4 is out of range"):
        seq[4]
    ml = nn.ModuleList([nn.Tanh()])
    ml += [nn.ReLU()]
    ml.append(nn.Linear(2, 2))
    assert len(ml) == 3 and list(ml.state_dict()) == ["2.weight", "2.bias"]
    with pytest.raises(NotImplementedError):
        ml(1)
    md = nn.ModuleDict([("enc", nn.Linear(2, 2)), ("act", nn.ReLU())])
    md["dec"] = nn.Linear(2, 1)
    assert list(md) == ["enc", "act", "dec"] and "act" in md
    assert list(md.state_dict()) == ["enc.weight", "enc.bias", "dec.weight", "dec.bias"]
    with pytest.raises(KeyError, match=r"its keys are \['enc', 'act', 'dec'\]"):
        md["nope"]


def test_buffers_requires_grad_and_zero_grad():
    lin = nn.Linear(3, 2, seed=0)
    lin.register_buffer("steps", Tensor(np.array(0)))
    lin.register_buffer("cache", Tensor(np.zeros(2), requires_grad=True), persistent=False)
    assert list(lin.state_dict()) == ["weight", "bias", "steps"]
    assert [n for n, _ in lin.named_buffers()] == ["steps", "cache"]
    lin(np.ones((1, 3), np.float32)).sum().backward()
    lin.zero_grad(set_to_none=False)
    assert np.all(lin.weight.grad == 0) and lin.weight.grad.shape == (2, 3)
    lin.zero_grad()
    assert lin.weight.grad is None and lin.bias.grad is None
    assert lin.requires_grad_(False) is lin and lin.parameters() == []
    assert "weight" in lin.state_dict()  # frozen parameters are still saved
    lin.requires_grad_()
    assert len(lin.parameters()) == 2


def test_load_state_dict_strict_false_reports_keys_and_strict_true_refuses():
    net = nn.Sequential(nn.Linear(2, 3, seed=0), nn.ReLU(), nn.Linear(3, 1, seed=1))
    sd = net.state_dict()
    result = net.load_state_dict(sd)
    assert result == ([], []) and result.missing_keys == [] and repr(result).startswith("<All")
    partial = {"0.weight": np.ones((3, 2)), "head.weight": np.ones(1)}
    before = net.state_dict()
    with pytest.raises(nn.StateDictError, match="missing from the file: 0.bias"):
        net.load_state_dict(partial)
    assert all(np.array_equal(before[k], v) for k, v in net.state_dict().items())  # untouched
    missing, unexpected = net.load_state_dict(partial, strict=False)
    assert missing == ["0.bias", "2.weight", "2.bias"] and unexpected == ["head.weight"]
    np.testing.assert_array_equal(net[0].weight.data, 1.0)
    with pytest.raises(nn.StateDictError, match=r"0.weight: the model has shape \(3, 2\)"):
        net.load_state_dict({"0.weight": np.ones((2, 2))}, strict=False)  # shapes always count


def test_float_double_to_keep_the_tensors_an_optimizer_holds():
    model = nn.MLP([2, 4, 2], seed=0, dtype=np.float64)  # not the default: .float() converts
    model.register_buffer("count", Tensor(np.array(3)))
    opt = mg.optim.SGD(model.parameters(), lr=0.1)
    ids = [id(p) for p in model.parameters()]
    F.cross_entropy(model(np.ones((3, 2))), np.array([0, 1, 0])).backward()
    assert model.float() is model
    assert [id(p) for p in model.parameters()] == ids
    assert all(p.dtype == np.float32 and p.grad.dtype == np.float32 and p._version == 1
               for p in model.parameters())
    assert model.count.dtype == np.int64  # only floating tensors are converted, as in torch
    x = np.ones((3, 2), dtype=np.float32)
    loss = F.cross_entropy(model(x), np.array([0, 1, 0]))
    assert loss.dtype == np.float32
    opt.zero_grad()
    loss.backward()
    opt.step()
    assert all(p.dtype == np.float32 for p in model.parameters())
    assert model.to(np.float64).layers[0].weight.dtype == np.float64
    assert model.to("cpu", dtype="float32").layers[0].weight.dtype == np.float32
    assert model.to(Tensor(np.zeros(1))).layers[0].weight.dtype == np.float64
    with pytest.raises(nn.ArgumentError, match="device 'cuda' is not available"):
        model.to("cuda")
    with pytest.raises(mg.DTypeError, match="must be floating"):
        model.to(np.int64)


def test_float32_models_compute_in_float32_and_mixed_dtypes_are_refused():
    model = nn.MLP([2, 3, 2], seed=0, dtype=np.float32)
    assert all(p.dtype == np.float32 for p in model.parameters())
    assert model(np.ones((1, 2), dtype=np.float32)).dtype == np.float32
    assert model([[1, 2]]).dtype == np.float32  # lists and ints take the model's dtype
    with pytest.raises(mg.DTypeError, match="dtype float64 but the layer's weights float32"):
        model(np.ones((1, 2)))
    if torch is not None:  # torch refuses the same mix
        with pytest.raises(RuntimeError):
            torch.nn.Linear(2, 3)(torch.ones(1, 2, dtype=torch.float64))
    # the same seed gives the same numbers in both dtypes
    np.testing.assert_allclose(model.layers[0].weight.data,
                               nn.MLP([2, 3, 2], seed=0).layers[0].weight.data, rtol=1e-7)


def test_toolkit_inputs_that_are_not_what_they_should_be_are_named():
    from micrograd.errors import ArgumentError, DataError
    with pytest.raises(DataError, match="one row per example"):
        mg.nn.functional.accuracy(np.ones(3), 1)
    with pytest.raises(ArgumentError, match="start_dim must be an integer"):
        mg.nn.Flatten("1")
    with pytest.raises(DataError, match="labels must be >= 0, got -1"):
        mg.nn.functional.one_hot(np.array([-1, 2]))


def test_module_and_optimizer_zero_grad_agree():
    """Both clear in place with set_to_none=False (PyTorch's zero_grad), through one helper."""
    for clear in ("module", "optimizer"):
        lin = mg.nn.Linear(2, 2, seed=0)
        opt = mg.optim.SGD(lin.parameters(), lr=0.1)
        (lin(mg.tensor([[1.0, 2.0]])) ** 2).sum().backward()
        held = lin.weight.grad
        (lin if clear == "module" else opt).zero_grad(set_to_none=False)
        assert lin.weight.grad is held and not held.any()


@pytest.mark.parametrize("key, error, fault", [
    ("a.0", nn.ArgumentError, r"the module name must be a non-empty string without '\.'.*"
                              r"got 'a\.0'"),
    (0, nn.ModuleError, r"the module name must be a string, got int"),
])
def test_sequential_refuses_an_ordered_dict_key_that_is_not_a_plain_name(key, error, fault):
    # Unchecked, "a.0" next to a child "a" holding a list would give two layers the state_dict
    # names a.0.weight and a.0.bias: saving and loading would silently keep only one of them.
    with pytest.raises(error, match=rf"^Sequential: {fault}"):
        nn.Sequential(OrderedDict([(key, nn.Linear(2, 2, seed=0)),
                                   ("a", nn.ModuleList([nn.Linear(2, 2, seed=1)]))]))
