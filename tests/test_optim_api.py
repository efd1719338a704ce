"""The PyTorch-shaped optimizer API: param groups, state dicts, AdamW, RMSprop, SGD's
nesterov/dampening, Adam's amsgrad, the learning-rate schedulers and clip_grad_norm_.

Trajectories, state dicts, learning-rate sequences and clipped gradients are compared with
torch.optim in float64 (to 1e-10); those tests are skipped, with the reason shown by
`pytest -ra`, when torch is not installed.
"""
from __future__ import annotations

import copy
import math

import numpy as np
import pytest

import micrograd as mg
from micrograd import Tensor, nn, optim
from micrograd.errors import StateDictError
from micrograd.optim import OptimizerError
from micrograd.optim.lr_scheduler import CosineAnnealingLR, ExponentialLR, StepLR

try:
    import torch
except ImportError:  # pragma: no cover - CI without the optional extra
    torch = None
needs_torch = pytest.mark.skipif(torch is None, reason="PyTorch is not installed; the "
                                 "comparison with torch.optim is skipped")

RTOL = ATOL = 1e-10
rng = np.random.default_rng(2024)
X = rng.normal(size=(6, 3))
START = {"W": rng.normal(size=(3, 4)), "b": rng.normal(size=4), "c": rng.normal(size=2)}


def gradients(values: dict[str, np.ndarray], step: int) -> dict[str, np.ndarray | None]:
    """∂/∂(W, b) of mean(tanh(XW + b)²) and of ½‖c - 1‖², the latter on even steps only
    (so that a tensor without a gradient, which every optimizer skips, is covered too)."""
    W, b, c = values["W"], values["b"], values["c"]
    T = np.tanh(X @ W + b)
    dZ = 2 * T * (1 - T * T) / T.size
    return {"W": X.T @ dZ, "b": dZ.sum(axis=0), "c": (c - 1.0) if step % 2 == 0 else None}


def groups_of(tensors: dict, spec):
    """spec: None (one list of all tensors), or a list of (names, options) param groups."""
    if spec is None:
        return list(tensors.values())
    return [{"params": [tensors[n] for n in names], **options} for names, options in spec]


def run_micrograd(cls_name, options, spec, steps=20, opt=None, tensors=None):
    tensors = tensors or {k: Tensor(v.copy(), requires_grad=True) for k, v in START.items()}
    opt = opt or getattr(optim, cls_name)(groups_of(tensors, spec), **options)
    for step in range(steps):
        opt.zero_grad()
        for k, g in gradients({k: t.data for k, t in tensors.items()}, step).items():
            tensors[k].grad = None if g is None else g.copy()
        opt.step()
    return tensors, opt


def run_torch(cls_name, options, spec, steps=20, opt=None, tensors=None):
    tensors = tensors or {k: torch.tensor(v.copy(), requires_grad=True) for k, v in START.items()}
    opt = opt or getattr(torch.optim, cls_name)(groups_of(tensors, spec), **options)
    for step in range(steps):
        opt.zero_grad()
        for k, g in gradients({k: t.detach().numpy() for k, t in tensors.items()}, step).items():
            tensors[k].grad = None if g is None else torch.tensor(g)
        opt.step()
    return tensors, opt


GROUPS = [(["W"], {}), (["b", "c"], {"lr": 0.03})]
# (optimizer, options, param groups): each run 20 steps here and in torch.optim.
CASES = [
    ("SGD", dict(lr=0.1), None),
    ("SGD", dict(lr=0.1, momentum=0.9), None),
    ("SGD", dict(lr=0.1, momentum=0.9, dampening=0.3, weight_decay=0.05), None),
    ("SGD", dict(lr=0.1, momentum=0.8, nesterov=True, weight_decay=0.01), None),
    ("SGD", dict(lr=0.05, momentum=0.5, maximize=True), None),
    ("SGD", dict(lr=0.1), [(["W"], {"momentum": 0.9}), (["b", "c"], {"lr": 0.01})]),
    ("Adam", dict(), None),
    ("Adam", dict(lr=0.05, betas=(0.8, 0.99), eps=1e-6, weight_decay=0.1), None),
    ("Adam", dict(lr=0.05, amsgrad=True), None),
    ("Adam", dict(lr=0.05, maximize=True), None),
    ("Adam", dict(lr=0.05), [(["W"], {"amsgrad": True}), (["b", "c"], {"weight_decay": 0.2})]),
    ("AdamW", dict(lr=0.05), None),
    ("AdamW", dict(lr=0.05, weight_decay=0.3, amsgrad=True), None),
    ("AdamW", dict(lr=0.05), [(["W"], {}), (["b", "c"], {"weight_decay": 0.0, "lr": 0.01})]),
    ("RMSprop", dict(), None),
    ("RMSprop", dict(lr=0.01, alpha=0.9, centered=True), None),
    ("RMSprop", dict(lr=0.01, momentum=0.9), None),
    ("RMSprop", dict(lr=0.005, momentum=0.5, centered=True, weight_decay=0.1, eps=1e-4), None),
    ("RMSprop", dict(lr=0.01), [(["W"], {"centered": True}), (["b", "c"], {"momentum": 0.7})]),
]
IDS = [f"{name}-{k}" for k, (name, _, _) in enumerate(CASES)]


