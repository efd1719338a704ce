"""Tracing: run the function once, eagerly, and write down what it computed as a program.

An observer (engine.observe) sees every op as it runs: its class, its inputs, the options
it was called with (fn.apply_kwargs) and its output. Values are told apart by their
arrays: every op makes a new array, so the array object names the value. An array no op
made is a leaf of the program: an input (a tensor among the arguments, or one held by
reference: a parameter of a module the function closes over), or a constant (a tensor
the function made while it ran, such as the 2 of x * 2).

The backward program is recorded the same way. The reverse walk is backprop's, but each
local partial is the op's tensor form, backward_t or partial_t (the form create_graph=True
records), run on the traced tensors: the ops it runs are primitive ops the forward
templates already write, so the derivative math is written once, in ops.py. Each op run
inside a partial is tagged with the partial it belongs to, ∂op/∂(input i). An op without
a tensor form gets one opaque step, its own array backward.

What a trace cannot see, it refuses (CompileError): reading an intermediate's values
(.item(), bool(), a comparison, .data: the ops that follow depend on them), a tensor
changed in place, backward() inside the function. Reading an input's values is allowed
and becomes a guard: a call where those values changed is traced again.
"""
from __future__ import annotations

import math
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import wraps
from types import SimpleNamespace
from typing import Any

import numpy as np

from .. import engine as _engine
from .. import ops
from ..autograd import unbroadcast
from ..engine import Function, Tensor, from_numpy, is_grad_enabled, no_grad, observe
from ..errors import CompileError, HigherOrderError
from .signature import (
    captured_objects,
    hint,
    holders,
    is_module,
    known_names,
    training_flags,
    walk_arguments,
)

__all__ = ["Value", "Op", "Partial", "Read", "Reported", "Trace", "trace", "STRUCTURAL"]


# --------------------------------------------------------------------------- the program

@dataclass(eq=False)
class Value:
    """One array of the program: an input, a constant, the seed of the backward, or the
    result of one op."""
    shape: tuple[int, ...]
    dtype: np.dtype
    array: Any                       # what it held in the traced call (kept for constants)
    kind: str = "op"                 # "op", "input", "const" or "seed"
    op: Op | None = None             # the op that made it (kind "op")
    tensors: list[Tensor] = field(default_factory=list)  # the leaf tensors that held it
    path: tuple | None = None        # an input among the arguments: where (signature.py)
    ref: Tensor | None = None        # an input held by reference: the tensor
    hint: str = ""                   # a name the user gave it: W1, layers.0.weight, h
    requires_grad: bool = False

    @property
    def size(self) -> int:
        return math.prod(self.shape)


@dataclass(eq=False)
class Partial:
    """The local partial a backward op belongs to: ∂op/∂(input i). step is "partial" (the
    op's own backward_t), "unbroadcast" (summed down to the input's shape) or
    "accumulate" (added to the input's gradient from other uses)."""
    op: Op
    i: int
    step: str


@dataclass(eq=False)
class Op:
    """One op of the program: cls applied to args with kwargs, giving out.

    An opaque VJP (cls None) is the array backward of the forward op vjp[0] for its
    input vjp[1]: what an op without a tensor form (backward_t, partial_t) gets."""
    cls: type[Function] | None
    args: list[Value]
    kwargs: dict[str, Any]
    fn: Function | None              # the traced instance: its saved options (axes, shapes)
    out: Value
    partial: Partial | None = None   # a backward op: which partial it computes
    vjp: tuple[Op, int] | None = None
    instance: bool = False           # the generated forward keeps the op's Function object
    flops: int = 0                   # of the traced forward, as count_ops counts it
    opts: SimpleNamespace = field(default_factory=SimpleNamespace)  # see _options_of


@dataclass(eq=False)
class Reported:
    """One local partial as eager backprop tells the observers of it: ∂op/∂(input i),
    with g the op's complete gradient and pg the partial's result (before unbroadcast).
    `after` is how many ops of the program were recorded when it was done."""
    op: Op
    i: int
    g: Value
    pg: Value
    after: int
    flops: int


