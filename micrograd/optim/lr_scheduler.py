"""Learning-rate schedulers: they set each param group's 'lr' once per `scheduler.step()`,
with PyTorch's formulas, so `get_last_lr()` gives the same sequence as torch.optim.lr_scheduler.

    opt = optim.SGD(model.parameters(), lr=0.1)
    sched = optim.lr_scheduler.StepLR(opt, step_size=30, gamma=0.1)
    for epoch in range(100):
        train_one_epoch(...)   # optimizer.step() inside
        sched.step()           # after the optimizer's steps, as in PyTorch

Like PyTorch's, they update the current lr recursively (lr ← lr·γ), so a change you make
to group['lr'] between steps carries on; the closed forms in each docstring are what the
recursion gives when nobody else touches the lr.
"""
from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import numpy as np

from ..errors import OptimizerError, StateDictError
from .optimizer import Optimizer, check_non_negative, check_positive

__all__ = ["LRScheduler", "StepLR", "ExponentialLR", "CosineAnnealingLR"]

# PyTorch's schedulers keep these two flags in their state dicts; both are False between steps.
_TORCH_FLAGS = ("_is_initial", "_get_lr_called_within_step")


def _check_int(name: str, value: Any, where: str, least: int) -> int:
    if (isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, np.integer))
            or value < least):
        raise OptimizerError(f"{where}: {name} must be an integer >= {least}, got {value!r}")
    return int(value)


class LRScheduler:
    """The base class: `step()` advances `last_epoch` by one and sets every group's lr to
    `get_lr()`; `get_last_lr()` is the list of lrs it set last. Subclasses define `get_lr`
    and list their options in `options`."""

    options: tuple[str, ...] = ()

    def __init__(self, optimizer: Optimizer, last_epoch: int = -1):
        where = type(self).__name__
        if not isinstance(optimizer, Optimizer):
            raise OptimizerError(f"{where}: expected a micrograd.optim Optimizer, got a "
                                 f"{type(optimizer).__name__}")
        last_epoch = _check_int("last_epoch", last_epoch, where, -1)
        self.optimizer = optimizer
        if last_epoch == -1:
            for group in optimizer.param_groups:
                group.setdefault("initial_lr", group["lr"])
        else:
            for k, group in enumerate(optimizer.param_groups):
                if "initial_lr" not in group:
                    raise OptimizerError(
                        f"{where}: resuming at last_epoch={last_epoch} needs 'initial_lr' in "
                        f"param group {k}, which a scheduler sets; load the optimizer's state "
                        "dict first, or start with last_epoch=-1")
        self.base_lrs: list[float] = [group["initial_lr"] for group in optimizer.param_groups]
        self.last_epoch = last_epoch
        self._step_count = 0
        self._last_lr: list[float] = []
        self._initial = True  # the constructor's own step, which sets the starting lr
        try:
            self.step()
        finally:
            self._initial = False

    def get_lr(self) -> list[float]:
        """The lr of every group for epoch `last_epoch` (already advanced by step())."""
        raise NotImplementedError

    def get_last_lr(self) -> list[float]:
        """The learning rates the last step() set, one per param group (a new list)."""
        return list(self._last_lr)

    def step(self) -> None:
        """Advance one epoch and set each param group's lr; call it after optimizer.step()."""
        self._step_count += 1
        self.last_epoch += 1
        for group, lr in zip(self.optimizer.param_groups, self.get_lr(), strict=True):
            group["lr"] = lr
        self._last_lr = [group["lr"] for group in self.optimizer.param_groups]

    def _groups_lr(self) -> list[float]:
        return [group["lr"] for group in self.optimizer.param_groups]

    # -- state dicts ---------------------------------------------------------------------
    def state_dict(self) -> dict[str, Any]:
        """The options and counters (PyTorch's keys, without the optimizer), as a new dict."""
        state = {name: getattr(self, name) for name in self.options}
        state.update(base_lrs=list(self.base_lrs), last_epoch=self.last_epoch,
                     _step_count=self._step_count, _last_lr=list(self._last_lr))
        return state

    def load_state_dict(self, state_dict: Mapping[str, Any]) -> None:
        """Take the options and counters from `state_dict` (here or from PyTorch); all is
        checked first, so a StateDictError leaves the scheduler as it was."""
        where = f"{type(self).__name__}.load_state_dict"
        if not isinstance(state_dict, Mapping):
            raise StateDictError(f"{where}: expected a dict (what state_dict() returns), got a "
                                 f"{type(state_dict).__name__}")
        saved = {k: v for k, v in state_dict.items() if not (k in _TORCH_FLAGS and v is False)}
        expected = self.state_dict()
        if set(saved) != set(expected):
            missing = sorted(set(expected) - set(saved))
            unknown = sorted(map(str, set(saved) - set(expected)))
            raise StateDictError(f"{where}: the keys do not fit a {type(self).__name__}: "
                                 f"missing {missing or 'none'}, unknown {unknown or 'none'}")
        groups = len(self.optimizer.param_groups)
        try:
            options = self._checked_options({name: saved[name] for name in self.options}, where)
            lists = {}
            for name in ("base_lrs", "_last_lr"):
                value = saved[name]
                if not isinstance(value, (list, tuple)) or len(value) != groups:
                    raise OptimizerError(f"{where}: {name} must be a list of {groups} learning "
                                         f"rate(s), one per param group, got {value!r}")
                lists[name] = [check_non_negative(name, lr, where) for lr in value]
            last_epoch = _check_int("last_epoch", saved["last_epoch"], where, -1)
            step_count = _check_int("_step_count", saved["_step_count"], where, 0)
        except OptimizerError as e:
            raise StateDictError(str(e)) from None
        for name, value in options.items():
            setattr(self, name, value)
        self.base_lrs, self._last_lr = lists["base_lrs"], lists["_last_lr"]
        self.last_epoch, self._step_count = last_epoch, step_count

    def _checked_options(self, options: dict[str, Any], where: str) -> dict[str, Any]:
        return options

    def __repr__(self) -> str:
        options = ", ".join(f"{name}={getattr(self, name)!r}" for name in self.options)
        return f"{type(self).__name__}({options}, last_epoch={self.last_epoch})"


