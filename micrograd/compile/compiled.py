"""micrograd.compile(fn): the wrapper that traces, guards, caches and runs generated programs.

A call is looked up by its key (signature.py). The first call of a key runs fn eagerly
while tracing it (trace.py) and writes its program (codegen.py); the second call of the
key traces once more and checks that the two traces are the same program (the same ops,
options and constants: a function whose ops depend on values, or on random numbers,
would differ), and from the third call on the generated code runs. A call whose key or
guards match no program is traced anew; the cache keeps the most recent programs and
warns when retracing keeps happening.

The result of a compiled call is a tensor made by one recorded node, CompiledFunction
(node.py).
"""
from __future__ import annotations

import functools
import inspect
import threading
import types
import warnings
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Any

import numpy as np

from .. import engine as _engine
from ..engine import Tensor
from ..errors import CompileError
from .codegen import Program, generate
from .node import CompiledFunction, CompiledResult, record
from .signature import call_key, fetch_path, training_flags, walk_arguments
from .trace import Trace, Value, trace
from .trace import _local as _trace_local

__all__ = ["compile", "Compiled", "CompiledFunction", "CompiledResult"]

DEFAULT_CACHE = 8


# --------------------------------------------------------------------------- one program

class _Entry:
    """One traced signature: its program, its guards, and how a call runs it."""

    def __init__(self, t: Trace, program: Program, arrays: list[tuple[tuple, np.ndarray]],
                 aliases: list[list[tuple]]):
        self.trace = t
        self.program = program
        self.confirmed = False
        self.name = t.output.hint or None
        self.passthrough = t.output if t.output.kind != "op" else None
        inputs = program.inputs
        self.prepare = _preparer(inputs, t.parents)
        self.forward = program.forward
        self.has_backward = program.backward is not None
        slot_of = {id(v): k for k, v in enumerate(program.grads_for)}
        self.slots = [slot_of.get(id(v), -1) for v in t.parents]
        self.reported_program: Program | None = None
        # Guards beyond the key: tensors read by reference keep their signature, modules
        # their training flags, values read and numpy arguments their values.
        self.captured = [(v.ref, v.shape, v.dtype, v.requires_grad) for v in t.inputs
                         if v.ref is not None]
        self.modules, self.flags = t.modules, t.module_flags
        self.values = [(r.path, r.tensor, r.snapshot) for r in t.reads]
        self.arrays = arrays
        self.aliases = aliases
        self.guard = self._write_guard()
        self.op_index = {id(op): k for k, op in enumerate(t.forward)}
        self._flops: dict[int, dict[tuple[int, int], int]] | None = None

    def _write_guard(self) -> Callable[[tuple, dict], bool] | None:
        """why_not(args, kwargs) is None, as straight code for the common checks (the
        signature of each tensor held by reference, each module's training flag); the
        checks of values, when there are any, call why_not itself."""
        namespace: dict[str, Any] = {"entry": self}
        checks = []
        for k, (t, shape, dtype, rg) in enumerate(self.captured):
            namespace[f"t{k}"], namespace[f"d{k}"] = t, dtype
            checks.append(f"t{k}._data.shape == {shape!r} and t{k}._data.dtype == d{k} "
                          f"and t{k}._rg is {rg}")
        for k, (container, key, t) in enumerate(self.trace.holders):
            namespace[f"h{k}"], namespace[f"v{k}"] = container, t
            checks.append(f"h{k}.cell_contents is v{k}" if key is None
                          else f"h{k}.get({key!r}) is v{k}")
        submodules = [(m, f) for module, flags in zip(self.modules, self.flags, strict=True)
                      for m, f in zip(module.modules(), flags, strict=False)]
        for k, (m, flag) in enumerate(submodules):
            namespace[f"m{k}"] = m
            checks.append(f"bool(m{k}.training) is {flag}")
        if self.values or self.arrays or self.aliases:
            checks.append("entry.why_not(args, kwargs) is None")
        if not checks:
            return None
        body = " and ".join(checks)
        exec(f"def guard(args, kwargs):\n    return {body}\n", namespace)  # noqa: S102
        guard: Callable[[tuple, dict], bool] = namespace["guard"]
        return guard

    def flops_of(self, k: int) -> dict[tuple[int, int], int]:
        """(out size, in size) -> flops for the k-th forward op, its forward and partials."""
        if self._flops is None:
            table: dict[int, dict[tuple[int, int], int]] = {}
            for j, op in enumerate(self.trace.forward):
                sizes = (op.out.size, max((a.size for a in op.args), default=0))
                table[j] = {sizes: op.flops}
            for rep in self.trace.reported:
                j = self.op_index[id(rep.op)]
                table[j][(rep.g.size, rep.pg.size)] = rep.flops
            self._flops = table
        return self._flops[k]

    # -- guards ----------------------------------------------------------------
    def why_not(self, args: tuple, kwargs: dict) -> str | None:
        """None when this program stands for the call; else what differs."""
        for t, shape, dtype, rg in self.captured:
            d = t._data
            if d.shape != shape or d.dtype != dtype or t._rg != rg:
                return (f"the tensor {t.name or 'held by the function'} changed from "
                        f"{shape} {dtype}{' requiring grad' if rg else ''} to {d.shape} "
                        f"{d.dtype}{' requiring grad' if t._rg else ''}")
        for container, key, t in self.trace.holders:
            now = container.cell_contents if key is None else container.get(key)
            if now is not t:
                return (f"{key or 'a closure variable'} holds another tensor than when traced "
                        f"(a parameter replaced, not updated in place)")
        if tuple(training_flags(m) for m in self.modules) != self.flags:
            return "a module's training flag changed (train() or eval())"
        for path, t, snapshot in self.values:
            now = fetch_path(args, kwargs, path) if path is not None else t
            if not (now._data.shape == snapshot.shape and np.array_equal(now._data, snapshot)):
                return f"the values of a tensor the function reads ({t.name or path}) changed"
        for path, snapshot in self.arrays:
            now = fetch_path(args, kwargs, path)
            if not (now.shape == snapshot.shape and np.array_equal(now, snapshot)):
                return (f"the numpy array argument at {path[1:]} changed its values (a numpy "
                        "argument is a constant of the program; pass data that changes as a "
                        "Tensor)")
        for group in self.aliases:
            first = fetch_path(args, kwargs, group[0])._data
            if any(fetch_path(args, kwargs, p)._data is not first for p in group[1:]):
                return "arguments that were one tensor when traced are different tensors now"
        return None

    # -- running ---------------------------------------------------------------
    def run(self, args: tuple, kwargs: dict) -> Tensor:
        if self.passthrough is not None:
            return self._passthrough(args, kwargs)
        arrays, parents, versions = self.prepare(args, kwargs)
        if _engine._observing and _engine._state.observers:
            return self._run_observed(arrays, parents)
        if not self.has_backward:
            return record(None, (), self.forward(*arrays), self.name)
        node = _new(CompiledFunction)
        node.entry, node.arrays = self, arrays
        data, node.saved = self.forward(*arrays)
        if type(data) is not np.ndarray:
            data = np.asarray(data)
        out = _new(CompiledResult)
        out._data = data
        out.grad = None
        out.name = self.name
        out._retain = False
        out._ver = [0, False] if data.base is None else _engine._view_counter(data, parents)
        out._rg = True
        node.parents = parents
        node.versions = (*versions, out._ver[0])
        out._ctx = node
        return out

    def _passthrough(self, args: tuple, kwargs: dict) -> Tensor:
        """The function ran no op on the way to its result: it returned one of its
        inputs (that very tensor, as eager does) or a tensor it made (a new one each call)."""
        v = self.passthrough
        assert v is not None
        if v.kind == "input":
            if v.path is None:
                assert v.ref is not None
                return v.ref
            given: Tensor = fetch_path(args, kwargs, v.path)
            return given
        return Tensor(v.array, name=self.name)

    def _run_observed(self, arrays: tuple, parents: tuple) -> Tensor:
        """The reporting program: every traced op, each told to the observers."""
        if not self.has_backward:
            out = self.reporting().forward(*arrays, _Reporter(self))
            return record(None, (), out, self.name)
        node = _new(CompiledFunction)
        node.entry, node.arrays, node.reporting = self, arrays, True
        out, node.saved = self.reporting().forward(*arrays, _Reporter(self))
        return record(node, parents, out, self.name)

    def backward(self, node: CompiledFunction, g: np.ndarray) -> tuple:
        observed = _engine._observing and _engine._state.observers
        if not observed and not node.reporting:
            assert self.program.backward is not None
            grads = self.program.backward(g, *node.saved)
        else:
            reporting = self.reporting()
            if not node.reporting:  # saved for the fast backward: run the full forward again
                _, node.saved = reporting.forward(*node.arrays, _Reporter(self, quiet=True))
                node.reporting = True
            assert reporting.backward is not None
            grads = reporting.backward(g, *node.saved, _Reporter(self, quiet=not observed))
        return tuple(grads)

    def reporting(self) -> Program:
        """The program with every traced op and a report call after each, written when
        first needed: what runs while someone observes (count_ops, detect_anomaly)."""
        if self.reported_program is None:
            self.reported_program = generate(self.trace, report=True)
        return self.reported_program


