"""The text trainer: a hashed embedding bag over the student's feature ids, then an MLP.

ids (batch, L) int32, 0 = padding -> each id modulo `buckets` picks an embedding row -> the rows are
pooled over the text -> Dense layers -> logits. It sees exactly the ids the student sees, so one batch
feeds both networks. Two poolings (`trainer.pooling`):
- "mean": the mean of the non-pad rows (fastText-style), then `trainer.hidden`;
- "tfidf": the rows weighted by their bucket's inverse document frequency, the weights L2-normalised
  (TF-IDF with binary term frequency: the featurizer's ids are distinct), plus a bias and a ReLU: the
  bag is the first hidden layer of an MLP over the sparse TF-IDF vector. On BANKING77 (word bigrams,
  65,536 x 256, dropout 0.5) it reaches 0.917 where the mean bag reaches 0.897: an id seen in every
  text (a common word, a frequent trigram) no longer weighs as much as the one that names the intent.
`trainer.adjacent_pairs` adds a feature per pair of neighbouring ids in the row, hashed inside the
graph: the featurizer writes a text's words first and in order, so most pairs are its word bigrams
(the others join trigrams), which a trainer gains from (BANKING77: featurizer bigrams lifted the
tfidf wide & deep trainer 0.915 -> 0.926) but the student's ids, and so the shipped featurizer,
keep without.
"""

from __future__ import annotations

import keras
import numpy as np
from keras import ops

from projnet.config import TrainerConfig
from projnet.projection.hashed_projection import PAD_ID, PAIR_MULTIPLIER
from projnet.registry import TRAINER_POOLINGS as POOLINGS



def bag_buckets(ids, buckets: int, pairs: bool = False):
    """(bucket rows, validity) of (batch, L) int32 ids: (batch, L) each, or (batch, 2L - 1) with the pairs.

    Keras ops, so that the idf (numpy in, read back) and the layer (in the graph) bucket alike.
    """
    ids = ops.cast(ids, "int32")
    valid = ops.not_equal(ids, PAD_ID)
    if pairs:
        pair_ids = ids[:, :-1] * PAIR_MULTIPLIER + ids[:, 1:]
        valid = ops.concatenate([valid, ops.logical_and(valid[:, :-1], valid[:, 1:])], axis=1)
        ids = ops.concatenate([ids, pair_ids], axis=1)
    return ops.mod(ids, buckets), valid  # FLOOR_MOD: a negative id maps into [0, buckets) too


def inverse_document_frequency(ids: np.ndarray, buckets: int, pairs: bool = False) -> np.ndarray:
    """(buckets,) float32 smoothed idf, log((1 + n) / (1 + df)) + 1, of the training rows' buckets."""
    document_frequency = np.zeros(buckets, np.int64)
    for start in range(0, len(ids), 4096):
        rows, valid = (ops.convert_to_numpy(t) for t in bag_buckets(ids[start:start + 4096], buckets, pairs))
        for row, keep in zip(rows, valid):
            document_frequency[np.unique(row[keep])] += 1
    n = len(ids)
    return (np.log((1.0 + n) / (1.0 + document_frequency)) + 1.0).astype(np.float32)


