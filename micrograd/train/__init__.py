"""A small training loop: `fit` runs epochs of (mini-)batch gradient descent, records a
`History`, and stops with a `DivergenceError` that explains itself when training blows up.

loop.py holds `fit` and `evaluate`; checks.py what fit refuses before any work;
divergence.py the error it raises when training blows up; history.py the `History` it
returns; progress.py what it prints while it runs.
"""
from ..errors import DivergenceError
from .divergence import _first_nonfinite_op  # noqa: F401  (tests re-run one step through it)
from .history import History
from .loop import evaluate, fit

__all__ = ["fit", "evaluate", "History", "DivergenceError"]
