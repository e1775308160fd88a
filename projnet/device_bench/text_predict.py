"""Classify text with a text student .tflite and the featurizer spec shipped beside it; no TensorFlow.

    python -m projnet.device_bench.text_predict MODEL.tflite "where is my card?"   # or: projnet predict

The reference featurizer (text_featurizer.py) turns the text into the padded int32 ids the model
takes; the model's (possibly int8) logits are dequantized and turned into probabilities with a softmax.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from projnet.device_bench.model_file import read_model
from projnet.device_bench.runtime import make_interpreter
from projnet.device_bench.text_featurizer import FeaturizerSpec, as_text, featurize, load_spec, spec_path
from projnet.errors import ProjnetError


class EmptyText(ProjnetError):
    """A text the featurizer turns into no ids at all: nothing to classify."""


@dataclass
class TextClassifier:
    spec: FeaturizerSpec
    interpreter: object
    runtime: str
    input_index: int = 0
    output_index: int = 0
    output_quantization: tuple = (0.0, 0)  # (scale, zero point); scale 0: a float output

    @classmethod
    def load(cls, model_path: str | Path, spec_file: str | Path | None = None) -> "TextClassifier":
        spec_file = spec_file or spec_path(model_path)
        spec = load_spec(spec_file)
        model = read_model(model_path)
        digest = hashlib.sha256(model).hexdigest()
        if spec.model_sha256 and spec.model_sha256 != digest:
            raise ProjnetError(f"{spec_file} was exported beside another model (SHA-256 {spec.model_sha256[:12]}..., "
                               f"{model_path} is {digest[:12]}...): use the spec exported with this model")
        runtime, interpreter = make_interpreter(model, threads=1)
        (detail,) = interpreter.get_input_details()
        if np.dtype(detail["dtype"]) != np.int32 or list(detail["shape"][1:]) != [spec.max_ids]:
            raise ProjnetError(f"{model_path} takes {np.dtype(detail['dtype'])}{list(detail['shape'])}, not the "
                               f"(1, {spec.max_ids}) int32 ids its featurizer spec makes: not a text student")
        out = interpreter.get_output_details()[0]
        if int(out["shape"][-1]) != len(spec.labels):
            raise ProjnetError(f"{model_path} has {int(out['shape'][-1])} outputs but its spec lists "
                               f"{len(spec.labels)} labels")
        if list(detail["shape"]) != [1, spec.max_ids]:
            interpreter.resize_tensor_input(detail["index"], [1, spec.max_ids])
            interpreter.allocate_tensors()
        out = interpreter.get_output_details()[0]  # looked up once: the details are rebuilt on every call
        return cls(spec, interpreter, runtime, detail["index"], out["index"], tuple(out["quantization"]))

    def logits(self, ids: np.ndarray) -> np.ndarray:
        """(num_classes,) float logits of one (max_ids,) id row."""
        self.interpreter.set_tensor(self.input_index, ids[None, :])
        self.interpreter.invoke()
        raw = self.interpreter.get_tensor(self.output_index)[0]
        scale, zero_point = self.output_quantization
        return (raw.astype(np.float32) - zero_point) * scale if scale else raw.astype(np.float32)

    def predict(self, text: str | bytes, top_k: int = 3) -> dict:
        """The top-k labels with probabilities; empty text (nothing to featurize) is refused."""
        ids = featurize(text, self.spec)
        if not ids.any():
            raise EmptyText("empty text: it has no letters or digits to classify")
        logits = self.logits(ids)
        probs = np.exp(logits - logits.max())
        probs /= probs.sum()
        order = np.argsort(-probs, kind="stable")[:top_k]
        # cut at max_chars, or possibly at max_ids (a full row may also be exactly max_ids features long)
        truncated = len(as_text(text)) > self.spec.max_chars or bool(ids[-1])
        return {"text": as_text(text), "ids": int(np.count_nonzero(ids)), "truncated": truncated,
                "top": [{"label": self.spec.labels[i], "probability": round(float(probs[i]), 6)} for i in order]}
