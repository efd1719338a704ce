"""micrograd: a tensor autograd engine on numpy that you can read in an afternoon."""
import numpy as _np

from . import (  # the MLP toolkit: micrograd.nn.MLP, micrograd.optim.SGD, ...
                     data,
                     nn,
                     optim,
)
from ._version import __version__ as __version__  # from the installed package metadata
from .autograd import grad  # micrograd.grad(outputs, inputs, ...), torch.autograd.grad
from .compile import compile as compile  # micrograd.compile(fn): run as generated numpy
from .creation import (
                     arange,
                     empty,
                     empty_like,
                     eye,
                     full,
                     full_like,
                     linspace,
                     manual_seed,
                     ones,
                     ones_like,
                     rand,
                     rand_like,
                     randn,
                     randn_like,
                     tensor,
                     zeros,
                     zeros_like,
)
from .engine import (
                     Function,
                     Tensor,
                     detect_anomaly,
                     enable_grad,
                     from_numpy,
                     get_default_dtype,
                     is_grad_enabled,
                     no_grad,
                     observe,
                     set_default_dtype,
)
from .errors import (
                     AnomalyError,
                     ArgumentError,
                     BudgetError,
                     DivergenceError,
                     DTypeError,
                     GradcheckError,
                     GraphReleasedError,
                     HigherOrderError,
                     InplaceError,
                     MicrogradError,
                     ShapeError,
)
from .gradients import functional as functional  # as torch.autograd.functional
from .gradients.counting import OpCounts, count_ops
from .gradients.gradcheck import gradcheck
from .gradients.modes import estimate_partials
from .nn.serialization import load, save  # micrograd.save(model.state_dict(), path), as torch.save
from .ops import (
                     cat,
                     clip,
                     concatenate,
                     erf,
                     exp,
                     exp2,
                     expm1,
                     log,
                     log1p,
                     log_softmax,
                     logsumexp,
                     matmul,
                     maximum,
                     minimum,
                     relu,
                     sigmoid,
                     softmax,
                     sqrt,
                     stack,
                     tanh,
                     where,
)
from .train import fit
from .viz.drawing import (
                     draw,  # micrograd.draw(t); render etc. in micrograd.viz
)
from .viz.explore import explore  # micrograd.explore(loss, "loss.html"): step through backward

# dtype names as PyTorch spells them (torch.float32 ...); they are numpy's scalar types,
# so Tensor(x, dtype=micrograd.float32) and t.dtype == micrograd.float32 both work.
float16, float32, float64 = _np.float16, _np.float32, _np.float64
int32, int64, bool = _np.int32, _np.int64, _np.bool_
float, double, long = _np.float32, _np.float64, _np.int64  # torch.float, torch.double, ...
# Not in __all__: `from micrograd import *` must not replace the builtins bool and float.

__all__ = [
    "Tensor", "Function", "no_grad", "enable_grad", "is_grad_enabled", "detect_anomaly",
    "observe", "from_numpy", "set_default_dtype", "get_default_dtype",
    "MicrogradError", "ShapeError", "DTypeError", "ArgumentError", "GraphReleasedError",
    "AnomalyError", "InplaceError", "HigherOrderError", "grad",
    "tensor", "zeros", "ones", "empty", "full", "eye", "linspace", "arange", "randn", "rand",
    "zeros_like", "ones_like", "empty_like", "full_like", "rand_like", "randn_like",
    "manual_seed",
    "exp", "exp2", "expm1", "log", "log1p", "sqrt", "tanh", "sigmoid", "relu", "erf",
    "maximum", "minimum", "where", "clip",
    "softmax", "log_softmax", "logsumexp", "concatenate", "cat", "stack", "matmul",
    "gradcheck", "GradcheckError",
    "nn", "optim", "data", "fit", "DivergenceError",
    "count_ops", "OpCounts", "BudgetError", "estimate_partials",
    "draw", "explore", "save", "load",
]
