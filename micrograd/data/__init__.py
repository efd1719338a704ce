"""Data sets and the plumbing around them.

toy.py holds the 2-D problems (circles, moons, spirals); handwritten.py the real digits
(scikit-learn's 8x8 set, MNIST from local IDX files); batching.py the checks of (X, y),
train/val/test splits and batching (full, mini-batch, online).
"""
from ..errors import DataError
from .batching import Split, batches, check_xy, split
from .handwritten import digits, load_mnist, read_idx
from .toy import circles, moons, spirals

__all__ = ["DataError", "circles", "moons", "spirals", "digits", "load_mnist", "read_idx",
           "split", "Split", "batches", "check_xy"]
