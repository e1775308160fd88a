"""Fixed-seed splits, so that every run of a data set trains, validates and tests on the same rows."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class DatasetSplits:
    """Flat float32 features in [0, 1] (or int32 feature ids for text) and int labels, split three ways."""

    name: str
    x_train: np.ndarray  # (n_train, features) float32
    y_train: np.ndarray  # (n_train,) int32
    x_val: np.ndarray
    y_val: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray
    class_names: tuple[str, ...]
    image_shape: tuple[int, int, int]  # (height, width, channels): what a CNN trainer reshapes to
    source: str  # where the data was read from, for the report
    texts_test: tuple[str, ...] = ()  # text data sets: the raw test texts, for featurizer parity checks
    featurizer: dict | None = None  # text data sets: the featurizer spec that ships beside the .tflite
    files: tuple[dict, ...] = ()  # what was read: path, bytes, sha256 of each input (data/file_records.py)
    layout: str = "image"  # "image" (H x W x C pixels), "features" (a table's columns), "series" (windows), "ids"
    description: str = ""  # the user's words for the data set (data.description), for the report
    scaling: dict | None = None  # tables and series: the per-column affine map the loader applied, to ship with it
    pixel_max: float | None = None  # images read from integer pixels: the pixel value that loads as 1.0 (255, digits 16)

    def __post_init__(self):
        """Every source ends here: an empty split would train and report an accuracy of nothing."""
        from projnet.errors import ProjnetError

        sizes = {"training": len(self.y_train), "validation": len(self.y_val), "test": len(self.y_test)}
        empty = [split for split, n in sizes.items() if n == 0]
        if empty:
            raise ProjnetError(f"{self.name}: the {' and '.join(empty)} split(s) would be empty ({sum(sizes.values())} "
                               f"rows in all, {len(self.class_names)} classes); add rows, or raise "
                               f"data.test_fraction / data.validation_fraction")

    @property
    def num_classes(self) -> int:
        return len(self.class_names)

    @property
    def num_features(self) -> int:
        return int(self.x_train.shape[1])


def stratified_split(y: np.ndarray, fraction: float, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Indices (kept, held_out): `fraction` of every class held out, chosen with a fixed seed."""
    rng = np.random.default_rng(seed)
    held = []
    for label in np.unique(y):
        members = np.flatnonzero(y == label)
        rng.shuffle(members)
        held.append(members[: int(round(fraction * len(members)))])
    held_out = np.sort(np.concatenate(held))
    kept = np.setdiff1d(np.arange(len(y)), held_out)
    return rng.permutation(kept), rng.permutation(held_out)