@dataclass(eq=False)
class Read:
    """A tensor whose values the function read while traced: a guard of the program."""
    tensor: Tensor
    snapshot: np.ndarray
    what: str
    path: tuple | None = None        # the tensor is an argument: where


@dataclass(eq=False)
class Trace:
    """A traced call: the forward and backward programs and what a later call must match."""
    forward: list[Op]
    backward: list[Op]
    inputs: list[Value]              # every input, in the order they were first seen
    output: Value
    seed: Value | None               # the gradient of the output, when there is a backward
    grads: list[tuple[Value, Value]]  # (input, its gradient) for each input reached
    parents: list[Value]             # the inputs the compiled node records as its parents
    reads: list[Read]
    modules: list[Any]               # every module seen: their training flags are guarded
    module_flags: tuple
    result: Tensor                   # what the traced (eager) call returned
    grad_names: list[tuple[Value, Value]]  # (value, its complete gradient), for the names
    contributions: dict[Value, Value]      # a gradient share -> the value it is a share of
    reported: list[Reported]               # the partials, for the observers
    holders: list[tuple[Any, Any, Tensor]]  # (dict or cell, key, tensor): where the
    # function found each tensor it reads by reference, which must still hold it

    def compact(self) -> None:
        """Let go of the traced call: its values (all but the constants), its Functions
        and tensors, its result. A cached program must not keep a step's activations."""
        for op in self.forward + self.backward:
            op.fn = None
        for v in self.values():
            v.tensors = []
            if v.kind != "const":
                v.array = None
        self.result = None  # type: ignore[assignment]

    def values(self) -> list[Value]:
        seen: dict[int, Value] = {}
        for op in self.forward + self.backward:
            for v in (*op.args, op.out):
                seen.setdefault(id(v), v)
        for v in (*self.inputs, self.output, *([self.seed] if self.seed else [])):
            seen.setdefault(id(v), v)
        return list(seen.values())


# --------------------------------------------------------------------------- value reads
# While a trace runs on this thread, Tensor's ways out of the graph (item, bool, the
# comparisons, .data, numpy(), Tensor(t)) tell the recorder which tensor they read.
# They are wrapped for as long as any thread traces; other threads pass straight through.

_local = threading.local()
_patch_lock = threading.Lock()
_patch_count = 0
_originals: dict[str, Any] = {}
_READ_METHODS = ("item", "__bool__", "tolist", "numpy", "__array__", "__lt__", "__le__",
                 "__gt__", "__ge__", "__eq__", "__ne__", "_arg")


def _reader(name: str, method: Callable) -> Callable:
    @wraps(method)
    def read(self: Tensor, *args: Any, **kwargs: Any) -> Any:
        recorder = getattr(_local, "recorder", None)
        if recorder is not None:
            recorder.on_read(self, name)
            for a in args:
                if isinstance(a, Tensor):
                    recorder.on_read(a, name)
        return method(self, *args, **kwargs)
    return read


def _as_array_traced(data: Any, dtype: Any, copy: bool = True) -> np.ndarray:
    recorder = getattr(_local, "recorder", None)
    if recorder is not None and isinstance(data, Tensor):
        recorder.on_read(data, "Tensor(t)")
    array = _originals["_as_array"](data, dtype, copy)
    if recorder is not None:
        recorder.on_create(array)
    return array


# ops.py's tensor forms make a constant of a mask or a saved value with these two (a
# number through _constant is a plain constant, 0 or 1/n).
_VALUE_CONSTANTS = ("_constant", "_ones_where")


def _value_constant(function: Callable) -> Callable:
    @wraps(function)
    def made(a: Any, *args: Any) -> Any:
        recorder = getattr(_local, "recorder", None)
        if recorder is not None and not isinstance(a, (int, float, bool)):
            recorder.value_constants += 1
        return function(a, *args)
    return made


def _install() -> None:
    global _patch_count
    with _patch_lock:
        _patch_count += 1
        if _patch_count > 1:
            return
        for name in _READ_METHODS:
            _originals[name] = method = Tensor.__dict__[name]
            setattr(Tensor, name, _reader(name, method))
        prop = Tensor.__dict__["data"]
        _originals["data"] = prop
        Tensor.data = property(_reader("data", prop.fget), prop.fset,  # type: ignore
                               doc=prop.__doc__)
        _originals["_as_array"] = _engine._as_array
        _engine._as_array = _as_array_traced
        for name in _VALUE_CONSTANTS:
            _originals[name] = function = getattr(ops, name)
            setattr(ops, name, _value_constant(function))


