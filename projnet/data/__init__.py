"""Data sets by name: `load_dataset(config.data)` gives fixed-seed train/validation/test splits."""

from projnet.data.registry import (DATASETS, DatasetSplits, dataset_defaults, dataset_input_kind, describe_datasets,
                                   load_dataset)

__all__ = ["DATASETS", "DatasetSplits", "dataset_defaults", "dataset_input_kind", "describe_datasets", "load_dataset"]
