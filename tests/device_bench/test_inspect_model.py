from projnet.device_bench.inspect_model import describe_model


def test_describe_int8_student(digits_run):
    info = describe_model(digits_run / "student_int8.tflite")
    assert info["op_counts"] == {"FULLY_CONNECTED": 3, "GREATER": 1, "CAST": 1, "QUANTIZE": 1}
    assert info["non_builtin_ops"] == []
    (inp,) = info["inputs"]
    assert inp["shape"] == [1, 64] and inp["dtype"] == "int8"
    assert inp["quantization"]["zero_point"] == -128  # inputs in [0, 1]: the int8 range starts at 0.0
    assert abs(inp["quantization"]["scale"] - 1 / 255) < 1e-6
    assert info["outputs"][0]["shape"] == [1, 10] and info["outputs"][0]["dtype"] == "int8"


def test_describe_float_student(digits_run):
    info = describe_model(digits_run / "student_float.tflite")
    assert info["inputs"][0]["dtype"] == "float32" and info["inputs"][0]["quantization"] is None
    assert info["ops"] == ["FULLY_CONNECTED", "GREATER", "CAST", "FULLY_CONNECTED", "FULLY_CONNECTED"]
