"""The engine: `Tensor`, the `Function` every op derives from, and the reverse walk.

Every op is a `Function` subclass (see `ops.py`) and every op call goes through
`Function.apply`: that single dispatch point runs the forward, records the graph
when gradients are wanted, and tells the observers (operation counters, anomaly
checks) what happened. Every local partial, in any mode, goes through
`Function.call_backward` or `Function.call_jvp`, the second and third single points.
"""
from __future__ import annotations

import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from functools import wraps
from typing import Any

import numpy as np

from .errors import (
    AnomalyError,
    DTypeError,
    GraphReleasedError,
    InplaceError,
    MicrogradError,
    ShapeError,
)

__all__ = [
    "Tensor", "Function", "no_grad", "enable_grad", "is_grad_enabled", "from_numpy",
    "detect_anomaly", "observe", "MicrogradError", "ShapeError", "DTypeError",
    "GraphReleasedError", "AnomalyError", "InplaceError",
]


# --------------------------------------------------------------------------- grad mode

class _ThreadState(threading.local):
    """What each thread sets for itself: grad mode and the observers of its own ops.
    Class attributes are the defaults every new thread starts from."""
    enabled = True
    observers: tuple = ()  # a tuple, replaced (never mutated) when a block opens or closes


_state = _ThreadState()


def is_grad_enabled() -> bool:
    """True when new ops are recorded in the graph (the default)."""
    return _state.enabled


class _SetGradMode:
    """Context manager and decorator that sets grad mode for its block (thread-local)."""

    def __init__(self, enabled: bool):
        self.enabled = enabled
        self._prev: list[bool] = []

    def __enter__(self) -> None:
        self._prev.append(_state.enabled)
        _state.enabled = self.enabled

    def __exit__(self, *exc: Any) -> None:
        _state.enabled = self._prev.pop()

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

# Objects told about every forward op and every local partial of their own thread:
# operation counters (counting.py) and the anomaly checker below. `_observing` counts
# the open blocks of all threads, so that while there are none the hot path pays one
# test of a plain global, not a read of the thread-local list.
_observing = 0
_observing_lock = threading.Lock()


@contextmanager
def observe(observer: Any) -> Iterator[Any]:
    """Tell `observer` about every op and local partial this thread runs inside the block.

    The observer has on_forward(fn, parents, out) and on_partial(fn, i, a, b, kind).
    Blocks nest; leaving one removes exactly its own observer, even after an exception.
    """
    global _observing
    with _observing_lock:
        _observing += 1
    _state.observers = _state.observers + (observer,)
    try:
        yield observer
    finally:
        _state.observers = tuple(o for o in _state.observers if o is not observer)
        with _observing_lock:
            _observing -= 1


@contextmanager
def detect_anomaly() -> Iterator[None]:
    """Inside this block every op's output and every local partial is checked for
    nan/inf, and the first one found raises `AnomalyError` naming the op that made it.
    Only this thread's ops are checked."""
    with observe(_AnomalyChecker()):
        yield


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

    def on_forward(self, fn: Function, parents: Sequence[Tensor], out: Tensor) -> None:
        where = _nonfinite(out._data)
        if where:
            raise AnomalyError(f"{fn.name}: forward produced {where}; inputs: "
                               f"{_describe_inputs([t._data for t in parents])}")

    def on_partial(self, fn: Function, i: int, g: Any, pg: Any, kind: str) -> None:
        where = _nonfinite(pg)
        if where:
            upstream = "finite" if _nonfinite(g) is None else "already non-finite"
            raise AnomalyError(
                f"{fn.name}: the local partial ({kind}) for input {i} produced {where} "
                f"(incoming gradient {upstream}, shape {np.shape(g)}); "
                f"op inputs: {_describe_inputs([p._data for p in fn.parents])}")


def _op_error(name: str, e: Exception, parents: Sequence[Tensor]) -> Exception:
    """numpy's error from a forward, as ours: it names the op and the input shapes.
    numpy's ValueErrors here are shape mismatches, its TypeErrors dtype problems; an
    IndexError stays one (it ends `for row in t` loops)."""
    msg = f"{name}: {str(e).removeprefix(f'{name}: ')}"
    shapes = ", ".join(str(p._data.shape) for p in parents)
    if isinstance(e, IndexError):
        return IndexError(f"{msg} (input shapes: {shapes})")
    if isinstance(e, ValueError):
        return ShapeError(f"{msg} (input shapes: {shapes})")
    dtypes = ", ".join(str(p._data.dtype) for p in parents)
    return DTypeError(f"{msg} (input dtypes: {dtypes})")


