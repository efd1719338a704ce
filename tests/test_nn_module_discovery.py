"""How a Module finds its parameters: names with a prefix, tied weights listed once, a child
that points back at its parent, and plain tensors that stay parameters once they were
trainable (micrograd's rule: PyTorch only counts nn.Parameter), against PyTorch where the
two agree."""
from __future__ import annotations

import numpy as np
import pytest

from micrograd import Tensor, nn


def _pair(torch):
    ours = nn.Sequential(nn.Linear(2, 3, seed=0), nn.ReLU(), nn.Linear(3, 3, seed=1),
                         nn.Linear(3, 3, seed=2))
    theirs = torch.nn.Sequential(torch.nn.Linear(2, 3), torch.nn.ReLU(), torch.nn.Linear(3, 3),
                                 torch.nn.Linear(3, 3))
    return ours, theirs


def _names(pairs):
    return [n for n, _ in pairs]


def test_named_parameters_prefix_is_torch_s():
    torch = pytest.importorskip("torch", reason="the PyTorch cross-check needs torch")
    ours, theirs = _pair(torch)
    got = _names(ours.named_parameters(prefix="net"))
    assert got == _names(theirs.named_parameters(prefix="net"))
    assert got[:2] == ["net.0.weight", "net.0.bias"]


def test_a_tied_weight_is_listed_once_and_the_module_s_other_parameters_still_are():
    torch = pytest.importorskip("torch", reason="the PyTorch cross-check needs torch")
    ours, theirs = _pair(torch)
    ours[3].weight = ours[2].weight
    theirs[3].weight = theirs[2].weight
    got = _names(ours.named_parameters())
    assert got == _names(theirs.named_parameters())
    assert got[-2:] == ["2.bias", "3.bias"]
    assert list(ours.state_dict()) == list(theirs.state_dict())  # there under both names


def test_a_child_pointing_back_at_its_parent_is_walked_once():
    torch = pytest.importorskip("torch", reason="the PyTorch cross-check needs torch")
    ours, theirs = _pair(torch)
    ours[0].owner = ours
    theirs[0].owner = theirs  # a Module attribute: a submodule, so a cycle, in both
    assert _names(ours.named_parameters()) == _names(theirs.named_parameters())
    assert _names(ours.named_modules()) == _names(theirs.named_modules())
    assert len(ours.parameters()) == 6  # three Linear layers


def test_a_trainable_plain_tensor_stays_a_parameter_when_frozen():
    m = nn.Module()
    m.w = Tensor(np.ones(2), requires_grad=True)
    m.w.requires_grad = False  # frozen before anything looked at the module
    assert _names(m.named_parameters(include_frozen=True)) == ["w"]
    assert _names(m.named_buffers()) == [] and list(m.state_dict()) == ["w"]


def test_a_buffer_made_trainable_stays_a_parameter_when_frozen_again():
    m = nn.Module()
    m.b = Tensor(np.zeros(2))
    assert _names(m.named_buffers()) == ["b"]
    m.b.requires_grad_()
    assert _names(m.named_parameters()) == ["b"]
    m.b.requires_grad_(False)
    assert _names(m.named_parameters(include_frozen=True)) == ["b"]
    assert _names(m.named_buffers()) == []
