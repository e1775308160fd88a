"""The epoch driver every loop runs on, driven by a small loop of its own: means, history, NaN guard, Ctrl-C."""

import json
import os
import signal

import numpy as np
import pytest

from projnet.trainer.checkpoint import CHECKPOINT_DIR, MANIFEST, TrainingState, load_checkpoint
from projnet.trainer.epoch_driver import (Checkpointing, StepOutcome, TrainingDiverged, TrainingInterrupted,
                                          run_epochs)


class Weight:
    """The two things a checkpoint reads from a variable: its value and its path."""

    def __init__(self, value: float):
        self.value, self.path = np.array([value], np.float32), "w"

    def numpy(self):
        return self.value


class CountingLoop:
    """Batches 0..steps-1; each step's loss is the batch number, over `rows[i]` rows; optional faults."""

    name, epoch_label = "counting", "counting"

    def __init__(self, rows: list[int], nan_at: int | None = None, signal_at: int | None = None, weight=None):
        self.rows, self.nan_at, self.signal_at, self.weight = rows, nan_at, signal_at, weight
        self.validated = 0

    def epoch_batches(self, epoch, state):
        yield from range(state.steps_in_epoch, len(self.rows))

    def step(self, batch, global_step):
        if self.weight is not None:
            self.weight.value += 1
        if global_step == self.signal_at:
            os.kill(os.getpid(), signal.SIGINT)  # recorded by the driver's handler, acted on after the step
        loss = float("nan") if global_step == self.nan_at else float(batch)
        return StepOutcome({"loss": loss}, self.rows[batch], {"loss": loss, "gradient norm": 1.0})

    def validate(self):
        self.validated += 1
        return {"student_val_accuracy": 0.5}


def test_epoch_means_are_per_training_row_and_empty_slots_count_for_nothing():
    loop = CountingLoop(rows=[0, 10, 30])  # batch 0 is an empty pipeline slot
    history = run_epochs(loop, epochs=2, steps_per_epoch=3, show_progress=False)
    assert [row["epoch"] for row in history.epochs] == [1, 2] and loop.validated == 2
    assert history.epochs[0]["loss"] == pytest.approx((1 * 10 + 2 * 30) / 40)  # not (0 + 1 + 2) / 3
    assert history.epochs[0]["student_val_accuracy"] == 0.5


def test_a_non_finite_figure_stops_the_run_naming_it_and_the_last_checkpoint(tmp_path):
    weight = Weight(0.0)
    checkpointing = Checkpointing(tmp_path, {"model": [weight]})
    with pytest.raises(TrainingDiverged) as info:
        run_epochs(CountingLoop([4, 4, 4], nan_at=4, weight=weight), 3, 3, checkpointing=checkpointing,
                   show_progress=False)
    assert str(info.value) == ("training diverged at step 5 (epoch 2): loss is nan; the last checkpoint (step 3) "
                               "was written before it")
    assert load_checkpoint(tmp_path).state.global_step == 3  # the diverged step never reached the disk


def test_without_checkpoints_a_divergence_claims_none():
    with pytest.raises(TrainingDiverged) as info:
        run_epochs(CountingLoop([4, 4], nan_at=0), 1, 2, show_progress=False)
    assert str(info.value) == "training diverged at step 1 (epoch 1): loss is nan"


def test_ctrl_c_writes_a_checkpoint_where_the_loop_allows_it_and_resumes_to_the_same_history(tmp_path):
    weight = Weight(0.0)
    groups = {"model": [weight]}
    with pytest.raises(TrainingInterrupted) as info:
        run_epochs(CountingLoop([2, 2, 2], signal_at=4, weight=weight), 2, 3,
                   checkpointing=Checkpointing(tmp_path, groups), show_progress=False)
    assert info.value.exit_code == 130
    assert str(info.value) == (f"interrupted (SIGINT) at step 5 (epoch 2); checkpoint written; resume with: "
                               f"projnet train-and-export --resume {tmp_path}")
    checkpoint = load_checkpoint(tmp_path)
    assert (checkpoint.state.global_step, checkpoint.state.steps_in_epoch, checkpoint.state.rows_in_epoch) == (5, 2, 4)
    resumed = run_epochs(CountingLoop([2, 2, 2]), 2, 3, checkpoint.state, show_progress=False)
    straight = run_epochs(CountingLoop([2, 2, 2]), 2, 3, show_progress=False)
    assert resumed.epochs == straight.epochs


def test_ctrl_c_in_a_loop_without_mid_epoch_state_points_at_the_last_epoch_end(tmp_path):
    weight = Weight(0.0)
    checkpointing = Checkpointing(tmp_path, {"model": [weight]}, mid_epoch=False)
    with pytest.raises(TrainingInterrupted) as info:
        run_epochs(CountingLoop([2, 2, 2], signal_at=4, weight=weight), 2, 3, checkpointing=checkpointing,
                   show_progress=False)
    assert "at step 5 (epoch 2); the last checkpoint is at the end of epoch 1; resume with" in str(info.value)
    manifest = json.loads((tmp_path / CHECKPOINT_DIR / MANIFEST).read_text())
    assert manifest["state"]["global_step"] == 3 and manifest["state"]["steps_in_epoch"] == 0


def test_mid_epoch_checkpoints_every_n_steps(tmp_path):
    weight = Weight(0.0)
    written = []
    checkpointing = Checkpointing(tmp_path, {"model": [weight]}, every_steps=2)

    class Recording(CountingLoop):
        def step(self, batch, global_step):
            if (tmp_path / CHECKPOINT_DIR / MANIFEST).exists():
                written.append(load_checkpoint(tmp_path).state.global_step)
            return super().step(batch, global_step)

    run_epochs(Recording([1, 1, 1], weight=weight), 2, 3, TrainingState(), checkpointing, show_progress=False)
    assert sorted(set(written)) == [2, 3, 4]  # step 2 (every 2), the epoch end at 3, step 4; 6 is the end
