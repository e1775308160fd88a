"""Classify text with a text student .tflite and the featurizer spec shipped beside it; no TensorFlow.

    python -m projnet.device_bench.text_predict MODEL.tflite "where is my card?"   # or: projnet predict

The reference featurizer (text_featurizer.py) turns the text into the padded int32 ids the model
takes; the model's (possibly int8) logits are dequantized and turned into probabilities with a softmax.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from projnet.device_bench.metadata_reader import FEATURIZER_FILE, FEATURIZER_SHA_PREFIX
from projnet.device_bench.model_file import read_model
from projnet.device_bench.runtime import make_interpreter
from projnet.device_bench.text_featurizer import (FeaturizerSpec, as_text, checked_spec, featurize, featurizer_sha256,
                                                  load_spec, spec_path)
from projnet.errors import ProjnetError


class EmptyText(ProjnetError):
    """A text the featurizer turns into no ids at all: nothing to classify."""


def featurizer_for(model: bytes, model_path, spec_file) -> tuple[FeaturizerSpec, str]:
    """The featurizer a text student needs: a spec file (given, or MODEL.featurizer.json beside the model),
    which must be the one the model's metadata names (same SHA-256), else the copy inside the model."""
    from projnet.device_bench.flatbuffer_reader import DamagedModel
    from projnet.device_bench.metadata_reader import read_model_metadata

    try:
        found = read_model_metadata(model)
    except DamagedModel as exc:
        raise ProjnetError(f"{model_path}: damaged metadata ({exc})") from None
    named = [f for t in (found or {}).get("inputs", []) for f in t["files"] if f["name"] == FEATURIZER_FILE]
    recorded = named[0]["description"].rsplit(FEATURIZER_SHA_PREFIX, 1)[-1].strip() if named else None
    beside = Path(spec_file or spec_path(model_path))
    if spec_file is None and not beside.exists() and named:
        inside = (found["files"] or {}).get(FEATURIZER_FILE)
        if inside is None:
            raise ProjnetError(f"{model_path}: its metadata names {FEATURIZER_FILE} but the file is not inside it")
        if hashlib.sha256(inside).hexdigest() != recorded:
            raise ProjnetError(f"{model_path}: the {FEATURIZER_FILE} inside it does not match the SHA-256 its "
                               f"metadata records")
        return checked_spec(json.loads(inside), f"{model_path} ({FEATURIZER_FILE})"), str(model_path)
    if spec_file is None and not beside.exists():
        what = "its metadata names no featurizer" if found else "it has no TFLite metadata"
        raise ProjnetError(f"featurizer spec not found: {beside} ({what}); export writes it beside the .tflite")
    spec = load_spec(beside)
    if recorded:
        digest = featurizer_sha256(json.loads(beside.read_text(encoding="utf-8")))
        if digest != recorded:
            raise ProjnetError(f"{beside} is another featurizer than the one {model_path}'s metadata names "
                               f"(SHA-256 {digest[:12]}..., the model's {recorded[:12]}...)")
    return spec, str(beside)


@dataclass
class TextClassifier:
    spec: FeaturizerSpec
    interpreter: object
    runtime: str
    input_index: int = 0
    output_index: int = 0
    output_quantization: tuple = (0.0, 0)  # (scale, zero point); scale 0: a float output
    spec_source: str = ""  # the spec file, or the model itself when its metadata carried the featurizer
    missing_metadata: tuple = ()  # what the model's TFLite metadata lacks (metadata_reader.missing_metadata)

    @classmethod
    def load(cls, model_path: str | Path, spec_file: str | Path | None = None) -> "TextClassifier":
        model = read_model(model_path)
        spec, spec_file = featurizer_for(model, model_path, spec_file)
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
        from projnet.device_bench.metadata_reader import missing_metadata, read_model_metadata

        return cls(spec, interpreter, runtime, detail["index"], out["index"], tuple(out["quantization"]), spec_file,
                   tuple(missing_metadata(read_model_metadata(model))))

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
