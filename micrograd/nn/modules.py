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
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from typing import Any, ClassVar, NamedTuple

import numpy as np

from .. import engine as _engine
from ..creation import as_generator
from ..engine import Tensor, no_grad
from ..errors import ArgumentError, DTypeError, ModuleError, ShapeError, StateDictError
from ..ops import FusedLinear
from . import functional as F
from .parameter import Parameter

__all__ = ["Module", "Linear", "Tanh", "ReLU", "Sigmoid", "LeakyReLU", "GELU", "Sequential", "MLP",
           "StateDictError",
           "Parameter", "IncompatibleKeys"]


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


def _check_device(device: Any, where: str) -> None:
    """Accept PyTorch code's device=None / 'cpu'; refuse any other device by name."""
    if device is not None and str(device) != "cpu":
        raise ArgumentError(f"{where}: micrograd computes on the CPU with numpy, so the only "
                            f"device is 'cpu', got {device!r}")


def _is_device(value: Any) -> bool:
    name = str(value).split(":")[0]
    return (hasattr(value, "type") and hasattr(value, "index")) or (
        isinstance(value, str) and name in ("cpu", "cuda", "mps", "meta", "xpu"))


def _check_name(module: Module, name: Any, what: str, where: str) -> str:
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
        _check_name(self, name, "module", where)
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
        _check_name(self, name, "buffer", where)
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
        _check_name(self, name, "parameter", where)
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
        for p in self.parameters(include_frozen=True):
            if set_to_none:
                p.grad = None
            elif p.grad is not None:
                p.grad = np.zeros_like(p.grad)  # a fresh array: nothing else may hold the old one

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
            elif _is_device(a):
                device = a
            else:
                dtype = a
        _check_device(device, f"{type(self).__name__}.to")
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


class Linear(Module):
    """y = x Wᵀ + b, W of shape (out, in); W and b start as U(-1/√in, 1/√in), as in PyTorch.

    The input must have the layer's dtype (dtype=, else the default float: float64 unless
    set_default_dtype changed it): a float32 input to a float64 layer is refused, as
    PyTorch refuses it, rather than computed in float64 behind the caller's back. Arrays
    and lists that are not floating become the layer's dtype.
    """

    def __init__(self, in_features: int, out_features: int, bias: bool = True,
                 seed: int | None = None, generator: np.random.Generator | None = None,
                 dtype: Any = None, device: Any = None):
        in_features = _size(in_features, "in_features", "Linear")
        out_features = _size(out_features, "out_features", "Linear")
        _check_device(device, "Linear")
        dt = _float_dtype(_engine._default_float if dtype is None else dtype, "Linear")
        self.in_features, self.out_features = in_features, out_features
        # Drawn here rather than by reset_parameters(), so that a new layer's tensors start
        # at version 0 (W first, then b: the draws of earlier versions, seed for seed).
        rng = as_generator(seed, generator)
        bound = 1.0 / np.sqrt(in_features)
        self.weight = Parameter(rng.uniform(-bound, bound, (out_features, in_features)).astype(dt))
        self.bias = Parameter(rng.uniform(-bound, bound, out_features).astype(dt)) if bias else None
        self.weight.name = "weight"
        if self.bias is not None:
            self.bias.name = "bias"

    def reset_parameters(self, generator: np.random.Generator | None = None) -> None:
        """Draw W and b again from U(-1/√in, 1/√in) (PyTorch's kaiming_uniform_ with a=√5)."""
        rng = as_generator(None, generator)
        bound = 1.0 / np.sqrt(self.in_features)
        with no_grad():
            for p in (self.weight, self.bias):
                if p is not None:
                    p.copy_(rng.uniform(-bound, bound, p.shape).astype(p.dtype))

    def forward(self, x: Any) -> Tensor:
        x = _as_tensor(x, self.weight.dtype)
        if x.ndim == 0 or x.shape[-1] != self.in_features:
            raise ShapeError(f"Linear({self.in_features} -> {self.out_features}): expected inputs "
                             f"with {self.in_features} features (last axis), got shape {x.shape}")
        if x.dtype != self.weight.dtype:
            raise DTypeError(f"Linear({self.in_features} -> {self.out_features}): the input has "
                             f"dtype {x.dtype} but the layer's weights {self.weight.dtype} "
                             "(PyTorch refuses this too); convert one of them: x.double() / "
                             "x.float(), or model.double() / model.float() / model.to(x.dtype)")
        # Checked above with the layer's own sizes in the message, so go straight to the op.
        if self.bias is None:
            return FusedLinear.apply(x, self.weight)
        return FusedLinear.apply(x, self.weight, self.bias)

    def extra_repr(self) -> str:
        return f"{self.in_features} -> {self.out_features}, bias={self.bias is not None}"


