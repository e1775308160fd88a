"""`train-and-export` with the pipeline engines: a whole run, and bad input as one line."""

import json

import numpy as np
import pytest
from typer.testing import CliRunner

from projnet.cli import app
from projnet.errors import ProjnetError
from projnet.trainer.checkpoint import load_checkpoint


def test_sideways_run_end_to_end(tmp_path):
    out = tmp_path / "sideways"
    result = CliRunner().invoke(app, ["train-and-export", "--out", str(out), "--quiet", "--engine", "sideways",
                                      "--stages", "2", "--devices", "/CPU:0,/CPU:1", "--stream", "smooth",
                                      "--set", "train.epochs=12", "--set", "export.baselines=false"])
    assert result.exit_code == 0, result.output
    metrics = json.loads((out / "metrics.json").read_text())
    pipeline = json.loads((out / "pipeline.json").read_text())
    assert pipeline["engine"] == "sideways" and pipeline["stages"] == 2 and pipeline["stream"] == "smooth"
    assert pipeline["samples_per_s"] > 0
    assert len(json.loads((out / "history.json").read_text())) == 12
    assert metrics["trainer"]["accuracy"] >= 0.9
    assert metrics["student_int8"]["accuracy"] >= 0.8
    assert "stages = 2" in (out / "config.toml").read_text()


@pytest.mark.parametrize("args, code, message", [
    (["--engine", "pipedream"], 2, "pipeline.engine must be one of: bp, sideways, dni"),
    (["--stages", "0"], 2, "pipeline.stages must be between 1 and 64"),
    (["--stream", "video"], 2, "pipeline.stream must be one of: shuffled, smooth"),
    (["--engine", "sideways", "--stages", "6"], 2, "pipeline.stages=6 but the mlp trainer has only 3 layers with weights"),
    (["--engine", "sideways", "--stages", "3", "--devices", "/CPU:0,/CPU:1"], 2,
     "pipeline.stages=3 needs 3 devices but only 2 (/CPU:0, /CPU:1) are given; pass --share-devices"),
    (["--engine", "sideways", "--stages", "2", "--devices", "/CPU:0,/GPU:7"], 2, "unknown device '/GPU:7'"),
    (["--engine", "sideways", "--stages", "2", "--cluster", "nohost"], 2, "a cluster worker must be host:port"),
    (["--engine", "sideways", "--set", "objective.distill_into_trainer=true"], 2,
     "objective.distill_into_trainer=true needs the plain backprop loop"),
    (["--engine", "sideways", "--stages", "2", "--set", "pipeline.update_every=100"], 2,
     "pipeline.update_every=100 ticks is longer than an epoch (1295 training rows / train.batch_size=32 = 40 ticks)"),
    (["--engine", "dni", "--stages", "2", "--set", "pipeline.staleness=age_lr"], 2,
     "pipeline.staleness=age_lr corrects stale gradients, and pipeline.engine=dni has none: each dni stage updates "
     "from a synthetic gradient of the very sample it forwards; use it with pipeline.engine=sideways"),
    (["--engine", "bp", "--stages", "2", "--set", "pipeline.staleness=bp_warmup"], 2,
     "pipeline.engine=bp has none: exact backprop applies every gradient to the weights it was taken at"),
    (["--engine", "sideways", "--set", "pipeline.staleness=pipemare"], 2,
     "pipeline.staleness must be one of: auto, none, age_lr, bp_warmup, stash, weight_stash, age_lr+weight_stash, "
     "age_lr+bp_warmup"),
    (["--engine", "sideways", "--set", "pipeline.staleness=bp_warmup", "--set", "train.epochs=3",
      "--set", "pipeline.warmup_epochs=3"], 2,
     "pipeline.warmup_epochs=3 backprop epochs leave none of train.epochs=3 to the pipeline; use fewer than 3"),
    (["--engine", "sideways", "--set", "pipeline.warmup_epochs=0"], 2, "pipeline.warmup_epochs must be between 1"),
])
def test_bad_pipeline_input_is_one_line(args, code, message, tmp_path):
    result = CliRunner().invoke(app, ["train-and-export", "--out", str(tmp_path / "run"), "--quiet"] + args)
    assert result.exit_code == code, result.output
    assert message in result.output
    assert not (tmp_path / "run").exists()


def test_nan_stops_naming_stage_and_step_and_keeps_the_last_checkpoint(tmp_path, monkeypatch):
    """A NaN batch in epoch 2: stage 0's gradient goes NaN at once (its Jacobian is taken at the NaN input)."""
    from projnet import run
    from projnet.config_settings import resolve_config
    from projnet.data import dataset_defaults
    from projnet.trainer import pipeline_training

    real_stream = pipeline_training.training_stream

    def poisoned(kind, x, y, image_shape, batch_size, seed, epoch, clip_length, motion_speed):
        for tick, (xb, yb, ident, clip) in enumerate(real_stream(kind, x, y, image_shape, batch_size, seed, epoch,
                                                                 clip_length, motion_speed)):
            yield (np.full_like(xb, np.nan) if (epoch, tick) == (2, 3) else xb), yb, ident, clip

    monkeypatch.setattr(pipeline_training, "training_stream", poisoned)
    config = resolve_config(None, ["pipeline.engine=sideways", "pipeline.stages=2", "pipeline.devices=['/CPU:0', '/CPU:1']",
                                   "train.epochs=3", "trainer.hidden=[32]"], dataset_defaults)
    with pytest.raises(ProjnetError) as info:
        run.train_and_export(config, tmp_path / "nan", show_progress=False)
    ticks_per_epoch = 1293 // 32  # digits' training split in batches of 32
    assert str(info.value).startswith(f"training diverged at step {ticks_per_epoch + 4} (epoch 2): stage 0 "
                                      f"gradient norm is nan"), str(info.value)
    checkpoint = load_checkpoint(tmp_path / "nan")
    assert (checkpoint.state.epochs_done, checkpoint.state.global_step) == (1, ticks_per_epoch)
    assert not (tmp_path / "nan" / "student.keras").exists()
