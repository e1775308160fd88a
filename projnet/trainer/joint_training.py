"""Backprop joint training of trainer and student on one objective, validated every epoch.

The loop survives faults through the epoch driver (trainer/epoch_driver.py): it checkpoints (every N
steps and at each epoch end) into the run directory, resumes from a checkpoint bit for bit (data
order, mixup draws and dropout included), turns Ctrl-C into a checkpoint and a clean stop, and stops
on a NaN or Inf loss or gradient before that step can reach a checkpoint.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import keras
import numpy as np
import tensorflow as tf

from projnet.config import ObjectiveConfig, TrainConfig
from projnet.data.splits import DatasetSplits
from projnet.projection.objective import distillation_kl, joint_objective, mixup_inputs
from projnet.trainer.checkpoint import CHECKPOINT_DIR, TrainingState, load_checkpoint, restore_variables, variable_groups
from projnet.trainer.fused_adam import FusedAdam
from projnet.trainer.epoch_driver import Checkpointing, StepOutcome, TrainingHistory, run_epochs


@dataclass
class CheckpointPolicy:
    run_dir: Path
    every_steps: int = 0  # 0: only at the end of each epoch
    resume: bool = False  # continue from the run directory's checkpoint


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
    return FusedAdam(rate)


def make_train_step(trainer: keras.Model, student: keras.Model, objective: ObjectiveConfig,
                    trainer_optimizer: keras.optimizers.Optimizer,
                    student_optimizer: keras.optimizers.Optimizer, generator: tf.random.Generator):
    """One tf.function step over a batch; both networks see the same inputs and labels."""

    @tf.function(reduce_retracing=True)
    def train_step(x, y):
        with tf.GradientTape(persistent=True) as tape:
            trainer_logits = trainer(x, training=True)
            student_logits = student(x, training=True)
            terms = joint_objective(y, trainer_logits, student_logits, objective)
            total, mixup = terms.total, tf.constant(0.0)
            if objective.mixup_distill_weight > 0:
                mixed = mixup_inputs(x, generator)
                # the trainer only labels the mixed rows: inference mode, no gradient into it
                teacher = tf.stop_gradient(trainer(mixed, training=False))
                mixup = distillation_kl(teacher, student(mixed, training=True), objective.temperature)
                total += objective.mixup_distill_weight * mixup
        trainer_grads = tape.gradient(total, trainer.trainable_variables)
        student_grads = tape.gradient(total, student.trainable_variables)
        del tape
        if trainer.trainable_variables:  # a frozen teacher (--teacher) has none
            trainer_optimizer.apply_gradients(zip(trainer_grads, trainer.trainable_variables))
        student_optimizer.apply_gradients(zip(student_grads, student.trainable_variables))
        grad_norm = tf.linalg.global_norm([g for g in trainer_grads + student_grads if g is not None])
        return {"loss": total, "trainer_ce": terms.trainer_ce, "student_ce": terms.student_ce,
                "distillation": terms.distillation, "mixup_distillation": mixup}, grad_norm

    return train_step


class JointLoop:
    """The plain loop's part for the epoch driver: shuffled batches, one joint step, both networks validated."""

    name, epoch_label = "training", ""

    def __init__(self, trainer, student, splits: DatasetSplits, train: TrainConfig, step, rng: np.random.Generator):
        self.trainer, self.student, self.splits, self.train, self.train_step, self.rng = (
            trainer, student, splits, train, step, rng)

    def epoch_batches(self, epoch: int, state: TrainingState):
        n = len(self.splits.x_train)
        if state.steps_in_epoch == 0:
            state.epoch_rng_state = self.rng.bit_generator.state
        self.rng.bit_generator.state = state.epoch_rng_state  # a resumed epoch redraws the same order
        order = self.rng.permutation(n)
        for start in range(state.steps_in_epoch * self.train.batch_size, n, self.train.batch_size):
            yield order[start:start + self.train.batch_size]

    def step(self, batch, global_step: int) -> StepOutcome:
        metrics, grad_norm = self.train_step(tf.constant(self.splits.x_train[batch]),
                                             tf.constant(self.splits.y_train[batch]))
        figures = {k: float(v) for k, v in metrics.items()}
        return StepOutcome(figures, len(batch), {"loss": figures["loss"], "gradient norm": float(grad_norm)})

    def validate(self) -> dict[str, float]:
        return {"trainer_val_accuracy": accuracy(self.trainer, self.splits.x_val, self.splits.y_val),
                "student_val_accuracy": accuracy(self.student, self.splits.x_val, self.splits.y_val)}


def train_jointly(trainer: keras.Model, student: keras.Model, splits: DatasetSplits, train: TrainConfig,
                  objective: ObjectiveConfig, show_progress: bool = True,
                  checkpoints: CheckpointPolicy | None = None) -> TrainingHistory:
    """Train both networks for `train.epochs` epochs of shuffled batches; returns the curves."""
    keras.utils.set_random_seed(train.seed)
    steps_per_epoch = -(-len(splits.x_train) // train.batch_size)
    trainer_optimizer = make_optimizer(train, steps_per_epoch, train.learning_rate)
    student_optimizer = make_optimizer(train, steps_per_epoch, train.student_learning_rate or train.learning_rate)
    trainer_optimizer.build(trainer.trainable_variables)  # built now, so a checkpoint can fill them
    student_optimizer.build(student.trainable_variables)
    generator = tf.random.Generator.from_seed(train.seed)  # mixup's randomness, checkpointed with the rest
    groups = variable_groups(trainer, student, trainer_optimizer, student_optimizer, generator)
    state = None
    # a run stopped before its first checkpoint has no checkpoint/ yet: resuming it starts it over
    if checkpoints is not None and checkpoints.resume and (checkpoints.run_dir / CHECKPOINT_DIR).exists():
        checkpoint = load_checkpoint(checkpoints.run_dir)
        restore_variables(groups, checkpoint.arrays, checkpoint.paths)
        state = checkpoint.state
    step = make_train_step(trainer, student, objective, trainer_optimizer, student_optimizer, generator)
    loop = JointLoop(trainer, student, splits, train, step, np.random.default_rng(train.seed))  # rng: data order
    checkpointing = (Checkpointing(checkpoints.run_dir, groups, checkpoints.every_steps)
                     if checkpoints is not None else None)
    return run_epochs(loop, train.epochs, steps_per_epoch, state, checkpointing, show_progress)
