"""Weights on disk: a plain `.npz` archive (numpy's zip of arrays), never pickle.

`save(obj, path)` and `load(...)` use exactly the path they are given: `save(model,
"w.pt")` writes `w.pt` (still an .npz archive inside) and `load(model, "w.pt")` reads it;
no suffix is added or guessed.

- A model, or a flat state dict (name -> array or Tensor, what `state_dict()` returns), is
  stored one array per name, so `np.load(path)` reads it as well.
- Anything else made of dicts, lists, tuples, numbers, strings, None and arrays (an
  optimizer's state dict, a checkpoint {'model': ..., 'optimizer': ..., 'epoch': 3}) is
  stored as numbered arrays plus a JSON description of the structure (the member
  `__micrograd_tree__`), and comes back from `load(path)` as it went in, with numpy
  arrays where there were arrays or Tensors.

`save` is atomic: it writes a temporary file next to the target and renames it over the
target only once it is complete, so a crash or a full disk never leaves a half-written
checkpoint in place of a good one. `load` reads and checks the whole file before it
changes the model, so a bad file leaves the model as it was.
"""
from __future__ import annotations

import json
import os
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any, overload

import numpy as np

from ..engine import Tensor
from ..errors import CheckpointNotFoundError, StateDictError
from ..files import write_atomically

if TYPE_CHECKING:  # for the annotations only: Module.save and .load import this file
    from .modules import Module

__all__ = ["save", "load", "CheckpointNotFoundError"]

TREE = "__micrograd_tree__"  # the archive member that describes a nested object
_SAVEZ_OWN = {"file", "allow_pickle", TREE}  # names np.savez (or we) would take as our own


def save(obj: Module | Any, path: str | os.PathLike) -> Path:
    """Write a Module's state_dict(), or `obj` (a state dict, or any nesting of dicts, lists,
    tuples, numbers, strings, None, arrays and Tensors), to exactly `path` as an .npz
    archive, atomically; returns the path."""
    path = Path(path)
    if path.is_dir():
        raise StateDictError(f"save: {path} is a folder; give a file name such as "
                             f"{path / 'model.npz'}")
    arrays = _arrays_to_write(obj)
    # A checkpoint must survive a crash mid-save: never half-written, durable once written.
    return write_atomically(path, lambda f: np.savez(f, allow_pickle=False, **arrays),
                            durable=True)


def _arrays_to_write(obj: Any) -> dict[str, Any]:
    """The archive's members: a flat state dict's own names, else numbered arrays + TREE."""
    if _is_module(obj):
        obj = obj.state_dict()
    if (isinstance(obj, Mapping) and obj
            and all(isinstance(k, str) and k not in _SAVEZ_OWN for k in obj)
            and all(isinstance(v, (np.ndarray, Tensor)) for v in obj.values())):
        return {k: _plain_array(v, f"[{k!r}]") for k, v in obj.items()}
    arrays: dict[str, Any] = {}
    tree = _encode(obj, arrays, "")
    arrays[TREE] = np.frombuffer(json.dumps(tree).encode(), dtype=np.uint8)
    return arrays


def _is_module(obj: Any) -> bool:
    """A Module, known by its methods (importing modules.py here would be an import cycle:
    Module.save imports this file)."""
    return all(callable(getattr(obj, name, None))
               for name in ("state_dict", "load_state_dict", "named_parameters"))


def _plain_array(value: Any, where: str) -> np.ndarray:
    array = np.asarray(value.data if isinstance(value, Tensor) else value)
    if array.dtype.kind in "OV":  # would need pickle to store
        raise StateDictError(f"save: the object{where} is an array of dtype {array.dtype}, "
                             "which needs pickle; save numeric arrays only")
    return array


def _encode(obj: Any, arrays: dict[str, Any], where: str) -> Any:
    """obj as JSON, its arrays moved to `arrays` under the names "0", "1", ..."""
    if isinstance(obj, (np.ndarray, Tensor)):
        name = str(len(arrays))
        arrays[name] = _plain_array(obj, where)
        return {"array": name}
    if isinstance(obj, np.generic):  # a numpy scalar: its Python value
        obj = obj.item()
    if obj is None or isinstance(obj, (bool, int, float, str)):
        return {"value": obj}
    if isinstance(obj, Mapping):
        items = []
        for k, v in obj.items():
            if isinstance(k, np.integer):
                k = int(k)
            if isinstance(k, bool) or not isinstance(k, (str, int)):
                raise StateDictError(f"save: the object{where} has the key {k!r}; keys must be "
                                     "strings or integers")
            items.append([k, _encode(v, arrays, f"{where}[{k!r}]")])
        return {"dict": items}
    if isinstance(obj, (list, tuple)):
        kind = "list" if isinstance(obj, list) else "tuple"
        return {kind: [_encode(v, arrays, f"{where}[{i}]") for i, v in enumerate(obj)]}
    hint = "; pass its state_dict()" if hasattr(obj, "state_dict") else ""
    raise StateDictError(f"save: the object{where} is a {type(obj).__name__}; a checkpoint holds "
                         "dicts, lists, tuples, numbers, strings, None, arrays and Tensors "
                         f"(never pickle){hint}")



