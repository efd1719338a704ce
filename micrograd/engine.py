"""The engine: `Tensor`, the `Function` every op derives from, and the reverse walk.

Every op is a `Function` subclass (see `ops.py`) and every op call goes through
`Function.apply`: that single dispatch point runs the forward, records the graph
when gradients are wanted, and tells the observers (operation counters, anomaly
checks) what happened. Every local partial, in any mode, goes through
`Function.vjp` or `Function.jvp`, the second and third single points.
"""
from __future__ import annotations

import threading
from contextlib import contextmanager
from functools import wraps
from typing import Any, Callable, Iterator, Sequence

import numpy as np

__all__ = [
    "Tensor", "Function", "no_grad", "enable_grad", "is_grad_enabled",
    "detect_anomaly", "MicrogradError", "ShapeError", "GraphReleasedError", "AnomalyError",
]


class MicrogradError(Exception):
    """Base class of the errors micrograd raises on bad input."""


class ShapeError(MicrogradError, ValueError):
    """An op got operands whose shapes do not fit together."""


class GraphReleasedError(MicrogradError, RuntimeError):
    """backward() reached a node whose saved buffers were already freed."""


class AnomalyError(MicrogradError, FloatingPointError):
    """A nan or inf appeared while anomaly detection was on."""


# --------------------------------------------------------------------------- grad mode

class _GradMode(threading.local):
    # Class attributes are the defaults every new thread starts from.
    enabled = True


_grad_mode = _GradMode()


def is_grad_enabled() -> bool:
    """True when new ops are recorded in the graph (the default)."""
    return _grad_mode.enabled


class _SetGradMode:
    """Context manager and decorator that sets grad mode for its block (thread-local)."""

    def __init__(self, enabled: bool):
        self.enabled = enabled
        self._prev: list[bool] = []

    def __enter__(self) -> None:
        self._prev.append(_grad_mode.enabled)
        _grad_mode.enabled = self.enabled

    def __exit__(self, *exc: Any) -> None:
        _grad_mode.enabled = self._prev.pop()

    def __call__(self, func: Callable) -> Callable:
        @wraps(func)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            with _SetGradMode(self.enabled):
                return func(*args, **kwargs)
        return wrapper


def no_grad() -> _SetGradMode:
    """Ops inside do not record a graph: `with no_grad():` or `@no_grad()`."""
    return _SetGradMode(False)


def enable_grad() -> _SetGradMode:
    """Turn recording back on inside a `no_grad` block."""
    return _SetGradMode(True)


# --------------------------------------------------------------------------- observers

# Objects told about every forward op and every local partial: operation counters
# (counting.py) and the anomaly checker below. Empty by default, so the hot path
# pays one truthiness test per op.
_observers: list = []


@contextmanager
def detect_anomaly() -> Iterator[None]:
    """Inside this block every op's output and every local partial is checked for
    nan/inf, and the first one found raises `AnomalyError` naming the op that made it."""
    checker = _AnomalyChecker()
    _observers.append(checker)
    try:
        yield
    finally:
        _observers.remove(checker)


def _nonfinite(a: Any) -> str | None:
    """"nan" or "inf" if the array holds one (nan first), else None."""
    a = np.asarray(a)
    if a.dtype.kind not in "fc" or np.isfinite(a).all():
        return None
    return "nan" if np.isnan(a).any() else "inf"


def _describe_inputs(arrays: Sequence[np.ndarray]) -> str:
    parts = []
    for a in arrays:
        a = np.asarray(a)
        bad = "" if _nonfinite(a) is None else " (already non-finite)"
        parts.append(f"{a.shape} {a.dtype}{bad}")
    return ", ".join(parts)


