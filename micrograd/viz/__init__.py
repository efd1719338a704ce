"""Pictures: the graph backprop walks (Graphviz) and training plots (matplotlib)."""
from .drawing import draw, render

__all__ = ["draw", "render"]
