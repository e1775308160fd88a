"""StaticReshape: (batch, ...) -> (batch, *target_shape) as one TFLite RESHAPE.

keras.layers.Flatten and keras.layers.Reshape read the batch size at run time, which the converter
keeps as SHAPE, STRIDED_SLICE and PACK ops in front of the RESHAPE: three extra ops per call on the
device. tf.reshape with a literal -1 for the batch needs none of them.
"""

from __future__ import annotations

import keras
import numpy as np
import tensorflow as tf


@keras.saving.register_keras_serializable(package="projnet")
class StaticReshape(keras.layers.Layer):
    def __init__(self, target_shape, **kwargs):
        super().__init__(**kwargs)
        self.target_shape = tuple(int(n) for n in target_shape)

    def call(self, inputs):
        return tf.reshape(inputs, [-1, *self.target_shape])

    def compute_output_shape(self, input_shape):
        if int(np.prod(input_shape[1:])) != int(np.prod(self.target_shape)):
            raise ValueError(f"cannot reshape {tuple(input_shape[1:])} to {self.target_shape}")
        return (input_shape[0], *self.target_shape)

    def get_config(self):
        return {**super().get_config(), "target_shape": list(self.target_shape)}


def flatten(x, name: str):
    """(batch, ...) -> (batch, n) with one RESHAPE."""
    return StaticReshape((int(np.prod(x.shape[1:])),), name=name)(x)
