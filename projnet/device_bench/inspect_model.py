"""What is inside a .tflite: operators, inputs and outputs with dtypes and quantization, size."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import numpy as np

from projnet.device_bench.model_file import min_runtime_version, model_ops, read_model
from projnet.device_bench.runtime import make_interpreter


def _tensor(detail: dict) -> dict:
    scale, zero_point = detail["quantization"]
    return {"name": detail["name"], "shape": [int(s) for s in detail["shape"]],
            "dtype": np.dtype(detail["dtype"]).name,
            "quantization": {"scale": float(scale), "zero_point": int(zero_point)} if scale else None}


def describe_model(path: str | Path) -> dict:
    data = read_model(path)
    ops = model_ops(data, where=str(path))
    runtime, interpreter = make_interpreter(data, threads=1, use_xnnpack=False)
    return {
        "model": str(path), "size_bytes": len(data), "runtime": runtime,
        "ops": [op["name"] for op in ops], "op_counts": dict(Counter(op["name"] for op in ops)),
        # the facts that predict a load failure on an older runtime (tflite-runtime 2.14 on a Pi, say)
        "op_versions": {name: max(op["version"] for op in ops if op["name"] == name) for name in dict.fromkeys(
            op["name"] for op in ops)},
        "min_runtime_version": min_runtime_version(data),
        "non_builtin_ops": sorted({op["name"] for op in ops if not op["builtin"]}),
        "inputs": [_tensor(d) for d in interpreter.get_input_details()],
        "outputs": [_tensor(d) for d in interpreter.get_output_details()],
    }
