"""The CLI through typer's CliRunner: results on stdout, one `error:` line and an exit code for bad input."""

import json

import pytest
from typer.testing import CliRunner

from projnet.cli import app
from tests.helpers import one_line_error

runner = CliRunner()
QUICK = ["--set", "train.epochs=1", "--set", "trainer.hidden=[16]", "--set", "bench.min_time_s=0.05", "--set", "export.baselines=false",
         "--quiet"]  # the run's own baselines are tested in tests/test_patch_cli.py


def test_datasets_lists_what_is_here():
    result = runner.invoke(app, ["datasets"])
    assert result.exit_code == 0
    assert "digits" in result.stdout and "scikit-learn" in result.stdout and "fashion_mnist" in result.stdout


def test_inspect_and_json(digits_run, tmp_path):
    out = tmp_path / "inspect.json"
    result = runner.invoke(app, ["inspect", str(digits_run / "student_int8.tflite"), "--json", str(out)])
    assert result.exit_code == 0, result.output
    shown = " ".join(result.stdout.split())  # rich wraps at the terminal's width
    assert "FULLY_CONNECTED x3" in shown and "uint8" in shown
    assert "metadata: projnet dense student: digits" in shown and "labels (10): 0, 1, 2, 3, 4, ..." in shown
    assert json.loads(out.read_text())["op_counts"]["GREATER"] == 1
    info = json.loads(out.read_text())
    assert info["min_runtime_version"] == "1.14.0" and "min_runtime_version: 1.14.0" in result.stdout
    assert set(info["op_versions"]) == set(info["op_counts"]) and info["op_versions"]["FULLY_CONNECTED"] >= 1
    again = runner.invoke(app, ["inspect", str(digits_run / "student_int8.tflite"), "--json", str(out)])
    assert again.exit_code == 1 and "already exists; pass --overwrite" in one_line_error(again.stderr)


def test_bench_two_models(digits_run, tmp_path):
    out, png = tmp_path / "bench.json", tmp_path / "bench.png"
    models = [str(digits_run / "student_int8.tflite"), str(digits_run / "trainer_float.tflite")]
    result = runner.invoke(app, ["bench", *models, "--min-time", "0.1", "--json", str(out), "--plot", str(png)])
    assert result.exit_code == 0, result.output
    figures = json.loads(out.read_text())
    assert [f["model"] for f in figures] == models
    assert figures[0]["size_bytes"] < figures[1]["size_bytes"]
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    again = runner.invoke(app, ["bench", *models, "--plot", str(png)])
    assert again.exit_code == 1 and "bench.png already exists" in one_line_error(again.stderr)


def test_bench_keeps_the_figures_of_the_models_that_ran_when_one_fails(digits_run, tmp_path):
    import shutil

    bad = tmp_path / "bad.tflite"
    shutil.copy(digits_run / "student_int8.tflite", bad)
    (tmp_path / "bad.expected.npz").write_bytes(b"not an npz")  # the model loads; its check cannot run
    good, out = str(digits_run / "student_int8.tflite"), tmp_path / "bench.json"
    result = runner.invoke(app, ["bench", str(bad), good, "--min-time", "0.05", "--json", str(out)])
    assert result.exit_code == 1
    assert one_line_error(result.stderr).startswith(f"error: 1 of 2 models failed; first: {bad}: ")
    figures = json.loads(out.read_text())
    assert figures[0]["model"] == good and figures[0]["latency_us"]["p50"] > 0
    assert figures[1]["model"] == str(bad) and "expected outputs" in figures[1]["error"]
    assert "failed" in result.stdout and "KB" in result.stdout  # the table shows both rows


def test_each_student_ships_its_labels(digits_run):
    assert (digits_run / "student_int8.labels.txt").read_text().splitlines() == [str(i) for i in range(10)]
    assert (digits_run / "student_float.labels.txt").is_file() and not (digits_run / "trainer_float.labels.txt").exists()


def test_recorded_accuracy_comes_from_the_run(digits_run, digits_metrics):
    from projnet.device_bench.compare_plot import recorded_accuracy

    assert recorded_accuracy(str(digits_run / "student_int8.tflite")) == digits_metrics["student_int8"]["accuracy"]
    assert recorded_accuracy(str(digits_run / "trainer_float.tflite")) == digits_metrics["trainer"]["accuracy"]
    assert recorded_accuracy("/nowhere/model.tflite") is None


