import json
import subprocess
import sys

import numpy as np
import pytest

from projnet.device_bench.local import bench_in_subprocess
from projnet.device_bench.model_file import read_model
from projnet.device_bench.runner import BenchSettings, run_benchmark
from projnet.errors import ProjnetError

FAST = BenchSettings(min_time_s=0.2, warmup_runs=5)


def test_runner_never_imports_tensorflow(digits_run):
    """What a Raspberry Pi runs: numpy and a TFLite runtime, no TensorFlow and no training code."""
    code = (
        "import sys, json\n"
        "from projnet.device_bench.runner import run_benchmark, BenchSettings\n"
        "from projnet.device_bench.inspect_model import describe_model\n"
        f"model = {str(digits_run / 'student_int8.tflite')!r}\n"
        "r = run_benchmark(model, BenchSettings(min_time_s=0.1)); describe_model(model)\n"
        "bad = [m for m in sys.modules if m.split('.')[0] in ('tensorflow', 'keras', 'sklearn')\n"
        "       or m.startswith(('projnet.trainer', 'projnet.export', 'projnet.projection'))]\n"
        "print(json.dumps({'bad': bad, 'runtime': r['runtime']}))\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    result = json.loads(done.stdout.strip().splitlines()[-1])
    assert result == {"bad": [], "runtime": "ai_edge_litert"}


def test_subprocess_figures(digits_run):
    r = bench_in_subprocess(digits_run / "student_int8.tflite", FAST)
    lat = r["latency_us"]
    assert 0 < lat["p50"] <= lat["p90"] <= lat["p99"]
    assert r["runs"] >= FAST.min_runs and r["threads"] == 1 and r["runtime"] == "ai_edge_litert"
    assert r["size_bytes"] == (digits_run / "student_int8.tflite").stat().st_size
    # the child's own memory, not the test process's TensorFlow (which is several hundred MB)
    assert 10 < r["peak_rss_mb"] < 150, r["peak_rss_mb"]


def test_input_from_npy(digits_run, tmp_path):
    good = tmp_path / "x.npy"
    np.save(good, np.zeros((1, 64), np.int8))
    result = run_benchmark(digits_run / "student_int8.tflite", FAST, str(good))
    assert result["runs"] >= FAST.min_runs
    bad = tmp_path / "bad.npy"
    np.save(bad, np.zeros((1, 64), np.float32))
    with pytest.raises(ProjnetError, match=r"input .*bad.npy is float32\[1, 64\]; the model expects int8\[1, 64\]"):
        run_benchmark(digits_run / "student_int8.tflite", FAST, str(bad))


@pytest.mark.parametrize("content, message", [
    (b"", "is not a TFLite model"),
    (b"hello, I am a text file pretending to be a model", "is not a TFLite model"),
    (b"\xff\xff\x00\x00TFL3" + b"\x00" * 16, "is truncated"),
])
def test_bad_files(tmp_path, content, message):
    path = tmp_path / "bad.tflite"
    path.write_bytes(content)
    with pytest.raises(ProjnetError, match=message):
        read_model(path)


def test_truncated_real_model(digits_run, tmp_path):
    data = (digits_run / "student_int8.tflite").read_bytes()
    path = tmp_path / "half.tflite"
    path.write_bytes(data[: len(data) // 2])
    with pytest.raises(ProjnetError) as info:
        run_benchmark(path, FAST)
    assert "half.tflite" in str(info.value) or "cannot load" in str(info.value)


def test_missing_file(tmp_path):
    with pytest.raises(ProjnetError, match="model file not found"):
        bench_in_subprocess(tmp_path / "nope.tflite", FAST)
