"""Modules: objects that hold parameters and map tensors to tensors.

A `Module` finds its parameters and submodules by looking at its own attributes:
a `Tensor` attribute that requires grad when it is set is a parameter (and stays one
when it is frozen later with `requires_grad = False`), any other `Tensor` attribute is a
buffer, a `Module` attribute is a submodule, and so is every Module inside a list or
tuple attribute (named by its position). Names are dotted paths, as in PyTorch:
`layers.0.weight`. `state_dict()` holds every parameter, frozen or not, and every buffer.
"""
from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable, Iterator, Sequence
from typing import Any, ClassVar

import numpy as np

from ..creation import as_generator
from ..engine import Tensor, no_grad
from ..errors import ArgumentError, ShapeError, StateDictError
from ..ops import FusedLinear

__all__ = ["Module", "Linear", "Tanh", "ReLU", "Sigmoid", "Sequential", "MLP", "StateDictError"]


def _size(value: Any, what: str, where: str) -> int:
    """value as a layer size: an integer >= 1 (bools and floats such as 2.7 or 2.0 are refused)."""
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, np.integer)) or value < 1:
        raise ShapeError(f"{where}: {what} must be an integer >= 1, got {value!r}; "
                         "pass whole positive numbers of features")
    return int(value)


def _as_tensor(x: Any) -> Tensor:
    return x if isinstance(x, Tensor) else Tensor(np.asarray(x, dtype=np.float64))


class Module:
    """Base class: subclasses set parameters and submodules as attributes and define forward()."""

    training: bool = True

    def __setattr__(self, key: str, value: Any) -> None:
        # Remember which attributes were parameters when set, so that freezing one later
        # (requires_grad = False) does not turn it into a buffer or drop it from state_dict().
        if isinstance(value, Tensor) and value.requires_grad:
            self.__dict__.setdefault("_parameter_names", set()).add(key)
        super().__setattr__(key, value)

    def forward(self, *args: Any, **kwargs: Any) -> Tensor:
        raise NotImplementedError(f"{type(self).__name__} does not define forward()")

    def __call__(self, *args: Any, **kwargs: Any) -> Tensor:
        return self.forward(*args, **kwargs)

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

    def named_modules(self, prefix: str = "") -> Iterator[tuple[str, Module]]:
        """This module and every submodule below it, depth first."""
        yield prefix, self
        for name, child in self.named_children():
            yield from child.named_modules(f"{prefix}.{name}" if prefix else name)

    def modules(self) -> Iterator[Module]:
        for _, m in self.named_modules():
            yield m

    def _named_tensors(self, prefix: str = "") -> Iterator[tuple[str, Tensor, bool]]:
        """(qualified name, tensor, is a parameter) for every Tensor attribute, shared ones once."""
        seen: set[int] = set()
        for mod_name, mod in self.named_modules(prefix):
            registered = vars(mod).setdefault("_parameter_names", set())
            for key, value in vars(mod).items():
                if not isinstance(value, Tensor) or id(value) in seen:
                    continue
                seen.add(id(value))
                if value.requires_grad:  # made trainable after it was set: a parameter from now on
                    registered.add(key)
                yield (f"{mod_name}.{key}" if mod_name else key), value, key in registered

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

    def num_parameters(self) -> int:
        return sum(p.size for p in self.parameters())

    # -- training helpers -----------------------------------------------------
    def zero_grad(self) -> None:
        for p in self.parameters():
            p.grad = None

    def train(self, mode: bool = True) -> Module:
        for m in self.modules():
            m.training = mode
        return self

    def eval(self) -> Module:
        return self.train(False)

    # -- weights in and out ---------------------------------------------------
    def state_dict(self) -> OrderedDict[str, np.ndarray]:
        """A copy of every parameter's (frozen or not) and buffer's array, by qualified name."""
        return OrderedDict((n, np.array(t.data, copy=True)) for n, t, _ in self._named_tensors())

    def load_state_dict(self, state: Any) -> None:
        """Copy arrays into every parameter and buffer; names and shapes must match exactly.

        Everything is checked before anything is written, so a StateDictError leaves the
        model as it was. Values are cast to each tensor's dtype only when numpy counts the
        cast as "same_kind" (int or float into float, float64 into float32, never text,
        complex or float into int) and only if they stay finite.
        """
        where = type(self).__name__
        if not hasattr(state, "keys") or not hasattr(state, "__getitem__"):
            raise StateDictError(f"{where}.load_state_dict: expected a mapping of names to arrays "
                                 f"(what state_dict() returns), got a {type(state).__name__}")
        tensors = {n: t for n, t, _ in self._named_tensors()}
        problems = []
        missing = [n for n in tensors if n not in state]
        unexpected = [str(n) for n in state.keys() if n not in tensors]
        if missing:
            problems.append("missing from the file: " + ", ".join(missing))
        if unexpected:
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
            for n, t in tensors.items():
                t.copy_(values[n])

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
        head = f"{type(self).__name__}({self.extra_repr()}"
        if not children:
            return head + ")"
        lines = [head]
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
    """y = x Wᵀ + b, W of shape (out, in); W and b start as U(-1/√in, 1/√in), as in PyTorch."""

    def __init__(self, in_features: int, out_features: int, bias: bool = True,
                 seed: int | None = None, generator: np.random.Generator | None = None,
                 dtype: Any = np.float64):
        in_features = _size(in_features, "in_features", "Linear")
        out_features = _size(out_features, "out_features", "Linear")
        self.in_features, self.out_features = in_features, out_features
        rng = as_generator(seed, generator)
        bound = 1.0 / np.sqrt(in_features)
        self.weight = Tensor(rng.uniform(-bound, bound, (out_features, in_features)).astype(dtype),
                             requires_grad=True, name="weight")
        self.bias = (Tensor(rng.uniform(-bound, bound, out_features).astype(dtype),
                            requires_grad=True, name="bias") if bias else None)

    def forward(self, x: Any) -> Tensor:
        x = _as_tensor(x)
        if x.ndim == 0 or x.shape[-1] != self.in_features:
            raise ShapeError(f"Linear({self.in_features} -> {self.out_features}): expected inputs "
                             f"with {self.in_features} features (last axis), got shape {x.shape}")
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
    """y = max(x, 0)"""
    fn = Tensor.relu


