"""What is inside a .tflite: operators, inputs and outputs with dtypes and quantization, size."""

from __future__ import annotations

import struct
from collections import Counter
from pathlib import Path

from projnet.device_bench.model_file import min_runtime_version, model_ops, read_model
from projnet.device_bench.runtime import make_interpreter
from projnet.errors import ProjnetError


def describe_model(path: str | Path) -> dict:
    """Read from the flatbuffer alone (flatbuffer_reader.py), so that a model this machine's runtime
    refuses (Flex or custom ops, newer op versions) is still described; `loads_here` says whether it
    loads, and `load_error` why not."""
    from projnet.device_bench.flatbuffer_reader import (GRAPH_INPUTS, GRAPH_OUTPUTS, DamagedModel, graph_tensors,
                                                        metadata, root)
    from projnet.device_bench.metadata_reader import missing_metadata, read_model_metadata

    data = read_model(path)
    ops = model_ops(data, where=str(path))
    try:
        model = root(data)
        inputs, outputs = graph_tensors(model, GRAPH_INPUTS), graph_tensors(model, GRAPH_OUTPUTS)
        entries = sorted(metadata(model))
        found = read_model_metadata(data)
    except (DamagedModel, struct.error) as exc:
        raise ProjnetError(f"{path} is a damaged TFLite flatbuffer ({exc})") from None
    try:
        runtime, _ = make_interpreter(data, threads=1, use_xnnpack=False)
        load_error = None
    except ProjnetError as exc:  # described all the same: this is when a user needs the op list
        runtime, load_error = None, str(exc)
    return {
        "model": str(path), "size_bytes": len(data), "runtime": runtime, "loads_here": load_error is None,
        "load_error": load_error,
        "ops": [op["name"] for op in ops], "op_counts": dict(Counter(op["name"] for op in ops)),
        # the facts that predict a load failure on an older runtime (tflite-runtime 2.14 on a Pi, say)
        "op_versions": {name: max(op["version"] for op in ops if op["name"] == name) for name in dict.fromkeys(
            op["name"] for op in ops)},
        "min_runtime_version": min_runtime_version(data),
        "non_builtin_ops": sorted({op["name"] for op in ops if not op["builtin"]}),
        "metadata": entries, "inputs": inputs, "outputs": outputs,
        # TFLite Model Metadata (labels, normalization, featurizer), its files listed by size
        "model_metadata": None if found is None else {
            **{k: v for k, v in found.items() if k != "files"},
            "files": {name: len(content) for name, content in found["files"].items()}},
        "labels": _labels(found), "missing_metadata": missing_metadata(found) + _labels_mismatch(found, outputs),
    }


def _labels_mismatch(found: dict | None, outputs: list[dict]) -> list[str]:
    """A labels file whose names do not match the output's width would mislabel every answer."""
    labels = _labels(found)
    width = outputs[0]["shape"][-1] if outputs and outputs[0]["shape"] else None
    if labels and width is not None and len(labels) != width:
        return [f"labels that match the output (labels.txt names {len(labels)} classes, the output has {width})"]
    return []


def _labels(found: dict | None) -> list[str]:
    """The class names of the output's labels file, [] without one."""
    for tensor in (found or {}).get("outputs", []):
        for f in tensor["files"]:
            if f["type"] == "TENSOR_AXIS_LABELS" and f["name"] in found["files"]:
                return found["files"][f["name"]].decode("utf-8", "replace").splitlines()
    return []
