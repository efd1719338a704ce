"""Neural-network toolkit: modules with named parameters, layers, losses, initialisers, and
weights on disk, with PyTorch's names (docs/nn.md)."""
from ..errors import ArgumentError, ModuleError, StateDictError
from . import functional, init, utils
from .containers import ModuleDict, ModuleList
from .functional import accuracy, cross_entropy, mse_loss
from .layers import Dropout, Flatten, Identity, LogSoftmax, Softmax
from .losses import BCELoss, BCEWithLogitsLoss, CrossEntropyLoss, L1Loss, MSELoss, NLLLoss
from .modules import (
    GELU,
    MLP,
    IncompatibleKeys,
    LeakyReLU,
    Linear,
    Module,
    ReLU,
    Sequential,
    Sigmoid,
    Tanh,
)
from .parameter import Parameter
from .serialization import load, save

__all__ = ["Module", "Parameter", "Linear", "Tanh", "ReLU", "Sigmoid", "LeakyReLU", "GELU",
           "Softmax", "LogSoftmax", "Identity", "Dropout", "Flatten",
           "Sequential", "ModuleList", "ModuleDict", "MLP",
           "CrossEntropyLoss", "NLLLoss", "MSELoss", "L1Loss", "BCELoss", "BCEWithLogitsLoss",
           "IncompatibleKeys", "StateDictError", "ArgumentError", "ModuleError",
           "functional", "init", "utils", "cross_entropy", "mse_loss", "accuracy", "save", "load"]
