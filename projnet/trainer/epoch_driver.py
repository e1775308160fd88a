"""The one epoch driver every training loop runs on: progress, validation, checkpoints, Ctrl-C, NaN guard.

A loop (joint backprop, the staged pipeline, distillation from stored logits) supplies only what
differs between them, as an `EpochLoop`: the batches of an epoch, one step over a batch, and a
validation. The driver counts steps, averages each loss term per training row over the epoch,
keeps the history, writes the checkpoints, turns the first Ctrl-C or SIGTERM into a checkpoint (where
the loop's state between steps is all in its variables) and a clean stop, and stops on a NaN or Inf
before that step can reach a checkpoint.
"""

from __future__ import annotations

import contextlib
import signal
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterable, Protocol

import numpy as np

from projnet.errors import ProjnetError
from projnet.progress import progress_bar
from projnet.trainer.checkpoint import TrainingState, save_checkpoint


class TrainingDiverged(ProjnetError):
    """A NaN or Inf loss or gradient: training stops; the last checkpoint on disk predates it."""


class TrainingInterrupted(ProjnetError):
    """Ctrl-C or SIGTERM: training stopped cleanly (with a checkpoint where the loop allows); exit 128 + signal."""

    def __init__(self, message: str, signum: int = signal.SIGINT):
        super().__init__(message)
        self.exit_code = 128 + int(signum)  # 130 for Ctrl-C, 143 for SIGTERM, as shells report them


@dataclass
class TrainingHistory:
    """Per-epoch means of every loss term and the validation accuracy of each network."""

    epochs: list[dict[str, float]]


@dataclass
class StepOutcome:
    """What one step reports to the driver."""

    figures: dict[str, float]  # loss terms, averaged per training row over the epoch
    rows: int  # training rows behind them; 0 (an empty pipeline slot) leaves them out of the means
    must_be_finite: dict[str, float] = field(default_factory=dict)  # name -> value, checked in order


@dataclass
class Checkpointing:
    """Where and how often the driver writes checkpoints; `groups` are the variables they hold."""

    run_dir: Path
    groups: dict[str, list]
    every_steps: int = 0  # 0: at each epoch end only
    mid_epoch: bool = True  # False: state between steps lives outside the variables and cannot be saved
    before_save: Callable[[], None] | None = None  # copies such state into the groups' variables (a pipeline's buffers)


class EpochLoop(Protocol):
    name: str  # the progress bar's label until the first epoch ends, e.g. "training"
    epoch_label: str  # what each epoch's line starts with, e.g. "" or "sideways x2"

    def epoch_batches(self, epoch: int, state: TrainingState) -> Iterable:
        """The epoch's batches, starting at batch `state.steps_in_epoch` (a resumed epoch)."""

    def step(self, batch, global_step: int) -> StepOutcome:
        """Train on one batch; `global_step` counts the steps before it."""

    def validate(self) -> dict[str, float]:
        """Called once at each epoch end; keys like "student_val_accuracy" name the figures shown."""


@contextlib.contextmanager
def graceful_interrupt():
    """The first Ctrl-C or SIGTERM (what schedulers and containers send) only records the signal, which the
    driver checks after each step (`interrupted()` returns it, else 0); a second Ctrl-C stops at once."""
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


def validation_summary(figures: dict[str, float]) -> str:
    """"val acc trainer 0.912 student 0.874" from {"trainer_val_accuracy": ..., "student_val_accuracy": ...}."""
    named = [f"{key.removesuffix('_val_accuracy')} {value:.3f}" for key, value in figures.items()
             if key.endswith("_val_accuracy")]
    return "val acc " + " ".join(named) if named else ""


def _first_non_finite(values: dict[str, float]) -> str | None:
    for name, value in values.items():
        if not np.isfinite(value):
            return f"{name} is {value}"
    return None


def run_epochs(loop: EpochLoop, epochs: int, steps_per_epoch: int, state: TrainingState | None = None,
               checkpointing: Checkpointing | None = None, show_progress: bool = True) -> TrainingHistory:
    """Run `loop` from `state` (a fresh one, or a checkpoint's) to the end of epoch `epochs`."""
    state = state or TrainingState()
    saved_at = state.global_step if checkpointing and state.global_step else None  # the checkpoint on disk

    def save() -> None:
        nonlocal saved_at
        if checkpointing is not None:
            if checkpointing.before_save is not None:
                checkpointing.before_save()
            save_checkpoint(checkpointing.run_dir, checkpointing.groups, state)
            saved_at = state.global_step

    def stopped_early(epoch: int, signum: int) -> TrainingInterrupted:
        where = f"interrupted ({signal.Signals(signum).name}) at step {state.global_step} (epoch {epoch})"
        if checkpointing is None:
            return TrainingInterrupted(f"{where}; this loop keeps no checkpoint", signum)
        resume = f"resume with: projnet train-and-export --resume {checkpointing.run_dir}"
        if checkpointing.mid_epoch:
            save()
            return TrainingInterrupted(f"{where}; checkpoint written; {resume}", signum)
        return TrainingInterrupted(f"{where}; the last checkpoint is at the end of epoch {state.epochs_done}; "
                                   f"{resume}", signum)

    with progress_bar(show_progress) as progress, graceful_interrupt() as interrupted:
        task = progress.add_task(loop.name, total=epochs * steps_per_epoch, completed=state.global_step)
        while state.epochs_done < epochs:
            epoch = state.epochs_done + 1  # epoch_sums and rows_in_epoch: empty, or a resumed epoch's so far
            for batch in loop.epoch_batches(epoch, state):
                outcome = loop.step(batch, state.global_step)
                problem = _first_non_finite(outcome.must_be_finite)
                if problem:
                    last = (f"; the last checkpoint (step {saved_at}) was written before it"
                            if saved_at is not None else "")
                    raise TrainingDiverged(f"training diverged at step {state.global_step + 1} (epoch {epoch}): "
                                           f"{problem}{last}")
                if outcome.rows:
                    for key, value in outcome.figures.items():
                        state.epoch_sums[key] = state.epoch_sums.get(key, 0.0) + value * outcome.rows
                    state.rows_in_epoch += outcome.rows
                state.steps_in_epoch += 1
                state.global_step += 1
                progress.advance(task)
                if interrupted():
                    raise stopped_early(epoch, interrupted())
                if checkpointing is not None and checkpointing.mid_epoch and checkpointing.every_steps and \
                        state.global_step % checkpointing.every_steps == 0:
                    save()
            validation = loop.validate()
            rows = max(state.rows_in_epoch, 1)
            state.history.append({"epoch": epoch, **{k: v / rows for k, v in state.epoch_sums.items()}, **validation})
            state.epochs_done, state.steps_in_epoch, state.epoch_sums, state.rows_in_epoch = epoch, 0, {}, 0
            save()
            line = [loop.epoch_label, f"epoch {epoch}/{epochs}", validation_summary(validation)]
            progress.update(task, description=" ".join(part for part in line if part))
    return TrainingHistory(state.history)