def _view_counter(data: np.ndarray, parents: Sequence[Tensor]) -> list:
    """The version counter of the input whose memory `data` views, marked as shared;
    a new one if it views none of them."""
    for p in parents:
        if np.may_share_memory(data, p._data):
            p._ver[1] = True
            return p._ver
    return [0, False]


def _describe(t: Tensor) -> str:
    return f"{t.name + ' ' if t.name else ''}of shape {t.shape}"


def _raise_modified(fn: Function, what: str, then: int, now: int) -> None:
    raise InplaceError(
        f"{fn.name}: one of the tensors needed for its gradient, {what}, was changed by "
        f"an in-place operation after the forward pass (version {then} then, {now} now), "
        "so backward() would compute a wrong gradient. Do the in-place update after "
        "backward(), or use the out-of-place form (x = x + y) or x.clone() before changing it")



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

    # `parents` and `versions` live in slots so that release() can drop every saved
    # buffer by clearing __dict__ while the graph itself stays drawable.
    # __weakref__: an operation counter's per-node tally must not keep graphs alive.
    __slots__ = ("parents", "versions", "__dict__", "__weakref__")
    parents: tuple[Tensor, ...]   # the input tensors, set when the op is recorded
    versions: tuple[int, ...]       # the inputs' and the output's versions at the forward
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
    def apply(cls, *parents: Tensor, **kwargs: Any) -> Tensor:
        """Run the op on `parents` and record it in the graph if gradients are wanted."""
        fn = cls.__new__(cls)
        try:
            if len(parents) == 1:
                data = fn.forward(parents[0]._data, **kwargs)
            else:
                data = fn.forward(*[p._data for p in parents], **kwargs)
        except (ValueError, IndexError, TypeError) as e:
            raise _op_error(cls.name, e, parents) from None
        if type(data) is not np.ndarray:
            data = np.asarray(data)
        out = Tensor.__new__(Tensor)
        out._data = data
        out.grad = out.name = out._ctx = None
        out._retain = out._rg = False
        if data.base is None:
            out._ver = [0, False]
        else:  # a view of an input (reshape, transpose, x[i]): one storage, one counter
            out._ver = _view_counter(data, parents)
        if _state.enabled:
            for p in parents:
                if p._rg:
                    if data.dtype.kind == "c":
                        raise DTypeError(f"{cls.name}: its result is complex, and autograd "
                                         "does not do complex gradients (they need "
                                         "conjugates); keep tensors that require grad real")
                    out._rg = True
                    fn.parents = parents
                    # What backward() checks: the inputs and the output as they were now.
                    n = len(parents)
                    if n == 1:
                        fn.versions = (parents[0]._ver[0], out._ver[0])
                    elif n == 2:
                        fn.versions = (parents[0]._ver[0], parents[1]._ver[0], out._ver[0])
                    else:
                        fn.versions = (*[q._ver[0] for q in parents], out._ver[0])
                    out._ctx = fn
                    break
        if _observing and _state.observers:
            for obs in _state.observers:
                obs.on_forward(fn, parents, out)
        return out

    # -- the single points every local partial goes through --------------------
    def check(self, out: Tensor) -> None:
        """Refuse to differentiate if the op's output or inputs were freed or changed in
        place since the forward: the saved values would give a wrong partial."""
        if self.released:
            raise GraphReleasedError(
                f"{self.name}: trying to backward through the graph a second time, but its "
                "saved buffers were freed by the first backward(); pass retain_graph=True "
                "to the first backward() if you need to call it again")
        versions = self.versions
        if out._ver[0] != versions[-1]:
            _raise_modified(self, "its output", versions[-1], out._ver[0])
        # versions has one more entry (the output's): zip stops at the inputs.
        for i, (p, v) in enumerate(zip(self.parents, versions, strict=False)):
            if p._ver[0] != v:
                _raise_modified(self, f"input {i} ({_describe(p)})", v, p._ver[0])

    def call_backward(self, g: np.ndarray, i: int) -> np.ndarray:
        """g · ∂out/∂input_i through the observers (counting, anomaly checks)."""
        # Elementwise ops skip the backward() frame: this is the hot path.
        pg = g * self.partial(i) if self.elementwise else self.backward(g, i)
        if _observing and _state.observers:
            for obs in _state.observers:
                obs.on_partial(self, i, g, pg, "vjp")
        return pg

    def call_jvp(self, t: np.ndarray, i: int) -> np.ndarray:
        """∂out/∂input_i · t, through the same observers as `call_backward`."""
        pt = self.jvp(t, i)
        if _observing and _state.observers:
            for obs in _state.observers:
                obs.on_partial(self, i, t, pt, "jvp")
        return pt

    def __repr__(self) -> str:
        return f"<{self.name}>"


