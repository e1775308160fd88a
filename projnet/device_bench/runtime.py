"""Find a TFLite interpreter: ai_edge_litert, else tflite_runtime, else tf.lite (slow to import, deprecated)."""

from __future__ import annotations

import importlib
import re

import numpy as np

from projnet.errors import ProjnetError
from projnet.fd_redirect import native_stderr_silenced

RUNTIMES = (
    ("ai_edge_litert", "ai_edge_litert.interpreter"),
    ("tflite_runtime", "tflite_runtime.interpreter"),
    ("tensorflow.lite", "tensorflow.lite.python.interpreter"),
)
INSTALL_HINT = "no TFLite runtime installed: run pip install ai-edge-litert (or pip install 'projnet[device]')"


def load_runtime(preferred: str | None = None):
    """Return (runtime name, interpreter module) for the first runtime that imports."""
    candidates = [r for r in RUNTIMES if preferred in (None, r[0])]
    if not candidates:
        raise ProjnetError(f"unknown runtime {preferred!r}; known: {', '.join(r[0] for r in RUNTIMES)}")
    for name, module_name in candidates:
        try:
            return name, importlib.import_module(module_name)
        except ImportError:
            continue
    raise ProjnetError(INSTALL_HINT if preferred is None else f"runtime {preferred} is not installed")


def make_interpreter(model_content: bytes, threads: int = 1, use_xnnpack: bool = True, runtime: str | None = None):
    """(runtime name, allocated interpreter) for a model held in memory."""
    name, module = load_runtime(runtime)
    kwargs = {"model_content": model_content, "num_threads": threads}
    if not use_xnnpack:
        kwargs["experimental_op_resolver_type"] = module.OpResolverType.BUILTIN_WITHOUT_DEFAULT_DELEGATES
    try:
        with native_stderr_silenced():
            interpreter = module.Interpreter(**kwargs)
            interpreter.allocate_tensors()
        interpreter.get_input_details(), interpreter.get_output_details()  # damaged names fail here, not later
    except SystemError:
        numpy_major = int(np.__version__.split(".")[0])
        if name == "tflite_runtime" and numpy_major >= 2:  # its wheels (2.14 and older) are built against numpy 1
            version = getattr(importlib.import_module("tflite_runtime"), "__version__", "")
            raise ProjnetError(f"tflite_runtime {version} cannot run under numpy "
                               f"{np.__version__}: install numpy 1 beside it (pip install 'numpy<2')") from None
        raise
    except (ValueError, RuntimeError, UnicodeDecodeError) as exc:
        first_line = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        newer = re.search(r"Didn't find op for builtin opcode '(\w+)' version '(\d+)'", str(exc))
        if newer:  # the model is newer than this runtime: say which op and which runtime it asks for
            raise ProjnetError(_too_new(name, model_content, *newer.groups())) from None
        raise ProjnetError(f"{name} cannot load the model: {first_line}") from None
    return name, interpreter


def _too_new(name: str, model: bytes, op: str, version: str) -> str:
    from projnet.device_bench.model_file import min_runtime_version

    try:
        installed = getattr(importlib.import_module(name.replace(".", "_") if name != "tensorflow.lite" else
                                                    "tensorflow"), "__version__", "?")
    except ImportError:
        installed = "?"
    needed = min_runtime_version(model)
    return (f"{name} {installed} has no {op} version {version}, which the model uses: it needs TFLite "
            f"{needed or 'a newer runtime'} or newer (the model's min_runtime_version), or export it again "
            f"for this runtime")
