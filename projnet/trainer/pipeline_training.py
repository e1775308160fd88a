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
from projnet.trainer.checkpoint import CHECKPOINT_DIR, TrainingState, load_checkpoint, restore_variables
from projnet.trainer.epoch_driver import Checkpointing, StepOutcome, TrainingHistory, run_epochs
from projnet.trainer.fused_adam import FusedAdam
from projnet.trainer.joint_training import accuracy
from projnet.trainer.pipeline_engines import EngineParts, PipelineEngine, build_synthetic_models
from projnet.trainer.schedule import TickUpdates
from projnet.trainer.staleness import gradient_age, resolved, scales_rate_by_age, stashes, warms_up
from projnet.trainer.stages import StagedTrainer, build_staged_trainer
from projnet.trainer.student_placement import place_student


@dataclass
class PipelineRun:
    """What a pipelined run produced: the trained stages, its curves and its throughput."""

    staged: StagedTrainer
    history: TrainingHistory
    samples_per_s: float  # steady state: ticks after the first epoch's tracing, at batch_size samples each
    curve: list[dict] = field(default_factory=list)  # test accuracy against samples seen, every `curve_every` ticks
    student_device: str | None = None  # the device the student's step ran on (None: TensorFlow's choice)

    def summary(self, config: RunConfig) -> dict:
        """What pipeline.json records: the engine, its stages, and the device each stage's variables live on."""
        return {"engine": config.pipeline.engine, "stages": len(self.staged.stages), "stream": config.pipeline.stream,
                "update_every": config.pipeline.update_every,
                "staleness": resolved(config.pipeline.staleness, config.pipeline.engine),
                "warmup_epochs": config.pipeline.warmup_epochs, "age_fade_epochs": config.pipeline.age_fade_epochs,
                "age_exponent": config.pipeline.age_exponent, "cut_slack": config.pipeline.cut_slack,
                "devices": self.staged.devices,
                "variable_devices": [stage.variables[0].value.device for stage in self.staged.stages],
                "block_ranges": self.staged.block_ranges, "stage_multiply_adds": self.staged.stage_costs,
                "student_placement": config.pipeline.student_placement, "stage_step_ms": self.staged.stage_step_ms,
                "student_device": self.student_device,
                "samples_per_s": self.samples_per_s}


class AgeScaledRate(keras.optimizers.schedules.LearningRateSchedule):
    """`base`'s rate divided by max(age, 1)^(e p), p = max(0, 1 - s / fade_steps), or p = 1 throughout when
    fade_steps is 0, e = `exponent`, s = step - start_step: PipeMare's rescheduling (e = 1) made steeper
    (`pipeline.staleness=age_lr`, trainer/staleness.py). Before `start_step` (age_lr+bp_warmup's backprop
    updates, whose gradients are exact) p = 0: the full rate."""

    def __init__(self, base, age: int, fade_steps: int, exponent: float = 1.0, start_step: int = 0):
        self.base, self.age, self.fade_steps, self.exponent = base, int(age), max(int(fade_steps), 0), float(exponent)
        self.start_step = max(int(start_step), 0)

    def __call__(self, step):
        step = tf.cast(step, tf.float32)
        rate = self.base(step) if callable(self.base) else tf.constant(self.base, tf.float32)
        since = step - float(self.start_step)
        power = tf.maximum(0.0, 1.0 - since / float(self.fade_steps)) if self.fade_steps else tf.constant(1.0)
        power = tf.where(since >= 0.0, power, 0.0)
        return rate * tf.pow(float(max(self.age, 1)), -power * self.exponent)

    def get_config(self):  # the optimizer's rate is rebuilt, never saved
        return {"age": self.age, "fade_steps": self.fade_steps, "exponent": self.exponent, "start_step": self.start_step}


def warmup_ticks(pipeline, method: str, ticks_per_epoch: int) -> int:
    """The ticks a run trains with exact backprop before its pipeline starts (bp_warmup's part; else 0)."""
    return pipeline.warmup_epochs * ticks_per_epoch if warms_up(method) else 0


