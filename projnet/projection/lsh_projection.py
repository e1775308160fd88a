"""LshProjection: the plain-TF twin of TFLite's builtin LSH_PROJECTION (DENSE), which trains the student.

TFLite's kernel (lsh_projection.cc, DENSE type) computes, for every seed s of a float32 [T, d] seed
tensor, bit = [ sum_k w_k * double(Fingerprint64(bytes(s) || bytes(id_k))) > 0 ] over the items
id_k of its input, weighted by w_k. projnet feeds it the feature ids 0..D-1 (int32) and the centred
feature values w = x - c as weights: a random projection whose D x (T * d) coefficients are
farmhash64 values, recomputed from T * d seeds and never stored. This layer computes the same
fingerprints with `tf.fingerprint` (farmhash64) once at build time and the same weighted sum in
float64, so its bits are the op's. The exporter (projnet/export/lsh_export.py) writes the op into
the flatbuffer, because the converter cannot emit it. TFLite caps d at 32.
"""

from __future__ import annotations

import keras
import numpy as np
import tensorflow as tf

from projnet.projection.projection_layer import ProjectionLayer


def fingerprint_matrix(seeds: np.ndarray, num_features: int) -> np.ndarray:
    """(D, T * d) float64: double(Fingerprint64(bytes(seed) || bytes(int32 id))) for every seed and id."""
    seed_bytes = np.ascontiguousarray(seeds.reshape(-1).astype("<f4")).view(np.uint8).reshape(-1, 1, 4)  # (T*d, 1, 4)
    id_bytes = np.arange(num_features, dtype="<i4").view(np.uint8).reshape(1, -1, 4)  # (1, D, 4)
    keys = np.concatenate(np.broadcast_arrays(seed_bytes, id_bytes), axis=-1)  # (T*d, D, 8)
    digests = tf.fingerprint(tf.constant(keys.reshape(-1, 8)), method="farmhash64")  # (T*d*D, 8) uint8
    hashes = tf.bitcast(digests, tf.int64).numpy()  # (T*d*D,) little-endian, as the kernel reads it
    return hashes.reshape(len(seed_bytes), num_features).T.astype(np.float64)  # (D, T*d)


@keras.saving.register_keras_serializable(package="projnet")
class LshProjection(ProjectionLayer):
    """Maps (batch, features) floats to (batch, T * d) bits in {0, 1}, as LSH_PROJECTION(DENSE) does per row."""

    backend = "lsh"  # its registry entry caps d at 32: the op packs a seed row's bits in an int32

    def build(self, input_shape):
        self.num_features = int(input_shape[-1])
        seeds = np.random.default_rng(self.seed).standard_normal((self.num_functions, self.bits_per_function))
        self.seeds = self.add_weight(name="seeds", shape=seeds.shape, trainable=False,
                                     initializer=keras.initializers.Constant(seeds.astype(np.float32)))
        self.center = self.add_weight(name="center", shape=(self.num_features,), initializer="zeros",
                                      trainable=False)
        # derived from the seeds, not a weight: nothing D x (T * d) is saved
        self.coefficients = tf.constant(fingerprint_matrix(np.asarray(self.seeds), self.num_features))

    def center_on(self, center: np.ndarray) -> None:
        self.center.assign(np.asarray(center, np.float32))

    def call(self, inputs):
        weights = tf.cast(tf.cast(inputs, tf.float32) - self.center, tf.float64)  # (batch, D): the op's SUB, then double
        scores = tf.matmul(weights, self.coefficients)  # (batch, T * d) in float64, as the kernel sums
        return tf.cast(scores > 0.0, self.compute_dtype)  # (batch, T * d) bits in {0, 1}
