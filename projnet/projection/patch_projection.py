"""PatchProjection: every k x k image patch projected on its own into T * d sign bits, a bit map.

The global backends mix all H * W * C pixels into every bit, so a bit carries no locality and the
reading layer pays a weight per bit per unit. Here the projection functions are F = T * d fixed random
filters of k x k x C, drawn from the seed (never trained) and slid over the image with stride s:

    bit_f(x, p) = [ <patch_p(x), w_f> > tau ],   w_f ~ N(0, 1) with its mean removed (sum w_f = 0)

for every patch position p: an (H', W', F) map of bits, where H' = (H - k) // s + 1 (no padding).
Each filter sums to zero, so a bit answers "is this patch more like +w_f than -w_f around its own
level": a flat patch (the background of most images) gives 0 on every filter, and a bit does not
change with the patch's brightness. tau = 0.05 is a dead zone: a patch must show the pattern with some
contrast (pixels are in [0, 1]) to set its bit. Measured on Fashion-MNIST (README "Images"): int8
rounds small responses to zero, so with tau near 0 the int8 .tflite disagreed with the float bits on
5.5% of them, at 0.05 on 0.5%; and the float student was 1.1 points more accurate after 5 epochs
(0.900 vs 0.889). Without any tau, float32 rounding (each mean-removed filter sums to ~1e-7, not 0)
would give a flat grey patch bits from noise.

Stored: k * k * C * F filter weights. In TFLite: RESHAPE, CONV_2D with constant weights, GREATER,
CAST: builtin only. Small learned layers read the map (student.py).
"""

from __future__ import annotations

import keras
import numpy as np
import tensorflow as tf

from projnet.projection.patch_geometry import bit_map_shape
from projnet.projection.projection_layer import ProjectionLayer
from projnet.registry import MAX_PATCH_SIZE

DEAD_ZONE = 0.05  # tau: a response must pass it to set a bit (int8 agreement and accuracy, see above)


def patch_filters(patch_size: int, channels: int, count: int, seed: int) -> np.ndarray:
    """(k, k, C, F) float32 zero-sum Gaussian filters from a numpy seed (the same in every process)."""
    filters = np.random.default_rng(seed).standard_normal((patch_size, patch_size, channels, count))
    filters -= filters.mean(axis=(0, 1, 2), keepdims=True)
    return filters.astype(np.float32)


@keras.saving.register_keras_serializable(package="projnet")
class PatchProjection(ProjectionLayer):
    """Maps (batch, H * W * C) flat images to (batch, H', W', T * d) bits in {0, 1}."""

    backend = "patch"

    def __init__(self, num_functions: int, bits_per_function: int, seed: int = 1,
                 image_shape: tuple[int, int, int] = (28, 28, 1), patch_size: int = 3, patch_stride: int = 1,
                 **kwargs):
        super().__init__(num_functions, bits_per_function, seed, **kwargs)
        if not isinstance(patch_size, int) or not 1 <= patch_size <= MAX_PATCH_SIZE:
            raise ValueError(f"patch_size must be an int in [1, {MAX_PATCH_SIZE}]. Received: patch_size={patch_size}")
        if not isinstance(patch_stride, int) or not 1 <= patch_stride <= MAX_PATCH_SIZE:
            raise ValueError(f"patch_stride must be an int in [1, {MAX_PATCH_SIZE}]. "
                             f"Received: patch_stride={patch_stride}")
        self.image_shape = tuple(int(n) for n in image_shape)
        self.patch_size, self.patch_stride = patch_size, patch_stride
        self.map_shape = bit_map_shape(self.image_shape, patch_size, patch_stride)  # refuses a patch too big

    @classmethod
    def from_settings(cls, projection, image_shape, **kwargs) -> "PatchProjection":
        return cls(projection.num_functions, projection.bits_per_function, seed=projection.seed,
                   image_shape=image_shape, patch_size=projection.patch_size,
                   patch_stride=projection.patch_stride, **kwargs)

    def build(self, input_shape):
        height, width, channels = self.image_shape
        if int(input_shape[-1]) != height * width * channels:
            raise ValueError(f"this patch projection takes {height}x{width}x{channels} images "
                             f"({height * width * channels} values a row). Received: {int(input_shape[-1])} values")
        filters = patch_filters(self.patch_size, channels, self.num_bits, self.seed)
        self.filters = self.add_weight(name="filters", shape=filters.shape,
                                       initializer=keras.initializers.Constant(filters), trainable=False)

    def call(self, inputs):
        # tf.reshape with a literal shape: Keras' -1 handling adds SHAPE / GATHER ops the converter keeps
        images = tf.reshape(inputs, [-1, *self.image_shape])  # (batch, H, W, C)
        stride = self.patch_stride
        projected = tf.nn.conv2d(images, self.filters, strides=[1, stride, stride, 1], padding="VALID")
        return tf.cast(tf.greater(projected, DEAD_ZONE), self.compute_dtype)  # (batch, H', W', T * d) bits in {0, 1}

    def compute_output_shape(self, input_shape):
        return (input_shape[0], *self.map_shape, self.num_bits)

    def get_config(self):
        return {**super().get_config(), "image_shape": list(self.image_shape), "patch_size": self.patch_size,
                "patch_stride": self.patch_stride}
