"""The path in a path-named source (`--dataset idx:DIR`, `table:FILE`, ...), and whether it is there."""

from __future__ import annotations

from pathlib import Path
from typing import Callable

from projnet.config import DataConfig


def source_path(data: DataConfig, prefix: str) -> Path:
    return Path(data.dataset[len(prefix):]).expanduser()


def locate(data: DataConfig, prefix: str, present: Callable[[Path], bool] = Path.is_file) -> str:
    """The resolved path when `present(path)` holds, else "" (also for a name too long or holding a NUL)."""
    try:
        path = source_path(data, prefix)
        return str(path.resolve()) if present(path) else ""
    except (OSError, ValueError):
        return ""
