"""Distil a student from stored trainer logits: the sweep's shortcut (one trainer, many students).

The joint loop trains trainer and student together; a sweep over dozens of students instead trains
the trainer once, stores its logits on the training split, and fits each student to labels and
those logits with the same objective terms (l2 CE + l3 T^2 KL), on the same epoch driver as the
other loops (progress, NaN guard, Ctrl-C; no checkpoints: a sweep's student takes seconds). No mixup
term: it would need the trainer's forward pass on every blended batch.
"""

from __future__ import annotations

import keras
import numpy as np
import tensorflow as tf

from projnet.config import ObjectiveConfig, TrainConfig
from projnet.data.splits import DatasetSplits
from projnet.projection.objective import student_terms
from projnet.trainer.checkpoint import TrainingState
from projnet.trainer.epoch_driver import StepOutcome, TrainingHistory, run_epochs
from projnet.trainer.joint_training import accuracy, make_optimizer


class DistillationLoop:
    """The sweep's part for the epoch driver: shuffled batches with their stored teacher logits."""

    name, epoch_label = "distilling student", "distilling"

    def __init__(self, student, splits: DatasetSplits, teacher_logits: np.ndarray, train: TrainConfig, step):
        self.student, self.splits, self.teacher_logits, self.train, self.train_step = (
            student, splits, teacher_logits, train, step)
        self.rng = np.random.default_rng(train.seed)

    def epoch_batches(self, epoch: int, state: TrainingState):
        order = self.rng.permutation(len(self.splits.x_train))
        for start in range(0, len(order), self.train.batch_size):
            yield order[start:start + self.train.batch_size]

    def step(self, batch, global_step: int) -> StepOutcome:
        loss = float(self.train_step(tf.constant(self.splits.x_train[batch]), tf.constant(self.splits.y_train[batch]),
                                     tf.constant(self.teacher_logits[batch])))
        return StepOutcome({"loss": loss}, len(batch), {"loss": loss})

    def validate(self) -> dict[str, float]:
        return {"student_val_accuracy": accuracy(self.student, self.splits.x_val, self.splits.y_val)}


def distil_from_logits(student: keras.Model, splits: DatasetSplits, teacher_logits: np.ndarray,
                       train: TrainConfig, objective: ObjectiveConfig, show_progress: bool = True) -> TrainingHistory:
    """Fit `student` for `train.epochs` epochs to labels and the stored teacher logits (rows of x_train)."""
    keras.utils.set_random_seed(train.seed)
    steps_per_epoch = -(-len(splits.x_train) // train.batch_size)
    optimizer = make_optimizer(train, steps_per_epoch, train.student_learning_rate or train.learning_rate)

    @tf.function(reduce_retracing=True)
    def step(x, y, teacher):
        with tf.GradientTape() as tape:
            loss, _, _ = student_terms(y, student(x, training=True), teacher, objective)
        optimizer.apply_gradients(zip(tape.gradient(loss, student.trainable_variables), student.trainable_variables))
        return loss

    loop = DistillationLoop(student, splits, teacher_logits, train, step)
    return run_epochs(loop, train.epochs, steps_per_epoch, show_progress=show_progress)
