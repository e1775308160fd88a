"""Runs that survive faults: SIGKILL + resume, SIGINT, same-seed bytes, divergence, corrupt checkpoints."""

from __future__ import annotations

import json
import os
import random
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from projnet.cli import app
from projnet.errors import ProjnetError
from projnet.trainer.checkpoint import CHECKPOINT_DIR, MANIFEST, load_checkpoint
from tests.helpers import one_line_error

SMALL = ["--set", "trainer.hidden=[64]", "--set", "bench.min_time_s=0.05", "--set", "bench.warmup_runs=2",
         "--set", "export.baselines=false"]  # the run's baselines are tested in tests/test_patch_cli.py


def _command(out: Path, *extra: str) -> list[str]:
    return [sys.executable, "-m", "projnet.cli", "train-and-export", "--out", str(out), "--quiet", *SMALL, *extra]


def _checkpoint_step(run_dir: Path) -> int:
    try:
        return json.loads((run_dir / CHECKPOINT_DIR / MANIFEST).read_text())["state"]["global_step"]
    except (OSError, ValueError, KeyError):
        return -1


def _start_and_wait(command: list[str], run_dir: Path, min_step: int, timeout_s: float = 240.0):
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + timeout_s
    while _checkpoint_step(run_dir) < min_step:
        if process.poll() is not None or time.monotonic() > deadline:
            process.kill()
            pytest.fail(f"training never reached step {min_step}: {process.communicate()[1][-2000:]}")
        time.sleep(0.05)
    return process


def test_sigkill_at_a_random_step_then_resume_matches_an_uninterrupted_run(tmp_path):
    epochs = ["--set", "train.epochs=3", "--set", "train.checkpoint_every_steps=5"]
    straight, killed = tmp_path / "straight", tmp_path / "killed"
    subprocess.run(_command(straight, *epochs), check=True, capture_output=True)
    kill_after = random.Random(os.getpid()).randint(6, 80)  # of 3 epochs x 41 steps on digits: late kills came after the end
    process = _start_and_wait(_command(killed, *epochs), killed, kill_after)
    process.send_signal(signal.SIGKILL)
    process.wait()
    stopped_at = _checkpoint_step(killed)
    print(f"killed after checkpoint step {stopped_at} (asked for >= {kill_after})")
    assert not (killed / "metrics.json").exists(), "the kill came too late to test anything"
    resumed = subprocess.run([sys.executable, "-m", "projnet.cli", "train-and-export", "--resume", str(killed),
                              "--quiet"], capture_output=True, text=True)
    assert resumed.returncode == 0, resumed.stderr[-2000:]
    expected, got = (json.loads((d / "history.json").read_text()) for d in (straight, killed))
    assert got == expected  # every loss term and validation accuracy of every epoch, exactly
    m_expected, m_got = (json.loads((d / "metrics.json").read_text()) for d in (straight, killed))
    for key in ("trainer", "student"):
        assert m_got[key] == m_expected[key]
    assert m_got["student_int8"]["accuracy"] == m_expected["student_int8"]["accuracy"]
    assert (killed / "student.keras").exists()


def test_sigterm_writes_a_checkpoint_exits_143_and_resumes_to_the_uninterrupted_metrics(tmp_path):
    """What a scheduler or `docker stop` sends: treated as Ctrl-C (it used to kill the run without a checkpoint)."""
    epochs = ["--set", "train.epochs=4", "--set", "train.checkpoint_every_steps=5"]  # the signal lands mid-training
    straight, stopped = tmp_path / "straight", tmp_path / "stopped"
    subprocess.run(_command(straight, *epochs), check=True, capture_output=True)
    process = _start_and_wait(_command(stopped, *epochs), stopped, 0)
    process.send_signal(signal.SIGTERM)
    _, stderr = process.communicate(timeout=60)
    assert process.returncode == 143, stderr[-2000:]
    assert "interrupted (SIGTERM) at step " in one_line_error(stderr)
    resumed = subprocess.run([sys.executable, "-m", "projnet.cli", "train-and-export", "--resume", str(stopped),
                              "--quiet"], capture_output=True, text=True)
    assert resumed.returncode == 0, resumed.stderr[-2000:]
    expected, got = (json.loads((d / "metrics.json").read_text()) for d in (straight, stopped))
    for key in ("trainer", "student"):
        assert got[key] == expected[key]