def test_export_rewrites_an_existing_run(tmp_path):
    run = tmp_path / "run"
    first = runner.invoke(app, ["train-and-export", "--out", str(run), *QUICK])
    assert first.exit_code == 0, first.output
    assert "student int8" in first.stdout
    (run / "student_int8.tflite").unlink()
    (run / "notes.txt").write_text("mine")
    again = runner.invoke(app, ["export", str(run), "--quiet"])
    assert again.exit_code == 0, again.output
    assert (run / "student_int8.tflite").is_file() and (run / "notes.txt").read_text() == "mine"


def test_existing_out_is_refused_and_left_alone(tmp_path):
    out = tmp_path / "taken"
    out.mkdir()
    (out / "precious.txt").write_text("keep me")
    result = runner.invoke(app, ["train-and-export", "--out", str(out), *QUICK])
    assert result.exit_code == 1
    assert "already exists and is not empty; pass --overwrite" in one_line_error(result.stderr)
    assert [p.name for p in out.iterdir()] == ["precious.txt"]


@pytest.mark.parametrize("args, code, message", [
    (["train-and-export", "--dataset", "mnist"], 2, "unknown data set 'mnist'"),
    (["train-and-export", "--set", "train.epoch=3"], 2, "unknown setting 'train.epoch'"),
    (["train-and-export", "--set", "train.epochs=lots"], 2, "train.epochs expects int"),
    (["train-and-export", "--set", "projection.num_functions=0"], 2, "projection.num_functions must be between"),
    (["train-and-export", "--set", "projection.bits_per_function=64"], 2, "bits_per_function must be between"),
    (["train-and-export", "--config", "/no/such.toml"], 2, "config file not found"),
    (["train-and-export", "--bogus-flag"], 2, "No such option"),
    (["bench"], 2, "Missing argument"),
    (["export", "/no/such/run"], 1, "run directory not found"),
])
def test_bad_input_is_one_line(args, code, message, tmp_path):
    result = runner.invoke(app, [*args, "--out", str(tmp_path / "o")] if args[0] == "train-and-export" else args)
    assert result.exit_code == code, result.output
    assert message in one_line_error(result.stderr)
    assert not (tmp_path / "o").exists()


def test_fashion_missing_leaves_nothing(tmp_path, monkeypatch):
    from projnet.data import fashion_mnist

    monkeypatch.setenv("KERAS_HOME", str(tmp_path / "kh"))
    monkeypatch.setattr(fashion_mnist, "DEBIAN_DIR", tmp_path / "none")
    result = runner.invoke(app, ["train-and-export", "--dataset", "fashion_mnist", "--out", str(tmp_path / "o")])
    assert result.exit_code == 1
    assert "apt-get install dataset-fashion-mnist" in one_line_error(result.stderr)
    assert not (tmp_path / "o").exists()


@pytest.mark.parametrize("content, message", [
    (b"", "is not a TFLite model"),
    (b"\x1c\x00\x00\x00TFL3" + b"\x00" * 8, "truncated"),
    (b"PK\x03\x04 a zip file", "is not a TFLite model"),
])
@pytest.mark.parametrize("command", ["bench", "inspect"])
def test_bad_model_files(tmp_path, command, content, message):
    path = tmp_path / "model.tflite"
    path.write_bytes(content)
    result = runner.invoke(app, [command, str(path)])
    assert result.exit_code == 1
    assert message in one_line_error(result.stderr)


def test_truncated_real_model_in_inspect_and_bench(digits_run, tmp_path):
    data = (digits_run / "student_int8.tflite").read_bytes()
    path = tmp_path / "cut.tflite"
    path.write_bytes(data[: len(data) - 4000])
    for command in ("inspect", "bench"):
        result = runner.invoke(app, [command, str(path)])
        assert result.exit_code == 1, result.output
        one_line_error(result.stderr)


def test_debug_shows_the_traceback(tmp_path, monkeypatch):
    monkeypatch.setenv("PROJNET_DEBUG", "1")
    result = runner.invoke(app, ["inspect", str(tmp_path / "missing.tflite")])
    assert result.exit_code != 0
    assert type(result.exception).__name__ == "ProjnetError"


def test_training_on_a_device_install_says_what_to_install():
    """`pip install 'projnet[device]'` has no TensorFlow: training is refused in one line, not a traceback."""
    import subprocess
    import sys

    code = ("import sys; sys.modules['keras'] = None; sys.modules['tensorflow'] = None\n"
            "sys.argv = ['projnet', 'train-and-export']\n"
            "from projnet.cli import main; main()\n")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.returncode == 1
    assert "need TensorFlow and Keras" in one_line_error(done.stderr)
    assert "pip install 'projnet[train]'" in done.stderr


