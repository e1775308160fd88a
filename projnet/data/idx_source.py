"""`idx:DIR`: any IDX image data set (MNIST, KMNIST, EMNIST, Fashion-MNIST, your own) in one directory.

The four files go by their usual names (data/idx_files.py), gzipped or not; only DIR is read, so a
directory without them is refused rather than replaced by a data set found elsewhere. The official test
files are the test split. Class names come from data.labels_file, else the label values.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from projnet.config import DataConfig
from projnet.data.file_records import file_record
from projnet.data.idx_files import find_idx_files, missing_files_message, read_idx_set
from projnet.data.labelled_arrays import class_ids, names_for, split_arrays
from projnet.data.source_paths import locate, source_path
from projnet.data.splits import DatasetSplits
from projnet.errors import ProjnetError

IDX_PREFIX = "idx:"


def locate_idx(data: DataConfig) -> str:
    return locate(data, IDX_PREFIX, lambda directory: directory.is_dir() and find_idx_files(directory) is not None)


def idx_splits(name: str, files: dict[str, Path], data: DataConfig) -> DatasetSplits:
    """Pixels / 255 as float32 rows; labels mapped to 0..K-1 by sorted value."""
    from projnet.data.text_csv import read_labels_file

    x_all, y_raw, x_test, y_test_raw = read_idx_set(files)
    y_all, y_test, values = class_ids(y_raw, y_test_raw, str(files["train_labels"]))
    labels = read_labels_file(Path(data.labels_file)) if data.labels_file else None
    class_names = names_for(values, labels, str(files["train_labels"]))
    height, width = x_all.shape[1:]
    x_all = x_all.reshape(len(x_all), -1).astype(np.float32) / 255.0
    x_test = x_test.reshape(len(x_test), -1).astype(np.float32) / 255.0
    return split_arrays(name, x_all, y_all, x_test, y_test, data, class_names, (height, width, 1),
                        str(files["train_images"].parent), tuple(file_record(p) for p in files.values()), "image",
                        pixel_max=255.0)


def load_idx(data: DataConfig) -> DatasetSplits:
    directory = source_path(data, IDX_PREFIX)
    if not directory.is_dir():
        raise ProjnetError(f"{data.dataset}: {directory} is not a directory")
    files = find_idx_files(directory)
    if files is None:
        raise ProjnetError(f"{data.dataset}: {missing_files_message(directory)}")
    return idx_splits(data.dataset, files, data)
