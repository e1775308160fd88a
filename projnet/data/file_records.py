"""What a run read: each input file's path, size and SHA-256, so that a run can be traced to its bytes."""

from __future__ import annotations

import hashlib
from pathlib import Path

CHUNK = 1 << 20


def sha256_of(path: Path) -> str:
    """Read in chunks: a data file may not fit in memory twice."""
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(CHUNK), b""):
            digest.update(chunk)
    return digest.hexdigest()


def file_record(path: Path) -> dict:
    path = Path(path).resolve()
    return {"path": str(path), "bytes": path.stat().st_size, "sha256": sha256_of(path)}


def folder_record(root: Path, files: list[Path], contents: list[bytes]) -> dict:
    """One record for a folder of many files (an image folder's thousands would swamp metrics.json): the
    count, the total size, and a SHA-256 over every file's relative path and SHA-256, in sorted order.
    `contents` are the files' bytes, already read by the loader."""
    root = Path(root).resolve()
    digest = hashlib.sha256()
    for path, content in sorted(zip(files, contents)):
        relative = Path(path).resolve().relative_to(root).as_posix()
        digest.update(f"{relative}\0{hashlib.sha256(content).hexdigest()}\n".encode())
    return {"path": str(root), "files": len(files), "bytes": sum(map(len, contents)), "sha256": digest.hexdigest()}
