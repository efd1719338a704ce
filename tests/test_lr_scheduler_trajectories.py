"""Learning-rate schedules over many epochs against PyTorch's schedulers: two param groups with
different learning rates, schedulers resumed with last_epoch >= 0 (the closed forms), and a
state dict saved half way and loaded into a fresh scheduler."""
from __future__ import annotations

import math

import numpy as np
import pytest

import micrograd as mg
from micrograd.optim import SGD, lr_scheduler

EPOCHS = 25
CASES = {
    "step": ("StepLR", dict(step_size=4, gamma=0.5)),
    "exponential": ("ExponentialLR", dict(gamma=0.8)),
    "cosine": ("CosineAnnealingLR", dict(T_max=6, eta_min=0.01)),
    "cosine_to_zero": ("CosineAnnealingLR", dict(T_max=5)),
}
LRS = (0.3, 0.05)


def _ours(name, options, last_epoch=-1):
    groups = [{"params": [mg.tensor([1.0], requires_grad=True)], "lr": lr} for lr in LRS]
    opt = SGD(groups, lr=LRS[0])
    if last_epoch >= 0:
        for g in opt.param_groups:
            g["initial_lr"] = g["lr"]
    return opt, getattr(lr_scheduler, name)(opt, **options, last_epoch=last_epoch)


def _theirs(torch, name, options, last_epoch=-1):
    groups = [{"params": [torch.zeros(1, requires_grad=True)], "lr": lr} for lr in LRS]
    opt = torch.optim.SGD(groups, lr=LRS[0])
    if last_epoch >= 0:
        for g in opt.param_groups:
            g["initial_lr"] = g["lr"]
    return opt, getattr(torch.optim.lr_scheduler, name)(opt, **options, last_epoch=last_epoch)


def _path(opt, sched, epochs):
    out = []
    for _ in range(epochs):
        opt.step()
        sched.step()
        out.append([g["lr"] for g in opt.param_groups])
        assert sched.get_last_lr() == out[-1]
    return out


@pytest.fixture(scope="module")
def torch():
    return pytest.importorskip("torch", reason="the PyTorch cross-check needs torch")


@pytest.mark.parametrize("case", sorted(CASES))
def test_schedule_matches_pytorch(torch, case):
    name, options = CASES[case]
    ours = _path(*_ours(name, options), EPOCHS)
    theirs = _path(*_theirs(torch, name, options), EPOCHS)
    np.testing.assert_allclose(ours, theirs, rtol=1e-12, atol=1e-15)
    assert len({round(lr, 12) for lr, _ in ours}) > 3  # the schedule really moves


@pytest.mark.parametrize("case", sorted(CASES))
@pytest.mark.parametrize("last_epoch", [0, 3, 7])
def test_a_resumed_schedule_matches_pytorch(torch, case, last_epoch):
    name, options = CASES[case]
    import warnings
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # torch warns about step order before a first step
        theirs = _path(*_theirs(torch, name, options, last_epoch), 10)
    ours = _path(*_ours(name, options, last_epoch), 10)
    np.testing.assert_allclose(ours, theirs, rtol=1e-12, atol=1e-15)


@pytest.mark.parametrize("case", sorted(CASES))
def test_a_state_dict_saved_half_way_continues_the_schedule(case):
    name, options = CASES[case]
    opt, sched = _ours(name, options)
    whole = _path(opt, sched, EPOCHS)
    opt1, sched1 = _ours(name, options)
    first = _path(opt1, sched1, EPOCHS // 2)
    opt2, sched2 = _ours(name, options)
    opt2.load_state_dict(opt1.state_dict())
    sched2.load_state_dict(sched1.state_dict())
    assert sched2.last_epoch == sched1.last_epoch
    rest = _path(opt2, sched2, EPOCHS - EPOCHS // 2)
    np.testing.assert_allclose(first + rest, whole, rtol=1e-12)


def test_the_schedulers_repr_names_the_class_and_options():
    _, sched = _ours("StepLR", dict(step_size=4, gamma=0.5))
    assert repr(sched) == "StepLR(step_size=4, gamma=0.5, last_epoch=0)"


@pytest.mark.parametrize("t", [1, 4, 9])
def test_cosine_loaded_before_its_first_step_uses_the_closed_form(t):
    """A state saved with _step_count = 0 at last_epoch = t (PyTorch's convention for a
    scheduler that has not stepped yet) resumes at the closed form
    η + (lr₀ - η)(1 + cos(π(t+1)/T))/2, not the recursion from the current lr."""
    T, eta = 6, 0.01
    opt, sched = _ours("CosineAnnealingLR", dict(T_max=T, eta_min=eta))
    saved = sched.state_dict()
    saved.update(last_epoch=t, _step_count=0)
    for g in opt.param_groups:
        g["lr"] = 123.0  # the recursion would carry this on; the closed form ignores it
    sched.load_state_dict(saved)
    sched.step()
    want = [eta + (lr0 - eta) * (1 + math.cos(math.pi * (t + 1) / T)) / 2 for lr0 in LRS]
    np.testing.assert_allclose(sched.get_last_lr(), want, rtol=1e-12)


@pytest.mark.parametrize("last_epoch", [-1, 0, 1, 3])
def test_cosine_loaded_before_its_first_step_matches_pytorch(torch, last_epoch):
    """The closed form is PyTorch's only for last_epoch > 0 after the step; at epoch 0 and 1
    the two roads differ once the current lr is not lr₀, so both must pick PyTorch's."""
    paths = []
    for (opt, sched) in (_ours("CosineAnnealingLR", dict(T_max=4)),
                         _theirs(torch, "CosineAnnealingLR", dict(T_max=4))):
        saved = sched.state_dict()
        saved.update(last_epoch=last_epoch, _step_count=0)
        for g in opt.param_groups:
            g["lr"] *= 0.7  # off the schedule: the recursion and the closed form part ways
        sched.load_state_dict(saved)
        paths.append(_path(opt, sched, 3))
    np.testing.assert_allclose(paths[0], paths[1], rtol=1e-12, atol=1e-15)