# --------------------------------------------------------------------------- Tensor

def _as_array(data: Any, dtype: Any, copy: bool = True) -> np.ndarray:
    """The tensor's own copy of `data` (a view of it with copy=False), checked to be numbers."""
    if isinstance(data, Tensor):
        data = data._data
    try:
        arr = np.array(data, dtype=dtype, copy=copy or None)
    except (ValueError, TypeError) as e:
        if "inhomogeneous" in str(e) or "sequence" in str(e):
            raise ShapeError("Tensor: nested lists of different lengths (ragged) cannot make a "
                             "tensor; every row must have the same length") from None
        raise DTypeError(f"Tensor: cannot make a tensor of {type(data).__name__} data "
                         f"with dtype={dtype!r}: {e}") from None
    if arr.dtype.kind not in "fcbiu":
        raise DTypeError(f"Tensor: cannot hold data of dtype {arr.dtype} (numbers only)")
    return arr


def _read_only(a: np.ndarray) -> np.ndarray:
    v = a.view()
    v.flags.writeable = False
    return v


class Tensor:
    """An n-dimensional array that remembers the op that made it.

    Tensor(data, requires_grad=False, dtype=None, name=None) copies `data`, as
    torch.tensor does (`from_numpy` shares instead). Python numbers and lists become
    float64 unless they are integers or booleans; numpy arrays keep their dtype.
    Only floating tensors may require gradients.
    """

    __slots__ = ("_data", "grad", "name", "_rg", "_ctx", "_retain", "_ver", "__weakref__")
    # numpy defers to our reflected operators instead of broadcasting over objects.
    __array_ufunc__ = None

    def __init__(self, data: Any, requires_grad: bool = False, dtype: Any = None,
                 name: str | None = None):
        self._data = _as_array(data, dtype)
        self.grad: np.ndarray | None = None
        self.name = name
        self._ctx: Function | None = None
        self._retain = False
        self._rg = False
        # The storage's version counter [version, shared]: bumped by every in-place
        # change; `shared` marks memory that another tensor or the caller also sees.
        self._ver = [0, False]
        if requires_grad:
            self.requires_grad = True

    # -- values and their versions ------------------------------------------------
    @property
    def data(self) -> np.ndarray:
        """The values, as a read-only numpy view: change them through the tensor
        (t[...] = v, t.copy_(a), t -= x under no_grad) so that the change is counted."""
        return _read_only(self._data)

    @data.setter
    def data(self, value: Any) -> None:
        """Replace the values (a copy of `value`); counts as an in-place change."""
        arr = _as_array(value, None)
        if self._rg and arr.dtype.kind != "f":
            raise DTypeError(f"data: a tensor that requires grad needs floating-point values, "
                             f"got dtype {arr.dtype}")
        self._data = arr
        self._ver[0] += 1

    @property
    def _version(self) -> int:
        """How many in-place changes the storage has had (PyTorch's `t._version`)."""
        return self._ver[0]

    # -- grad bookkeeping -------------------------------------------------------
    @property
    def requires_grad(self) -> bool:
        return self._rg

    @requires_grad.setter
    def requires_grad(self, value: bool) -> None:
        if value and self._data.dtype.kind != "f":
            what = ("complex tensors are not supported by autograd (their gradients need "
                    "conjugates)" if self._data.dtype.kind == "c" else
                    "only floating-point tensors can require gradients")
            raise DTypeError(f"Tensor: {what}, got dtype {self._data.dtype}; convert first, "
                             "e.g. Tensor(x, dtype=float)")
        if not value and self._ctx is not None:
            raise MicrogradError("requires_grad can only be turned off on leaves; use detach()")
        self._rg = bool(value)

    def requires_grad_(self, requires_grad: bool = True) -> Tensor:
        self.requires_grad = requires_grad
        return self

    @property
    def grad_fn(self) -> Function | None:
        """The op that made this tensor (None for leaves and untracked tensors)."""
        return self._ctx

    @property
    def is_leaf(self) -> bool:
        return self._ctx is None

    @property
    def retains_grad(self) -> bool:
        """True for a non-leaf tensor that keeps its `.grad` (see retain_grad)."""
        return self._retain

    def retain_grad(self) -> Tensor:
        """Keep `.grad` on this non-leaf tensor after backward()."""
        self._retain = True
        return self

    def detach(self) -> Tensor:
        """The same storage (and version counter), cut from the graph, as in PyTorch."""
        t = Tensor.__new__(Tensor)
        t._data, t._ver = self._data, self._ver
        t.grad = t.name = t._ctx = None
        t._retain = t._rg = False
        self._ver[1] = True
        return t

    def clone(self) -> Tensor:
        """A copy with its own storage, in the graph: ∂clone/∂x = 1."""
        return _ops.Cast.apply(self, dtype=self._data.dtype)

    def zero_grad(self) -> None:
        self.grad = None

    def backward(self, gradient: Any = None, retain_graph: bool = False,
                 mode: str = "backprop", **options: Any) -> None:
        """Accumulate d(self)/d(leaf) into every leaf's `.grad`.

        mode="backprop" (default) walks the graph once in reverse topological
        order; other modes are in `micrograd.grad.modes`.
        """
        _autograd.backward(self, gradient, retain_graph=retain_graph, mode=mode, **options)

    # -- in-place ops ---------------------------------------------------------------
    def _inplace(self, op: type[Function], other: Any = None, **kwargs: Any) -> Tensor:
        """self ← op(self, other), counted by the version counter.

        Not recorded (grad mode off, or nothing involved requires grad): the result is
        written straight into the storage, so views and from_numpy arrays see it.
        Recorded: the op joins the graph with the old value as its input, and the
        tensor takes the result as new storage; the old storage stays with the graph
        that saved it, so nothing recorded before is changed under its feet."""
        name = op.name + "_"
        other_rg = isinstance(other, Tensor) and other._rg
        if not (_state.enabled and (self._rg or other_rg)):
            self._write(name, op, other, kwargs)
            self._ver[0] += 1
            return self
        if self._ctx is None and self._rg:
            raise InplaceError(
                f"{name}: a leaf tensor that requires grad ({_describe(self)}) cannot be "
                "changed in place while gradients are recorded; update it inside "
                "`with micrograd.no_grad():`, or use the out-of-place form")
        if self._ver[1]:
            raise InplaceError(
                f"{name}: this tensor ({_describe(self)}) shares its memory with another "
                "(a view, detach() or from_numpy), so a recorded in-place change would "
                "leave the other with values its graph does not explain; use the "
                "out-of-place form, or clone() first")
        out = op.apply(self, *(() if other is None else (_lift(other, self),)), **kwargs)
        result = out._data
        if result.shape != self._data.shape:
            raise ShapeError(f"{name}: the result has shape {result.shape} but the tensor "
                             f"changed in place has shape {self._data.shape}; in-place ops "
                             "cannot change a tensor's shape")
        if result.dtype != self._data.dtype:
            _check_cast(name, result.dtype, self._data.dtype)
            result = result.astype(self._data.dtype)
        fn = out._ctx
        assert fn is not None  # recording was on and self or other requires grad
        old = Tensor.__new__(Tensor)  # the value before, as the graph's input
        old._data, old._ctx, old._rg, old.name = self._data, self._ctx, self._rg, self.name
        old.grad, old._retain, old._ver = None, False, [self._ver[0], False]
        # The op and its operand's graph (h += h * 2, h.mul_(h)) read the value before.
        _replace_input(fn, other, self, old)
        self._data, self._ctx, self._rg = result, fn, True
        self._ver[0] += 1
        fn.versions = (*fn.versions[:-1], self._ver[0])
        return self

    def _write(self, name: str, op: type[Function], other: Any, kwargs: dict) -> None:
        """op(self, other) computed straight into the storage (numpy's out=): no copy."""
        a = self._data
        b = other._data if isinstance(other, Tensor) else other
        try:
            if op is _ops.SetItem:
                b = np.asarray(b)
                _check_cast(name, b.dtype, a.dtype)
                a[kwargs["index"]] = b
            elif op is _ops.Clip:
                np.clip(a, kwargs["lo"], kwargs["hi"], out=a)
            else:
                _UFUNCS[op](a, b, out=a, casting="same_kind")
        except ValueError as e:
            if "read-only" in str(e):
                raise InplaceError(f"{name}: this tensor's memory is read-only (a broadcast "
                                   "view, or a read-only array given to from_numpy); clone() "
                                   "it first") from None
            raise ShapeError(f"{name}: {e} (the tensor changed in place has shape {a.shape}, "
                             f"the operand {np.shape(b)}; in-place ops cannot change a "
                             "tensor's shape)") from None
        except TypeError as e:
            raise DTypeError(f"{name}: {e} (the tensor has dtype {a.dtype})") from None

    def add_(self, other: Any) -> Tensor:
        return self._inplace(_ops.Add, other)

    def sub_(self, other: Any) -> Tensor:
        return self._inplace(_ops.Sub, other)

    def mul_(self, other: Any) -> Tensor:
        return self._inplace(_ops.Mul, other)

    def div_(self, other: Any) -> Tensor:
        return self._inplace(_ops.Div, other)

    def clamp_(self, min: float | None = None, max: float | None = None) -> Tensor:
        return self._inplace(_ops.Clip, lo=min, hi=max)

    clip_ = clamp_

    def copy_(self, src: Any) -> Tensor:
        """Write src's values (broadcast to this shape) into this tensor."""
        return self._inplace(_ops.SetItem, src, index=Ellipsis)

    def fill_(self, value: Any) -> Tensor:
        return self.copy_(value)

    def zero_(self) -> Tensor:
        return self.copy_(0)

    def __setitem__(self, index: Any, value: Any) -> None:
        """t[index] = value, in place; differentiable when value requires grad."""
        self._inplace(_ops.SetItem, value, index=_plain_index(index))

    __iadd__ = add_
    __isub__ = sub_
    __imul__ = mul_
    __itruediv__ = div_

    # -- array-like ---------------------------------------------------------------
    @property
    def shape(self) -> tuple[int, ...]:
        return self._data.shape

    @property
    def ndim(self) -> int:
        return self._data.ndim

    @property
    def size(self) -> int:
        return self._data.size

    @property
    def dtype(self) -> np.dtype:
        return self._data.dtype

    def __len__(self) -> int:
        return len(self._data)

    def item(self) -> float:
        if self._data.size != 1:
            raise ShapeError("item: only a tensor with one element can become a Python number, "
                             f"got shape {self.shape}")
        return self._data.item()

    def numpy(self) -> np.ndarray:
        """The values as a read-only numpy view (change them through the tensor)."""
        if self._rg:
            raise MicrogradError("numpy: can't call numpy() on a tensor that requires grad; "
                                 "use t.detach().numpy() instead")
        return _read_only(self._data)

    def tolist(self) -> Any:
        return self._data.tolist()

    def __array__(self, dtype: Any = None, copy: Any = None) -> np.ndarray:
        # np.array(t) copies; np.asarray(t) may share, but only read-only: a write must
        # go through the tensor, where the version counter sees it.
        if copy:
            return np.array(self._data, dtype=dtype, copy=True)
        a = self._data if dtype is None else self._data.astype(dtype, copy=False)
        return a if a is not self._data else _read_only(a)

    def __iter__(self) -> Iterator[Tensor]:
        """The rows (entries along axis 0), each a tensor in the graph, as in PyTorch."""
        if self._data.ndim == 0:
            raise TypeError("iteration over a 0-d tensor")
        return (self[i] for i in range(len(self._data)))

    def __repr__(self) -> str:
        body = np.array2string(self._data, separator=", ", precision=4, threshold=20,
                               prefix="Tensor(")
        extra = ""
        if self._data.dtype != np.float64:
            extra += f", dtype={self._data.dtype}"
        if self._ctx is not None:
            extra += f", grad_fn=<{self._ctx.name}>"
        elif self._rg:
            extra += ", requires_grad=True"
        if self.name:
            extra += f", name={self.name!r}"
        return f"Tensor({body}{extra})"

    # -- ops: each is one Function from ops.py, applied through the dispatch point --
    def __add__(self, other: Any) -> Tensor:
        return _ops.Add.apply(self, _lift(other, self))

    def __radd__(self, other: Any) -> Tensor:
        return _ops.Add.apply(_lift(other, self), self)

    def __sub__(self, other: Any) -> Tensor:
        return _ops.Sub.apply(self, _lift(other, self))

    def __rsub__(self, other: Any) -> Tensor:
        return _ops.Sub.apply(_lift(other, self), self)

    def __mul__(self, other: Any) -> Tensor:
        return _ops.Mul.apply(self, _lift(other, self))

    def __rmul__(self, other: Any) -> Tensor:
        return _ops.Mul.apply(_lift(other, self), self)

    def __truediv__(self, other: Any) -> Tensor:
        return _ops.Div.apply(self, _lift(other, self))

    def __rtruediv__(self, other: Any) -> Tensor:
        return _ops.Div.apply(_lift(other, self), self)

    def __pow__(self, other: Any) -> Tensor:
        return _ops.Pow.apply(self, _lift(other, self))

    def __rpow__(self, other: Any) -> Tensor:
        return _ops.Pow.apply(_lift(other, self), self)

    def __matmul__(self, other: Any) -> Tensor:
        return _ops.MatMul.apply(self, _lift(other, self))

    def __rmatmul__(self, other: Any) -> Tensor:
        return _ops.MatMul.apply(_lift(other, self), self)

    def __neg__(self) -> Tensor:
        return _ops.Neg.apply(self)

    def __pos__(self) -> Tensor:
        return self

    def __abs__(self) -> Tensor:
        return _ops.Abs.apply(self)

    def __getitem__(self, index: Any) -> Tensor:
        return _ops.GetItem.apply(self, index=_plain_index(index))

    # Comparisons give boolean tensors outside the graph, as in numpy and PyTorch.
    def __lt__(self, other: Any) -> Tensor:
        return Tensor(self._data < _raw(other))

    def __le__(self, other: Any) -> Tensor:
        return Tensor(self._data <= _raw(other))

    def __gt__(self, other: Any) -> Tensor:
        return Tensor(self._data > _raw(other))

    def __ge__(self, other: Any) -> Tensor:
        return Tensor(self._data >= _raw(other))

    def __eq__(self, other: Any) -> Tensor:  # type: ignore[override]
        return Tensor(self._data == _raw(other))

    def __ne__(self, other: Any) -> Tensor:  # type: ignore[override]
        return Tensor(self._data != _raw(other))

    def exp(self) -> Tensor:
        return _ops.Exp.apply(self)

    def log(self) -> Tensor:
        return _ops.Log.apply(self)

    def sqrt(self) -> Tensor:
        return _ops.Sqrt.apply(self)

    def abs(self) -> Tensor:
        return _ops.Abs.apply(self)

    def tanh(self) -> Tensor:
        return _ops.Tanh.apply(self)

    def sigmoid(self) -> Tensor:
        return _ops.Sigmoid.apply(self)

    def relu(self) -> Tensor:
        return _ops.Relu.apply(self)

    def clip(self, min: float | None = None, max: float | None = None) -> Tensor:
        return _ops.Clip.apply(self, lo=min, hi=max)

    clamp = clip

    def sum(self, axis: Any = None, keepdims: bool = False) -> Tensor:
        return _ops.Sum.apply(self, axis=axis, keepdims=keepdims)

    def mean(self, axis: Any = None, keepdims: bool = False) -> Tensor:
        return _ops.Mean.apply(self, axis=axis, keepdims=keepdims)

    def max(self, axis: Any = None, keepdims: bool = False) -> Tensor:
        return _ops.Max.apply(self, axis=axis, keepdims=keepdims)

    def min(self, axis: Any = None, keepdims: bool = False) -> Tensor:
        return _ops.Min.apply(self, axis=axis, keepdims=keepdims)

    def argmax(self, axis: int | None = None) -> Tensor:
        return Tensor(self._data.argmax(axis=axis))

    def argmin(self, axis: int | None = None) -> Tensor:
        return Tensor(self._data.argmin(axis=axis))

    def reshape(self, *shape: Any) -> Tensor:
        if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
            shape = tuple(shape[0])
        return _ops.Reshape.apply(self, shape=shape)

    def flatten(self) -> Tensor:
        return self.reshape(-1)

    def transpose(self, *axes: Any) -> Tensor:
        if len(axes) == 1 and isinstance(axes[0], (tuple, list)):
            axes = tuple(axes[0])
        return _ops.Transpose.apply(self, axes=axes or None)

    @property
    def T(self) -> Tensor:
        return _ops.Transpose.apply(self, axes=None)

    def softmax(self, axis: int = -1) -> Tensor:
        return _ops.Softmax.apply(self, axis=axis)

    def log_softmax(self, axis: int = -1) -> Tensor:
        return _ops.LogSoftmax.apply(self, axis=axis)

    def logsumexp(self, axis: Any = None, keepdims: bool = False) -> Tensor:
        return _ops.LogSumExp.apply(self, axis=axis, keepdims=keepdims)

    def astype(self, dtype: Any) -> Tensor:
        return _ops.Cast.apply(self, dtype=np.dtype(dtype))

    def float(self) -> Tensor:
        return self.astype(np.float32)

    def double(self) -> Tensor:
        return self.astype(np.float64)

    def __bool__(self) -> bool:
        return bool(self._data)

    __hash__ = object.__hash__