def test_sigint_writes_a_checkpoint_and_prints_the_resume_command(tmp_path):
    run_dir = tmp_path / "interrupted"
    process = _start_and_wait(_command(run_dir, "--set", "train.epochs=500"), run_dir, 0)
    process.send_signal(signal.SIGINT)
    _, stderr = process.communicate(timeout=60)
    assert process.returncode == 130
    line = one_line_error(stderr)
    assert f"resume with: projnet train-and-export --resume {run_dir}" in line
    checkpoint = load_checkpoint(run_dir)  # verified by its checksum
    assert f"interrupted (SIGINT) at step {checkpoint.state.global_step} " in line
    assert not (run_dir / "student_int8.tflite").exists()


def test_same_seed_gives_byte_identical_tflite_files(tmp_path):
    runs = [tmp_path / "a", tmp_path / "b"]
    for run_dir in runs:
        subprocess.run(_command(run_dir, "--seed", "7", "--deterministic", "--set", "train.epochs=2"),
                       check=True, capture_output=True)
    for name in ("student_int8.tflite", "student_float.tflite"):
        assert (runs[0] / name).read_bytes() == (runs[1] / name).read_bytes(), name
    config = (runs[0] / "config.toml").read_text()
    assert "seed = 7" in config and "deterministic = true" in config


def test_nan_loss_stops_with_the_last_good_checkpoint(tmp_path, monkeypatch):
    from projnet import run
    from projnet.config_settings import resolve_config
    from projnet.data import dataset_defaults, load_dataset

    def poisoned(data):
        splits = load_dataset(data)
        splits.x_train[123] = np.nan
        return splits

    monkeypatch.setattr(run, "load_dataset", poisoned)
    config = resolve_config(None, ["train.epochs=2", "train.checkpoint_every_steps=1", "trainer.hidden=[32]"],
                            dataset_defaults)
    with pytest.raises(ProjnetError) as info:
        run.train_and_export(config, tmp_path / "nan", show_progress=False)
    found = re.search(r"training diverged at step (\d+) \(epoch 1\): (loss|gradient norm) is nan", str(info.value))
    assert found, str(info.value)
    step = int(found.group(1))
    assert load_checkpoint(tmp_path / "nan").state.global_step == step - 1
    assert not (tmp_path / "nan" / "student.keras").exists()