class _Reporter:
    """Tells the observers about each op of a reporting run, as the eager ops would."""

    def __init__(self, entry: _Entry, quiet: bool = False):
        self.entry = entry
        self.trace = entry.trace
        self.quiet = quiet or not (_engine._observing and _engine._state.observers)
        self.records: dict[int, _OpRecord] = {}

    def record(self, k: int) -> _OpRecord:
        rec = self.records.get(k)
        if rec is None:
            op = self.trace.forward[k]
            rec = self.records[k] = _OpRecord(op.cls.name if op.cls is not None else "op",
                                              self.entry.flops_of(k))
        return rec

    def forward(self, k: int, out: Any, args: tuple) -> None:
        rec = self.record(k)
        rec.parents = tuple(_wrap(a) for a in args)
        if not self.quiet:
            out_t = _wrap(out)
            for obs in _engine._state.observers:
                obs.on_forward(rec, rec.parents, out_t)

    def partial(self, j: int, g: Any, pg: Any) -> None:
        if self.quiet:
            return
        rep = self.trace.reported[j]
        rec = self.record(self.entry.op_index[id(rep.op)])
        for obs in _engine._state.observers:
            obs.on_partial(rec, rep.i, np.asarray(g), np.asarray(pg), "vjp")


class _OpRecord:
    """What an observer is told an op of a compiled program is: its name, its inputs and
    its flops (as the traced op counted them; the shapes are the same on every call)."""
    __slots__ = ("name", "parents", "_flops", "__weakref__")

    def __init__(self, name: str, flops: dict[tuple[int, int], int]):
        self.name = name
        self.parents: tuple[Tensor, ...] = ()
        self._flops = flops

    def flops(self, out_size: int, in_size: int, i: int | None = None) -> int:
        return self._flops.get((out_size, in_size), max(out_size, in_size))


