"""Modules: objects that hold parameters and map tensors to tensors.

A `Module` finds its parameters and submodules by looking at its own attributes:
a `Parameter` attribute is a parameter, and so is any other `Tensor` attribute that
requires grad when it is set (it stays one when frozen later with `requires_grad =
False`); any other `Tensor` attribute is a buffer (`register_buffer` makes one
explicitly, also non-persistent ones that stay out of `state_dict()`); a `Module`
attribute is a submodule, and so is every Module inside a list or tuple attribute
(named by its position) and every Module held by a container (`Sequential`,
`ModuleList`, `ModuleDict`). Names are dotted paths, as in PyTorch: `layers.0.weight`.
`state_dict()` holds every parameter, frozen or not, and every persistent buffer, in
PyTorch's order (per module its parameters, then its buffers, then its children's).
"""
from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable, Iterator
from typing import Any, NamedTuple

import numpy as np

from .. import engine as _engine
from ..autograd import clear_grads
from ..engine import Tensor, no_grad
from ..errors import ArgumentError, DTypeError, ModuleError, ShapeError, StateDictError
from .parameter import Parameter

__all__ = ["Module", "IncompatibleKeys", "StateDictError"]


def _size(value: Any, what: str, where: str) -> int:
    """value as a layer size: an integer >= 1 (bools and floats such as 2.7 or 2.0 are refused)."""
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, np.integer)) or value < 1:
        raise ShapeError(f"{where}: {what} must be an integer >= 1, got {value!r}; "
                         "pass whole positive numbers of features")
    return int(value)


def _as_tensor(x: Any, dtype: Any = None) -> Tensor:
    """x itself if a Tensor; else a Tensor of it: a floating array keeps its dtype (float32
    data stays float32), Python floats get the default float (see set_default_dtype) and
    anything else (ints) gets `dtype`, the default float if None."""
    if isinstance(x, Tensor):
        return x
    a = np.asarray(x)
    if a.dtype.kind == "f":
        return Tensor(a if isinstance(x, (np.ndarray, np.generic)) else _engine._default_for(a))
    return Tensor(a.astype(_engine._default_float if dtype is None else dtype))


def _float_dtype(dtype: Any, where: str) -> np.dtype:
    """dtype as a numpy floating dtype, or DTypeError (modules hold floats, as in PyTorch)."""
    try:
        dt = np.dtype(dtype)
    except TypeError:
        raise DTypeError(f"{where}: cannot read {dtype!r} as a dtype; pass np.float32, "
                         "np.float64, micrograd.float32 or a name such as 'float32'") from None
    if dt.kind != "f":
        raise DTypeError(f"{where}: modules hold floating-point parameters, so the dtype must be "
                         f"floating (float32 or float64), got {dt}")
    return dt


def _check_name(name: Any, what: str, where: str) -> str:
    """name as a new attribute name for a child, buffer or parameter (PyTorch's rules)."""
    if not isinstance(name, str):
        raise ModuleError(f"{where}: the {what} name must be a string, got {type(name).__name__}")
    if not name or "." in name:
        raise ArgumentError(f"{where}: the {what} name must be a non-empty string without '.' "
                            f"(dots separate the levels of qualified names), got {name!r}")
    return name


class IncompatibleKeys(NamedTuple):
    """What load_state_dict(strict=False) could not match: PyTorch's `_IncompatibleKeys`."""
    missing_keys: list[str]
    unexpected_keys: list[str]

    def __repr__(self) -> str:
        if not self.missing_keys and not self.unexpected_keys:
            return "<All keys matched successfully>"
        return (f"IncompatibleKeys(missing_keys={self.missing_keys}, "
                f"unexpected_keys={self.unexpected_keys})")


