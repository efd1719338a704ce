"""The base class of every optimizer, and the checks of the numbers they are given
(also used by `fit`, `clip_grad_norm_` and the learning-rate schedulers).

As in PyTorch, an optimizer holds `param_groups`: a list of dicts, each with its
'params' (a list of tensors) and its own options ('lr', 'weight_decay', ...); options a
group does not set come from the optimizer's `defaults`. Per-tensor state (momentum
buffers, Adam's moments) lives in `state[p]`.

An update is not an op to differentiate, so it runs under `no_grad()` (the graph never
sees it), through the tensor's own in-place ops (`p.sub_`), so that the tensor's version
counter records it and a graph that saved the old values can tell they changed.
"""
from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Callable, Mapping
from typing import Any

import numpy as np

from ..autograd import clear_grads
from ..engine import Tensor, enable_grad, no_grad
from ..errors import OptimizerError, StateDictError

# Options of torch.optim's param groups that choose an implementation (vectorized, fused,
# CUDA-graph capturable, differentiable), not the maths; with these values they change
# nothing, so a state dict from PyTorch that carries them loads here without them.
_TORCH_ONLY_OPTIONS: dict[str, tuple[Any, ...]] = {
    "foreach": (None, False), "fused": (None, False), "capturable": (False,),
    "differentiable": (False,)}


def check_number(name: str, value: Any, where: str) -> float:
    """value as a float, if it is a real number (bools are refused: True is not a rate)."""
    if (isinstance(value, (bool, np.bool_))
            or not isinstance(value, (int, float, np.integer, np.floating))):
        raise OptimizerError(f"{where}: {name} must be a number, got {value!r}")
    return float(value)


def check_positive(name: str, value: Any, where: str) -> float:
    """value as a float, if it is a finite number > 0 (a rate, a tolerance, a norm)."""
    value_f = check_number(name, value, where)
    if not math.isfinite(value_f) or value_f <= 0:
        raise OptimizerError(f"{where}: {name} must be a finite number > 0, got {value!r}")
    return value_f


def check_non_negative(name: str, value: Any, where: str) -> float:
    """value as a float, if it is a finite number >= 0 (a coefficient that 0 turns off)."""
    value_f = check_number(name, value, where)
    if not math.isfinite(value_f) or value_f < 0:
        raise OptimizerError(f"{where}: {name} must be a finite number >= 0 (0 turns it off), "
                             f"got {value!r}")
    return value_f


def check_in_unit(name: str, value: Any, where: str) -> float:
    """value as a float, if it lies in [0, 1) (a decay rate: 1 would never forget)."""
    value_f = check_number(name, value, where)
    if not 0 <= value_f < 1:  # also refuses nan
        raise OptimizerError(f"{where}: {name} must be in [0, 1), got {value!r}")
    return value_f


def check_flag(name: str, value: Any, where: str) -> bool:
    """value, if it is True or False (a string such as "False" would count as true)."""
    if not isinstance(value, (bool, np.bool_)):
        raise OptimizerError(f"{where}: {name} must be True or False, got {value!r}")
    return bool(value)


def param_list(params: Any, where: str) -> list[Tensor]:
    """params (a Module, or an iterable of Tensors) as a list, refusing a single Tensor."""
    if isinstance(params, Tensor):  # iterating it would give its rows, not the tensor
        raise OptimizerError(f"{where}: params must be an iterable of Tensors or a Module, got a "
                             f"single Tensor of shape {params.shape}; pass [tensor]")
    if hasattr(params, "parameters"):  # a Module was passed
        params = params.parameters()
    if isinstance(params, (str, bytes, Mapping)):
        raise OptimizerError(f"{where}: params must be an iterable of Tensors or a Module, "
                             f"got {params!r}; pass model.parameters()")
    try:
        return list(params)
    except TypeError:
        raise OptimizerError(f"{where}: params must be an iterable of Tensors or a Module, "
                             f"got {params!r}; pass model.parameters()") from None


