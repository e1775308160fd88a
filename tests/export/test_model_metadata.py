"""TFLite Model Metadata written by projnet and read back without TensorFlow; the image input's refusals."""

import numpy as np
import pytest
from typer.testing import CliRunner

from projnet.cli import app
from projnet.config import DataConfig, ExportConfig, ProjectionConfig, RunConfig
from projnet.data import load_dataset
from projnet.device_bench.metadata_reader import missing_metadata, read_model_metadata
from projnet.errors import ProjnetError, UsageError
from projnet.export.model_metadata import (COLOR_RGB, FILE_TENSOR_AXIS_LABELS, AssociatedFile, ModelDescription,
                                           TensorDescription, with_metadata)
from tests.helpers import one_line_error


@pytest.fixture(scope="module")
def plain_model():
    import keras

    from projnet.export.converter import convert_int8

    model = keras.Sequential([keras.Input((12,)), keras.layers.Dense(3)])
    return convert_int8(model, np.random.default_rng(0).random((60, 12), np.float32))


def description(files=("labels.txt",)):
    labels = tuple(AssociatedFile(name, "the class names", FILE_TENSOR_AXIS_LABELS) for name in files)
    return ModelDescription("a name", "what it does", "v1", "someone", "CC-BY-4.0",
                            (TensorDescription("pixels", "RGB", COLOR_RGB, (2, 2), (0.0,) * 3, (1.0,) * 3,
                                               (0.0,) * 3, (255.0,) * 3),),
                            (TensorDescription("probabilities", "scores", files=labels),))


def test_metadata_round_trips_and_leaves_the_model_bit_identical(plain_model):
    from projnet.export.tflite_eval import run_tflite

    model = with_metadata(plain_model, description(), {"labels.txt": "a\nb\nc\n".encode()})
    found = read_model_metadata(model)
    assert {k: found[k] for k in ("name", "description", "version", "author", "license", "min_parser_version")} == {
        "name": "a name", "description": "what it does", "version": "v1", "author": "someone",
        "license": "CC-BY-4.0", "min_parser_version": "1.0.0"}
    (tensor,), (output,) = found["inputs"], found["outputs"]
    assert tensor["image"] == {"color_space": "RGB", "size": [2, 2]}
    assert tensor["normalization"] == {"mean": [0.0] * 3, "std": [1.0] * 3}
    assert tensor["range"] == {"min": [0.0] * 3, "max": [255.0] * 3}
    assert output["files"] == [{"name": "labels.txt", "description": "the class names", "type": "TENSOR_AXIS_LABELS"}]
    assert found["files"] == {"labels.txt": b"a\nb\nc\n"} and missing_metadata(found) == []
    rows = np.random.default_rng(1).random((50, 12), np.float32)
    np.testing.assert_array_equal(run_tflite(model, rows), run_tflite(plain_model, rows))
    again = with_metadata(model, description(), {"labels.txt": b"x\ny\nz\n"})  # replaced, not added twice
    assert read_model_metadata(again)["files"] == {"labels.txt": b"x\ny\nz\n"}


def test_what_a_model_without_metadata_lacks(plain_model):
    assert read_model_metadata(plain_model) is None
    assert missing_metadata(None) == ["TFLite Model Metadata (labels, input normalization)"]
    with pytest.raises(ValueError, match="names files"):  # every named file must be given, and only those
        with_metadata(plain_model, description(), {})


def test_labels_that_do_not_match_the_output_width_are_refused():
    from projnet.export.student_metadata import student_metadata

    splits = load_dataset(DataConfig())  # 10 classes
    outputs = [{"name": "out", "shape": [1, 9], "dtype": "float32", "quantization": None}]
    inputs = [{"name": "in", "shape": [1, 64], "dtype": "float32", "quantization": None}]
    with pytest.raises(ProjnetError, match="digits has 10 class names: its labels would not match"):
        student_metadata(splits, RunConfig(), "features", "float", inputs, outputs)


@pytest.mark.parametrize("config, reason", [
    (RunConfig(projection=ProjectionConfig(backend="lsh")), "projection.backend=lsh writes its graph by hand"),
    (RunConfig(export=ExportConfig(quant="qat")), "export.quant=qat converts a tf_keras twin"),
])
def test_an_image_input_that_cannot_be(config, reason):
    from projnet.export.student_input import FEATURES, student_input_kind

    splits = load_dataset(DataConfig())
    assert student_input_kind(splits, config) == FEATURES  # auto: the flat rows, recorded in metrics.json
    explicit = RunConfig(projection=config.projection, export=ExportConfig(quant=config.export.quant,
                                                                          student_input="image"))
    with pytest.raises(UsageError, match=f"export.student_input=image cannot be: {reason}"):
        student_input_kind(splits, explicit)


def test_image_input_on_a_table_is_refused_before_the_run_directory(tmp_path):
    table = tmp_path / "t.csv"
    table.write_text("a,b,label\n" + "".join(f"{i},{i % 7},{i % 2}\n" for i in range(80)))
    out = tmp_path / "run"
    result = CliRunner().invoke(app, ["train-and-export", "--dataset", f"table:{table}", "--out", str(out),
                                      "--set", "export.student_input=image"])
    assert result.exit_code == 2 and not out.exists()
    assert "export.student_input=image cannot be: " in one_line_error(result.stderr)
    assert "rows are features, not images" in result.stderr


def test_inspect_names_labels_that_do_not_match_the_output(plain_model, tmp_path):
    from projnet.device_bench.inspect_model import describe_model

    model = tmp_path / "m.tflite"
    model.write_bytes(with_metadata(plain_model, description(), {"labels.txt": b"a\nb\n"}))  # 2 names, 3 outputs
    info = describe_model(model)
    assert info["labels"] == ["a", "b"]
    assert info["missing_metadata"] == ["labels that match the output (labels.txt names 2 classes, the output has 3)"]
    result = CliRunner().invoke(app, ["inspect", str(model)])
    assert result.exit_code == 0 and "labels.txt names 2 classes, the output has 3" in " ".join(result.stdout.split())
