"""Quantization-aware training, from the parent's side: hand the student to an isolated worker process.

TFMOT works on tf_keras (Keras 2) models only, and importing it sets TF_USE_LEGACY_KERAS=1 for the
whole process (DESIGN.md). So the Keras 3 student is written out as plain arrays (projection
constants, Dense weights) and `projnet.export.qat_worker` rebuilds it as a tf_keras twin in a
process of its own, fine-tunes its Dense layers with fake quantization towards the float student's
own soft outputs (self-distillation) and converts it to a full-integer int8 .tflite. Nothing in this process ever sees the legacy-Keras switch.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

import keras
import numpy as np

from projnet.data.splits import DatasetSplits
from projnet.errors import ProjnetError
from projnet.projection.layers import projection_layer
from projnet.trainer.joint_training import predict_logits

TFMOT_HINT = ("pip install --no-deps tf-keras==2.21.0 tensorflow-model-optimization dm-tree "
              "(TFMOT's own dependencies would pull a second TensorFlow)")


@dataclass
class QatSettings:
    epochs: int = 1  # the student is already trained: one epoch teaches its Dense layers the int8 grid
    learning_rate: float = 1e-4  # small: fine-tuning, not training
    max_rows: int = 20000  # fine-tuning rows drawn from the training split: enough for one epoch
    batch_size: int = 128
    seed: int = 0


def write_student_spec(student: keras.Model, folder: Path) -> None:
    """spec.json (backend, sizes, Dense widths) and arrays.npz (projection constants, Dense weights)."""
    projection = projection_layer(student)
    dense = [layer for layer in student.layers if isinstance(layer, keras.layers.Dense)]
    arrays = {f"projection_{w.name}": keras.ops.convert_to_numpy(w) for w in projection.weights}
    for i, layer in enumerate(dense):
        kernel, bias = layer.get_weights()
        arrays[f"dense_{i}_kernel"], arrays[f"dense_{i}_bias"] = kernel, bias
    spec = {"layer": type(projection).__name__, "config": projection.get_config(),
            "num_features": int(student.input.shape[-1]),
            "dense": [{"units": layer.units, "relu": layer.activation is keras.activations.relu} for layer in dense]}
    (folder / "spec.json").write_text(json.dumps(spec))
    np.savez(folder / "arrays.npz", **arrays)


def qat_in_subprocess(student: keras.Model, splits: DatasetSplits, representative: np.ndarray,
                      settings: QatSettings = QatSettings(), timeout_s: float = 1800.0) -> bytes:
    """The student fine-tuned with TFMOT's fake quantization, as full-integer int8 .tflite bytes."""
    rng = np.random.default_rng(settings.seed)
    rows = rng.permutation(len(splits.x_train))[:settings.max_rows]
    with tempfile.TemporaryDirectory(prefix="projnet-qat-") as tmp:
        folder = Path(tmp)
        write_student_spec(student, folder)
        x = splits.x_train[rows]
        # targets: the float student's own soft outputs, so fine-tuning recovers the float function
        # under fake quantization instead of drifting back towards the hard labels alone
        probabilities = keras.ops.convert_to_numpy(keras.ops.softmax(predict_logits(student, x)))  # (rows, classes)
        np.savez(folder / "data.npz", x=x, y=probabilities, representative=representative)
        (folder / "settings.json").write_text(json.dumps(vars(settings)))
        env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2"}
        try:
            done = subprocess.run([sys.executable, "-m", "projnet.export.qat_worker", str(folder)],
                                  capture_output=True, text=True, timeout=timeout_s, env=env)
        except subprocess.TimeoutExpired:
            raise ProjnetError(f"quantization-aware training did not finish in {timeout_s:g} s; its process was "
                               f"stopped and nothing was written") from None
        if done.returncode != 0:
            errors = [line for line in done.stderr.splitlines() if line.startswith("error: ")]
            reason = errors[-1][len("error: "):] if errors else f"the worker exited with status {done.returncode}"
            raise ProjnetError(f"quantization-aware training failed: {reason}")
        return (folder / "student_qat.tflite").read_bytes()
