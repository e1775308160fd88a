"""Backprop joint training of trainer and student on one objective, validated every epoch."""

from __future__ import annotations

from dataclasses import dataclass, field

import keras
import numpy as np
import tensorflow as tf

from projnet.config import ObjectiveConfig, TrainConfig
from projnet.data.splits import DatasetSplits
from projnet.errors import ProjnetError
from projnet.projection.objective import distillation_kl, joint_objective, mixup_inputs
from projnet.progress import progress_bar


@dataclass
class TrainingHistory:
    """Per-epoch means of every loss term and the validation accuracy of both networks."""

    epochs: list[dict[str, float]] = field(default_factory=list)


def predict_logits(model: keras.Model, x: np.ndarray, batch_size: int = 1024) -> np.ndarray:
    """Inference-mode outputs in batches (model.predict retraces for every new model)."""
    return np.concatenate([np.asarray(model(x[i:i + batch_size], training=False))
                           for i in range(0, len(x), batch_size)])


def accuracy(model: keras.Model, x: np.ndarray, y: np.ndarray) -> float:
    return float(np.mean(predict_logits(model, x).argmax(axis=1) == y))


def make_optimizer(train: TrainConfig, steps_per_epoch: int, rate: float) -> keras.optimizers.Optimizer:
    """Adam, with the learning rate decayed along a cosine to zero over the run when asked."""
    if train.lr_schedule == "cosine":
        rate = keras.optimizers.schedules.CosineDecay(rate, decay_steps=train.epochs * steps_per_epoch)
    return keras.optimizers.Adam(rate)


def make_train_step(trainer: keras.Model, student: keras.Model, objective: ObjectiveConfig,
                    trainer_optimizer: keras.optimizers.Optimizer,
                    student_optimizer: keras.optimizers.Optimizer):
    """One tf.function step over a batch; both networks see the same inputs and labels."""

    @tf.function(reduce_retracing=True)
    def train_step(x, y):
        with tf.GradientTape(persistent=True) as tape:
            trainer_logits = trainer(x, training=True)
            student_logits = student(x, training=True)
            terms = joint_objective(y, trainer_logits, student_logits, objective)
            total, mixup = terms.total, tf.constant(0.0)
            if objective.mixup_distill_weight > 0:
                mixed = mixup_inputs(x)
                # the trainer only labels the mixed rows: inference mode, no gradient into it
                teacher = tf.stop_gradient(trainer(mixed, training=False))
                mixup = distillation_kl(teacher, student(mixed, training=True), objective.temperature)
                total += objective.mixup_distill_weight * mixup
        trainer_grads = tape.gradient(total, trainer.trainable_variables)
        student_grads = tape.gradient(total, student.trainable_variables)
        del tape
        trainer_optimizer.apply_gradients(zip(trainer_grads, trainer.trainable_variables))
        student_optimizer.apply_gradients(zip(student_grads, student.trainable_variables))
        return {"loss": total, "trainer_ce": terms.trainer_ce, "student_ce": terms.student_ce,
                "distillation": terms.distillation, "mixup_distillation": mixup}

    return train_step


def train_jointly(trainer: keras.Model, student: keras.Model, splits: DatasetSplits, train: TrainConfig,
                  objective: ObjectiveConfig, show_progress: bool = True) -> TrainingHistory:
    """Train both networks for `train.epochs` epochs of shuffled batches; returns the curves."""
    keras.utils.set_random_seed(train.seed)
    rng = np.random.default_rng(train.seed)
    n = len(splits.x_train)
    steps_per_epoch = -(-n // train.batch_size)
    student_rate = train.student_learning_rate or train.learning_rate
    step = make_train_step(trainer, student, objective, make_optimizer(train, steps_per_epoch, train.learning_rate),
                           make_optimizer(train, steps_per_epoch, student_rate))
    history = TrainingHistory()
    with progress_bar(show_progress) as progress:
        task = progress.add_task("training", total=train.epochs * steps_per_epoch)
        for epoch in range(1, train.epochs + 1):
            order = rng.permutation(n)
            sums: dict[str, float] = {}
            for start in range(0, n, train.batch_size):
                batch = order[start:start + train.batch_size]
                metrics = step(tf.constant(splits.x_train[batch]), tf.constant(splits.y_train[batch]))
                for key, value in metrics.items():
                    sums[key] = sums.get(key, 0.0) + float(value) * len(batch)
                progress.advance(task)
            row = {"epoch": epoch, **{k: v / n for k, v in sums.items()},
                   "trainer_val_accuracy": accuracy(trainer, splits.x_val, splits.y_val),
                   "student_val_accuracy": accuracy(student, splits.x_val, splits.y_val)}
            if not np.isfinite(row["loss"]):
                raise ProjnetError(f"training diverged: loss is {row['loss']} in epoch {epoch}")
            history.epochs.append(row)
            progress.update(task, description=(f"epoch {epoch}/{train.epochs} val acc trainer "
                                               f"{row['trainer_val_accuracy']:.3f} student "
                                               f"{row['student_val_accuracy']:.3f}"))
    return history
