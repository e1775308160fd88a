"""Arrays a user brought (IDX, NumPy, image folders, tables) -> checked, split `DatasetSplits`.

Every source ends here, so every source refuses the same things in the same words: NaN or infinite
features, one class, a class too small to split, test labels the training split never had.
"""

from __future__ import annotations

import numpy as np

from projnet.config import DataConfig
from projnet.data.splits import DatasetSplits, stratified_split
from projnet.errors import ProjnetError

MIN_PER_CLASS = 2  # one training example per class cannot give a validation example and a training one


def class_ids(y_train: np.ndarray, y_test: np.ndarray | None, where: str) -> tuple[np.ndarray, np.ndarray | None,
                                                                                   list]:
    """Labels (any sortable values) -> 0..K-1 by sorted value; K and the test labels are checked."""
    values = sorted(set(y_train.tolist()))
    if len(values) < 2:
        raise ProjnetError(f"{where} has {len(values)} class(es); a classifier needs at least 2")
    counts = {v: int(n) for v, n in zip(*np.unique(y_train, return_counts=True))}
    small = [v for v in values if counts[v] < MIN_PER_CLASS]
    if small:
        raise ProjnetError(f"{where}: class(es) {', '.join(map(repr, small[:5]))} have fewer than {MIN_PER_CLASS} "
                           f"training examples (a stray label?); remove them or add examples")
    index = {v: i for i, v in enumerate(values)}
    ids = np.array([index[v] for v in y_train.tolist()], np.int32)
    if y_test is None:
        return ids, None, values
    unseen = sorted({v for v in y_test.tolist() if v not in index})
    if unseen:
        raise ProjnetError(f"{where}: the test split has label(s) the training split lacks: "
                           f"{', '.join(map(repr, unseen[:5]))}{' ...' if len(unseen) > 5 else ''}")
    return ids, np.array([index[v] for v in y_test.tolist()], np.int32), values


def check_features(x: np.ndarray, where: str) -> None:
    if not np.all(np.isfinite(x)):
        row = int(np.flatnonzero(~np.all(np.isfinite(x.reshape(len(x), -1)), axis=1))[0])
        raise ProjnetError(f"{where}: row {row} has a NaN or infinite feature; fill or drop it first")


def split_arrays(name: str, x: np.ndarray, y: np.ndarray, x_test: np.ndarray | None, y_test: np.ndarray | None,
                 data: DataConfig, class_names: tuple[str, ...], image_shape: tuple[int, int, int], source: str,
                 files: tuple[dict, ...], layout: str, pixel_max: float | None = None) -> DatasetSplits:
    """Fixed-seed splits of ready features (float32 rows) and class ids: the official test split when there is
    one, else `data.test_fraction` of every class; then `data.validation_fraction` of the rest."""
    val_seed = data.split_seed + 1  # the seeds digits (drawn test) and Fashion-MNIST (official test) always used
    if x_test is None:
        rest, test = stratified_split(y, data.test_fraction, data.split_seed)
        x_test, y_test = x[test], y[test]
    else:
        rest, val_seed = np.arange(len(y)), data.split_seed
    train_rel, val_rel = stratified_split(y[rest], data.validation_fraction, val_seed)
    train, val = rest[train_rel], rest[val_rel]
    return DatasetSplits(name=name, x_train=x[train], y_train=y[train], x_val=x[val], y_val=y[val], x_test=x_test,
                         y_test=y_test, class_names=class_names, image_shape=image_shape, source=source,
                         files=files, layout=layout, description=data.description, pixel_max=pixel_max)


def names_for(values: list, labels: list[str] | None, where: str) -> tuple[str, ...]:
    """Class names: the user's list (from data.labels_file or the file itself), else the label values."""
    if labels is None:
        return tuple(str(v) for v in values)
    if len(labels) != len(values):
        raise ProjnetError(f"{where}: {len(labels)} class names for {len(values)} classes")
    return tuple(str(label) for label in labels)