def _optimizer(rate: float, total_updates: int, schedule: str, device: str | None, variables,
               age: int = 0, fade_updates: int = 0, exponent: float = 1.0, exact_updates: int = 0):
    if schedule == "cosine":
        rate = keras.optimizers.schedules.CosineDecay(rate, decay_steps=max(total_updates, 1))
    if age > 1:
        rate = AgeScaledRate(rate, age, fade_updates, exponent, start_step=exact_updates)
    with tf.device(device or ""):
        optimizer = FusedAdam(rate)  # Keras' Adam in one kernel per variable: updates are memory-bound
        optimizer.build(variables)
    return optimizer


def finite_checks(figures: dict, stages: int) -> dict[str, float]:
    """What must be finite after a tick, named as the divergence message names it, in the order it checks."""
    checks = {f"stage {stages - 1} (the last) loss": float(figures["trainer_ce"])}
    checks.update({f"stage {k} gradient norm": float(norm) for k, norm in enumerate(np.asarray(figures["grad_norms"]))})
    checks["the student's loss"] = float(figures["student_loss"])
    return checks


def assemble_engine(config: RunConfig, num_features: int, num_classes: int, image_shape: tuple[int, int, int],
                    student: keras.Model, devices: list[str], total_ticks: int) -> tuple[PipelineEngine, dict]:
    """The staged trainer (seeded by train.seed), the optimizers and the engine; plus what a checkpoint holds."""
    train, pipeline = config.train, config.pipeline
    keras.utils.set_random_seed(train.seed)
    K = len(devices)
    gradient_ages = [gradient_age(pipeline.engine, K, k) for k in range(K)]
    staged = build_staged_trainer(num_features, num_classes, image_shape, config.trainer, devices, gradient_ages,
                                  pipeline.cut_slack)
    remote = any(d.startswith("/job:worker") for d in devices)
    rates = [pipeline.dni_stage_learning_rate if pipeline.engine == "dni" and k < K - 1 else train.learning_rate
             for k in range(K)]  # dni: every stage but the last learns from synthetic gradients
    updates = total_ticks // pipeline.update_every
    method = resolved(pipeline.staleness, pipeline.engine)
    ages = gradient_ages if scales_rate_by_age(method) else [0] * K
    ticks_per_epoch = total_ticks // train.epochs
    fade = pipeline.age_fade_epochs * ticks_per_epoch // pipeline.update_every  # 0: never fades
    # the backprop warm-up's updates, one every update_every ticks (schedule.updates_at), at the full rate
    exact = warmup_ticks(pipeline, method, ticks_per_epoch) // pipeline.update_every
    stage_optimizers = [_optimizer(rate, updates, train.lr_schedule, d, s.trainable_variables, age, fade,
                                   pipeline.age_exponent, exact)
                        for rate, s, d, age in zip(rates, staged.stages, devices, ages)]
    student_optimizer = _optimizer(train.student_learning_rate or train.learning_rate, total_ticks,
                                   train.lr_schedule, None, student.trainable_variables)
    synthetic = (build_synthetic_models(staged, num_classes, pipeline.synthetic_learning_rate or train.learning_rate,
                                        pipeline.synthetic_hidden) if pipeline.engine == "dni" else (None, None))
    # the student shares the device of the stage with the most time to spare in a tick (trainer/student_placement.py);
    # remote stages: the client runs it
    student_device, stage_ms = (None, None) if remote else place_student(staged, pipeline.student_placement,
                                                                           train.batch_size)
    staged.stage_step_ms = stage_ms
    stash_inputs, stash_weights = stashes(method)
    parts = EngineParts(staged, student, stage_optimizers, student_optimizer, config.objective, num_classes,
                        pipeline.update_every, student_device, *synthetic, pipeline.serial_devices,
                        stash_inputs=stash_inputs, stash_weights=stash_weights)
    groups = {"trainer": list(staged.model.variables), "student": list(student.variables),
              "trainer_optimizers": [v for o in stage_optimizers for v in o.variables],
              "student_optimizer": list(student_optimizer.variables),
              "synthetic": [v for m in (synthetic[0] or []) for v in m.variables]
              + [v for o in (synthetic[1] or []) for v in o.variables]}
    return PipelineEngine(pipeline.engine, parts, train.batch_size, num_features), groups