def _wrap(a: Any) -> Tensor:
    t = Tensor.__new__(Tensor)
    t._data = a if type(a) is np.ndarray else np.asarray(a)
    t.grad = t.name = t._ctx = None
    t._rg = t._retain = False
    t._ver = [0, False]
    return t


_new = object.__new__


def _preparer(inputs: list[Value], parents: list[Value]
              ) -> Callable[[tuple, dict], tuple[tuple, tuple, tuple]]:
    """A function (args, kwargs) -> (the inputs' arrays, the node's parents, their
    versions), written out as straight code: args[0]._data, ref1, ref1._ver[0], ..."""
    namespace: dict[str, Any] = {}
    names: dict[int, str] = {}
    lines = []
    for v in [*inputs, *parents]:
        if id(v) in names:
            continue
        name = names[id(v)] = f"t{len(names)}"
        if v.path is None:
            namespace[name] = v.ref
            continue
        where, key, *rest = v.path
        text = f"args[{key}]" if where == 0 else f"kwargs[{key!r}]"
        lines.append(f"    {name} = {text}{''.join(f'[{r!r}]' for r in rest)}")

    def items(values: list[Value], suffix: str) -> str:
        text = ", ".join(names[id(v)] + suffix for v in values)
        return f"({text}{',' if len(values) == 1 else ''})"
    lines.append(f"    return {items(inputs, '._data')}, {items(parents, '')}, "
                 f"{items(parents, '._ver[0]')}")
    exec("def prepare(args, kwargs):\n" + "\n".join(lines) + "\n", namespace)  # noqa: S102
    prepare: Callable[[tuple, dict], tuple[tuple, tuple, tuple]] = namespace["prepare"]
    return prepare


def _alias_groups(found: list[tuple[tuple, Any]]) -> list[list[tuple]]:
    """Argument paths that held one tensor's array when traced (f(x, x)): a call must
    pass them one tensor again, or the program would read one of two different inputs."""
    groups: dict[int, list[tuple]] = {}
    for path, obj in found:
        if isinstance(obj, Tensor):
            groups.setdefault(id(obj._data), []).append(path)
    return [g for g in groups.values() if len(g) > 1]


# --------------------------------------------------------------------------- the wrapper

