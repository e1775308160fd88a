"""Backprop joint training of trainer and student on one objective, validated every epoch.

The loop survives faults: it checkpoints (every N steps and at each epoch end) into the run
directory, resumes from a checkpoint bit for bit, turns Ctrl-C into a checkpoint and a clean stop,
and stops on a NaN or Inf loss or gradient before that step can reach a checkpoint.
"""

from __future__ import annotations

import contextlib
import signal
import threading
from dataclasses import dataclass
from pathlib import Path

import keras
import numpy as np
import tensorflow as tf

from projnet.config import ObjectiveConfig, TrainConfig
from projnet.data.splits import DatasetSplits
from projnet.errors import ProjnetError
from projnet.progress import progress_bar
from projnet.projection.objective import distillation_kl, joint_objective, mixup_inputs
from projnet.trainer.checkpoint import (CHECKPOINT_DIR, TrainingState, load_checkpoint, restore_variables,
                                        save_checkpoint, variable_groups)


class TrainingDiverged(ProjnetError):
    """A NaN or Inf loss or gradient: training stops; the last checkpoint on disk predates it."""


class TrainingInterrupted(ProjnetError):
    """Ctrl-C or SIGTERM: a checkpoint was written and training stopped cleanly; exit 128 + the signal."""

    def __init__(self, message: str, signum: int = signal.SIGINT):
        super().__init__(message)
        self.exit_code = 128 + int(signum)  # 130 for Ctrl-C, 143 for SIGTERM, as shells report them


@dataclass
class TrainingHistory:
    """Per-epoch means of every loss term and the validation accuracy of both networks."""

    epochs: list[dict[str, float]]


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
    return keras.optimizers.Adam(rate)


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


@contextlib.contextmanager
def graceful_interrupt():
    """The first Ctrl-C or SIGTERM (what schedulers and containers send) only records the signal, which the
    loop checks after each step (`interrupted()` returns it, else 0); a second Ctrl-C stops at once."""
    received: list[int] = []
    if threading.current_thread() is not threading.main_thread():
        yield lambda: 0
        return

    def on_signal(signum, frame):
        if received and signum == signal.SIGINT:
            raise KeyboardInterrupt
        received.append(signum)

    previous = {sig: signal.signal(sig, on_signal) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield lambda: received[0] if received else 0
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def train_jointly(trainer: keras.Model, student: keras.Model, splits: DatasetSplits, train: TrainConfig,
                  objective: ObjectiveConfig, show_progress: bool = True,
                  checkpoints: CheckpointPolicy | None = None) -> TrainingHistory:
    """Train both networks for `train.epochs` epochs of shuffled batches; returns the curves."""
    keras.utils.set_random_seed(train.seed)
    n = len(splits.x_train)
    steps_per_epoch = -(-n // train.batch_size)
    trainer_optimizer = make_optimizer(train, steps_per_epoch, train.learning_rate)
    student_optimizer = make_optimizer(train, steps_per_epoch, train.student_learning_rate or train.learning_rate)
    trainer_optimizer.build(trainer.trainable_variables)  # built now, so a checkpoint can fill them
    student_optimizer.build(student.trainable_variables)
    generator = tf.random.Generator.from_seed(train.seed)  # mixup's randomness, checkpointed with the rest
    groups = variable_groups(trainer, student, trainer_optimizer, student_optimizer, generator)
    rng = np.random.default_rng(train.seed)  # data order
    state = TrainingState()
    # a run stopped before its first checkpoint has no checkpoint/ yet: resuming it starts it over
    if checkpoints is not None and checkpoints.resume and (checkpoints.run_dir / CHECKPOINT_DIR).exists():
        checkpoint = load_checkpoint(checkpoints.run_dir)
        restore_variables(groups, checkpoint.arrays, checkpoint.paths)
        state = checkpoint.state
    step = make_train_step(trainer, student, objective, trainer_optimizer, student_optimizer, generator)

    def save() -> None:
        if checkpoints is not None:
            save_checkpoint(checkpoints.run_dir, groups, state)

    with progress_bar(show_progress) as progress, graceful_interrupt() as interrupted:
        task = progress.add_task("training", total=train.epochs * steps_per_epoch, completed=state.global_step)
        while state.epochs_done < train.epochs:
            epoch = state.epochs_done + 1
            if state.steps_in_epoch == 0:
                state.epoch_rng_state, state.epoch_sums = rng.bit_generator.state, {}
            rng.bit_generator.state = state.epoch_rng_state  # a resumed epoch redraws the same order
            order = rng.permutation(n)
            for start in range(state.steps_in_epoch * train.batch_size, n, train.batch_size):
                batch = order[start:start + train.batch_size]
                metrics, grad_norm = step(tf.constant(splits.x_train[batch]), tf.constant(splits.y_train[batch]))
                values = {k: float(v) for k, v in metrics.items()}
                if not (np.isfinite(values["loss"]) and np.isfinite(float(grad_norm))):
                    what = "loss" if not np.isfinite(values["loss"]) else "gradient norm"
                    raise TrainingDiverged(
                        f"training diverged at step {state.global_step + 1} (epoch {epoch}): {what} is "
                        f"{values['loss'] if what == 'loss' else float(grad_norm)}; the last checkpoint "
                        f"(step {state.global_step}) was written before it")
                for key, value in values.items():
                    state.epoch_sums[key] = state.epoch_sums.get(key, 0.0) + value * len(batch)
                state.steps_in_epoch += 1
                state.global_step += 1
                progress.advance(task)
                if interrupted():
                    save()
                    where = f" {checkpoints.run_dir}" if checkpoints else ""
                    raise TrainingInterrupted(
                        f"interrupted ({signal.Signals(interrupted()).name}) at step {state.global_step} (epoch "
                        f"{epoch}); checkpoint written; resume with: projnet train-and-export --resume{where}",
                        interrupted())
                if checkpoints is not None and checkpoints.every_steps and \
                        state.global_step % checkpoints.every_steps == 0:
                    save()
            row = {"epoch": epoch, **{k: v / n for k, v in state.epoch_sums.items()},
                   "trainer_val_accuracy": accuracy(trainer, splits.x_val, splits.y_val),
                   "student_val_accuracy": accuracy(student, splits.x_val, splits.y_val)}
            state.history.append(row)
            state.epochs_done, state.steps_in_epoch, state.epoch_sums = epoch, 0, {}
            save()
            progress.update(task, description=(f"epoch {epoch}/{train.epochs} val acc trainer "
                                               f"{row['trainer_val_accuracy']:.3f} student "
                                               f"{row['student_val_accuracy']:.3f}"))
    return TrainingHistory(state.history)
