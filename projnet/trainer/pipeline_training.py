"""Joint training with a staged trainer: engines bp / sideways / dni over a shuffled or smooth stream.

The loop walks the engine's schedule tick by tick, feeds each tick one batch of the stream, trains
the student alongside on the delayed inputs that match the trainer outputs leaving the pipeline,
validates both networks at every epoch end and checkpoints there. A NaN or Inf loss or gradient
stops the run before the next checkpoint, naming the stage and the step.

What this loop leaves out, compared with the plain backprop loop (joint_training.py): the mixup
distillation term (it needs a whole trainer forward of other inputs, which a pipeline has no slot
for) and mid-epoch checkpoints; a resumed run restarts at its last epoch end with an empty pipeline.
"""

from __future__ import annotations

import signal
import time
from dataclasses import dataclass, field
from pathlib import Path

import keras
import numpy as np
import tensorflow as tf

from projnet.config import RunConfig
from projnet.data.splits import DatasetSplits
from projnet.data.streams import training_stream
from projnet.errors import ProjnetError
from projnet.progress import progress_bar
from projnet.trainer.checkpoint import CHECKPOINT_DIR, TrainingState, load_checkpoint, restore_variables, save_checkpoint
from projnet.trainer.fused_adam import FusedAdam
from projnet.trainer.joint_training import (TrainingDiverged, TrainingHistory, TrainingInterrupted, accuracy,
                                            graceful_interrupt)
from projnet.trainer.pipeline_engines import EngineParts, PipelineEngine, build_synthetic_models
from projnet.trainer.schedule import pipeline_schedule
from projnet.trainer.stages import StagedTrainer, build_staged_trainer


@dataclass
class PipelineRun:
    """What a pipelined run produced: the trained stages, its curves and its throughput."""

    staged: StagedTrainer
    history: TrainingHistory
    samples_per_s: float  # steady state: ticks after the first epoch's tracing, at batch_size samples each
    curve: list[dict] = field(default_factory=list)  # test accuracy against samples seen, every `curve_every` ticks

    def summary(self, config: RunConfig) -> dict:
        """What pipeline.json records: the engine, its stages, and the device each stage's variables live on."""
        return {"engine": config.train.engine, "stages": len(self.staged.stages), "stream": config.train.stream,
                "update_every": config.train.update_every, "devices": self.staged.devices,
                "variable_devices": [stage.variables[0].value.device for stage in self.staged.stages],
                "block_ranges": self.staged.block_ranges, "stage_multiply_adds": self.staged.stage_costs,
                "samples_per_s": self.samples_per_s}


def tick_updates(engine: str, stages: int, ticks: int, update_every: int) -> list[tuple[bool, ...]]:
    """The schedule's update flags, one tuple per tick: which stages apply their update at its end."""
    flags = [[False] * stages for _ in range(ticks)]
    for slot in pipeline_schedule(engine, stages, ticks, update_every):
        for k, work in enumerate(slot.work):
            flags[slot.tick][k] = flags[slot.tick][k] or work.update
    return [tuple(f) for f in flags]


def _optimizer(rate: float, total_updates: int, schedule: str, device: str | None, variables):
    if schedule == "cosine":
        rate = keras.optimizers.schedules.CosineDecay(rate, decay_steps=max(total_updates, 1))
    with tf.device(device or ""):
        optimizer = FusedAdam(rate)  # Keras' Adam in one kernel per variable: updates are memory-bound
        optimizer.build(variables)
    return optimizer


def _check_finite(figures: dict, step: int, epoch: int, stages: int) -> None:
    loss = float(figures["trainer_ce"])
    norms = np.asarray(figures["grad_norms"])
    student = float(figures["student_loss"])
    where = None
    if not np.isfinite(loss):
        where = f"stage {stages - 1} (the last) loss is {loss}"
    elif not np.all(np.isfinite(norms)):
        k = int(np.flatnonzero(~np.isfinite(norms))[0])
        where = f"stage {k} gradient norm is {norms[k]}"
    elif not np.isfinite(student):
        where = f"the student's loss is {student}"
    if where:
        raise TrainingDiverged(f"training diverged at step {step} (epoch {epoch}): {where}; the last checkpoint "
                               f"was written before it")


def assemble_engine(config: RunConfig, num_features: int, num_classes: int, image_shape: tuple[int, int, int],
                    student: keras.Model, devices: list[str], total_ticks: int) -> tuple[PipelineEngine, dict]:
    """The staged trainer (seeded by train.seed), the optimizers and the engine; plus what a checkpoint holds."""
    train = config.train
    keras.utils.set_random_seed(train.seed)
    staged = build_staged_trainer(num_features, num_classes, image_shape, config.trainer, devices)
    remote = any(d.startswith("/job:worker") for d in devices)
    rates = [train.dni_stage_learning_rate if train.engine == "dni" and k < len(devices) - 1 else train.learning_rate
             for k in range(len(devices))]  # dni: every stage but the last learns from synthetic gradients
    stage_optimizers = [_optimizer(rate, total_ticks // train.update_every, train.lr_schedule, d,
                                   s.trainable_variables) for rate, s, d in zip(rates, staged.stages, devices)]
    student_optimizer = _optimizer(train.student_learning_rate or train.learning_rate, total_ticks,
                                   train.lr_schedule, None, student.trainable_variables)
    synthetic = (build_synthetic_models(staged, num_classes, train.synthetic_learning_rate or train.learning_rate)
                 if train.engine == "dni" else (None, None))
    # the student shares the device of the cheapest stage, which has the most time to spare in a tick
    lightest = devices[min(range(len(devices)), key=lambda k: staged.stage_costs[k])]
    parts = EngineParts(staged, student, stage_optimizers, student_optimizer, config.objective, num_classes,
                        train.update_every, None if remote else lightest, *synthetic, train.serial_devices)
    groups = {"trainer": list(staged.model.variables), "student": list(student.variables),
              "trainer_optimizers": [v for o in stage_optimizers for v in o.variables],
              "student_optimizer": list(student_optimizer.variables),
              "synthetic": [v for m in (synthetic[0] or []) for v in m.variables]
              + [v for o in (synthetic[1] or []) for v in o.variables]}
    return PipelineEngine(train.engine, parts, train.batch_size, num_features), groups


