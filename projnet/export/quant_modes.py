"""The export quantization modes: the one table of what each mode is and which backends take it.

Importing this module does not import TensorFlow (config validation reads the table).
"""

from __future__ import annotations

from dataclasses import dataclass

from projnet.errors import UsageError


@dataclass(frozen=True)
class QuantMode:
    name: str
    description: str
    backends: tuple[str, ...]  # projection backends this mode can export
    needs_representative: bool  # int8 calibration rows from the training split
    refusal: str = ""  # why the other backends cannot take it
    refusals: tuple[tuple[str, str], ...] = ()  # (backend, reason) where the reason is not `refusal`


QUANT_MODES: dict[str, QuantMode] = {
    "int8": QuantMode("int8", "full-integer post-training quantization: int8 weights, activations, input, output "
                      "(hashed: the int32 id input and the integer hashing stay int32)",
                      ("dense", "structured", "hashed"), True,
                      "LSH_PROJECTION hashes the bytes of a float input; an int8 input would hash other bytes"),
    "dynamic": QuantMode("dynamic", "dynamic range: int8 weights (tensors of 1024+ elements), float activations",
                         ("dense", "structured", "lsh", "hashed"), False),
    "float16": QuantMode("float16", "float16 weights, float32 compute", ("dense", "structured", "lsh", "hashed"),
                         False),
    "qat": QuantMode("qat", "full-integer int8 after quantization-aware fine-tuning (TFMOT, tf_keras twin)",
                     ("dense", "structured"), True,
                     "LSH_PROJECTION hashes the bytes of a float input; an int8 input would hash other bytes",
                     (("hashed", "the QAT worker's tf_keras twin has no hashed projection; int8 PTQ keeps "
                                 "hashed bits exact, so use int8"),)),
}
FLOAT_BACKENDS = ("dense", "structured", "lsh", "hashed")  # every backend also ships a float .tflite


def check_quant_mode(mode: str, backend: str) -> QuantMode:
    """The mode's entry, or a one-line refusal for an unknown mode or one this backend cannot take."""
    if mode not in QUANT_MODES:
        raise UsageError(f"export.quant must be one of: {', '.join(QUANT_MODES)}. Received: export.quant={mode!r}")
    entry = QUANT_MODES[mode]
    if backend in QUANT_MODES["dynamic"].backends and backend not in entry.backends:
        reason = dict(entry.refusals).get(backend, entry.refusal)
        raise UsageError(f"export.quant={mode} is not available for projection.backend={backend}: {reason}; "
                         f"use one of: {', '.join(m for m, e in QUANT_MODES.items() if backend in e.backends)}")
    return entry


def convert_student(model, mode: str, representative=None, what: str = "student") -> bytes:
    """Keras student -> .tflite bytes in `mode` ("float" or a post-training mode; qat has its own module)."""
    from projnet.export import converter
    from projnet.projection.lsh_projection import LshProjection

    if any(isinstance(layer, LshProjection) for layer in model.layers):
        from projnet.export.lsh_export import convert_lsh_student

        return convert_lsh_student(model, mode)
    if mode == "float":
        return converter.convert_float(model, what)
    if mode == "int8":
        return converter.convert_int8(model, representative, what)
    if mode == "dynamic":
        return converter.convert_dynamic(model, what)
    if mode == "float16":
        return converter.convert_float16(model, what)
    raise ValueError(f"convert_student takes float, int8, dynamic or float16. Received: mode={mode!r}")
