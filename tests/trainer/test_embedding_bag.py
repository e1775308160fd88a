"""The text trainer's hashed embedding bag: the mean of the non-pad ids' rows, ids taken modulo the buckets."""

import numpy as np
import pytest

from projnet.config import TrainerConfig
from projnet.trainer.embedding_bag import HashedEmbeddingBag, build_embedding_bag
from tests.helpers import assert_keras_round_trip


def test_mean_of_non_pad_rows_with_ids_modulo_buckets():
    layer = HashedEmbeddingBag(5, 2)
    layer.build((None, 4))
    table = np.arange(10, dtype=np.float32).reshape(5, 2)  # row r = [2r, 2r + 1]
    layer.embeddings.assign(table)
    ids = np.array([[1, 7, 0, 0], [-1, 0, 0, 0], [0, 0, 0, 0]], np.int32)  # 7 % 5 = 2, -1 % 5 = 4
    out = np.asarray(layer(ids))
    np.testing.assert_allclose(out, [(table[1] + table[2]) / 2, table[4], [0.0, 0.0]])


def test_refuses_bad_sizes():
    with pytest.raises(ValueError, match="Received: buckets=0"):
        HashedEmbeddingBag(0, 4)
    with pytest.raises(ValueError, match="Received: dim=-1"):
        HashedEmbeddingBag(4, -1)


def test_trainer_takes_int32_ids_and_round_trips(tmp_path):
    model = build_embedding_bag(6, 3, TrainerConfig(architecture="bag", hidden=[8], buckets=64, embedding_dim=4))
    assert model.inputs[0].dtype == "int32" and model.output_shape == (None, 3)
    ids = np.random.default_rng(0).integers(-2**31, 2**31, size=(5, 6), dtype=np.int64).astype(np.int32)
    assert_keras_round_trip(model, ids, tmp_path)


def test_tfidf_pooling_weights_rows_by_idf_normalised_plus_bias():
    train = np.array([[1, 2, 0], [1, 3, 0], [1, 0, 0]], np.int32)  # bucket 1 in every text, 2 and 3 in one
    layer = HashedEmbeddingBag(5, 2, "tfidf")
    layer.build((None, 3))
    layer.set_idf(train)
    idf = np.asarray(layer.idf)
    np.testing.assert_allclose(idf[[1, 2]], [np.log(4 / 4) + 1, np.log(4 / 2) + 1], rtol=1e-6)
    table = np.arange(10, dtype=np.float32).reshape(5, 2)
    layer.embeddings.assign(table)
    layer.bias.assign([0.5, -0.5])
    out = np.asarray(layer(np.array([[1, 7, 0], [0, 0, 0]], np.int32)))  # 7 % 5 = 2
    w = idf[[1, 2]] / np.linalg.norm(idf[[1, 2]])
    np.testing.assert_allclose(out[0], w[0] * table[1] + w[1] * table[2] + [0.5, -0.5], rtol=1e-6)
    np.testing.assert_allclose(out[1], [0.5, -0.5])  # no ids: the bias alone


def test_wide_and_deep_tfidf_trainer_round_trips_with_its_idf(tmp_path):
    ids = np.random.default_rng(0).integers(-2**31, 2**31, size=(5, 6), dtype=np.int64).astype(np.int32)
    config = TrainerConfig(architecture="bag", hidden=[], buckets=64, embedding_dim=4, pooling="tfidf", wide=True)
    model = build_embedding_bag(6, 3, config, train_ids=ids)
    assert model.get_layer("trainer_wide").idf.numpy().max() > 1.0  # set from the training ids, not left at 1
    assert_keras_round_trip(model, ids, tmp_path)
    with pytest.raises(ValueError, match="need the training ids"):
        build_embedding_bag(6, 3, config)
