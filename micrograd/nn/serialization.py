"""Weights on disk: a plain `.npz` archive, one array per qualified tensor name, no pickle.

`save` is atomic: it writes a temporary file next to the target and renames it over the
target only once it is complete, so a crash or a full disk never leaves a half-written
checkpoint in place of a good one. `load` reads and checks the whole file before it
changes the model, so a bad file leaves the model as it was.
"""
from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from ..errors import CheckpointNotFoundError, StateDictError

if TYPE_CHECKING:  # for the annotations only: Module.save and .load import this file
    from .modules import Module

__all__ = ["save", "load", "CheckpointNotFoundError"]

# Files from mkstemp are private (0600); a checkpoint gets the mode an ordinary open()
# would give it. Reading the umask means setting it, so it is read once, at import.
_UMASK = os.umask(0)
os.umask(_UMASK)


def _npz_path(path: str | os.PathLike) -> Path:
    path = Path(path)
    return path if path.suffix == ".npz" else path.with_name(path.name + ".npz")


def save(model: Module, path: str | os.PathLike) -> Path:
    """Write model.state_dict() to `path` (+ .npz if missing), atomically; returns the path."""
    path = _npz_path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    state = model.state_dict()
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as f:
            # Typed as Any: savez's own keyword allow_pickle must not look like an array name.
            arrays: dict[str, Any] = dict(state)
            np.savez(f, **arrays)
            f.flush()
            os.fsync(f.fileno())
        mode = path.stat().st_mode & 0o777 if path.exists() else 0o666 & ~_UMASK
        os.chmod(tmp, mode)
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            pass
        raise
    _fsync_folder(path.parent)  # makes the rename itself survive a power cut
    return path


def _fsync_folder(folder: Path) -> None:
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:  # e.g. Windows, where folders cannot be opened
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def load(model: Module, path: str | os.PathLike) -> Module:
    """Fill model's parameters and buffers from an .npz written by `save` (the same path
    works: .npz is appended if the file is not there without it); names, shapes and
    dtypes must fit. Raises StateDictError, leaving the model unchanged, if anything is off."""
    path = Path(path)
    if not path.exists() and _npz_path(path).exists():
        path = _npz_path(path)
    state = _read(path)
    try:
        model.load_state_dict(state)
    except StateDictError as e:
        raise StateDictError(f"load {path}: {e}") from None
    return model


def _read(path: Path) -> dict[str, np.ndarray]:
    """Every array in the archive at `path`, read in full, or StateDictError saying why not."""
    try:
        with open(path, "rb") as f:
            magic = f.read(6)
    except FileNotFoundError:
        raise CheckpointNotFoundError(
            f"load: there is no file {path}; check the path (nn.save writes name.npz)") from None
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
            return {k: archive[k] for k in archive.files}
    except ValueError as e:
        if "pickle" in str(e):  # an object array would need pickle: not ours, and unsafe to load
            raise StateDictError(f"load: {path} holds arrays that need pickle; refusing "
                                 "(checkpoints from nn.save hold plain numeric arrays)") from None
        raise _corrupt(path, e) from e
    except Exception as e:  # BadZipFile, EOFError, zlib.error, OSError, ...: all mean "broken"
        raise _corrupt(path, e) from e


def _corrupt(path: Path, e: Exception) -> StateDictError:
    return StateDictError(f"load: {path} is truncated or corrupt ({type(e).__name__}: {e}); "
                          "save the model again or use an older checkpoint")
