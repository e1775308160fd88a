"""Train a plain alternative on a text data set and ship it the way a student ships: int8 .tflite + featurizer spec.

The families, sized by one number each:
- "hashed_linear": `size` buckets, TF-IDF weights, one linear layer (projnet/baselines/hashed_linear.py);
- "embedding_bag": `size` buckets of 16-wide int8 rows, mean over the text, one linear layer
  (the trainer's own HashedEmbeddingBag, small).
Both read the student's ids through the same converter, so size and latency compare like for like.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from projnet.errors import UsageError

FAMILIES = ("hashed_linear", "embedding_bag")
BAG_DIM = 16  # embedding_bag: narrow rows, so its table buys buckets rather than width
MIN_SIZE, MAX_SIZE = 2, 1 << 20


@dataclass(frozen=True)
class BaselineSpec:
    family: str
    size: int  # buckets

    def __post_init__(self):
        if self.family not in FAMILIES:
            raise UsageError(f"--family must be one of: {', '.join(FAMILIES)}. Received: {self.family!r}")
        if not MIN_SIZE <= self.size <= MAX_SIZE:
            raise UsageError(f"--size (buckets) must be between {MIN_SIZE} and {MAX_SIZE}. Received: {self.size}")

    @property
    def name(self) -> str:
        return f"{self.family}_{self.size}"


def estimated_bytes(spec: BaselineSpec, num_classes: int) -> int:
    """The int8 .tflite's weight bytes, before the file's few KB of structure: for fitting a budget."""
    if spec.family == "hashed_linear":
        return spec.size * num_classes + 4 * spec.size  # int8 table + float idf
    return spec.size * BAG_DIM + BAG_DIM * num_classes


def build_and_fit(spec: BaselineSpec, splits, seed: int):
    """The baseline's Keras model, trained on the labels of `splits`."""
    from projnet.baselines.hashed_linear import fit_on_labels, train_hashed_linear

    if spec.family == "hashed_linear":
        return train_hashed_linear(splits, spec.size, seed=seed)
    import keras

    from projnet.trainer.embedding_bag import HashedEmbeddingBag

    keras.utils.set_random_seed(seed)
    inputs = keras.Input((splits.num_features,), dtype="int32", name="ids")
    x = HashedEmbeddingBag(spec.size, BAG_DIM, name="bag")(inputs)
    model = keras.Model(inputs, keras.layers.Dense(splits.num_classes, name="logits")(x), name=spec.name)
    return fit_on_labels(model, splits, epochs=40, learning_rate=0.01, seed=seed)


def train_baseline(spec: BaselineSpec, splits, seed: int = 0) -> tuple[bytes, dict]:
    """(int8 .tflite bytes, figures): trained on the labels, converted and scored on the test split."""
    from projnet.export.converter import convert_int8
    from projnet.export.tflite_eval import run_tflite
    from projnet.trainer.joint_training import predict_logits

    if splits.featurizer is None:
        raise UsageError(f"baselines take text data sets (ids); {splits.name} has float features")
    model = build_and_fit(spec, splits, seed)
    rng = np.random.default_rng(0)
    representative = splits.x_train[rng.permutation(len(splits.x_train))[:500]]
    tflite = convert_int8(model, representative, spec.name)
    keras_pred = predict_logits(model, splits.x_test).argmax(1)
    pred = run_tflite(tflite, splits.x_test).argmax(1)
    return tflite, {"family": spec.family, "size": spec.size, "seed": seed, "size_bytes": len(tflite),
                    "accuracy": float(np.mean(pred == splits.y_test)),
                    "float_accuracy": float(np.mean(keras_pred == splits.y_test)),
                    "agreement": float(np.mean(pred == keras_pred)), "params": int(model.count_params())}


def best_baseline_within(splits, max_bytes: int, seed: int = 0) -> dict | None:
    """The hashed-linear baseline with the most buckets (a power of two) whose int8 file fits `max_bytes`.

    More buckets is more accurate at these sizes (README figures), so the largest that fits is the
    one to beat; it is trained, converted and measured here, in seconds. None when even 2^4 is too big.
    """
    size = 1 << 4
    while estimated_bytes(BaselineSpec("hashed_linear", size * 2), splits.num_classes) + 4096 <= max_bytes:
        size *= 2
    while size >= 1 << 4:
        _, figures = train_baseline(BaselineSpec("hashed_linear", size), splits, seed)
        if figures["size_bytes"] <= max_bytes:
            return figures
        size //= 2
    return None


def write_baseline(out: Path, tflite: bytes, figures: dict, splits) -> Path:
    """MODEL.tflite, its featurizer spec and metrics.json in `out` (which must not hold another run)."""
    from projnet.atomic_io import atomic_write_bytes, atomic_write_json
    from projnet.export.text_export import write_featurizer_spec

    out.mkdir(parents=True, exist_ok=True)
    model_path = out / "baseline_int8.tflite"
    atomic_write_bytes(model_path, tflite)
    write_featurizer_spec(model_path, splits)
    atomic_write_json(out / "metrics.json", {"dataset": splits.name, "baseline": figures})
    return model_path
