"""Export an lsh student: convert its Dense head, then write LSH_PROJECTION in front of it in the flatbuffer.

The converter cannot emit LSH_PROJECTION (op code 15), so the student's layers after the projection
are converted alone (batch 1, input: T * d float bits) and the projection is spliced in front with
ai-edge-litert's flatbuffer object API:

    x float32 [1, D] -> SUB(center) -> RESHAPE [D] -> LSH_PROJECTION(seeds [T, d], ids [D], weights)
      -> int32 [T * d] -> CAST float32 -> RESHAPE [1, T * d] -> (the converted head)

The op has no batch dimension, so the model takes one row per invoke.
"""

from __future__ import annotations

import flatbuffers
import keras
import numpy as np

from projnet.device_bench.model_file import _schema
from projnet.export import converter
from projnet.errors import ProjnetError
from projnet.projection.layers import projection_layer


def head_model(student: keras.Model) -> keras.Model:
    """The student's layers after its projection, as a model of fixed batch 1 taking the bits."""
    projection = projection_layer(student)
    x = inputs = keras.Input((projection.num_bits,), batch_size=1, name="bits")
    for layer in student.layers[student.layers.index(projection) + 1:]:
        x = layer(x)
    if x is inputs:  # the projection alone: an identity head, whose input tensor is its output
        x = keras.layers.Identity(name="bits_out")(x)
    return keras.Model(inputs, x, name="student_head")


class _Graph:
    """Appends buffers, tensors and operators to an unpacked model's main subgraph."""

    def __init__(self, model, schema):
        self.model, self.schema, self.graph = model, schema, model.subgraphs[0]
        self.new_ops = []

    def tensor(self, name: str, shape: list[int], dtype: int, data: np.ndarray | None = None) -> int:
        buffer = 0
        if data is not None:
            entry = self.schema.BufferT()
            entry.data = np.ascontiguousarray(data).view(np.uint8).reshape(-1).tolist()
            self.model.buffers.append(entry)
            buffer = len(self.model.buffers) - 1
        t = self.schema.TensorT()
        t.shape, t.type, t.buffer, t.name = list(shape), dtype, buffer, name
        self.graph.tensors.append(t)
        return len(self.graph.tensors) - 1

    def op(self, builtin: int, inputs: list[int], outputs: list[int], options_type: int = 0, options=None) -> None:
        codes = self.model.operatorCodes
        index = next((i for i, c in enumerate(codes) if max(c.builtinCode, c.deprecatedBuiltinCode) == builtin), None)
        if index is None:
            code = self.schema.OperatorCodeT()
            code.builtinCode, code.deprecatedBuiltinCode, code.version = builtin, min(builtin, 127), 1
            codes.append(code)
            index = len(codes) - 1
        op = self.schema.OperatorT()
        op.opcodeIndex, op.inputs, op.outputs = index, inputs, outputs
        op.builtinOptionsType, op.builtinOptions = options_type, options
        self.new_ops.append(op)


def splice_lsh(head: bytes, seeds: np.ndarray, center: np.ndarray) -> bytes:
    """The head .tflite with the float input x [1, D] and the LSH projection written in front of it."""
    schema = _schema()
    model = schema.ModelT.InitFromPackedBuf(bytearray(head), 0)
    g = _Graph(model, schema)
    types, ops, options = schema.TensorType, schema.BuiltinOperator, schema.BuiltinOptions
    (head_input,) = g.graph.inputs
    num_features, num_bits = len(center), seeds.size
    x = g.tensor("features", [1, num_features], types.FLOAT32)
    centered = g.tensor("centered", [1, num_features], types.FLOAT32)
    g.op(ops.SUB, [x, g.tensor("center", [num_features], types.FLOAT32, center.astype("<f4"))], [centered],
         options.SubOptions, schema.SubOptionsT())
    flat = g.tensor("weights", [num_features], types.FLOAT32)
    reshape = schema.ReshapeOptionsT()
    reshape.newShape = [num_features]
    g.op(ops.RESHAPE, [centered, g.tensor("flat_shape", [1], types.INT32, np.array([num_features], "<i4"))], [flat],
         options.ReshapeOptions, reshape)
    bits = g.tensor("lsh_bits", [num_bits], types.INT32)
    lsh = schema.LSHProjectionOptionsT()
    lsh.type = schema.LSHProjectionType.DENSE
    g.op(ops.LSH_PROJECTION, [g.tensor("seeds", list(seeds.shape), types.FLOAT32, seeds.astype("<f4")),
                              g.tensor("feature_ids", [num_features], types.INT32, np.arange(num_features, dtype="<i4")),
                              flat], [bits], options.LSHProjectionOptions, lsh)
    bits_float = g.tensor("lsh_bits_float", [num_bits], types.FLOAT32)
    g.op(ops.CAST, [bits], [bits_float], options.CastOptions, schema.CastOptionsT())
    reshape = schema.ReshapeOptionsT()
    reshape.newShape = [1, num_bits]
    g.op(ops.RESHAPE, [bits_float, g.tensor("row_shape", [2], types.INT32, np.array([1, num_bits], "<i4"))],
         [head_input], options.ReshapeOptions, reshape)
    g.graph.operators = g.new_ops + list(g.graph.operators or [])
    g.graph.inputs = [x]
    for signature in model.signatureDefs or []:
        for entry in signature.inputs or []:
            entry.tensorIndex, entry.name = x, "features"
    builder = flatbuffers.Builder(len(head) + 4 * (seeds.size + 3 * num_features) + 4096)
    builder.Finish(model.Pack(builder), file_identifier=b"TFL3")
    return bytes(builder.Output())


def convert_lsh_student(student: keras.Model, mode: str) -> bytes:
    """The lsh student as .tflite in `mode` (float, dynamic or float16: the op hashes float inputs)."""
    projection = projection_layer(student)
    if mode not in ("float", "dynamic", "float16"):
        raise ProjnetError(f"the lsh backend exports float, dynamic or float16, not {mode}")
    head = head_model(student)  # the projection alone (bit-parity checks) converts to an empty head: fine
    seeds = keras.ops.convert_to_numpy(projection.seeds)
    convert_head = {"float": converter.convert_float, "dynamic": converter.convert_dynamic,
                    "float16": converter.convert_float16}[mode]
    return splice_lsh(convert_head(head, "student head"), seeds,
                      keras.ops.convert_to_numpy(projection.center))