@needs_torch
@pytest.mark.parametrize("name, options, spec", CASES, ids=IDS)
def test_twenty_steps_follow_torch(name, options, spec):
    mine, _ = run_micrograd(name, options, spec)
    theirs, _ = run_torch(name, options, spec)
    for k in START:
        np.testing.assert_allclose(mine[k].data, theirs[k].detach().numpy(), rtol=RTOL, atol=ATOL,
                                   err_msg=k)
        assert not np.allclose(mine[k].data, START[k])  # it did move


def to_numpy(tree):
    """A torch state dict with every tensor as a numpy array (what interop hands over)."""
    if isinstance(tree, dict):
        return {k: to_numpy(v) for k, v in tree.items()}
    if isinstance(tree, list):
        return [to_numpy(v) for v in tree]
    return tree.numpy().copy() if torch is not None and isinstance(tree, torch.Tensor) else tree


def to_torch(tree):
    if isinstance(tree, dict):
        return {k: to_torch(v) for k, v in tree.items()}
    if isinstance(tree, list):
        return [to_torch(v) for v in tree]
    return torch.tensor(tree) if isinstance(tree, np.ndarray) else tree


@needs_torch
@pytest.mark.parametrize("name, options, spec", CASES, ids=IDS)
def test_state_dict_has_torchs_structure_and_values(name, options, spec):
    _, mine = run_micrograd(name, options, spec, steps=5)
    _, theirs = run_torch(name, options, spec, steps=5)
    ours, torchs = mine.state_dict(), to_numpy(theirs.state_dict())
    assert set(ours) == {"state", "param_groups"}
    for group, tgroup in zip(ours["param_groups"], torchs["param_groups"], strict=True):
        assert group["params"] == tgroup["params"]
        for option, value in group.items():  # torch has a few more (foreach, fused, ...)
            assert tgroup[option] == value, option
    assert sorted(ours["state"]) == sorted(torchs["state"])
    for index, state in ours["state"].items():
        assert set(state) == set(torchs["state"][index])
        for key, value in state.items():
            np.testing.assert_allclose(value, torchs["state"][index][key], rtol=RTOL, atol=ATOL)


@pytest.mark.parametrize("name, options, spec", CASES, ids=IDS)
def test_a_state_dict_round_trip_mid_training_continues_identically(name, options, spec):
    straight, _ = run_micrograd(name, options, spec, steps=20)
    first, opt = run_micrograd(name, options, spec, steps=8)
    saved = opt.state_dict()
    saved_copy = copy.deepcopy(saved)
    resumed = {k: Tensor(t.data.copy(), requires_grad=True) for k, t in first.items()}
    fresh = getattr(optim, name)(groups_of(resumed, spec), **options)
    fresh.load_state_dict(saved)
    # The 12 remaining steps (the gradient pattern goes by the step's parity: 8 is even).
    run_micrograd(name, options, spec, steps=12, opt=fresh, tensors=resumed)
    for k in START:
        np.testing.assert_array_equal(resumed[k].data, straight[k].data, err_msg=k)
    for index, state in saved["state"].items():  # a snapshot: neither run changed it
        for key, value in state.items():
            np.testing.assert_array_equal(value, saved_copy["state"][index][key])


