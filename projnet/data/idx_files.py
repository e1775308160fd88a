"""IDX files (MNIST's format, shared by Fashion-MNIST, KMNIST and EMNIST): found under their usual names,
gzipped or not, and checked against their own header and against each other before anything trains.

An IDX file is a big-endian header (two zero bytes, a type byte 0x08 for unsigned bytes, the number of
dimensions) then one uint32 size per dimension, then the data.
"""

from __future__ import annotations

import gzip
from pathlib import Path

import numpy as np

from projnet.errors import ProjnetError

# The four roles and the stems each goes by: MNIST and Fashion-MNIST say "t10k", KMNIST and EMNIST "test";
# the dot before "idx" is a dash in the original archives and a dot after some unpackers.
STEMS = {
    "train_images": ("train-images-idx3-ubyte", "train-images.idx3-ubyte"),
    "train_labels": ("train-labels-idx1-ubyte", "train-labels.idx1-ubyte"),
    "test_images": ("t10k-images-idx3-ubyte", "t10k-images.idx3-ubyte", "test-images-idx3-ubyte",
                    "test-images.idx3-ubyte"),
    "test_labels": ("t10k-labels-idx1-ubyte", "t10k-labels.idx1-ubyte", "test-labels-idx1-ubyte",
                    "test-labels.idx1-ubyte"),
}
SUFFIXES = (".gz", "")


def candidate_names(role: str) -> list[str]:
    return [stem + suffix for stem in STEMS[role] for suffix in SUFFIXES]


def find_idx_files(directory: Path) -> dict[str, Path] | None:
    """The four files by role, or None when any role has no file in `directory`."""
    found = {}
    for role in STEMS:
        path = next((directory / name for name in candidate_names(role) if (directory / name).is_file()), None)
        if path is None:
            return None
        found[role] = path
    return found


def missing_files_message(directory: Path) -> str:
    missing = [role for role in STEMS if not any((directory / n).is_file() for n in candidate_names(role))]
    looked = "; ".join(f"{role}: {' or '.join(STEMS[role])} (.gz or raw)" for role in missing)
    return f"{directory} lacks IDX files for {looked}"


def read_idx(path: Path, expected_dims: int) -> np.ndarray:
    """The array in one IDX file of unsigned bytes, gzipped (by its magic bytes) or raw."""
    try:
        with open(path, "rb") as f:
            raw = f.read()
        if raw[:2] == b"\x1f\x8b":
            raw = gzip.decompress(raw)
    except (OSError, EOFError, gzip.BadGzipFile) as exc:
        raise ProjnetError(f"{path} is not a readable IDX file: {exc}") from None
    if len(raw) < 4 or raw[0:3] != b"\x00\x00\x08" or raw[3] != expected_dims:
        raise ProjnetError(f"{path} is not an IDX file of {expected_dims} dimension(s) of unsigned bytes")
    header = 4 + 4 * expected_dims
    if len(raw) < header:
        raise ProjnetError(f"{path} is truncated inside its header")
    shape = tuple(int.from_bytes(raw[4 + 4 * i: 8 + 4 * i], "big") for i in range(expected_dims))
    if len(raw) != header + int(np.prod(shape)):
        raise ProjnetError(f"{path} is truncated or padded: header says {shape}, "
                           f"file holds {len(raw) - header} bytes of data")
    if shape[0] == 0:
        raise ProjnetError(f"{path} holds no items (its header says {shape})")
    return np.frombuffer(raw, dtype=np.uint8, offset=header).reshape(shape)


def read_idx_set(files: dict[str, Path]) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """(train images, train labels, test images, test labels), each pair checked to agree in count and
    both image files in size; images stay uint8 (H, W)."""
    x_train, x_test = read_idx(files["train_images"], 3), read_idx(files["test_images"], 3)
    y_train, y_test = read_idx(files["train_labels"], 1), read_idx(files["test_labels"], 1)
    for images, labels, split in ((x_train, y_train, "train"), (x_test, y_test, "test")):
        if len(images) != len(labels):
            raise ProjnetError(f"{files[split + '_images']} holds {len(images)} images but "
                               f"{files[split + '_labels']} {len(labels)} labels")
    if x_train.shape[1:] != x_test.shape[1:]:
        raise ProjnetError(f"{files['train_images']} holds {x_train.shape[1]}x{x_train.shape[2]} images but "
                           f"{files['test_images']} {x_test.shape[1]}x{x_test.shape[2]}")
    return x_train, y_train, x_test, y_test