@pytest.mark.parametrize("args, code, message", [
    (["--target", "ssh-ish"], 2, "unknown --target 'ssh-ish'; expected local, ssh://[user@]host[:port], qemu-aarch64, adb or adb:SERIAL"),
    (["--target", "adb"], 2, "--target adb needs --benchmark-binary PATH"),
    (["--target", "ssh://pi@127.0.0.1", "--input", "x.npy"], 2, "--input works with --target local only"),
    (["--target", "adb", "--no-xnnpack"], 2, "--no-xnnpack is not available with --target adb"),
    (["--input", "missing.npy"], 1, "--input missing.npy: no such file"),
])
def test_bench_target_errors(digits_run, args, code, message):
    result = runner.invoke(app, ["bench", str(digits_run / "student_int8.tflite"), *args])
    assert result.exit_code == code
    assert message in one_line_error(result.stderr)


def test_bench_on_adb_without_adb(digits_run, tmp_path, monkeypatch):
    binary = tmp_path / "benchmark_model"
    binary.write_bytes(b"\x7fELF")
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    result = runner.invoke(app, ["bench", str(digits_run / "student_int8.tflite"), "--target", "adb:emulator-5554",
                                 "--benchmark-binary", str(binary)])
    assert result.exit_code == 1
    assert "adb not found" in one_line_error(result.stderr)


def test_bench_input_and_xnnpack_options(digits_run, tmp_path):
    """`projnet bench` passes --input and --no-xnnpack to the runner; a wrong-shape input is one line."""
    import json

    import numpy as np

    model = digits_run / "student_float.tflite"
    good, bad = tmp_path / "good.npy", tmp_path / "bad.npy"
    np.save(good, np.zeros((1, 8, 8, 3), np.float32))  # RGB pixels
    np.save(bad, np.zeros((1, 64), np.float32))
    result = runner.invoke(app, ["bench", str(model), "--input", str(good), "--no-xnnpack", "--min-time", "0.1",
                                 "--json", str(tmp_path / "r.json")])
    assert result.exit_code == 0, result.output
    (record,) = json.loads((tmp_path / "r.json").read_text())
    assert record["xnnpack"] is False
    result = runner.invoke(app, ["bench", str(model), "--input", str(bad), "--min-time", "0.1"])
    assert result.exit_code == 1
    assert "is float32[1, 64]; the model expects float32[1, 8, 8, 3]" in one_line_error(result.stderr)


def test_version_flag_prints_the_package_version():
    from projnet import __version__

    result = runner.invoke(app, ["--version"])
    assert result.exit_code == 0 and result.output == f"projnet {__version__}\n"


def test_config_lists_every_setting_with_a_reason(tmp_path):
    from projnet.config import known_keys

    out = tmp_path / "settings.json"
    result = runner.invoke(app, ["config", "--dataset", "banking77", "--json", str(out)])
    assert result.exit_code == 0, result.output
    rows = {row["key"]: row for row in json.loads(out.read_text())}
    assert set(rows) == set(known_keys())
    assert all(row["reason"] for row in rows.values())  # every default says why (STYLE.md)
    assert rows["projection.backend"]["default"] == "token"
    assert rows["projection.backend"]["reason"].startswith("banking77 sets this (general default 'dense': ")
    assert rows["train.epochs"]["type"] == "int" and rows["student.hidden"]["type"] == "list of int"
    again = runner.invoke(app, ["config", "--json", str(out)])
    assert again.exit_code == 1 and "already exists" in again.output


def test_default_run_dir_names_a_csv_data_set_by_its_file():
    from projnet.run_dir import default_run_dir

    path = default_run_dir("csv:/data/sets/my intents.csv")
    assert path.parent.as_posix() == "runs" and path.name.startswith("csv-my intents-")  # one folder, no "csv:"
    assert default_run_dir("banking77").name.startswith("banking77-")


def test_piped_output_shows_each_epoch_as_it_happens(tmp_path):
    """Not a terminal (a CI log): one plain line per epoch on stderr, flushed, while the run is still going."""
    import subprocess
    import sys

    process = subprocess.Popen([sys.executable, "-m", "projnet.cli", "train-and-export", "--out", str(tmp_path / "r"),
                                "--set", "train.epochs=3"], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                               text=True)
    epochs, running_at_first = [], None
    for line in process.stderr:
        if line.startswith("epoch "):
            epochs.append(line)
            if running_at_first is None:
                running_at_first = process.poll() is None
    assert process.wait() == 0
    assert [line.split()[1] for line in epochs] == ["1/3", "2/3", "3/3"] and running_at_first
    assert all("val acc trainer" in line and "s]" in line for line in epochs)


