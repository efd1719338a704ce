"""Gradients beyond backprop: the slow modes and their cost, counting the work, checking the result."""
