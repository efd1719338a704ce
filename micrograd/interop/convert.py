"""The conversions behind `to_torch` and `from_torch` (importing this file imports torch).

A module is converted in two passes. The first builds the other side's structure, layer
by layer, with parameters of the right shapes and dtypes but no values: torch layers are
made with `torch.nn.utils.skip_init` and micrograd layers with a fixed seed, so that a
conversion never draws from either library's global random generator. The second copies
every value through `load_state_dict` of the whole tree, which checks that the two
state_dict()s have exactly the same keys and shapes; then requires_grad flags and
train/eval mode are copied module by module.
"""
from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable, Mapping
from typing import Any, cast

import numpy as np
import torch

from .. import nn as mnn
from ..engine import Tensor
from ..nn.modules import Module
from . import InteropError
from .torch_nn import MLP as TorchMLP

__all__ = ["to_torch", "from_torch"]


# --------------------------------------------------------------------------- dtypes

def torch_dtype(dtype: Any, where: str = "to_torch") -> torch.dtype:
    """The torch dtype of a numpy dtype (float64 → torch.float64, ...)."""
    try:
        return torch.from_numpy(np.empty(0, dtype=dtype)).dtype
    except TypeError:
        raise InteropError(f"{where}: numpy dtype {np.dtype(dtype)} has no PyTorch "
                           "counterpart; convert first, e.g. t.double()") from None


def numpy_dtype(dtype: torch.dtype, where: str = "from_torch") -> np.dtype:
    """The numpy dtype of a torch dtype (torch.float32 → float32, ...)."""
    try:
        return torch.empty(0, dtype=dtype).numpy().dtype
    except TypeError:
        raise InteropError(f"{where}: torch dtype {dtype} has no numpy counterpart, so micrograd "
                           "cannot hold it; convert first, e.g. t.float()") from None


# --------------------------------------------------------------------------- tensors

def tensor_to_torch(x: Tensor | np.ndarray, requires_grad: bool | None = None) -> torch.Tensor:
    """A torch leaf with a copy of x's values, its dtype, and (for a Tensor) its requires_grad."""
    values = x.detach().numpy() if isinstance(x, Tensor) else np.asarray(x)
    if values.dtype.kind not in "biufc":
        raise InteropError(f"to_torch: cannot convert an array of dtype {values.dtype}")
    torch_dtype(values.dtype)  # a clear error for dtypes torch lacks
    out = torch.from_numpy(np.array(values, copy=True, order="C"))
    if requires_grad is None:
        requires_grad = isinstance(x, Tensor) and x.requires_grad
    return out.requires_grad_(requires_grad)


def array_from_torch(t: torch.Tensor) -> np.ndarray:
    """A numpy copy of t's values (detached, on the CPU), of the same dtype."""
    t = t.detach()
    if t.device.type != "cpu":
        t = t.cpu()
    t = t.resolve_conj().resolve_neg()
    numpy_dtype(t.dtype)  # a clear error for bfloat16 and the like
    return np.array(t.numpy(), copy=True)


def tensor_from_torch(t: torch.Tensor) -> Tensor:
    """A micrograd leaf with a copy of t's values, its dtype and its requires_grad."""
    return Tensor(array_from_torch(t), requires_grad=bool(t.requires_grad))


# --------------------------------------------------------------------------- layers

# The layers with no parameters that both sides have, by class name, and how each one's
# options read on one side become the keyword arguments of the other. Both spell them as
# PyTorch does (Dropout(p), LeakyReLU(negative_slope), Softmax(dim), ...). micrograd's
# class is looked up by name when a conversion runs, so layers added later convert too.
def _no_options(m: Any) -> dict[str, Any]:
    return {}


def _options(*names: str, defaults: Mapping[str, Any] | None = None
             ) -> Callable[[Any], dict[str, Any]]:
    def read(m: Any) -> dict[str, Any]:
        out = {}
        for n in names:
            if hasattr(m, n):
                out[n] = getattr(m, n)
            elif defaults and n in defaults:
                out[n] = defaults[n]
            else:
                raise InteropError(f"{type(m).__name__} has no attribute {n!r}, needed to "
                                   "build its counterpart")
        return out
    return read