def _uninstall() -> None:
    global _patch_count
    with _patch_lock:
        _patch_count -= 1
        if _patch_count:
            return
        for name in (*_READ_METHODS, "data"):
            setattr(Tensor, name, _originals[name])
        _engine._as_array = _originals["_as_array"]
        for name in _VALUE_CONSTANTS:
            setattr(ops, name, _originals[name])


@contextmanager
def _watching(recorder: _Recorder) -> Iterator[None]:
    if getattr(_local, "recorder", None) is not None:
        raise CompileError("compile: a compiled function was called while another one was "
                           "being traced on this thread; compile the outer function only "
                           "(its trace includes the inner one's ops)")
    _install()
    _local.recorder = recorder
    try:
        with observe(recorder):
            yield
    finally:
        _local.recorder = None
        _uninstall()


# --------------------------------------------------------------------------- tensor forms
# The ops whose tensor form (backward_t, partial_t) is built only from their inputs, their
# output and their options, so that the ops it records stand for every call of the
# program. The others build a mask or a weight from the values they saved (relu's x > 0,
# max's ties, abs's sign, norm's zeros, pow's 0⁰ guard) as a constant, which is right for
# a second derivative (the mask's own derivative is 0) but would freeze the traced mask
# in a program: their partial is their own array backward, run on every call. An op not
# listed here (a new one, a user's Function) gets that safe form too.

STRUCTURAL: frozenset[type[Function]] = frozenset({
    ops.Add, ops.Sub, ops.Neg, ops.Mul, ops.Div, ops.MatMul, ops.Exp, ops.Exp2, ops.Expm1,
    ops.Log, ops.Log1p, ops.Sqrt, ops.Tanh, ops.Sigmoid, ops.Erf, ops.Where, ops.Cast,
    ops.Sum, ops.Mean, ops.Var, ops.LogSumExp, ops.Softmax, ops.LogSoftmax, ops.Reshape,
    ops.Transpose, ops.Expand, ops.Repeat, ops.GetItem, ops.ScatterAdd, ops.SetItem,
    ops.Concatenate, ops.Stack, ops.FusedLinear, ops.SoftmaxCrossEntropy,
    ops.BinaryCrossEntropy,
})


# --------------------------------------------------------------------------- the recorder

class _Recorder:
    """The observer of one trace: every op, leaf, constant and read, in order."""

    def __init__(self) -> None:
        self.values: dict[int, Value] = {}     # id(array) -> the value it holds
        self.keep: list[Any] = []              # arrays and tensors, kept alive so ids stay theirs
        self.ops: list[Op] = []
        self.op_of: dict[int, Op] = {}         # id(fn) -> its op
        self.leaves: list[Value] = []
        self.seen: dict[int, tuple[Tensor, int]] = {}  # id(tensor) -> (it, version first seen)
        self.created: set[int] = set()         # ids of arrays Tensor() made during the trace
        self.reads: list[tuple[Tensor, np.ndarray, str]] = []
        self.partial: Partial | None = None    # while recording the backward: the partial
        self.in_backward = False
        self.value_constants = 0               # constants made from values (see _VALUE_CONSTANTS)
        self.grad_names: list[tuple[Value, Value]] = []
        self.contributions: dict[Value, Value] = {}
        self.reported: list[Reported] = []

    def value_of(self, t: Tensor) -> Value:
        a = t._data
        v = self.values.get(id(a))
        if v is None:
            v = Value(a.shape, a.dtype, a, kind="leaf")
            self.values[id(a)] = v
            self.keep.append(a)
            self.leaves.append(v)
        if v.kind == "leaf" and not any(x is t for x in v.tensors):
            v.tensors.append(t)
        if id(t) not in self.seen:
            self.seen[id(t)] = (t, t._ver[0])
        return v

    def register(self, array: np.ndarray, value: Value) -> None:
        self.values[id(array)] = value
        self.keep.append(array)

    # -- observer protocol (engine.observe) --------------------------------------
    def on_forward(self, fn: Function, parents: tuple[Tensor, ...], out: Tensor) -> None:
        args = [self.value_of(p) for p in parents]
        v = Value(out._data.shape, out._data.dtype, out._data)
        op = Op(type(fn), args, dict(getattr(fn, "apply_kwargs", {})), fn, v, self.partial)
        v.op = op
        v.tensors.append(out)  # its .name, if the user gives it one
        v.requires_grad = out._rg
        op.opts = _options_of(fn)
        if not self.in_backward:
            op.flops = fn.flops(out._data.size, max((p._data.size for p in parents), default=0))
        self.register(out._data, v)
        self.seen[id(out)] = (out, out._ver[0])
        self.keep.append(fn)
        self.ops.append(op)
        self.op_of[id(fn)] = op

    def on_partial(self, fn: Function, i: int, a: Any, b: Any, kind: str) -> None:
        raise CompileError(
            f"compile: the function computes gradients itself ({fn.name}'s partial ran: "
            "backward() or micrograd.grad() inside it); compile the function that returns "
            "the loss, and call backward() on its result")

    def on_read(self, t: Tensor, what: str) -> None:
        self.reads.append((t, t._data, what))
        self.keep.append(t)

    def on_create(self, array: np.ndarray) -> None:
        self.created.add(id(array))
        self.keep.append(array)


