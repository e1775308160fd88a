"""Distil a student from stored trainer logits: the sweep's shortcut (one trainer, many students).

The joint loop trains trainer and student together; a sweep over dozens of students instead trains
the trainer once, stores its logits on the training split, and fits each student to labels and
those logits with the same objective terms (l2 CE + l3 T^2 KL). No mixup term: it would need the
trainer's forward pass on every blended batch.
"""

from __future__ import annotations

import keras
import numpy as np
import tensorflow as tf

from projnet.config import ObjectiveConfig, TrainConfig
from projnet.data.splits import DatasetSplits
from projnet.progress import progress_bar
from projnet.projection.objective import distillation_kl
from projnet.trainer.joint_training import make_optimizer


def distil_from_logits(student: keras.Model, splits: DatasetSplits, teacher_logits: np.ndarray,
                       train: TrainConfig, objective: ObjectiveConfig, show_progress: bool = True) -> None:
    """Fit `student` for `train.epochs` epochs to labels and the stored teacher logits (rows of x_train)."""
    keras.utils.set_random_seed(train.seed)
    n = len(splits.x_train)
    steps_per_epoch = -(-n // train.batch_size)
    optimizer = make_optimizer(train, steps_per_epoch, train.student_learning_rate or train.learning_rate)

    @tf.function(reduce_retracing=True)
    def step(x, y, teacher):
        with tf.GradientTape() as tape:
            logits = student(x, training=True)  # (batch, classes)
            ce = tf.reduce_mean(tf.nn.sparse_softmax_cross_entropy_with_logits(y, logits))
            loss = objective.student_weight * ce + objective.distill_weight * distillation_kl(
                teacher, logits, objective.temperature)
        optimizer.apply_gradients(zip(tape.gradient(loss, student.trainable_variables), student.trainable_variables))
        return loss

    rng = np.random.default_rng(train.seed)
    with progress_bar(show_progress) as progress:
        task = progress.add_task("distilling student", total=train.epochs * steps_per_epoch)
        for _ in range(train.epochs):
            order = rng.permutation(n)
            for start in range(0, n, train.batch_size):
                batch = order[start:start + train.batch_size]
                step(tf.constant(splits.x_train[batch]), tf.constant(splits.y_train[batch]),
                     tf.constant(teacher_logits[batch]))
                progress.advance(task)
