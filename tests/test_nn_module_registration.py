"""Module's registration by hand (add_module, register_parameter, register_buffer, del): what
each makes of the attribute, checked against PyTorch where the two agree, and the errors a
wrong call raises, naming the module, the call and the fix."""
from __future__ import annotations

import numpy as np
import pytest

from micrograd import Tensor, nn
from micrograd.errors import ArgumentError, ModuleError


class Net(nn.Module):
    def __init__(self):
        self.fc = nn.Linear(2, 3, seed=0)
        self.scale = Tensor(np.ones(3))  # a buffer: a plain tensor

    def forward(self, x):
        return self.fc(x) * self.scale


def _names(m):
    return ([n for n, _ in m.named_parameters(include_frozen=True)],
            [n for n, _ in m.named_buffers()], list(m.state_dict()))


# -- the calls that work --------------------------------------------------------------

def test_register_parameter_adds_a_parameter_in_torch_s_order():
    torch = pytest.importorskip("torch", reason="the PyTorch cross-check needs torch")
    ours, theirs = nn.Module(), torch.nn.Module()
    for m, P, zeros in ((ours, nn.Parameter, np.zeros), (theirs, torch.nn.Parameter, torch.zeros)):
        m.register_parameter("w", P(zeros(3)))
        m.register_parameter("empty", None)  # an empty slot: neither a parameter nor state
        m.register_parameter("b", P(zeros(2)))
    assert [n for n, _ in ours.named_parameters()] == [n for n, _ in theirs.named_parameters()]
    assert list(ours.state_dict()) == list(theirs.state_dict()) == ["w", "b"]
    assert ours.empty is None and isinstance(ours.w, nn.Parameter)
    np.testing.assert_array_equal(ours.b.data, np.zeros(2))


def test_add_module_adds_replaces_and_fills_an_empty_slot():
    net = Net()
    first, second, third = nn.Linear(3, 1, seed=1), nn.Linear(3, 4, seed=2), nn.ReLU()
    net.add_module("head", first)
    assert net.head is first and [n for n, _ in net.named_children()] == ["fc", "head"]
    net.add_module("head", second)  # replacing a child is allowed, as in PyTorch
    assert net.head is second and list(net.children()) == [net.fc, second]
    net.slot = None
    net.register_module("slot", third)  # an attribute holding None may become a child
    assert net.slot is third and list(net.children()) == [net.fc, second, third]


def test_a_buffer_registered_again_as_persistent_comes_back_into_the_state_dict():
    torch = pytest.importorskip("torch", reason="the PyTorch cross-check needs torch")
    ours, theirs = nn.Module(), torch.nn.Module()
    ours.register_buffer("mask", Tensor(np.ones(2)), persistent=False)
    theirs.register_buffer("mask", torch.ones(2), persistent=False)
    assert list(ours.state_dict()) == list(theirs.state_dict()) == []
    ours.register_buffer("mask", Tensor(np.zeros(2)))
    theirs.register_buffer("mask", torch.zeros(2))
    assert list(ours.state_dict()) == list(theirs.state_dict()) == ["mask"]


# -- del forgets what the name was ------------------------------------------------------

def test_a_deleted_parameter_name_set_again_to_a_plain_tensor_is_a_buffer():
    net = Net()
    del net.fc.bias
    assert _names(net)[0] == ["fc.weight"]
    net.fc.bias = Tensor(np.zeros(3))  # no grad: state, not a parameter any more
    assert _names(net) == (["fc.weight"], ["scale", "fc.bias"],
                           ["scale", "fc.weight", "fc.bias"])


def test_a_deleted_buffer_name_set_again_to_a_trainable_tensor_is_a_parameter():
    net = Net()
    net.register_buffer("stats", Tensor(np.zeros(3)))
    del net.stats
    net.stats = Tensor(np.zeros(3), requires_grad=True)
    params, buffers, _ = _names(net)
    assert "stats" in params and "stats" not in buffers


def test_a_deleted_non_persistent_buffer_set_again_by_assignment_is_saved():
    net = Net()
    net.register_buffer("cache", Tensor(np.zeros(3)), persistent=False)
    assert "cache" not in net.state_dict()
    del net.cache
    net.cache = Tensor(np.ones(3))  # a new plain buffer: persistent, as every buffer set so
    np.testing.assert_array_equal(net.state_dict()["cache"], np.ones(3))