class _Elementwise(Module):
    """y = fn(x), elementwise, with fn a Tensor method such as Tensor.tanh."""
    fn: ClassVar[Callable[[Tensor], Tensor]]

    def forward(self, x: Any) -> Tensor:
        return type(self).fn(_as_tensor(x))


class Tanh(_Elementwise):
    """y = tanh x"""
    fn = Tensor.tanh


class ReLU(_Elementwise):
    """y = max(x, 0); `inplace` is accepted for PyTorch code and changes nothing (the
    result is always a new tensor with the same values)."""
    fn = Tensor.relu

    def __init__(self, inplace: bool = False):
        self.inplace = inplace


class Sigmoid(_Elementwise):
    """y = 1 / (1 + e⁻ˣ)"""
    fn = Tensor.sigmoid


class LeakyReLU(Module):
    """y = x if x > 0 else negative_slope · x"""

    def __init__(self, negative_slope: float = 0.01, inplace: bool = False):
        self.negative_slope, self.inplace = negative_slope, inplace

    def forward(self, x: Any) -> Tensor:
        return F.leaky_relu(x, self.negative_slope)

    def extra_repr(self) -> str:
        return f"negative_slope={self.negative_slope}"


class GELU(Module):
    """y = x Φ(x) = ½ x (1 + erf(x/√2));
    approximate='tanh': y = ½ x (1 + tanh(√(2/π)(x + 0.044715 x³)))."""

    def __init__(self, approximate: str = "none"):
        if approximate not in ("none", "tanh"):
            raise ArgumentError(f"GELU: approximate must be 'none' or 'tanh', got {approximate!r}")
        self.approximate = approximate

    def forward(self, x: Any) -> Tensor:
        return F.gelu(x, self.approximate)

    def extra_repr(self) -> str:
        return f"approximate={self.approximate!r}"



# ----------------------------------------------------------------- containers


def _check_module(m: Any, where: str, what: str) -> Module:
    if not isinstance(m, Module):
        raise ModuleError(f"{where}: {what} is a {type(m).__name__}, not a Module; wrap "
                          "functions in a Module subclass")
    return m


class _Container(Module):
    """A module whose children sit in `_items` (name → module), in order, as PyTorch's
    `_modules`; attributes set on a subclass are found as on any Module."""
    _items: dict[str, Module]

    def _fill(self, items: Iterable[tuple[str, Any]]) -> None:
        self.__dict__["_items"] = {}  # not an attribute the discovery walks: no double counting
        for name, m in items:
            self._items[name] = _check_module(m, type(self).__name__, f"item {name!r}")

    def named_children(self) -> Iterator[tuple[str, Module]]:
        yield from self._items.items()
        yield from super().named_children()

    def _set_child(self, name: str, module: Module | None) -> None:
        if module is None:
            raise ModuleError(f"{type(self).__name__}.add_module: a container holds modules, "
                              "not None")
        self._items[name] = module

    def __len__(self) -> int:
        return len(self._items)

    def _index(self, idx: Any) -> int:
        """idx as a position in [0, len), negatives counted from the end (list rules)."""
        n = len(self._items)
        if isinstance(idx, (bool, np.bool_)) or not isinstance(idx, (int, np.integer)):
            raise ModuleError(f"{type(self).__name__}: indices must be integers or slices, "
                              f"not {type(idx).__name__}")
        if not -n <= idx < n:
            raise IndexError(f"{type(self).__name__}: index {idx} is out of range for "
                             f"{n} modules")
        return int(idx) % n

    def _renumber(self, modules: Iterable[Module]) -> None:
        self.__dict__["_items"] = {str(i): m for i, m in enumerate(modules)}

    def __delitem__(self, idx: int | slice) -> None:
        mods = list(self._items.values())
        if isinstance(idx, slice):
            del mods[idx]
        else:
            del mods[self._index(idx)]
        self._renumber(mods)  # keep 0, 1, 2, ... as PyTorch does after a deletion


