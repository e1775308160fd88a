"""Train a plain alternative and ship it the way a student ships: int8 .tflite (+ featurizer spec for text).

The families, sized by one number each:
- text ids: "hashed_linear": `size` buckets, TF-IDF weights, one linear layer (baselines/hashed_linear.py);
  "embedding_bag": `size` buckets of 16-wide int8 rows, mean over the text, one linear layer (the
  trainer's own HashedEmbeddingBag, small);
- images: "mlp": one hidden layer of `size` units; "cnn": a tiny CNN of `size` and 2 * `size` 3 x 3
  filters (baselines/image_models.py).
Each reads the student's inputs through the same converter, so size and latency compare like for like.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from projnet.errors import UsageError

FAMILIES = {"hashed_linear": "ids", "embedding_bag": "ids", "mlp": "dense", "cnn": "dense"}  # family -> input kind
FILE_OVERHEAD = 4096  # bytes of flatbuffer structure around the weights, for fitting a budget before training
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
            raise UsageError(f"--size must be between {MIN_SIZE} and {MAX_SIZE}. Received: {self.size}")

    @property
    def name(self) -> str:
        return f"{self.family}_{self.size}"

    @property
    def label(self) -> str:
        """How the report names it."""
        return {"hashed_linear": f"{self.size} buckets", "embedding_bag": f"bag of {self.size} buckets",
                "mlp": f"MLP, {self.size} hidden", "cnn": f"CNN, {self.size}/{2 * self.size} filters"}[self.family]


def check_family_fits(family: str, kind: str, dataset: str) -> None:
    """Refuse, in one line naming the families that fit, a family that cannot read `dataset`'s `kind` of inputs."""
    if FAMILIES[family] != kind:
        fitting = [f for f, k in FAMILIES.items() if k == kind]
        raise UsageError(f"--family {family} takes {FAMILIES[family]} inputs but {dataset} has {kind} inputs; "
                         f"use one of: {', '.join(fitting)}")


def estimated_bytes(spec: BaselineSpec, splits) -> int:
    """The int8 .tflite's weight bytes, before the file's few KB of structure: for fitting a budget."""
    from projnet.baselines.image_models import estimated_int8_bytes

    if spec.family == "hashed_linear":
        return spec.size * splits.num_classes + 4 * spec.size  # int8 table + float idf
    if spec.family == "embedding_bag":
        return spec.size * BAG_DIM + BAG_DIM * splits.num_classes
    return estimated_int8_bytes(spec.family, spec.size, splits.image_shape, splits.num_classes)


def build_and_fit(spec: BaselineSpec, splits, seed: int):
    """The baseline's Keras model, trained on the labels of `splits`."""
    from projnet.baselines.hashed_linear import fit_on_labels, train_hashed_linear

    if FAMILIES[spec.family] == "dense":
        from projnet.baselines.image_models import train_image_baseline

        return train_image_baseline(spec.family, spec.size, splits, seed, spec.name)
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

    from projnet.registry import input_kind

    check_family_fits(spec.family, input_kind(splits.x_train), splits.name)
    model = build_and_fit(spec, splits, seed)
    rng = np.random.default_rng(0)
    representative = splits.x_train[rng.permutation(len(splits.x_train))[:500]]
    tflite = convert_int8(model, representative, spec.name)
    keras_pred = predict_logits(model, splits.x_test).argmax(1)
    pred = run_tflite(tflite, splits.x_test).argmax(1)
    return tflite, {"family": spec.family, "size": spec.size, "label": spec.label, "seed": seed,
                    "size_bytes": len(tflite),
                    "accuracy": float(np.mean(pred == splits.y_test)),
                    "float_accuracy": float(np.mean(keras_pred == splits.y_test)),
                    "agreement": float(np.mean(pred == keras_pred)), "params": int(model.count_params())}


SIZE_STEPS = {  # family -> (smallest size, next size): the ladder a budget is fitted on
    "hashed_linear": (1 << 4, lambda size: 2 * size),  # buckets: powers of two keep FLOOR_MOD cheap
    "embedding_bag": (1 << 4, lambda size: 2 * size),
    "mlp": (4, lambda size: size + 4),
    "cnn": (2, lambda size: size + 2),
}
RUN_BASELINES = {"ids": ("hashed_linear",), "dense": ("mlp", "cnn")}  # what every run trains beside its student


def fitting_sizes(family: str, splits, max_bytes: int) -> list[int]:
    """The family's sizes on its ladder, ascending, whose estimated int8 file fits `max_bytes`."""
    size, step = SIZE_STEPS[family]
    sizes = []
    while size <= MAX_SIZE and estimated_bytes(BaselineSpec(family, size), splits) + FILE_OVERHEAD <= max_bytes:
        sizes.append(size)
        size = step(size)
    return sizes


def baselines_within(splits, max_bytes: int, seed: int = 0) -> list[dict]:
    """For each family a run compares with, the largest model whose int8 file fits `max_bytes`, trained and measured.

    Larger is more accurate at these sizes (README figures), so the largest that fits is the one to
    beat. The estimate is close, not exact: a model whose real file is too big gives way to the next
    size down. A family where even the smallest model is too big is left out.
    """
    from projnet.registry import input_kind

    found = []
    for family in RUN_BASELINES[input_kind(splits.x_train)]:
        if family == "cnn" and splits.layout != "image":  # a table's columns or a window's samples are no image
            continue
        for size in reversed(fitting_sizes(family, splits, max_bytes)):
            _, figures = train_baseline(BaselineSpec(family, size), splits, seed)
            if figures["size_bytes"] <= max_bytes:
                found.append(figures)
                break
    return found


def write_baseline(out: Path, tflite: bytes, figures: dict, splits) -> Path:
    """MODEL.tflite, its featurizer spec (text) and metrics.json in `out` (which must not hold another run)."""
    from projnet.atomic_io import atomic_write_bytes, atomic_write_json
    from projnet.export.text_export import write_featurizer_spec

    out.mkdir(parents=True, exist_ok=True)
    model_path = out / "baseline_int8.tflite"
    atomic_write_bytes(model_path, tflite)
    if splits.featurizer is not None:
        write_featurizer_spec(model_path, splits)
    atomic_write_json(out / "metrics.json", {"dataset": splits.name, "baseline": figures})
    return model_path