class Module:
    """Base class: subclasses set parameters and submodules as attributes and define forward()."""

    training: bool = True

    def __setattr__(self, key: str, value: Any) -> None:
        # Remember which attributes were parameters when set, so that freezing one later
        # (requires_grad = False) does not turn it into a buffer or drop it from state_dict().
        if isinstance(value, Parameter) or (
                isinstance(value, Tensor) and value.requires_grad
                and key not in self.__dict__.get("_buffer_names", ())):
            self.__dict__.setdefault("_parameter_names", set()).add(key)
            self.__dict__.get("_buffer_names", set()).discard(key)
        super().__setattr__(key, value)

    def __delattr__(self, key: str) -> None:
        for kind in ("_parameter_names", "_buffer_names", "_non_persistent"):
            self.__dict__.get(kind, set()).discard(key)
        super().__delattr__(key)

    def forward(self, *args: Any, **kwargs: Any) -> Tensor:
        raise NotImplementedError(f"{type(self).__name__} does not define forward()")

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return self.forward(*args, **kwargs)

    # -- registration (optional: setting an attribute does the same) ----------------
    def add_module(self, name: str, module: Module | None) -> None:
        """Add a child module as attribute `name` (PyTorch's add_module)."""
        where = f"{type(self).__name__}.add_module"
        _check_name(name, "module", where)
        if module is not None and not isinstance(module, Module):
            raise ModuleError(f"{where}: {type(module).__name__} is not a Module subclass")
        old = self.__dict__.get(name)
        if name in self.__dict__ and not isinstance(old, Module) and old is not None:
            raise ArgumentError(f"{where}: attribute {name!r} already exists and is not a "
                                "module; pick another name")
        self._set_child(name, module)

    register_module = add_module

    def _set_child(self, name: str, module: Module | None) -> None:
        setattr(self, name, module)

    def register_buffer(self, name: str, tensor: Tensor | None, persistent: bool = True) -> None:
        """Add a Tensor that is state but not a parameter (running statistics, a fixed
        mask); a non-persistent buffer stays out of state_dict()."""
        where = f"{type(self).__name__}.register_buffer"
        _check_name(name, "buffer", where)
        if tensor is not None and not isinstance(tensor, Tensor):
            raise ModuleError(f"{where}: cannot make a {type(tensor).__name__} the buffer "
                              f"{name!r}; a Tensor or None is required")
        if name in self.__dict__.get("_parameter_names", ()):
            raise ArgumentError(f"{where}: {name!r} is already a parameter of this module")
        object.__setattr__(self, name, tensor)  # not __setattr__: it would register a parameter
        self.__dict__.setdefault("_buffer_names", set()).add(name)
        non_persistent = self.__dict__.setdefault("_non_persistent", set())
        if persistent:
            non_persistent.discard(name)
        else:
            non_persistent.add(name)

    def register_parameter(self, name: str, param: Parameter | None) -> None:
        """Add a Parameter (or an empty None slot) as attribute `name`."""
        where = f"{type(self).__name__}.register_parameter"
        _check_name(name, "parameter", where)
        if param is not None and not isinstance(param, Parameter):
            raise ModuleError(f"{where}: cannot make a {type(param).__name__} the parameter "
                              f"{name!r}; wrap it: nn.Parameter(tensor)")
        setattr(self, name, param)

    # -- discovery ------------------------------------------------------------
    def named_children(self) -> Iterator[tuple[str, Module]]:
        """The direct submodules, in attribute order; list/tuple items are named by index."""
        for key, value in vars(self).items():
            if isinstance(value, Module):
                yield key, value
            elif isinstance(value, (list, tuple)):
                for k, item in enumerate(value):
                    if isinstance(item, Module):
                        yield f"{key}.{k}", item

    def children(self) -> Iterator[Module]:
        """The direct submodules, each once."""
        seen: set[int] = set()
        for _, m in self.named_children():
            if id(m) not in seen:
                seen.add(id(m))
                yield m

    def named_modules(self, memo: set[int] | None = None, prefix: str = "",
                      remove_duplicate: bool = True) -> Iterator[tuple[str, Module]]:
        """This module and every submodule below it, depth first; one found twice (the same
        object at two places) is listed once unless remove_duplicate=False."""
        if memo is None:
            memo = set()
        if remove_duplicate:
            if id(self) in memo:
                return
            memo.add(id(self))
        yield prefix, self
        for name, child in self.named_children():
            yield from child.named_modules(memo, f"{prefix}.{name}" if prefix else name,
                                           remove_duplicate)

    def modules(self) -> Iterator[Module]:
        for _, m in self.named_modules():
            yield m

    def _named_tensors(self, prefix: str = "", remove_duplicate: bool = True,
                       persistent_only: bool = False) -> Iterator[tuple[str, Tensor, bool]]:
        """(qualified name, tensor, is a parameter) for every Tensor attribute: per module its
        parameters, then its buffers (PyTorch's order); a shared tensor once unless
        remove_duplicate=False (state_dict lists it under every name, as PyTorch's does)."""
        seen: set[int] = set()
        for mod_name, mod in self.named_modules(prefix=prefix, remove_duplicate=remove_duplicate):
            attrs = vars(mod)
            registered = attrs.setdefault("_parameter_names", set())
            buffers = attrs.get("_buffer_names", ())
            skip = attrs.get("_non_persistent", ()) if persistent_only else ()
            params: list[tuple[str, Tensor, bool]] = []
            bufs: list[tuple[str, Tensor, bool]] = []
            for key, value in attrs.items():
                if not isinstance(value, Tensor) or key in skip:
                    continue
                if remove_duplicate:
                    if id(value) in seen:
                        continue
                    seen.add(id(value))
                if key not in buffers and value.requires_grad:
                    registered.add(key)  # made trainable after it was set: a parameter from now on
                is_parameter = isinstance(value, Parameter) or key in registered
                name = f"{mod_name}.{key}" if mod_name else key
                (params if is_parameter else bufs).append((name, value, is_parameter))
            yield from params
            yield from bufs

    def named_parameters(self, prefix: str = "", include_frozen: bool = False
                         ) -> Iterator[tuple[str, Tensor]]:
        """(qualified name, tensor) for every trainable parameter (also frozen ones if
        include_frozen, as PyTorch's named_parameters lists them); sets each tensor's `.name`."""
        for name, value, is_parameter in self._named_tensors(prefix):
            if is_parameter and (include_frozen or value.requires_grad):
                value.name = name
                yield name, value

    def parameters(self, include_frozen: bool = False) -> list[Tensor]:
        """The trainable parameters (what an optimizer takes); include_frozen adds frozen ones."""
        return [p for _, p in self.named_parameters(include_frozen=include_frozen)]

    def named_buffers(self, prefix: str = "") -> Iterator[tuple[str, Tensor]]:
        """(qualified name, tensor) for every Tensor attribute that is not a parameter."""
        for name, value, is_parameter in self._named_tensors(prefix):
            if not is_parameter:
                yield name, value

    def buffers(self) -> Iterator[Tensor]:
        for _, b in self.named_buffers():
            yield b

    def num_parameters(self) -> int:
        return sum(p.numel() for p in self.parameters())

    # -- training helpers -----------------------------------------------------
    def zero_grad(self, set_to_none: bool = True) -> None:
        """Forget every parameter's gradient: .grad = None, or with set_to_none=False an
        array of zeros for each parameter that has a gradient (PyTorch's two behaviours)."""
        clear_grads(self.parameters(include_frozen=True), set_to_none)

    def requires_grad_(self, requires_grad: bool = True) -> Module:
        """Freeze (False) or unfreeze (True) every parameter, frozen ones included."""
        for p in self.parameters(include_frozen=True):
            p.requires_grad_(requires_grad)
        return self

    def apply(self, fn: Callable[[Module], Any]) -> Module:
        """fn(m) for every submodule m, children first, then this module (e.g. to initialize)."""
        for child in self.children():
            child.apply(fn)
        fn(self)
        return self

    def train(self, mode: bool = True) -> Module:
        for m in self.modules():
            m.training = mode
        return self

    def eval(self) -> Module:
        return self.train(False)

    # -- dtype and device ---------------------------------------------------------
    def to(self, *args: Any, dtype: Any = None, device: Any = None,
           non_blocking: bool = False) -> Module:
        """Convert the floating parameters and buffers to `dtype` in place; to(dtype),
        to('cpu'), to(tensor) (its dtype) and to(device=, dtype=) are accepted."""
        for a in args:
            if isinstance(a, Tensor):
                dtype = a.dtype
            elif _engine._is_device(a):
                device = a
            else:
                dtype = a
        _engine._check_device(f"{type(self).__name__}.to", device)
        return self if dtype is None else self._cast(dtype, f"{type(self).__name__}.to")

    def float(self) -> Module:
        """Every floating parameter and buffer as float32, in place."""
        return self._cast(np.float32, f"{type(self).__name__}.float")

    def double(self) -> Module:
        """Every floating parameter and buffer as float64, in place."""
        return self._cast(np.float64, f"{type(self).__name__}.double")

    def cpu(self) -> Module:
        return self

    def _cast(self, dtype: Any, where: str) -> Module:
        dt = _float_dtype(dtype, where)
        for _, t, _ in self._named_tensors():
            if t.dtype.kind == "f" and t.dtype != dt:
                # The same tensor objects (optimizers hold them) get new storage through the
                # `data` setter, which counts as an in-place change: a graph recorded with
                # the old values refuses to backward, rather than mix the two dtypes.
                t.data = t.data.astype(dt)
                if t.grad is not None:
                    t.grad = np.asarray(t.grad).astype(dt)
        return self

    # -- weights in and out ---------------------------------------------------
    def state_dict(self) -> OrderedDict[str, np.ndarray]:
        """A copy of every parameter's (frozen or not) and persistent buffer's array, by
        qualified name; a tensor held at two places is listed under both names (PyTorch's)."""
        return OrderedDict((n, np.array(t.data, copy=True))
                           for n, t, _ in self._named_tensors(remove_duplicate=False,
                                                              persistent_only=True))

    def load_state_dict(self, state_dict: Any, strict: bool = True) -> IncompatibleKeys:
        """Copy arrays into the parameters and persistent buffers; returns the named tuple
        (missing_keys, unexpected_keys).

        With strict=True (the default) every name must match; with strict=False names the
        model lacks or the file lacks are only reported in the returned tuple. Shapes
        must match in both cases, as in PyTorch. Everything is checked before anything is
        written, so a StateDictError leaves the model as it was. Values are cast to each
        tensor's dtype only when numpy counts the cast as "same_kind" (int or float into
        float, float64 into float32, never text, complex or float into int) and only if
        they stay finite.
        """
        where = type(self).__name__
        state = state_dict
        if not hasattr(state, "keys") or not hasattr(state, "__getitem__"):
            raise StateDictError(f"{where}.load_state_dict: expected a mapping of names to arrays "
                                 f"(what state_dict() returns), got a {type(state).__name__}")
        tensors = {n: t for n, t, _ in self._named_tensors(remove_duplicate=False,
                                                           persistent_only=True)}
        problems = []
        missing = [n for n in tensors if n not in state]
        unexpected = [str(n) for n in state.keys() if n not in tensors]
        if strict and missing:
            problems.append("missing from the file: " + ", ".join(missing))
        if strict and unexpected:
            problems.append("in the file but not in the model: " + ", ".join(unexpected))
        values: dict[str, np.ndarray] = {}
        for n, t in tensors.items():
            if n not in state:
                continue
            value, problem = _checked_value(n, state[n], t)
            if value is None:
                problems.append(str(problem))
            else:
                values[n] = value
        if problems:
            raise StateDictError(f"{where}.load_state_dict: the weights do not fit the model; "
                                 + "; ".join(problems))
        # Through the tensors' own in-place copy, so that their version counters see the change.
        with no_grad():
            for n, value in values.items():
                tensors[n].copy_(value)
        return IncompatibleKeys(missing, unexpected)

    def save(self, path: Any) -> None:
        from .serialization import save
        save(self, path)

    def load(self, path: Any) -> Module:
        from .serialization import load
        return load(self, path)

    # -- display --------------------------------------------------------------
    def extra_repr(self) -> str:
        return ""

    def __repr__(self) -> str:
        children = list(self.named_children())
        extra = self.extra_repr()
        if not children:
            return f"{type(self).__name__}({extra})"
        # PyTorch's layout: the options on their own line, then one line per child.
        lines = [f"{type(self).__name__}("] + ([f"  {extra}"] if extra else [])
        for name, child in children:
            body = repr(child).replace("\n", "\n  ")
            lines.append(f"  ({name.rsplit('.', 1)[-1]}): {body}")
        return "\n".join(lines) + "\n)"