class BufferVariables:
    """The pipeline's buffers (activations and gradients in flight, the student's delay line, dni's stashes)
    mirrored in variables, so that a checkpoint holds them: a resumed run continues the very ticks it left,
    and no stage applies an update from a slot that a restart emptied. Copied only before a checkpoint."""

    def __init__(self, buffers: dict):
        self.names = sorted(buffers)
        with tf.device("/CPU:0"):
            self.variables = {name: [tf.Variable(t, trainable=False, name=f"pipeline_buffer_{name}_{i}")
                                     for i, t in enumerate(buffers[name])] for name in self.names}

    def flat(self) -> list:
        return [v for name in self.names for v in self.variables[name]]

    def read(self) -> dict:
        return {name: [tf.identity(v) for v in self.variables[name]] for name in self.names}

    def store(self, buffers: dict) -> None:
        for name in self.names:
            for variable, value in zip(self.variables[name], buffers[name]):
                variable.assign(value)


@dataclass
class Warmup:
    """`pipeline.staleness=bp_warmup`: exact backprop over the same stages and optimizers for the first `ticks`."""

    engine: PipelineEngine
    updates: TickUpdates
    ticks: int


class PipelineLoop:
    """The pipeline's part for the epoch driver: the stream's batches, one tick of the engine, validation.

    Throughput counts training alone: the stream is rendered before an epoch's clock starts (as a host's
    video decoder would run beside the devices), curve evaluations are taken off the clock, and the first
    epoch, which pays for tracing every update pattern, is left out when there are more.
    """

    AVERAGED = ("loss", "trainer_ce", "student_ce", "distillation", "synthetic_loss")

    def __init__(self, config: RunConfig, splits: DatasetSplits, engine: PipelineEngine,
                 updates: TickUpdates, curve_every: int, buffers: "BufferVariables", warmup: Warmup | None = None):
        self.config, self.splits, self.engine, self.updates, self.curve_every = (
            config, splits, engine, updates, curve_every)
        self.warmup = warmup
        pipeline = config.pipeline
        self.name = f"{pipeline.engine} x{pipeline.stages} training"
        self.epoch_label = f"{pipeline.engine} x{pipeline.stages}"
        self.saved_buffers = buffers
        self.buffers = buffers.read()  # a fresh run's empty pipeline, or a checkpoint's full one
        self.curve: list[dict] = []
        self.steady_time, self.steady_ticks, self.epoch, self.started = 0.0, 0, 0, 0.0

    def epoch_batches(self, epoch: int, state: TrainingState):
        train, pipeline = self.config.train, self.config.pipeline
        batches = list(training_stream(pipeline.stream, self.splits.x_train, self.splits.y_train,
                                       self.splits.image_shape, train.batch_size, train.seed, epoch,
                                       pipeline.clip_length, pipeline.motion_speed))
        self.epoch, self.started = epoch, time.perf_counter()
        yield from batches[state.steps_in_epoch:]

    def step(self, batch, global_step: int) -> StepOutcome:
        x, y, ident, clip = batch
        t, engine = global_step, self.engine
        warm = self.warmup.ticks if self.warmup is not None else 0
        if t < warm:  # backprop: nothing crosses a tick, so the pipeline's buffers stay as they are
            _, figures = self.warmup.engine.step(x, y, ident, self.warmup.engine.initial_buffers(),
                                                 self.warmup.updates[t], True, clip)
        else:
            if t == warm > 0:  # the pipeline fills from empty, its update flags counted from here
                self.buffers = engine.initial_buffers()
            self.buffers, figures = engine.step(x, y, ident, self.buffers, self.updates[t - warm],
                                                t - warm >= engine.delay, clip)
        checks = finite_checks(figures, self.config.pipeline.stages)
        figures["loss"] = self.config.objective.trainer_weight * figures["trainer_ce"] + figures["student_loss"]
        rows = self.config.train.batch_size if float(figures["valid"]) > 0 else 0  # an empty slot averages nothing
        if self.curve_every and (t + 1) % self.curve_every == 0:
            evaluating = time.perf_counter()
            staged, student, splits = engine.parts.staged, engine.parts.student, self.splits
            self.curve.append({"samples": (t + 1) * self.config.train.batch_size,
                               "trainer_test_accuracy": accuracy(staged.model, splits.x_test, splits.y_test),
                               "student_test_accuracy": accuracy(student, splits.x_test, splits.y_test)})
            self.started += time.perf_counter() - evaluating
        return StepOutcome({key: float(figures[key]) for key in self.AVERAGED}, rows, checks)

    def validate(self) -> dict[str, float]:
        """The driver calls this right after an epoch's last tick, so the epoch's clock stops here."""
        train = self.config.train
        # the pipeline's first epoch traces its tick as the run's first epoch traces bp's: off the clock, so that
        # a bp_warmup run's samples/s is its pipeline's (pipeline-bench derives the whole run's from both rates)
        first_timed = 2 + (self.config.pipeline.warmup_epochs if self.warmup is not None else 0)
        if self.epoch >= min(first_timed, train.epochs):
            self.steady_time += time.perf_counter() - self.started
            self.steady_ticks += len(self.splits.x_train) // train.batch_size
        staged, student, splits = self.engine.parts.staged, self.engine.parts.student, self.splits
        return {"trainer_val_accuracy": accuracy(staged.model, splits.x_val, splits.y_val),
                "student_val_accuracy": accuracy(student, splits.x_val, splits.y_val)}


