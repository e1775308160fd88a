"""Pipelined runs keep their buffers in their checkpoints (activations and gradients in flight, the
student's delay line, dni's stashes): killed mid-epoch and resumed, a run ends with the weights of an
uninterrupted one, and Ctrl-C writes a checkpoint there and then."""

import signal

import keras
import numpy as np
import pytest

from projnet.config import ProjectionConfig, StudentConfig
from projnet.projection.student import build_student
from projnet.trainer.epoch_driver import TrainingInterrupted
from projnet.trainer.pipeline_training import PipelineLoop, train_pipelined
from tests.trainer.test_pipeline_engines import CPUS, _config, digits  # noqa: F401  (digits: a fixture)


class Killed(BaseException):
    """Stands in for SIGKILL: nothing below catches it, so nothing is saved on the way out."""


def _run(config, splits, run_dir=None, resume=False):
    keras.utils.set_random_seed(config.train.seed)
    student = build_student(64, 10, ProjectionConfig(), StudentConfig(hidden=[16]), splits.x_train.mean(axis=0))
    run = train_pipelined(config, splits, student, CPUS[:config.pipeline.stages], show_progress=False,
                          run_dir=run_dir, resume=resume)
    return [v.numpy() for v in run.staged.model.weights] + [v.numpy() for v in student.weights], run


@pytest.mark.parametrize("engine, stages, staleness", [
    ("sideways", 2, "none"), ("sideways", 3, "none"), ("dni", 2, "none"),
    ("sideways", 3, "stash"), ("sideways", 3, "weight_stash"),  # the stashed inputs and weights are buffers too
    ("sideways", 3, "age_lr+weight_stash"),
    ("sideways", 2, "bp_warmup"),  # killed in the pipeline's first epoch, after the backprop one
])
def test_killed_mid_epoch_and_resumed_ends_with_the_uninterrupted_weights(digits, tmp_path, monkeypatch, engine,
                                                                          stages, staleness):
    config = _config(engine, stages, epochs=2, checkpoint_every_steps=7, staleness=staleness)
    ticks_per_epoch = len(digits.x_train) // config.train.batch_size
    kill_at = ticks_per_epoch + 10 + ((ticks_per_epoch + 10) % 7 == 0)  # in epoch 2, not on a checkpoint step
    last_checkpoint = kill_at - kill_at % 7
    assert kill_at % 7 and last_checkpoint > ticks_per_epoch  # resumed from a mid-epoch checkpoint, ticks lost
    uninterrupted, _ = _run(config, digits)
    step = PipelineLoop.step

    def dies_at(self, batch, global_step):
        if global_step == kill_at:
            raise Killed
        return step(self, batch, global_step)

    monkeypatch.setattr(PipelineLoop, "step", dies_at)
    with pytest.raises(Killed):
        _run(config, digits, tmp_path)
    monkeypatch.setattr(PipelineLoop, "step", step)
    resumed, run = _run(config, digits, tmp_path, resume=True)
    assert len(run.history.epochs) == 2
    for a, b in zip(uninterrupted, resumed):
        np.testing.assert_allclose(a, b, atol=1e-6)


def test_ctrl_c_in_a_pipelined_run_writes_a_checkpoint(digits, tmp_path, monkeypatch):
    import os

    config = _config("sideways", 2, epochs=2)
    step = PipelineLoop.step

    def interrupted_at_5(self, batch, global_step):
        if global_step == 5:
            os.kill(os.getpid(), signal.SIGINT)  # the driver records it and stops after this step
        return step(self, batch, global_step)

    monkeypatch.setattr(PipelineLoop, "step", interrupted_at_5)
    with pytest.raises(TrainingInterrupted, match=r"interrupted \(SIGINT\) at step 6 \(epoch 1\); checkpoint written"):
        _run(config, digits, tmp_path)
    from projnet.trainer.checkpoint import load_checkpoint

    checkpoint = load_checkpoint(tmp_path)
    assert checkpoint.state.global_step == 6
    in_flight = [a for key, a in checkpoint.arrays.items() if key.startswith("pipeline_buffers/")]
    assert in_flight and any(np.abs(a).sum() > 0 for a in in_flight)  # the activations in flight were kept