class Sequential(_Container):
    """y = fₖ(… f₂(f₁(x))): applies its modules in order; they are named 0, 1, 2, …, or by
    the keys of an OrderedDict: Sequential(OrderedDict(fc=Linear(2, 3), act=ReLU()))."""

    def __init__(self, *modules: Any):
        if len(modules) == 1 and isinstance(modules[0], OrderedDict):
            self._fill(modules[0].items())
        else:
            if len(modules) == 1 and isinstance(modules[0], Mapping):
                raise ModuleError("Sequential: named modules must come as an OrderedDict "
                                  "(PyTorch's rule), got a plain "
                                  f"{type(modules[0]).__name__}")
            self._fill((str(i), m) for i, m in enumerate(modules))
        list(self.named_parameters())  # walk it: it names the parameters 0.weight, ...

    def __getitem__(self, idx: int | slice) -> Any:
        if isinstance(idx, slice):  # keeps the names, as PyTorch's slice does
            return Sequential(OrderedDict(list(self._items.items())[idx]))
        return list(self._items.values())[self._index(idx)]

    def __setitem__(self, idx: int, module: Module) -> None:
        key = list(self._items)[self._index(idx)]
        self._items[key] = _check_module(module, "Sequential", f"item {key!r}")

    def __iter__(self) -> Iterator[Module]:
        return iter(list(self._items.values()))

    def append(self, module: Module) -> Sequential:
        self._items[str(len(self._items))] = _check_module(module, "Sequential.append", "it")
        return self

    def extend(self, modules: Iterable[Module]) -> Sequential:
        for m in modules:
            self.append(m)
        return self

    def insert(self, index: int, module: Module) -> Sequential:
        mods = list(self._items.values())
        mods.insert(index, _check_module(module, "Sequential.insert", "it"))
        self._renumber(mods)
        return self

    def forward(self, x: Any) -> Any:
        for m in self._items.values():
            x = m(x)
        return x


_ACTIVATIONS: dict[str, type[Module]] = {"tanh": Tanh, "relu": ReLU, "sigmoid": Sigmoid,
                                         "leaky_relu": LeakyReLU, "gelu": GELU}


class MLP(Module):
    """A stack of Linear layers with an activation between them (none after the last).

    MLP([2, 10, 2]) is the lab's network: x → Linear(2, 10) → tanh → Linear(10, 2) → logits.
    Its state_dict keys are layers.0.weight, layers.0.bias, layers.2.weight, ...: those of a
    PyTorch module whose attribute `layers` is nn.Sequential(Linear(2, 10), Tanh(),
    Linear(10, 2)); `mlp.layers.state_dict()` has the keys of that Sequential itself.
    """

    def __init__(self, sizes: Sequence[int], activation: str = "tanh", seed: int | None = None,
                 generator: np.random.Generator | None = None, dtype: Any = None):
        if isinstance(sizes, (str, bytes)) or not hasattr(sizes, "__len__"):
            raise ShapeError("MLP: sizes must be a list of layer widths such as [2, 10, 2], "
                             f"got {sizes!r}")
        sizes = [_size(s, f"sizes[{k}]", f"MLP({list(sizes)})") for k, s in enumerate(sizes)]
        if len(sizes) < 2:
            raise ShapeError(f"MLP: needs at least an input and an output size, got {sizes}")
        if activation not in _ACTIVATIONS:
            raise ArgumentError(f"MLP: unknown activation {activation!r}; choose one of "
                                f"{sorted(_ACTIVATIONS)}")
        dt = _float_dtype(_engine._default_float if dtype is None else dtype, "MLP")
        rng = as_generator(seed, generator)
        layers: list[Module] = []
        for k, (n_in, n_out) in enumerate(zip(sizes[:-1], sizes[1:], strict=True)):
            if k:
                layers.append(_ACTIVATIONS[activation]())
            layers.append(Linear(n_in, n_out, generator=rng, dtype=dt))
        self.sizes, self.activation = sizes, activation
        self.layers = Sequential(*layers)
        list(self.named_parameters())  # walk it: it gives the parameters their qualified names

    @property
    def in_features(self) -> int:
        return self.sizes[0]

    @property
    def out_features(self) -> int:
        return self.sizes[-1]

    def forward(self, x: Any) -> Tensor:
        return self.layers(x)

    def extra_repr(self) -> str:
        return f"{self.sizes}, activation={self.activation!r}"
