"""`--teacher FILE.keras`: a model the user already trained, as the trainer the student learns from.

Any Keras 3 model whose input holds the data set's values (a flat row, or the same values shaped as an
image: H x W x C) and whose output has one value per class. Whether it outputs logits or
probabilities is read from its outputs on training rows (every row non-negative and summing to 1:
probabilities), and probabilities are turned back into logits, which the distillation loss expects.
Frozen by default (trainer.teacher_trainable = false): the joint loop then trains only the student.
"""

from __future__ import annotations

import math
from pathlib import Path

import keras
import numpy as np

from projnet.data.splits import DatasetSplits
from projnet.errors import ProjnetError
from projnet.projection.static_reshape import StaticReshape

PROBE_ROWS = 256
SUM_TOLERANCE = 1e-3
SMALLEST_PROBABILITY = 1e-7  # log(0) would give -inf logits


@keras.saving.register_keras_serializable(package="projnet")
class ProbabilitiesToLogits(keras.layers.Layer):
    """log(p): logits up to a constant per row, which softmax (and so the distillation loss) ignores."""

    def call(self, inputs):
        return keras.ops.log(keras.ops.maximum(inputs, SMALLEST_PROBABILITY))


def read_teacher(path: Path) -> keras.Model:
    from projnet.projection.layers import check_keras_file, register_all

    try:
        check_keras_file(path)
    except ProjnetError as exc:
        raise ProjnetError(f"--teacher {exc}") from None
    register_all()  # a projnet trainer.keras from another run is a teacher too
    try:
        model = keras.saving.load_model(path, compile=False)
    except Exception as exc:  # Keras raises ValueError, TypeError, OSError and more for a file it cannot rebuild
        raise ProjnetError(f"--teacher {path} is not a Keras model this Keras can load: "
                           f"{str(exc).splitlines()[0] if str(exc) else type(exc).__name__}") from None
    if len(model.inputs) != 1 or len(model.outputs) != 1:
        raise ProjnetError(f"--teacher {path} has {len(model.inputs)} inputs and {len(model.outputs)} outputs; "
                           f"a teacher takes one input and gives one output")
    return model


def outputs_probabilities(outputs: np.ndarray) -> bool:
    return bool(outputs.min() >= 0 and outputs.max() <= 1 + SUM_TOLERANCE
                and np.all(np.abs(outputs.sum(axis=1) - 1) < SUM_TOLERANCE))


def load_teacher(path: Path, splits: DatasetSplits, trainable: bool) -> tuple[keras.Model, dict]:
    """(the teacher wrapped to take flat rows and give logits, what metrics.json says of it)."""
    model = read_teacher(path)
    shape = tuple(model.inputs[0].shape[1:])
    values = math.prod(int(n) for n in shape) if all(n is not None for n in shape) else None
    if values != splits.num_features:
        raise ProjnetError(f"--teacher {path} takes inputs of shape {shape} but {splits.name} has rows of "
                           f"{splits.num_features} values ({'x'.join(map(str, splits.image_shape))})")
    classes = model.outputs[0].shape[-1]
    if len(model.outputs[0].shape) != 2 or classes != splits.num_classes:
        raise ProjnetError(f"--teacher {path} outputs shape {tuple(model.outputs[0].shape[1:])} but {splits.name} "
                           f"has {splits.num_classes} classes")
    probe = splits.x_train[:PROBE_ROWS].reshape(-1, *shape)
    probabilities = outputs_probabilities(np.asarray(model(probe, training=False)))
    model.trainable = trainable
    rows = keras.Input((splits.num_features,), name="features")
    x = StaticReshape(shape)(rows) if len(shape) > 1 else rows
    x = model(x, training=False if not trainable else None)
    if probabilities:
        x = ProbabilitiesToLogits(name="to_logits")(x)
    wrapped = keras.Model(rows, x, name="teacher")
    return wrapped, teacher_record(path, wrapped, trainable)


def teacher_record(path: Path, wrapped: keras.Model, trainable: bool) -> dict:
    """What metrics.json says of a teacher; also for `projnet export`, from the saved trainer.keras."""
    from projnet.data.file_records import file_record

    probabilities = any(isinstance(layer, ProbabilitiesToLogits) for layer in wrapped.layers)
    inner = [layer for layer in wrapped.layers if isinstance(layer, keras.Model)]
    record = file_record(path) if path.is_file() else {"path": str(path), "bytes": None, "sha256": None}
    return {**record, "outputs": "probabilities" if probabilities else "logits", "trainable": trainable,
            "params": (inner[0] if inner else wrapped).count_params()}
