"""The PyTorch counterpart of `micrograd.nn.MLP` (importing this file imports torch).

`MLP(sizes, activation)` here is a torch.nn.Module whose `layers` is a torch.nn.Sequential
of Linear layers with an activation between them, exactly as micrograd's MLP is laid out,
so the two have the same state_dict() keys (`layers.0.weight`, `layers.0.bias`,
`layers.2.weight`, ...) and one's weights load into the other. `to_torch(mlp)` returns one.
"""
from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import torch
from torch import nn

__all__ = ["MLP", "ACTIVATIONS"]

# micrograd's activation names (MLP(activation=...)) and the torch.nn layer of each.
ACTIVATIONS: dict[str, type[nn.Module]] = {
    "tanh": nn.Tanh, "relu": nn.ReLU, "sigmoid": nn.Sigmoid, "gelu": nn.GELU,
    "leaky_relu": nn.LeakyReLU,
}


class MLP(nn.Module):
    """x → Linear → activation → … → Linear (no activation after the last), in `self.layers`.

    MLP([2, 10, 2]) has the layout of micrograd's MLP([2, 10, 2]). `device` and `dtype`
    are passed to the Linear layers, as torch.nn layers take them; `layers` (a Sequential
    already built, as `to_torch` passes it) replaces the layers the sizes describe.
    """

    def __init__(self, sizes: Sequence[int], activation: str = "tanh", *,
                 layers: nn.Sequential | None = None, device: Any = None,
                 dtype: torch.dtype | None = None):
        super().__init__()
        sizes = [int(s) for s in sizes]
        if len(sizes) < 2:
            raise ValueError(f"MLP: needs at least an input and an output size, got {sizes}")
        if activation not in ACTIVATIONS:
            raise ValueError(f"MLP: unknown activation {activation!r}; choose one of "
                             f"{sorted(ACTIVATIONS)}")
        self.sizes, self.activation = sizes, activation
        if layers is None:
            parts: list[nn.Module] = []
            for k, (n_in, n_out) in enumerate(zip(sizes[:-1], sizes[1:], strict=True)):
                if k:
                    parts.append(ACTIVATIONS[activation]())
                parts.append(nn.Linear(n_in, n_out, device=device, dtype=dtype))
            layers = nn.Sequential(*parts)
        self.layers = layers

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.layers(x)

    def extra_repr(self) -> str:
        return f"sizes={self.sizes}, activation={self.activation!r}"
