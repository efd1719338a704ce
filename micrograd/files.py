"""Writing a file so that no reader ever sees half of it: the content goes to a temporary
file in the same folder, which is then renamed over the target (os.replace is atomic)."""
from __future__ import annotations

import os
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import BinaryIO

__all__ = ["write_atomically"]


def write_atomically(path: str | os.PathLike, write: Callable[[BinaryIO], object],
                     durable: bool = False) -> Path:
    """Create or replace `path` with what write(f) writes to a binary file f; on any error
    the old file, if there was one, is left as it was and no temporary file remains.
    durable: also fsync the file and its folder, so the new file survives a power cut."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".part")
    try:
        with os.fdopen(fd, "wb") as f:
            write(f)
            if durable:
                f.flush()
                os.fsync(f.fileno())
        # mkstemp makes the file 0600: give it the target's mode, or the usual one.
        os.chmod(tmp, path.stat().st_mode & 0o777 if path.exists() else 0o666 & ~_UMASK)
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            pass
        raise
    if durable:
        _fsync_folder(path.parent)  # makes the rename itself durable
    return path


def _read_umask() -> int:
    mask = os.umask(0o022)  # the only way to read the umask is to set it: once, at import,
    os.umask(mask)          # not on every write, where another thread could see the 022
    return mask


_UMASK = _read_umask()


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
