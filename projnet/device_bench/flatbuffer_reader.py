"""Read a .tflite flatbuffer in plain Python: operators, tensors, metadata, with no schema package.

A device with only tflite-runtime has no TFLite schema module (ai-edge-litert ships one, tflite-runtime
does not), and an interpreter refuses a model with Flex or custom ops before anyone can see its op
list. So `projnet inspect` reads the few tables it needs itself. The layout is the flatbuffers one:
a table starts with an int32 offset back to its vtable, whose uint16 entries give each field's
offset inside the table (0: absent, use the default); references (tables, vectors, strings) are uint32
offsets from where they are stored. Field numbers follow TFLite's schema.fbs. Every read is bounds-
checked: a damaged file raises DamagedModel, never reads past the buffer.
"""

from __future__ import annotations

import struct

from projnet.device_bench.tflite_enums import BUILTIN_OPERATORS, TENSOR_TYPES

CUSTOM_OPCODE = 32  # BuiltinOperator.CUSTOM: Flex (select TF) ops are custom ops named "Flex..."
# schema.fbs field numbers
MODEL_OPERATOR_CODES, MODEL_SUBGRAPHS, MODEL_BUFFERS, MODEL_METADATA = 1, 2, 4, 6
CODE_DEPRECATED_BUILTIN, CODE_CUSTOM, CODE_VERSION, CODE_BUILTIN = 0, 1, 2, 3
GRAPH_TENSORS, GRAPH_INPUTS, GRAPH_OUTPUTS, GRAPH_OPERATORS = 0, 1, 2, 3
TENSOR_SHAPE, TENSOR_TYPE, TENSOR_NAME, TENSOR_QUANTIZATION = 0, 1, 3, 4
QUANT_SCALE, QUANT_ZERO_POINT = 2, 3
OPERATOR_OPCODE_INDEX, OPERATOR_INPUTS, OPERATOR_OUTPUTS = 0, 1, 2
BUFFER_DATA = 0
METADATA_NAME, METADATA_BUFFER = 0, 1


class DamagedModel(Exception):
    """The flatbuffer points outside itself or holds impossible values."""


class Table:
    def __init__(self, buf: bytes, pos: int):
        self.buf, self.pos = buf, pos
        self.vtable = pos - _unpack(buf, "<i", pos)
        self.vtable_size = _unpack(buf, "<H", self.vtable)

    def _field(self, number: int) -> int:
        entry = 4 + 2 * number
        if entry >= self.vtable_size:
            return 0
        offset = _unpack(self.buf, "<H", self.vtable + entry)
        return self.pos + offset if offset else 0

    def scalar(self, number: int, fmt: str, default):
        where = self._field(number)
        return _unpack(self.buf, "<" + fmt, where) if where else default

    def _ref(self, number: int) -> int:
        where = self._field(number)
        return where + _unpack(self.buf, "<I", where) if where else 0

    def table(self, number: int) -> "Table | None":
        where = self._ref(number)
        return Table(self.buf, where) if where else None

    def string(self, number: int) -> bytes | None:
        where = self._ref(number)
        return _bytes(self.buf, where) if where else None

    def vector(self, number: int, fmt: str) -> list:
        where = self._ref(number)
        if not where:
            return []
        length, size = _unpack(self.buf, "<I", where), struct.calcsize(fmt)
        _check(self.buf, where + 4, length * size)
        return list(struct.unpack_from(f"<{length}{fmt}", self.buf, where + 4))

    def tables(self, number: int) -> list["Table"]:
        where = self._ref(number)
        if not where:
            return []
        length = _unpack(self.buf, "<I", where)
        _check(self.buf, where + 4, 4 * length)
        starts = [where + 4 + 4 * i for i in range(length)]
        return [Table(self.buf, s + _unpack(self.buf, "<I", s)) for s in starts]


def _check(buf: bytes, pos: int, size: int) -> None:
    if pos < 0 or size < 0 or pos + size > len(buf):
        raise DamagedModel(f"a reference to bytes {pos}..{pos + size} of a {len(buf)}-byte file")


def _unpack(buf: bytes, fmt: str, pos: int):
    _check(buf, pos, struct.calcsize(fmt))
    return struct.unpack_from(fmt, buf, pos)[0]


def _bytes(buf: bytes, pos: int) -> bytes:
    length = _unpack(buf, "<I", pos)
    _check(buf, pos + 4, length)
    return bytes(buf[pos + 4:pos + 4 + length])