@needs_torch
@pytest.mark.parametrize("name", ["SGD", "Adam", "AdamW", "RMSprop"])
def test_state_dicts_cross_over_to_torch_and_back(name):
    options = dict(lr=0.01, momentum=0.9) if name in ("SGD", "RMSprop") else dict(lr=0.01)
    straight, _ = run_torch(name, options, None, steps=16)
    # torch -> micrograd after 8 steps
    first, topt = run_torch(name, options, None, steps=8)
    mine = {k: Tensor(t.detach().numpy().copy(), requires_grad=True) for k, t in first.items()}
    opt = getattr(optim, name)(list(mine.values()), **options)
    opt.load_state_dict(to_numpy(topt.state_dict()))
    run_micrograd(name, options, None, steps=8, opt=opt, tensors=mine)
    for k in START:
        np.testing.assert_allclose(mine[k].data, straight[k].detach().numpy(), rtol=RTOL, atol=ATOL)
    # micrograd -> torch after 8 steps
    first_mg, opt = run_micrograd(name, options, None, steps=8)
    theirs = {k: torch.tensor(t.data.copy(), requires_grad=True) for k, t in first_mg.items()}
    topt = getattr(torch.optim, name)(list(theirs.values()), **options)
    topt.load_state_dict(to_torch(opt.state_dict()))
    run_torch(name, options, None, steps=8, opt=topt, tensors=theirs)
    for k in START:
        np.testing.assert_allclose(theirs[k].detach().numpy(), straight[k].detach().numpy(),
                                   rtol=RTOL, atol=ATOL)


# --------------------------------------------------------------------------- param groups

def tensors3():
    return [Tensor(np.ones(2), requires_grad=True, name=n) for n in ("a", "b", "c")]


def test_param_groups_take_their_own_options_and_the_defaults_for_the_rest():
    a, b, c = tensors3()
    opt = optim.SGD([{"params": a}, {"params": [b], "lr": 0.1, "momentum": 0.9}], lr=0.01)
    assert [g["params"] for g in opt.param_groups] == [[a], [b]]
    assert [g["lr"] for g in opt.param_groups] == [0.01, 0.1]
    assert [g["momentum"] for g in opt.param_groups] == [0.0, 0.9]
    opt.add_param_group({"params": c, "nesterov": True, "momentum": 0.5})
    assert opt.param_groups[2]["lr"] == 0.01 and opt.param_groups[2]["nesterov"]
    for t in (a, b, c):
        t.grad = np.ones(2)
    opt.step()
    np.testing.assert_allclose([a.data[0], b.data[0], c.data[0]],
                               [1 - 0.01, 1 - 0.1, 1 - 0.01 * (1 + 0.5)])
    assert opt.params == [a, b, c]


def test_lr_is_a_shorthand_only_while_the_groups_agree():
    a, b, _ = tensors3()
    opt = optim.Adam([{"params": [a]}, {"params": [b]}], lr=0.01)
    assert opt.lr == 0.01
    opt.lr = 0.5
    assert [g["lr"] for g in opt.param_groups] == [0.5, 0.5]
    opt.param_groups[1]["lr"] = 0.1
    with pytest.raises(OptimizerError, match=r"different learning rates \[0\.5, 0\.1\]"):
        opt.lr


@pytest.mark.parametrize("build, pattern", [
    (lambda a, b, c: optim.SGD([{"params": [a]}, {"params": [b, a]}], lr=0.1),
     r"param group 1\): parameter 2 \(a\) is the same tensor as parameter 0 of param group 0"),
    (lambda a, b, c: optim.SGD([{"params": [a]}, b], lr=0.1), "all Tensors or all dicts"),
    (lambda a, b, c: optim.SGD([{"lr": 0.1}], lr=0.1), "no 'params' key"),
    (lambda a, b, c: optim.SGD([{"params": [a], "lrr": 0.1}], lr=0.1),
     r"unknown option\(s\) 'lrr'; SGD takes lr, momentum"),
    (lambda a, b, c: optim.Adam([{"params": [a]}, {"params": [b], "betas": (0.9, 1.0)}]),
     r"Adam \(param group 1\): betas\[1\] must be in \[0, 1\)"),
    (lambda a, b, c: optim.SGD([{"params": []}], lr=0.1), "empty parameter list"),
    (lambda a, b, c: optim.SGD([a], lr=0.1, nesterov=True), "Nesterov momentum requires a momentum"),
    (lambda a, b, c: optim.SGD([a], lr=0.1, momentum=0.9, dampening=0.1, nesterov=True),
     "zero dampening"),
    (lambda a, b, c: optim.SGD([a], lr=0.1, nesterov="yes"), "nesterov must be True or False"),
    (lambda a, b, c: optim.RMSprop([a], alpha=1.0), r"alpha must be in \[0, 1\)"),
    (lambda a, b, c: optim.RMSprop([a], eps=0), "eps must be a finite number > 0"),
    (lambda a, b, c: optim.AdamW([{"params": [a], "decoupled_weight_decay": False}]),
     "AdamW always decouples"),
])
def test_bad_groups_and_options_are_named(build, pattern):
    with pytest.raises(OptimizerError, match=pattern):
        build(*tensors3())


