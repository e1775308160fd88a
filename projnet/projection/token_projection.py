"""TokenProjection: every feature id projected on its own, on the fly, into T codes of d bits.

The sentence-level `hashed` backend folds a whole text into one SimHash, which forgets which ids
were present. Here, as in PRADO / pQRNN (Kaliamoorthi et al. 2019, 2020), each id keeps its own
projection: T multiply-shift hashes h_j(id) = id * A_j + B_j in int32 (wrapping modulo 2^32, A_j odd),
of which the top d bits are read as a code c_j in [0, 2^d):

    c_j(id) = (h_j(id) >> (32 - d)) + 2^(d-1) + j * 2^d     (arithmetic shift; j's codes in their own block)

Nothing is stored but 2 * T int32 constants. The student reads the codes with a learned T * 2^d x E
table (one row per code, summed over j: a hashed bottleneck shared by every id, the job an embedding
table does without a row per id), then a masked sum over the text scaled by 1 / sqrt(ids) (TokenPool).
The cost is
L * T hashes and L * T row reads: it grows with the number of ids and the projection's T, not with
the number of bits. In TFLite: EXPAND_DIMS, MUL, ADD, RIGHT_SHIFT, all int32 and builtin, so TensorFlow
and every TFLite runtime give identical codes (tests/projection/test_token_projection.py).
"""

from __future__ import annotations

import keras
import numpy as np
import tensorflow as tf

from projnet.projection.hashed_projection import PAD_ID, PAIR_MULTIPLIER, add_hash_weights
from projnet.projection.projection_layer import ProjectionLayer


def token_codes_numpy(ids: np.ndarray, multipliers: np.ndarray, offsets: np.ndarray, bits: int) -> np.ndarray:
    """The same codes in numpy int64 arithmetic: the independent reference the tests compare with."""
    hashes = (ids.astype(np.uint32)[:, :, None] * multipliers.view(np.uint32) + offsets.view(np.uint32))  # wraps
    top = (hashes >> np.uint32(32 - bits)).astype(np.int64)  # (batch, L, T) unsigned top d bits
    signed = np.where(top >= 1 << (bits - 1), top - (1 << bits), top)  # what an arithmetic shift of int32 gives
    return (signed + (1 << (bits - 1)) + np.arange(multipliers.size) * (1 << bits)).astype(np.int32)


@keras.saving.register_keras_serializable(package="projnet")
class TokenProjection(ProjectionLayer):
    """Maps (batch, L) int32 feature ids to (batch, L, T) int32 codes, code j in [j * 2^d, (j + 1) * 2^d)."""

    backend = "token"

    @property
    def num_codes(self) -> int:
        """Rows a table needs to read every code: T * 2^d."""
        return self.num_functions << self.bits_per_function

    def build(self, input_shape):
        add_hash_weights(self, self.num_functions, self.seed)  # one hash per function, d bits read from each
        blocks = np.arange(self.num_functions, dtype=np.int64) * (1 << self.bits_per_function)
        self.code_offsets = tf.constant((blocks + (1 << (self.bits_per_function - 1))).astype(np.int32))

    def call(self, inputs):
        ids = tf.cast(inputs, tf.int32)  # (batch, L)
        hashes = tf.expand_dims(ids, 2) * self.multipliers + self.offsets  # (batch, L, T) int32, wraps mod 2^32
        top = tf.bitwise.right_shift(hashes, 32 - self.bits_per_function)  # (batch, L, T) in [-2^(d-1), 2^(d-1))
        return top + self.code_offsets  # (batch, L, T) codes, each function in its own block of 2^d

    def compute_output_shape(self, input_shape):
        return (input_shape[0], input_shape[1], self.num_functions)


@keras.saving.register_keras_serializable(package="projnet")
class AdjacentIdPairs(keras.layers.Layer):
    """(batch, L) ids -> (batch, 2L - 1): the ids, then one id per pair of neighbours (`student.token_pairs`).

    The featurizer writes a text's words first and in order, so most pairs are word bigrams: formed in
    the graph (STRIDED_SLICE, MUL, ADD, SELECT_V2, CONCATENATION; int32, wrapping like the hashes), the
    shipped featurizer does not change. A pair with padding on either side is padding (0); a real pair
    whose id wraps to exactly 0 (one in 2^32) is dropped with them.
    """

    def call(self, ids):
        ids = tf.cast(ids, tf.int32)
        left, right = ids[:, :-1], ids[:, 1:]
        both = tf.logical_and(tf.not_equal(left, PAD_ID), tf.not_equal(right, PAD_ID))
        pairs = tf.where(both, left * PAIR_MULTIPLIER + right, tf.zeros_like(left))
        return tf.concat([ids, pairs], axis=1)

    def compute_output_shape(self, input_shape):
        length = input_shape[1]
        return (input_shape[0], None if length is None else 2 * length - 1)


@keras.saving.register_keras_serializable(package="projnet")
class TokenPool(keras.layers.Layer):
    """(batch, L, T, E) code rows and (batch, L) ids -> (batch, E): rows summed over T and over non-pad ids, / sqrt(ids).

    1 / sqrt(n) rather than the mean's 1 / n, for the int8 file: each id's weight 1 / sqrt(n) is
    0.09 or more for n <= 128, which int8 holds to within 3% (1 / n would be 0.008 and lose a
    fifth), and the sum keeps one scale for short and long texts. RSQRT and MUL, no DIV: int8 DIV
    is missing from tflite-runtime 2.14, which many Raspberry Pi installs run.

    The weighted sum is one BATCH_MATMUL, (1, L*T) weights by (L*T, E) rows, so the int8 file rounds it
    once, from its int32 accumulator. As SUM over T, MUL by the weights and SUM over L it rounded three
    times, once per row product: on a 29 KB BANKING77 student 21 test texts changed class between the
    float and the int8 file, 15 with the matmul (README, "int8 agreement").
    """

    def call(self, rows, ids):
        valid = tf.cast(tf.not_equal(ids, PAD_ID), rows.dtype)  # (batch, L)
        scale = tf.math.rsqrt(tf.maximum(tf.reduce_sum(valid, axis=1, keepdims=True), 1.0))  # (batch, 1)
        length, codes, width = rows.shape[1], rows.shape[2], rows.shape[3]  # static: the ids input has a fixed length
        weights = tf.tile((valid * scale)[:, :, None], [1, 1, codes])  # (batch, L, T): an id's weight on each of its rows
        pooled = tf.matmul(tf.reshape(weights, (-1, 1, length * codes)), tf.reshape(rows, (-1, length * codes, width)))
        return tf.reshape(pooled, (-1, width))  # (batch, E); an empty text gives zeros

    def compute_output_shape(self, rows_shape, ids_shape):
        return (rows_shape[0], rows_shape[-1])
