"""micrograd.testing tested: check_op passes a correct user-defined op and catches each kind
of planted bug (forward, backward, second derivative, jvp, float32), gradgradcheck catches
a wrong tensor form, the strategies draw what they promise, and Hypothesis is imported only
when needed, with a clear message when it is missing."""
from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import micrograd as mg
from micrograd import GradcheckError, HigherOrderError, Tensor
from micrograd.testing import check_op, gradcheck, gradgradcheck
from micrograd.testing import strategies as mst


def softplus_ref(x):
    return np.log1p(np.exp(x))


class Softplus(mg.Function):
    """z = log(1 + eˣ);  ∂z/∂x = σ(x)"""
    name = "softplus"

    def forward(self, x):
        self.x = x
        return np.logaddexp(0.0, x)

    def partial(self, i):
        return 1 / (1 + np.exp(-self.x))

    def partial_t(self, i, out):
        return self.parents[0].sigmoid()


FAST = {"max_examples": 15}


def test_check_op_passes_a_correct_op_and_says_what_it_checked():
    assert check_op(Softplus, softplus_ref, domain=(-5, 5), **FAST) == [
        "forward", "vjp", "second_order", "adjoint", "float32"]


# --------------------------------------------------------------------------- planted bugs


class WrongBackward(Softplus):
    def partial(self, i):
        s = 1 / (1 + np.exp(-self.x))
        return s * (1 - s)  # σ'(x), where softplus' is σ(x)


class WrongSecondDerivative(Softplus):
    def partial_t(self, i, out):  # the right values, as a constant: its derivative is lost
        return Tensor(1 / (1 + np.exp(-self.x)), dtype=out.dtype)


class WrongRecordedValue(Softplus):
    def partial_t(self, i, out):  # a tensor form whose values differ from partial's
        return self.parents[0].tanh()


class WrongForward(Softplus):
    def forward(self, x):
        self.x = x
        return np.logaddexp(0.0, x) + 1e-3


class Float64Leak(Softplus):
    def forward(self, x):
        self.x = x
        return np.logaddexp(0.0, x.astype(np.float64))  # float32 in, float64 out


class WrongJvp(Softplus):
    def jvp(self, t, i):
        return 2 * t * self.partial(i)


@pytest.mark.parametrize("op,message", [
    (WrongBackward, "the gradient of input 0 differs from finite differences"),
    (WrongSecondDerivative, "the derivative of the first gradient differs from finite "
                            "differences"),
    (WrongRecordedValue, "the first gradient recorded with create_graph=True differs"),
    (WrongForward, "the forward differs from the reference"),
    (Float64Leak, "float32 in, float64 out"),
    (WrongJvp, "jvp and backward are not one Jacobian"),
])
def test_check_op_catches_a_planted_bug(op, message):
    with pytest.raises(GradcheckError, match=message):
        check_op(op, softplus_ref, domain=(-5, 5), **FAST)


def test_an_op_without_a_tensor_form_is_checked_to_first_order_unless_asked():
    class FirstOrderOnly(mg.Function):
        name = "softplus"

        def forward(self, x):
            self.x = x
            return np.logaddexp(0.0, x)

        def partial(self, i):
            return 1 / (1 + np.exp(-self.x))

    assert "second_order" not in check_op(FirstOrderOnly, softplus_ref, **FAST)
    with pytest.raises(HigherOrderError, match="partial_t"):
        check_op(FirstOrderOnly, softplus_ref, second_order=True, **FAST)


class ScaledPair(mg.Function):
    """z = a · x · y (a a number, not differentiated), with broadcasting;
    ∂L/∂x = a g y, ∂L/∂y = a g x"""
    name = "scaled_pair"

    def forward(self, x, y, a=1.0):
        self.x, self.y, self.a = x, y, a
        return a * x * y

    def backward(self, g, i):
        return self.a * g * (self.y if i == 0 else self.x)

    def backward_t(self, g, i, out):
        x, y = self.parents
        return g * (y if i == 0 else x) * self.a


def test_check_op_takes_shapes_params_and_per_input_domains():
    """Two inputs that broadcast, a drawn keyword argument, a range per input; no jvp, so no
    adjoint check. A backward that forgets the keyword argument is caught: it reaches it."""
    options = {"domain": [(-2, 2), (0.5, 2, True)], "shapes": mst.broadcastable_shapes(2),
               "params": st.fixed_dictionaries({"a": st.sampled_from([0.5, -3.0])}), **FAST}
    checked = check_op(ScaledPair, lambda x, y, a: a * x * y, **options)
    assert checked == ["forward", "vjp", "second_order", "float32"]

    class ForgetsA(ScaledPair):
        def backward(self, g, i):
            return g * (self.y if i == 0 else self.x)

    with pytest.raises(GradcheckError, match="scaled_pair: the gradient of input"):
        check_op(ForgetsA, lambda x, y, a: a * x * y, **options)


class SumOfSquares(mg.Function):
    """z = Σ x² over one axis;  ∂L/∂x = 2 x g (g spread back over the axis)"""
    name = "sum_of_squares"

    def forward(self, x, axis):
        self.x, self.axis = x, axis
        return (x * x).sum(axis=axis)

    def backward(self, g, i):
        return 2 * self.x * np.expand_dims(g, self.axis)

    def backward_t(self, g, i, out):
        return 2 * self.parents[0] * g.unsqueeze(self.axis)


