"""Layers without parameters, PyTorch's names and arguments: Identity, Dropout, Softmax,
LogSoftmax, Flatten. (Linear and the activations an MLP can use, Tanh, ReLU, Sigmoid,
LeakyReLU and GELU, are in modules.py.)

None of them holds a Tensor attribute, so none adds a key to state_dict(), as in PyTorch.
"""
from __future__ import annotations

from typing import Any

import numpy as np

from ..engine import Tensor
from ..errors import ArgumentError, ShapeError
from . import functional as F
from .modules import Module, _as_tensor

__all__ = ["Identity", "Dropout", "Softmax", "LogSoftmax", "Flatten"]


class Identity(Module):
    """y = x (the input itself); arguments are accepted and ignored, as in PyTorch."""

    def __init__(self, *args: Any, **kwargs: Any):
        pass

    def forward(self, x: Any) -> Any:
        return x


class Dropout(Module):
    """y = x · m / (1 - p), m ~ Bernoulli(1 - p) per entry, in training mode; y = x in eval mode.

    Inverted dropout, PyTorch's: the kept entries are scaled up by 1/(1 - p) while
    training, so E[y] = x and evaluation (model.eval()) uses the layer as the identity.
    The masks come from `generator` if given (a numpy Generator: the same seed gives the
    same masks), else from micrograd's global generator. `inplace` changes nothing.
    """

    def __init__(self, p: float = 0.5, inplace: bool = False, *,
                 generator: np.random.Generator | None = None):
        self.p = F._check_p(p, "Dropout")
        self.inplace = inplace
        self.generator = generator

    def forward(self, x: Any) -> Tensor:
        return F.dropout(x, self.p, self.training, generator=self.generator)

    def extra_repr(self) -> str:
        return f"p={self.p}, inplace={self.inplace}"


def _dim(dim: Any, where: str) -> int:
    # PyTorch guesses a missing dim (with a deprecation warning); a guess here could
    # normalise the wrong axis without a word, so it must be given.
    if dim is None:
        raise ArgumentError(f"{where}: pass the axis to normalise over, e.g. {where}(dim=1) "
                            "for rows of logits (PyTorch's guess without dim is deprecated)")
    if isinstance(dim, (bool, np.bool_)) or not isinstance(dim, (int, np.integer)):
        raise ArgumentError(f"{where}: dim must be an integer, got {dim!r}")
    return int(dim)


class Softmax(Module):
    """y_i = e^(x_i) / Σ_j e^(x_j) along `dim`"""

    def __init__(self, dim: int | None = None):
        self.dim = _dim(dim, "Softmax")

    def forward(self, x: Any) -> Tensor:
        return F.softmax(_as_tensor(x), self.dim)

    def extra_repr(self) -> str:
        return f"dim={self.dim}"


class LogSoftmax(Module):
    """y_i = x_i - log Σ_j e^(x_j) along `dim`"""

    def __init__(self, dim: int | None = None):
        self.dim = _dim(dim, "LogSoftmax")

    def forward(self, x: Any) -> Tensor:
        return F.log_softmax(_as_tensor(x), self.dim)

    def extra_repr(self) -> str:
        return f"dim={self.dim}"


class Flatten(Module):
    """Merges the axes start_dim..end_dim into one: (n, c, h, w) → (n, c·h·w) by default."""

    def __init__(self, start_dim: int = 1, end_dim: int = -1):
        for name, d in (("start_dim", start_dim), ("end_dim", end_dim)):
            if isinstance(d, bool) or not isinstance(d, (int, np.integer)):
                raise ArgumentError(f"Flatten: {name} must be an integer axis, got {d!r}")
        self.start_dim, self.end_dim = start_dim, end_dim

    def forward(self, x: Any) -> Tensor:
        x = _as_tensor(x)
        shape = x.shape
        n = max(x.ndim, 1)  # a 0-d tensor flattens to one entry, as in PyTorch
        start, end = self.start_dim, self.end_dim
        for d in (start, end):
            if not -n <= d < n:
                raise ShapeError(f"Flatten: dim {d} is out of range for an input of shape "
                                 f"{shape} (valid: {-n} to {n - 1}); inputs of a batch are "
                                 "(n, ...), so the default start_dim=1 needs at least 2 axes")
        start, end = start % n, end % n
        if x.ndim == 0:
            return x.reshape(1)
        if start > end:
            raise ShapeError(f"Flatten: start_dim {self.start_dim} comes after end_dim "
                             f"{self.end_dim} for an input of shape {shape}")
        merged = int(np.prod(shape[start:end + 1], dtype=np.int64))
        return x.reshape(shape[:start] + (merged,) + shape[end + 1:])

    def extra_repr(self) -> str:
        return f"start_dim={self.start_dim}, end_dim={self.end_dim}"
