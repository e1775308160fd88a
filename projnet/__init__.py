"""projnet: train a trainer and a tiny projection-network student jointly; ship the student as .tflite.

Importing this package must stay cheap and must not import TensorFlow: device_bench runs on
phones and Raspberry Pis that have only numpy and a TFLite runtime.
"""

__version__ = "0.1.0"

from projnet.errors import ProjnetError, UsageError

__all__ = ["__version__", "ProjnetError", "UsageError"]
