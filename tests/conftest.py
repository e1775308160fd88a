"""Shared fixtures: one default digits run (through the real CLI) that many tests read."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

LOGICAL_CPUS = 4  # the pipeline tests put stages on /CPU:0../CPU:3


def pytest_configure(config):
    """Split the CPU into logical devices now: TensorFlow allows it only before its first op."""
    import tensorflow as tf

    cpu = tf.config.list_physical_devices("CPU")[0]
    tf.config.set_logical_device_configuration(cpu, [tf.config.LogicalDeviceConfiguration()] * LOGICAL_CPUS)


@pytest.fixture(scope="session")
def digits_run(tmp_path_factory) -> Path:
    """`projnet train-and-export` with default settings on digits: the issue's acceptance run."""
    from typer.testing import CliRunner

    from projnet.cli import app

    out = tmp_path_factory.mktemp("runs") / "digits-default"
    result = CliRunner().invoke(app, ["train-and-export", "--dataset", "digits", "--out", str(out), "--quiet"])
    assert result.exit_code == 0, result.output
    return out


@pytest.fixture(scope="session")
def digits_metrics(digits_run) -> dict:
    return json.loads((digits_run / "metrics.json").read_text())


@pytest.fixture(scope="session")
def fashion_run(tmp_path_factory) -> Path:
    """`projnet train-and-export` with default settings on Fashion-MNIST (Debian's dataset-fashion-mnist):
    the image-input acceptance run that the end-to-end and MediaPipe tests both read."""
    from typer.testing import CliRunner

    from projnet.cli import app
    from projnet.config import DataConfig
    from projnet.data.fashion_mnist import locate_fashion_mnist
    from tests.helpers import require_system_dependency

    require_system_dependency(bool(locate_fashion_mnist(DataConfig())),
                              "Fashion-MNIST is not installed (Debian's dataset-fashion-mnist)")
    out = tmp_path_factory.mktemp("runs") / "fashion"
    result = CliRunner().invoke(app, ["train-and-export", "--dataset", "fashion_mnist", "--out", str(out),
                                      "--quiet", "--set", "bench.min_time_s=0.3"])
    assert result.exit_code == 0, result.output
    return out
