"""The forward of each op as one line of numpy: the table the generated code is written from.

A template gets the op (its class, the options it was called with, the normalised forms
its forward saved, such as positive axes: op.opts) and the names of its arguments, and
returns a Python expression, or None when it has no plain form for this call (integer
input to exp, say): the line then calls the op's own forward (`ops.Exp().forward(x)`),
which is always right. Each template computes what the op's forward computes, step for
step, so the compiled values equal eager's; tests/test_compile_ops.py checks each one.

Backward lines are written from the same table: the backward program is made of the
same ops (see trace.py), so there is no second copy of any derivative here.
"""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from .. import ops
from ..engine import Function
from .trace import Op

__all__ = ["Literals", "forward_text", "HELPERS", "instance_text", "class_text"]


class Literals:
    """Writes option values as Python source; what has no literal form (an array, a
    Generator) becomes a named constant of the generated module."""

    def __init__(self, name_constant: Callable[[Any, str], str]):
        self.name_constant = name_constant

    def __call__(self, obj: Any, hint: str = "c") -> str:
        if obj is None or isinstance(obj, (bool, str)):
            return repr(obj)
        if isinstance(obj, (int, np.integer)):
            return repr(int(obj))
        if isinstance(obj, (float, np.floating)) and type(obj) in (float, np.float64):
            return repr(float(obj))
        if obj is Ellipsis:
            return "..."
        if isinstance(obj, slice):
            return f"slice({self(obj.start)}, {self(obj.stop)}, {self(obj.step)})"
        if isinstance(obj, tuple) and any(isinstance(x, np.ndarray) for x in obj):
            return self.name_constant(obj, hint)  # an index of arrays: one name for it all
        if isinstance(obj, tuple):
            items = [self(x, hint) for x in obj]
            return f"({items[0]},)" if len(items) == 1 else f"({', '.join(items)})"
        if isinstance(obj, list) and all(isinstance(x, (int, np.integer)) for x in obj):
            return repr([int(x) for x in obj])
        if isinstance(obj, np.dtype) or (isinstance(obj, type) and issubclass(obj, np.generic)):
            return f"np.{np.dtype(obj).name}"
        return self.name_constant(obj, hint)

    def index(self, index: Any) -> str:
        """x[...]'s subscript: 1:3, None, ... for basic indices, a constant's name for arrays."""
        items = index if isinstance(index, tuple) else (index,)
        if not all(isinstance(k, (int, np.integer, slice)) or k is None or k is Ellipsis
                   for k in items):
            return self.name_constant(index, "index")
        parts = []
        for k in items:
            if isinstance(k, slice):
                text = ":".join("" if s is None else str(int(s))
                                for s in (k.start, k.stop, k.step))
                parts.append(text[:-1] if text.endswith(":") and k.step is None else text)
            else:
                parts.append(self(k))
        if not parts:
            return "()"
        return ", ".join(parts) + ("," if len(parts) == 1 and isinstance(index, tuple) else "")


# ----------------------------------------------------------------------------- helpers
# Ops whose forward takes a few numpy lines get a small function, written into the
# generated module when used, so that the program still reads one line per op.

HELPERS: dict[str, str] = {
    "sigmoid": '''\
def sigmoid(x):
    e = np.exp(-np.abs(x))  # never overflows; e/(1+e) keeps the negative tail exact
    return np.where(x >= 0, 1 / (1 + e), e / (1 + e))''',
    "softmax": '''\
def softmax(x, axis):
    e = np.exp(x - x.max(axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)''',
    "log_softmax": '''\
def log_softmax(x, axis):
    shifted = x - x.max(axis=axis, keepdims=True)
    return shifted - np.log(np.exp(shifted).sum(axis=axis, keepdims=True))''',
    "logsumexp": '''\
def logsumexp(x, axis, keepdims):
    m = x.max(axis=axis, keepdims=True)
    m = np.where(np.isfinite(m), m, 0)
    z = np.log(np.exp(x - m).sum(axis=axis, keepdims=True)) + m
    return z if keepdims else np.squeeze(z, axis=axis)''',
    "linear": '''\
def linear(x, w, b):
    z = x @ w.T
    z += b  # z is new: the bias goes in place, no second array
    return z''',
    "scatter": '''\
def scatter(v, index, shape):
    out = np.zeros(shape, dtype=v.dtype)
    out[index] = v
    return out''',
    "scatter_add": '''\
def scatter_add(v, index, shape):
    out = np.zeros(shape, dtype=v.dtype)
    np.add.at(out, index, v)  # an index met twice adds both
    return out''',
    "setitem": '''\
def setitem(x, v, index):
    out = x.copy()
    out[index] = v
    return out''',
    "cross_entropy": '''\
def cross_entropy(z, labels, reduction):
    shifted = z - z.max(axis=1, keepdims=True)
    per_row = np.log(np.exp(shifted).sum(axis=1)) - shifted[np.arange(len(z)), labels]
    return per_row.sum() / len(z) if reduction == "mean" else (
        per_row.sum() if reduction == "sum" else per_row)''',
    "cross_entropy_soft": '''\
def cross_entropy_soft(z, targets, reduction):
    shifted = z - z.max(axis=1, keepdims=True)
    log_p = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
    per_row = -(targets * log_p).sum(axis=1)
    return per_row.sum() / len(z) if reduction == "mean" else (
        per_row.sum() if reduction == "sum" else per_row)''',
}


