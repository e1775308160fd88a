"""The registry of data sets: one entry per name, with its loader, its locator and its defaults."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable

from projnet.config import DataConfig
from projnet.data import digits, fashion_mnist, text_csv
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
CSV_ENTRY = DatasetEntry(  # csv:PATH, any text classification CSV (see projnet/data/text_csv.py)
    "csv:PATH", "text CSV: a directory with train.csv and test.csv, or one file (columns data.text_column, "
    "data.label_column)", text_csv.load_csv, text_csv.locate_csv,
    lambda data: "pass --dataset csv:PATH", text_csv.TEXT_DEFAULTS, input_kind="ids")


def _entry(name: str) -> DatasetEntry:
    if name.startswith(text_csv.CSV_PREFIX) and len(name) > len(text_csv.CSV_PREFIX):
        return CSV_ENTRY
    if name not in DATASETS:
        raise UsageError(f"unknown data set {name!r}; known: {', '.join(DATASETS)}, csv:PATH")
    return DATASETS[name]


def dataset_defaults(name: str) -> dict[str, Any]:
    return dict(_entry(name).defaults)


def dataset_input_kind(name: str) -> str:
    return _entry(name).input_kind


def load_dataset(data: DataConfig) -> DatasetSplits:
    return _entry(data.dataset).load(data)


def describe_datasets(data: DataConfig) -> list[dict[str, str]]:
    """One row per data set: whether it is available here and where it was found (or how to get it)."""
    rows = []
    for entry in DATASETS.values():
        where = entry.locate(data)
        rows.append({"name": entry.name, "available": bool(where), "where": where or entry.how_to_get(data),
                     "description": entry.description})
    return rows
