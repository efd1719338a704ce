"""What a call of a compiled function is keyed on, and where it finds its tensors.

A program is traced for one signature of its call: the grad mode, the default dtype, and
per argument what the trace depended on: a tensor's shape, dtype and requires_grad; a
module's identity (its parameters are read by reference) and training flags; a numpy
array's shape and dtype (its values are guarded separately); a number's or a string's
value. A call whose key has no program is traced anew.

Where the function finds its tensors also names them in the generated code (known_names,
hint) and gives the places a later call checks still hold the same tensor (holders).
"""
from __future__ import annotations

from collections.abc import Callable, Hashable, Iterator
from typing import Any

import numpy as np

from .. import engine as _engine
from ..engine import Tensor
from ..errors import CompileError

__all__ = ["call_key", "is_module", "walk_arguments", "captured_objects", "fetch_path",
           "known_names", "holders", "hint"]

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


def known_names(found: list[tuple[tuple, Any]], fn: Callable, arg_names: list[str]
                 ) -> dict[int, str]:
    """id(tensor) -> a name from where the function gets it: the parameter it was passed
    as (x), the qualified name in a module (layers.0.weight), a closure variable."""
    names: dict[int, str] = {}
    for path, obj in found:
        if isinstance(obj, Tensor):
            where, key = path[0], path[1]
            if where == 1:
                base = str(key)
            elif key < len(arg_names):
                base = arg_names[key]
            else:  # *args, or a callable without a signature
                base = f"x{key}" if key else "x"
            names.setdefault(id(obj), "_".join([base, *map(str, path[2:])]))
    for owner_name, obj in [*((str(p[1]), o) for p, o in found), *captured_objects(fn)]:
        if is_module(obj):
            for qualified, t in [*obj.named_parameters(), *_buffers(obj)]:
                if qualified[:1].isdigit() and owner_name:
                    qualified = f"{owner_name}.{qualified}"
                names.setdefault(id(t), qualified)
        elif isinstance(obj, Tensor):
            names.setdefault(id(obj), owner_name)
    return names


def holders(fn: Callable, arguments: list[Any], modules: list[Any],
             held: dict[int, Tensor]) -> list[tuple[Any, Any, Tensor]]:
    """(container, key, tensor) for each place the function may reach a tensor it reads
    by reference: an attribute of a module, of an argument or of the bound object, a
    closure cell, a global. A later call checks each still holds the same tensor: one
    replaced (model.fc.weight = Parameter(...)) means a new trace, not a stale read."""
    out: list[tuple[Any, Any, Tensor]] = []
    owners = [m for m in modules for m in m.modules()]
    owners += [o for o in arguments if not isinstance(o, (Tensor, np.ndarray, type))
               and not is_module(o) and hasattr(o, "__dict__")]
    bound = getattr(fn, "__self__", None)
    if bound is not None and hasattr(bound, "__dict__"):
        owners.append(bound)
    seen = set()
    for owner in owners:
        if id(owner) in seen:
            continue
        seen.add(id(owner))
        for key, value in vars(owner).items():
            if isinstance(value, Tensor) and id(value) in held:
                out.append((vars(owner), key, value))
    fn = getattr(fn, "__func__", fn)
    code = getattr(fn, "__code__", None)
    if code is not None:
        for cell in getattr(fn, "__closure__", None) or ():
            try:
                value = cell.cell_contents
            except ValueError:
                continue
            if isinstance(value, Tensor) and id(value) in held:
                out.append((cell, None, value))
        namespace = getattr(fn, "__globals__", {})
        for name in code.co_names:
            value = namespace.get(name)
            if isinstance(value, Tensor) and id(value) in held:
                out.append((namespace, name, value))
    return out


def _buffers(module: Any) -> list[tuple[str, Tensor]]:
    named = getattr(module, "named_buffers", None)
    return list(named()) if callable(named) else []


def hint(t: Tensor, found: str) -> str:
    """The user's own name for t wins (W1); a module's name for it (Linear calls its
    weight "weight", a Sequential "0.weight") gives way to the longer qualified name the
    function reaches it by (net.0.weight)."""
    own = t.name or ""
    if own and not (found == own or found.endswith("." + own)):
        return own
    return found or own
