"""Child processes and ports that fail: one line each, never a traceback (issue 18, items 8 and 10)."""

import socket

import pytest
from typer.testing import CliRunner

from projnet.cli import app
from projnet.errors import ProjnetError
from tests.helpers import one_line_error


def test_a_worker_on_a_port_in_use_is_one_line():
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", 0))
        holder.listen()
        port = holder.getsockname()[1]
        result = CliRunner().invoke(app, ["worker", "--cluster", f"localhost:{port}", "--task", "0", "--lifetime", "1"])
    assert result.exit_code == 1
    assert one_line_error(result.stderr).startswith(f"error: cannot serve on localhost:{port}: Address already in use")


def test_a_pipeline_bench_child_past_its_time_is_one_error():
    from projnet.trainer.pipeline_bench import BenchSpec, run_child

    with pytest.raises(ProjnetError, match=r"the bp run did not finish in 0.01 s; its process was stopped"):
        run_child(BenchSpec(engine="bp", stages=1, dataset="digits"), timeout_s=0.01)


def test_a_qat_child_past_its_time_is_one_error():
    from projnet.config import DataConfig, ProjectionConfig, StudentConfig
    from projnet.data import load_dataset
    from projnet.export.qat import qat_in_subprocess
    from projnet.projection.student import build_student

    splits = load_dataset(DataConfig())
    student = build_student(64, 10, ProjectionConfig(), StudentConfig(), splits.x_train.mean(axis=0))
    with pytest.raises(ProjnetError, match=r"did not finish in 0.01 s; its process was stopped and nothing"):
        qat_in_subprocess(student, splits, splits.x_train[:10], timeout_s=0.01)
