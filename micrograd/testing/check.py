"""check_op: the op table's properties, run by Hypothesis on a user's own Function."""
from __future__ import annotations

import inspect
from collections.abc import Callable
from typing import Any

from ..engine import Function
from ..errors import ArgumentError
from .properties import (
    check_adjoint,
    check_float32,
    check_forward,
    check_second_order,
    check_vjp,
)

__all__ = ["check_op"]


def check_op(op: type[Function], reference: Callable[..., Any], *,
             domain: Any = (-3.0, 3.0), shapes: Any = None, params: Any = None,
             cases: Any = None, second_order: bool | None = None, jvp: bool | None = None,
             float32: bool = True, max_examples: int = 30, rtol: float = 1e-6,
             atol: float = 1e-7) -> list[str]:
    """Check a Function subclass on examples Hypothesis draws, with the properties the
    project's op table checks on its own ops (micrograd.testing.properties):

      forward       op.apply(*tensors, **params) equals reference(*arrays, **params)
      vjp           backward equals central differences of the reference
      second_order  the backward recorded with create_graph=True (backward_t/partial_t)
                    equals backward, and its own derivatives equal central differences of
                    backward; run when the op has a tensor form (or if asked: True)
      adjoint       ⟨G, jvp(t)⟩ = ⟨backward(G), t⟩; run when the op has a jvp (elementwise
                    ops with partial() always do)
      float32       float32 stays float32 through forward and backward

    domain: a range (lo, hi) for every input, a list of ranges (one per input; (lo, hi,
    True) means ±[lo, hi]), or a domain of micrograd.testing.strategies: keep it where
    the op is smooth. shapes: a strategy of the list of input shapes (default: one shape,
    0-d to 4-d, shared by all inputs; strategies.broadcastable_shapes(n) to test
    broadcasting). params: keyword arguments for forward, a dict or a strategy of dicts.
    cases: a strategy of (shapes, params) instead of the two. Returns the names of the
    properties checked; raises GradcheckError (after Hypothesis shrank the example) at
    the first that fails. Needs Hypothesis (the `test` extra)."""
    mst = _strategies()  # first: without Hypothesis, a clear ImportError naming the extra
    from hypothesis import HealthCheck, Phase, given, settings
    from hypothesis import strategies as st

    if not (isinstance(op, type) and issubclass(op, Function)):
        raise ArgumentError(f"check_op: expected a Function subclass, got {op!r}; write the "
                            "op as class MyOp(micrograd.Function) with forward and backward")
    name = op.name if op.name != Function.name else op.__name__
    fn = op.apply
    values = mst.domain(domain)
    if cases is None:
        n = _arity(op)
        shape_lists = shapes if shapes is not None else mst.same_shapes(n)
        kwargs = params if isinstance(params, st.SearchStrategy) else st.just(params or {})
        cases = st.tuples(shape_lists, kwargs)
    if second_order is None:
        second_order = _has_tensor_form(op)
    if jvp is None:
        jvp = op.elementwise or op.jvp is not Function.jvp
    checks = ["forward", "vjp"] + ["second_order"] * second_order + ["adjoint"] * jvp \
        + ["float32"] * float32

    # No example database (check_op is a function, not a test file) and no "explain"
    # phase, which reruns a shrunk failure many times to list the lines it ran.
    @settings(max_examples=max_examples, deadline=None, database=None,
              phases=[Phase.explicit, Phase.generate, Phase.shrink],
              report_multiple_bugs=False,
              suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                     HealthCheck.filter_too_much])
    @given(data=st.data())
    def run(data: Any) -> None:
        shape_list, kw = data.draw(cases, label="shapes, params")
        arrays = values(data.draw, list(shape_list))
        seed = data.draw(st.integers(0, 2**32 - 1), label="seed")
        check_forward(fn, reference, arrays, kw, rtol=rtol, atol=atol, name=name)
        check_vjp(fn, reference, arrays, kw, seed, rtol=rtol, atol=atol, name=name)
        if second_order:
            check_second_order(fn, arrays, kw, seed, rtol=rtol, atol=atol, name=name)
        if jvp:
            check_adjoint(fn, arrays, kw, seed, name=name)
        if float32:
            check_float32(fn, reference, arrays, kw, seed, second_order=second_order,
                          name=name)

    run()
    return checks


def _arity(op: type[Function]) -> int:
    """How many tensors forward takes: its positional parameters without a default."""
    ps = list(inspect.signature(op.forward).parameters.values())[1:]  # after self
    if any(p.kind is p.VAR_POSITIONAL for p in ps):
        raise ArgumentError(f"check_op: {op.__name__}.forward takes *inputs; pass shapes= (a "
                            "strategy of the list of input shapes) to say how many")
    return sum(p.default is p.empty and p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)
               for p in ps)


def _has_tensor_form(op: type[Function]) -> bool:
    """Whether op can be differentiated twice: it defines backward_t, or partial_t if it is
    elementwise (Function's own versions raise HigherOrderError)."""
    return (op.backward_t is not Function.backward_t
            or (op.elementwise and op.partial_t is not Function.partial_t))


def _strategies() -> Any:
    from . import strategies
    return strategies
