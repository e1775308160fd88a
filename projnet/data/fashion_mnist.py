"""Fashion-MNIST from IDX files on disk: Keras' cache, Debian's dataset-fashion-mnist, or --data-dir.

Nothing is downloaded: this machine (and many on-device build hosts) has no internet. The
official 10,000-image test set is kept as the test split.
"""

from __future__ import annotations

import gzip
import os
from pathlib import Path

import numpy as np

from projnet.config import DataConfig
from projnet.data.splits import DatasetSplits, stratified_split
from projnet.errors import ProjnetError

FILES = {
    "train_images": "train-images-idx3-ubyte.gz",
    "train_labels": "train-labels-idx1-ubyte.gz",
    "test_images": "t10k-images-idx3-ubyte.gz",
    "test_labels": "t10k-labels-idx1-ubyte.gz",
}
DEBIAN_DIR = Path("/usr/share/datasets/fashion-mnist")  # where Debian's dataset-fashion-mnist installs
CLASS_NAMES = ("t-shirt/top", "trouser", "pullover", "dress", "coat",
               "sandal", "shirt", "sneaker", "bag", "ankle boot")

# The patch student (README "Images"): 16 zero-sum random 3x3 filters -> a 26x26x16 bit map, average-
# pooled to 13x13, read by 3x3 convolutions of 48 and 64 filters -> 10 classes: about 49 KB of int8.
# The trainer is the small CNN: an MLP trainer stops near 0.89 here, the CNN passes 0.91 in a few epochs.
FASHION_DEFAULTS = {
    "projection.backend": "patch",
    "projection.num_functions": 2,
    "projection.bits_per_function": 8,
    "student.hidden": [],
    "student.conv_filters": [48, 64],
    "trainer.architecture": "cnn",
    "trainer.hidden": [128],
    "train.epochs": 10,
    "train.batch_size": 128,
    "train.student_learning_rate": 3e-3,  # the CNN needs few epochs; the student at 1e-3 lags
}


def candidate_dirs(data: DataConfig) -> list[Path]:
    dirs = [Path(data.data_dir).expanduser()] if data.data_dir else []
    keras_home = Path(os.environ.get("KERAS_HOME", Path.home() / ".keras"))
    return dirs + [keras_home / "datasets" / "fashion-mnist", DEBIAN_DIR]


def locate_fashion_mnist(data: DataConfig) -> str:
    """The first directory holding all four files, or "" when none does."""
    for directory in candidate_dirs(data):
        if all((directory / name).is_file() for name in FILES.values()):
            return str(directory)
    return ""


def missing_message(data: DataConfig) -> str:
    looked = ", ".join(str(d) for d in candidate_dirs(data))
    return (f"Fashion-MNIST files not found (looked in {looked}); install them with "
            f"'apt-get install dataset-fashion-mnist' or pass --data-dir DIR holding {FILES['train_images']} "
            f"and the other three IDX files")


def read_idx(path: Path, expected_dims: int) -> np.ndarray:
    """Read a gzipped IDX file (big-endian header: magic 0x0000 0x08 ndim, then ndim uint32 sizes)."""
    try:
        with gzip.open(path, "rb") as f:
            raw = f.read()
    except (OSError, EOFError) as exc:
        raise ProjnetError(f"{path} is not a readable gzip file: {exc}") from None
    if len(raw) < 4 or raw[0:3] != b"\x00\x00\x08" or raw[3] != expected_dims:
        raise ProjnetError(f"{path} is not an IDX file of {expected_dims} dimension(s) of unsigned bytes")
    header = 4 + 4 * expected_dims
    shape = tuple(int.from_bytes(raw[4 + 4 * i: 8 + 4 * i], "big") for i in range(expected_dims))
    if len(raw) != header + int(np.prod(shape)):
        raise ProjnetError(f"{path} is truncated or padded: header says {shape}, "
                           f"file holds {len(raw) - header} bytes of data")
    return np.frombuffer(raw, dtype=np.uint8, offset=header).reshape(shape)


def load_fashion_mnist(data: DataConfig) -> DatasetSplits:
    directory = locate_fashion_mnist(data)
    if not directory:
        raise ProjnetError(missing_message(data))
    root = Path(directory)
    x_all = read_idx(root / FILES["train_images"], 3).reshape(-1, 784).astype(np.float32) / 255.0
    y_all = read_idx(root / FILES["train_labels"], 1).astype(np.int32)
    x_test = read_idx(root / FILES["test_images"], 3).reshape(-1, 784).astype(np.float32) / 255.0
    y_test = read_idx(root / FILES["test_labels"], 1).astype(np.int32)
    if len(x_all) != len(y_all) or len(x_test) != len(y_test):
        raise ProjnetError(f"Fashion-MNIST files in {root} disagree on the number of images and labels")
    train, val = stratified_split(y_all, data.validation_fraction, data.split_seed)
    return DatasetSplits(
        name="fashion_mnist", x_train=x_all[train], y_train=y_all[train], x_val=x_all[val],
        y_val=y_all[val], x_test=x_test, y_test=y_test, class_names=CLASS_NAMES,
        image_shape=(28, 28, 1), source=directory,
    )
