"""Module state in and out: load_state_dict's strict and non-strict results (PyTorch's
`_IncompatibleKeys`), its refusals naming the model, the keys and the fix, the values it
takes (tensors, int buffers, float64 into float32), named_buffers' prefix and zero_grad on
frozen parameters, against PyTorch where the two agree."""
from __future__ import annotations

import warnings

import numpy as np
import pytest

from micrograd import Tensor, nn
from micrograd.nn import IncompatibleKeys, StateDictError


def _net():
    return nn.Sequential(nn.Linear(2, 3, seed=0), nn.ReLU(), nn.Linear(3, 1, seed=1))


def test_incompatible_keys_repr_lists_the_keys_unless_all_matched():
    torch = pytest.importorskip("torch", reason="the PyTorch cross-check needs torch")
    lin = torch.nn.Linear(2, 3)
    for missing, unexpected in ([], []), (["weight", "bias"], []), ([], ["extra"]), (["w"], ["u"]):
        theirs = torch.nn.modules.module._IncompatibleKeys(missing, unexpected)
        assert repr(IncompatibleKeys(missing, unexpected)) == repr(theirs).lstrip("_")
    assert repr(lin.load_state_dict({}, strict=False)) == (
        "_IncompatibleKeys(missing_keys=['weight', 'bias'], unexpected_keys=[])")


def test_non_strict_load_skips_a_missing_key_and_loads_every_later_one():
    net = _net()
    sd = {k: np.full(v.shape, 0.5) for k, v in net.state_dict().items()}
    del sd["0.weight"]  # the first key: the rest must still be loaded
    before = net[0].weight.data.copy()
    assert net.load_state_dict(sd, strict=False) == (["0.weight"], [])
    np.testing.assert_array_equal(net[0].weight.data, before)
    for name in ("0.bias", "2.weight", "2.bias"):
        np.testing.assert_array_equal(net.state_dict()[name], 0.5)


def test_load_state_dict_takes_tensors_as_well_as_arrays():
    net, src = _net(), nn.Sequential(nn.Linear(2, 3, seed=5), nn.ReLU(), nn.Linear(3, 1, seed=6))
    net.load_state_dict({n: Tensor(a) for n, a in src.state_dict().items()})
    for (n, a), (m, b) in zip(net.state_dict().items(), src.state_dict().items(), strict=True):
        assert n == m
        np.testing.assert_array_equal(a, b)


def test_a_strict_load_lists_every_fault_in_one_message_naming_the_model():
    net = _net()
    bad = {"0.weight": np.ones((2, 2)), "head.weight": np.ones(1), "head.bias": np.ones(1)}
    with pytest.raises(StateDictError, match=(
            r"^Sequential\.load_state_dict: the weights do not fit the model; "
            r"missing from the file: 0\.bias, 2\.weight, 2\.bias; "
            r"in the file but not in the model: head\.weight, head\.bias; "
            r"0\.weight: the model has shape \(3, 2\), the file \(2, 2\)$")):
        net.load_state_dict(bad)


@pytest.mark.parametrize("state", [[("0.weight", np.ones((3, 2)))], "0.weight", None])
def test_a_state_that_is_not_a_mapping_is_refused_naming_its_type(state):
    with pytest.raises(StateDictError, match=(
            r"^Sequential\.load_state_dict: expected a mapping of names to arrays \(what "
            rf"state_dict\(\) returns\), got a {type(state).__name__}$")):
        _net().load_state_dict(state)


def test_an_int_buffer_refuses_float_values_but_takes_ints():
    m = nn.Module()
    m.register_buffer("steps", Tensor(np.array([3], dtype=np.int64)))
    with pytest.raises(StateDictError, match=r"steps: the file holds dtype float64, which cannot "
                                             r"be cast safely to the model's int64"):
        m.load_state_dict({"steps": np.array([4.0])})
    m.load_state_dict({"steps": np.array([4], dtype=np.int32)})
    assert m.steps.dtype == np.int64 and m.steps.data.tolist() == [4]


def test_nan_values_are_refused_with_the_count_and_the_reason():
    net = _net()
    w = np.ones((3, 2))
    w[0, 0], w[2, 1] = np.nan, -np.inf
    sd = dict(net.state_dict(), **{"0.weight": w})
    with pytest.raises(StateDictError, match=r"0\.weight: 2 value\(s\) are nan or inf \(saved from "
                                             r"a model that diverged\?\); refusing to load them$"):
        net.load_state_dict(sd)


def test_an_overflowing_float64_value_is_refused_without_a_numpy_warning():
    lin = nn.Linear(2, 1, seed=0, dtype=np.float32)
    sd = {"weight": np.array([[1e300, 0.0]]), "bias": np.zeros(1)}
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # the fault is the StateDictError, not a RuntimeWarning
        with pytest.raises(StateDictError, match=r"weight: values up to 1e\+300 overflow the "
                                                 r"model's float32"):
            lin.load_state_dict(sd)


def test_named_buffers_prefix_is_torch_s():
    torch = pytest.importorskip("torch", reason="the PyTorch cross-check needs torch")
    ours, theirs = nn.Sequential(nn.ReLU()), torch.nn.Sequential(torch.nn.ReLU())
    ours.register_buffer("mean", Tensor(np.zeros(2)))
    ours[0].register_buffer("count", Tensor(np.zeros(1)))
    theirs.register_buffer("mean", torch.zeros(2))
    theirs[0].register_buffer("count", torch.zeros(1))
    got = [n for n, _ in ours.named_buffers(prefix="model")]
    assert got == [n for n, _ in theirs.named_buffers(prefix="model")]
    assert got == ["model.mean", "model.0.count"]


def test_zero_grad_clears_frozen_parameters_too_as_torch_s_does():
    torch = pytest.importorskip("torch", reason="the PyTorch cross-check needs torch")
    ours, theirs = nn.Linear(2, 1, seed=0), torch.nn.Linear(2, 1)
    ours(np.ones((1, 2), np.float32)).sum().backward()
    theirs(torch.ones(1, 2)).sum().backward()
    for m in (ours, theirs):
        m.bias.requires_grad_(False)  # frozen after backward: it still has a gradient
        m.zero_grad()
    assert ours.bias.grad is None and theirs.bias.grad is None
    assert ours.weight.grad is None and theirs.weight.grad is None
