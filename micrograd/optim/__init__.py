"""Optimizers: they read each parameter's `.grad` and update the parameter in place.

optimizer.py holds the base class (parameter bookkeeping, weight decay, the checks);
sgd.py and adam.py one update rule each; clip.py gradient clipping.
"""
from ..errors import OptimizerError
from .adam import Adam
from .clip import clip_grad_norm
from .optimizer import Optimizer
from .sgd import SGD

__all__ = ["Optimizer", "SGD", "Adam", "OptimizerError", "clip_grad_norm"]