class _AnomalyChecker:
    """Observer that raises at the first op whose output or partial is not finite."""

    def on_forward(self, fn: "Function", parents: Sequence["Tensor"], out: "Tensor") -> None:
        where = _nonfinite(out.data)
        if where:
            raise AnomalyError(f"{fn.name}: forward produced {where}; inputs: "
                               f"{_describe_inputs([t.data for t in parents])}")

    def on_partial(self, fn: "Function", i: int, g: Any, pg: Any, kind: str) -> None:
        where = _nonfinite(pg)
        if where:
            upstream = "finite" if _nonfinite(g) is None else "already non-finite"
            raise AnomalyError(
                f"{fn.name}: the local partial ({kind}) for input {i} produced {where} "
                f"(incoming gradient {upstream}, shape {np.shape(g)}); "
                f"op inputs: {_describe_inputs([p.data for p in fn.parents])}")


# --------------------------------------------------------------------------- Function

class Function:
    """One op: `forward` on numpy arrays, and beside it the local partials.

    Subclasses define
      forward(self, *arrays, **options) -> array   (save what the partials need on self)
      backward(self, g, i) -> array                 g · ∂out/∂input_i  (a VJP)
      jvp(self, t, i) -> array                      ∂out/∂input_i · t  (a JVP)
    Elementwise ops may define only `partial(self, i)`, the elementwise derivative
    ∂out/∂input_i; then backward is g * partial and jvp is t * partial.
    """

    # `parents` lives in a slot so that release() can drop every saved buffer by
    # clearing __dict__ while the graph itself stays drawable.
    __slots__ = ("parents", "__dict__")
    name = "op"
    released = False
    elementwise = False  # set for subclasses that define partial() and not backward()

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        cls.elementwise = cls.partial is not Function.partial and cls.backward is Function.backward

    # -- what subclasses write ------------------------------------------------
    def forward(self, *args: np.ndarray, **kwargs: Any) -> np.ndarray:
        raise NotImplementedError

    def partial(self, i: int) -> Any:
        raise NotImplementedError(f"{self.name} defines neither partial() nor backward()")

    def backward(self, g: np.ndarray, i: int) -> np.ndarray:
        return g * self.partial(i)

    def jvp(self, t: np.ndarray, i: int) -> np.ndarray:
        return t * self.partial(i)

    def flops(self, out_size: int, in_size: int) -> int:
        """Multiply-adds of one evaluation (forward or one partial) that maps between an
        output-shaped array of out_size entries and an input-side one of in_size:
        one per entry for elementwise ops and reductions."""
        return max(out_size, in_size)

    def release(self) -> None:
        """Drop the buffers saved for the partials (called after backward); keep the graph."""
        self.__dict__.clear()
        self.released = True

    # -- the dispatch point -----------------------------------------------------
    @classmethod
    def apply(cls, *parents: "Tensor", **kwargs: Any) -> "Tensor":
        """Run the op on `parents` and record it in the graph if gradients are wanted."""
        fn = cls.__new__(cls)
        try:
            if len(parents) == 1:
                data = fn.forward(parents[0].data, **kwargs)
            else:
                data = fn.forward(*[p.data for p in parents], **kwargs)
        except (ValueError, IndexError, TypeError) as e:
            # Name the op and the shapes; numpy's ValueErrors here are shape mismatches,
            # the other kinds keep their type (an IndexError must stay one: it ends loops).
            shapes = ", ".join(str(p.data.shape) for p in parents)
            msg = str(e).removeprefix(f"{cls.name}: ")  # numpy may name the op already
            kind = ShapeError if isinstance(e, ValueError) else type(e)
            raise kind(f"{cls.name}: {msg} (input shapes: {shapes})") from None
        if type(data) is not np.ndarray:
            data = np.asarray(data)
        out = Tensor.__new__(Tensor)
        out.data = data
        out.grad = out.name = out._ctx = None
        out._retain = out._rg = False
        if _grad_mode.enabled:
            for p in parents:
                if p._rg:
                    out._rg = True
                    fn.parents = parents
                    out._ctx = fn
                    break
        if _observers:
            for obs in _observers:
                obs.on_forward(fn, parents, out)
        return out

    # -- the single points every local partial goes through --------------------
    def vjp(self, g: np.ndarray, i: int) -> np.ndarray:
        """g · ∂out/∂input_i, with released-graph, counting and anomaly checks."""
        if self.released:
            raise GraphReleasedError(
                f"{self.name}: trying to backward through the graph a second time, but its "
                "saved buffers were freed by the first backward(); pass retain_graph=True "
                "to the first backward() if you need to call it again")
        # Elementwise ops skip the backward() frame: this is the hot path.
        pg = g * self.partial(i) if self.elementwise else self.backward(g, i)
        if _observers:
            for obs in _observers:
                obs.on_partial(self, i, g, pg, "vjp")
        return pg

    def jvp_(self, t: np.ndarray, i: int) -> np.ndarray:
        """∂out/∂input_i · t, with the same checks as `vjp`."""
        if self.released:
            raise GraphReleasedError(
                f"{self.name}: the graph's saved buffers were freed by backward(); "
                "pass retain_graph=True to keep them")
        pt = self.jvp(t, i)
        if _observers:
            for obs in _observers:
                obs.on_partial(self, i, t, pt, "jvp")
        return pt

    def __repr__(self) -> str:
        return f"<{self.name}>"


