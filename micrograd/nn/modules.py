"""The layers with parameters or a forward of their own: Linear, the activations, Sequential
and MLP (the base class `Module` is in module.py, parameter-free layers in layers.py)."""
from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from typing import Any, ClassVar

import numpy as np

from .. import engine as _engine
from ..creation import as_generator
from ..engine import Tensor, no_grad
from ..errors import ArgumentError, DTypeError, ModuleError, ShapeError, StateDictError
from ..ops import FusedLinear
from . import functional as F
from .module import (
    IncompatibleKeys,
    Module,
    _as_tensor,
    _check_name,
    _float_dtype,
    _size,
)
from .parameter import Parameter

__all__ = ["Module", "Linear", "Tanh", "ReLU", "Sigmoid", "LeakyReLU", "GELU", "Sequential", "MLP",
           "StateDictError",
           "Parameter", "IncompatibleKeys"]


class Linear(Module):
    """y = x Wᵀ + b, W of shape (out, in); W and b start as U(-1/√in, 1/√in), as in PyTorch.

    The input must have the layer's dtype (dtype=, else the default float: float32 unless
    set_default_dtype changed it): a float32 input to a float64 layer is refused, as
    PyTorch refuses it, rather than computed in float64 behind the caller's back. Arrays
    and lists that are not floating become the layer's dtype.
    """

    def __init__(self, in_features: int, out_features: int, bias: bool = True,
                 seed: int | None = None, generator: np.random.Generator | None = None,
                 dtype: Any = None, device: Any = None):
        in_features = _size(in_features, "in_features", "Linear")
        out_features = _size(out_features, "out_features", "Linear")
        _engine._check_device("Linear", device)
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
            # Checked as add_module checks: a dotted key would make state_dict names collide.
            self._fill((_check_name(k, "module", "Sequential"), m) for k, m in modules[0].items())
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
        # Every item is checked before the first goes in: a refused list leaves it as it was.
        checked = [_check_module(m, "Sequential.extend", f"item {i}")
                   for i, m in enumerate(modules)]
        for m in checked:
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