class Compiled:
    """fn, compiled: the same call signature and results; the generated code runs from a
    signature's third call on (the first two trace it and check it). See compile()."""

    def __init__(self, fn: Callable[..., Tensor], max_cache: int = DEFAULT_CACHE):
        if not callable(fn):
            raise CompileError(f"compile: expected a function (or module) to compile, got "
                               f"{type(fn).__name__}")
        if not isinstance(max_cache, int) or isinstance(max_cache, bool) or max_cache < 1:
            raise CompileError(f"compile: max_cache must be a whole number >= 1, got "
                               f"{max_cache!r}")
        functools.update_wrapper(self, fn, updated=())  # its name and doc, not a module's dict
        self.fn = fn
        self.max_cache = max_cache
        self.traces = 0
        self._cache: OrderedDict[Hashable, _Entry] = OrderedDict()
        self._lock = threading.Lock()
        self._last: _Entry | None = None
        self._warned = False
        self._arg_names = _positional_names(fn)

    def __get__(self, obj: Any, owner: Any = None) -> Any:
        """@micrograd.compile on a method: obj.method is this compiled function with obj
        as its first argument (obj is then part of the key: a module, or any object)."""
        return self if obj is None else types.MethodType(self, obj)

    def __repr__(self) -> str:
        name = getattr(self.fn, "__qualname__", self.fn)
        return f"<compiled {name!r}, {len(self._cache)} programs>"

    def __call__(self, *args: Any, **kwargs: Any) -> Tensor:
        if getattr(_trace_local, "recorder", None) is not None:
            return self.fn(*args, **kwargs)  # inside another compiled function's trace
        key = call_key(args, kwargs)
        entry = self._cache.get(key)
        why = None
        if entry is not None and entry.confirmed:
            if entry.guard is None or entry.guard(args, kwargs):
                return entry.run(args, kwargs)
            why = entry.why_not(args, kwargs)
        return self._trace(key, args, kwargs, entry, why)

    # -- tracing ---------------------------------------------------------------
    def _trace(self, key: Hashable, args: tuple, kwargs: dict, entry: _Entry | None,
               why: str | None) -> Tensor:
        t = trace(self.fn, args, kwargs, self._arg_names)
        found = list(walk_arguments(args, kwargs))
        arrays = [(path, np.array(a, copy=True)) for path, a in found
                  if isinstance(a, np.ndarray)]
        if entry is not None and not entry.confirmed and entry.why_not(args, kwargs) is None:
            _same_program(entry.trace, t)
            entry.confirmed = True
            # The newest trace holds what the guards compare against from now on.
            entry.values = [(r.path, r.tensor, r.snapshot) for r in t.reads]
            entry.arrays = arrays
            return t.result
        program = generate(t)
        _self_check(t, program)
        result = t.result
        new = _Entry(t, program, arrays, _alias_groups(found))
        t.compact()
        with self._lock:
            self.traces += 1
            self._cache[key] = new
            self._cache.move_to_end(key)
            self._last = new
            evicted = len(self._cache) > self.max_cache
            if evicted:
                self._cache.popitem(last=False)
        if (evicted or self.traces > 2 * self.max_cache) and not self._warned:
            self._warned = True
            reason = why or _key_change(key, list(self._cache))
            warnings.warn(
                f"compile: {getattr(self.fn, '__name__', 'the function')} was traced "
                f"{self.traces} times (the cache keeps {self.max_cache} programs): {reason}. "
                "Each trace runs the function eagerly; keep shapes, dtypes and requires_grad "
                "the same from call to call, or raise max_cache", RuntimeWarning, stacklevel=3)
        return result

    # -- the generated code ------------------------------------------------------
    def code(self, *args: Any, **kwargs: Any) -> str:
        """The generated forward and backward for a call with these arguments, as Python
        text (traced now if this signature was not yet: the function runs once)."""
        key = call_key(args, kwargs)
        entry = self._cache.get(key)
        if entry is None or entry.why_not(args, kwargs) is not None:
            self._trace(key, args, kwargs, None, None)
            entry = self._cache[key]
        return entry.program.source

    @property
    def source(self) -> str:
        """The generated code of the most recent trace (call the function, or code(), first)."""
        if self._last is None:
            raise CompileError("compile: nothing traced yet: call the compiled function once, "
                               "or use .code(*example_args)")
        return self._last.program.source


def compile(fn: Callable[..., Tensor] | None = None, *, max_cache: int = DEFAULT_CACHE) -> Any:
    """fn traced once per signature and run as generated numpy: `micrograd.compile(fn)`,
    `@micrograd.compile` or `@micrograd.compile(max_cache=4)`.

    fn takes tensors, modules, numbers and numpy arrays and returns one tensor (typically
    the loss). Its first call for a signature (shapes, dtypes, requires_grad, grad mode)
    runs it eagerly while recording its ops, and writes one straight-line numpy function
    for the forward and one for the backward; `backward()` on the result fills .grad as
    eager does. Python control flow is traced as taken: a function whose ops depend on
    the values of its tensors is refused (CompileError). See docs/compile.md.
    """
    if fn is None:
        return lambda f: Compiled(f, max_cache=max_cache)
    return Compiled(fn, max_cache=max_cache)