def _checked_value(name: str, raw: Any, t: Tensor) -> tuple[np.ndarray | None, str | None]:
    """(raw as an array of t's dtype, None) if it can be loaded into t, else (None, the fault)."""
    try:
        value = np.asarray(raw.data if isinstance(raw, Tensor) else raw)
    except (ValueError, TypeError) as e:  # e.g. a ragged nested list
        return None, f"{name}: not an array ({e})"
    if value.dtype.kind not in "biuf" or not np.can_cast(value.dtype, t.dtype, casting="same_kind"):
        return None, (f"{name}: the file holds dtype {value.dtype}, which cannot be cast safely to "
                      f"the model's {t.dtype}")
    if value.shape != t.shape:
        return None, f"{name}: the model has shape {t.shape}, the file {value.shape}"
    if value.dtype.kind == "f" and not np.isfinite(value).all():
        bad = int(np.count_nonzero(~np.isfinite(value)))
        return None, (f"{name}: {bad} value(s) are nan or inf (saved from a model that diverged?); "
                      "refusing to load them")
    with np.errstate(over="ignore"):  # overflow is reported below, by name
        cast = value.astype(t.dtype)
    if cast.dtype.kind == "f" and not np.isfinite(cast).all():
        return None, (f"{name}: values up to {np.abs(value).max():.4g} overflow the model's "
                      f"{t.dtype}")
    return cast, None
