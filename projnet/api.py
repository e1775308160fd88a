"""projnet as a library: the calls a Python user needs, without knowing the package's layout.

    from projnet.api import load_model
    student = load_model("runs/fashion/student.keras")   # keras.saving.load_model alone cannot read it

This module imports Keras; `import projnet` does not (device installs have no TensorFlow).
"""

from __future__ import annotations

from projnet.projection.layers import load_model

__all__ = ["load_model"]