def test_del_of_any_attribute_works_on_a_module_that_never_registered_a_buffer():
    lin = nn.Linear(2, 2, seed=0)
    lin.note = "kept with the model"
    del lin.note
    assert not hasattr(lin, "note")
    del lin.bias
    assert [n for n, _ in lin.named_parameters()] == ["weight"]
    with pytest.raises(AttributeError):
        del lin.never_set


# -- the calls that are refused -----------------------------------------------------------

@pytest.mark.parametrize("call, what", [
    (lambda m: m.add_module(3, nn.ReLU()), "module"),
    (lambda m: m.register_module(3, nn.ReLU()), "module"),
    (lambda m: m.register_buffer(3, Tensor(np.ones(1))), "buffer"),
    (lambda m: m.register_parameter(3, nn.Parameter(np.ones(1))), "parameter"),
])
def test_a_name_that_is_not_a_string_is_refused_naming_the_call(call, what):
    where = "add_module" if what == "module" else f"register_{what}"
    with pytest.raises(ModuleError, match=rf"^Net\.{where}: the {what} name must be a string, "
                                          r"got int$"):
        call(Net())


@pytest.mark.parametrize("name", ["", "a.b"])
@pytest.mark.parametrize("call, what", [
    (lambda m, n: m.add_module(n, nn.ReLU()), "module"),
    (lambda m, n: m.register_buffer(n, None), "buffer"),
    (lambda m, n: m.register_parameter(n, None), "parameter"),
])
def test_an_empty_or_dotted_name_is_refused_naming_the_call(call, what, name):
    where = "add_module" if what == "module" else f"register_{what}"
    with pytest.raises(ArgumentError, match=rf"^Net\.{where}: the {what} name must be a non-empty "
                                            rf"string without '\.' \(dots separate the levels of "
                                            rf"qualified names\), got {name!r}$"):
        call(Net(), name)


def test_add_module_refuses_what_is_not_a_module_and_a_name_taken_by_something_else():
    net = Net()
    with pytest.raises(ModuleError, match=r"^Net\.add_module: int is not a Module subclass$"):
        net.add_module("head", 3)
    with pytest.raises(ArgumentError, match=r"^Net\.add_module: attribute 'scale' already "
                                            r"exists and is not a module; pick another name$"):
        net.add_module("scale", nn.ReLU())  # a buffer's name
    assert isinstance(net.scale, Tensor)  # left as it was


def test_register_buffer_refuses_non_tensors_and_parameter_names():
    net = Net()
    with pytest.raises(ModuleError, match=r"^Net\.register_buffer: cannot make a list the buffer "
                                          r"'mask'; a Tensor or None is required$"):
        net.register_buffer("mask", [1.0, 0.0, 1.0])
    with pytest.raises(ArgumentError, match=r"^Linear\.register_buffer: 'weight' is already a "
                                            r"parameter of this module$"):
        net.fc.register_buffer("weight", Tensor(np.zeros((3, 2))))
    assert isinstance(net.fc.weight, nn.Parameter) and not hasattr(net, "mask")


def test_register_parameter_refuses_a_plain_tensor_and_says_to_wrap_it():
    net = Net()
    with pytest.raises(ModuleError, match=r"^Net\.register_parameter: cannot make a Tensor the "
                                          r"parameter 'w'; wrap it: nn\.Parameter\(tensor\)$"):
        net.register_parameter("w", Tensor(np.zeros(2)))
    assert not hasattr(net, "w")


def test_a_module_without_forward_says_so_by_its_class_name():
    class NoForward(nn.Module):
        pass

    with pytest.raises(NotImplementedError, match=r"^NoForward does not define forward\(\)$"):
        NoForward()(np.ones(2))


def test_calling_a_module_passes_keyword_arguments_to_forward():
    class Affine(nn.Module):
        def forward(self, x, scale=1.0, *, shift=0.0):
            return x * scale + shift

    out = Affine()(Tensor(np.array([1.0, 2.0])), scale=3.0, shift=1.0)
    np.testing.assert_array_equal(out.data, [4.0, 7.0])