# --------------------------------------------------------------------------- tracing

def trace(fn: Callable, args: tuple, kwargs: dict, arg_names: list[str]) -> Trace:
    """Run fn(*args, **kwargs) eagerly, recording its forward program and, when its result
    requires grad, its backward program. `arg_names` name the positional parameters."""
    found = list(walk_arguments(args, kwargs))
    modules = [m for _, m in found if is_module(m)]
    modules += [m for _, m in captured_objects(fn) if is_module(m) and m not in modules]
    watched = [t for _, t in found if isinstance(t, Tensor)]
    for m in modules:
        watched += [t for _, t in m.named_parameters()]
    versions = [(t, t._ver[0]) for t in watched]
    recorder = _Recorder()
    with _watching(recorder):
        result = fn(*args, **kwargs)
        if not isinstance(result, Tensor):
            raise CompileError(f"compile: the function must return one tensor (typically the "
                               f"loss), got {type(result).__name__}; return the tensor, and "
                               "compute anything else from it outside")
        output = recorder.value_of(result)
        n_forward = len(recorder.ops)
        seed: Value | None = None
        reached: dict[int, tuple[Tensor, Tensor]] = {}
        walked: list[Op] = []
        if result._rg and result._ctx is not None and id(result._ctx) in recorder.op_of \
                and is_grad_enabled():
            seed, reached, walked = _record_backward(recorder, result)
    _check_unchanged(recorder, versions)
    forward, backward = recorder.ops[:n_forward], recorder.ops[n_forward:]
    inputs = _classify_leaves(recorder, found, fn, arg_names)
    for op in recorder.ops:  # a name given inside the function (h.name = "h")
        names = [t.name for t in op.out.tensors if t.name]
        op.out.hint = names[0] if names else ""
    if output.kind == "const":
        output.hint = result.name or ""
    parents, grad_pairs = _parents(recorder, walked, reached)
    held = {id(v.ref): v.ref for v in inputs if v.ref is not None}
    return Trace(forward, backward, inputs, output, seed, grad_pairs, parents,
                 _reads(recorder, found), modules,
                 tuple(training_flags(m) for m in modules), result, recorder.grad_names,
                 recorder.contributions, recorder.reported,
                 holders(fn, [*args, *kwargs.values()], modules, held))


def _check_unchanged(recorder: _Recorder, versions: list[tuple[Tensor, int]]) -> None:
    """Refuse a function that changed a tensor in place: the program would not repeat it,
    and the value it names by array would no longer be one value."""
    for t, v in [*recorder.seen.values(), *versions]:
        if t._ver[0] != v:
            what = f"the tensor {t.name!r}" if t.name else f"a tensor of shape {t.shape}"
            raise CompileError(
                f"compile: the function changed {what} in place (version {v} before, "
                f"{t._ver[0]} after); a compiled program does not repeat in-place changes. "
                "Write it out of place (h = h + 1 instead of h += 1), or make the change "
                "outside the compiled function (an optimizer step after backward())")


