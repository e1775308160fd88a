"""Property-based bad input: whatever a user types or feeds in, projnet answers with a clear error.

Each property states what may happen (success, or ProjnetError / one `error:` line with exit 1 or
2) and hypothesis tries many inputs; the README quotes the number of cases (sum of max_examples).
"""

from __future__ import annotations

import string
import subprocess
import sys

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from projnet.cli import app
from projnet.config import RunConfig, known_keys
from projnet.config_settings import resolve_config
from projnet.data import dataset_defaults
from projnet.errors import ProjnetError, UsageError
from tests.helpers import one_line_error

CASES = {"set": 300, "toml": 200, "inspect_bytes": 300, "bench_bytes": 20, "cli_args": 100}
NO_DEADLINE = dict(deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])

values = st.one_of(st.integers(-10**6, 10**6), st.floats(allow_nan=True), st.booleans(),
                   st.text(max_size=12), st.lists(st.integers(-5, 300), max_size=4))


def _toml_literal(value) -> str:
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, float):
        return "nan" if value != value else ("inf" if value == float("inf") else "-inf" if value == float("-inf")
                                             else repr(value))
    if isinstance(value, str):
        return '"' + value.encode("unicode_escape").decode().replace('"', '\\"') + '"'
    return repr(value)


@settings(max_examples=CASES["set"], deadline=None)
@given(key=st.one_of(st.sampled_from(known_keys()), st.text(max_size=20)), value=values,
       raw=st.booleans(), raw_text=st.text(max_size=20))
def test_any_set_option_is_accepted_or_a_usage_error(key, value, raw, raw_text):
    assignment = f"{key}={raw_text if raw else _toml_literal(value)}"
    try:
        config = resolve_config(None, [assignment], dataset_defaults)
    except UsageError as exc:
        assert str(exc) and "\n" not in str(exc)
    else:
        assert isinstance(config, RunConfig)


@settings(max_examples=CASES["toml"], **NO_DEADLINE)
@given(doc=st.one_of(
    st.text(alphabet=string.printable, max_size=80),
    st.dictionaries(st.sampled_from(["data", "train", "projection", "student", "nope"]),
                    st.dictionaries(st.sampled_from([k.split(".")[1] for k in known_keys()] + ["x"]), values,
                                    max_size=3), max_size=3)))
def test_any_config_file_is_accepted_or_a_usage_error(tmp_path, doc):
    if isinstance(doc, dict):
        doc = "\n".join(f"[{section}]\n" + "\n".join(f"{k} = {_toml_literal(v)}" for k, v in body.items())
                        for section, body in doc.items())
    path = tmp_path / "c.toml"
    path.write_text(doc)
    try:
        resolve_config(path, [], dataset_defaults)
    except UsageError as exc:
        assert "\n" not in str(exc) or "TOML" in str(exc)


def _mutations(data: bytes):
    truncated = st.integers(0, len(data) - 1).map(lambda n: data[:n])
    flipped = st.lists(st.tuples(st.integers(0, len(data) - 1), st.integers(0, 255)), min_size=1, max_size=20).map(
        lambda edits: bytes(_apply(data, edits)))
    return st.one_of(truncated, flipped, st.binary(max_size=64))


def _apply(data: bytes, edits):
    out = bytearray(data)
    for position, value in edits:
        out[position] = value
    return out


@pytest.fixture(scope="module")
def int8_bytes(digits_run) -> bytes:
    return (digits_run / "student_int8.tflite").read_bytes()


def test_damaged_models_meet_inspect_with_an_error_or_a_description(int8_bytes, tmp_path_factory):
    from projnet.device_bench.inspect_model import describe_model

    path = tmp_path_factory.mktemp("fuzz") / "m.tflite"

    @settings(max_examples=CASES["inspect_bytes"], deadline=None)
    @given(data=_mutations(int8_bytes))
    def check(data):
        path.write_bytes(data)
        try:
            info = describe_model(path)
        except ProjnetError as exc:
            assert str(exc)
        else:
            assert info["size_bytes"] == len(data)

    check()


def test_damaged_models_meet_bench_with_one_error_line(int8_bytes, tmp_path_factory):
    path = tmp_path_factory.mktemp("fuzz") / "m.tflite"

    @settings(max_examples=CASES["bench_bytes"], deadline=None)
    @given(data=_mutations(int8_bytes))
    def check(data):
        path.write_bytes(data)
        result = CliRunner().invoke(app, ["bench", str(path), "--min-time", "0.01", "--warmup", "0"])
        assert result.exit_code in (0, 1), result.output
        if result.exit_code:
            assert result.stderr.startswith("error: ") and result.stderr.count("\n") == 1

    check()


@settings(max_examples=CASES["cli_args"], deadline=None)
@given(command=st.sampled_from(["bench", "inspect", "export", "datasets", "no-such-command"]),
       args=st.lists(st.one_of(st.text(max_size=10), st.sampled_from(["--json", "--threads", "-1", "--set",
                                                                      "--min-time", "0", "--overwrite"])),
                     max_size=4))
def test_random_command_lines_never_show_a_traceback(command, args):
    result = CliRunner().invoke(app, [command, *args])
    assert result.exit_code in (0, 1, 2), (command, args, result.output)
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)
    if result.exit_code:
        assert result.stderr.startswith("error: ") and "Traceback" not in result.stderr


@pytest.mark.parametrize("args, message", [
    (["--seed", "-5"], "error: train.seed must be in [0, 2^32) (numpy and TensorFlow seeds). Received: train.seed=-5"),
    (["--set", "train.seed=18446744073709551616"], "error: train.seed must be in [0, 2^32)"),
    (["--set", "data.split_seed=-1"], "error: data.split_seed must be in [0, 2^32) (numpy seeds). Received: data.split_seed=-1"),
    (["--set", "train.epochs=100000000000000000000000"], "error: train.epochs must be between 1 and 100000."),
    (["--set", "student.hidden=[100000000000]"], "error: student.hidden must be a list of widths between 1 and 65536."),
    (["--set", "projection.backend=patch", "--set", "projection.patch_size=9"],  # digits are 8x8
     "error: projection.patch_size must be at most the image's 8x8 pixels. Received: projection.patch_size=9"),
    (["--set", "projection.backend=patch", "--set", "projection.patch_stride=8"],
     "error: student.bit_pool: the 1x1 map left by a 3x3 patch at stride 8 on 8x8 images cannot be pooled by 2"),
    (["--set", "student.conv_filters=[8]"], "error: student.conv_filters must be empty for projection.backend=dense"),
    (["--engine", "sideways", "--stages", "2", "--set", "trainer.architecture=cnn"],  # a known limit, refused up front
     "error: pipeline.serial_devices=true does not work yet with convolutions (trainer.architecture=cnn)"),
])
def test_out_of_range_numbers_are_refused_before_the_run_directory_exists(args, message, tmp_path):
    """Each used to crash later (numpy ValueError, TypeError, ResourceExhausted) and leave config.toml behind."""
    out = tmp_path / "run"
    done = subprocess.run([sys.executable, "-m", "projnet.cli", "train-and-export", "--out", str(out), *args],
                          capture_output=True, text=True)
    assert done.returncode == 2 and one_line_error(done.stderr).startswith(message)
    assert not out.exists()
