"""The way out to PyTorch: tensors, modules and weights converted both ways.

    from micrograd.interop import to_torch, from_torch

    torch_model = to_torch(model)        # the same architecture in torch.nn, the same weights
    model = from_torch(torch_model)      # and back, for the layers micrograd has
    t = to_torch(x); x = from_torch(t)   # tensors: values copied, dtype and requires_grad kept

PyTorch is an optional extra: nothing here imports it until a conversion runs, and
without it every conversion raises `TorchNotInstalledError` (`pip install torch`).

What converts (both ways): Linear, Sequential, MLP, Tanh, ReLU, Sigmoid, Identity,
Dropout, LeakyReLU, GELU, Softmax, LogSoftmax, Flatten, ModuleList, ModuleDict. An MLP
becomes `micrograd.interop.torch_nn.MLP`, a torch.nn.Module whose `layers` is a
torch.nn.Sequential, so that both sides have the same state_dict() keys
(`layers.0.weight`, `layers.0.bias`, `layers.2.weight`, ...). Anything else (your own
Module subclasses, say) raises `InteropError` naming its type: write the same class in
PyTorch and hand the weights over with `to_torch(model.state_dict())`.

Every conversion copies: changing one side never changes the other. Gradients (`.grad`)
are not carried over (hand over between two optimizer steps); an optimizer's state goes
over through its state dict, which has PyTorch's layout:
`torch_opt.load_state_dict(to_torch(opt.state_dict()))`, and back with `from_torch`.
"""
from __future__ import annotations

import importlib
from typing import Any

from ..errors import MicrogradError

__all__ = ["to_torch", "from_torch", "TorchNotInstalledError", "InteropError"]


class TorchNotInstalledError(MicrogradError, ImportError):
    """A conversion to or from PyTorch was asked for, and PyTorch is not installed."""


class InteropError(MicrogradError, TypeError):
    """An object that has no counterpart on the other side (a type, a layer or a dtype)."""


def _torch_side() -> Any:
    """The module that does the work (it imports torch), or TorchNotInstalledError."""
    try:
        importlib.import_module("torch")
    except ImportError as e:
        raise TorchNotInstalledError(
            "micrograd.interop needs PyTorch, which is not installed (it is an optional extra "
            f"of micrograd): pip install torch  [{e}]") from None
    return importlib.import_module(".convert", __name__)


def to_torch(obj: Any) -> Any:
    """The PyTorch equivalent of `obj`, with its values copied.

    - a micrograd Tensor (or a numpy array): a torch.Tensor of the same dtype and shape,
      a leaf, with the same requires_grad;
    - a micrograd Module: the equivalent torch.nn module with the same weights, dtypes,
      requires_grad flags and train/eval mode, and exactly the same state_dict() keys;
    - a state dict (what a module's or an optimizer's `state_dict()` returns): the same
      nesting with torch tensors for arrays, for `torch_model.load_state_dict(...)`.

    Raises InteropError naming the type for anything else, TorchNotInstalledError
    without PyTorch.
    """
    return _torch_side().to_torch(obj)


def from_torch(obj: Any) -> Any:
    """The micrograd equivalent of a PyTorch object, with its values copied.

    - a torch.Tensor: a micrograd Tensor of the same dtype and shape, with the same
      requires_grad (a leaf: the torch graph is not carried over);
    - a torch.nn module made of layers micrograd has: the micrograd module, same weights;
    - a state dict of torch tensors (a module's or an optimizer's): the same nesting with
      numpy arrays for tensors, for `model.load_state_dict(...)`.

    Raises InteropError naming the type for anything else (a Conv2d, say),
    TorchNotInstalledError without PyTorch.
    """
    return _torch_side().from_torch(obj)
