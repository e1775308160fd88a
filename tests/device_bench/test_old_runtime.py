"""Every export mode of every backend on tflite-runtime 2.14 (numpy 1), the runtime many Raspberry Pi OS
installs use, on XNNPACK and on the builtin kernels: the same class as at export on every shipped row
(near ties excepted, device_bench/expected_outputs.py), with the image input and the TFLite metadata
that runs ship. `make test` builds the runtime's venv
(.venv-tflite214); the runner files travel to it as they travel to a remote target (device_bench/payload.py).
"""

import io
import json
import subprocess
import tarfile
from pathlib import Path

import numpy as np
import pytest

from projnet.device_bench.payload import runner_tarball
from tests.device_bench.shipped_students import export_every_student
from tests.helpers import require_system_dependency

OLD_RUNTIME_PYTHON = Path(__file__).parents[2] / ".venv-tflite214" / "bin" / "python"
CHECK = """
import json, sys
from pathlib import Path
from projnet.device_bench.runtime import make_interpreter
from projnet.device_bench.expected_outputs import check_expected, expected_path
results = {}
for model in sys.argv[1:]:
    for xnnpack in (True, False):
        name, interpreter = make_interpreter(Path(model).read_bytes(), 1, xnnpack)
        results[f"{Path(model).name} xnnpack={xnnpack}"] = {"runtime": name, **check_expected(interpreter, expected_path(model))}
print(json.dumps(results))
"""


@pytest.fixture(scope="module")
def exported(tmp_path_factory):
    """Every backend in every mode as a run ships it: image input, metadata (shipped_students.py)."""
    folder = tmp_path_factory.mktemp("old-runtime")
    return folder, export_every_student(folder)


def test_every_backend_and_mode_runs_on_tflite_runtime_2_14(exported, tmp_path):
    require_system_dependency(OLD_RUNTIME_PYTHON.is_file(), "the tflite-runtime 2.14 venv is missing (make test builds it)")
    folder, models = exported
    tarball, _ = runner_tarball(models[0])
    tarfile.open(fileobj=io.BytesIO(tarball)).extractall(tmp_path, filter="data")
    done = subprocess.run([str(OLD_RUNTIME_PYTHON), "-c", CHECK, *map(str, models)], capture_output=True, text=True,
                          env={"PYTHONPATH": str(tmp_path), "PATH": "/usr/bin:/bin"}, timeout=600)
    assert done.returncode == 0, done.stderr[-2000:]
    results = json.loads(done.stdout)
    assert len(results) == 2 * len(models) and {r["runtime"] for r in results.values()} == {"tflite_runtime"}
    failed = {name: r for name, r in results.items() if not r["passed"]}
    assert not failed, json.dumps({n: {k: r[k] for k in ("argmax_match", "tied_rows", "max_abs_diff", "exact_rows")} for n, r in results.items()}, indent=0)


def test_numpy_2_beside_tflite_runtime_is_one_line(exported, tmp_path):
    """pip resolves numpy 2 beside tflite-runtime 2.14; its wrapper then fails with a SystemError."""
    require_system_dependency(OLD_RUNTIME_PYTHON.is_file(), "the tflite-runtime 2.14 venv is missing (make test builds it)")
    import subprocess as sp

    _, models = exported
    tarball, inside = runner_tarball(models[0])
    tarfile.open(fileobj=io.BytesIO(tarball)).extractall(tmp_path / "payload", filter="data")
    numpy_dir = Path(np.__file__).parent  # this venv's numpy 2, put first on the old runtime's path
    (tmp_path / "numpy2").mkdir()
    (tmp_path / "numpy2" / "numpy").symlink_to(numpy_dir)
    if (numpy_dir.parent / "numpy.libs").is_dir():
        (tmp_path / "numpy2" / "numpy.libs").symlink_to(numpy_dir.parent / "numpy.libs")
    done = sp.run([str(OLD_RUNTIME_PYTHON), "-m", "projnet.device_bench", inside, "--min-time", "0.05"],
                  cwd=tmp_path / "payload", capture_output=True, text=True,
                  env={"PYTHONPATH": f"{tmp_path / 'numpy2'}:{tmp_path / 'payload'}", "PATH": "/usr/bin:/bin"})
    assert done.returncode == 1
    assert done.stderr.strip().startswith("error: tflite_runtime 2.14.0 cannot run under numpy 2.") and \
        "pip install 'numpy<2'" in done.stderr and "Traceback" not in done.stderr


