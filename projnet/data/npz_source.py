"""`npz:FILE`: NumPy arrays a user saved with np.savez: x_train, y_train, and optionally x_test, y_test, labels.

x may be rows of features (N, F), grayscale images (N, H, W) or images with channels (N, H, W, C).
Features are used as they are (float32), so scale them as the deployed model will see them; uint8
images are divided by 255. Without x_test the test split is drawn with data.test_fraction.
"""

from __future__ import annotations

import zipfile
from pathlib import Path

import numpy as np

from projnet.config import DataConfig
from projnet.data.file_records import file_record
from projnet.data.labelled_arrays import check_features, class_ids, names_for, split_arrays
from projnet.data.source_paths import locate, source_path
from projnet.data.splits import DatasetSplits
from projnet.errors import ProjnetError

NPZ_PREFIX = "npz:"
REQUIRED = ("x_train", "y_train")


def locate_npz(data: DataConfig) -> str:
    return locate(data, NPZ_PREFIX)


def _features(x: np.ndarray, key: str, path: Path) -> np.ndarray:
    if x.ndim not in (2, 3, 4) or not (np.issubdtype(x.dtype, np.number) or x.dtype == bool):
        raise ProjnetError(f"{path}: {key} must be numbers shaped (N, features), (N, H, W) or (N, H, W, C); "
                           f"it is {x.dtype} {x.shape}")
    scale = 255.0 if x.dtype == np.uint8 else 1.0
    return x.astype(np.float32) / scale


def load_npz(data: DataConfig) -> DatasetSplits:
    path = source_path(data, NPZ_PREFIX)
    if not path.is_file():
        raise ProjnetError(f"{data.dataset}: no such file")
    try:
        with np.load(path, allow_pickle=False) as archive:
            arrays = {key: archive[key] for key in archive.files}
    except (OSError, ValueError, zipfile.BadZipFile, EOFError) as exc:
        raise ProjnetError(f"{path} is not a NumPy .npz archive: {str(exc).splitlines()[0]}") from None
    missing = [key for key in REQUIRED if key not in arrays]
    if missing or (("x_test" in arrays) != ("y_test" in arrays)):
        raise ProjnetError(f"{path} must hold x_train and y_train (and x_test with y_test); it holds "
                           f"{', '.join(sorted(arrays)) or 'nothing'}")
    x, has_test = _features(arrays["x_train"], "x_train", path), "x_test" in arrays
    x_test = _features(arrays["x_test"], "x_test", path) if has_test else None
    for key, features in (("x_train", x), ("x_test", x_test)):
        labels = arrays["y" + key[1:]] if features is not None else None
        if features is not None and (labels.ndim != 1 or len(labels) != len(features)):
            raise ProjnetError(f"{path}: {key} has {len(features)} rows but y{key[1:]} has shape {labels.shape}")
    if x_test is not None and x_test.shape[1:] != x.shape[1:]:
        raise ProjnetError(f"{path}: x_train rows are {x.shape[1:]} but x_test rows {x_test.shape[1:]}")
    check_features(x, f"{path} x_train")
    if x_test is not None:
        check_features(x_test, f"{path} x_test")
    y, y_test, values = class_ids(arrays["y_train"], arrays.get("y_test"), f"{path} y_train")
    labels = [str(v) for v in arrays["labels"].tolist()] if "labels" in arrays else None
    if data.labels_file:
        from projnet.data.text_csv import read_labels_file

        labels = read_labels_file(Path(data.labels_file))
    layout = "image" if x.ndim > 2 else "features"
    shape = x.shape[1:] + (1,) * (4 - x.ndim) if x.ndim > 2 else (1, x.shape[1], 1)
    flat = x.reshape(len(x), -1)
    return split_arrays(data.dataset, flat, y, None if x_test is None else x_test.reshape(len(x_test), -1),
                        y_test, data, names_for(values, labels, str(path)), tuple(int(n) for n in shape),
                        str(path.resolve()), (file_record(path),), layout,
                        pixel_max=255.0 if layout == "image" and arrays["x_train"].dtype == np.uint8 else None)
