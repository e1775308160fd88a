"""Shared fixtures: one default digits run (through the real CLI) that many tests read."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")


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
