"""The QAT worker: run as `python -m projnet.export.qat_worker FOLDER`, in a process of its own.

Importing TFMOT sets TF_USE_LEGACY_KERAS=1 for this process, which is why this module never runs
inside the caller (projnet/export/qat.py). It rebuilds the student as a tf_keras model from the
folder's spec.json and arrays.npz (the projection as a constant-only layer with the same tf ops, so
its bits are the Keras 3 layer's), annotates only its Dense layers for quantization, fine-tunes
them towards the float student's soft outputs in data.npz and writes a full-integer int8
`student_qat.tflite` into the folder.
"""

from __future__ import annotations

import json
import os
import sys
import warnings
from pathlib import Path

import numpy as np


def projection_bits(x, arrays: dict, spec: dict):
    """The projection's bits with tf ops only, from the stored constants (BitProjection or StructuredProjection)."""
    import tensorflow as tf

    from projnet.projection.structured_projection import signed_hadamard

    if spec["layer"] == "BitProjection":
        projected = tf.matmul(x, arrays["projection_hyperplanes"])  # (batch, T * d)
    elif spec["layer"] == "StructuredProjection":
        bits = spec["config"]["num_functions"] * spec["config"]["bits_per_function"]
        projected = signed_hadamard(x, tf.constant(arrays["projection_signs"]), bits)  # (batch, T * d)
    else:
        raise ValueError(f"QAT has no twin for the projection layer {spec['layer']}")
    return tf.cast(projected + arrays["projection_offsets"] > 0.0, tf.float32)  # (batch, T * d) bits


def build_twin(spec: dict, arrays: dict):
    """The student as a tf_keras model whose Dense layers are annotated for quantization."""
    import tensorflow_model_optimization as tfmot
    import tf_keras

    class ProjectionTwin(tf_keras.layers.Layer):
        def call(self, inputs):
            return projection_bits(inputs, arrays, spec)

    annotate = tfmot.quantization.keras.quantize_annotate_layer
    inputs = tf_keras.Input((spec["num_features"],), name="features")
    x = ProjectionTwin(name="bit_projection")(inputs)
    layers = []
    for i, dense in enumerate(spec["dense"]):
        layers.append(tf_keras.layers.Dense(dense["units"], activation="relu" if dense["relu"] else None,
                                            name=f"dense_{i}"))
        x = annotate(layers[-1])(x)
    model = tf_keras.Model(inputs, x)
    for i, layer in enumerate(layers):
        layer.set_weights([arrays[f"dense_{i}_kernel"], arrays[f"dense_{i}_bias"]])
    with tfmot.quantization.keras.quantize_scope({"ProjectionTwin": ProjectionTwin}):
        return tfmot.quantization.keras.quantize_apply(model)


def convert_qat(model, representative: np.ndarray) -> bytes:
    import tensorflow as tf

    converter = tf.lite.TFLiteConverter.from_keras_model(model)
    converter.optimizations = [tf.lite.Optimize.DEFAULT]
    converter.representative_dataset = lambda: ([row[None, :]] for row in representative.astype(np.float32))
    converter.target_spec.supported_ops = [tf.lite.OpsSet.TFLITE_BUILTINS_INT8]
    converter.inference_input_type = tf.int8
    converter.inference_output_type = tf.int8
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return converter.convert()


def main(folder: Path) -> None:
    import tf_keras

    spec = json.loads((folder / "spec.json").read_text())
    settings = json.loads((folder / "settings.json").read_text())
    arrays = dict(np.load(folder / "arrays.npz"))
    data = np.load(folder / "data.npz")
    tf_keras.utils.set_random_seed(settings["seed"])
    model = build_twin(spec, arrays)
    model.compile(optimizer=tf_keras.optimizers.Adam(settings["learning_rate"]),
                  loss=tf_keras.losses.CategoricalCrossentropy(from_logits=True))  # y: soft targets
    model.fit(data["x"], data["y"], batch_size=settings["batch_size"], epochs=settings["epochs"], verbose=0)
    (folder / "student_qat.tflite").write_bytes(convert_qat(model, data["representative"]))


if __name__ == "__main__":
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    try:
        import tensorflow_model_optimization  # noqa: F401  sets TF_USE_LEGACY_KERAS=1, here only
    except ImportError:
        from projnet.export.qat import TFMOT_HINT

        print(f"error: qat needs TFMOT on tf_keras: {TFMOT_HINT}", file=sys.stderr)
        sys.exit(1)
    try:
        main(Path(sys.argv[1]))
    except Exception as exc:  # one line for the parent, which turns it into a ProjnetError
        print(f"error: {type(exc).__name__}: {str(exc).strip().splitlines()[0] if str(exc).strip() else ''}",
              file=sys.stderr)
        sys.exit(1)
