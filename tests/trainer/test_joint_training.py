import numpy as np
import pytest

from projnet.config import DataConfig, ObjectiveConfig, ProjectionConfig, StudentConfig, TrainConfig, TrainerConfig
from projnet.data import load_dataset
from projnet.projection.student import build_student
from projnet.trainer.joint_training import accuracy, train_jointly
from projnet.trainer.models import build_trainer


@pytest.fixture(scope="module")
def digits():
    return load_dataset(DataConfig())


def _models(digits):
    trainer = build_trainer(64, 10, (8, 8, 1), TrainerConfig(hidden=[128]))
    student = build_student(64, 10, ProjectionConfig(), StudentConfig(), digits.x_train.mean(axis=0))
    return trainer, student


def test_short_joint_training_learns_both(digits):
    trainer, student = _models(digits)
    history = train_jointly(trainer, student, digits, TrainConfig(epochs=6), ObjectiveConfig(), show_progress=False)
    assert [row["epoch"] for row in history.epochs] == [1, 2, 3, 4, 5, 6]
    assert history.epochs[-1]["loss"] < 0.5 * history.epochs[0]["loss"]
    assert history.epochs[-1]["trainer_val_accuracy"] >= 0.9
    assert accuracy(student, digits.x_test, digits.y_test) >= 0.8


def test_student_alone_leaves_the_trainer_untouched(digits):
    """l1 = 0 and the stop-gradient: no loss term reaches the trainer, so its weights stay put."""
    trainer, student = _models(digits)
    before = [w.copy() for w in trainer.get_weights()]
    objective = ObjectiveConfig(trainer_weight=0.0)
    train_jointly(trainer, student, digits, TrainConfig(epochs=1), objective, show_progress=False)
    for old, new in zip(before, trainer.get_weights()):
        np.testing.assert_array_equal(old, new)
    objective = ObjectiveConfig(trainer_weight=0.0, distill_into_trainer=True)
    train_jointly(trainer, student, digits, TrainConfig(epochs=1), objective, show_progress=False)
    assert any(not np.array_equal(o, n) for o, n in zip(before, trainer.get_weights()))
