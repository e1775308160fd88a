"""`series:FILE.csv`: sensor time series cut into windows, split by recording.

Columns: data.session_column (one value per recording), data.time_column (orders the samples of a
recording), data.label_column, and every other column a numeric channel. Each recording is cut into
windows of data.window samples every data.stride samples; a window's label is its most common one.
Whole recordings go to the test and validation splits (about data.test_fraction and
data.validation_fraction of the windows), so that no recording is in two splits: windows of one
recording overlap and look alike, and a split by window would grade the model on its training data.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import numpy as np

from projnet.config import DataConfig
from projnet.data.file_records import file_record
from projnet.data.labelled_arrays import class_ids
from projnet.data.numeric_csv import label_values, read_numeric_csv, scale_to_train
from projnet.data.source_paths import locate, source_path
from projnet.data.splits import DatasetSplits
from projnet.errors import ProjnetError

SERIES_PREFIX = "series:"
# A window is an image one channel-row wide (time x channels): the patch backend's 3x3 filters read 3
# samples of every channel at once, and the learned convolutions and pools run along time, so a gait
# is found wherever it falls in the window. On the generated accelerometer set (benchmarks/own_data.py,
# 3 seeds) this student is 1.8 points behind the MLP trainer at 24 KB; the dense student (random
# hyperplanes over the raw window, which a shift of the gait changes) trailed by 10 points at 46 KB.
# 32 filters (T=4) and 48/64 convolutions at rate 3e-3 beat 16 filters and 32/64 at 1e-3 (3.3 behind).
SERIES_DEFAULTS = {
    "projection.backend": "patch",
    "projection.num_functions": 4,
    "projection.bits_per_function": 8,
    "student.hidden": [],
    "student.conv_filters": [48, 64],
    "train.student_learning_rate": 3e-3,
}


def locate_series(data: DataConfig) -> str:
    return locate(data, SERIES_PREFIX)


def series_windows(path: Path, data: DataConfig) -> tuple[np.ndarray, np.ndarray, np.ndarray, list[str]]:
    """(windows (N, window * channels) float32, labels (N,), session of each window, channel names)."""
    if data.stride > data.window:
        raise ProjnetError(f"data.stride={data.stride} is longer than data.window={data.window}: samples between "
                           f"windows would be dropped")
    channels, columns = read_numeric_csv(path, data.label_column, (data.session_column, data.time_column))
    try:
        times = np.array([float(t) for t in columns[data.time_column]])
    except ValueError:
        raise ProjnetError(f"{path}: column {data.time_column!r} must hold numbers (sample times)") from None
    values = np.array([columns[name] for name in channels], np.float32).T  # (samples, channels)
    sessions, labels = np.array(columns[data.session_column]), label_values(columns[data.label_column])
    windows, window_labels, window_sessions = [], [], []
    for session in dict.fromkeys(sessions.tolist()):  # first-seen order
        rows = np.flatnonzero(sessions == session)
        rows = rows[np.argsort(times[rows], kind="stable")]
        for start in range(0, len(rows) - data.window + 1, data.stride):
            chosen = rows[start:start + data.window]
            windows.append(values[chosen].reshape(-1))
            window_labels.append(Counter(labels[chosen].tolist()).most_common(1)[0][0])
            window_sessions.append(session)
    if not windows:
        longest = max(int(np.sum(sessions == s)) for s in set(sessions.tolist()))
        raise ProjnetError(f"{path}: no recording has data.window={data.window} samples (the longest has "
                           f"{longest}); lower data.window")
    return np.stack(windows), np.array(window_labels), np.array(window_sessions), channels


def split_by_session(sessions: np.ndarray, data: DataConfig) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Window indices (train, val, test): whole recordings, drawn with data.split_seed."""
    names = sorted(set(sessions.tolist()))
    if len(names) < 3:
        raise ProjnetError(f"{len(names)} recording(s) in column {data.session_column!r}; splitting by recording "
                           f"needs at least 3 (train, validation, test)")
    order = np.random.default_rng(data.split_seed).permutation(len(names))
    counts = Counter(sessions.tolist())
    total, chosen = len(sessions), {"test": [], "val": []}
    position = 0
    for split, fraction in (("test", data.test_fraction), ("val", data.validation_fraction * (1 - data.test_fraction))):
        while position < len(names) - 1 and (not chosen[split] or sum(counts[s] for s in chosen[split]) <
                                             fraction * total):
            chosen[split].append(names[order[position]])
            position += 1
    test = np.flatnonzero(np.isin(sessions, chosen["test"]))
    val = np.flatnonzero(np.isin(sessions, chosen["val"]))
    train = np.flatnonzero(~np.isin(sessions, chosen["test"] + chosen["val"]))
    return train, val, test


def load_series(data: DataConfig) -> DatasetSplits:
    path = source_path(data, SERIES_PREFIX)
    if not path.is_file():
        raise ProjnetError(f"{data.dataset}: no such file")
    x, labels, sessions, channels = series_windows(path, data)
    train, val, test = split_by_session(sessions, data)
    where = f"{path} (split by {data.session_column!r})"
    y_train, y_held, values = class_ids(labels[train], labels[np.concatenate([val, test])], where)
    y_val, y_test = y_held[:len(val)], y_held[len(val):]
    splits = DatasetSplits(
        name=data.dataset, x_train=x[train], y_train=y_train, x_val=x[val], y_val=y_val, x_test=x[test],
        y_test=y_test, class_names=tuple(str(v) for v in values), image_shape=(data.window, len(channels), 1),
        source=str(path.resolve()), files=(file_record(path),), layout="series", description=data.description)
    columns = [f"{name}[{t}]" for t in range(data.window) for name in channels]
    return scale_to_train(splits, columns)
