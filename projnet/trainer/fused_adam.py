"""Keras' Adam, applied with TensorFlow's fused kernel (`ResourceApplyAdam`).

Keras 3 writes Adam's update as about eight element-wise ops per variable, each a full pass over
the variable's memory. On the pipelined trainer's logical CPU devices the updates are memory-bound
and the cores share one memory bus, so two stages updating at once do not overlap (docs/pipeline.md):
the fused kernel reads and writes each of w, m and v once. Same rule, same state variables (so
checkpoints and `optimizer.variables` are unchanged); a test shows it equals Keras' Adam to 1e-6.
"""

from __future__ import annotations

import keras
import tensorflow as tf


@keras.saving.register_keras_serializable(package="projnet")
class FusedAdam(keras.optimizers.Adam):
    """`keras.optimizers.Adam` whose per-variable step is one `ResourceApplyAdam` (amsgrad: Keras' own step)."""

    def update_step(self, gradient, variable, learning_rate):
        if self.amsgrad:
            return super().update_step(gradient, variable, learning_rate)
        dtype = variable.dtype
        step = tf.cast(self.iterations + 1, dtype)
        index = self._get_variable_index(variable)
        tf.raw_ops.ResourceApplyAdam(  # a Keras variable on TensorFlow exposes its tf.Variable's resource handle
            var=variable.handle, m=self._momentums[index].handle, v=self._velocities[index].handle,
            beta1_power=tf.pow(tf.cast(self.beta_1, dtype), step), beta2_power=tf.pow(tf.cast(self.beta_2, dtype), step),
            lr=tf.cast(learning_rate, dtype), beta1=tf.cast(self.beta_1, dtype), beta2=tf.cast(self.beta_2, dtype),
            epsilon=tf.cast(self.epsilon, dtype), grad=tf.cast(gradient, dtype))