@pytest.mark.parametrize("args, code, message", [
    (["--plot", "{tmp}/p.txt"], 2, "error: --plot writes a PNG file: name it FILE.png. Received: --plot {tmp}/p.txt"),
    (["--plot", "{tmp}/p"], 2, "error: --plot writes a PNG file: name it FILE.png."),
    (["--json", "{tmp}/figures.csv"], 2, "error: --json writes a JSON file: name it FILE.json."),
    (["--json", "{tmp}/no/such/folder/f.json"], 1, "error: --json {tmp}/no/such/folder/f.json: its folder does not exist"),
])
def test_bench_output_paths_are_checked_before_any_benchmark(digits_run, tmp_path, args, code, message):
    """They used to be checked after every model had run (a matplotlib traceback for p.txt)."""
    args = [a.format(tmp=tmp_path) for a in args]
    result = runner.invoke(app, ["bench", str(digits_run / "student_int8.tflite"), *args])
    assert result.exit_code == code
    assert one_line_error(result.stderr).startswith(message.format(tmp=tmp_path))
    assert "p50" not in result.stdout and list(tmp_path.iterdir()) == []


def test_ctrl_c_in_bench_keeps_the_models_already_measured(digits_run, tmp_path):
    """Ctrl-C during the second of three models: the first's row is in the table and the JSON, exit 130."""
    import json
    import signal
    import subprocess
    import sys
    import time
    from pathlib import Path

    models = [str(digits_run / name) for name in ("student_int8.tflite", "student_float.tflite", "trainer_float.tflite")]
    out = tmp_path / "bench.json"
    # SIGINT as a terminal delivers it: a test run started in the background of a non-interactive shell
    # inherits SIGINT ignored, and Python (so `projnet bench`) then keeps ignoring it
    process = subprocess.Popen([sys.executable, "-m", "projnet.cli", "bench", *models, "--min-time", "5", "--json",
                                str(out)], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                               preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))

    def children() -> set[int]:
        try:
            return {int(p) for p in Path(f"/proc/{process.pid}/task/{process.pid}/children").read_text().split()}
        except OSError:
            return set()

    seen, deadline = set(), time.monotonic() + 120
    while len(seen) < 2 and time.monotonic() < deadline:  # each model runs in its own child: wait for the second
        seen |= children()
        time.sleep(0.05)
    assert len(seen) >= 2, "the second model's runner never started"
    process.send_signal(signal.SIGINT)
    stdout, stderr = process.communicate(timeout=60)
    assert process.returncode == 130
    assert one_line_error(stderr).startswith("error: interrupted after 1 of 3 models; the table and ")
    rows = json.loads(out.read_text())
    assert [row["model"] for row in rows] == [models[0]] and "device_bench: ai_edge_litert" in stdout  # the table


def test_export_names_a_truncated_keras_file(digits_run, tmp_path):
    import shutil

    run = tmp_path / "run"
    shutil.copytree(digits_run, run)
    data = (run / "student.keras").read_bytes()
    (run / "student.keras").write_bytes(data[:len(data) // 2])
    result = CliRunner().invoke(app, ["export", str(run), "--quiet"])
    assert result.exit_code == 1
    assert one_line_error(result.stderr).endswith("student.keras is damaged: not a complete .keras archive (a .keras "
                                                  "file is a zip; this one is truncated or is another kind of file)")


def test_help_names_values_in_plain_words_and_shows_the_defaults():
    import re

    from projnet.cli import app

    for command in ("train-and-export", "bench", "pipeline-bench", "baseline", "predict", "inspect", "config",
                    "export", "worker"):
        result = CliRunner().invoke(app, [command, "--help"], env={"COLUMNS": "120"})
        assert result.exit_code == 0, result.output
        assert not re.search(r"--[a-z-]+ <", result.output), (command, result.output)
    help_text = " ".join(CliRunner().invoke(app, ["train-and-export", "--help"], env={"COLUMNS": "200"}).output.split())
    for option, default in (("--dataset NAME", "digits"), ("--quant MODE", "int8"), ("--engine ENGINE", "bp")):
        assert re.search(re.escape(option) + r" .*?\[default: \(" + default + r"\)\]", help_text), (option, help_text)
