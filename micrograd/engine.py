"""The engine: `Tensor`, the `Function` every op derives from, and the reverse walk.

Every op is a `Function` subclass (see `ops.py`) and every op call goes through
`Function.apply`: that single dispatch point runs the forward, records the graph
when gradients are wanted, and tells the observers (operation counters, anomaly
checks) what happened. Every local partial, in any mode, goes through
`Function.call_backward` or `Function.call_jvp`, the second and third single points.
"""
from __future__ import annotations

import math
import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from functools import wraps
from typing import Any, NamedTuple, overload

import numpy as np

from .errors import (
    AnomalyError,
    ArgumentError,
    DTypeError,
    GraphReleasedError,
    HigherOrderError,
    InplaceError,
    MicrogradError,
    ShapeError,
)

__all__ = [
    "Tensor", "Function", "no_grad", "enable_grad", "is_grad_enabled", "from_numpy",
    "set_default_dtype", "get_default_dtype",
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


@overload
def no_grad(func: None = None) -> _SetGradMode: ...
@overload
def no_grad(func: Callable) -> Callable: ...
def no_grad(func: Callable | None = None) -> Any:
    """Ops inside do not record a graph: `with no_grad():`, `@no_grad()` or bare `@no_grad`."""
    mode = _SetGradMode(False)
    return mode if func is None else mode(func)


@overload
def enable_grad(func: None = None) -> _SetGradMode: ...
@overload
def enable_grad(func: Callable) -> Callable: ...
def enable_grad(func: Callable | None = None) -> Any:
    """Turn recording back on inside a `no_grad` block (a context manager or decorator)."""
    mode = _SetGradMode(True)
    return mode if func is None else mode(func)


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

    The observer has on_forward(fn, parents, out) and on_partial(fn, i, a, b, kind);
    inside the block every op run also keeps fn.apply_kwargs, the options it was
    called with (axis=, shape=, ...), so that an observer can replay it (compile does).
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
    if isinstance(e, MicrogradError):  # one of ours (an ArgumentError, say): keep its type
        return type(e)(f"{msg} (input shapes: {shapes})")
    if isinstance(e, np.exceptions.AxisError):  # both a ValueError and an IndexError
        return ShapeError(f"{msg} (input shapes: {shapes})")
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


def _graph_released(fn: Function) -> GraphReleasedError:
    return GraphReleasedError(
        f"{fn.name}: trying to backward through the graph a second time, but its saved "
        "buffers were freed by the first backward(); pass retain_graph=True to the first "
        "backward() if you need to call it again")


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

    For gradients of gradients (create_graph=True), the same VJP once more on tensors,
    built from recorded ops so that it can be differentiated again:
      backward_t(self, g, i, out) -> Tensor   g · ∂out/∂input_i, from self.parents and out
      partial_t(self, i, out) -> Tensor       (elementwise ops) ∂out/∂input_i
    The array forms are the fast first-order path; the tensor forms run only when a
    backward pass is itself recorded.
    """

    # `parents` and `versions` live in slots so that release() can drop every saved
    # buffer by clearing __dict__ while the graph itself stays drawable.
    # __weakref__: an operation counter's per-node tally must not keep graphs alive.
    __slots__ = ("parents", "versions", "__dict__", "__weakref__")
    parents: tuple[Tensor, ...]   # the input tensors, set when the op is recorded
    versions: tuple[int, ...]       # the inputs' and the output's versions at the forward
    apply_kwargs: dict[str, Any]  # the options of apply(), kept only while observed
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

    def partial_t(self, i: int, out: Tensor) -> Tensor:
        raise HigherOrderError(
            f"{self.name}: its derivative is written only on arrays, so create_graph=True "
            f"cannot record it; give {type(self).__name__} a partial_t(i, out) (or a "
            "backward_t(g, i, out)) written with tensor ops to differentiate it twice")

    def backward_t(self, g: Tensor, i: int, out: Tensor) -> Tensor:
        if self.elementwise:
            return g * self.partial_t(i, out)
        raise HigherOrderError(
            f"{self.name}: its backward is written only on arrays, so create_graph=True "
            f"cannot record it; give {type(self).__name__} a backward_t(g, i, out) written "
            "with tensor ops to differentiate it twice")

    def flops(self, out_size: int, in_size: int, i: int | None = None) -> int:
        """Multiply-adds of one evaluation that maps between an output-shaped array of
        out_size entries and an input-side one of in_size: the forward (i None) or the
        partial for input i. One per entry for elementwise ops and reductions."""
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
            # The options the op was called with, for observers that replay it (compile).
            fn.apply_kwargs = kwargs
            for obs in _state.observers:
                obs.on_forward(fn, parents, out)
        return out

    # -- the single points every local partial goes through --------------------
    def check(self, out: Tensor) -> None:
        """Refuse to differentiate if the op's output or inputs were freed or changed in
        place since the forward: the saved values would give a wrong partial."""
        if self.released:
            raise _graph_released(self)
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
        try:
            pg = g * self.partial(i) if self.elementwise else self.backward(g, i)
        except AttributeError:
            if self.released:  # another thread's backward freed the buffers meanwhile
                raise _graph_released(self) from None
            raise
        if _observing and _state.observers:
            for obs in _state.observers:
                obs.on_partial(self, i, g, pg, "vjp")
        return pg

    def call_backward_t(self, g: Tensor, i: int, out: Tensor) -> Tensor:
        """g · ∂out/∂input_i as recorded tensor ops (create_graph=True), through the
        same observers as `call_backward`."""
        pg = self.backward_t(g, i, out)
        if _observing and _state.observers:
            for obs in _state.observers:
                obs.on_partial(self, i, g._data, pg._data, "vjp")
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


# --------------------------------------------------------------------------- arguments
# PyTorch and numpy spell some arguments differently (dim/axis, keepdim/keepdims); the
# Tensor methods take both and turn them into one here, before any op runs, so that
# Function.apply (the hot path) never sees the difference.

class _Unset:
    """The default of an argument that has two spellings: tells "not given" from None."""

    def __repr__(self) -> str:
        return "<not given>"


_UNSET: Any = _Unset()


def _both(op: str, name: str, other: str | None = None) -> Any:
    also = f" and {other}=" if other else " twice"
    raise ArgumentError(f"{op}: got {name}={also} (numpy's and PyTorch's spellings of one "
                        "argument, or a positional argument and its keyword); pass it once")


def _either(op: str, torch_value: Any, numpy_value: Any, default: Any,
            names: tuple[str, str] = ("dim", "axis")) -> Any:
    """The value given under PyTorch's name or numpy's, else the default; both is an error."""
    if torch_value is _UNSET:
        return default if numpy_value is _UNSET else numpy_value
    if numpy_value is not _UNSET:
        _both(op, *names)
    return torch_value


def _reduce_args(op: str, dim: Any, keepdim: Any, axis: Any, keepdims: Any) -> tuple[Any, bool]:
    """(axis, keepdims) of a reduction called with dim=/keepdim= or axis=/keepdims=."""
    if dim is _UNSET and keepdim is _UNSET and keepdims is _UNSET:
        return (None if axis is _UNSET else axis), False
    return (_either(op, dim, axis, None),
            bool(_either(op, keepdim, keepdims, False, ("keepdim", "keepdims"))))


def _one_dim(d: Any, ndim: int, op: str, scalar_ok: bool = False) -> int:
    """An axis index, negatives counted from the end, checked to be one of ndim axes.
    With scalar_ok a 0-d tensor takes 0 or -1, as PyTorch's reductions do."""
    if not isinstance(d, (int, np.integer)) or isinstance(d, bool):
        raise DTypeError(f"{op}: a dimension must be an int, got {d!r}")
    n = max(ndim, 1) if scalar_ok else ndim
    if not -n <= d < n:
        valid = f"{-n} to {n - 1}" if n else "none: the tensor is 0-d"
        raise ShapeError(f"{op}: dimension {d} is out of range for {ndim} "
                         f"dimension{'' if ndim == 1 else 's'} (valid: {valid})")
    return int(d) % n


def _shape_args(args: tuple) -> tuple:
    """f(2, 3) and f((2, 3)) both mean the sizes (2, 3), as in PyTorch."""
    if len(args) == 1 and isinstance(args[0], (tuple, list)):
        return tuple(args[0])
    return args


# --------------------------------------------------------------------------- default dtype

# The float that Python numbers and lists, the float factories, nn parameters and
# integer-to-float promotions get: float32, as in PyTorch, so that a ported script computes
# in the dtype it did there. numpy arrays keep their dtype (float64 from numpy stays
# float64), and gradcheck and the lab ask float64 explicitly. Process-wide, as
# torch.set_default_dtype is.
_F64 = np.dtype(np.float64)
_default_float: np.dtype = np.dtype(np.float32)
_default_complex: np.dtype = np.dtype(np.complex64)


def set_default_dtype(d: Any) -> None:
    """Make `d` (micrograd.float32 or float64) the default float dtype, as
    torch.set_default_dtype: process-wide, for every later tensor made from Python
    numbers, the float factories, nn parameters and int-to-float promotions. numpy
    arrays keep their own dtype."""
    global _default_float, _default_complex
    name = str(d).removeprefix("torch.") if str(d).startswith("torch.") else d
    try:
        dt: np.dtype | None = np.dtype(name)
    except (TypeError, ValueError):
        dt = None
    if dt is None or dt not in (np.dtype(np.float32), _F64):
        raise DTypeError(f"set_default_dtype: the default dtype must be micrograd.float32 or "
                         f"micrograd.float64, got {dt if dt is not None else repr(d)} (PyTorch "
                         "also allows float16 and bfloat16; micrograd does not)")
    _default_float = _F64 if dt == _F64 else np.dtype(np.float32)
    _default_complex = np.dtype(np.complex128 if dt == _F64 else np.complex64)


def get_default_dtype() -> Any:
    """The default float dtype (micrograd.float32 unless set_default_dtype changed it),
    as numpy's scalar type, so that get_default_dtype() == micrograd.float32 works."""
    return _default_float.type


def _default_for(arr: np.ndarray) -> np.ndarray:
    """arr made from Python data: its float64 (complex128), numpy's pick for Python
    floats, as the default dtype (complex64 goes with float32, as in PyTorch)."""
    if _default_float is _F64:
        return arr
    if arr.dtype == _F64:
        return arr.astype(_default_float)
    if arr.dtype == np.complex128:
        return arr.astype(_default_complex)
    return arr


# --------------------------------------------------------------------------- Tensor

def _as_array(data: Any, dtype: Any, copy: bool = True) -> np.ndarray:
    """The tensor's own copy of `data` (a view of it with copy=False), checked to be numbers."""
    from_python = False
    if isinstance(data, Tensor):
        data = data._data
    elif type(data).__module__.startswith("torch") and hasattr(data, "detach"):
        data = data.detach().cpu().numpy()  # a torch tensor, as torch.tensor(t) takes it
    else:
        from_python = dtype is None and not isinstance(data, (np.ndarray, np.generic))
    try:
        arr = np.array(data, dtype=dtype, copy=copy or None)
    except (ValueError, TypeError) as e:
        if "inhomogeneous" in str(e):
            raise ShapeError("Tensor: nested lists of different lengths (ragged) cannot make a "
                             "tensor; every row must have the same length") from None
        # An object array of lists or arrays (ragged or not) fails here with "setting an
        # array element with a sequence": it is not a ragged nested list, so it is not
        # called one.
        objects = isinstance(data, np.ndarray) and data.dtype.kind == "O"
        hint = ("; an array of dtype object holds Python objects, not numbers: np.stack its "
                "items (or pass a nested list)") if objects else ""
        raise DTypeError(f"Tensor: cannot make a tensor of {type(data).__name__} data "
                         f"with dtype={dtype!r}: {str(e).rstrip('.')}{hint}") from None
    if arr.dtype.kind not in "fcbiu":
        raise DTypeError(f"Tensor: cannot hold data of dtype {arr.dtype} (numbers only)")
    if from_python:
        arr = _default_for(arr)
    return arr


def _read_only(a: np.ndarray) -> np.ndarray:
    v = a.view()
    v.flags.writeable = False
    return v


class Tensor:
    """An n-dimensional array that remembers the op that made it.

    Tensor(data, requires_grad=False, dtype=None, name=None) copies `data`, as
    torch.tensor does (`from_numpy` shares instead). Python numbers and lists become
    float32 (the default dtype, as in PyTorch; see set_default_dtype) unless they are integers or
    booleans; numpy arrays keep their dtype.
    Only floating tensors may require gradients.
    """

    __slots__ = ("_data", "grad", "name", "_rg", "_ctx", "_retain", "_ver", "__weakref__")
    # numpy defers to our reflected operators instead of broadcasting over objects.
    __array_ufunc__ = None

    def __init__(self, data: Any, requires_grad: bool = False, dtype: Any = None,
                 name: str | None = None):
        self._data = _as_array(data, dtype)
        # an array; a tensor with a graph after backward(create_graph=True), as in PyTorch
        self.grad: Any = None
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

    def backward(self, gradient: Any = None, retain_graph: bool | None = None,
                 create_graph: bool = False, mode: str = "backprop", **options: Any) -> None:
        """Accumulate d(self)/d(leaf) into every leaf's `.grad`.

        mode="backprop" (default) walks the graph once in reverse topological
        order; other modes are in `micrograd.gradients.modes`. create_graph=True records the
        walk itself, so each .grad becomes a tensor that can be differentiated again
        (retain_graph then defaults to True, as in PyTorch).
        """
        _autograd.backward(self, gradient, retain_graph=retain_graph, mode=mode,
                           create_graph=create_graph, **options)

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
                np.clip(a, *_ops.clip_bounds(kwargs["lo"], kwargs["hi"]), out=a)
            else:
                _UFUNCS[op](a, b, out=a, casting="same_kind")
        except MicrogradError:
            raise  # already ours (a bad clamp bound, a refused cast)
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

    def size(self, dim: int | None = None) -> Any:
        """The shape (a tuple), or its length along `dim`, as PyTorch's t.size(d).
        numpy's `a.size` (the number of entries) is `t.numel()` here."""
        if dim is None:
            return self._data.shape
        return self._data.shape[_one_dim(dim, self._data.ndim, "size")]

    def dim(self) -> int:
        """The number of axes (numpy's ndim)."""
        return self._data.ndim

    def numel(self) -> int:
        """The number of entries (numpy's size)."""
        return self._data.size

    @property
    def dtype(self) -> np.dtype:
        return self._data.dtype

    def is_floating_point(self) -> bool:
        return self._data.dtype.kind == "f"

    @property
    def device(self) -> str:
        """Always "cpu": the values are numpy arrays."""
        return "cpu"

    def cpu(self) -> Tensor:
        return self

    def __len__(self) -> int:
        return len(self._data)

    def item(self) -> Any:
        if self._data.size != 1:
            raise ShapeError("item: only a tensor with one element can become a Python number, "
                             f"got shape {self.shape}")
        return self._data.item()

    def __float__(self) -> float:
        return float(self.item())

    def __int__(self) -> int:
        return int(self.item())

    def __format__(self, spec: str) -> str:
        """f"{loss:.3f}" formats the number of a one-element tensor; "" gives str(t)."""
        if not spec:
            return str(self)
        if self._data.size != 1:
            raise ShapeError(f"format: the format {spec!r} applies to one number, but this "
                             f"tensor has shape {self.shape}; format t.item() of a "
                             "one-element tensor, or the entries one by one")
        return format(self._data.item(), spec)

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
        if self._data.dtype != _default_float:
            extra += f", dtype={self._data.dtype}"
        if self._ctx is not None:
            extra += f", grad_fn=<{self._ctx.name}>"
        elif self._rg:
            extra += ", requires_grad=True"
        if self.name:
            extra += f", name={self.name!r}"
        return f"Tensor({body}{extra})"

    # -- ops: each is one Function from ops.py, applied through the dispatch point --
    # Binary arithmetic goes through _pair, which lifts a constant operand and applies
    # the dtype promotion rule (docs/engine.md, "Dtypes") before the op sees the arrays.
    def __add__(self, other: Any) -> Tensor:
        return _ops.Add.apply(*_pair(self, other))

    def __radd__(self, other: Any) -> Tensor:
        return _ops.Add.apply(*_pair(self, other, True))

    def __sub__(self, other: Any) -> Tensor:
        return _ops.Sub.apply(*_pair(self, other))

    def __rsub__(self, other: Any) -> Tensor:
        return _ops.Sub.apply(*_pair(self, other, True))

    def __mul__(self, other: Any) -> Tensor:
        return _ops.Mul.apply(*_pair(self, other))

    def __rmul__(self, other: Any) -> Tensor:
        return _ops.Mul.apply(*_pair(self, other, True))

    def __truediv__(self, other: Any) -> Tensor:
        return _ops.Div.apply(*_pair(self, other))

    def __rtruediv__(self, other: Any) -> Tensor:
        return _ops.Div.apply(*_pair(self, other, True))

    def __pow__(self, other: Any) -> Tensor:
        return _ops.Pow.apply(*_pair(self, other))

    def __rpow__(self, other: Any) -> Tensor:
        return _ops.Pow.apply(*_pair(self, other, True))

    def __matmul__(self, other: Any) -> Tensor:
        return _ops.MatMul.apply(*_same_dtype("matmul", self, _lift(other, self)))

    def __rmatmul__(self, other: Any) -> Tensor:
        return _ops.MatMul.apply(*_same_dtype("matmul", _lift(other, self), self))

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

    # The method forms PyTorch has beside the operators.
    def add(self, other: Any) -> Tensor:
        return self + other

    def sub(self, other: Any) -> Tensor:
        return self - other

    def mul(self, other: Any) -> Tensor:
        return self * other

    def div(self, other: Any) -> Tensor:
        return self / other

    def pow(self, exponent: Any) -> Tensor:
        return self ** exponent

    def neg(self) -> Tensor:
        return _ops.Neg.apply(self)

    def square(self) -> Tensor:
        return self ** 2

    def matmul(self, other: Any) -> Tensor:
        return self @ other

    def mm(self, other: Any) -> Tensor:
        """The product of two matrices (2-D only, as torch.mm; `@` takes any matmul shapes)."""
        other = _lift(other, self)
        if self._data.ndim != 2 or other._data.ndim != 2:
            raise ShapeError(f"mm: both operands must be matrices (2-D), got shapes {self.shape} "
                             f"and {other.shape}; use matmul() or @ for vectors and batches")
        return self @ other

    def exp(self) -> Tensor:
        return _ops.Exp.apply(self)

    def exp2(self) -> Tensor:
        return _ops.Exp2.apply(self)

    def expm1(self) -> Tensor:
        return _ops.Expm1.apply(self)

    def log(self) -> Tensor:
        return _ops.Log.apply(self)

    def log1p(self) -> Tensor:
        return _ops.Log1p.apply(self)

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

    def erf(self) -> Tensor:
        return _ops.Erf.apply(self)

    def clip(self, min: Any = None, max: Any = None) -> Tensor:
        return _ops.Clip.apply(self, lo=min, hi=max)

    clamp = clip

    # -- reductions: PyTorch's dim=/keepdim= and numpy's axis=/keepdims= both work ------
    def sum(self, dim: Any = _UNSET, keepdim: Any = _UNSET, *, axis: Any = _UNSET,
            keepdims: Any = _UNSET) -> Tensor:
        axis, keepdims = _reduce_args("sum", dim, keepdim, axis, keepdims)
        return _ops.Sum.apply(self, axis=axis, keepdims=keepdims)

    def mean(self, dim: Any = _UNSET, keepdim: Any = _UNSET, *, axis: Any = _UNSET,
             keepdims: Any = _UNSET) -> Tensor:
        axis, keepdims = _reduce_args("mean", dim, keepdim, axis, keepdims)
        return _ops.Mean.apply(self, axis=axis, keepdims=keepdims)

    def max(self, dim: Any = _UNSET, keepdim: Any = _UNSET, *, axis: Any = _UNSET,
            keepdims: Any = _UNSET) -> Any:
        """The largest entries. As in PyTorch, t.max(d) and t.max(dim=d) give the pair
        (values, indices); as in numpy, t.max() and t.max(axis=...) give the values."""
        return self._extreme(_ops.Max, dim, keepdim, axis, keepdims)

    def min(self, dim: Any = _UNSET, keepdim: Any = _UNSET, *, axis: Any = _UNSET,
            keepdims: Any = _UNSET) -> Any:
        """The smallest entries: (values, indices) for t.min(d) or t.min(dim=d), as max()."""
        return self._extreme(_ops.Min, dim, keepdim, axis, keepdims)

    def _extreme(self, op: type[Function], dim: Any, keepdim: Any, axis: Any,
                 keepdims: Any) -> Any:
        pair = dim is not _UNSET and dim is not None
        if pair and not isinstance(dim, (int, np.integer)):
            raise ArgumentError(
                f"{op.name}: dim={dim!r} gives (values, indices) along one axis and must be "
                f"an int, as in PyTorch; for several axes use amax/amin(dim={dim!r}) or "
                f"{op.name}(axis={dim!r}), which give the values only")
        axis, keepdims = _reduce_args(op.name, dim, keepdim, axis, keepdims)
        values = op.apply(self, axis=axis, keepdims=keepdims)
        if not pair:
            return values
        arg = self.argmax if op is _ops.Max else self.argmin
        return MaxMin(values, arg(axis, keepdims))

    def amax(self, dim: Any = _UNSET, keepdim: Any = _UNSET, *, axis: Any = _UNSET,
             keepdims: Any = _UNSET) -> Tensor:
        """The largest entries over one or several axes (values only, as torch.amax)."""
        axis, keepdims = _reduce_args("amax", dim, keepdim, axis, keepdims)
        return _ops.Max.apply(self, axis=axis, keepdims=keepdims)

    def amin(self, dim: Any = _UNSET, keepdim: Any = _UNSET, *, axis: Any = _UNSET,
             keepdims: Any = _UNSET) -> Tensor:
        axis, keepdims = _reduce_args("amin", dim, keepdim, axis, keepdims)
        return _ops.Min.apply(self, axis=axis, keepdims=keepdims)

    def argmax(self, dim: Any = _UNSET, keepdim: Any = _UNSET, *, axis: Any = _UNSET,
               keepdims: Any = _UNSET) -> Tensor:
        """Where the largest entry is (the first, at a tie): an int64 tensor outside the graph."""
        return self._arg(np.argmax, "argmax", dim, keepdim, axis, keepdims)

    def argmin(self, dim: Any = _UNSET, keepdim: Any = _UNSET, *, axis: Any = _UNSET,
               keepdims: Any = _UNSET) -> Tensor:
        return self._arg(np.argmin, "argmin", dim, keepdim, axis, keepdims)

    def _arg(self, pick: Callable, name: str, dim: Any, keepdim: Any, axis: Any,
             keepdims: Any) -> Tensor:
        axis, keepdims = _reduce_args(name, dim, keepdim, axis, keepdims)
        if self._data.dtype.kind == "c":
            raise DTypeError(f"{name}: complex numbers have no order (got dtype "
                             f"{self._data.dtype}); apply it to abs() or the real part")
        if axis is not None:
            axis = _one_dim(axis, self._data.ndim, name, scalar_ok=True)
            if self._data.ndim == 0:  # PyTorch: the only entry is at index 0
                return Tensor(np.int64(0))
        if self._data.size == 0:
            raise ShapeError(f"{name}: the tensor of shape {self.shape} is empty: there is no "
                             "largest or smallest entry to point at")
        out = pick(self._data, axis=axis, keepdims=keepdims)
        return Tensor(np.asarray(out, dtype=np.int64))

    def var(self, dim: Any = _UNSET, unbiased: Any = None, keepdim: Any = _UNSET, *,
            correction: Any = None, axis: Any = _UNSET, keepdims: Any = _UNSET,
            ddof: Any = None) -> Tensor:
        """Σ (x - mean)² / (n - correction): PyTorch's default correction=1 (the unbiased
        estimate), NOT numpy's ddof=0; unbiased=False or correction=0 (ddof=0) for the
        population variance."""
        return self._var("var", dim, unbiased, keepdim, correction, axis, keepdims, ddof)

    def std(self, dim: Any = _UNSET, unbiased: Any = None, keepdim: Any = _UNSET, *,
            correction: Any = None, axis: Any = _UNSET, keepdims: Any = _UNSET,
            ddof: Any = None) -> Tensor:
        """√var, with var()'s arguments (PyTorch's default correction=1, not numpy's ddof=0)."""
        return self._var("std", dim, unbiased, keepdim, correction, axis, keepdims,
                         ddof).sqrt()

    def _var(self, op: str, dim: Any, unbiased: Any, keepdim: Any, correction: Any, axis: Any,
             keepdims: Any, ddof: Any) -> Tensor:
        if isinstance(dim, bool):  # t.var(False): PyTorch's old positional `unbiased`
            if unbiased is not None:
                _both(op, "unbiased")
            dim, unbiased = _UNSET, dim
        axis, keepdims = _reduce_args(op, dim, keepdim, axis, keepdims)
        c = _correction(op, unbiased, correction, ddof)
        return _ops.Var.apply(self, axis=axis, keepdims=keepdims, correction=c)

    def norm(self, p: Any = 2, dim: Any = _UNSET, keepdim: Any = _UNSET, *, axis: Any = _UNSET,
             keepdims: Any = _UNSET, ord: Any = None) -> Tensor:
        """The p-norm over dim (all entries by default): p = 2 or "fro" √Σx², p = 1 Σ|x|,
        p = inf max |x|, p = -inf min |x|. numpy's ord= is accepted for p."""
        if ord is not None:
            if p != 2:
                _both("norm", "p", "ord")
            p = ord
        axis, keepdims = _reduce_args("norm", dim, keepdim, axis, keepdims)
        if p == 2 or p == "fro":
            return _ops.Norm.apply(self, axis=axis, keepdims=keepdims)
        if p == 1:
            return self.abs().sum(axis=axis, keepdims=keepdims)
        if p == np.inf:
            return self.abs().amax(axis=axis, keepdims=keepdims)
        if p == -np.inf:
            return self.abs().amin(axis=axis, keepdims=keepdims)
        raise ArgumentError(f"norm: p={p!r} is not supported; use 2 (or 'fro'), 1, inf or "
                            "-inf, or write another p-norm out: (x.abs() ** p).sum() ** (1 / p)")

    def logsumexp(self, dim: Any = _UNSET, keepdim: Any = _UNSET, *, axis: Any = _UNSET,
                  keepdims: Any = _UNSET) -> Tensor:
        axis, keepdims = _reduce_args("logsumexp", dim, keepdim, axis, keepdims)
        return _ops.LogSumExp.apply(self, axis=axis, keepdims=keepdims)

    def softmax(self, dim: Any = _UNSET, *, axis: Any = _UNSET) -> Tensor:
        return _ops.Softmax.apply(self, axis=_either("softmax", dim, axis, -1))

    def log_softmax(self, dim: Any = _UNSET, *, axis: Any = _UNSET) -> Tensor:
        return _ops.LogSoftmax.apply(self, axis=_either("log_softmax", dim, axis, -1))

    # -- shapes: views are Reshape or Transpose, so the gradient is reshaped/permuted back --
    def reshape(self, *shape: Any) -> Tensor:
        return _ops.Reshape.apply(self, shape=_shape_args(shape))

    def view(self, *shape: Any) -> Tensor:
        """PyTorch's reshape that shares memory; here the same as reshape()."""
        return _ops.Reshape.apply(self, shape=_shape_args(shape))

    def flatten(self, start_dim: int = 0, end_dim: int = -1) -> Tensor:
        """The axes start_dim..end_dim merged into one (all of them by default)."""
        shape = self._data.shape
        if not shape:
            return self.reshape(1)  # PyTorch: a 0-d tensor flattens to shape (1,)
        s = _one_dim(start_dim, len(shape), "flatten")
        e = _one_dim(end_dim, len(shape), "flatten")
        if s > e:
            raise ShapeError(f"flatten: start_dim {start_dim} comes after end_dim {end_dim} "
                             f"(shape {shape}); pass start_dim <= end_dim")
        return self.reshape(*shape[:s], math.prod(shape[s:e + 1]), *shape[e + 1:])

    def unsqueeze(self, dim: int) -> Tensor:
        """A new axis of length 1 at position dim (-1 appends it)."""
        shape = self._data.shape
        d = _one_dim(dim, len(shape) + 1, "unsqueeze")
        return self.reshape(*shape[:d], 1, *shape[d:])

    def squeeze(self, dim: Any = _UNSET, *, axis: Any = _UNSET) -> Tensor:
        """Axes of length 1 removed: all of them, or those of dim (an int or a tuple) that
        have length 1; as in PyTorch, a named axis of another length is left alone."""
        dim = _either("squeeze", dim, axis, None)
        shape = self._data.shape
        if dim is None:
            drop = {k for k, n in enumerate(shape) if n == 1}
        else:
            dims = dim if isinstance(dim, (tuple, list)) else (dim,)
            drop = {d for d in (_one_dim(k, len(shape), "squeeze", scalar_ok=True)
                                for k in dims) if shape and shape[d] == 1}
        return self.reshape(*(n for k, n in enumerate(shape) if k not in drop))

    def permute(self, *dims: Any) -> Tensor:
        """The axes in the order dims (a permutation of all of them)."""
        dims = _shape_args(dims)
        n = self._data.ndim
        axes = tuple(_one_dim(d, n, "permute") for d in dims)
        if sorted(axes) != list(range(n)):
            raise ShapeError(f"permute: dims {dims} must name each of the {n} axes "
                             f"of the tensor of shape {self.shape} once")
        return _ops.Transpose.apply(self, axes=axes)

    def transpose(self, *axes: Any) -> Tensor:
        """t.transpose(d0, d1) swaps two axes, as in PyTorch; t.transpose() reverses them
        all and t.transpose((1, 0, 2)) permutes them, as in numpy. (numpy reads two ints as
        a permutation too: they agree except that numpy's (0, 1) on a matrix is no change.)"""
        if len(axes) == 2 and all(isinstance(a, (int, np.integer)) for a in axes):
            n = self._data.ndim
            d0, d1 = (_one_dim(a, n, "transpose", scalar_ok=True) for a in axes)
            if n == 0:  # a 0-d tensor has one axis to name, and nothing to swap
                return _ops.Transpose.apply(self, axes=())
            perm = list(range(n))
            perm[d0], perm[d1] = perm[d1], perm[d0]
            return _ops.Transpose.apply(self, axes=tuple(perm))
        if len(axes) == 1 and isinstance(axes[0], (tuple, list)):
            axes = tuple(axes[0])
        return _ops.Transpose.apply(self, axes=axes or None)

    swapaxes = swapdims = transpose

    @property
    def T(self) -> Tensor:
        return _ops.Transpose.apply(self, axes=None)

    def expand(self, *sizes: Any) -> Tensor:
        """The tensor broadcast to sizes (a view, no copy); -1 keeps an axis's length and
        only axes of length 1 can grow. The gradient is summed back over the copies."""
        sizes = _shape_args(sizes)
        shape = self._data.shape
        lead = len(sizes) - len(shape)
        if lead < 0:
            raise ShapeError(f"expand: {len(sizes)} sizes {sizes} for a tensor of {len(shape)} "
                             f"axes (shape {shape}); give at least one size per axis")
        out = []
        for k, n in enumerate(sizes):
            old = shape[k - lead] if k >= lead else None
            if n == -1:
                if old is None:
                    raise ShapeError(f"expand: -1 (keep the length) is not allowed for the new "
                                     f"leading axis {k} in sizes {sizes}; give its length")
                n = old
            if old is not None and old != n and old != 1:
                raise ShapeError(f"expand: the size {n} at axis {k} must match the existing "
                                 f"length {old} (shape {shape}, sizes {sizes}); only axes of "
                                 "length 1 can be expanded, use repeat() to tile others")
            out.append(n)
        return _ops.Expand.apply(self, shape=tuple(out))

    def expand_as(self, other: Tensor) -> Tensor:
        return self.expand(*other.shape)

    def repeat(self, *reps: Any) -> Tensor:
        """The tensor tiled reps[k] times along each axis (numpy's tile); more reps than axes
        add leading axes. The gradient sums the tiles."""
        reps = _shape_args(reps)
        if len(reps) < self._data.ndim:
            raise ShapeError(f"repeat: {len(reps)} repeats {reps} for a tensor of "
                             f"{self._data.ndim} axes (shape {self.shape}); the number of "
                             "repeats cannot be smaller than the number of axes, as in PyTorch")
        if any(r < 0 for r in reps):
            raise ShapeError(f"repeat: repeats {reps} must not be negative")
        return _ops.Repeat.apply(self, reps=reps)

    # -- dtypes and devices -------------------------------------------------------------
    def astype(self, dtype: Any) -> Tensor:
        return _ops.Cast.apply(self, dtype=np.dtype(dtype))

    def to(self, *args: Any, dtype: Any = None, device: Any = None, copy: bool = False,
           non_blocking: bool = False) -> Tensor:
        """t.to(dtype), t.to("cpu"), t.to(other) (its dtype), t.to("cpu", dtype): the
        tensor itself when nothing changes, as in PyTorch. The only device is the CPU."""
        for a in args:
            if isinstance(a, Tensor):
                a = a._data.dtype
            kind, value = _dtype_or_device(a)
            if kind == "dtype":
                dtype = value if dtype is None else _both("to", "dtype")
            else:
                device = value if device is None else _both("to", "device")
        _check_device("to", device)
        out = self
        if dtype is not None:
            kind, dt = _dtype_or_device(dtype)
            if kind != "dtype":
                raise DTypeError(f"to: dtype={dtype!r} names a device; pass device={dtype!r}")
            if dt != self._data.dtype:
                out = self.astype(dt)
        return out.clone() if copy and out is self else out

    def __bool__(self) -> bool:
        return bool(self._data)

    __hash__ = object.__hash__

    def long(self) -> Tensor:
        return self.to(np.int64)

    def double(self) -> Tensor:
        return self.to(np.float64)

    # Last, so that `float` in the annotations above is the builtin, not this method.
    def float(self) -> Tensor:
        """float32, as PyTorch's t.float() (the tensor itself if it is float32 already)."""
        return self.to(np.float32)


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


class MaxMin(NamedTuple):
    """What t.max(dim) and t.min(dim) give, as PyTorch's: the values and their indices."""
    values: Tensor
    indices: Tensor


def _correction(op: str, unbiased: Any, correction: Any, ddof: Any) -> Any:
    """The c of var = Σ(x - mean)² / (n - c), from PyTorch's unbiased= or correction= or
    numpy's ddof=; 1 when none is given (PyTorch's default)."""
    given = [k for k, v in (("unbiased", unbiased), ("correction", correction), ("ddof", ddof))
             if v is not None]
    if len(given) > 1:
        raise ArgumentError(f"{op}: got {' and '.join(g + '=' for g in given)}, which say the "
                            "same thing (correction = ddof = 1 if unbiased else 0); pass one")
    if unbiased is not None:
        return 1 if unbiased else 0
    return correction if correction is not None else (1 if ddof is None else ddof)


# Type promotion (docs/engine.md, "Dtypes"), PyTorch's rule: a higher category (bool < int
# < float < complex) wins outright, so int + float32 stays float32 where numpy would give
# float64; within a category a 0-d tensor defers to a dimensioned one (x32 * tensor(0.5)
# stays float32), and otherwise numpy's promotion applies (float32 + float64 is float64).
_CATEGORY = {"b": 0, "u": 1, "i": 1, "f": 2, "c": 3}


def _pair(t: Tensor, other: Any, reflected: bool = False) -> tuple[Tensor, Tensor]:
    """(t, other) as an elementwise op's operands, other lifted to a tensor and both of
    the promoted dtype; (other, t) when reflected (2 - t)."""
    o = other if isinstance(other, Tensor) else _lift(other, t)
    # `is` first: one dtype object per builtin dtype, so the common case costs one test.
    if o._data.dtype is not t._data.dtype and o._data.dtype != t._data.dtype:
        t, o = _promote(t, o)
    return (o, t) if reflected else (t, o)


def _promote(a: Tensor, b: Tensor) -> tuple[Tensor, Tensor]:
    da, db = a._data.dtype, b._data.dtype
    ca, cb = _CATEGORY.get(da.kind, 4), _CATEGORY.get(db.kind, 4)
    if ca == 4 or cb == 4 or da == db:
        return a, b  # not numbers: the op itself refuses them
    if ca != cb:
        target = da if ca > cb else db
    elif (a._data.ndim == 0) != (b._data.ndim == 0):
        target = db if a._data.ndim == 0 else da
    else:
        target = np.promote_types(da, db)
    return (a if da == target else a.astype(target)), (b if db == target else b.astype(target))


def _same_dtype(op: str, a: Tensor, b: Tensor) -> tuple[Tensor, Tensor]:
    """matmul's operands, refused when their dtypes differ, as PyTorch refuses them."""
    if a._data.dtype != b._data.dtype:
        raise DTypeError(
            f"{op}: expected both operands to have the same dtype, got {a._data.dtype} and "
            f"{b._data.dtype} (PyTorch refuses this too: \"expected m1 and m2 to have the "
            "same dtype\"); convert one first, e.g. b.to(a.dtype), or a.float() / a.double()")
    return a, b


_DEVICE_WORDS = ("cpu", "cuda", "mps", "xla", "meta", "xpu", "hip", "ipu", "vulkan", "mkldnn")


def _is_device(value: Any) -> bool:
    """Whether an argument of to() names a device: a torch.device, or "cpu", "cuda:1", ..."""
    if isinstance(value, str):
        return value.split(":")[0] in _DEVICE_WORDS
    return type(value).__name__ == "device"  # a torch.device


def _dtype_or_device(value: Any) -> tuple[str, Any]:
    """("dtype", numpy dtype) or ("device", its name) for an argument of to()."""
    if _is_device(value):
        return "device", str(value)
    name = str(value)
    if name.startswith("torch."):  # torch.float32 and its kin, by name
        value = name.removeprefix("torch.")
    try:
        return "dtype", np.dtype(value)
    except TypeError:
        raise DTypeError(f"to: {value!r} is neither a dtype (micrograd.float32, np.float64, "
                         "'float32', ...) nor a device ('cpu')") from None


def _check_device(op: str, device: Any) -> None:
    """Only "cpu" (or "cpu:0") is a device here: the values are numpy arrays."""
    if device is not None and str(device) not in ("cpu", "cpu:0"):
        raise ArgumentError(f"{op}: device {str(device)!r} is not available: micrograd runs "
                            "on the CPU only (numpy arrays); drop the device, or move the "
                            "model to PyTorch with micrograd.interop for other devices")


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