def test_a_bad_option_set_after_construction_stops_step_before_any_update():
    a, b, _ = tensors3()
    opt = optim.SGD([{"params": [a]}, {"params": [b]}], lr=0.1)
    a.grad, b.grad = np.ones(2), np.ones(2)
    opt.param_groups[1]["lr"] = -0.1  # would climb the loss
    with pytest.raises(OptimizerError, match=r"step \(param group 1\): lr .* must be a finite "
                                             r"number >= 0"):
        opt.step()
    assert a._version == 0 and b._version == 0 and opt.steps == 0
    opt.param_groups[1]["lr"] = 0.0  # a schedule may anneal it to 0: allowed, and moves nothing
    opt.step()
    np.testing.assert_array_equal(b.data, [1.0, 1.0])


def test_zero_grad_sets_none_or_zeros_in_place():
    a, b, _ = tensors3()
    opt = optim.SGD([a, b], lr=0.1)
    a.grad = np.ones(2)
    grad = a.grad
    opt.zero_grad(set_to_none=False)
    assert a.grad is grad and not grad.any() and b.grad is None
    opt.zero_grad()
    assert a.grad is None


def test_step_takes_a_closure_and_returns_its_loss():
    w = Tensor(np.array([2.0]), requires_grad=True)
    opt = optim.SGD([w], lr=0.25)

    def closure():
        opt.zero_grad()
        loss = (w * w).sum()
        loss.backward()
        return loss

    assert opt.step(closure).item() == 4.0
    np.testing.assert_allclose(w.data, [1.0])  # 2 - 0.25 * 2·2


@pytest.mark.parametrize("make", [
    lambda p: optim.SGD([p], lr=0.1, momentum=0.9, nesterov=True),
    lambda p: optim.Adam([p], amsgrad=True),
    lambda p: optim.AdamW([p], weight_decay=0.1),
    lambda p: optim.RMSprop([p], centered=True, momentum=0.5),
], ids=["SGD", "Adam", "AdamW", "RMSprop"])
def test_every_update_goes_through_the_counted_in_place_path(make):
    p = Tensor(np.array([1.0, 2.0]), requires_grad=True)
    storage = p.data
    opt = make(p)
    p.grad = np.array([0.5, -0.5])
    opt.step()
    assert p._version >= 1 and p.is_leaf and p.grad_fn is None and mg.is_grad_enabled()
    assert np.shares_memory(p.data, storage)  # changed in place, not replaced
    state = opt.state[p]
    p.grad[...] = 100.0  # the state never aliases the gradient
    assert all(not np.shares_memory(v, p.grad) for v in state.values() if isinstance(v, np.ndarray))


def test_repr_lists_each_group_as_torch_does():
    a, b, _ = tensors3()
    text = repr(optim.SGD([{"params": [a]}, {"params": [b], "lr": 0.5}], lr=0.1))
    assert text.startswith("SGD (\nParameter Group 0\n") and "Parameter Group 1" in text
    assert "    lr: 0.5" in text and "    nesterov: False" in text


# --------------------------------------------------------------------------- state-dict errors

def trained_adam():
    tensors, opt = run_micrograd("Adam", dict(lr=0.05), GROUPS, steps=3)
    return tensors, opt


def broken(edit):
    _, opt = trained_adam()
    state = opt.state_dict()
    edit(state)
    return state