def _record_backward(recorder: _Recorder, root: Tensor
                     ) -> tuple[Value, dict[int, tuple[Tensor, Tensor]], list[Op]]:
    """Backprop's walk over the traced ops, each partial run in its tensor form (or as an
    opaque VJP), every op of it recorded with its Partial. Returns the seed's value,
    {id(tensor): (tensor, its gradient)} for the tensors where the walk stops, and the
    forward ops it walked."""
    def inside(t: Tensor) -> bool:
        return t._ctx is not None and id(t._ctx) in recorder.op_of

    counts: dict[int, int] = {}
    stack = [root]
    while stack:
        t = stack.pop()
        if not inside(t):
            continue
        for p in t._ctx.parents:  # type: ignore[union-attr]
            if p._rg:
                if id(p) in counts:
                    counts[id(p)] += 1
                else:
                    counts[id(p)] = 1
                    stack.append(p)
    seed = Tensor.__new__(Tensor)
    seed._data = np.ones(root._data.shape, dtype=root._data.dtype)
    seed.grad = seed.name = seed._ctx = None
    seed._rg = seed._retain = False
    seed._ver = [0, False]
    seed_value = Value(root._data.shape, root._data.dtype, seed._data, kind="seed")
    recorder.register(seed._data, seed_value)
    recorder.in_backward = True
    grads: dict[int, Tensor] = {id(root): seed}
    final: dict[int, tuple[Tensor, Tensor]] = {}
    walked: list[Op] = []
    ready = [root]
    with no_grad():  # the values are what matter here, not a graph of the walk
        while ready:
            node = ready.pop()
            g = grads.pop(id(node))
            recorder.grad_names.append((recorder.value_of(node), recorder.value_of(g)))
            if not inside(node):
                final[id(node)] = (node, g)
                continue
            fn = node._ctx
            assert fn is not None
            op = recorder.op_of[id(fn)]
            walked.append(op)
            for i, p in enumerate(fn.parents):
                if not p._rg:
                    continue
                recorder.partial = Partial(op, i, "partial")
                pg = _local_partial(recorder, fn, op, g, i, node)
                recorder.reported.append(Reported(
                    op, i, recorder.value_of(g), recorder.value_of(pg), len(recorder.ops),
                    fn.flops(g._data.size, pg._data.size, i)))
                if pg.shape != p._data.shape:
                    recorder.partial = Partial(op, i, "unbroadcast")
                    pg = unbroadcast(pg, p._data.shape)
                recorder.contributions.setdefault(recorder.value_of(pg), recorder.value_of(p))
                if id(p) in grads:
                    recorder.partial = Partial(op, i, "accumulate")
                    grads[id(p)] = grads[id(p)] + pg
                else:
                    grads[id(p)] = pg
                counts[id(p)] -= 1
                if counts[id(p)] == 0:
                    ready.append(p)
    recorder.partial = None
    recorder.in_backward = False
    return seed_value, final, walked


# What the templates read from a traced op besides its call options: the normalised
# forms its forward saved (positive axes, the index it owns, shapes). Copied at the trace,
# because backward() frees the traced Function's attributes.
_OPTIONS = ("axes", "axis", "keepdims", "cond", "index", "reps", "shape", "out_shape")


def _options_of(fn: Function) -> SimpleNamespace:
    return SimpleNamespace(**{k: getattr(fn, k, None) for k in _OPTIONS})