# ----------------------------------------------------------------------------- the table

Template = Callable[[Op, list[str], Literals, set[str]], "str | None"]
_TABLE: dict[type[Function], Template] = {}


def _template(*classes: type[Function]) -> Callable[[Template], Template]:
    def register(f: Template) -> Template:
        for cls in classes:
            _TABLE[cls] = f
        return f
    return register


def _float(v: Any) -> bool:
    return v.dtype.kind in "fc"


def _real_float(v: Any) -> bool:
    return v.dtype.kind == "f"


_BINARY = {ops.Add: "+", ops.Sub: "-", ops.Mul: "*", ops.Pow: "**", ops.MatMul: "@"}


@_template(*_BINARY)
def _binary(op: Op, a: list[str], lit: Literals, used: set[str]) -> str:
    return f"{a[0]} {_BINARY[op.cls] if op.cls else ''} {a[1]}"


@_template(ops.Div)
def _div(op: Op, a: list[str], lit: Literals, used: set[str]) -> str | None:
    if not (_float(op.args[0]) or _float(op.args[1])):
        return None  # int / int: the op casts to the default float
    return f"{a[0]} / {a[1]}"


@_template(ops.Neg)
def _neg(op: Op, a: list[str], lit: Literals, used: set[str]) -> str:
    return f"-{a[0]}"


_UFUNC = {ops.Exp: "np.exp", ops.Exp2: "np.exp2", ops.Expm1: "np.expm1", ops.Log: "np.log",
          ops.Log1p: "np.log1p", ops.Sqrt: "np.sqrt", ops.Tanh: "np.tanh"}


@_template(*_UFUNC)
def _ufunc(op: Op, a: list[str], lit: Literals, used: set[str]) -> str:
    x = a[0] if _float(op.args[0]) else f"{a[0]}.astype({lit(op.out.dtype)})"
    return f"{_UFUNC[op.cls]}({x})"  # type: ignore[index]


@_template(ops.Abs)
def _abs(op: Op, a: list[str], lit: Literals, used: set[str]) -> str:
    return f"np.abs({a[0]})"


@_template(ops.Relu)
def _relu(op: Op, a: list[str], lit: Literals, used: set[str]) -> str:
    return f"np.maximum({a[0]}, 0)"


@_template(ops.Maximum, ops.Minimum)
def _pick(op: Op, a: list[str], lit: Literals, used: set[str]) -> str:
    return f"np.{'maximum' if op.cls is ops.Maximum else 'minimum'}({a[0]}, {a[1]})"


@_template(ops.Sigmoid)
def _sigmoid(op: Op, a: list[str], lit: Literals, used: set[str]) -> str | None:
    if not _real_float(op.args[0]):
        return None
    used.add("sigmoid")
    return f"sigmoid({a[0]})"


@_template(ops.Where)
def _where(op: Op, a: list[str], lit: Literals, used: set[str]) -> str:
    return f"np.where({lit(op.opts.cond, 'cond')}, {a[0]}, {a[1]})"


@_template(ops.Clip)
def _clip(op: Op, a: list[str], lit: Literals, used: set[str]) -> str:
    lo, hi = ops.clip_bounds(op.kwargs.get("lo"), op.kwargs.get("hi"))
    return f"np.clip({a[0]}, {lit(lo, 'lo')}, {lit(hi, 'hi')})"


@_template(ops.Cast)
def _cast(op: Op, a: list[str], lit: Literals, used: set[str]) -> str:
    return f"{a[0]}.astype({lit(op.out.dtype)})"


def _reduce_args(op: Op, lit: Literals) -> str:
    """axis= and keepdims= as eager passed them to numpy (axis None: all axes)."""
    parts = []
    if op.kwargs.get("axis") is not None:
        axes = tuple(op.opts.axes)
        parts.append(f"axis={lit(axes[0] if len(axes) == 1 else axes)}")
    if op.kwargs.get("keepdims", False):
        parts.append("keepdims=True")
    return ", ".join(parts)


@_template(ops.Sum)
def _sum(op: Op, a: list[str], lit: Literals, used: set[str]) -> str:
    return f"{a[0]}.sum({_reduce_args(op, lit)})"


@_template(ops.Mean)
def _mean(op: Op, a: list[str], lit: Literals, used: set[str]) -> str | None:
    if not _float(op.args[0]):
        return None  # an integer mean is given as the default float
    return f"{a[0]}.mean({_reduce_args(op, lit)})"


@_template(ops.Max, ops.Min)
def _extreme(op: Op, a: list[str], lit: Literals, used: set[str]) -> str:
    keep = bool(op.kwargs.get("keepdims", False))
    return (f"np.{'max' if op.cls is ops.Max else 'min'}({a[0]}, "
            f"axis={lit(op.opts.axes)}, keepdims={keep})")


