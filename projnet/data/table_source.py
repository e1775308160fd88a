"""`table:FILE.csv`: numeric feature columns and a label column (data.label_column): tabular and sensor features.

Features are scaled to [0, 1] with the training split's per-column range (metrics.json "data" ->
"scaling" holds the map for the device); the test split is drawn with data.test_fraction.
"""

from __future__ import annotations


import numpy as np

from projnet.config import DataConfig
from projnet.data.file_records import file_record
from projnet.data.labelled_arrays import class_ids, split_arrays
from projnet.data.numeric_csv import label_values, read_numeric_csv, scale_to_train
from projnet.data.source_paths import locate, source_path
from projnet.data.splits import DatasetSplits
from projnet.errors import ProjnetError

TABLE_PREFIX = "table:"


def locate_table(data: DataConfig) -> str:
    return locate(data, TABLE_PREFIX)


def load_table(data: DataConfig) -> DatasetSplits:
    path = source_path(data, TABLE_PREFIX)
    if not path.is_file():
        raise ProjnetError(f"{data.dataset}: no such file")
    features, columns = read_numeric_csv(path, data.label_column)
    x = np.array([columns[name] for name in features], np.float32).T
    y, _, values = class_ids(label_values(columns[data.label_column]), None, f"{path} column {data.label_column!r}")
    splits = split_arrays(data.dataset, x, y, None, None, data, tuple(str(v) for v in values),
                          (1, len(features), 1), str(path.resolve()), (file_record(path),), "features")
    return scale_to_train(splits, features)
