"""micrograd: a tensor autograd engine on numpy that you can read in an afternoon."""
from .engine import (AnomalyError, DTypeError, Function, GraphReleasedError, InplaceError,
                     MicrogradError, ShapeError, Tensor, detect_anomaly, enable_grad, from_numpy,
                     is_grad_enabled, no_grad, observe)
from .creation import arange, full, ones, ones_like, rand, randn, tensor, zeros, zeros_like
from .ops import (clip, concatenate, exp, log, log_softmax, logsumexp, matmul, maximum, minimum,
                  relu, sigmoid, softmax, sqrt, stack, tanh, where)
from .gradcheck import GradcheckError, gradcheck
from . import data, nn, optim  # the MLP toolkit: micrograd.nn.MLP, micrograd.optim.SGD, ...
from .train import DivergenceError, fit
from .counting import OpCounts, count_ops
from .modes import BudgetError, estimate_partials
from .drawing import draw  # micrograd.draw(t); render, draw_model etc. in micrograd.drawing

__version__ = "0.1.0"

__all__ = [
    "Tensor", "Function", "no_grad", "enable_grad", "is_grad_enabled", "detect_anomaly",
    "observe", "from_numpy",
    "MicrogradError", "ShapeError", "DTypeError", "GraphReleasedError", "AnomalyError",
    "InplaceError",
    "tensor", "zeros", "ones", "zeros_like", "ones_like", "full", "randn", "rand", "arange",
    "exp", "log", "sqrt", "tanh", "sigmoid", "relu", "maximum", "minimum", "where", "clip",
    "softmax", "log_softmax", "logsumexp", "concatenate", "stack", "matmul",
    "gradcheck", "GradcheckError",
    "nn", "optim", "data", "fit", "DivergenceError",
    "count_ops", "OpCounts", "BudgetError", "estimate_partials",
    "draw",
]
