"""Module's repr: PyTorch's layout, text for text, for modules whose own lines the two libraries
print alike (ReLU, Tanh, containers, a user's module with extra_repr); children held in a
list attribute are shown by their index."""
from __future__ import annotations

import pytest

from micrograd import nn


def _user_modules(base, relu, tanh, seq):
    class Block(base):
        def __init__(self, extra):
            super().__init__()
            self.extra = extra
            self.act = relu()
            self.body = seq(tanh(), seq(relu(), tanh()))

        def extra_repr(self):
            return self.extra

        def forward(self, x):
            return self.body(self.act(x))

    class Leaf(base):  # no children, no extra_repr of its own
        def forward(self, x):
            return x

    return Block, Leaf


def test_repr_is_torch_s_text_for_nested_modules_with_and_without_extra_repr():
    torch = pytest.importorskip("torch", reason="the PyTorch cross-check needs torch")
    tnn = torch.nn
    ours = _user_modules(nn.Module, nn.ReLU, nn.Tanh, nn.Sequential)
    theirs = _user_modules(tnn.Module, tnn.ReLU, tnn.Tanh, tnn.Sequential)
    for extra in ("", "width=3, depth=2"):
        assert repr(ours[0](extra)) == repr(theirs[0](extra))
    assert repr(ours[1]()) == repr(theirs[1]()) == "Leaf()"
    assert (repr(nn.Sequential(ours[1](), nn.ReLU()))
            == repr(tnn.Sequential(theirs[1](), tnn.ReLU())))


def test_children_in_a_list_attribute_are_shown_by_their_index():
    class Stack(nn.Module):
        def __init__(self):
            self.layers = [nn.ReLU(), nn.Tanh()]

    assert repr(Stack()) == "Stack(\n  (0): ReLU()\n  (1): Tanh()\n)"
