"""Pictures: the graph backprop walks (Graphviz) and training plots (matplotlib, plots.py).

    g = micrograd.viz.draw(loss)          # also micrograd.draw
    micrograd.viz.render(g, "loss.svg")   # .svg .png .pdf through Graphviz's dot; .dot text
"""
from ..errors import DrawError, GraphvizNotFoundError
from .drawing import draw
from .rendering import FORMATS, DotGraph, pipe, render

__all__ = ["draw", "render", "pipe", "DotGraph", "FORMATS", "DrawError", "GraphvizNotFoundError"]
