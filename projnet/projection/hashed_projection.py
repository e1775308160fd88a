"""HashedProjection: T * d bits from integer feature ids, hashed on the fly with builtin integer ops.

For each of the T * d bits j there is one multiply-shift hash h_j(id) = id * A_j + B_j computed in
int32 (wrapping modulo 2^32; A_j odd) whose sign bit gives a +-1 weight for that id. A row's bit j is
1 when more of its ids (pad ids excluded) weigh +1 than -1:

    bit_j(ids) = [ sum_k mask_k * s_j(id_k) > 0 ],  s_j(id) = +1 if h_j(id) >= 0 else -1

a SimHash (random hyperplane LSH) of the row's bag of feature ids, as in SGNN, whose hyperplane
coefficients are recomputed from 2 * T * d int32 constants instead of being stored. Only the count
of ids with a negative hash is needed: bit_j = [valid > 2 * negatives_j]; pads are not masked one by
one but subtracted afterwards (the pad id 0 hashes to B_j), which saves a (batch, L, T * d) multiply.
In TFLite: EQUAL, CAST, SUM, EXPAND_DIMS, MUL, ADD, LESS, SUB, GREATER, all builtin and all integer,
so TensorFlow and every TFLite runtime give identical bits (int32 MUL wraps the same way in both;
tests/projection/test_hashed_projection.py). LESS is used for the sign bit: RIGHT_SHIFT by 31 gives the
same bits but ran 1.9x slower in ai-edge-litert 2.3 (413 vs 216 us for L = 128, T * d = 1024).
"""

from __future__ import annotations

import keras
import numpy as np
import tensorflow as tf

from projnet.projection.projection_layer import ProjectionLayer

PAD_ID = 0  # the featurizer's padding id (projnet/device_bench/text_featurizer.py)
# one id per pair of neighbouring ids: left * P + right, wrapping in int32 (P: FNV's 32-bit prime); the text
# trainer's `trainer.adjacent_pairs` and the token student's `student.token_pairs` both form them so
PAIR_MULTIPLIER = 16777619


def hash_constants(num_bits: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """(A, B) int32 of shape (num_bits,): odd multipliers and offsets from a numpy seed."""
    rng = np.random.default_rng(seed)  # numpy: the same constants in every process and version
    multipliers = rng.integers(0, 1 << 32, num_bits, dtype=np.uint64) | 1  # odd: a bijection mod 2^32
    offsets = rng.integers(0, 1 << 32, num_bits, dtype=np.uint64)
    return multipliers.astype(np.uint32).view(np.int32), offsets.astype(np.uint32).view(np.int32)


def hashed_bits_numpy(ids: np.ndarray, multipliers: np.ndarray, offsets: np.ndarray) -> np.ndarray:
    """The same bits in numpy uint32 arithmetic: the independent reference the tests compare with."""
    valid = ids != PAD_ID  # (batch, L)
    hashes = ids.astype(np.uint32)[:, :, None] * multipliers.view(np.uint32) + offsets.view(np.uint32)
    negatives = ((hashes >> np.uint32(31)).astype(np.int64) * valid[:, :, None]).sum(axis=1)  # (batch, T * d)
    return (valid.sum(axis=1, keepdims=True) > 2 * negatives).astype(np.float32)


def add_hash_weights(layer: keras.layers.Layer, count: int, seed: int) -> None:
    """`layer.multipliers` and `layer.offsets`: `count` hash constants as non-trainable int32 weights (saved)."""
    multipliers, offsets = hash_constants(count, seed)
    layer.multipliers = layer.add_weight(name="multipliers", shape=(count,), dtype="int32",
                                         initializer=keras.initializers.Constant(multipliers), trainable=False)
    layer.offsets = layer.add_weight(name="offsets", shape=(count,), dtype="int32",
                                     initializer=keras.initializers.Constant(offsets), trainable=False)


@keras.saving.register_keras_serializable(package="projnet")
class HashedProjection(ProjectionLayer):
    """Maps (batch, L) int32 feature ids (0 = padding) to (batch, T * d) bits in {0, 1}."""

    backend = "hashed"

    def build(self, input_shape):
        add_hash_weights(self, self.num_bits, self.seed)  # one hash per bit

    def call(self, inputs):
        ids = tf.cast(inputs, tf.int32)  # (batch, L)
        hashes = tf.expand_dims(ids, 2) * self.multipliers + self.offsets  # (batch, L, T * d) int32, wraps mod 2^32
        negatives = tf.reduce_sum(tf.cast(tf.less(hashes, 0), tf.int32), axis=1)  # (batch, T * d), pads included
        # A pad id 0 hashes to B_j: take its sign out of the counts instead of masking every hash.
        pads = tf.reduce_sum(tf.cast(tf.equal(ids, PAD_ID), tf.int32), axis=1, keepdims=True)  # (batch, 1)
        negatives -= pads * tf.cast(tf.less(self.offsets, 0), tf.int32)  # (batch, T * d) real ids weighing -1
        count = int(ids.shape[1]) - pads  # (batch, 1) real ids
        return tf.cast(tf.greater(count, 2 * negatives), self.compute_dtype)  # (batch, T * d) bits in {0, 1}
