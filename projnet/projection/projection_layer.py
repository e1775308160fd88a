"""ProjectionLayer: what every projection backend shares, in Keras' constructor -> build -> call shape.

A projection turns a row into T * d bits with fixed functions drawn from a seed; nothing in it is
trained. The base class checks and stores (T, d, seed), gives the output shape and the config; a
backend's file adds only `build` (its constants, as non-trainable weights so a `.keras` round trip
keeps them) and `call` (a few builtin-op lines). Its name in projnet/registry.py, the class
attribute `backend`, is how the student builder, the exporter and the size checks find its limits.
"""

from __future__ import annotations

from typing import ClassVar

import keras

from projnet.registry import MAX_NUM_FUNCTIONS, backend


def validate_sizes(num_functions: int, bits_per_function: int, max_bits_per_function: int,
                   backend_name: str) -> None:
    """Refuse a T or d outside the backend's range, echoing the bad value."""
    if not isinstance(num_functions, int) or not 1 <= num_functions <= MAX_NUM_FUNCTIONS:
        raise ValueError(f"num_functions (T) must be an int in [1, {MAX_NUM_FUNCTIONS}]. "
                         f"Received: num_functions={num_functions}")
    if not isinstance(bits_per_function, int) or not 1 <= bits_per_function <= max_bits_per_function:
        raise ValueError(f"bits_per_function (d) must be an int in [1, {max_bits_per_function}] for "
                         f"{backend_name}. Received: bits_per_function={bits_per_function}")


class ProjectionLayer(keras.layers.Layer):
    """Maps (batch, ...) inputs to (batch, T * d) bits in {0, 1}; subclasses set `backend`, `build`, `call`."""

    backend: ClassVar[str] = ""  # the registry name; every concrete subclass sets it

    def __init__(self, num_functions: int, bits_per_function: int, seed: int = 1, **kwargs):
        super().__init__(**kwargs)
        spec = backend(self.backend)
        validate_sizes(num_functions, bits_per_function, spec.max_bits_per_function, spec.name)
        self.num_functions = num_functions
        self.bits_per_function = bits_per_function
        self.seed = int(seed)
        self.input_spec = keras.layers.InputSpec(ndim=2)

    @classmethod
    def from_settings(cls, projection, image_shape=None, **kwargs) -> "ProjectionLayer":
        """The layer for a run's `[projection]` settings; backends with more settings override this."""
        return cls(projection.num_functions, projection.bits_per_function, seed=projection.seed, **kwargs)

    @property
    def num_bits(self) -> int:
        return self.num_functions * self.bits_per_function

    def center_on(self, center) -> None:
        """Move the projection's origin to `center` (the training mean); only dense-input backends have one."""
        raise TypeError(f"the {self.backend} projection takes no centre")

    def compute_output_shape(self, input_shape):
        return (input_shape[0], self.num_bits)

    def get_config(self):
        return {**super().get_config(), "num_functions": self.num_functions,
                "bits_per_function": self.bits_per_function, "seed": self.seed}
