"""Sequential (micrograd/nn/modules.py): growing it, and what it refuses to hold."""
from __future__ import annotations

from collections import OrderedDict

import numpy as np
import pytest

import micrograd as mg
from micrograd import nn
from micrograd.errors import ArgumentError, ModuleError


def test_extend_appends_each_module_in_order_under_the_next_numbers():
    a, b = nn.Linear(2, 3, seed=0, dtype=np.float64), nn.Linear(3, 1, seed=1, dtype=np.float64)
    seq = nn.Sequential(nn.Tanh())
    assert seq.extend([a, b]) is seq
    assert list(seq) == [seq[0], a, b] and len(seq) == 3
    assert [name for name, _ in seq.named_children()] == ["0", "1", "2"]
    x = np.array([[0.5, -1.0]])
    want = np.tanh(x) @ a.weight.data.T + a.bias.data
    want = want @ b.weight.data.T + b.bias.data
    np.testing.assert_allclose(seq(mg.tensor(x, dtype=np.float64)).data, want, rtol=1e-12)


@pytest.mark.parametrize("grow, message", [
    (lambda s: s.__setitem__(0, "tanh"),
     r"^Sequential: item '0' is a str, not a Module; wrap functions in a Module subclass$"),
    (lambda s: s.append(np.tanh),
     r"^Sequential\.append: it is a ufunc, not a Module; wrap functions in a Module subclass$"),
    (lambda s: s.insert(0, 3),
     r"^Sequential\.insert: it is a int, not a Module; wrap functions in a Module subclass$"),
    (lambda s: s.extend([nn.ReLU(), np.tanh]),
     r"^Sequential\.extend: item 1 is a ufunc, not a Module; wrap functions in a Module "
     r"subclass$"),
])
def test_sequential_refuses_a_non_module_naming_the_method_and_the_fix(grow, message):
    seq = nn.Sequential(nn.Tanh())
    with pytest.raises(ModuleError, match=message):
        grow(seq)
    assert len(seq) == 1 and isinstance(seq[0], nn.Tanh)


@pytest.mark.parametrize("key", ["fc.1", ""])
def test_sequential_refuses_a_key_that_would_break_qualified_names(key):
    with pytest.raises(ArgumentError, match=(
            r"^Sequential: the module name must be a non-empty string without '\.' \(dots "
            rf"separate the levels of qualified names\), got '{key.replace('.', '[.]')}'$")):
        nn.Sequential(OrderedDict([(key, nn.Tanh())]))


def test_sequential_refuses_a_key_that_is_not_a_string():
    with pytest.raises(ModuleError, match=r"^Sequential: the module name must be a string, "
                                          r"got int$"):
        nn.Sequential(OrderedDict([(3, nn.Tanh())]))


def test_named_modules_in_a_plain_dict_are_refused_naming_the_type():
    # PyTorch reads names only from an OrderedDict (a dict is "not a Module subclass" there).
    with pytest.raises(ModuleError, match=r"^Sequential: named modules must come as an "
                                          r"OrderedDict \(PyTorch's rule\), got a plain dict$"):
        nn.Sequential({"fc": nn.ReLU()})
