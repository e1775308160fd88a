"""StructuredProjection: T * d bits from random signs and a Walsh-Hadamard transform, no stored matrix.

bit_j(x) = [ (H S_k ... H S_1 pad(x))_j + o_j > 0 ]: the input is zero-padded to P = 2^m features,
multiplied by random +-1 sign vectors S (R copies when T * d > P, one per block of P outputs) and
transformed by the Walsh-Hadamard matrix H of size P, `rounds` times. H is applied as the Kronecker
product H_a (x) H_b of two small Hadamard matrices (a * b = P, a and b near sqrt(P)): the padded row
is viewed as an a x b matrix X and H X H costs two small matmuls (2 * P * sqrt(P) multiply-adds
instead of D * T * d). What is stored: R * rounds * P signs, a^2 + b^2 entries of +-1 and T * d
offsets (the centre, as in BitProjection). In TFLite: PAD, MUL, FULLY_CONNECTED, RESHAPE, TRANSPOSE,
STRIDED_SLICE, ADD, GREATER, CAST, all builtin.
"""

from __future__ import annotations

import keras
import numpy as np
import tensorflow as tf
from keras import ops

from projnet.projection.projection_layer import ProjectionLayer


def hadamard(n: int) -> np.ndarray:
    """The n x n Sylvester Hadamard matrix of +-1 (n a power of two)."""
    h = np.ones((1, 1), np.float32)
    while h.shape[0] < n:
        h = np.block([[h, h], [h, -h]])
    return h


def padded_size(num_features: int) -> int:
    """The smallest power of two >= num_features (at least 4, so both Kronecker factors are >= 2)."""
    return max(4, 1 << (int(num_features) - 1).bit_length())


def signed_hadamard(inputs, signs, num_bits: int):
    """(batch, D) -> (batch, num_bits): `rounds` times sign flips then H_a (x) H_b, in plain tf ops.

    Shared by the Keras layer and the QAT worker's tf_keras twin, so both compute the same bits.
    tf.reshape, not keras.ops.reshape: Keras computes a -1 dimension with SHAPE/GATHER/REDUCE_PROD
    ops, which the converter keeps (a dozen ops and ~4 KB of tensor names per round). 2-D matmuls,
    not batched 4-D ones: they convert to FULLY_CONNECTED.
    """
    rounds, blocks, padded = (int(n) for n in signs.shape)  # (rounds, R, P)
    rows = 1 << (padded.bit_length() - 1) // 2  # a
    cols = padded // rows  # b
    hadamard_rows, hadamard_cols = tf.constant(hadamard(rows)), tf.constant(hadamard(cols))
    x = tf.pad(inputs, [[0, 0], [0, padded - int(inputs.shape[-1])]])[:, None, :]  # (batch, 1, P)
    for r in range(rounds):
        x = x * signs[r]  # (batch, R, P)
        grid = tf.reshape(x, [-1, cols]) @ hadamard_cols  # X H_b: (batch * R * a, b)
        grid = tf.transpose(tf.reshape(grid, [-1, rows, cols]), [0, 2, 1])  # (batch * R, b, a)
        grid = tf.reshape(grid, [-1, rows]) @ hadamard_rows  # (X H_b)^T H_a: (batch * R * b, a)
        x = tf.reshape(grid, [-1, blocks, padded])  # (batch, R, P): a fixed permutation of H x
    return tf.reshape(x, [-1, blocks * padded])[:, :num_bits]  # (batch, T * d)


@keras.saving.register_keras_serializable(package="projnet")
class StructuredProjection(ProjectionLayer):
    """Maps (batch, features) floats to (batch, T * d) bits in {0, 1} with sign flips and Hadamard transforms."""

    backend = "structured"

    def __init__(self, num_functions: int, bits_per_function: int, seed: int = 1, rounds: int = 2, **kwargs):
        super().__init__(num_functions, bits_per_function, seed, **kwargs)
        if not isinstance(rounds, int) or not 1 <= rounds <= 4:
            raise ValueError(f"rounds must be an int in [1, 4]. Received: rounds={rounds}")
        self.rounds = rounds

    def build(self, input_shape):
        self.num_features = int(input_shape[-1])
        self.padded = padded_size(self.num_features)
        self.blocks = -(-self.num_bits // self.padded)  # R: sign-vector copies, each gives P outputs
        rng = np.random.default_rng(self.seed)  # numpy: same signs in every process and version
        signs = rng.choice(np.array([-1.0, 1.0], np.float32), size=(self.rounds, self.blocks, self.padded))
        self.signs = self.add_weight(name="signs", shape=signs.shape,
                                     initializer=keras.initializers.Constant(signs), trainable=False)
        self.offsets = self.add_weight(name="offsets", shape=(self.num_bits,), initializer="zeros",
                                       trainable=False)

    def project(self, inputs):
        """The real-valued projections before the offsets: (batch, T * d)."""
        return signed_hadamard(inputs, self.signs, self.num_bits)

    def center_on(self, center: np.ndarray) -> None:
        """Move every hyperplane through `center` (for example the training mean)."""
        center = np.asarray(center, np.float32)[None, :]
        self.offsets.assign(-np.asarray(self.project(ops.convert_to_tensor(center)))[0])

    def call(self, inputs):
        projected = self.project(inputs) + self.offsets  # (batch, T * d)
        return ops.cast(ops.greater(projected, 0.0), self.compute_dtype)  # (batch, T * d) bits in {0, 1}

    def get_config(self):
        return {**super().get_config(), "rounds": self.rounds}
