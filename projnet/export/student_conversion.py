"""Which conversion a student takes: the backend's export route and the quant mode, from the registry.

The one entry point for every student, head or bits model; export/converter.py does the converting
and export/lsh_export.py the one route the converter cannot do alone.
"""

from __future__ import annotations

import keras

from projnet.export import converter
from projnet.export.lsh_export import convert_lsh_student
from projnet.projection.projection_layer import ProjectionLayer
from projnet.registry import backend


def convert_student(model: keras.Model, mode: str, representative=None, what: str = "student") -> bytes:
    """A student (or its head, or its bits) -> .tflite bytes in `mode`: "float" or a post-training mode.

    The backend's registry entry names its export route; qat has its own module (export/qat.py).
    """
    if any(isinstance(layer, ProjectionLayer) and backend(layer.backend).export_route == "lsh_splice"
           for layer in model.layers):
        return convert_lsh_student(model, mode)
    conversions = {"float": lambda: converter.convert_float(model, what),
                   "int8": lambda: converter.convert_int8(model, representative, what),
                   "dynamic": lambda: converter.convert_dynamic(model, what),
                   "float16": lambda: converter.convert_float16(model, what)}
    if mode not in conversions:
        raise ValueError(f"convert_student takes {', '.join(conversions)}. Received: mode={mode!r}")
    return conversions[mode]()