@keras.saving.register_keras_serializable(package="projnet")
class HashedEmbeddingBag(keras.layers.Layer):
    """Maps (batch, L) int32 ids to (batch, dim): their rows pooled by `pooling` (zeros if no ids)."""

    def __init__(self, buckets: int, dim: int, pooling: str = "mean", pairs: bool = False, **kwargs):
        super().__init__(**kwargs)
        if not isinstance(buckets, int) or buckets < 1:
            raise ValueError(f"buckets must be a positive int. Received: buckets={buckets}")
        if not isinstance(dim, int) or dim < 1:
            raise ValueError(f"dim must be a positive int. Received: dim={dim}")
        if pooling not in POOLINGS:
            raise ValueError(f"pooling must be one of {POOLINGS}. Received: pooling={pooling!r}")
        self.buckets, self.dim, self.pooling, self.pairs = buckets, dim, pooling, bool(pairs)

    def build(self, input_shape):
        self.embeddings = self.add_weight(name="embeddings", shape=(self.buckets, self.dim),
                                          initializer=keras.initializers.RandomUniform(-0.05, 0.05))
        if self.pooling == "tfidf":  # the idf comes from the training split (`set_idf`), not from the optimizer
            self.idf = self.add_weight(name="idf", shape=(self.buckets,), initializer="ones", trainable=False)
            self.bias = self.add_weight(name="bias", shape=(self.dim,), initializer="zeros")

    def set_idf(self, train_ids: np.ndarray) -> None:
        self.idf.assign(inverse_document_frequency(train_ids, self.buckets, self.pairs))

    def call(self, inputs):
        buckets, valid = bag_buckets(inputs, self.buckets, self.pairs)  # (batch, L) or (batch, 2L - 1)
        valid = ops.cast(valid, self.compute_dtype)
        vectors = ops.take(self.embeddings, buckets, axis=0)  # (batch, L, dim)
        if self.pooling == "mean":
            count = ops.maximum(ops.sum(valid, axis=1, keepdims=True), 1.0)  # (batch, 1)
            return ops.sum(vectors * valid[:, :, None], axis=1) / count  # (batch, dim)
        weights = ops.take(self.idf, buckets, axis=0) * valid  # (batch, L)
        weights = weights * ops.rsqrt(ops.maximum(ops.sum(weights * weights, axis=1, keepdims=True), 1e-12))
        return ops.sum(vectors * weights[:, :, None], axis=1) + self.bias  # (batch, dim)

    def compute_output_shape(self, input_shape):
        return (input_shape[0], self.dim)

    def get_config(self):
        return {**super().get_config(), "buckets": self.buckets, "dim": self.dim, "pooling": self.pooling,
                "pairs": self.pairs}


@keras.saving.register_keras_serializable(package="projnet")
class IdDropout(keras.layers.Layer):
    """In training, each id of a (batch, L) int32 row becomes padding with probability `rate` (word dropout).

    The whole id goes, not a unit of its row: the bag learns every intent from several of its n-grams
    instead of memorising the one the training split shows (train CE 0.003 by epoch 4 without it). The
    deep bag, the wide part and the pairs all see the same thinned row; the idf is read off the full one.
    """

    def __init__(self, rate: float, seed: int | None = None, **kwargs):
        super().__init__(**kwargs)
        if not 0.0 <= rate < 1.0:
            raise ValueError(f"rate must be in [0, 1). Received: rate={rate}")
        self.rate, self.seed = float(rate), seed
        self.seed_generator = keras.random.SeedGenerator(seed)

    def call(self, ids, training=False):
        if not training or self.rate == 0.0:
            return ids
        keep = keras.random.uniform(ops.shape(ids), seed=self.seed_generator) >= self.rate
        return ops.where(keep, ids, ops.full_like(ids, PAD_ID))

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        return {**super().get_config(), "rate": self.rate, "seed": self.seed}


def build_embedding_bag(max_ids: int, num_classes: int, trainer: TrainerConfig,
                        train_ids: np.ndarray | None = None) -> keras.Model:
    """The bag trainer; "tfidf" pooling reads its idf off `train_ids` (the training split's ids)."""
    inputs = keras.Input((max_ids,), dtype="int32", name="ids")
    ids = IdDropout(trainer.id_dropout, name="trainer_id_dropout")(inputs) if trainer.id_dropout else inputs
    bag = HashedEmbeddingBag(trainer.buckets, trainer.embedding_dim, trainer.pooling, trainer.adjacent_pairs,
                             name="trainer_embedding_bag")
    x = bag(ids)
    if train_ids is None and (trainer.pooling == "tfidf" or trainer.wide):
        raise ValueError("trainer.pooling='tfidf' and trainer.wide need the training ids for their idf")
    if trainer.pooling == "tfidf":
        bag.set_idf(train_ids)
        x = keras.layers.ReLU(name="trainer_bag_relu")(x)
        x = keras.layers.Dropout(trainer.dropout, name="trainer_bag_dropout")(x)
    for i, width in enumerate(trainer.hidden):
        x = keras.layers.Dense(width, activation="relu", name=f"trainer_hidden_{i}")(x)
        x = keras.layers.Dropout(trainer.dropout, name=f"trainer_dropout_{i}")(x)
    logits = keras.layers.Dense(num_classes, name="trainer_logits")(x)
    if trainer.wide:  # wide & deep: a linear TF-IDF model's logits added to the MLP's
        wide = HashedEmbeddingBag(trainer.buckets, num_classes, "tfidf", trainer.adjacent_pairs, name="trainer_wide")
        wide_logits = wide(ids)
        wide.set_idf(train_ids)
        logits = keras.layers.Add(name="trainer_wide_and_deep")([logits, wide_logits])
    return keras.Model(inputs, logits, name="trainer")
