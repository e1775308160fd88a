"""What a text student ships besides its .tflite: the featurizer spec, and the proof that it matches training.

MODEL.featurizer.json (next to MODEL.tflite) holds every featurizer parameter, the hash, the label
list and test vectors; `projnet predict` and benchmarks/text_end_to_end.py read it. The parity check
runs the reference featurizer (device_bench, pure Python) over the raw test texts and compares its ids
with the ids training used (the vectorised featurizer in projnet/data/text_features.py).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from projnet.atomic_io import atomic_write_json
from projnet.data.splits import DatasetSplits
from projnet.device_bench.text_featurizer import FeaturizerSpec, featurize_batch, spec_path


def write_featurizer_spec(model_path: Path, splits: DatasetSplits) -> Path:
    """MODEL.featurizer.json beside MODEL.tflite, which must be written first: the spec records its SHA-256,
    so that a spec copied beside another model with as many labels is refused instead of mislabelling it."""
    import hashlib

    path = spec_path(model_path)
    digest = hashlib.sha256(Path(model_path).read_bytes()).hexdigest()
    atomic_write_json(path, {**splits.featurizer, "model_sha256": digest})
    return path


def featurizer_parity(splits: DatasetSplits) -> dict:
    """Rows of the test split whose reference ids equal the training ids, and how many ids differ."""
    spec = FeaturizerSpec.from_json(splits.featurizer)
    reference = featurize_batch(list(splits.texts_test), spec)
    same_rows = np.all(reference == splits.x_test, axis=1)
    return {"rows": int(len(same_rows)), "identical_rows": int(same_rows.sum()),
            "differing_ids": int(np.sum(reference != splits.x_test))}
