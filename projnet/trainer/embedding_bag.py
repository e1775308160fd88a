"""The text trainer: a hashed embedding bag over the student's feature ids, then an MLP.

ids (batch, L) int32, 0 = padding -> each id modulo `buckets` picks an embedding row -> the mean of
the row's non-pad embeddings (fastText-style) -> Dense layers -> logits. It sees exactly the ids the
student sees, so one batch feeds both networks.
"""

from __future__ import annotations

import keras
from keras import ops

from projnet.config import TrainerConfig

PAD_ID = 0  # the featurizer's padding id (projnet/device_bench/text_featurizer.py)


@keras.saving.register_keras_serializable(package="projnet")
class HashedEmbeddingBag(keras.layers.Layer):
    """Maps (batch, L) int32 ids to (batch, dim): the mean embedding of the non-pad ids (zeros if none)."""

    def __init__(self, buckets: int, dim: int, **kwargs):
        super().__init__(**kwargs)
        if not isinstance(buckets, int) or buckets < 1:
            raise ValueError(f"buckets must be a positive int. Received: buckets={buckets}")
        if not isinstance(dim, int) or dim < 1:
            raise ValueError(f"dim must be a positive int. Received: dim={dim}")
        self.buckets = buckets
        self.dim = dim

    def build(self, input_shape):
        self.embeddings = self.add_weight(name="embeddings", shape=(self.buckets, self.dim),
                                          initializer=keras.initializers.RandomUniform(-0.05, 0.05))

    def call(self, inputs):
        ids = ops.cast(inputs, "int32")  # (batch, L)
        valid = ops.cast(ops.not_equal(ids, PAD_ID), self.compute_dtype)[:, :, None]  # (batch, L, 1)
        vectors = ops.take(self.embeddings, ops.mod(ids, self.buckets), axis=0)  # (batch, L, dim)
        count = ops.maximum(ops.sum(valid, axis=1), 1.0)  # (batch, 1)
        return ops.sum(vectors * valid, axis=1) / count  # (batch, dim)

    def compute_output_shape(self, input_shape):
        return (input_shape[0], self.dim)

    def get_config(self):
        return {**super().get_config(), "buckets": self.buckets, "dim": self.dim}


def build_embedding_bag(max_ids: int, num_classes: int, trainer: TrainerConfig) -> keras.Model:
    inputs = keras.Input((max_ids,), dtype="int32", name="ids")
    x = HashedEmbeddingBag(trainer.buckets, trainer.embedding_dim, name="trainer_embedding_bag")(inputs)
    for i, width in enumerate(trainer.hidden):
        x = keras.layers.Dense(width, activation="relu", name=f"trainer_hidden_{i}")(x)
        x = keras.layers.Dropout(trainer.dropout, name=f"trainer_dropout_{i}")(x)
    logits = keras.layers.Dense(num_classes, name="trainer_logits")(x)
    return keras.Model(inputs, logits, name="trainer")
