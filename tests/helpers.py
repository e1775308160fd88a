"""Helpers shared by several test files."""

from __future__ import annotations

import numpy as np


def assert_keras_round_trip(model, x, tmp_path, name: str = "model.keras") -> None:
    """Save `model` as .keras, load it back, and require identical outputs on `x`."""
    import keras

    from projnet.projection import bit_projection  # noqa: F401  registers the custom layer

    path = tmp_path / name
    model.save(path)
    loaded = keras.saving.load_model(path)
    np.testing.assert_array_equal(np.asarray(model(x)), np.asarray(loaded(x)))


def one_line_error(stderr: str) -> str:
    """The single `error: ...` line a bad input must produce, with no traceback around it."""
    lines = [line for line in stderr.strip().splitlines() if line.strip()]
    assert len(lines) == 1, f"expected one line on stderr, got:\n{stderr}"
    assert lines[0].startswith("error: "), lines[0]
    assert "Traceback" not in stderr
    return lines[0]
