"""Optimizers: they read each parameter's `.grad` and update the parameter in place.

optimizer.py holds the base class (param groups, state dicts, the checks); sgd.py,
adam.py (Adam, AdamW) and rmsprop.py one update rule each; clip.py gradient clipping;
lr_scheduler.py the learning-rate schedulers (`optim.lr_scheduler.StepLR`, ...).
"""
from ..errors import OptimizerError
from . import lr_scheduler as lr_scheduler  # optim.lr_scheduler.StepLR, as in torch
from .adam import Adam, AdamW
from .clip import clip_grad_norm, clip_grad_norm_
from .optimizer import Optimizer
from .rmsprop import RMSprop
from .sgd import SGD

# lr_scheduler is a submodule, as torch.optim.lr_scheduler: optim.lr_scheduler.StepLR(...)
__all__ = ["Optimizer", "SGD", "Adam", "AdamW", "RMSprop", "OptimizerError", "clip_grad_norm_",
           "clip_grad_norm"]