# --------------------------------------------------------------------------- checks

def _same_program(first: Trace, second: Trace) -> None:
    """Two traces of one signature must be one program; else the ops depend on values."""
    a, b = _fingerprint(first), _fingerprint(second)
    if len(a) != len(b):
        raise CompileError(
            f"compile: two calls with the same signature ran different ops ({len(a)} then "
            f"{len(b)}): the function's control flow depends on the values of its inputs, "
            "so no one program stands for it. Compile a part without such branches")
    for k, (x, y) in enumerate(zip(a, b, strict=True)):
        if x != y:
            what = x[0] if isinstance(x, tuple) and x else "a value"
            raise CompileError(
                f"compile: two calls with the same signature traced different programs "
                f"(at step {k}, {what}: its options or constants differ): random numbers "
                "(dropout in training mode) or values read from tensors or numpy arrays "
                "made the ops different. A compiled program repeats one trace; compile a "
                "function without them (model.eval() for dropout), or call it uncompiled")


def _fingerprint(t: Trace) -> list[Any]:
    index: dict[int, int] = {}

    def ref(v: Value) -> Any:
        if v.kind == "const":
            return ("const", _frozen(v.array))
        return index.get(id(v), ("input", v.path, v.ref is not None and id(v.ref)))

    out = []
    for op in t.forward + t.backward:
        name = op.cls.name if op.cls is not None else "vjp"
        out.append((name, tuple(ref(a) for a in op.args),
                    tuple(sorted((k, _frozen(v)) for k, v in op.kwargs.items()))))
        index[id(op.out)] = len(out)
    return out


def _frozen(x: Any) -> Any:
    if isinstance(x, np.ndarray):
        return ("array", x.shape, x.dtype.str, x.tobytes())
    if isinstance(x, (list, tuple)):
        return (type(x).__name__, tuple(_frozen(k) for k in x))
    if isinstance(x, dict):
        return tuple(sorted((k, _frozen(v)) for k, v in x.items()))
    if isinstance(x, slice):
        return ("slice", x.start, x.stop, x.step)
    try:
        hash(x)
    except TypeError:
        return ("object", id(x))
    return x


def _self_check(t: Trace, program: Program) -> None:
    """Run the generated code on the traced call's inputs: it must give the traced values
    (the same dtypes and shapes, values to rounding), or it is not used."""
    arrays = [v.array for v in program.inputs]
    grads: tuple = ()
    if program.backward is None or t.seed is None:
        out = program.forward(*arrays)
    else:
        out, saved = program.forward(*arrays)
        grads = program.backward(t.seed.array, *saved)
    expected = [(t.output, out)]
    grad_of = {id(v): g for v, g in t.grads}
    expected += [(grad_of[id(v)], g) for v, g in zip(program.grads_for, grads, strict=True)]
    for value, got in expected:
        got = np.asarray(got)
        want = value.array
        close = got.shape == want.shape and got.dtype == want.dtype and (
            np.allclose(got, want, rtol=1e-4 if want.dtype.itemsize < 8 else 1e-9,
                        atol=0, equal_nan=True) if want.dtype.kind in "fc" else
            np.array_equal(got, want))
        if not close:
            raise CompileError(
                f"compile: the generated code computed {got.shape} {got.dtype} where the traced "
                f"call gave {want.shape} {want.dtype} (or other values); this is a bug in "
                "micrograd.compile, please report it with the function. Generated code:\n"
                + program.source)


def _key_change(key: Hashable, keys: list[Hashable]) -> str:
    """What differs between this call's key and the one before it, in words."""
    others = [k for k in keys if k != key]
    if not others or not isinstance(key, tuple):
        return "new signatures keep arriving"
    before = others[-1]
    assert isinstance(before, tuple)
    if len(before) != len(key):
        return "the number of arguments changed"
    labels = ["grad mode", "default dtype"]
    for k, (x, y) in enumerate(zip(before, key, strict=True)):
        if x != y:
            where = labels[k] if k < 2 else f"argument {k - 2}"
            return f"{where} was {x}, now {y}"
    return "new signatures keep arriving"


def _positional_names(fn: Callable) -> list[str]:
    forward = getattr(fn, "forward", None)  # a module: its forward's parameters
    try:
        params = inspect.signature(forward if callable(forward) else fn).parameters.values()
    except (TypeError, ValueError):
        return []
    return [p.name for p in params if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
