"""Capture what native code (TensorFlow, the TFLite converter and runtimes) prints to stdout and fd 2.

TensorFlow's absl and oneDNN start-up lines and LiteRT's "Created XNNPACK delegate" go straight to
file descriptor 2, past TF_CPP_MIN_LOG_LEVEL and past Python's sys.stderr, so only a dup2 hides them.
The captured text stays readable, so a failure can still quote it.
"""

from __future__ import annotations

import contextlib
import io
import os
import sys
import tempfile

from projnet.errors import ProjnetError


@contextlib.contextmanager
def captured_native_output():
    """Redirect fd 2 and sys.stdout for the block; yield a callable returning what was printed."""
    captured = io.StringIO()
    with tempfile.TemporaryFile(mode="w+b") as sink, contextlib.redirect_stdout(captured):
        sys.stderr.flush()
        saved = os.dup(2)
        os.dup2(sink.fileno(), 2)

        def read() -> str:
            sink.seek(0)
            return captured.getvalue() + sink.read().decode(errors="replace")

        try:
            yield read
        finally:
            os.dup2(saved, 2)
            os.close(saved)


def import_tensorflow_quietly() -> None:
    """Import TensorFlow and Keras once, without their start-up chatter on the terminal."""
    if sys.modules.get("tensorflow") is not None:
        return
    try:
        with captured_native_output():
            import keras  # noqa: F401
            import tensorflow  # noqa: F401
    except ImportError as exc:  # a device install: numpy and a TFLite runtime only
        raise ProjnetError(f"training and export need TensorFlow and Keras ({exc.name} is not installed): "
                           f"pip install 'projnet[train]'") from None
