"""micrograd: a tensor autograd engine on numpy that you can read in an afternoon."""
from . import (  # the MLP toolkit: micrograd.nn.MLP, micrograd.optim.SGD, ...
                     data,
                     nn,
                     optim,
)
from ._version import __version__ as __version__  # from the installed package metadata
from .creation import (
                     arange,
                     full,
                     ones,
                     ones_like,
                     rand,
                     randn,
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
                     is_grad_enabled,
                     no_grad,
                     observe,
)
from .errors import (
                     AnomalyError,
                     BudgetError,
                     DivergenceError,
                     DTypeError,
                     GradcheckError,
                     GraphReleasedError,
                     InplaceError,
                     MicrogradError,
                     ShapeError,
)
from .grad.counting import OpCounts, count_ops
from .grad.gradcheck import gradcheck
from .grad.modes import estimate_partials
from .ops import (
                     clip,
                     concatenate,
                     exp,
                     log,
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
