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

from projnet.projection.projection_layer import ProjectionLayer


@keras.saving.register_keras_serializable(package="projnet")
class BitProjection(ProjectionLayer):
    """Maps (batch, features) floats to (batch, T * d) bits in {0, 1}."""

    backend = "dense"

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