def from_numpy(array: np.ndarray) -> Tensor:
    """A tensor that shares `array`'s memory, as torch.from_numpy does: a change made
    through the tensor shows in the array, and a change to the array shows in the
    tensor. The engine cannot see the second kind, so change the array only when no
    recorded graph still needs the old values (Tensor(array) copies instead)."""
    if not isinstance(array, np.ndarray):
        raise DTypeError(f"from_numpy: expected a numpy array, got {type(array).__name__}; "
                         "use micrograd.tensor(data) for other data")
    t = Tensor.__new__(Tensor)
    t._data = _as_array(array, None, copy=False)
    t.grad = t.name = t._ctx = None
    t._retain = t._rg = False
    t._ver = [0, True]  # shared with the caller: a recorded in-place change is refused
    return t


def _replace_input(fn: Function, operand: Any, t: Tensor, old: Tensor) -> None:
    """In fn and in the graph that made `operand`, let every op that read `t` read `old`
    instead: those ops ran before `t` was changed in place, on the value `old` now holds."""
    seen: set[int] = set()
    fns = [fn]
    stack = [operand] if isinstance(operand, Tensor) else []
    while stack:
        node = stack.pop()
        if node is t or id(node) in seen or node._ctx is None:
            continue
        seen.add(id(node))
        fns.append(node._ctx)
        stack.extend(node._ctx.parents)
    for f in fns:
        if any(p is t for p in f.parents):
            f.parents = tuple(old if p is t else p for p in f.parents)


