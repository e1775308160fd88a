"""Numeric CSVs shared by `table:` and `series:`: strict parsing, one error naming the row and column,
and the per-feature scaling to [0, 1] fitted on the training split (shipped in metrics.json, since the
deployed model expects scaled inputs)."""

from __future__ import annotations

import csv
import dataclasses
import math
from pathlib import Path

import numpy as np

from projnet.data.splits import DatasetSplits
from projnet.errors import ProjnetError

FLOAT32_MAX = float(np.finfo(np.float32).max)


def read_numeric_csv(path: Path, label_column: str, keep_text: tuple[str, ...] = ()) -> tuple[list[str], dict]:
    """(numeric column names, {column: values}); label_column and `keep_text` columns stay strings."""
    try:
        with open(path, newline="", encoding="utf-8-sig") as f:
            reader = csv.reader(f)
            header = next(reader, None)
            rows = list(reader)
    except UnicodeDecodeError as exc:
        raise ProjnetError(f"{path} is not UTF-8 (byte 0x{exc.object[exc.start]:02x} at offset {exc.start})") from None
    except (OSError, csv.Error) as exc:
        raise ProjnetError(f"cannot read {path}: {exc}") from None
    if not header:
        raise ProjnetError(f"{path} is empty")
    header = [name.strip() for name in header]
    repeated = sorted({name for name in header if header.count(name) > 1})
    if repeated:
        raise ProjnetError(f"{path}: the header names column {', '.join(map(repr, repeated))} more than once")
    missing = [c for c in (label_column, *keep_text) if c not in header]
    if missing:
        raise ProjnetError(f"{path} has no column {', '.join(map(repr, missing))} (its columns: {', '.join(header)}); "
                           f"set data.label_column{' / data.session_column / data.time_column' if keep_text else ''}")
    rows = [row for row in rows if any(cell.strip() for cell in row)]
    if not rows:
        raise ProjnetError(f"{path} has no rows")
    columns: dict[str, list] = {name: [] for name in header}
    text = {label_column, *keep_text}
    for line, row in enumerate(rows, start=2):
        if len(row) != len(header):
            raise ProjnetError(f"{path}: line {line} has {len(row)} fields, the header {len(header)}")
        for name, cell in zip(header, row):
            if name in text:
                columns[name].append(cell.strip())
                continue
            try:
                value = float(cell)
            except ValueError:
                value = math.nan
            # Features are float32: a float64 beyond its range would become inf after loading.
            if not math.isfinite(value) or abs(value) > FLOAT32_MAX:
                raise ProjnetError(f"{path}: line {line}, column {name!r} is {cell.strip()!r}, not a finite "
                                   f"32-bit number")
            columns[name].append(value)
    features = [name for name in header if name not in text]
    if not features:
        raise ProjnetError(f"{path} has no numeric feature columns besides {', '.join(map(repr, sorted(text)))}")
    return features, columns


def label_values(labels: list[str]) -> np.ndarray:
    """Integer labels when every label is an integer (so 10 sorts after 9), else the strings."""
    try:
        return np.array([int(label) for label in labels])
    except ValueError:
        return np.array(labels)


def scale_to_train(splits: DatasetSplits, columns: list[str]) -> DatasetSplits:
    """x -> (x - min) / (max - min) per feature, min and max from the training split only."""
    low, high = splits.x_train.min(axis=0), splits.x_train.max(axis=0)
    scale = np.where(high > low, 1.0 / np.where(high > low, high - low, 1.0), 1.0).astype(np.float32)

    def apply(x):
        return ((x - low) * scale).astype(np.float32)

    return dataclasses.replace(splits, x_train=apply(splits.x_train), x_val=apply(splits.x_val),
                               x_test=apply(splits.x_test),
                               scaling={"columns": columns, "subtract": low.tolist(), "multiply": scale.tolist()})
