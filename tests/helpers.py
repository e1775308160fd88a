"""Helpers shared by several test files."""

from __future__ import annotations

import numpy as np


def assert_keras_round_trip(model, x, tmp_path, name: str = "model.keras") -> None:
    """Save `model` as .keras, load it back, and require identical outputs on `x`."""
    from projnet.projection.layers import load_model

    path = tmp_path / name
    model.save(path)
    loaded = load_model(path)
    np.testing.assert_array_equal(np.asarray(model(x)), np.asarray(loaded(x)))


def raw_outputs(model: bytes, x: np.ndarray, runtime: str) -> tuple[np.ndarray, dict]:
    """The model's first output on the whole batch `x` in `runtime`, raw (not dequantized), and its details."""
    from projnet.device_bench.runtime import make_interpreter

    _, interpreter = make_interpreter(model, runtime=runtime)
    inp = interpreter.get_input_details()[0]
    assert inp["dtype"] == x.dtype
    interpreter.resize_tensor_input(inp["index"], x.shape)
    interpreter.allocate_tensors()
    interpreter.set_tensor(inp["index"], x)
    interpreter.invoke()
    out = interpreter.get_output_details()[0]
    return interpreter.get_tensor(out["index"]), out


def one_line_error(stderr: str) -> str:
    """The single `error: ...` line a bad input must produce, with no traceback around it."""
    lines = [line for line in stderr.strip().splitlines() if line.strip()]
    assert len(lines) == 1, f"expected one line on stderr, got:\n{stderr}"
    assert lines[0].startswith("error: "), lines[0]
    assert "Traceback" not in stderr
    return lines[0]


def require_system_dependency(present: bool, what: str) -> None:
    """Skip when a Debian package the test needs is absent, except where it must be there.

    `.ci/run` sets PROJNET_REQUIRE_SYSTEM_DEPS=1 after installing them (.ci/system-deps): in CI a
    missing package fails the test instead of skipping it quietly.
    """
    import os

    import pytest

    if present:
        return
    if os.environ.get("PROJNET_REQUIRE_SYSTEM_DEPS") == "1":
        pytest.fail(f"{what}, and PROJNET_REQUIRE_SYSTEM_DEPS=1 says it must be (.ci/system-deps installs it)")
    pytest.skip(f"{what} (run .ci/system-deps as root to install it)")


def require_banking77():
    """BANKING77's directory, or a skip (a failure where PROJNET_REQUIRE_SYSTEM_DEPS=1, as in CI).

    The data set is not in the repository: it is looked for where projnet looks (../shared/data/banking77
    beside the repository, $PROJNET_BANKING77_DIR); CI clones with shared/ beside the repository.
    """
    import os
    from pathlib import Path

    import pytest

    from projnet.config import DataConfig
    from projnet.data.text_csv import banking77_missing, locate_banking77

    found = locate_banking77(DataConfig())
    if found:
        return Path(found)
    if os.environ.get("PROJNET_REQUIRE_SYSTEM_DEPS") == "1":
        pytest.fail(f"{banking77_missing(DataConfig())}, and PROJNET_REQUIRE_SYSTEM_DEPS=1 says it must be there")
    pytest.skip(banking77_missing(DataConfig()))
