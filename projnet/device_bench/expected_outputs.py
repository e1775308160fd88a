"""Expected outputs shipped beside a model: what it computed at export, checked again where it runs.

Export writes `MODEL.expected.npz` next to `MODEL.tflite`: up to 1,000 inputs in the model's own
input dtype (already quantized for int8 models) and the raw outputs the exporting machine's runtime
gave for each, one row at a time as a device runs them. On a target, the runner feeds the same
rows and compares: the pass mark is the same argmax on every row, except rows whose two classes were
tied at export within TIE_INT_UNITS raw units (integer outputs) or TIE_FLOAT_RELATIVE (float): raw
int8 outputs differ by a unit or two between CPU kernels (XNNPACK and the builtin reference kernels
round differently), which may flip a near tie but never a clear winner of a model that works there.
Dynamic-range (hybrid) models quantize activations while they run, and runtimes do that differently
(tflite-runtime 2.14 against ai-edge-litert 2.3: one or two projection bits near zero flip, measured on
1-2 of 359 digits rows): for them a near tie is 2% of the row's largest output, and up to 1% of the
rows may still change class.
"""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np

from projnet.errors import ProjnetError

MAX_ROWS = 1000  # enough to catch a wrong kernel; small enough for an emulated target (~1 s)
TIE_INT_UNITS = 2  # int8 outputs: two kernels' results differ by up to 1-2 units on these models
TIE_FLOAT_RELATIVE = 1e-4  # float outputs: of the row's largest magnitude
TIE_HYBRID_RELATIVE = 0.02  # dynamic-range models: two steps of an int8 activation
HYBRID_MAX_CHANGED = 0.01  # dynamic-range models: rows that may change class beyond a near tie


def expected_path(model_path: str | Path) -> Path:
    """student_int8.tflite -> student_int8.expected.npz, in the same directory."""
    model_path = Path(model_path)
    return model_path.with_name(model_path.stem + ".expected.npz")


def _outputs_row_by_row(interpreter, inputs: np.ndarray) -> np.ndarray:
    (detail,) = interpreter.get_input_details()
    out = interpreter.get_output_details()[0]
    if list(detail["shape"][1:]) != list(inputs.shape[1:]) or np.dtype(detail["dtype"]) != inputs.dtype:
        raise ProjnetError(f"expected-output inputs are {inputs.dtype}{list(inputs.shape[1:])} per row; "
                           f"the model takes {np.dtype(detail['dtype'])}{[int(d) for d in detail['shape'][1:]]}")
    if detail["shape"][0] != 1:
        interpreter.resize_tensor_input(detail["index"], [1, *detail["shape"][1:]])
        interpreter.allocate_tensors()
        detail, out = interpreter.get_input_details()[0], interpreter.get_output_details()[0]
    rows = []
    for row in inputs:
        interpreter.set_tensor(detail["index"], row[np.newaxis])
        interpreter.invoke()
        rows.append(interpreter.get_tensor(out["index"])[0].copy())
    return np.stack(rows)


def record_expected(interpreter, inputs: np.ndarray, output_unit: float = 0.0) -> bytes:
    """The .npz bytes holding `inputs` (model dtype, (n, ...)) and this runtime's raw outputs; `output_unit`:
    the int8 step behind a dequantized float output (flatbuffer_reader.dequantized_output_scale), 0 if none."""
    inputs = inputs[:MAX_ROWS]
    buffer = io.BytesIO()
    np.savez(buffer, inputs=inputs, outputs=_outputs_row_by_row(interpreter, inputs),
             output_unit=np.float64(output_unit))
    return buffer.getvalue()


def check_expected(interpreter, npz_path: str | Path) -> dict:
    """Run the shipped inputs here; report how many rows keep their argmax and the largest difference."""
    import zipfile

    try:
        with np.load(npz_path, allow_pickle=False) as npz:
            inputs, expected = npz["inputs"], npz["outputs"]
            output_unit = float(npz["output_unit"]) if "output_unit" in npz.files else 0.0  # older files: none
    except (OSError, ValueError, KeyError, EOFError, zipfile.BadZipFile) as exc:  # truncated: BadZipFile
        raise ProjnetError(f"cannot read expected outputs {npz_path}: {exc or type(exc).__name__}; delete it to "
                           f"bench without the check, or export again") from None
    got = _outputs_row_by_row(interpreter, inputs)
    if got.shape != expected.shape:
        raise ProjnetError(f"{npz_path} holds outputs of shape {list(expected.shape)}; the model gives {list(got.shape)}")
    flat_got = got.reshape(len(got), -1).astype(np.float64)
    flat_expected = expected.reshape(len(expected), -1).astype(np.float64)
    same = flat_got.argmax(axis=1) == flat_expected.argmax(axis=1)
    # how far, at export, the class chosen here was behind the class chosen there
    gap = flat_expected.max(axis=1) - flat_expected[np.arange(len(got)), flat_got.argmax(axis=1)]
    hybrid = is_hybrid(interpreter) and not output_unit  # a dequantized int8 output is full-integer
    if output_unit:  # float32 out of an int8 graph: kernels differ by a unit or two of its int8 step
        tie = TIE_INT_UNITS * output_unit
    elif np.issubdtype(expected.dtype, np.integer):
        tie = TIE_INT_UNITS
    else:
        tie = (TIE_HYBRID_RELATIVE if hybrid else TIE_FLOAT_RELATIVE) * np.abs(flat_expected).max(axis=1)
    tied = ~same & (gap <= tie)
    changed = int(np.sum(~same & ~tied))
    diff = np.abs(flat_got - flat_expected)
    return {"file": str(npz_path), "rows": len(inputs), "argmax_match": float(np.mean(same)),
            "tied_rows": int(tied.sum()), "max_abs_diff": float(diff.max()) if diff.size else 0.0,
            "exact_rows": int(np.sum(diff.max(axis=1) == 0)) if diff.size else 0, "hybrid": hybrid,
            "passed": changed <= (HYBRID_MAX_CHANGED * len(inputs) if hybrid else 0)}


def is_hybrid(interpreter) -> bool:
    """A float output computed through int8 weights: a dynamic-range model, which quantizes as it runs
    (a full-integer model's output is int8; ids models take int32 ids either way)."""
    floats = all(np.dtype(d["dtype"]) == np.float32 for d in interpreter.get_output_details())
    return floats and any(np.dtype(t["dtype"]) == np.int8 for t in interpreter.get_tensor_details())
