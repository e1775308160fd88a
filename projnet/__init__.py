"""projnet: train a trainer and a tiny projection-network student jointly; ship the student as .tflite.

Importing this package must stay cheap and must not import TensorFlow: device_bench runs on
phones and Raspberry Pis that have only numpy and a TFLite runtime.
"""

__version__ = "0.1.0"

from projnet.errors import ProjnetError, UsageError

API = ("bench", "export", "inspect", "load_model", "predict", "train_and_export")  # projnet/api.py
__all__ = ["__version__", "ProjnetError", "UsageError", *API]


def __getattr__(name: str):
    """`projnet.train_and_export` and the rest of the API, imported on first use (PEP 562)."""
    if name in API:
        from projnet import api

        return getattr(api, name)
    raise AttributeError(f"module 'projnet' has no attribute {name!r}")