@_template(ops.Softmax, ops.LogSoftmax)
def _softmax(op: Op, a: list[str], lit: Literals, used: set[str]) -> str | None:
    if not _real_float(op.args[0]) or op.args[0].size == 0:
        return None
    name = "softmax" if op.cls is ops.Softmax else "log_softmax"
    used.add(name)
    return f"{name}({a[0]}, axis={_one_or_more(op.opts.axis, lit)})"


def _one_or_more(axes: Any, lit: Literals) -> str:
    axes = tuple(axes)
    return lit(axes[0] if len(axes) == 1 else axes)


@_template(ops.LogSumExp)
def _logsumexp(op: Op, a: list[str], lit: Literals, used: set[str]) -> str | None:
    if not _real_float(op.args[0]) or op.args[0].size == 0:
        return None
    used.add("logsumexp")
    keep = bool(op.kwargs.get("keepdims", False))
    return (f"logsumexp({a[0]}, axis={_one_or_more(op.opts.axes, lit)}, "
            f"keepdims={keep})")


@_template(ops.Reshape)
def _reshape(op: Op, a: list[str], lit: Literals, used: set[str]) -> str:
    return f"{a[0]}.reshape({lit(op.out.shape)})"


@_template(ops.Transpose)
def _transpose(op: Op, a: list[str], lit: Literals, used: set[str]) -> str:
    axes = op.opts.axes
    if axes is None or (len(axes) == 2 and tuple(axes) == (1, 0)):
        return f"{a[0]}.T"
    return f"{a[0]}.transpose({lit(tuple(int(k) for k in axes))})"


@_template(ops.Expand)
def _expand(op: Op, a: list[str], lit: Literals, used: set[str]) -> str:
    return f"np.broadcast_to({a[0]}, {lit(op.out.shape)})"


@_template(ops.Repeat)
def _repeat(op: Op, a: list[str], lit: Literals, used: set[str]) -> str:
    return f"np.tile({a[0]}, {lit(tuple(op.opts.reps))})"


@_template(ops.GetItem)
def _getitem(op: Op, a: list[str], lit: Literals, used: set[str]) -> str:
    return f"{a[0]}[{lit.index(op.opts.index)}]"


@_template(ops.ScatterAdd)
def _scatter_add(op: Op, a: list[str], lit: Literals, used: set[str]) -> str:
    index = op.opts.index
    name = "scatter" if ops._is_basic(index) else "scatter_add"
    used.add(name)
    return f"{name}({a[0]}, {lit(index, 'index')}, {lit(op.opts.shape)})"


@_template(ops.SetItem)
def _setitem(op: Op, a: list[str], lit: Literals, used: set[str]) -> str:
    used.add("setitem")
    return f"setitem({a[0]}, {a[1]}, {lit(op.opts.index, 'index')})"


@_template(ops.Concatenate, ops.Stack)
def _join(op: Op, a: list[str], lit: Literals, used: set[str]) -> str:
    name = "concatenate" if op.cls is ops.Concatenate else "stack"
    items = ", ".join(a) + ("," if len(a) == 1 else "")
    return f"np.{name}(({items}), axis={lit(op.kwargs.get('axis', 0))})"


@_template(ops.FusedLinear)
def _linear(op: Op, a: list[str], lit: Literals, used: set[str]) -> str:
    if len(a) == 2:
        return f"{a[0]} @ {a[1]}.T"
    used.add("linear")
    return f"linear({a[0]}, {a[1]}, {a[2]})"


@_template(ops.SoftmaxCrossEntropy)
def _cross_entropy(op: Op, a: list[str], lit: Literals, used: set[str]) -> str | None:
    z = op.args[0]
    if not _real_float(z) or z.size == 0:
        return None
    reduction = lit(op.kwargs.get("reduction", "mean"))
    labels, targets = op.kwargs.get("labels"), op.kwargs.get("targets")
    if labels is not None:
        used.add("cross_entropy")
        return f"cross_entropy({a[0]}, {lit(labels, 'labels')}, {reduction})"
    used.add("cross_entropy_soft")
    return f"cross_entropy_soft({a[0]}, {lit(targets, 'targets')}, {reduction})"


def forward_text(op: Op, args: list[str], lit: Literals, used: set[str]) -> str | None:
    """The op's forward as one numpy expression of `args`, or None (no plain form)."""
    template = _TABLE.get(op.cls) if op.cls is not None else None
    return None if template is None else template(op, args, lit, used)


def instance_text(op: Op, args: list[str], lit: Literals, owner: str) -> str:
    """The op's own forward called on arrays: `ops.Exp().forward(x)`, or through a kept
    Function object (whose backward reads the arrays its forward saves on it)."""
    parts = list(args) + [f"{k}={lit(v, k)}" for k, v in op.kwargs.items()]
    return f"{owner}.forward({', '.join(parts)})"


def class_text(cls: type) -> str:
    """How the generated code names an op class (ops.X, or the bare name of a user's op)."""
    return f"ops.{cls.__name__}" if getattr(ops, cls.__name__, None) is cls else cls.__name__
