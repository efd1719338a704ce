"""Every exception micrograd raises, in one place: each says what went wrong and how to fix it.

All derive from `MicrogradError`, and each also from the built-in exception a Python
user would expect (`ValueError` for a bad value, `TypeError` for a bad dtype, ...), so
`except ValueError` keeps working.
"""
from __future__ import annotations

from typing import Any

__all__ = [
    "MicrogradError", "ShapeError", "DTypeError", "ArgumentError", "InplaceError",
    "GraphReleasedError", "AnomalyError", "BudgetError", "GradcheckError", "DataError",
    "StateDictError", "CheckpointNotFoundError", "ModuleError", "OptimizerError", "DivergenceError",
    "DrawError", "GraphvizNotFoundError", "CompileError",
]


class MicrogradError(Exception):
    """Base class of the errors micrograd raises on bad input."""


# -- the engine --------------------------------------------------------------------

class ShapeError(MicrogradError, ValueError):
    """An op got operands whose shapes do not fit together."""


class DTypeError(MicrogradError, TypeError):
    """An op got data of a dtype it cannot work on."""


class ArgumentError(MicrogradError, ValueError):
    """An option that is not one of the accepted choices or out of its range."""


class InplaceError(MicrogradError, RuntimeError):
    """An in-place change that would make a gradient wrong: refused now, or found at backward()."""


class GraphReleasedError(MicrogradError, RuntimeError):
    """backward() reached a node whose saved buffers were already freed."""


class AnomalyError(MicrogradError, FloatingPointError):
    """A nan or inf appeared while anomaly detection was on."""


class HigherOrderError(MicrogradError, NotImplementedError):
    """create_graph=True met an op whose backward is written only on arrays, so the
    backward pass cannot be recorded and differentiated again."""


class CompileError(MicrogradError, RuntimeError):
    """micrograd.compile met a function its trace cannot stand for: one whose ops depend on
    the values of its tensors (.item(), a comparison, random numbers) or that changes a
    tensor in place."""


# -- the slow modes and checks ------------------------------------------------------

class BudgetError(MicrogradError, RuntimeError):
    """A slow mode would evaluate more local partials than allowed.

    Attributes: mode, need (the partials it would evaluate) and limit (max_partials)."""

    def __init__(self, message: str, mode: str = "", need: int = 0, limit: int = 0):
        super().__init__(message)
        self.mode, self.need, self.limit = mode, need, limit


class GradcheckError(MicrogradError, AssertionError):
    """backward() and finite differences disagree."""


# -- the toolkit --------------------------------------------------------------------

class DataError(MicrogradError, ValueError):
    """Data that cannot be used as given: bad labels, lengths that differ, a broken file."""


class StateDictError(MicrogradError, ValueError):
    """Saved weights that do not fit the model (names, shapes, dtypes), or not a checkpoint."""


class CheckpointNotFoundError(StateDictError, FileNotFoundError):
    """load() was given a path with no file (`except FileNotFoundError` catches it too)."""


class ModuleError(MicrogradError, TypeError):
    """A module, container or registration got an object of the wrong kind (not a Module,
    Parameter or Tensor where one is needed); a TypeError, as in PyTorch."""


class OptimizerError(MicrogradError, ValueError):
    """A hyperparameter out of range, or parameters that cannot be optimized."""


class DivergenceError(MicrogradError, FloatingPointError):
    """Training blew up: the loss became nan/inf or grew far beyond its starting value.

    Attributes: epoch, step (within the epoch), lr, loss, op (the first op found to
    produce nan/inf, or None) and history (what was recorded before the blow-up).
    """

    def __init__(self, message: str, *, epoch: int, step: int, lr: float, loss: float,
                 op: str | None, history: Any):
        super().__init__(message)
        self.epoch, self.step, self.lr, self.loss, self.op = epoch, step, lr, loss, op
        self.history = history


# -- pictures -----------------------------------------------------------------------

class DrawError(MicrogradError, ValueError):
    """draw() or render() got options or a file name it cannot use, or `dot` failed."""


class GraphvizNotFoundError(MicrogradError, RuntimeError):
    """Rendering needs Graphviz's `dot` program and it is not on PATH."""
