"""`--target ssh://...` against a real sshd on 127.0.0.1 that these tests start and stop."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time

import pytest
from typer.testing import CliRunner

from projnet.cli import app
from projnet.device_bench.ssh_target import parse_ssh_target
from projnet.errors import UsageError
from tests.device_bench.loopback_sshd import loopback_sshd, sshd_available
from tests.helpers import one_line_error, require_system_dependency

runner = CliRunner()
FAST = ["--min-time", "0.2", "--warmup", "5"]


@pytest.fixture(scope="module")
def sshd(tmp_path_factory):
    require_system_dependency(sshd_available(), "openssh-server (sshd) is not installed")
    with loopback_sshd(tmp_path_factory.mktemp("sshd")) as server:
        yield server


def bench(sshd, model, *extra: str):
    return runner.invoke(app, ["bench", str(model), "--target", sshd.target, "--ssh-config",
                               str(sshd.client_config), "--remote-python", sys.executable, *FAST, *extra])


def test_bench_over_ssh_runs_on_the_host_and_checks_the_shipped_outputs(sshd, digits_run, tmp_path):
    before = set(os.listdir("/tmp"))
    result = bench(sshd, digits_run / "student_int8.tflite", "--json", str(tmp_path / "ssh.json"))
    assert result.exit_code == 0, result.output
    (r,) = json.loads((tmp_path / "ssh.json").read_text())
    assert r["target"] == sshd.target and r["runtime"] == "ai_edge_litert"
    assert r["model"] == str(digits_run / "student_int8.tflite")
    assert r["size_bytes"] == (digits_run / "student_int8.tflite").stat().st_size
    assert 0 < r["latency_us"]["p50"] <= r["latency_us"]["p99"] and r["runs"] >= 50
    # MODEL.expected.npz travelled with the model and was checked there
    assert r["expected_check"]["rows"] == 1000 and r["expected_check"]["passed"]
    assert "1000/1000" in result.stdout
    assert not {n for n in set(os.listdir("/tmp")) - before if n.startswith("tmp.")}, "remote temp dir left behind"


def test_closed_port_is_one_line(sshd, digits_run):
    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    result = runner.invoke(app, ["bench", str(digits_run / "student_int8.tflite"), "--target",
                                 f"ssh://{sshd.user}@127.0.0.1:{port}", "--ssh-config", str(sshd.client_config)])
    assert result.exit_code == 1
    assert f"cannot reach ssh://{sshd.user}@127.0.0.1:{port} over ssh" in one_line_error(result.stderr)
    assert "Connection refused" in result.stderr


def test_silent_host_times_out_instead_of_hanging(sshd, digits_run):
    """A host that accepts the connection but never speaks SSH: the connect timeout ends it."""
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen(1)  # the kernel completes the handshake; nobody ever answers
        port = silent.getsockname()[1]
        start = time.monotonic()
        result = runner.invoke(app, ["bench", str(digits_run / "student_int8.tflite"), "--target",
                                     f"ssh://{sshd.user}@127.0.0.1:{port}", "--ssh-config",
                                     str(sshd.client_config), "--connect-timeout", "2"])
        elapsed = time.monotonic() - start
    assert result.exit_code == 1 and "over ssh" in one_line_error(result.stderr)
    assert elapsed < 20, elapsed


def test_missing_remote_python(sshd, digits_run):
    result = bench(sshd, digits_run / "student_int8.tflite", "--remote-python", "/nonexistent/python3")
    assert result.exit_code == 1
    assert "/nonexistent/python3 not found on the host; pass --remote-python PATH" in one_line_error(result.stderr)


def test_remote_python_without_numpy(sshd, digits_run, tmp_path):
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(tmp_path / "bare")], check=True)
    result = bench(sshd, digits_run / "student_int8.tflite", "--remote-python", str(tmp_path / "bare/bin/python"))
    assert result.exit_code == 1
    assert "lacks numpy; install numpy and a TFLite runtime there" in one_line_error(result.stderr)


@pytest.mark.parametrize("target, parsed", [
    ("ssh://pi@raspberrypi.local", ("raspberrypi.local", "pi", None)),
    ("ssh://pi@10.0.0.7:2222", ("10.0.0.7", "pi", 2222)),
    ("ssh://board", ("board", None, None)),
])
def test_parse_ssh_target(target, parsed):
    t = parse_ssh_target(target)
    assert (t.host, t.user, t.port) == parsed


@pytest.mark.parametrize("target", ["ssh://", "ssh://pi@host:notaport", "ssh://pi@host/path", "ssh://pi:pw@host"])
def test_malformed_ssh_targets_are_usage_errors(target):
    with pytest.raises(UsageError, match=r"expected ssh://\[user@\]host\[:port\]"):
        parse_ssh_target(target)


def test_host_without_a_tflite_runtime_says_how_to_install_one(sshd, digits_run, tmp_path):
    """The host has numpy but no runtime (all three hidden by a sitecustomize the wrapper puts on its path)."""
    (tmp_path / "hide").mkdir()
    (tmp_path / "hide" / "sitecustomize.py").write_text(
        "import sys\nfor name in ('ai_edge_litert', 'tflite_runtime', 'tensorflow'):\n    sys.modules[name] = None\n")
    wrapper = tmp_path / "python-without-runtime"
    wrapper.write_text(f'#!/bin/sh\nPYTHONPATH="$PYTHONPATH:{tmp_path / "hide"}" exec {sys.executable} "$@"\n')
    wrapper.chmod(0o755)
    result = bench(sshd, digits_run / "student_int8.tflite", "--remote-python", str(wrapper))
    assert result.exit_code == 1
    line = one_line_error(result.stderr)
    assert line.startswith(f"error: {sshd.target}: no TFLite runtime installed: run pip install ai-edge-litert"), line