class StepLR(LRScheduler):
    """lr ← lr·γ every `step_size` epochs:  lr_t = lr₀ · γ^⌊t / step_size⌋."""

    options = ("step_size", "gamma")

    def __init__(self, optimizer: Optimizer, step_size: int, gamma: float = 0.1,
                 last_epoch: int = -1):
        checked = self._checked_options(dict(step_size=step_size, gamma=gamma), "StepLR")
        self.step_size, self.gamma = checked["step_size"], checked["gamma"]
        super().__init__(optimizer, last_epoch)

    def _checked_options(self, options: dict[str, Any], where: str) -> dict[str, Any]:
        return dict(step_size=_check_int("step_size", options["step_size"], where, 1),
                    gamma=check_positive("gamma", options["gamma"], where))

    def get_lr(self) -> list[float]:
        if self.last_epoch == 0 or self.last_epoch % self.step_size != 0:
            return self._groups_lr()
        return [lr * self.gamma for lr in self._groups_lr()]


class ExponentialLR(LRScheduler):
    """lr ← lr·γ every epoch:  lr_t = lr₀ · γᵗ."""

    options = ("gamma",)

    def __init__(self, optimizer: Optimizer, gamma: float, last_epoch: int = -1):
        self.gamma = self._checked_options(dict(gamma=gamma), "ExponentialLR")["gamma"]
        super().__init__(optimizer, last_epoch)

    def _checked_options(self, options: dict[str, Any], where: str) -> dict[str, Any]:
        return dict(gamma=check_positive("gamma", options["gamma"], where))

    def get_lr(self) -> list[float]:
        if self._initial:
            return self._groups_lr()
        return [lr * self.gamma for lr in self._groups_lr()]


class CosineAnnealingLR(LRScheduler):
    """lr_t = η_min + (lr₀ - η_min)(1 + cos(π t / T_max))/2: half a cosine from lr₀ down to
    η_min over T_max epochs (then back up, and so on), computed as PyTorch does, by the
    recursion lr_t = η_min + (lr_{t-1} - η_min)(1 + cos(π t/T_max)) / (1 + cos(π (t-1)/T_max))."""

    options = ("T_max", "eta_min")

    def __init__(self, optimizer: Optimizer, T_max: int, eta_min: float = 0.0,
                 last_epoch: int = -1):
        checked = self._checked_options(dict(T_max=T_max, eta_min=eta_min), "CosineAnnealingLR")
        self.T_max, self.eta_min = checked["T_max"], checked["eta_min"]
        super().__init__(optimizer, last_epoch)

    def _checked_options(self, options: dict[str, Any], where: str) -> dict[str, Any]:
        return dict(T_max=_check_int("T_max", options["T_max"], where, 1),
                    eta_min=check_non_negative("eta_min", options["eta_min"], where))

    def get_lr(self) -> list[float]:
        t, T, eta_min = self.last_epoch, self.T_max, self.eta_min
        if self._initial:
            return self._groups_lr()
        if self._step_count == 1 and t > 0:  # built with last_epoch >= 0: the closed form
            return [eta_min + (base - eta_min) * (1 + math.cos(t * math.pi / T)) / 2
                    for base in self.base_lrs]
        if (t - 1 - T) % (2 * T) == 0:  # at a trough (lr = η_min): the recursion's 0/0
            return [lr + (base - eta_min) * (1 - math.cos(math.pi / T)) / 2
                    for base, lr in zip(self.base_lrs, self._groups_lr(), strict=True)]
        return [(1 + math.cos(math.pi * t / T)) / (1 + math.cos(math.pi * (t - 1) / T))
                * (lr - eta_min) + eta_min for lr in self._groups_lr()]
