"""Fashion-MNIST from IDX files on disk: Keras' cache, Debian's dataset-fashion-mnist, or --data-dir.

Nothing is downloaded: this machine (and many on-device build hosts) has no internet. The
official 10,000-image test set is kept as the test split.
"""

from __future__ import annotations

import dataclasses
import os
from pathlib import Path

from projnet.config import DataConfig
from projnet.data.idx_files import find_idx_files, missing_files_message
from projnet.data.idx_source import idx_splits
from projnet.data.splits import DatasetSplits
from projnet.errors import ProjnetError

FILES = {  # the names Fashion-MNIST ships under; --data-dir also finds the other names idx:DIR takes
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
    """The first directory holding all four files, or "" when none does.

    A --data-dir is the only place looked in when given: falling back to the system's copy would train
    on other data than the user named."""
    for directory in candidate_dirs(data)[:1] if data.data_dir else candidate_dirs(data):
        if find_idx_files(directory):
            return str(directory)
    return ""


def missing_message(data: DataConfig) -> str:
    if data.data_dir:
        return f"Fashion-MNIST not in --data-dir: {missing_files_message(Path(data.data_dir).expanduser())}"
    looked = ", ".join(str(d) for d in candidate_dirs(data))
    return (f"Fashion-MNIST files not found (looked in {looked}); install them with "
            f"'apt-get install dataset-fashion-mnist' or pass --data-dir DIR holding {FILES['train_images']} "
            f"and the other three IDX files")


def load_fashion_mnist(data: DataConfig) -> DatasetSplits:
    directory = locate_fashion_mnist(data)
    if not directory:
        raise ProjnetError(missing_message(data))
    # named by label value first (data.labels_file is not Fashion-MNIST's to override), checked, then named
    splits = idx_splits("fashion_mnist", find_idx_files(Path(directory)), dataclasses.replace(data, labels_file=""))
    if splits.image_shape != (28, 28, 1) or splits.num_classes != 10:
        raise ProjnetError(f"{directory} holds {splits.image_shape[0]}x{splits.image_shape[1]} images of "
                           f"{splits.num_classes} classes, not Fashion-MNIST's 28x28 of 10; use --dataset "
                           f"idx:{directory}")
    return dataclasses.replace(splits, class_names=CLASS_NAMES)
