"""What a call of a compiled function is keyed on, and where it finds its tensors.

A program is traced for one signature of its call: the grad mode, the default dtype, and
per argument what the trace depended on: a tensor's shape, dtype and requires_grad; a
module's identity (its parameters are read by reference) and training flags; a numpy
array's shape and dtype (its values are guarded separately); a number's or a string's
value. A call whose key has no program is traced anew.
"""
from __future__ import annotations

from collections.abc import Callable, Hashable, Iterator
from typing import Any

import numpy as np

from .. import engine as _engine
from ..engine import Tensor
from ..errors import CompileError

__all__ = ["call_key", "is_module", "walk_arguments", "captured_objects", "fetch_path"]

_PLAIN = (int, float, complex, str, bytes, bool, type(None), np.generic, np.dtype, type)


def is_module(obj: Any) -> bool:
    """An nn.Module, or anything shaped like one (compile sits below nn and cannot import it)."""
    return (not isinstance(obj, (Tensor, type)) and callable(getattr(obj, "named_parameters", None))
            and callable(getattr(obj, "modules", None)))


def training_flags(module: Any) -> tuple[bool, ...]:
    """The training flag of the module and of every submodule (dropout reads its own)."""
    return tuple(bool(getattr(m, "training", True)) for m in module.modules())


def _describe(a: Any) -> Hashable:
    if isinstance(a, Tensor):
        return (a._data.shape, a._data.dtype, a._rg)
    if isinstance(a, np.ndarray):
        return ("array", a.shape, a.dtype)
    if isinstance(a, _PLAIN):
        return (type(a), a)
    if is_module(a):
        return ("module", id(a), training_flags(a))
    if isinstance(a, (list, tuple)):
        return (type(a), tuple(_describe(x) for x in a))
    if isinstance(a, dict):
        return ("dict", tuple((k, _describe(v)) for k, v in a.items()))
    try:
        hash(a)
    except TypeError:
        raise CompileError(
            f"compile: cannot key a call on an argument of type {type(a).__name__} (it is "
            "neither a tensor, a module, a numpy array, a number, a string nor a list, tuple "
            "or dict of those); pass it through a closure, or as a tensor") from None
    return (type(a), a)


def call_key(args: tuple, kwargs: dict) -> Hashable:
    """The signature of one call: the same key, the same program."""
    parts: list[Hashable] = [_engine._state.enabled, _engine._default_float]
    for a in args:
        if type(a) is Tensor:  # the common case first: one tuple, no dispatch
            parts.append((a._data.shape, a._data.dtype, a._rg))
        else:
            parts.append(_describe(a))
    if kwargs:
        parts.extend((k, _describe(v)) for k, v in sorted(kwargs.items()))
    return tuple(parts)


def walk_arguments(args: tuple, kwargs: dict) -> Iterator[tuple[tuple, Any]]:
    """(path, object) for every tensor, module and numpy array in the arguments, nested
    lists, tuples and dicts included; a path is the keys from (args, kwargs) down to it."""
    def visit(path: tuple, a: Any) -> Iterator[tuple[tuple, Any]]:
        if isinstance(a, (Tensor, np.ndarray)) or is_module(a):
            yield path, a
        elif isinstance(a, (list, tuple)):
            for k, x in enumerate(a):
                yield from visit(path + (k,), x)
        elif isinstance(a, dict):
            for k, x in a.items():
                yield from visit(path + (k,), x)

    for k, a in enumerate(args):
        yield from visit((0, k), a)
    for name, a in kwargs.items():
        yield from visit((1, name), a)


def fetch_path(args: tuple, kwargs: dict, path: tuple) -> Any:
    """The object at `path` (see walk_arguments) in this call's arguments."""
    obj: Any = (args, kwargs)
    for k in path:
        obj = obj[k]
    return obj


def captured_objects(fn: Callable) -> Iterator[tuple[str, Any]]:
    """(name, object) for what `fn` reads from outside: its closure's cells, the globals
    its code names, and the object it is bound to (a method's self, a module called as
    a function). Where the compiled program finds its captured modules' names."""
    if is_module(fn):
        yield "", fn
        return
    owner = getattr(fn, "__self__", None)
    if owner is not None:
        yield "self", owner
        fn = getattr(fn, "__func__", fn)
    code = getattr(fn, "__code__", None)
    cells = getattr(fn, "__closure__", None) or ()
    if code is not None:
        for name, cell in zip(code.co_freevars, cells, strict=False):
            try:
                yield name, cell.cell_contents
            except ValueError:  # an empty cell: the variable is not bound yet
                continue
        namespace = getattr(fn, "__globals__", {})
        for name in code.co_names:
            if name in namespace:
                yield name, namespace[name]
