"""What a run read: each input file's path, size and SHA-256, so that a run can be traced to its bytes."""

from __future__ import annotations

import hashlib
from pathlib import Path

CHUNK = 1 << 20


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(CHUNK), b""):
            digest.update(chunk)
    return digest.hexdigest()


def file_record(path: Path) -> dict:
    path = Path(path).resolve()
    return {"path": str(path), "bytes": path.stat().st_size, "sha256": sha256_of(path)}


def folder_record(root: Path, files: list[Path]) -> dict:
    """One record for a folder of many files (an image folder's thousands would swamp metrics.json): the
    count, the total size, and a SHA-256 over every file's relative path and SHA-256, in sorted order."""
    root = Path(root).resolve()
    digest, total = hashlib.sha256(), 0
    for path in sorted(files):
        relative = Path(path).resolve().relative_to(root).as_posix()
        digest.update(f"{relative}\0{sha256_of(path)}\n".encode())
        total += Path(path).stat().st_size
    return {"path": str(root), "files": len(files), "bytes": total, "sha256": digest.hexdigest()}