def train_pipelined(config: RunConfig, splits: DatasetSplits, student: keras.Model, devices: list[str],
                    show_progress: bool = True, run_dir: Path | None = None, resume: bool = False,
                    curve_every: int = 0) -> PipelineRun:
    """Train a staged trainer with `config.train.engine` and the student jointly; see the module docstring.

    `devices` (one per stage) come from trainer/devices.py's `resolve_devices`, called before
    TensorFlow's first op, since logical devices and thread pools can only be set up then.
    """
    train, K = config.train, config.train.stages
    ticks_per_epoch = len(splits.x_train) // train.batch_size
    if ticks_per_epoch < 1:
        raise ProjnetError(f"train.batch_size={train.batch_size} is larger than the training split "
                           f"({len(splits.x_train)} rows)")
    total_ticks = train.epochs * ticks_per_epoch
    updates = tick_updates(train.engine, K, total_ticks, train.update_every)
    engine, groups = assemble_engine(config, splits.num_features, splits.num_classes, splits.image_shape, student,
                                     devices, total_ticks)
    staged = engine.parts.staged
    state = TrainingState()
    if resume and run_dir is not None and (run_dir / CHECKPOINT_DIR).exists():
        checkpoint = load_checkpoint(run_dir)
        restore_variables(groups, checkpoint.arrays, checkpoint.paths)
        state = checkpoint.state

    buffers, curve, steady_time, steady_ticks = engine.initial_buffers(), [], 0.0, 0
    with progress_bar(show_progress) as progress, graceful_interrupt() as interrupted:
        task = progress.add_task(f"{train.engine} x{K} training", total=total_ticks, completed=state.global_step)
        while state.epochs_done < train.epochs:
            epoch, sums, counted = state.epochs_done + 1, {}, 0
            # rendered before the epoch's clock starts, as a host's video decoder would run beside the devices:
            # samples/s counts training alone (rendering 256 smooth frames costs ~9 ms of a core here)
            batches = list(training_stream(train.stream, splits.x_train, splits.y_train, splits.image_shape,
                                           train.batch_size, train.seed, epoch, train.clip_length))
            started = time.perf_counter()
            for x, y, ident, clip in batches:
                t = state.global_step
                buffers, figures = engine.step(x, y, ident, buffers, updates[t], t >= engine.delay, clip)
                _check_finite(figures, t + 1, epoch, K)
                if float(figures["valid"]) > 0:
                    counted += 1
                    figures["loss"] = config.objective.trainer_weight * figures["trainer_ce"] + figures["student_loss"]
                    for key in ("loss", "trainer_ce", "student_ce", "distillation", "synthetic_loss"):
                        sums[key] = sums.get(key, 0.0) + float(figures[key])
                state.global_step += 1
                progress.advance(task)
                if curve_every and state.global_step % curve_every == 0:
                    evaluating = time.perf_counter()
                    curve.append({"samples": state.global_step * train.batch_size,
                                  "trainer_test_accuracy": accuracy(staged.model, splits.x_test, splits.y_test),
                                  "student_test_accuracy": accuracy(student, splits.x_test, splits.y_test)})
                    started += time.perf_counter() - evaluating  # throughput counts training only
                if interrupted():
                    raise TrainingInterrupted(f"interrupted ({signal.Signals(interrupted()).name}) at step "
                                              f"{state.global_step} (epoch {epoch}); the last checkpoint is at the "
                                              f"end of epoch {state.epochs_done}", interrupted())
            if epoch > 1 or train.epochs == 1:  # the first epoch pays for tracing every update pattern
                steady_time += time.perf_counter() - started
                steady_ticks += ticks_per_epoch
            row = {"epoch": epoch, **{k: v / max(counted, 1) for k, v in sums.items()},
                   "trainer_val_accuracy": accuracy(staged.model, splits.x_val, splits.y_val),
                   "student_val_accuracy": accuracy(student, splits.x_val, splits.y_val)}
            state.history.append(row)
            state.epochs_done = epoch
            if run_dir is not None:
                save_checkpoint(run_dir, groups, state)
            progress.update(task, description=(f"{train.engine} x{K} epoch {epoch}/{train.epochs} val acc trainer "
                                               f"{row['trainer_val_accuracy']:.3f} student "
                                               f"{row['student_val_accuracy']:.3f}"))
    rate = steady_ticks * train.batch_size / steady_time if steady_time > 0 else 0.0
    return PipelineRun(staged, TrainingHistory(state.history), rate, curve)