@overload
def load(model: str | os.PathLike, path: None = None) -> Any: ...
@overload
def load(model: Module, path: str | os.PathLike) -> Module: ...


def load(model: Any, path: Any = None) -> Any:
    """load(path): what `save` wrote there (a state dict of numpy arrays, or the nested
    object); load(model, path): fill model's parameters and buffers from a file `save`
    wrote, returning the model. Names, shapes and dtypes must fit; anything off raises
    StateDictError and leaves the model unchanged."""
    if path is None:
        if _is_module(model):
            raise StateDictError("load: load(model, path) needs the path of the file")
        return _read(Path(model))
    path = Path(path)
    state = _read(path)
    if not (isinstance(state, Mapping) and all(isinstance(v, np.ndarray) for v in state.values())):
        keys = (f" (keys {', '.join(map(repr, state))})" if isinstance(state, Mapping) else "")
        raise StateDictError(f"load {path}: the file holds a {type(state).__name__}{keys}, not a "
                             "model's state dict; read it with micrograd.nn.load(path) and pass "
                             "the model's part to model.load_state_dict")
    try:
        model.load_state_dict(state)
    except StateDictError as e:
        raise StateDictError(f"load {path}: {e}") from None
    return model


def _read(path: Path) -> Any:
    """The object stored at `path`, read in full, or StateDictError saying why not."""
    try:
        with open(path, "rb") as f:
            magic = f.read(6)
    except FileNotFoundError:
        hint = ""
        old = path.with_name(path.name + ".npz")
        if path.suffix != ".npz" and old.exists():  # written by an older nn.save
            hint = (f"; there is {old.name} next to it (older versions of nn.save added .npz): "
                    "pass that path")
        raise CheckpointNotFoundError(f"load: there is no file {path}{hint or '; check the path'}"
                                      ) from None
    except OSError as e:
        raise StateDictError(f"load: cannot read {path} ({e.strerror or e}); "
                             "check the path") from None
    if magic.startswith(b"\x93NUMPY"):
        raise StateDictError(f"load: {path} holds a single .npy array, not a checkpoint written "
                             "by nn.save (an .npz archive of named arrays)")
    if not magic.startswith(b"PK"):
        raise StateDictError(f"load: {path} is not an .npz checkpoint (it starts with {magic!r}, "
                             "not a zip header); pass a file written by nn.save")
    try:
        with np.load(path, allow_pickle=False) as archive:
            # Read every array now: a truncated or corrupt member only shows when it is read.
            arrays = {k: archive[k] for k in archive.files}
    except ValueError as e:
        if "pickle" in str(e):  # an object array would need pickle: not ours, and unsafe to load
            raise StateDictError(f"load: {path} holds arrays that need pickle; refusing "
                                 "(checkpoints from nn.save hold plain numeric arrays)") from None
        raise _corrupt(path, e) from e
    except Exception as e:  # BadZipFile, EOFError, zlib.error, OSError, ...: all mean "broken"
        raise _corrupt(path, e) from e
    # np.load hands back a member without an .npy header as raw bytes, without a word.
    raw = [k for k, v in arrays.items() if not isinstance(v, np.ndarray)]
    if raw:
        raise StateDictError(f"load: {path} is not a checkpoint written by nn.save: its "
                             f"member(s) {', '.join(map(repr, raw))} are not .npy arrays")
    if TREE not in arrays:
        return arrays
    try:
        tree = json.loads(arrays.pop(TREE).tobytes().decode())
        return _decode(tree, arrays)
    except (ValueError, KeyError, TypeError, AttributeError, UnicodeDecodeError) as e:
        raise _corrupt(path, e) from e


def _decode(node: Any, arrays: dict[str, np.ndarray]) -> Any:
    (kind, value), = node.items()
    if kind == "array":
        return arrays[value]
    if kind == "value":
        return value
    if kind == "dict":
        return {k: _decode(v, arrays) for k, v in value}
    if kind in ("list", "tuple"):
        items = [_decode(v, arrays) for v in value]
        return items if kind == "list" else tuple(items)
    raise ValueError(f"unknown node {kind!r} in {TREE}")


def _corrupt(path: Path, e: Exception) -> StateDictError:
    return StateDictError(f"load: {path} is truncated or corrupt ({type(e).__name__}: {e}); "
                          "save the model again or use an older checkpoint")