class Sigmoid(_Elementwise):
    """y = 1 / (1 + e⁻ˣ)"""
    fn = Tensor.sigmoid


class Sequential(Module):
    """y = fₖ(… f₂(f₁(x))): applies its modules in order; they are named 0, 1, 2, …"""
    _items: list[Module]

    def __init__(self, *modules: Module):
        for i, m in enumerate(modules):
            if not isinstance(m, Module):
                raise TypeError(f"Sequential: item {i} is a {type(m).__name__}, not a Module")
        self.__dict__["_items"] = list(modules)
        list(self.named_parameters())  # walk it: it names the parameters 0.weight, ...

    def named_children(self) -> Iterator[tuple[str, Module]]:
        for i, m in enumerate(self._items):
            yield str(i), m

    def __getitem__(self, i: int) -> Module:
        return self._items[i]

    def __len__(self) -> int:
        return len(self._items)

    def __iter__(self) -> Iterator[Module]:
        return iter(self._items)

    def forward(self, x: Any) -> Tensor:
        for m in self._items:
            x = m(x)
        return x


_ACTIVATIONS: dict[str, type[Module]] = {"tanh": Tanh, "relu": ReLU, "sigmoid": Sigmoid}


class MLP(Module):
    """A stack of Linear layers with an activation between them (none after the last).

    MLP([2, 10, 2]) is the lab's network: x → Linear(2, 10) → tanh → Linear(10, 2) → logits.
    """

    def __init__(self, sizes: Sequence[int], activation: str = "tanh", seed: int | None = None,
                 generator: np.random.Generator | None = None):
        if isinstance(sizes, (str, bytes)) or not hasattr(sizes, "__len__"):
            raise ShapeError("MLP: sizes must be a list of layer widths such as [2, 10, 2], "
                             f"got {sizes!r}")
        sizes = [_size(s, f"sizes[{k}]", f"MLP({list(sizes)})") for k, s in enumerate(sizes)]
        if len(sizes) < 2:
            raise ShapeError(f"MLP: needs at least an input and an output size, got {sizes}")
        if activation not in _ACTIVATIONS:
            raise ArgumentError(f"MLP: unknown activation {activation!r}; choose one of "
                                f"{sorted(_ACTIVATIONS)}")
        rng = as_generator(seed, generator)
        layers: list[Module] = []
        for k, (n_in, n_out) in enumerate(zip(sizes[:-1], sizes[1:], strict=True)):
            if k:
                layers.append(_ACTIVATIONS[activation]())
            layers.append(Linear(n_in, n_out, generator=rng))
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
