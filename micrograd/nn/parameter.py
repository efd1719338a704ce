"""`Parameter`: a Tensor that a Module registers as one of its parameters, as in PyTorch.

A Module also counts a plain Tensor that requires grad when it is set as a parameter
(micrograd's older habit, kept), but a `Parameter` is one whatever its requires_grad, so
`Parameter(t, requires_grad=False)` is a frozen parameter: in state_dict(), not trained.
"""
from __future__ import annotations

from typing import Any

from ..engine import Tensor

__all__ = ["Parameter"]


class Parameter(Tensor):
    """A leaf tensor that requires grad (by default) and that Modules register as a parameter.

    Parameter(t) shares t's storage and version counter, as torch.nn.Parameter(t) does:
    a change made through one is seen (and counted) by the other. Any other data (an array,
    a list) is copied. Parameter() is an empty parameter of the default float. Ops on a
    Parameter give plain Tensors.
    """

    __slots__ = ()

    def __init__(self, data: Any = None, requires_grad: bool = True):
        if isinstance(data, Tensor):
            self._data, self._ver = data._data, data._ver
            data._ver[1] = True  # one storage, two tensors: recorded in-place changes are refused
            self.grad = None
            self.name = data.name
            self._ctx = None  # a leaf, even when made from the result of an op
            self._retain = False
            self._rg = False
            if requires_grad:
                self.requires_grad = True  # refuses integer tensors, naming the dtype
        else:
            super().__init__([] if data is None else data, requires_grad=requires_grad)

    def __repr__(self) -> str:
        return "Parameter containing:\n" + super().__repr__()