def train_pipelined(config: RunConfig, splits: DatasetSplits, student: keras.Model, devices: list[str],
                    show_progress: bool = True, run_dir: Path | None = None, resume: bool = False,
                    curve_every: int = 0) -> PipelineRun:
    """Train a staged trainer with `config.pipeline.engine` and the student jointly; see the module docstring.

    `devices` (one per stage) come from trainer/devices.py's `resolve_devices`, called before
    TensorFlow's first op, since logical devices and thread pools can only be set up then.
    """
    train, pipeline, K = config.train, config.pipeline, config.pipeline.stages
    ticks_per_epoch = len(splits.x_train) // train.batch_size
    if ticks_per_epoch < 1:
        raise ProjnetError(f"train.batch_size={train.batch_size} is larger than the training split "
                           f"({len(splits.x_train)} rows)")
    total_ticks = train.epochs * ticks_per_epoch
    warm_ticks = warmup_ticks(pipeline, resolved(pipeline.staleness, pipeline.engine), ticks_per_epoch)
    # per tick, when asked; a warmed-up pipeline starts filling at tick warm_ticks
    updates = TickUpdates(pipeline.engine, K, total_ticks - warm_ticks, pipeline.update_every)
    engine, groups = assemble_engine(config, splits.num_features, splits.num_classes, splits.image_shape, student,
                                     devices, total_ticks)
    warmup = (Warmup(PipelineEngine("bp", engine.parts, train.batch_size, splits.num_features),
                     TickUpdates("bp", K, warm_ticks, pipeline.update_every), warm_ticks) if warm_ticks else None)
    staged = engine.parts.staged
    buffers = BufferVariables(engine.initial_buffers())
    groups["pipeline_buffers"] = buffers.flat()
    state = TrainingState()
    if resume and run_dir is not None and (run_dir / CHECKPOINT_DIR).exists():
        checkpoint = load_checkpoint(run_dir)
        if not any(key.startswith("pipeline_buffers/") for key in checkpoint.arrays):
            groups.pop("pipeline_buffers")  # an older run's epoch-end checkpoint: its buffers were not kept
        restore_variables(groups, checkpoint.arrays, checkpoint.paths)
        groups["pipeline_buffers"] = buffers.flat()
        state = checkpoint.state

    loop = PipelineLoop(config, splits, engine, updates, curve_every, buffers, warmup)
    checkpointing = Checkpointing(run_dir, groups, config.train.checkpoint_every_steps,
                                  before_save=lambda: buffers.store(loop.buffers)) if run_dir is not None else None
    history = run_epochs(loop, train.epochs, ticks_per_epoch, state, checkpointing, show_progress)
    rate = loop.steady_ticks * train.batch_size / loop.steady_time if loop.steady_time > 0 else 0.0
    return PipelineRun(staged, history, rate, loop.curve, engine.parts.student_device)
