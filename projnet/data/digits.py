"""scikit-learn's bundled 8x8 digits (1,797 images): the default, available on every install."""

from __future__ import annotations

import numpy as np

from projnet.config import DataConfig
from projnet.data.splits import DatasetSplits, stratified_split

# The RunConfig defaults are sized for digits (64 inputs x 192 bits, hidden 40: under 32 KB int8).
DIGITS_DEFAULTS: dict = {}


def locate_digits(data: DataConfig) -> str:
    try:
        import sklearn
    except ImportError:
        return ""
    return f"scikit-learn {sklearn.__version__} (bundled)"


def load_digits(data: DataConfig) -> DatasetSplits:
    from sklearn.datasets import load_digits as sklearn_digits

    bunch = sklearn_digits()
    x = (bunch.data / 16.0).astype(np.float32)  # pixel counts 0..16 -> [0, 1]
    y = bunch.target.astype(np.int32)
    rest, test = stratified_split(y, data.test_fraction, data.split_seed)
    train_rel, val_rel = stratified_split(y[rest], data.validation_fraction, data.split_seed + 1)
    train, val = rest[train_rel], rest[val_rel]
    return DatasetSplits(
        name="digits", x_train=x[train], y_train=y[train], x_val=x[val], y_val=y[val],
        x_test=x[test], y_test=y[test], class_names=tuple(str(i) for i in range(10)),
        image_shape=(8, 8, 1), source=locate_digits(data), pixel_max=16.0,
    )