_SIMPLE: dict[str, Callable[[Any], dict[str, Any]]] = {
    "Tanh": _no_options,
    "ReLU": _no_options,
    "Sigmoid": _no_options,
    "Identity": _no_options,
    "Dropout": _options("p", "inplace", defaults={"inplace": False}),
    "LeakyReLU": _options("negative_slope", "inplace", defaults={"inplace": False}),
    "GELU": _options("approximate", defaults={"approximate": "none"}),
    "Softmax": _options("dim"),
    "LogSoftmax": _options("dim"),
    "Flatten": _options("start_dim", "end_dim"),
}


def _mg_class(name: str) -> type | None:
    cls = getattr(mnn, name, None)
    return cls if isinstance(cls, type) else None


def _name(obj: Any) -> str:
    cls = type(obj)
    return f"{cls.__module__}.{cls.__qualname__}"


def _supported(side: str) -> str:
    names = ["Linear", "Sequential", "MLP", "ModuleList", "ModuleDict", *_SIMPLE]
    if side == "micrograd":
        names = [n for n in names if _mg_class(n) is not None]
    return ", ".join(names)


def _build_torch(m: Any) -> torch.nn.Module:
    """The torch.nn structure of micrograd module m; parameters have no values yet.
    (m is typed Any: each branch reads the attributes of one layer class.)"""
    cls = type(m)
    if cls is mnn.MLP:
        layers = cast(torch.nn.Sequential, _build_torch(m.layers))
        return TorchMLP(m.sizes, m.activation, layers=layers)
    if cls is mnn.Linear:
        return torch.nn.utils.skip_init(
            torch.nn.Linear, m.in_features, m.out_features, bias=m.bias is not None,
            dtype=torch_dtype(m.weight.dtype))
    if cls is mnn.Sequential:
        # By name, so that a Sequential built from an OrderedDict keeps its keys (fc.weight).
        return torch.nn.Sequential(OrderedDict((k, _build_torch(c)) for k, c in m.named_children()))
    if cls is _mg_class("ModuleList"):
        return torch.nn.ModuleList([_build_torch(c) for _, c in m.named_children()])
    if cls is _mg_class("ModuleDict"):
        return torch.nn.ModuleDict({k: _build_torch(c) for k, c in m.named_children()})
    for name, options in _SIMPLE.items():
        if cls is _mg_class(name):
            return getattr(torch.nn, name)(**options(m))
    raise InteropError(
        f"to_torch: no PyTorch counterpart for {_name(m)}; these convert: "
        f"{_supported('micrograd')}. For a model of your own, write the same class with "
        "torch.nn and load the weights: torch_model.load_state_dict(to_torch(model.state_dict()))")


def _build_micrograd(tm: Any) -> Module:
    """The micrograd structure of torch module tm; parameters have placeholder values."""
    cls = type(tm)
    if cls is TorchMLP:
        try:
            mlp = mnn.MLP(tm.sizes, activation=tm.activation, seed=0)
        except ValueError as e:  # ArgumentError: an activation micrograd's MLP lacks
            raise InteropError(f"from_torch: {e}") from None
        mlp.layers = cast(mnn.Sequential, _build_micrograd(tm.layers))
        return mlp
    if cls is torch.nn.Linear:
        dtype = numpy_dtype(tm.weight.dtype)
        return mnn.Linear(tm.in_features, tm.out_features, bias=tm.bias is not None, seed=0,
                          dtype=dtype)
    if cls is torch.nn.Sequential:
        return mnn.Sequential(OrderedDict((k, _build_micrograd(c)) for k, c in tm.named_children()))
    for name, options in [("ModuleList", None), ("ModuleDict", None), *_SIMPLE.items()]:
        if cls is getattr(torch.nn, name):
            mg_cls = _mg_class(name)
            if mg_cls is None:
                raise InteropError(f"from_torch: micrograd.nn has no {name} (yet), so "
                                   f"{_name(tm)} cannot be converted")
            if name == "ModuleList":
                return mg_cls([_build_micrograd(c) for c in tm])
            if name == "ModuleDict":
                return mg_cls({k: _build_micrograd(c) for k, c in tm.items()})
            assert options is not None
            return mg_cls(**options(tm))
    raise InteropError(
        f"from_torch: no micrograd counterpart for {_name(tm)}; these convert: "
        f"{_supported('torch')}. For a model of your own, write the same class with "
        "micrograd.nn and load the weights: model.load_state_dict(from_torch(torch_model."
        "state_dict()))")


