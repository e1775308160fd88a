"""Write files so that a reader never sees half of one: write a temporary sibling, fsync it, rename, fsync the folder.

The two fsyncs are what make the rename survive a power cut, not only a killed process: without them a
checkpoint's manifest could reach the disk before the arrays it names.
"""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path
from typing import Any, Callable

from projnet.errors import ProjnetError


def atomic_write_bytes(path: str | os.PathLike, data: bytes) -> Path:
    """Write `data` to `path` through a temporary file in the same directory and an atomic rename."""
    return atomic_write_with(path, lambda tmp: Path(tmp).write_bytes(data))


def atomic_write_text(path: str | os.PathLike, text: str) -> Path:
    return atomic_write_bytes(path, text.encode("utf-8"))


def atomic_write_json(path: str | os.PathLike, obj: Any) -> Path:
    """JSON as every parser reads it: a NaN or an infinity (a diverged loss, a failed figure) is written as null."""
    return atomic_write_text(path, json.dumps(_finite(obj), indent=2, sort_keys=False, allow_nan=False) + "\n")


def _finite(obj: Any) -> Any:
    if isinstance(obj, float) and (obj != obj or obj in (float("inf"), float("-inf"))):
        return None
    if isinstance(obj, dict):
        return {k: _finite(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_finite(v) for v in obj]
    return obj


def atomic_write_with(path: str | os.PathLike, write: Callable[[str], Any]) -> Path:
    """Call `write(tmp_path)` and rename the result onto `path`; the temporary keeps the suffix.

    Keeping the suffix matters: Keras refuses to save `.keras` archives under any other name, and
    matplotlib picks the image format from it.
    """
    path = Path(path)
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{path.stem}.", suffix=f".tmp{path.suffix}", dir=path.parent)
    except OSError as exc:
        raise ProjnetError(f"cannot write {path}: {exc.strerror or exc}") from None
    os.close(fd)
    try:
        write(tmp)
        os.chmod(tmp, 0o666 & ~_UMASK)  # mkstemp makes 0600; artifacts get the usual permissions
        _fsync(tmp, os.O_RDONLY)
        os.replace(tmp, path)
        _fsync(path.parent, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
    except BaseException as exc:
        if os.path.exists(tmp):
            os.unlink(tmp)
        if isinstance(exc, OSError):  # a full disk, a read-only directory: the old file stays as it was
            raise ProjnetError(f"cannot write {path}: {exc.strerror or exc}") from None
        raise
    return path


def _fsync(path: str | os.PathLike, flags: int) -> None:
    fd = os.open(path, flags)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _read_umask() -> int:
    """The process umask, read once at import: os.umask can only be read by setting it, and zeroing it later,
    while TensorFlow's threads create files, would give them open permissions for that moment."""
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


_UMASK = _read_umask()


def refuse_to_replace(path: str | Path, overwrite: bool, flag: str = "", note: str = "") -> None:
    """The one "exists: pass --overwrite" check, before any work: a file that exists, or a folder that is
    not empty; `flag` names the option ("--out"), `note` says what --overwrite would do besides."""
    path = Path(path)
    if overwrite or not path.exists():
        return
    if path.is_dir() and not any(path.iterdir()):
        return
    named = f"{flag} {path}" if flag else str(path)
    state = "already exists and is not empty" if path.is_dir() else "already exists"
    raise ProjnetError(f"{named} {state}; pass --overwrite to replace {note or 'it'}")
