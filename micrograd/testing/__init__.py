"""Test your own ops the way micrograd tests its own.

  gradcheck(fn, inputs)          backward() against central differences (float64)
  gradgradcheck(fn, inputs)      second derivatives (a backward recorded with
                                 create_graph=True) against central differences of the
                                 first gradient (float64)
  check_op(MyOp, reference)      every property the op table checks on ops.py, run by
                                 Hypothesis on a Function subclass of your own
  strategies                     Hypothesis strategies: shapes, broadcastable shapes,
                                 reduction axes, safe value domains
  properties                     the single properties check_op runs, on one example

Hypothesis is imported only when check_op or micrograd.testing.strategies is used (it
is in the `test` extra: pip install 'micrograd[test]'), so this package imports without it.
See docs/testing.md.
"""
from ..gradients.gradcheck import GradcheckError, gradcheck, gradgradcheck, numerical_grad
from .check import check_op
from .properties import (
    check_adjoint,
    check_float32,
    check_forward,
    check_second_order,
    check_vjp,
)

__all__ = ["gradcheck", "gradgradcheck", "numerical_grad", "GradcheckError", "check_op",
           "check_forward", "check_vjp", "check_second_order", "check_adjoint", "check_float32"]
