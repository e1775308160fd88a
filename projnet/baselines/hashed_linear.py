"""The plain text alternative a user would ship instead of a student: hashed n-grams + one linear layer.

ids (batch, L) int32, 0 = padding -> bucket = id mod B, inside the graph (FLOOR_MOD) -> each id's
weight is its bucket's inverse document frequency, the row's weights L2-normalised (TF-IDF, binary
term frequency: the featurizer's ids are distinct) -> logits = sum of weight * table[bucket] + bias,
with a learned B x C table read by GATHER. The same ids, splits and converter as the student's, so
the two are compared on equal terms. Measured on BANKING77 (official test, int8): 0.885 at 44 KB
(B = 2^9), 0.891 at 86 KB (2^10), 0.896 at 166 KB (2^11).
"""

from __future__ import annotations

import keras
import numpy as np
import tensorflow as tf

from projnet.device_bench.text_featurizer import PAD_ID
from projnet.trainer.embedding_bag import inverse_document_frequency  # one idf for the baseline and the trainer


@keras.saving.register_keras_serializable(package="projnet")
class TfidfBag(keras.layers.Layer):
    """(batch, L) ids -> (batch, C) logits: an idf-weighted, L2-normalised sum of learned bucket rows."""

    def __init__(self, buckets: int, num_classes: int, **kwargs):
        super().__init__(**kwargs)
        if not isinstance(buckets, int) or buckets < 2:
            raise ValueError(f"buckets must be an int >= 2. Received: buckets={buckets}")
        self.buckets, self.num_classes = buckets, num_classes

    def build(self, input_shape):
        self.table = self.add_weight(name="table", shape=(self.buckets, self.num_classes),
                                     initializer=keras.initializers.RandomNormal(stddev=0.01))
        self.bias = self.add_weight(name="bias", shape=(self.num_classes,), initializer="zeros")
        self.idf = self.add_weight(name="idf", shape=(self.buckets,), initializer="ones", trainable=False)

    def call(self, inputs):
        ids = tf.cast(inputs, tf.int32)  # (batch, L)
        buckets = tf.math.floormod(ids, self.buckets)  # (batch, L) in [0, B)
        weights = tf.gather(self.idf, buckets) * tf.cast(tf.not_equal(ids, PAD_ID), tf.float32)  # (batch, L)
        norm = tf.math.rsqrt(tf.maximum(tf.reduce_sum(weights * weights, axis=1, keepdims=True), 1e-6))
        rows = tf.gather(self.table, buckets)  # (batch, L, C)
        return tf.reduce_sum(rows * (weights * norm)[:, :, None], axis=1) + self.bias  # (batch, C)

    def compute_output_shape(self, input_shape):
        return (input_shape[0], self.num_classes)

    def get_config(self):
        return {**super().get_config(), "buckets": self.buckets, "num_classes": self.num_classes}


def build_hashed_linear(max_ids: int, num_classes: int, buckets: int, idf: np.ndarray) -> keras.Model:
    inputs = keras.Input((max_ids,), dtype="int32", name="ids")
    bag = TfidfBag(buckets, num_classes, name="tfidf_bag")
    logits = bag(inputs)
    bag.idf.assign(idf)
    return keras.Model(inputs, logits, name=f"hashed_linear_{buckets}")


def fit_on_labels(model: keras.Model, splits, epochs: int, learning_rate: float, batch_size: int = 64,
                  seed: int = 0) -> keras.Model:
    """Adam on the labels alone, keeping the weights of the best validation epoch (what a user would do)."""
    keras.utils.set_random_seed(seed)
    model.compile(optimizer=keras.optimizers.Adam(learning_rate),
                  loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True), metrics=["accuracy"])
    model.fit(splits.x_train, splits.y_train, validation_data=(splits.x_val, splits.y_val), epochs=epochs,
              batch_size=batch_size, verbose=0, shuffle=True,
              callbacks=[keras.callbacks.EarlyStopping("val_accuracy", patience=5, restore_best_weights=True)])
    return model


def train_hashed_linear(splits, buckets: int, seed: int = 0, epochs: int = 30) -> keras.Model:
    """The hashed TF-IDF linear model of `buckets` buckets, trained on `splits`' labels."""
    keras.utils.set_random_seed(seed)  # before building: the initial weights come from the seed too
    model = build_hashed_linear(splits.num_features, splits.num_classes, buckets,
                                inverse_document_frequency(splits.x_train, buckets))
    return fit_on_labels(model, splits, epochs, learning_rate=0.02, seed=seed)
