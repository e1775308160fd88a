"""Read a .tflite's TFLite Model Metadata and its associated files in plain Python (no TensorFlow, no
tflite-support): what `projnet inspect` shows and what `projnet predict` takes its labels and featurizer
from. The field numbers follow metadata_schema.fbs (export/model_metadata.py writes the same layout);
a union takes two fields, its type then its table.
"""

from __future__ import annotations

import io
import struct
import zipfile

from projnet.device_bench.flatbuffer_reader import DamagedModel, Table, metadata, root

# the names projnet's writer uses (export/model_metadata.py), defined here because readers run without TensorFlow
METADATA_ENTRY, METADATA_IDENTIFIER = "TFLITE_METADATA", b"M001"
LABELS_FILE, FEATURIZER_FILE = "labels.txt", "featurizer.json"
FEATURIZER_SHA_PREFIX = "sha256 "  # the featurizer file's description ends "sha256 <hex>"
FILE_TYPES = {0: "UNKNOWN", 1: "DESCRIPTIONS", 2: "TENSOR_AXIS_LABELS", 3: "TENSOR_VALUE_LABELS",
              4: "TENSOR_AXIS_SCORE_CALIBRATION", 5: "VOCABULARY", 6: "SCANN_INDEX_FILE"}
COLOR_SPACES = {0: "UNKNOWN", 1: "RGB", 2: "GRAYSCALE"}
CONTENT_IMAGE, OPTIONS_NORMALIZATION = 2, 1


def _text(table: Table, field: int) -> str:
    return (table.string(field) or b"").decode("utf-8", "replace")


def _files(table: Table, field: int) -> list[dict]:
    return [{"name": _text(f, 0), "description": _text(f, 1), "type": FILE_TYPES.get(f.scalar(2, "b", 0), "?")}
            for f in table.tables(field)]


def _tensor(table: Table) -> dict:
    found = {"name": _text(table, 0), "description": _text(table, 1), "files": _files(table, 6)}
    content = table.table(3)
    if content is not None and content.scalar(0, "B", 0) == CONTENT_IMAGE:
        image = content.table(1)
        size = image.table(1) if image else None
        found["image"] = {"color_space": COLOR_SPACES.get(image.scalar(0, "b", 0), "?") if image else "?",
                          "size": [size.scalar(0, "I", 0), size.scalar(1, "I", 0)] if size else None}
    for unit in table.tables(4):
        options = unit.table(1)
        if unit.scalar(0, "B", 0) == OPTIONS_NORMALIZATION and options is not None:
            found["normalization"] = {"mean": options.vector(0, "f"), "std": options.vector(1, "f")}
    stats = table.table(5)
    if stats is not None:
        found["range"] = {"min": stats.vector(1, "f"), "max": stats.vector(0, "f")}
    return found


def read_model_metadata(data: bytes) -> dict | None:
    """The model's metadata as a dict, or None when it has none. Raises DamagedModel for a damaged one.

    {"name", "description", "version", "author", "license", "min_parser_version", "inputs": [...],
     "outputs": [...], "files": {name: bytes of each associated file found in the appended zip}}
    """
    try:
        buffer = metadata(root(data)).get(METADATA_ENTRY)
    except struct.error as exc:
        raise DamagedModel(str(exc)) from None
    if buffer is None:
        return None
    if buffer[4:8] != METADATA_IDENTIFIER:
        raise DamagedModel(f"its {METADATA_ENTRY} buffer is not TFLite Model Metadata (no 'M001' identifier)")
    try:
        model = root(buffer)
        graphs = model.tables(3)
        found = {"name": _text(model, 0), "description": _text(model, 1), "version": _text(model, 2),
                 "author": _text(model, 4), "license": _text(model, 5), "min_parser_version": _text(model, 7),
                 "inputs": [_tensor(t) for t in graphs[0].tables(2)] if graphs else [],
                 "outputs": [_tensor(t) for t in graphs[0].tables(3)] if graphs else []}
    except struct.error as exc:
        raise DamagedModel(f"its metadata: {exc}") from None
    found["files"] = associated_files(data)
    return found


def associated_files(data: bytes) -> dict[str, bytes]:
    """The files zipped onto the end of the model (none if there is no zip)."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            return {name: archive.read(name) for name in archive.namelist()}
    except (zipfile.BadZipFile, OSError, EOFError):
        return {}


def missing_metadata(found: dict | None) -> list[str]:
    """What a deployment tool would look for and not find: [] for a complete student's metadata."""
    if found is None:
        return ["TFLite Model Metadata (labels, input normalization)"]
    named = [f["name"] for t in (*found["inputs"], *found["outputs"]) for f in t["files"]]
    missing = [f"associated file {name}" for name in named if name not in found["files"]]
    if not any(f["type"] == "TENSOR_AXIS_LABELS" for t in found["outputs"] for f in t["files"]):
        missing.append("a labels file on the output")
    return missing
