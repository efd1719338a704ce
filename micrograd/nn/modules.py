"""Modules: objects that hold parameters and map tensors to tensors.

A `Module` finds its parameters and submodules by looking at its own attributes:
a `Tensor` attribute that requires grad is a parameter, a `Module` attribute is a
submodule, and so is every Module inside a list or tuple attribute (named by its
position). Names are dotted paths, as in PyTorch: `layers.0.weight`.
"""
from __future__ import annotations

from collections import OrderedDict
from typing import Any, Callable, Iterator, Sequence

import numpy as np

from ..creation import as_generator
from ..engine import MicrogradError, ShapeError, Tensor
from . import functional as F

__all__ = ["Module", "Linear", "Tanh", "ReLU", "Sigmoid", "Sequential", "MLP", "StateDictError"]


class StateDictError(MicrogradError, ValueError):
    """Saved weights whose names or shapes do not match the model."""


def _as_tensor(x: Any) -> Tensor:
    return x if isinstance(x, Tensor) else Tensor(np.asarray(x, dtype=np.float64))


class Module:
    """Base class: subclasses set parameters and submodules as attributes and define forward()."""

    training: bool = True

    def forward(self, *args: Any, **kwargs: Any) -> Tensor:
        raise NotImplementedError(f"{type(self).__name__} does not define forward()")

    def __call__(self, *args: Any, **kwargs: Any) -> Tensor:
        return self.forward(*args, **kwargs)

    # -- discovery ------------------------------------------------------------
    def named_children(self) -> Iterator[tuple[str, "Module"]]:
        """The direct submodules, in attribute order; list/tuple items are named by index."""
        for key, value in vars(self).items():
            if isinstance(value, Module):
                yield key, value
            elif isinstance(value, (list, tuple)):
                for k, item in enumerate(value):
                    if isinstance(item, Module):
                        yield f"{key}.{k}", item

    def named_modules(self, prefix: str = "") -> Iterator[tuple[str, "Module"]]:
        """This module and every submodule below it, depth first."""
        yield prefix, self
        for name, child in self.named_children():
            yield from child.named_modules(f"{prefix}.{name}" if prefix else name)

    def modules(self) -> Iterator["Module"]:
        for _, m in self.named_modules():
            yield m

    def named_parameters(self, prefix: str = "") -> Iterator[tuple[str, Tensor]]:
        """(qualified name, tensor) for every parameter; also sets each tensor's `.name`."""
        seen: set[int] = set()
        for mod_name, mod in self.named_modules(prefix):
            for key, value in vars(mod).items():
                if isinstance(value, Tensor) and value.requires_grad and id(value) not in seen:
                    seen.add(id(value))
                    name = f"{mod_name}.{key}" if mod_name else key
                    value.name = name
                    yield name, value

    def parameters(self) -> list[Tensor]:
        return [p for _, p in self.named_parameters()]

    def num_parameters(self) -> int:
        return sum(p.size for p in self.parameters())

    # -- training helpers -----------------------------------------------------
    def zero_grad(self) -> None:
        for p in self.parameters():
            p.grad = None

    def train(self, mode: bool = True) -> "Module":
        for m in self.modules():
            m.training = mode
        return self

    def eval(self) -> "Module":
        return self.train(False)

    # -- weights in and out ---------------------------------------------------
    def state_dict(self) -> "OrderedDict[str, np.ndarray]":
        """A copy of every parameter's array, by qualified name."""
        return OrderedDict((n, p.data.copy()) for n, p in self.named_parameters())

    def load_state_dict(self, state: dict[str, Any]) -> None:
        """Copy arrays into the parameters; every name and shape must match exactly."""
        params = dict(self.named_parameters())
        problems = []
        missing = [n for n in params if n not in state]
        unexpected = [n for n in state if n not in params]
        if missing:
            problems.append("missing from the file: " + ", ".join(missing))
        if unexpected:
            problems.append("in the file but not in the model: " + ", ".join(unexpected))
        for n, p in params.items():
            if n in state and np.shape(state[n]) != p.shape:
                problems.append(f"{n}: the model has shape {p.shape}, the file {np.shape(state[n])}")
        if problems:
            raise StateDictError(f"{type(self).__name__}: the weights do not fit the model; "
                                 + "; ".join(problems))
        for n, p in params.items():
            p.data[...] = np.asarray(state[n], dtype=p.dtype)

    def save(self, path: Any) -> None:
        from .serialization import save
        save(self, path)

    def load(self, path: Any) -> "Module":
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


class Linear(Module):
    """y = x Wᵀ + b, W of shape (out, in); W and b start as U(-1/√in, 1/√in), as in PyTorch."""

    def __init__(self, in_features: int, out_features: int, bias: bool = True,
                 seed: int | None = None, generator: np.random.Generator | None = None,
                 dtype: Any = np.float64):
        if in_features < 1 or out_features < 1:
            raise ShapeError(f"Linear: sizes must be positive, got in={in_features}, out={out_features}")
        self.in_features, self.out_features = int(in_features), int(out_features)
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
            return F.Linear.apply(x, self.weight)
        return F.Linear.apply(x, self.weight, self.bias)

    def extra_repr(self) -> str:
        return f"{self.in_features} -> {self.out_features}, bias={self.bias is not None}"


class _Elementwise(Module):
    fn: Callable[[Tensor], Tensor]

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

    def __init__(self, *modules: Module):
        for i, m in enumerate(modules):
            if not isinstance(m, Module):
                raise TypeError(f"Sequential: item {i} is a {type(m).__name__}, not a Module")
        self.__dict__["_items"] = list(modules)
        list(self.named_parameters())  # walk it: naming the parameters 0.weight, ... is a side effect

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
        sizes = [int(s) for s in sizes]
        if len(sizes) < 2:
            raise ShapeError(f"MLP: needs at least an input and an output size, got {sizes}")
        if activation not in _ACTIVATIONS:
            raise ValueError(f"MLP: unknown activation {activation!r}; choose one of {sorted(_ACTIVATIONS)}")
        rng = as_generator(seed, generator)
        layers: list[Module] = []
        for k, (n_in, n_out) in enumerate(zip(sizes[:-1], sizes[1:])):
            if k:
                layers.append(_ACTIVATIONS[activation]())
            layers.append(Linear(n_in, n_out, generator=rng))
        self.sizes, self.activation = sizes, activation
        self.layers = Sequential(*layers)
        list(self.named_parameters())  # walk it: giving the parameters their qualified names is a side effect

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