def root(buf: bytes) -> Table:
    return Table(buf, _unpack(buf, "<I", 0))


def operator_codes(model: Table) -> list[dict]:
    codes = []
    for code in model.tables(MODEL_OPERATOR_CODES):
        # old files set only the int8 deprecated field, new ones both: the larger is the real code
        builtin = max(code.scalar(CODE_BUILTIN, "i", 0), code.scalar(CODE_DEPRECATED_BUILTIN, "b", 0))
        version = code.scalar(CODE_VERSION, "i", 1)
        if builtin == CUSTOM_OPCODE:
            name = (code.string(CODE_CUSTOM) or b"?").decode("utf-8", "replace")
            codes.append({"name": name, "builtin": False, "version": version})
        else:
            codes.append({"name": BUILTIN_OPERATORS.get(builtin, f"BUILTIN_{builtin}"), "builtin": True,
                          "version": version})
    return codes


def main_graph(model: Table) -> Table:
    graphs = model.tables(MODEL_SUBGRAPHS)
    if not graphs:
        raise DamagedModel("no subgraph")
    return graphs[0]


def graph_ops(model: Table) -> list[dict]:
    """The main subgraph's operators in execution order."""
    codes = operator_codes(model)
    ops = []
    for operator in main_graph(model).tables(GRAPH_OPERATORS):
        index = operator.scalar(OPERATOR_OPCODE_INDEX, "I", 0)
        if index >= len(codes):
            raise DamagedModel(f"operator code {index} of {len(codes)}")
        ops.append(codes[index])
    return ops


def tensor_info(tensor: Table) -> dict:
    quantization = tensor.table(TENSOR_QUANTIZATION)
    scales = quantization.vector(QUANT_SCALE, "f") if quantization else []
    zero_points = quantization.vector(QUANT_ZERO_POINT, "q") if quantization else []
    kind = tensor.scalar(TENSOR_TYPE, "b", 0)
    return {"name": (tensor.string(TENSOR_NAME) or b"").decode("utf-8", "replace"),
            "shape": tensor.vector(TENSOR_SHAPE, "i"),
            "dtype": TENSOR_TYPES.get(kind, f"TYPE_{kind}").lower(),
            # per-tensor as interpreters report it; per-channel tensors give their first channel's
            "quantization": {"scale": float(scales[0]), "zero_point": int(zero_points[0] if zero_points else 0)}
            if scales else None}


def graph_tensors(model: Table, which: int) -> list[dict]:
    graph = main_graph(model)
    tensors = graph.tables(GRAPH_TENSORS)
    found = []
    for index in graph.vector(which, "i"):
        if not 0 <= index < len(tensors):
            raise DamagedModel(f"tensor {index} of {len(tensors)}")
        found.append(tensor_info(tensors[index]))
    return found


def metadata(model: Table) -> dict[str, bytes]:
    """Each metadata entry's name -> its buffer's bytes (min_runtime_version, TFLite Model Metadata, ...)."""
    buffers = model.tables(MODEL_BUFFERS)
    found = {}
    for entry in model.tables(MODEL_METADATA):
        index = entry.scalar(METADATA_BUFFER, "I", 0)
        if index >= len(buffers):
            raise DamagedModel(f"metadata buffer {index} of {len(buffers)}")
        data = buffers[index].vector(BUFFER_DATA, "B")
        found[(entry.string(METADATA_NAME) or b"").decode("utf-8", "replace")] = bytes(data)
    return found


def dequantized_output_scale(model: Table) -> float:
    """The int8 scale behind a float output made by a final DEQUANTIZE (a full-integer model that gives
    float32, as image students do), else 0.0: its values move in steps of that scale between kernels."""
    graph, codes = main_graph(model), operator_codes(model)
    tensors, outputs = graph.tables(GRAPH_TENSORS), graph.vector(GRAPH_OUTPUTS, "i")
    for operator in graph.tables(GRAPH_OPERATORS):
        index = operator.scalar(OPERATOR_OPCODE_INDEX, "I", 0)
        if outputs and outputs[0] in operator.vector(OPERATOR_OUTPUTS, "i") and index < len(codes) \
                and codes[index]["name"] == "DEQUANTIZE":
            source = operator.vector(OPERATOR_INPUTS, "i")[0]
            quantization = tensor_info(tensors[source])["quantization"] if 0 <= source < len(tensors) else None
            return quantization["scale"] if quantization else 0.0
    return 0.0
