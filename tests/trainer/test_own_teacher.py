"""--teacher: a model trained outside projnet becomes the trainer; a frozen one is never changed, and one
that does not fit the data is refused before any run directory exists."""

import json

import keras
import numpy as np
import pytest
from typer.testing import CliRunner

from projnet.cli import app
from projnet.config import DataConfig, ObjectiveConfig, TrainConfig
from projnet.data import load_dataset
from projnet.errors import ProjnetError
from projnet.trainer.own_teacher import load_teacher
from tests.helpers import one_line_error


@pytest.fixture(scope="module")
def digits():
    return load_dataset(DataConfig())


def fitted_teacher(path, splits, softmax: bool, image_input: bool = False, epochs: int = 3):
    keras.utils.set_random_seed(0)
    inputs = keras.Input((8, 8, 1) if image_input else (64,))
    x = keras.layers.Flatten()(inputs) if image_input else inputs
    x = keras.layers.Dense(64, activation="relu")(x)
    outputs = keras.layers.Dense(10, activation="softmax" if softmax else None)(x)
    model = keras.Model(inputs, outputs)
    model.compile("adam", keras.losses.SparseCategoricalCrossentropy(from_logits=not softmax))
    x_train = splits.x_train.reshape(-1, 8, 8, 1) if image_input else splits.x_train
    model.fit(x_train, splits.y_train, epochs=epochs, verbose=0)
    model.save(path)
    return model


def test_probabilities_are_detected_and_turned_into_logits(tmp_path, digits):
    model = fitted_teacher(tmp_path / "soft.keras", digits, softmax=True, image_input=True)
    wrapped, record = load_teacher(tmp_path / "soft.keras", digits, trainable=False)
    assert record["outputs"] == "probabilities" and not record["trainable"] and len(record["sha256"]) == 64
    probabilities = np.asarray(model(digits.x_test[:5].reshape(-1, 8, 8, 1)))
    np.testing.assert_allclose(np.asarray(wrapped(digits.x_test[:5])), np.log(probabilities), rtol=1e-5, atol=1e-5)
    fitted_teacher(tmp_path / "logits.keras", digits, softmax=False)
    assert load_teacher(tmp_path / "logits.keras", digits, trainable=False)[1]["outputs"] == "logits"


@pytest.mark.parametrize("trainable", [False, True])
def test_a_frozen_teacher_is_not_trained_and_a_trainable_one_is(tmp_path, digits, trainable):
    from projnet.config import ProjectionConfig, StudentConfig
    from projnet.projection.student import build_student
    from projnet.trainer.joint_training import train_jointly

    fitted_teacher(tmp_path / "t.keras", digits, softmax=True, epochs=1)
    teacher, _ = load_teacher(tmp_path / "t.keras", digits, trainable=trainable)
    before = [v.numpy().copy() for v in teacher.variables]
    student = build_student(64, 10, ProjectionConfig(), StudentConfig(), digits.x_train.mean(axis=0))
    student_before = [v.numpy().copy() for v in student.trainable_variables]
    train_jointly(teacher, student, digits, TrainConfig(epochs=1), ObjectiveConfig(), show_progress=False)
    assert all(np.array_equal(a, v.numpy()) for a, v in zip(before, teacher.variables)) != trainable
    assert not all(np.array_equal(a, v.numpy()) for a, v in zip(student_before, student.trainable_variables))


@pytest.mark.parametrize("teacher_shape,message", [
    ((32,), "takes inputs of shape (32,) but digits has rows of 64 values (8x8x1)"),
    ((64, "classes7"), "outputs shape (7,) but digits has 10 classes"),
])
def test_a_teacher_that_does_not_fit_is_refused_before_the_run(tmp_path, teacher_shape, message):
    inputs = keras.Input(teacher_shape[:1])
    classes = 7 if len(teacher_shape) > 1 else 10
    keras.Model(inputs, keras.layers.Dense(classes)(inputs)).save(tmp_path / "t.keras")
    out = tmp_path / "run"
    result = CliRunner().invoke(app, ["train-and-export", "--teacher", str(tmp_path / "t.keras"), "--out", str(out),
                                      "--quiet"])
    assert result.exit_code == 1 and message in one_line_error(result.stderr)
    assert not out.exists()


def test_not_a_model_file(tmp_path, digits):
    (tmp_path / "t.keras").write_text("hello")
    with pytest.raises(ProjnetError, match="is damaged: not a complete .keras archive"):
        load_teacher(tmp_path / "t.keras", digits, trainable=False)
    import zipfile

    with zipfile.ZipFile(tmp_path / "z.keras", "w") as archive:  # a zip, but not a Keras model
        archive.writestr("hello.txt", "hi")
    with pytest.raises(ProjnetError, match="is not a Keras model this Keras can load"):
        load_teacher(tmp_path / "z.keras", digits, trainable=False)
    with pytest.raises(ProjnetError, match="no such file"):
        load_teacher(tmp_path / "missing.keras", digits, trainable=False)


def test_a_teacher_run_records_it_and_exports(tmp_path, digits):
    fitted_teacher(tmp_path / "t.keras", digits, softmax=True)
    out = tmp_path / "run"
    result = CliRunner().invoke(app, ["train-and-export", "--teacher", str(tmp_path / "t.keras"), "--out", str(out),
                                      "--quiet", "--set", "train.epochs=3", "--set", "export.baselines=false"])
    assert result.exit_code == 0, result.output
    metrics = json.loads((out / "metrics.json").read_text())
    assert metrics["teacher"]["outputs"] == "probabilities" and metrics["teacher"]["path"] == str(tmp_path / "t.keras")
    assert metrics["trainer_float"]["size_bytes"] > 0 and "your teacher" in (out / "report.md").read_text()
    assert 'teacher = "' in (out / "config.toml").read_text()
    again = CliRunner().invoke(app, ["export", str(out), "--quiet"])  # trainer.keras holds the wrapped teacher
    assert again.exit_code == 0, again.output
    assert json.loads((out / "metrics.json").read_text())["teacher"] == metrics["teacher"]