# --------------------------------------------------------------------------- Tensor

def _as_array(data: Any, dtype: Any) -> np.ndarray:
    if isinstance(data, Tensor):
        data = data.data
    arr = np.asarray(data, dtype=dtype)
    if arr.dtype.kind not in "fcbiu":
        raise TypeError(f"Tensor: cannot hold data of dtype {arr.dtype} (numbers only)")
    return arr


class Tensor:
    """An n-dimensional array that remembers the op that made it.

    Tensor(data, requires_grad=False, dtype=None, name=None). Python numbers and
    lists become float64 unless they are integers or booleans; numpy arrays keep
    their dtype. Only floating tensors may require gradients.
    """

    __slots__ = ("data", "grad", "name", "_rg", "_ctx", "_retain", "__weakref__")
    # numpy defers to our reflected operators instead of broadcasting over objects.
    __array_ufunc__ = None

    def __init__(self, data: Any, requires_grad: bool = False, dtype: Any = None,
                 name: str | None = None):
        self.data = _as_array(data, dtype)
        self.grad: np.ndarray | None = None
        self.name = name
        self._ctx: Function | None = None
        self._retain = False
        self._rg = False
        if requires_grad:
            self.requires_grad = True

    # -- grad bookkeeping -------------------------------------------------------
    @property
    def requires_grad(self) -> bool:
        return self._rg

    @requires_grad.setter
    def requires_grad(self, value: bool) -> None:
        if value and self.data.dtype.kind not in "fc":
            raise TypeError(
                f"Tensor: only floating-point tensors can require gradients, got dtype "
                f"{self.data.dtype}; convert first, e.g. Tensor(x, dtype=float)")
        if not value and self._ctx is not None:
            raise MicrogradError("requires_grad can only be turned off on leaves; use detach()")
        self._rg = bool(value)

    def requires_grad_(self, requires_grad: bool = True) -> "Tensor":
        self.requires_grad = requires_grad
        return self

    @property
    def grad_fn(self) -> Function | None:
        """The op that made this tensor (None for leaves and untracked tensors)."""
        return self._ctx

    @property
    def is_leaf(self) -> bool:
        return self._ctx is None

    def retain_grad(self) -> "Tensor":
        """Keep `.grad` on this non-leaf tensor after backward()."""
        self._retain = True
        return self

    def detach(self) -> "Tensor":
        """The same data, cut from the graph."""
        return Tensor(self.data)

    def zero_grad(self) -> None:
        self.grad = None

    def backward(self, gradient: Any = None, retain_graph: bool = False,
                 mode: str = "backprop", **options: Any) -> None:
        """Accumulate d(self)/d(leaf) into every leaf's `.grad`.

        mode="backprop" (default) walks the graph once in reverse topological
        order; other modes are in `micrograd.modes`.
        """
        _autograd.backward(self, gradient, retain_graph=retain_graph, mode=mode, **options)

    # -- array-like ---------------------------------------------------------------
    @property
    def shape(self) -> tuple[int, ...]:
        return self.data.shape

    @property
    def ndim(self) -> int:
        return self.data.ndim

    @property
    def size(self) -> int:
        return self.data.size

    @property
    def dtype(self) -> np.dtype:
        return self.data.dtype

    def __len__(self) -> int:
        return len(self.data)

    def item(self) -> float:
        if self.data.size != 1:
            raise ShapeError(f"item: only a tensor with one element can become a Python number, got shape {self.shape}")
        return self.data.item()

    def numpy(self) -> np.ndarray:
        return self.data

    def tolist(self) -> Any:
        return self.data.tolist()

    def __array__(self, dtype: Any = None, copy: Any = None) -> np.ndarray:
        # np.array(t) must not hand out the tensor's own buffer when a copy is asked for.
        return np.array(self.data, dtype=dtype, copy=copy)

    def __iter__(self) -> Iterator["Tensor"]:
        """The rows (entries along axis 0), each a tensor in the graph, as in PyTorch."""
        if self.data.ndim == 0:
            raise TypeError("iteration over a 0-d tensor")
        return (self[i] for i in range(len(self.data)))

    def __repr__(self) -> str:
        body = np.array2string(self.data, separator=", ", precision=4, threshold=20,
                               prefix="Tensor(")
        extra = ""
        if self.data.dtype != np.float64:
            extra += f", dtype={self.data.dtype}"
        if self._ctx is not None:
            extra += f", grad_fn=<{self._ctx.name}>"
        elif self._rg:
            extra += ", requires_grad=True"
        if self.name:
            extra += f", name={self.name!r}"
        return f"Tensor({body}{extra})"

    # -- ops: each is one Function from ops.py, applied through the dispatch point --
    def __add__(self, other: Any) -> "Tensor":
        return _ops.Add.apply(self, _lift(other, self))

    def __radd__(self, other: Any) -> "Tensor":
        return _ops.Add.apply(_lift(other, self), self)

    def __sub__(self, other: Any) -> "Tensor":
        return _ops.Sub.apply(self, _lift(other, self))

    def __rsub__(self, other: Any) -> "Tensor":
        return _ops.Sub.apply(_lift(other, self), self)

    def __mul__(self, other: Any) -> "Tensor":
        return _ops.Mul.apply(self, _lift(other, self))

    def __rmul__(self, other: Any) -> "Tensor":
        return _ops.Mul.apply(_lift(other, self), self)

    def __truediv__(self, other: Any) -> "Tensor":
        return _ops.Div.apply(self, _lift(other, self))

    def __rtruediv__(self, other: Any) -> "Tensor":
        return _ops.Div.apply(_lift(other, self), self)

    def __pow__(self, other: Any) -> "Tensor":
        return _ops.Pow.apply(self, _lift(other, self))

    def __rpow__(self, other: Any) -> "Tensor":
        return _ops.Pow.apply(_lift(other, self), self)

    def __matmul__(self, other: Any) -> "Tensor":
        return _ops.MatMul.apply(self, _lift(other, self))

    def __rmatmul__(self, other: Any) -> "Tensor":
        return _ops.MatMul.apply(_lift(other, self), self)

    def __neg__(self) -> "Tensor":
        return _ops.Neg.apply(self)

    def __pos__(self) -> "Tensor":
        return self

    def __abs__(self) -> "Tensor":
        return _ops.Abs.apply(self)

    def __getitem__(self, index: Any) -> "Tensor":
        return _ops.GetItem.apply(self, index=_plain_index(index))

    # Comparisons give boolean tensors outside the graph, as in numpy and PyTorch.
    def __lt__(self, other: Any) -> "Tensor":
        return Tensor(self.data < _raw(other))

    def __le__(self, other: Any) -> "Tensor":
        return Tensor(self.data <= _raw(other))

    def __gt__(self, other: Any) -> "Tensor":
        return Tensor(self.data > _raw(other))

    def __ge__(self, other: Any) -> "Tensor":
        return Tensor(self.data >= _raw(other))

    def __eq__(self, other: Any) -> "Tensor":  # type: ignore[override]
        return Tensor(self.data == _raw(other))

    def __ne__(self, other: Any) -> "Tensor":  # type: ignore[override]
        return Tensor(self.data != _raw(other))

    def exp(self) -> "Tensor":
        return _ops.Exp.apply(self)

    def log(self) -> "Tensor":
        return _ops.Log.apply(self)

    def sqrt(self) -> "Tensor":
        return _ops.Sqrt.apply(self)

    def abs(self) -> "Tensor":
        return _ops.Abs.apply(self)

    def tanh(self) -> "Tensor":
        return _ops.Tanh.apply(self)

    def sigmoid(self) -> "Tensor":
        return _ops.Sigmoid.apply(self)

    def relu(self) -> "Tensor":
        return _ops.Relu.apply(self)

    def clip(self, min: float | None = None, max: float | None = None) -> "Tensor":
        return _ops.Clip.apply(self, lo=min, hi=max)

    clamp = clip

    def sum(self, axis: Any = None, keepdims: bool = False) -> "Tensor":
        return _ops.Sum.apply(self, axis=axis, keepdims=keepdims)

    def mean(self, axis: Any = None, keepdims: bool = False) -> "Tensor":
        return _ops.Mean.apply(self, axis=axis, keepdims=keepdims)

    def max(self, axis: Any = None, keepdims: bool = False) -> "Tensor":
        return _ops.Max.apply(self, axis=axis, keepdims=keepdims)

    def min(self, axis: Any = None, keepdims: bool = False) -> "Tensor":
        return _ops.Min.apply(self, axis=axis, keepdims=keepdims)

    def argmax(self, axis: int | None = None) -> "Tensor":
        return Tensor(self.data.argmax(axis=axis))

    def argmin(self, axis: int | None = None) -> "Tensor":
        return Tensor(self.data.argmin(axis=axis))

    def reshape(self, *shape: Any) -> "Tensor":
        if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
            shape = tuple(shape[0])
        return _ops.Reshape.apply(self, shape=shape)

    def flatten(self) -> "Tensor":
        return self.reshape(-1)

    def transpose(self, *axes: Any) -> "Tensor":
        if len(axes) == 1 and isinstance(axes[0], (tuple, list)):
            axes = tuple(axes[0])
        return _ops.Transpose.apply(self, axes=axes or None)

    @property
    def T(self) -> "Tensor":
        return _ops.Transpose.apply(self, axes=None)

    def softmax(self, axis: int = -1) -> "Tensor":
        return _ops.Softmax.apply(self, axis=axis)

    def log_softmax(self, axis: int = -1) -> "Tensor":
        return _ops.LogSoftmax.apply(self, axis=axis)

    def logsumexp(self, axis: Any = None, keepdims: bool = False) -> "Tensor":
        return _ops.LogSumExp.apply(self, axis=axis, keepdims=keepdims)

    def astype(self, dtype: Any) -> "Tensor":
        return _ops.Cast.apply(self, dtype=np.dtype(dtype))

    def float(self) -> "Tensor":
        return self.astype(np.float32)

    def double(self) -> "Tensor":
        return self.astype(np.float64)

    def __bool__(self) -> bool:
        return bool(self.data)

    __hash__ = object.__hash__


def _lift(value: Any, like: Tensor) -> Tensor:
    """Wrap a constant operand as a tensor; Python numbers take `like`'s float dtype
    so that float32 stays float32 (numpy would make a 0-d array float64)."""
    if isinstance(value, Tensor):
        return value
    if isinstance(value, (int, float, bool)) and like.data.dtype.kind == "f":
        return Tensor(np.asarray(value, dtype=like.data.dtype))
    return Tensor(value)


def _raw(value: Any) -> Any:
    return value.data if isinstance(value, Tensor) else value


def _plain_index(index: Any) -> Any:
    """Tensors used as indices become their arrays; lists become integer/bool arrays."""
    if isinstance(index, tuple):
        return tuple(_plain_index(i) for i in index)
    if isinstance(index, Tensor):
        return index.data
    if isinstance(index, list):
        return np.asarray(index)
    return index


# ops and autograd need Tensor and Function defined first.
from . import autograd as _autograd  # noqa: E402
from . import ops as _ops  # noqa: E402
