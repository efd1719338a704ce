"""Weights on disk: a plain `.npz` archive, one array per qualified parameter name, no pickle."""
from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import numpy as np

from .modules import Module, StateDictError

__all__ = ["save", "load"]


def save(model: Module, path: str | os.PathLike) -> Path:
    """Write model.state_dict() to `path` (.npz is appended if missing); returns the path."""
    path = Path(path)
    if path.suffix != ".npz":
        path = path.with_name(path.name + ".npz")
    path.parent.mkdir(parents=True, exist_ok=True)
    np.savez(path, **model.state_dict())
    return path


def load(model: Module, path: str | os.PathLike) -> Module:
    """Fill model's parameters from an .npz written by `save`; names and shapes must match."""
    try:
        with np.load(path, allow_pickle=False) as archive:
            state: dict[str, Any] = {k: archive[k] for k in archive.files}
    except ValueError as e:  # an object array would need pickle: not ours
        raise StateDictError(f"load: {path} holds arrays that need pickle ({e}); refusing") from None
    try:
        model.load_state_dict(state)
    except StateDictError as e:
        raise StateDictError(f"load {path}: {e}") from None
    return model
