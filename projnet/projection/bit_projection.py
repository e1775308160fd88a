"""BitProjection: T projection functions of d bits each, from fixed random hyperplanes.

bit_j(x) = [ <x - c, w_j> > 0 ] for T * d hyperplanes w_j drawn from N(0, 1) with a fixed seed and
an optional centre c (the training mean; pixel data is all >= 0, so hyperplanes through the
origin would waste bits). The hyperplanes are non-trainable weights, so they are saved with the
model and a `.keras` round trip gives identical bits. In TFLite this is FULLY_CONNECTED (the
centre folds into its bias), GREATER and CAST: builtin ops only.
"""

from __future__ import annotations

import keras
import numpy as np
from keras import ops

from projnet.config import MAX_BITS_PER_FUNCTION, MAX_NUM_FUNCTIONS


def validate_sizes(num_functions: int, bits_per_function: int) -> None:
    """Refuse a T or d outside the range every projection backend supports."""
    if not isinstance(num_functions, int) or not 1 <= num_functions <= MAX_NUM_FUNCTIONS:
        raise ValueError(f"num_functions (T) must be an int in [1, {MAX_NUM_FUNCTIONS}]. "
                         f"Received: num_functions={num_functions}")
    if not isinstance(bits_per_function, int) or not 1 <= bits_per_function <= MAX_BITS_PER_FUNCTION:
        raise ValueError(f"bits_per_function (d) must be an int in [1, {MAX_BITS_PER_FUNCTION}]. "
                         f"Received: bits_per_function={bits_per_function}")


@keras.saving.register_keras_serializable(package="projnet")
class BitProjection(keras.layers.Layer):
    """Maps (batch, features) floats to (batch, T * d) bits in {0, 1}."""

    def __init__(self, num_functions: int, bits_per_function: int, seed: int = 1, **kwargs):
        super().__init__(**kwargs)
        validate_sizes(num_functions, bits_per_function)
        self.num_functions = num_functions
        self.bits_per_function = bits_per_function
        self.seed = int(seed)
        self.input_spec = keras.layers.InputSpec(ndim=2)

    @property
    def num_bits(self) -> int:
        return self.num_functions * self.bits_per_function

    def build(self, input_shape):
        num_features = int(input_shape[-1])
        # numpy, not tf.random: the same seed must give the same planes in every process and version.
        planes = np.random.default_rng(self.seed).standard_normal((num_features, self.num_bits))
        self.hyperplanes = self.add_weight(
            name="hyperplanes", shape=(num_features, self.num_bits),
            initializer=keras.initializers.Constant(planes.astype(np.float32)), trainable=False)
        self.offsets = self.add_weight(  # -<c, w_j>: zero until `center_on` is called
            name="offsets", shape=(self.num_bits,), initializer="zeros", trainable=False)

    def center_on(self, center: np.ndarray) -> None:
        """Move every hyperplane through `center` (for example the training mean)."""
        planes = keras.ops.convert_to_numpy(self.hyperplanes)
        self.offsets.assign(-(np.asarray(center, np.float32) @ planes))

    def call(self, inputs):
        projected = ops.matmul(inputs, self.hyperplanes) + self.offsets  # (batch, T * d)
        return ops.cast(ops.greater(projected, 0.0), self.compute_dtype)  # (batch, T * d) bits in {0, 1}

    def compute_output_shape(self, input_shape):
        return (input_shape[0], self.num_bits)

    def get_config(self):
        return {**super().get_config(), "num_functions": self.num_functions,
                "bits_per_function": self.bits_per_function, "seed": self.seed}