def _local_partial(recorder: _Recorder, fn: Function, op: Op, g: Tensor, i: int,
                   out: Tensor) -> Tensor:
    """g · ∂out/∂input_i: the op's tensor form when it is STRUCTURAL, else its array form
    as one opaque step (the generated forward then keeps the op's Function, whose backward
    reads the arrays its forward saved)."""
    if type(fn) in STRUCTURAL:
        ops_before, reads, made = len(recorder.ops), len(recorder.reads), recorder.value_constants
        try:
            result = fn.backward_t(g, i, out)
        except HigherOrderError:
            result = None
        if result is not None and len(recorder.reads) == reads and \
                recorder.value_constants == made:
            return result
        # It read values (a saved mask, p.data): not one program for every call. Its ops
        # are dropped; the array form below runs on every call instead.
        del recorder.ops[ops_before:], recorder.reads[reads:]
        recorder.value_constants = made
    array = g._data * fn.partial(i) if fn.elementwise else fn.backward(g._data, i)
    # A view, never g's own array object: the new value must not take g's place.
    array = np.asarray(array).view()
    result = from_numpy(array)
    value = Value(array.shape, array.dtype, array)
    vjp = Op(None, [recorder.value_of(g)], {}, None, value, recorder.partial, vjp=(op, i))
    value.op = vjp
    recorder.register(array, value)
    recorder.ops.append(vjp)
    op.instance = True
    return result


def _classify_leaves(recorder: _Recorder, found: list[tuple[tuple, Any]], fn: Callable,
                     arg_names: list[str]) -> list[Value]:
    """Each leaf becomes an input (an argument's tensor, or a tensor held by reference)
    or a constant (a tensor made while the function ran); inputs get their names."""
    by_array: dict[int, tuple[tuple, Tensor]] = {}
    for path, obj in found:
        if isinstance(obj, Tensor):
            by_array.setdefault(id(obj._data), (path, obj))
    names = known_names(found, fn, arg_names)
    inputs = []
    for v in recorder.leaves:
        if id(v.array) in by_array:
            v.kind = "input"
            v.path, t = by_array[id(v.array)]
        elif id(v.array) in recorder.created:
            v.kind = "const"
            continue
        else:
            v.kind = "input"
            # A tensor that requires grad is the one to read: a detach() of it shares
            # its array but would not see a new array given to the parameter.
            t = next((x for x in v.tensors if x._rg), v.tensors[0])
            v.ref = t
        v.requires_grad = t._rg
        v.hint = hint(t, names.get(id(t), ""))
        inputs.append(v)
    return inputs


def _parents(recorder: _Recorder, walked: list[Op], reached: dict[int, tuple[Tensor, Tensor]]
             ) -> tuple[list[Value], list[tuple[Value, Value]]]:
    """The compiled node's parents: the inputs of the ops the backward walks (their
    versions are checked at backward, as eager checks every parent of a walked op), and
    the gradient of each input the walk reaches."""
    pairs = []
    got = set()
    for t, g in reached.values():
        v = recorder.values.get(id(t._data))
        if v is None or v.kind != "input":
            continue  # a constant that requires grad (made inside the function): no one sees it
        pairs.append((v, recorder.value_of(g)))
        got.add(id(v))
    parents: list[Value] = []
    for op in walked:
        for a in op.args:
            # An input that does not require grad is a parent too (its version is checked);
            # one that requires grad but gets no gradient is not, as eager leaves its .grad.
            if a.kind == "input" and a not in parents and (not a.requires_grad or id(a) in got):
                parents.append(a)
    return parents, pairs


def _reads(recorder: _Recorder, found: list[tuple[tuple, Any]]) -> list[Read]:
    """The guards of the values read; a read of an intermediate cannot be guarded."""
    paths = {id(obj): path for path, obj in found if isinstance(obj, Tensor)}
    reads: list[Read] = []
    for t, array, what in recorder.reads:
        v = recorder.values.get(id(array))
        if v is not None and v.kind in ("op", "seed"):
            maker = v.op.cls.name if v.op is not None and v.op.cls is not None else "an op"
            raise CompileError(
                f"compile: the function reads the values of a tensor it computed (the result "
                f"of {maker}, shape {v.shape}) with {what}; a compiled program repeats the ops "
                "it traced for these values and would silently go wrong on others. Keep the "
                "function free of .item(), bool(), comparisons and .data on its results "
                "(use micrograd ops such as relu, maximum, where on tensors instead), or "
                "compile a smaller function that does not read values")
        if any(r.tensor is t for r in reads):
            continue
        reads.append(Read(t, np.array(array, copy=True), what, paths.get(id(t))))
    return reads