def test_corrupt_checkpoint_is_refused(tmp_path):
    run_dir = tmp_path / "run"
    done = CliRunner().invoke(app, ["train-and-export", "--out", str(run_dir), "--quiet", "--set", "train.epochs=1",
                                    *SMALL])
    assert done.exit_code == 0, done.output
    npz = next((run_dir / CHECKPOINT_DIR).glob("state-*.npz"))
    data = bytearray(npz.read_bytes())
    data[len(data) // 2] ^= 0xFF
    npz.write_bytes(bytes(data))
    result = CliRunner().invoke(app, ["train-and-export", "--resume", str(run_dir)])
    assert result.exit_code == 1
    assert "is corrupt: its SHA-256 does not match the manifest" in one_line_error(result.stderr)
    with_set = CliRunner().invoke(app, ["train-and-export", "--resume", str(run_dir), "--set", "train.epochs=2"])
    assert with_set.exit_code == 2 and "drop --set" in one_line_error(with_set.stderr)


def test_a_full_disk_is_one_line_and_keeps_earlier_artifacts(tmp_path, monkeypatch):
    import errno

    real_replace = os.replace

    def full_disk(src, dst):
        if str(dst).endswith("student_int8.tflite"):
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        return real_replace(src, dst)

    monkeypatch.setattr(os, "replace", full_disk)
    run_dir = tmp_path / "run"
    result = CliRunner().invoke(app, ["train-and-export", "--out", str(run_dir), "--quiet", "--set", "train.epochs=1",
                                      *SMALL])
    assert result.exit_code == 1
    assert "student_int8.tflite: No space left on device" in one_line_error(result.stderr)
    assert (run_dir / "student_float.tflite").is_file() and (run_dir / "student.keras").is_file()
    assert not list(run_dir.glob(".*tmp*"))


def test_resume_before_the_first_checkpoint_starts_the_run_over(tmp_path):
    run_dir = tmp_path / "early"
    first = CliRunner().invoke(app, ["train-and-export", "--out", str(run_dir), "--quiet", "--set", "train.epochs=1",
                                     *SMALL])
    assert first.exit_code == 0, first.output
    history = (run_dir / "history.json").read_text()
    for path in run_dir.rglob("*"):
        if path.is_file() and path.name != "config.toml":
            path.unlink()
    (run_dir / CHECKPOINT_DIR).rmdir()
    again = CliRunner().invoke(app, ["train-and-export", "--resume", str(run_dir), "--quiet"])
    assert again.exit_code == 0, again.output
    assert (run_dir / "history.json").read_text() == history


def test_resume_refuses_a_finished_run_without_checkpoint_and_an_edited_config(tmp_path):
    """Both used to retrain silently: from scratch over the finished models, or with the edited settings."""
    import shutil

    run_dir = tmp_path / "done"
    first = CliRunner().invoke(app, ["train-and-export", "--out", str(run_dir), "--quiet", "--set", "train.epochs=1",
                                     *SMALL])
    assert first.exit_code == 0, first.output
    config = run_dir / "config.toml"
    config.write_text(config.read_text().replace("learning_rate = 0.001", "learning_rate = 1e+30"))
    edited = CliRunner().invoke(app, ["train-and-export", "--resume", str(run_dir), "--quiet"])
    assert edited.exit_code == 1
    assert one_line_error(edited.stderr).endswith("was edited after the run started (train.learning_rate); --resume "
                                                  "continues the run as it started: undo the edit, or start a new run")
    metrics = (run_dir / "metrics.json").read_bytes()
    shutil.rmtree(run_dir / CHECKPOINT_DIR)
    gone = CliRunner().invoke(app, ["train-and-export", "--resume", str(run_dir), "--quiet"])
    assert gone.exit_code == 1
    assert "has no checkpoint to resume from (checkpoint/manifest.json is missing) but holds a finished run" in \
        one_line_error(gone.stderr)
    assert (run_dir / "metrics.json").read_bytes() == metrics


def test_overwrite_removes_the_earlier_runs_files_and_a_live_run_keeps_its_directory(tmp_path):
    from projnet.run_dir import LOCK

    run_dir = tmp_path / "run"
    run_dir.mkdir()
    for stale in ("student_int8.featurizer.json", "student_dynamic.tflite", "student_dynamic.expected.npz"):
        (run_dir / stale).write_text("from an earlier run")
    (run_dir / "notes.txt").write_text("mine")
    (run_dir / LOCK).write_text(str(os.getppid()))  # a live process holds it: the run must not start
    busy = CliRunner().invoke(app, ["train-and-export", "--out", str(run_dir), "--overwrite", "--quiet", *SMALL,
                                    "--set", "train.epochs=1"])
    assert busy.exit_code == 1
    assert f"is being written by another projnet run (pid {os.getppid()})" in one_line_error(busy.stderr)
    assert (run_dir / "student_dynamic.tflite").is_file()
    (run_dir / LOCK).write_text("999999999")  # its writer is gone: taken over
    done = CliRunner().invoke(app, ["train-and-export", "--out", str(run_dir), "--overwrite", "--quiet", *SMALL,
                                    "--set", "train.epochs=1"])
    assert done.exit_code == 0, done.output
    names = {p.name for p in run_dir.iterdir()}
    assert "notes.txt" in names and "student_int8.tflite" in names and LOCK not in names
    assert not names & {"student_int8.featurizer.json", "student_dynamic.tflite", "student_dynamic.expected.npz"}


def test_a_checkpoint_restores_by_variable_path_not_position(tmp_path):
    """A model whose variables come in another order (layers built in another order) gets each value back."""
    import keras

    from projnet.trainer.checkpoint import TrainingState, restore_variables, save_checkpoint

    inputs = keras.Input((4,))
    first, second = keras.layers.Dense(4, name="first"), keras.layers.Dense(4, name="second")
    model = keras.Model(inputs, second(first(inputs)))
    for i, variable in enumerate(model.variables):
        variable.assign(np.full(variable.shape, float(i)))
    save_checkpoint(tmp_path, {"trainer": list(model.variables)}, TrainingState())
    values = {v.path: v.numpy().copy() for v in model.variables}
    for variable in model.variables:
        variable.assign(np.zeros(variable.shape))
    checkpoint = load_checkpoint(tmp_path)
    restore_variables({"trainer": list(reversed(model.variables))}, checkpoint.arrays, checkpoint.paths)
    assert all(np.array_equal(v.numpy(), values[v.path]) for v in model.variables)
    assert checkpoint.paths["trainer"] == ["first/kernel", "first/bias", "second/kernel", "second/bias"]
