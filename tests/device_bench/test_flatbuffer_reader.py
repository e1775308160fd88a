"""The schema-free flatbuffer reader agrees with ai-edge-litert's schema and interpreter on real models,
and lets `inspect` describe a model that no interpreter here loads (Flex ops)."""

import numpy as np
import pytest

from projnet.device_bench.flatbuffer_reader import BUILTIN_OPERATORS, TENSOR_TYPES
from projnet.device_bench.inspect_model import describe_model


def test_the_enum_tables_are_the_schemas():
    from ai_edge_litert import schema_py_generated as schema

    assert BUILTIN_OPERATORS == {v: k for k, v in vars(schema.BuiltinOperator).items() if not k.startswith("_")}
    assert TENSOR_TYPES == {v: k for k, v in vars(schema.TensorType).items() if not k.startswith("_")}


def schema_ops(data: bytes) -> list[dict]:
    """The operators as ai-edge-litert's generated schema reads them."""
    from ai_edge_litert import schema_py_generated as schema

    model = schema.Model.GetRootAsModel(data, 0)
    codes = []
    for i in range(model.OperatorCodesLength()):
        code = model.OperatorCodes(i)
        builtin = max(code.BuiltinCode(), code.DeprecatedBuiltinCode())
        name = (code.CustomCode() or b"?").decode() if builtin == 32 else BUILTIN_OPERATORS[builtin]
        codes.append({"name": name, "builtin": builtin != 32, "version": code.Version()})
    graph = model.Subgraphs(0)
    return [codes[graph.Operators(i).OpcodeIndex()] for i in range(graph.OperatorsLength())]


def test_reader_matches_the_schema_and_the_interpreter(digits_run):
    from projnet.device_bench.model_file import model_ops
    from projnet.device_bench.runtime import make_interpreter

    for path in sorted(digits_run.glob("*.tflite")):
        data = path.read_bytes()
        assert model_ops(data) == schema_ops(data), path.name
        info = describe_model(path)
        _, interpreter = make_interpreter(data)
        for ours, theirs in zip(info["inputs"] + info["outputs"],
                                interpreter.get_input_details() + interpreter.get_output_details()):
            assert ours["name"] == theirs["name"] and ours["shape"] == [int(n) for n in theirs["shape"]]
            assert ours["dtype"] == np.dtype(theirs["dtype"]).name
            scale, zero_point = theirs["quantization"]
            assert ours["quantization"] == ({"scale": pytest.approx(scale), "zero_point": zero_point} if scale else None)
        assert info["loads_here"] and "min_runtime_version" in info["metadata"]


def test_a_flex_model_is_described_although_nothing_here_loads_it(tmp_path):
    import tensorflow as tf

    @tf.function(input_signature=[tf.TensorSpec([1, 4], tf.float32)])
    def model(x):
        return tf.raw_ops.Bincount(arr=tf.cast(x, tf.int32), size=5, weights=tf.zeros([0], tf.float32))

    converter = tf.lite.TFLiteConverter.from_concrete_functions([model.get_concrete_function()], model)
    converter.target_spec.supported_ops = [tf.lite.OpsSet.TFLITE_BUILTINS, tf.lite.OpsSet.SELECT_TF_OPS]
    path = tmp_path / "flex.tflite"
    path.write_bytes(converter.convert())
    info = describe_model(path)
    assert info["non_builtin_ops"] == ["FlexBincount"] and not info["loads_here"]
    assert "cannot load the model" in info["load_error"] and info["inputs"][0]["shape"] == [1, 4]