def _label(p: Any) -> str:
    name = getattr(p, "name", None) if isinstance(p, Tensor) else None
    return name or (f"shape {p.shape}" if isinstance(p, Tensor) else type(p).__name__)


class Optimizer:
    """Holds `param_groups` and `state`; subclasses give their options' defaults, check
    them in `check_options`, and define `update(p, g, state, group)` for one tensor."""

    # The keys a tensor's state may hold (in the order state_dict lists them).
    state_keys: tuple[str, ...] = ()

    def __init__(self, params: Any, defaults: dict[str, Any]):
        where = type(self).__name__
        self.defaults = dict(defaults)  # the option names, which _checked needs
        self.defaults = self._checked(defaults, where, fresh=True)
        self.param_groups: list[dict[str, Any]] = []
        self._last_checked: dict[int, dict[str, Any]] = {}  # each group's options, as last checked
        self.state: defaultdict[Tensor, dict[str, Any]] = defaultdict(dict)
        self.steps = 0  # how many times step() has run (not part of the state dict)
        items: list[Any] = [params] if isinstance(params, Mapping) else param_list(params, where)
        if not items:
            raise OptimizerError(f"{where}: optimizer got an empty parameter list; pass "
                                 "model.parameters() (are all of the model's parameters frozen?)")
        dicts = [isinstance(item, Mapping) for item in items]
        if all(dicts):
            for group in items:
                self.add_param_group(group)
        elif any(dicts):
            raise OptimizerError(f"{where}: params must be all Tensors or all dicts (param groups "
                                 "such as {'params': [w], 'lr': 0.1}), not a mix")
        else:
            self.add_param_group({"params": items})

    # -- options ----------------------------------------------------------------------
    def check_options(self, options: dict[str, Any], where: str) -> None:
        """Check (and convert, in place) the options this optimizer adds to lr,
        weight_decay and maximize; raise OptimizerError naming a bad one."""

    def _checked(self, options: Mapping[str, Any], where: str, fresh: bool) -> dict[str, Any]:
        """options, checked, as a new dict. fresh: options a user gives now, where lr = 0
        is refused (it would train nothing); a loaded group or one a scheduler changed may
        have annealed lr down to 0."""
        out = dict(options)
        unknown = [k for k in out if k not in self.defaults and k != "initial_lr"]
        if unknown:
            raise OptimizerError(f"{where}: unknown option(s) {', '.join(map(repr, unknown))}; "
                                 f"{type(self).__name__} takes {', '.join(self.defaults)}")
        lr_check = check_positive if fresh else check_non_negative
        out["lr"] = lr_check("lr (the learning rate)", out.get("lr"), where)
        if "initial_lr" in out:  # set by a learning-rate scheduler
            out["initial_lr"] = lr_check("initial_lr", out["initial_lr"], where)
        out["weight_decay"] = check_non_negative("weight_decay", out.get("weight_decay"), where)
        out["maximize"] = check_flag("maximize", out.get("maximize"), where)
        self.check_options(out, where)
        return out

    def add_param_group(self, param_group: Mapping[str, Any]) -> None:
        """Add a group: a dict with 'params' (a Tensor, an iterable of Tensors or a Module)
        and any options to set for it; the others are the optimizer's defaults."""
        k = len(self.param_groups)
        where = f"{type(self).__name__} (param group {k})" if k else type(self).__name__
        if not isinstance(param_group, Mapping):
            raise OptimizerError(f"{where}: a param group must be a dict such as {{'params': "
                                 f"[w], 'lr': 0.1}}, got a {type(param_group).__name__}")
        if "params" not in param_group:
            raise OptimizerError(f"{where}: the param group has no 'params' key; write "
                                 "{'params': tensors, 'lr': ...}")
        raw = param_group["params"]
        params = [raw] if isinstance(raw, Tensor) else param_list(raw, where)
        if not params:
            raise OptimizerError(f"{where}: optimizer got an empty parameter list; pass "
                                 "model.parameters() (are all of the model's parameters frozen?)")
        # Parameters are numbered group after group, as the state dict's indices are.
        first_at = {id(p): (j, n) for n, (j, p) in enumerate(
            (j, p) for j, group in enumerate(self.param_groups) for p in group["params"])}
        for n, p in enumerate(params, len(first_at)):
            if not isinstance(p, Tensor) or not p.requires_grad or not p.is_leaf:
                raise OptimizerError(f"{where}: parameter {n} ({_label(p)}) "
                                     "must be a leaf Tensor with requires_grad=True")
            if id(p) in first_at:  # it would be updated twice per step
                j, m = first_at[id(p)]
                group_note = f" of param group {j}" if j != k else ""
                raise OptimizerError(f"{where}: parameter {n} ({_label(p)}) is the same tensor as "
                                     f"parameter {m}{group_note}; list each tensor once")
            first_at[id(p)] = (k, n)
        options = {**self.defaults, **{o: v for o, v in param_group.items() if o != "params"}}
        self.param_groups.append({"params": params, **self._checked(options, where, fresh=True)})

    # -- the parameters, and the shorthand for a single learning rate --------------------
    @property
    def params(self) -> list[Tensor]:
        """Every parameter, group after group (the order of the state dict's indices)."""
        return [p for group in self.param_groups for p in group["params"]]

    @property
    def lr(self) -> float:
        """The learning rate, when all param groups share one (else read
        `param_groups[k]['lr']`); setting it sets every group's."""
        lrs = [group["lr"] for group in self.param_groups]
        if any(lr != lrs[0] for lr in lrs):
            raise OptimizerError(f"{type(self).__name__}.lr: the param groups have different "
                                 f"learning rates {lrs}; read optimizer.param_groups[k]['lr']")
        return lrs[0]

    @lr.setter
    def lr(self, value: float) -> None:
        value = check_positive("lr (the learning rate)", value, f"{type(self).__name__}.lr")
        for group in self.param_groups:
            group["lr"] = value

    # -- the update ---------------------------------------------------------------------
    def zero_grad(self, set_to_none: bool = True) -> None:
        """Clear every parameter's gradient: to None (the default, as in PyTorch), or with
        set_to_none=False to zeros in place."""
        clear_grads(self.params, set_to_none)

    def step(self, closure: Callable[[], Any] | None = None) -> Any:
        """One update of every parameter that has a gradient (all gradients and options are
        checked first, so a bad one leaves every parameter as it was). closure, if given,
        recomputes the loss (with gradients) before the update; its result is returned."""
        loss = None
        if closure is not None:
            with enable_grad():
                loss = closure()
        where = f"{type(self).__name__}.step"
        for k, group in enumerate(self.param_groups):  # a scheduler or a user may have set them
            options = {o: v for o, v in group.items() if o != "params"}
            if options != self._last_checked.get(k):  # unchanged since the last step: checked
                self._checked(options, f"{where} (param group {k})", fresh=False)
                self._last_checked[k] = options
        # A .grad recorded by backward(create_graph=True) is a tensor: its values step.
        todo = [(p, g._data if isinstance(g, Tensor) else g, group)
                for group in self.param_groups for p in group["params"]
                if (g := p.grad) is not None]
        for p, g, _ in todo:
            if np.shape(g) != p.shape:  # numpy would broadcast it over p without a word
                raise OptimizerError(f"{where}: {p.name or 'a parameter'} has "
                                     f"shape {p.shape} but its .grad has shape {np.shape(g)}; "
                                     "set .grad to an array of the parameter's shape")
        self.steps += 1
        with no_grad():  # an update is not an op to differentiate; p.sub_ etc. are counted
            for p, g, group in todo:
                self.update(p, -g if group["maximize"] else g, self.state[p], group)
        return loss

    def update(self, p: Tensor, g: np.ndarray, state: dict[str, Any],
               group: dict[str, Any]) -> None:
        """Change p in place by this optimizer's rule, given its gradient g (negated when
        maximizing), `state`, p's own dict kept from step to step, and its group's options.
        step() calls it under no_grad(), so p.sub_ and the like write in place, counted."""
        raise NotImplementedError

    # -- state dicts ----------------------------------------------------------------------
    def required_state(self, group: dict[str, Any]) -> tuple[str, ...]:
        """The state keys a tensor of this group must have once it has any state."""
        return self.state_keys

    def state_dict(self) -> dict[str, Any]:
        """PyTorch's structure: {'state': {index: {name: value}}, 'param_groups': [{options,
        'params': [indices]}]}, indices counting the parameters group after group; the
        arrays are copies (a snapshot: later steps do not change it)."""
        index = {id(p): k for k, p in enumerate(self.params)}
        groups = [{**{o: v for o, v in group.items() if o != "params"},
                   "params": [index[id(p)] for p in group["params"]]}
                  for group in self.param_groups]
        state = {index[id(p)]: {key: (np.array(v, copy=True) if isinstance(v, np.ndarray) else v)
                                for key, v in self.state[p].items()}
                 for p in self.params if self.state.get(p)}
        return {"state": state, "param_groups": groups}

    def load_state_dict(self, state_dict: Mapping[str, Any]) -> None:
        """Take the options and state from `state_dict` (from state_dict(), here or in
        PyTorch with the tensors as arrays); the parameters stay this optimizer's, matched by
        position. Everything is checked first: a StateDictError leaves the optimizer as it was."""
        where = f"{type(self).__name__}.load_state_dict"
        if not isinstance(state_dict, Mapping) or set(state_dict) != {"state", "param_groups"}:
            got = (f"keys {sorted(map(str, state_dict))}" if isinstance(state_dict, Mapping)
                   else f"a {type(state_dict).__name__}")
            raise StateDictError(f"{where}: expected a dict with keys 'param_groups' and 'state' "
                                 f"(what optimizer.state_dict() returns), got {got}")
        saved_groups, saved_state = state_dict["param_groups"], state_dict["state"]
        if (not isinstance(saved_groups, (list, tuple))
                or len(saved_groups) != len(self.param_groups)):
            n = len(saved_groups) if isinstance(saved_groups, (list, tuple)) else saved_groups
            raise StateDictError(f"{where}: the state dict has {n!r} param groups, this "
                                 f"optimizer {len(self.param_groups)}; build the optimizer with "
                                 "the same groups")
        by_index: dict[int, tuple[Tensor, dict[str, Any]]] = {}
        groups = []
        for k, (group, saved) in enumerate(zip(self.param_groups, saved_groups, strict=True)):
            gwhere = f"{where} (param group {k})"
            if not isinstance(saved, Mapping) or not isinstance(saved.get("params"), (list, tuple)):
                raise StateDictError(f"{gwhere}: a param group must be a dict with a 'params' list "
                                     "of indices")
            indices = saved["params"]
            if len(indices) != len(group["params"]):
                raise StateDictError(f"{gwhere}: the saved group has {len(indices)} parameters, "
                                     f"this optimizer's {len(group['params'])}; the optimizer must "
                                     "be built over the same parameters")
            options = {o: v for o, v in saved.items() if o != "params"}
            for o, inert in _TORCH_ONLY_OPTIONS.items():
                if o in options and o not in self.defaults:
                    if not any(options[o] is v or options[o] == v for v in inert):
                        raise StateDictError(f"{gwhere}: {o}={options[o]!r} is a PyTorch "
                                             "implementation option micrograd does not have")
                    del options[o]
            missing = [o for o in self.defaults if o not in options]
            if missing:
                raise StateDictError(f"{gwhere}: the saved group lacks the option(s) "
                                     f"{', '.join(missing)}")
            try:
                checked = self._checked(options, gwhere, fresh=False)
            except OptimizerError as e:
                raise StateDictError(str(e)) from None
            for i, p in zip(indices, group["params"], strict=True):
                if not isinstance(i, (int, np.integer)) or isinstance(i, bool) or i in by_index:
                    raise StateDictError(f"{gwhere}: parameter index {i!r} is not an integer or "
                                         "is listed twice")
                by_index[int(i)] = (p, checked)
            groups.append({"params": group["params"], **checked})
        if not isinstance(saved_state, Mapping):
            raise StateDictError(f"{where}: 'state' must be a dict of index -> dict, "
                                 f"got a {type(saved_state).__name__}")
        state: defaultdict[Tensor, dict[str, Any]] = defaultdict(dict)
        for i, entry in saved_state.items():
            if (isinstance(i, bool) or not isinstance(i, (int, np.integer))
                    or int(i) not in by_index):
                raise StateDictError(f"{where}: the state has an entry for parameter {i!r}, which "
                                     "is not one of the param groups' indices")
            p, checked = by_index[int(i)]
            if entry:
                state[p] = self._checked_state(entry, p, checked, f"{where} (parameter {i})")
        self.param_groups, self.state = groups, state

    def _checked_state(self, entry: Any, p: Tensor, group: dict[str, Any],
                       where: str) -> dict[str, Any]:
        """A copy of one tensor's saved state, checked against its parameter and options."""
        if not isinstance(entry, Mapping):
            raise StateDictError(f"{where}: the state must be a dict, got a {type(entry).__name__}")
        required = self.required_state(group)
        problems = []
        if unknown := sorted(map(str, set(entry) - set(self.state_keys))):
            problems.append(f"the unknown key(s) {', '.join(unknown)}")
        if missing := [key for key in required if key not in entry]:
            problems.append(f"no {', '.join(missing)}")
        if problems:
            raise StateDictError(f"{where}: the state has {' and '.join(problems)}; "
                                 f"{type(self).__name__} with these options keeps "
                                 f"{', '.join(required) or 'no state'}")
        out: dict[str, Any] = {}
        for key in self.state_keys:
            if key not in entry:
                continue
            value = entry[key]
            if key == "step":
                out[key] = _checked_step(value, where)
                continue
            value = value.data if isinstance(value, Tensor) else value
            array = np.asarray(value)
            if array.shape != p.shape:
                raise StateDictError(f"{where}: {key} has shape {array.shape}, the parameter "
                                     f"{p.shape}")
            if array.dtype.kind not in "biuf" or not np.can_cast(array.dtype, p.dtype, "same_kind"):
                raise StateDictError(f"{where}: {key} has dtype {array.dtype}, which does not "
                                     f"cast to the parameter's {p.dtype}")
            if not np.isfinite(array).all():
                raise StateDictError(f"{where}: {key} holds nan or inf")
            out[key] = np.array(array, dtype=p.dtype, copy=True)
        return out

    def __repr__(self) -> str:
        lines = [f"{type(self).__name__} ("]
        for k, group in enumerate(self.param_groups):
            lines.append(f"Parameter Group {k}")
            lines += [f"    {o}: {group[o]}" for o in sorted(group) if o != "params"]
        return "\n".join(lines + [")"])


def _checked_step(value: Any, where: str) -> int:
    """A saved step count as an int (PyTorch saves it as a float tensor, e.g. tensor(3.))."""
    array = np.asarray(value.data if isinstance(value, Tensor) else value)
    if (array.shape != () or array.dtype.kind not in "iuf" or not np.isfinite(array)
            or array < 0 or array != np.floor(array)):
        raise StateDictError(f"{where}: step must be a whole number >= 0, got {value!r}")
    return int(array)

