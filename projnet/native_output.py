"""Import TensorFlow and Keras without their start-up chatter (absl and oneDNN lines on fd 2).

`captured_native_output` (projnet/fd_redirect.py) keeps the captured text readable, so a failure can still quote it.
"""

from __future__ import annotations

import sys

from projnet.errors import ProjnetError
from projnet.fd_redirect import captured_native_output


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
