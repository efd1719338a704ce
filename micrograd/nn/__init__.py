"""Neural-network toolkit: modules with named parameters, losses, and weights on disk."""
from ..errors import ArgumentError, StateDictError
from . import functional
from .functional import accuracy, cross_entropy, mse_loss
from .modules import MLP, Linear, Module, ReLU, Sequential, Sigmoid, Tanh
from .serialization import load, save

__all__ = ["Module", "Linear", "Tanh", "ReLU", "Sigmoid", "Sequential", "MLP", "StateDictError",
           "ArgumentError", "functional", "cross_entropy", "mse_loss", "accuracy", "save", "load"]
