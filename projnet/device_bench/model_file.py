"""Read and check a .tflite file, and list its operators, without TensorFlow."""

from __future__ import annotations

import struct
from pathlib import Path

from projnet.errors import ProjnetError

TFLITE_IDENTIFIER = b"TFL3"  # flatbuffer file identifier at bytes 4..8 of every TFLite model


def read_model(path: str | Path) -> bytes:
    """The model's bytes, or a one-line error for a missing, empty, non-TFLite or truncated file."""
    path = Path(path)
    if path.is_dir():
        raise ProjnetError(f"{path} is a folder, not a .tflite model")
    if not path.exists():
        raise ProjnetError(f"model file not found: {path}")
    if not path.is_file():  # /dev/null, a FIFO: reading it could block or give nothing
        raise ProjnetError(f"{path} is not a regular file, not a .tflite model")
    with open(path, "rb") as f:  # the header first: a 1 GB file that is not a model is refused unread
        head = f.read(8)
        if len(head) < 8 or head[4:8] != TFLITE_IDENTIFIER:
            raise ProjnetError(f"{path} is not a TFLite model (no 'TFL3' flatbuffer identifier)")
        data = head + f.read()
    root = int.from_bytes(data[0:4], "little")
    if root + 4 > len(data):
        raise ProjnetError(f"{path} is truncated ({len(data)} bytes; the flatbuffer points past its end)")
    return data


def _schema():
    """ai-edge-litert's flatbuffer schema, or None; never TensorFlow's copy (device_bench stays TF-free)."""
    try:
        from ai_edge_litert import schema_py_generated
    except ImportError:
        return None
    return schema_py_generated


def min_runtime_version(data: bytes) -> str | None:
    """The converter's `min_runtime_version` metadata: the oldest TFLite runtime that has every op version."""
    from projnet.device_bench.flatbuffer_reader import DamagedModel, metadata, root

    try:
        raw = metadata(root(data)).get("min_runtime_version")
    except (DamagedModel, struct.error):  # a damaged file: model_ops reports it
        return None
    return raw.split(b"\0", 1)[0].decode("ascii", "replace") or None if raw else None


def model_ops(data: bytes, where: str = "model") -> list[dict]:
    """Every operator in the main subgraph, in execution order: {"name", "builtin", "version"}.

    Read from the flatbuffer's operator codes (flatbuffer_reader.py, no schema package), not from an
    interpreter, because interpreters fold delegated ops into one DELEGATE node and refuse models with
    Flex or custom ops. A damaged flatbuffer is reported as such.
    """
    from projnet.device_bench.flatbuffer_reader import DamagedModel, graph_ops, root

    try:
        return graph_ops(root(data))
    except (DamagedModel, struct.error, RecursionError) as exc:
        raise ProjnetError(f"{where} is a damaged TFLite flatbuffer ({exc})") from None
