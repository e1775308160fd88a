from projnet.device_bench.inspect_model import describe_model


def test_describe_int8_student(digits_run):
    info = describe_model(digits_run / "student_int8.tflite")
    assert info["op_counts"] == {"QUANTIZE": 2, "STRIDED_SLICE": 1, "RESHAPE": 1, "FULLY_CONNECTED": 3,
                                 "GREATER": 1, "CAST": 1, "SOFTMAX": 1, "DEQUANTIZE": 1}
    assert info["non_builtin_ops"] == []
    (inp,) = info["inputs"]
    # RGB pixels: a uint8 value is the pixel itself (scale 1/255, zero point 0: the image holds pixel / 255)
    assert inp["shape"] == [1, 8, 8, 3] and inp["dtype"] == "uint8" and inp["quantization"]["zero_point"] == 0
    assert abs(inp["quantization"]["scale"] - 1 / 255) < 1e-9
    assert info["outputs"][0]["shape"] == [1, 10] and info["outputs"][0]["dtype"] == "float32"
    assert info["labels"] == [str(i) for i in range(10)] and info["missing_metadata"] == []
    found = info["model_metadata"]
    assert found["inputs"][0]["name"] == "pixels" and found["inputs"][0]["image"] == {"color_space": "RGB",
                                                                                     "size": [8, 8]}
    assert found["inputs"][0]["normalization"] == {"mean": [0.0] * 3, "std": [255.0] * 3}
    assert found["files"] == {"labels.txt": 20} and found["min_parser_version"] == "1.0.0"


def test_describe_a_flat_features_student(digits_run, tmp_path):
    """export.student_input=features: the flat int8 rows training used, with their normalization."""
    from projnet import load_model
    from projnet.config import DataConfig, ExportConfig, RunConfig
    from projnet.data import load_dataset
    from projnet.export.export_run import shipped_student_file
    from projnet.export.student_input import shipped_student

    splits = load_dataset(DataConfig())
    config = RunConfig(export=ExportConfig(student_input="features"))
    shipped = shipped_student(load_model(digits_run / "student.keras"), splits, config, splits.x_train[:300])
    (tmp_path / "flat.tflite").write_bytes(shipped_student_file(shipped, "int8", splits, config))
    info = describe_model(tmp_path / "flat.tflite")
    assert info["op_counts"] == {"FULLY_CONNECTED": 3, "GREATER": 1, "CAST": 1, "QUANTIZE": 1}
    (inp,) = info["inputs"]
    assert inp["shape"] == [1, 64] and inp["dtype"] == "int8"
    assert inp["quantization"]["zero_point"] == -128  # inputs in [0, 1]: the int8 range starts at 0.0
    assert abs(inp["quantization"]["scale"] - 1 / 255) < 1e-6
    assert info["outputs"][0]["shape"] == [1, 10] and info["outputs"][0]["dtype"] == "int8"
    found = info["model_metadata"]["inputs"][0]
    assert found["name"] == "features" and found["normalization"] == {"mean": [0.0], "std": [16.0]}
    assert "8x8x1 pixels / 16" in found["description"] and "zero_point" not in found["description"]


def test_describe_float_student(digits_run):
    info = describe_model(digits_run / "student_float.tflite")
    assert info["inputs"][0]["dtype"] == "float32" and info["inputs"][0]["quantization"] is None
    assert info["ops"] == ["STRIDED_SLICE", "RESHAPE", "FULLY_CONNECTED", "GREATER", "CAST", "FULLY_CONNECTED",
                           "FULLY_CONNECTED", "SOFTMAX"]