BAD_STATE_DICTS = {
    "not a dict": (lambda s: None, r"expected a dict with keys 'param_groups' and 'state'"),
    "group count": (lambda s: s["param_groups"].pop(), r"has 1 param groups, this optimizer 2"),
    "group size": (lambda s: s["param_groups"][1]["params"].pop(),
                   r"param group 1\): the saved group has 1 parameters, this optimizer's 2"),
    "missing option": (lambda s: s["param_groups"][0].pop("amsgrad"), r"lacks the option\(s\) amsgrad"),
    "bad option": (lambda s: s["param_groups"][0].update(lr=-1.0),
                   r"lr \(the learning rate\) must be a finite number >= 0"),
    "unknown option": (lambda s: s["param_groups"][0].update(nesterov=True),
                       r"unknown option\(s\) 'nesterov'"),
    "torch's fused": (lambda s: s["param_groups"][0].update(fused=True),
                      r"fused=True is a PyTorch implementation option"),
    "unknown index": (lambda s: s["state"].update({7: s["state"][0]}), r"parameter 7, which is not"),
    "state shape": (lambda s: s["state"][0].update(exp_avg=np.zeros((4, 3))),
                    r"parameter 0\): exp_avg has shape \(4, 3\), the parameter \(3, 4\)"),
    "state key": (lambda s: s["state"][1].pop("exp_avg_sq"), r"parameter 1\): the state has no exp_avg_sq"),
    "state extra": (lambda s: s["state"][1].update(velocity=np.zeros(4)), r"unknown key\(s\) velocity"),
    "state nan": (lambda s: s["state"][1]["exp_avg"].__setitem__(0, np.nan), r"exp_avg holds nan"),
    "state text": (lambda s: s["state"][1].update(exp_avg=np.array(["a"] * 4)), r"dtype <U1"),
    "step": (lambda s: s["state"][1].update(step=2.5), r"step must be a whole number >= 0"),
}


@pytest.mark.parametrize("case", sorted(BAD_STATE_DICTS))
def test_a_state_dict_that_does_not_fit_is_refused_before_anything_changes(case):
    edit, pattern = BAD_STATE_DICTS[case]
    bad = None if case == "not a dict" else broken(edit)
    tensors, opt = trained_adam()
    before = copy.deepcopy(opt.state_dict())
    with pytest.raises(StateDictError, match=pattern):
        opt.load_state_dict(bad)
    after = opt.state_dict()
    assert after["param_groups"] == before["param_groups"]
    for index, state in before["state"].items():
        for key, value in state.items():
            np.testing.assert_array_equal(after["state"][index][key], value)


def test_loaded_state_is_cast_to_the_parameters_dtype_and_copied():
    p = Tensor(np.ones(3, dtype=np.float32), requires_grad=True)
    opt = optim.SGD([p], lr=0.1, momentum=0.9)
    buf = np.full(3, 0.5)  # float64
    opt.load_state_dict({"state": {0: {"momentum_buffer": buf}},
                         "param_groups": [{**opt.param_groups[0], "params": [0]}]})
    loaded = opt.state[p]["momentum_buffer"]
    assert loaded.dtype == np.float32 and not np.shares_memory(loaded, buf)


# --------------------------------------------------------------------------- schedulers

SCHEDULERS = [
    ("StepLR", dict(step_size=4, gamma=0.5)),
    ("StepLR", dict(step_size=1)),
    ("ExponentialLR", dict(gamma=0.9)),
    ("CosineAnnealingLR", dict(T_max=10, eta_min=0.001)),  # 30 steps: down, up, down again
    ("CosineAnnealingLR", dict(T_max=7)),
]


def lr_sequence(lib, name, options, steps=30):
    a = lib.tensor([1.0], requires_grad=True) if lib is torch else Tensor([1.0], requires_grad=True)
    b = lib.tensor([1.0], requires_grad=True) if lib is torch else Tensor([1.0], requires_grad=True)
    opt = lib.optim.SGD([{"params": [a]}, {"params": [b], "lr": 0.3}], lr=0.1)
    sched = getattr(lib.optim.lr_scheduler, name)(opt, **options)
    seen = [sched.get_last_lr()]
    for _ in range(steps):
        opt.step()
        sched.step()
        seen.append(sched.get_last_lr())
        assert [g["lr"] for g in opt.param_groups] == seen[-1]
    return seen