def test_inspect_works_with_tflite_runtime_alone(exported, tmp_path):
    """No ai-edge-litert, no schema package: the flatbuffer reader lists ops, versions and tensors."""
    import shutil

    import projnet

    require_system_dependency(OLD_RUNTIME_PYTHON.is_file(), "the tflite-runtime 2.14 venv is missing (make test builds it)")
    _, models = exported
    package = Path(projnet.__file__).parent
    (tmp_path / "projnet").mkdir()
    for name in ("__init__.py", "errors.py"):
        shutil.copy(package / name, tmp_path / "projnet" / name)
    shutil.copytree(package / "device_bench", tmp_path / "projnet" / "device_bench")
    code = ("import json, sys; from projnet.device_bench.inspect_model import describe_model; "
            "print(json.dumps([describe_model(m) for m in sys.argv[1:]]))")
    done = subprocess.run([str(OLD_RUNTIME_PYTHON), "-c", code, *map(str, models)], capture_output=True, text=True,
                          env={"PYTHONPATH": str(tmp_path), "PATH": "/usr/bin:/bin"}, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    described = json.loads(done.stdout)
    from projnet.device_bench.inspect_model import describe_model

    for info, model in zip(described, models):
        here = describe_model(model)  # with ai-edge-litert in this venv
        assert info["runtime"] == "tflite_runtime" and info["loads_here"], info
        assert {k: info[k] for k in ("ops", "op_versions", "inputs", "outputs", "min_runtime_version")} == \
            {k: here[k] for k in ("ops", "op_versions", "inputs", "outputs", "min_runtime_version")}


def test_a_model_newer_than_the_runtime_is_one_line_naming_the_op_and_runtime(tmp_path):
    """Per-channel dynamic-range Dense is FULLY_CONNECTED version 12, which tflite-runtime 2.14 lacks."""
    import keras
    import tensorflow as tf

    require_system_dependency(OLD_RUNTIME_PYTHON.is_file(), "the tflite-runtime 2.14 venv is missing (make test builds it)")
    dense = keras.Sequential([keras.Input((256,)), keras.layers.Dense(64)])  # big enough to be quantized
    converter = tf.lite.TFLiteConverter.from_keras_model(dense)
    converter.optimizations = [tf.lite.Optimize.DEFAULT]  # per channel: projnet's own export picks per tensor
    model = tmp_path / "models" / "new.tflite"
    model.parent.mkdir()
    model.write_bytes(converter.convert())
    tarball, inside = runner_tarball(model)
    tarfile.open(fileobj=io.BytesIO(tarball)).extractall(tmp_path / "payload", filter="data")
    done = subprocess.run([str(OLD_RUNTIME_PYTHON), "-m", "projnet.device_bench", inside, "--min-time", "0.05"],
                          cwd=tmp_path / "payload", capture_output=True, text=True,
                          env={"PYTHONPATH": str(tmp_path / "payload"), "PATH": "/usr/bin:/bin"}, timeout=300)
    lines = [line for line in done.stderr.splitlines() if line.strip()]
    assert done.returncode == 1 and len(lines) == 1, done.stderr
    assert lines[0].startswith("error: tflite_runtime 2.14.0 has no FULLY_CONNECTED version 12, which the model uses: "
                               "it needs TFLite ") and "(the model's min_runtime_version)" in lines[0]