def _check_cast(name: str, src: np.dtype, dst: np.dtype) -> None:
    """In-place results keep the tensor's dtype; refuse a cast that loses the kind
    (float into int), as PyTorch does."""
    if not np.can_cast(src, dst, casting="same_kind"):
        raise DTypeError(f"{name}: a result of dtype {src} cannot be stored in this tensor "
                         f"of dtype {dst}; convert the tensor first, e.g. t.astype(float)")


def _lift(value: Any, like: Tensor) -> Tensor:
    """Wrap a constant operand as a tensor; Python numbers take `like`'s float dtype
    so that float32 stays float32 (numpy would make a 0-d array float64)."""
    if isinstance(value, Tensor):
        return value
    if isinstance(value, (int, float, bool)) and like._data.dtype.kind == "f":
        return Tensor(np.asarray(value, dtype=like._data.dtype))
    return Tensor(value)


def _raw(value: Any) -> Any:
    return value._data if isinstance(value, Tensor) else value


def _plain_index(index: Any) -> Any:
    """Tensors used as indices become their arrays; lists become integer/bool arrays."""
    if isinstance(index, tuple):
        return tuple(_plain_index(i) for i in index)
    if isinstance(index, Tensor):
        return index._data
    if isinstance(index, list):
        return np.asarray(index)
    return index  # arrays stay as given: GetItem and SetItem keep their own copies


# ops and autograd need Tensor and Function defined first.
from . import autograd as _autograd  # noqa: E402
from . import ops as _ops  # noqa: E402

# The numpy ufunc that computes each in-place arithmetic op into the storage.
_UFUNCS = {_ops.Add: np.add, _ops.Sub: np.subtract, _ops.Mul: np.multiply, _ops.Div: np.true_divide}
