"""Gradients beyond backprop: the slow modes and their cost, counting work, checking results."""