@st.composite
def shape_and_axis(draw):
    shape = draw(mst.shapes(min_dims=1, min_side=1))
    return [shape], {"axis": draw(st.integers(-len(shape), len(shape) - 1))}


def test_check_op_takes_cases_whose_params_depend_on_the_shapes():
    assert check_op(SumOfSquares, lambda x, axis: (x * x).sum(axis=axis),
                    cases=shape_and_axis(), **FAST) == ["forward", "vjp", "second_order",
                                                        "float32"]

    class HalfSpread(SumOfSquares):  # forgets the 2 in the tensor form only
        def backward_t(self, g, i, out):
            return self.parents[0] * g.unsqueeze(self.axis)

    # (shrunk to x = 0, where the values agree and only the derivative is off)
    with pytest.raises(GradcheckError, match="sum_of_squares: input 0: the .*first gradient"):
        check_op(HalfSpread, lambda x, axis: (x * x).sum(axis=axis), cases=shape_and_axis(),
                 **FAST)


def test_check_op_refuses_what_is_not_a_function():
    with pytest.raises(mg.ArgumentError, match="Function subclass"):
        check_op(lambda x: x, softplus_ref)


# --------------------------------------------------------------------------- gradgradcheck


def t64(a):
    return Tensor(np.asarray(a, dtype=np.float64), requires_grad=True)


def test_gradgradcheck_passes_composites_of_the_ops():
    rng = np.random.default_rng(0)
    x, y = t64(rng.uniform(0.5, 2, (3, 2))), t64(rng.uniform(-1, 1, (2,)))
    assert gradgradcheck(lambda a, b: (a ** b).log_softmax(axis=0) * a.tanh(), [x, y])
    assert gradgradcheck(lambda a, b: (a @ b.reshape(2, 1)).sigmoid(), [x, y],
                         grad_outputs=np.ones((3, 1)))


def test_gradgradcheck_names_the_input_with_a_wrong_second_derivative():
    x = t64([0.3, -1.2, 2.0])
    assert gradgradcheck(lambda a: Softplus.apply(a), [x])
    with pytest.raises(GradcheckError, match="input 0: the derivative of the first gradient"):
        gradgradcheck(lambda a: WrongSecondDerivative.apply(a), [x])


def test_gradgradcheck_checks_the_derivative_with_respect_to_the_upstream_gradient():
    """A tensor form that cuts g out of the graph (g's values, as a constant) gives the right
    ∂/∂x but a wrong ∂/∂g: only grad_outputs is named."""
    class CutsUpstream(Softplus):
        def backward_t(self, g, i, out):
            return Tensor(g.data) * self.parents[0].sigmoid()

    with pytest.raises(GradcheckError, match="grad_outputs: the derivative"):
        gradgradcheck(lambda a: CutsUpstream.apply(a), [t64([0.3, -1.2])])


def test_gradgradcheck_wants_float64():
    with pytest.raises(GradcheckError, match="float64"):
        gradgradcheck(lambda a: a.tanh(), [Tensor(np.ones(2, np.float32), requires_grad=True)])


def test_gradcheck_is_the_same_everywhere():
    assert gradcheck is mg.gradcheck
    from micrograd.gradients.gradcheck import gradcheck as inner
    assert gradcheck is inner


# --------------------------------------------------------------------------- strategies


@settings(max_examples=25)
@given(data=st.data())
def test_strategies_draw_what_they_promise(data):
    shapes = data.draw(mst.broadcastable_shapes(3))
    np.broadcast_shapes(*shapes)  # raises if they do not broadcast
    x, y = mst.distinct()(data.draw, [(2, 3), (4,)])
    values = np.concatenate([x.ravel(), y.ravel()])
    assert len(set(values.tolist())) == values.size  # no ties
    assert np.all(np.abs(values / mst.GRID - np.round(values / mst.GRID)) > 0.4)  # off the grid
    (a,) = mst.domain((0.5, 2.0))(data.draw, [(3,)])
    assert a.dtype == np.float64 and np.all((a >= 0.5) & (a <= 2.0))
    (b,) = mst.per_input((1.0, 2.0, True))(data.draw, [(5,)])
    assert np.all((np.abs(b) >= 1.0) & (np.abs(b) <= 2.0))
    axis = data.draw(mst.axes(3))
    assert axis is None or np.empty((2, 2, 2)).sum(axis=axis) is not None
    (t,) = data.draw(mst.tensors([(2, 2)], domain=(0.0, 1.0), dtype=np.float32))
    assert t.dtype == np.float32 and t.requires_grad and t.shape == (2, 2)


# --------------------------------------------------------------------------- Hypothesis is optional


def test_importing_micrograd_testing_does_not_import_hypothesis():
    code = ("import sys, micrograd, micrograd.testing; "
            "assert 'hypothesis' not in sys.modules, 'imported hypothesis'")
    subprocess.run([sys.executable, "-c", code], check=True)


def test_without_hypothesis_check_op_names_the_test_extra(monkeypatch):
    import micrograd.testing
    monkeypatch.setitem(sys.modules, "hypothesis", None)  # `import hypothesis` now fails
    monkeypatch.delitem(sys.modules, "micrograd.testing.strategies")
    monkeypatch.delattr(micrograd.testing, "strategies")
    with pytest.raises(ImportError, match=r"pip install 'micrograd\[test\]'"):
        check_op(Softplus, softplus_ref)
    with pytest.raises(ImportError, match="test"):
        import micrograd.testing.strategies  # noqa: F401