@needs_torch
@pytest.mark.parametrize("name, options", SCHEDULERS, ids=[n for n, _ in SCHEDULERS])
def test_scheduler_lr_sequences_match_torch(name, options):
    mine, theirs = lr_sequence(mg, name, options), lr_sequence(torch, name, options)
    np.testing.assert_allclose(mine, theirs, rtol=1e-12, atol=1e-15)
    assert len({tuple(x) for x in mine}) > 2  # the lr did change


def test_scheduler_closed_forms():
    """Without torch: each schedule's closed form (the docstrings' formulas)."""
    seq = np.array(lr_sequence(mg, "StepLR", dict(step_size=3, gamma=0.5), steps=9))[:, 0]
    np.testing.assert_allclose(seq, [0.1 * 0.5 ** (t // 3) for t in range(10)])
    seq = np.array(lr_sequence(mg, "ExponentialLR", dict(gamma=0.9), steps=9))[:, 1]
    np.testing.assert_allclose(seq, [0.3 * 0.9 ** t for t in range(10)])
    seq = np.array(lr_sequence(mg, "CosineAnnealingLR", dict(T_max=6, eta_min=0.01), steps=6))[:, 0]
    np.testing.assert_allclose(seq, [0.01 + 0.09 * (1 + math.cos(math.pi * t / 6)) / 2
                                     for t in range(7)])


@pytest.mark.parametrize("name, options", SCHEDULERS, ids=[n for n, _ in SCHEDULERS])
def test_scheduler_state_dict_round_trip_continues_the_sequence(name, options):
    def build():
        a = Tensor([1.0], requires_grad=True)
        opt = optim.SGD([a], lr=0.1)
        return opt, getattr(optim.lr_scheduler, name)(opt, **options)

    opt, sched = build()
    for _ in range(7):
        opt.step()
        sched.step()
    opt2, sched2 = build()
    opt2.load_state_dict(opt.state_dict())
    sched2.load_state_dict(sched.state_dict())
    for _ in range(15):
        sched.step()
        sched2.step()
        assert sched2.get_last_lr() == sched.get_last_lr()
        assert opt2.param_groups[0]["lr"] == opt.param_groups[0]["lr"]


@needs_torch
def test_a_torch_scheduler_state_dict_loads():
    t = torch.tensor([1.0], requires_grad=True)
    topt = torch.optim.SGD([t], lr=0.1)
    tsched = torch.optim.lr_scheduler.CosineAnnealingLR(topt, T_max=5)
    for _ in range(3):
        topt.step()
        tsched.step()
    opt = optim.SGD([Tensor([1.0], requires_grad=True)], lr=0.1)
    sched = CosineAnnealingLR(opt, T_max=9)
    opt.load_state_dict(to_numpy(topt.state_dict()))
    sched.load_state_dict(tsched.state_dict())
    assert sched.T_max == 5 and sched.last_epoch == 3
    for _ in range(4):
        tsched.step()
        sched.step()
        assert sched.get_last_lr() == pytest.approx(tsched.get_last_lr(), rel=1e-12)


@pytest.mark.parametrize("build, pattern", [
    (lambda o: StepLR(o, step_size=0), r"step_size must be an integer >= 1"),
    (lambda o: StepLR(o, step_size=2.5), r"step_size must be an integer >= 1"),
    (lambda o: ExponentialLR(o, gamma=-0.5), r"gamma must be a finite number > 0"),
    (lambda o: CosineAnnealingLR(o, T_max=0), r"T_max must be an integer >= 1"),
    (lambda o: CosineAnnealingLR(o, T_max=5, eta_min=math.nan), r"eta_min must be"),
    (lambda o: StepLR("optimizer", step_size=2), r"expected a micrograd.optim Optimizer"),
    (lambda o: StepLR(o, step_size=2, last_epoch=3), r"needs 'initial_lr' in param group 0"),
])
def test_bad_scheduler_arguments_are_named(build, pattern):
    with pytest.raises(OptimizerError, match=pattern):
        build(optim.SGD([Tensor([1.0], requires_grad=True)], lr=0.1))


def test_a_scheduler_state_dict_that_does_not_fit_is_refused():
    opt = optim.SGD([Tensor([1.0], requires_grad=True)], lr=0.1)
    sched = StepLR(opt, step_size=2)
    before = sched.state_dict()
    with pytest.raises(StateDictError, match=r"missing \['step_size'\], unknown \['T_max'\]"):
        sched.load_state_dict({**{k: v for k, v in before.items() if k != "step_size"}, "T_max": 3})
    with pytest.raises(StateDictError, match=r"base_lrs must be a list of 1 learning rate"):
        sched.load_state_dict({**before, "base_lrs": [0.1, 0.2]})
    with pytest.raises(StateDictError, match=r"gamma must be a finite number > 0"):
        sched.load_state_dict({**before, "gamma": 0})
    assert sched.state_dict() == before


def test_cosine_annealing_to_zero_lets_the_optimizer_step():
    p = Tensor([1.0], requires_grad=True)
    opt = optim.SGD([p], lr=0.1)
    sched = CosineAnnealingLR(opt, T_max=2)
    for _ in range(2):
        p.grad = np.ones(1)
        opt.step()
        sched.step()
    assert sched.get_last_lr() == [0.0]
    before = p.data.copy()
    opt.step()  # lr 0 is allowed once a schedule reached it
    np.testing.assert_array_equal(p.data, before)


# --------------------------------------------------------------------------- clip_grad_norm_

CLIPS = [(1.0, 2.0), (100.0, 2.0), (0.5, 1.0), (0.5, 3.0), (0.2, math.inf)]


@needs_torch
@pytest.mark.parametrize("max_norm, norm_type", CLIPS)
def test_clip_grad_norm_matches_torch(max_norm, norm_type):
    grads = [rng.normal(size=(3, 4)), rng.normal(size=5), None]
    mine = [Tensor(np.zeros(s), requires_grad=True) for s in [(3, 4), (5,), (2,)]]
    theirs = [torch.zeros(s, dtype=torch.float64, requires_grad=True) for s in [(3, 4), (5,), (2,)]]
    for m, t, g in zip(mine, theirs, grads):
        m.grad = None if g is None else g.copy()
        t.grad = None if g is None else torch.tensor(g)
    total = optim.clip_grad_norm_(mine, max_norm, norm_type=norm_type)
    ttotal = torch.nn.utils.clip_grad_norm_(theirs, max_norm, norm_type=norm_type)
    assert total.item() == pytest.approx(ttotal.item(), rel=1e-12)
    for m, t in zip(mine[:2], theirs[:2]):
        np.testing.assert_allclose(m.grad, t.grad.numpy(), rtol=1e-12, atol=1e-15)
    assert mine[2].grad is None


def test_clip_grad_norm_takes_a_module_a_tensor_or_a_list_and_keeps_its_old_name():
    assert optim.clip_grad_norm is optim.clip_grad_norm_
    model = nn.Linear(2, 2, seed=0)
    for p in model.parameters():
        p.grad = np.full(p.shape, 3.0)  # 6 entries of 3: norm √54
    total = optim.clip_grad_norm_(model, 1.0)
    assert f"{total:.4f}" == f"{math.sqrt(54):.4f}" and float(total) == total.item()
    joint = np.sqrt(sum(float((p.grad ** 2).sum()) for p in model.parameters()))
    assert joint == pytest.approx(1.0, abs=1e-5)
    p = Tensor(np.zeros(2), requires_grad=True)
    p.grad = np.array([3.0, 4.0])
    assert optim.clip_grad_norm_(p, 10.0) == pytest.approx(5.0)  # under the bound: unchanged
    np.testing.assert_array_equal(p.grad, [3.0, 4.0])
    assert optim.clip_grad_norm_([Tensor(np.zeros(1), requires_grad=True)], 1.0) == 0.0  # no grads


def test_clip_grad_norm_with_a_nonfinite_norm():
    p = Tensor(np.zeros(2), requires_grad=True)
    p.grad = np.array([np.inf, 1.0])
    with pytest.raises(OptimizerError, match=r"total norm of order 2 of the gradients is inf"):
        optim.clip_grad_norm_(p, 1.0, error_if_nonfinite=True)
    np.testing.assert_array_equal(p.grad, [np.inf, 1.0])  # untouched
    with np.errstate(invalid="ignore"):
        assert optim.clip_grad_norm_(p, 1.0) == math.inf  # PyTorch's default: no error...
    assert np.isnan(p.grad[0]) and p.grad[1] == 0.0  # ...and gradients as torch leaves them
    with pytest.raises(OptimizerError, match=r"norm_type must be a number > 0"):
        optim.clip_grad_norm_(p, 1.0, norm_type=0)