def module_to_torch(m: Module) -> torch.nn.Module:
    tm = _build_torch(m)
    state = OrderedDict((k, tensor_to_torch(v)) for k, v in m.state_dict().items())
    try:
        tm.load_state_dict(state, strict=True)
    except RuntimeError as e:  # the two layouts disagree: a bug here, not the user's
        raise InteropError(f"to_torch: {type(m).__name__}'s state_dict does not fit the "
                           f"PyTorch module built for it: {e}") from None
    theirs = dict(tm.named_parameters())
    for name, p in m.named_parameters(include_frozen=True):
        theirs[name].requires_grad_(p.requires_grad)
    _copy_modes(dict(m.named_modules()), dict(tm.named_modules()))
    return tm


def module_from_torch(tm: torch.nn.Module) -> Module:
    m = _build_micrograd(tm)
    state = OrderedDict((k, array_from_torch(v)) for k, v in tm.state_dict().items())
    try:
        m.load_state_dict(state)
    except ValueError as e:  # StateDictError: the two layouts disagree
        raise InteropError(f"from_torch: {type(tm).__name__}'s state_dict does not fit the "
                           f"micrograd module built for it: {e}") from None
    ours = dict(m.named_parameters(include_frozen=True))
    for name, p in tm.named_parameters():
        ours[name].requires_grad = p.requires_grad
    _copy_modes(dict(tm.named_modules()), dict(m.named_modules()))
    return m


def _copy_modes(src: Mapping[str, Any], dst: Mapping[str, Any]) -> None:
    """train/eval mode, module by module (modules are matched by their qualified names)."""
    for name, mod in src.items():
        if name in dst:
            dst[name].training = bool(mod.training)


# --------------------------------------------------------------------------- dispatch

def to_torch(obj: Any) -> Any:
    if isinstance(obj, (Tensor, np.ndarray)):
        return tensor_to_torch(obj)
    if isinstance(obj, Module):
        return module_to_torch(obj)
    if isinstance(obj, (torch.Tensor, torch.nn.Module)):
        raise InteropError(f"to_torch: this is already a PyTorch object ({_name(obj)}); "
                           "from_torch converts PyTorch objects to micrograd")
    if isinstance(obj, Mapping):
        return _nested(obj, lambda v: tensor_to_torch(v, False), (Tensor, np.ndarray),
                       torch.Tensor, "to_torch")
    raise InteropError(f"to_torch: cannot convert a {_name(obj)}; it converts micrograd "
                       "Tensors, Modules and state dicts")


def from_torch(obj: Any) -> Any:
    if isinstance(obj, torch.Tensor):
        return tensor_from_torch(obj)
    if isinstance(obj, torch.nn.Module):
        return module_from_torch(obj)
    if isinstance(obj, (Tensor, Module)):
        raise InteropError(f"from_torch: this is already a micrograd object ({_name(obj)}); "
                           "to_torch converts micrograd objects to PyTorch")
    if isinstance(obj, Mapping):
        return _nested(obj, array_from_torch, torch.Tensor, (Tensor, np.ndarray), "from_torch")
    raise InteropError(f"from_torch: cannot convert a {_name(obj)}; it converts torch "
                       "Tensors, torch.nn modules and state dicts")


def _nested(obj: Any, convert: Callable[[Any], Any], ours: Any, theirs: Any, where: str) -> Any:
    """obj with every `ours` leaf converted, through nested dicts, lists and tuples (a module's
    state_dict(), or an optimizer's: {'state': {0: {'exp_avg': ...}}, 'param_groups': [...]});
    numbers, strings and None stay as they are."""
    if isinstance(obj, ours):
        return convert(obj)
    if isinstance(obj, theirs):
        raise InteropError(f"{where}: the state dict already holds a {_name(obj)}")
    if isinstance(obj, Mapping):
        items = ((k, _nested(v, convert, ours, theirs, where)) for k, v in obj.items())
        return OrderedDict(items) if isinstance(obj, OrderedDict) else dict(items)
    if isinstance(obj, (list, tuple)):
        return type(obj)(_nested(v, convert, ours, theirs, where) for v in obj)
    return obj
