"""The one place that redirects file descriptor 2: native code (TensorFlow, the TFLite converter and
runtimes) writes there past TF_CPP_MIN_LOG_LEVEL and past Python's sys.stderr, so only a dup2 hides it.

TensorFlow-free: the device runner ships this file (device_bench/payload.py).
"""

from __future__ import annotations

import contextlib
import io
import os
import sys
import tempfile


@contextlib.contextmanager
def fd2_redirected(target_fd: int):
    """Point file descriptor 2 at `target_fd` for the block, then back (the one dup2 helper). Where there is no
    fd 2 to redirect (a daemon, an embedding host), the block runs unredirected."""
    try:
        sys.stderr.flush()
        saved = os.dup(2)
    except (OSError, ValueError):
        yield
        return
    os.dup2(target_fd, 2)
    try:
        yield
    finally:
        os.dup2(saved, 2)
        os.close(saved)


@contextlib.contextmanager
def captured_native_output():
    """Redirect fd 2 and sys.stdout for the block; yield a callable returning what was printed."""
    captured = io.StringIO()
    with tempfile.TemporaryFile(mode="w+b") as sink, contextlib.redirect_stdout(captured), \
            fd2_redirected(sink.fileno()):

        def read() -> str:
            sink.seek(0)
            return captured.getvalue() + sink.read().decode(errors="replace")

        yield read


@contextlib.contextmanager
def native_stderr_silenced():
    """Drop what native code writes to fd 2 for the block: LiteRT prints "INFO: Created TensorFlow Lite
    XNNPACK delegate for CPU." there from allocate_tensors(), past TF_CPP_MIN_LOG_LEVEL, which would
    put a second line beside an `error:` line. Its failures still arrive as Python exceptions."""
    null = os.open(os.devnull, os.O_WRONLY)
    try:
        with fd2_redirected(null):
            yield
    finally:
        os.close(null)
