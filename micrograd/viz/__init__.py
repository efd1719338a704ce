"""Pictures: the graph backprop walks (Graphviz) and training plots (matplotlib)."""
from .drawing import draw, draw_model, render

__all__ = ["draw", "draw_model", "render"]
