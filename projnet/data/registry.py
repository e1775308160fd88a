"""The registry of data sets: one entry per name, with its loader, its locator and its defaults."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable

from projnet.config import DataConfig
from projnet.data import (digits, fashion_mnist, idx_source, image_folder, npz_source, series_source, table_source,
                          text_csv)
from projnet.data.splits import DatasetSplits
from projnet.errors import UsageError


@dataclass(frozen=True)
class DatasetEntry:
    name: str
    description: str
    load: Callable[[DataConfig], DatasetSplits]
    locate: Callable[[DataConfig], str]  # where the data is, or "" when it is not on this machine
    how_to_get: Callable[[DataConfig], str]
    defaults: dict[str, Any]  # config overrides that size the models for this data set
    input_kind: str = "dense"  # "dense" float features (images) or "ids" (text), known before loading anything


DATASETS: dict[str, DatasetEntry] = {
    "digits": DatasetEntry(
        "digits", "8x8 handwritten digits, 10 classes, 1,797 images (scikit-learn, bundled)",
        digits.load_digits, digits.locate_digits, lambda data: "bundled with scikit-learn",
        digits.DIGITS_DEFAULTS),
    "fashion_mnist": DatasetEntry(
        "fashion_mnist", "28x28 clothing images, 10 classes, 60,000 + 10,000 official test",
        fashion_mnist.load_fashion_mnist, fashion_mnist.locate_fashion_mnist,
        fashion_mnist.missing_message, fashion_mnist.FASHION_DEFAULTS),
    "banking77": DatasetEntry(
        "banking77", "online banking queries, 77 intents, 10,003 + 3,080 official test (CC BY 4.0), as text ids",
        text_csv.load_banking77, text_csv.locate_banking77, text_csv.banking77_missing,
        text_csv.BANKING77_DEFAULTS, input_kind="ids"),
}
# Sources named by a prefix and a path (`--dataset idx:DIR`): the prefix is the key. An image source gets the
# patch student sized for 28x28 images (check_before_training refuses, naming the setting, images too small
# for it), a series the patch student along time; tables and NumPy files the dense student the RunConfig
# defaults size for digits.
IMAGE_DEFAULTS = fashion_mnist.FASHION_DEFAULTS
SOURCES: dict[str, DatasetEntry] = {
    text_csv.CSV_PREFIX: DatasetEntry(
        "csv:PATH", "text CSV: a directory with train.csv and test.csv, or one file (columns data.text_column, "
        "data.label_column)", text_csv.load_csv, text_csv.locate_csv,
        lambda data: "pass --dataset csv:PATH", text_csv.TEXT_DEFAULTS, input_kind="ids"),
    idx_source.IDX_PREFIX: DatasetEntry(
        "idx:DIR", "IDX images (MNIST, KMNIST, EMNIST, ...): train-images/train-labels/t10k-images/t10k-labels "
        "files in DIR, gzipped or raw", idx_source.load_idx, idx_source.locate_idx,
        lambda data: "pass --dataset idx:DIR", IMAGE_DEFAULTS),
    image_folder.IMAGES_PREFIX: DatasetEntry(
        "images:DIR", "image folders: DIR/<class>/*.png|jpg|bmp, or DIR/train/<class>/ and DIR/test/<class>/ "
        "(data.image_size, data.image_mode)", image_folder.load_images, image_folder.locate_images,
        lambda data: "pass --dataset images:DIR", IMAGE_DEFAULTS),
    npz_source.NPZ_PREFIX: DatasetEntry(
        "npz:FILE", "NumPy archive with x_train, y_train (and x_test, y_test, labels): rows or images",
        npz_source.load_npz, npz_source.locate_npz, lambda data: "pass --dataset npz:FILE", {}),
    table_source.TABLE_PREFIX: DatasetEntry(
        "table:FILE", "CSV of numeric feature columns and a label column (data.label_column), scaled to [0, 1]",
        table_source.load_table, table_source.locate_table, lambda data: "pass --dataset table:FILE", {}),
    series_source.SERIES_PREFIX: DatasetEntry(
        "series:FILE", "sensor CSV: session, time, channels, label columns -> windows of data.window samples "
        "every data.stride, split by session", series_source.load_series, series_source.locate_series,
        lambda data: "pass --dataset series:FILE", series_source.SERIES_DEFAULTS),
}


def source_prefix(name: str) -> str:
    """The prefix of a path-named source (`idx:`, `csv:`, ...), or "" for a named data set."""
    return next((p for p in SOURCES if name.startswith(p) and len(name) > len(p)), "")


def _entry(name: str) -> DatasetEntry:
    prefix = source_prefix(name)
    if prefix:
        return SOURCES[prefix]
    if name not in DATASETS:
        raise UsageError(f"unknown data set {name!r}; known: {', '.join(DATASETS)}, "
                         f"{', '.join(entry.name for entry in SOURCES.values())}")
    return DATASETS[name]


def absolute_dataset(name: str) -> str:
    """A path-named source with its path made absolute, so that a run directory's config.toml works from
    any folder (`projnet export RUN`, `--resume`)."""
    from pathlib import Path

    prefix = source_prefix(name)
    return f"{prefix}{Path(name[len(prefix):]).expanduser().resolve()}" if prefix else name


def dataset_defaults(name: str) -> dict[str, Any]:
    return dict(_entry(name).defaults)


def dataset_input_kind(name: str) -> str:
    return _entry(name).input_kind


def load_dataset(data: DataConfig) -> DatasetSplits:
    return _entry(data.dataset).load(data)


def describe_datasets(data: DataConfig) -> list[dict[str, str]]:
    """One row per data set and per source: whether it is here and where it was found (or how to get it)."""
    rows = []
    for entry in DATASETS.values():
        where = entry.locate(data)
        rows.append({"name": entry.name, "available": bool(where), "where": where or entry.how_to_get(data),
                     "description": entry.description})
    for entry in SOURCES.values():  # your own data: always usable, given a path
        rows.append({"name": entry.name, "available": "your path", "where": entry.how_to_get(data),
                     "description": entry.description})
    return rows
