"""Sideways across two `projnet worker` processes (tf.distribute.Server) on 127.0.0.1, against the same run on local devices.

Every process here is bounded: the workers stop by themselves after WORKER_LIFETIME_S, and each
training run is killed after RUN_TIMEOUT_S.
"""

import json
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from tests.helpers import one_line_error

WORKER_LIFETIME_S = 300
RUN_TIMEOUT_S = 240
PROJNET = [sys.executable, "-m", "projnet.cli"]
TRAIN = ["train-and-export", "--quiet", "--engine", "sideways", "--stages", "2", "--set", "train.epochs=2",
         "--set", "trainer.hidden=[64,32]"]


def _free_ports(count: int) -> list[int]:
    sockets = [socket.socket() for _ in range(count)]
    for s in sockets:
        s.bind(("127.0.0.1", 0))
    ports = [s.getsockname()[1] for s in sockets]
    for s in sockets:
        s.close()
    return ports


def _wait_until_listening(port: int, deadline: float) -> None:
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            time.sleep(0.2)
    pytest.fail(f"worker on port {port} did not start")


def _weights(run_dir: Path) -> list[np.ndarray]:
    import keras

    return keras.saving.load_model(run_dir / "trainer.keras").get_weights()


@pytest.mark.slow
def test_sideways_on_two_loopback_workers_matches_local_devices(tmp_path):
    cluster = ",".join(f"127.0.0.1:{port}" for port in _free_ports(2))
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2"}
    workers = [subprocess.Popen(PROJNET + ["worker", "--cluster", cluster, "--task", str(task),
                                           "--lifetime", str(WORKER_LIFETIME_S)],
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env) for task in range(2)]
    try:
        deadline = time.monotonic() + 60
        for address in cluster.split(","):
            _wait_until_listening(int(address.rsplit(":", 1)[1]), deadline)
        remote = subprocess.run(PROJNET + TRAIN + ["--cluster", cluster, "--out", str(tmp_path / "remote")],
                                capture_output=True, text=True, timeout=RUN_TIMEOUT_S, env=env)
        assert remote.returncode == 0, remote.stderr[-2000:]
    finally:
        for worker in workers:
            worker.kill()
            worker.wait(timeout=30)
    local = subprocess.run(PROJNET + TRAIN + ["--out", str(tmp_path / "local")], capture_output=True, text=True,
                           timeout=RUN_TIMEOUT_S, env=env)
    assert local.returncode == 0, local.stderr[-2000:]
    placed = json.loads((tmp_path / "remote" / "pipeline.json").read_text())["variable_devices"]
    assert placed == ["/job:worker/replica:0/task:0/device:CPU:0", "/job:worker/replica:0/task:1/device:CPU:0"]
    local_placed = json.loads((tmp_path / "local" / "pipeline.json").read_text())["variable_devices"]
    assert [p.rsplit("/", 1)[-1] for p in local_placed] == ["device:CPU:0", "device:CPU:1"]
    for a, b in zip(_weights(tmp_path / "remote"), _weights(tmp_path / "local")):
        np.testing.assert_allclose(a, b, atol=1e-6)


def test_unreachable_worker_is_one_line_within_the_timeout(tmp_path):
    (port,) = _free_ports(1)
    started = time.monotonic()
    result = subprocess.run(PROJNET + TRAIN + ["--cluster", f"127.0.0.1:{port}", "--out", str(tmp_path / "run")],
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 1
    assert one_line_error(result.stderr).startswith(f"error: cannot reach cluster worker 127.0.0.1:{port} within 5 s")
    assert time.monotonic() - started < 60
    assert not (tmp_path / "run").exists()
