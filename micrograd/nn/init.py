"""Initialisers, PyTorch's `torch.nn.init`: each fills a tensor in place and returns it.

The write goes through the tensor's own `copy_` under `no_grad()`, so it is allowed on a
parameter (a leaf that requires grad) and counted by its version counter. Random ones
draw from `generator` if given (a numpy Generator), else from micrograd's global
generator; they sample in float64 and store in the tensor's dtype.

fan_in and fan_out of a weight of shape (out, in, *kernel) are in·k and out·k, with k the
product of the kernel sizes (1 for a Linear layer), as PyTorch computes them.
"""
from __future__ import annotations

import math
from typing import Any

import numpy as np

from ..creation import as_generator
from ..engine import Tensor, no_grad
from ..errors import ArgumentError, ShapeError

__all__ = ["calculate_gain", "uniform_", "normal_", "constant_", "zeros_", "ones_",
           "xavier_uniform_", "xavier_normal_", "kaiming_uniform_", "kaiming_normal_"]


def _fill(tensor: Tensor, values: Any, where: str) -> Tensor:
    if not isinstance(tensor, Tensor):
        raise ArgumentError(f"{where}: expects a micrograd Tensor to fill in place, got "
                            f"{type(tensor).__name__}")
    with no_grad():
        tensor.copy_(np.asarray(values).astype(tensor.dtype, copy=False))
    return tensor


def _rng(generator: np.random.Generator | None) -> np.random.Generator:
    return as_generator(None, generator)


def calculate_gain(nonlinearity: str, param: float | None = None) -> float:
    """The gain that keeps activations' variance steady: 1 (linear, sigmoid), 5/3 (tanh),
    √2 (relu), √(2/(1 + a²)) (leaky_relu with slope a, default 0.01), 3/4 (selu)."""
    if nonlinearity in ("linear", "identity", "sigmoid") or nonlinearity.startswith("conv"):
        return 1.0
    if nonlinearity == "tanh":
        return 5.0 / 3
    if nonlinearity == "relu":
        return math.sqrt(2.0)
    if nonlinearity == "leaky_relu":
        slope = 0.01 if param is None else param
        if isinstance(slope, bool) or not isinstance(slope, (int, float)):
            raise ArgumentError(f"calculate_gain: negative_slope {slope!r} is not a number")
        return math.sqrt(2.0 / (1 + slope ** 2))
    if nonlinearity == "selu":
        return 3.0 / 4
    raise ArgumentError(f"calculate_gain: unsupported nonlinearity {nonlinearity!r}; choose "
                        "linear, sigmoid, tanh, relu, leaky_relu or selu")


def _fans(tensor: Tensor, where: str) -> tuple[int, int]:
    if tensor.ndim < 2:
        raise ShapeError(f"{where}: fan in and fan out can not be computed for a tensor with "
                         f"fewer than 2 dimensions (shape {tensor.shape}); use it on weights")
    receptive = int(np.prod(tensor.shape[2:], dtype=np.int64))
    return tensor.shape[1] * receptive, tensor.shape[0] * receptive


def uniform_(tensor: Tensor, a: float = 0.0, b: float = 1.0,
             generator: np.random.Generator | None = None) -> Tensor:
    """Every entry from U(a, b)."""
    return _fill(tensor, _rng(generator).uniform(a, b, tensor.shape), "uniform_")


def normal_(tensor: Tensor, mean: float = 0.0, std: float = 1.0,
            generator: np.random.Generator | None = None) -> Tensor:
    """Every entry from N(mean, std²)."""
    return _fill(tensor, _rng(generator).normal(mean, std, tensor.shape), "normal_")


def constant_(tensor: Tensor, val: float) -> Tensor:
    """Every entry = val."""
    return _fill(tensor, np.full(tensor.shape, val), "constant_")


def zeros_(tensor: Tensor) -> Tensor:
    """Every entry = 0."""
    return constant_(tensor, 0.0)


def ones_(tensor: Tensor) -> Tensor:
    """Every entry = 1."""
    return constant_(tensor, 1.0)


def xavier_uniform_(tensor: Tensor, gain: float = 1.0,
                    generator: np.random.Generator | None = None) -> Tensor:
    """U(-a, a) with a = gain·√(6 / (fan_in + fan_out)) (Glorot & Bengio, 2010)."""
    fan_in, fan_out = _fans(tensor, "xavier_uniform_")
    bound = gain * math.sqrt(6.0 / (fan_in + fan_out))
    return _fill(tensor, _rng(generator).uniform(-bound, bound, tensor.shape), "xavier_uniform_")


def xavier_normal_(tensor: Tensor, gain: float = 1.0,
                   generator: np.random.Generator | None = None) -> Tensor:
    """N(0, σ²) with σ = gain·√(2 / (fan_in + fan_out))."""
    fan_in, fan_out = _fans(tensor, "xavier_normal_")
    std = gain * math.sqrt(2.0 / (fan_in + fan_out))
    return _fill(tensor, _rng(generator).normal(0.0, std, tensor.shape), "xavier_normal_")


def _kaiming_std(tensor: Tensor, a: float, mode: str, nonlinearity: str, where: str) -> float:
    if mode not in ("fan_in", "fan_out"):
        raise ArgumentError(f"{where}: mode must be 'fan_in' or 'fan_out', got {mode!r}")
    fan_in, fan_out = _fans(tensor, where)
    return calculate_gain(nonlinearity, a) / math.sqrt(fan_in if mode == "fan_in" else fan_out)


def kaiming_uniform_(tensor: Tensor, a: float = 0.0, mode: str = "fan_in",
                     nonlinearity: str = "leaky_relu",
                     generator: np.random.Generator | None = None) -> Tensor:
    """U(-b, b) with b = √3 · gain / √fan, gain = calculate_gain(nonlinearity, a) (He, 2015)."""
    bound = math.sqrt(3.0) * _kaiming_std(tensor, a, mode, nonlinearity, "kaiming_uniform_")
    return _fill(tensor, _rng(generator).uniform(-bound, bound, tensor.shape), "kaiming_uniform_")


def kaiming_normal_(tensor: Tensor, a: float = 0.0, mode: str = "fan_in",
                    nonlinearity: str = "leaky_relu",
                    generator: np.random.Generator | None = None) -> Tensor:
    """N(0, σ²) with σ = gain / √fan."""
    std = _kaiming_std(tensor, a, mode, nonlinearity, "kaiming_normal_")
    return _fill(tensor, _rng(generator).normal(0.0, std, tensor.shape), "kaiming_normal_")
