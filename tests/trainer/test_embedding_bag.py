"""The text trainer's hashed embedding bag: the mean of the non-pad ids' rows, ids taken modulo the buckets."""

import numpy as np
import pytest

from projnet.config import TrainerConfig
from projnet.trainer.embedding_bag import (PAIR_MULTIPLIER, HashedEmbeddingBag, IdDropout, bag_buckets,
                                         build_embedding_bag, inverse_document_frequency)
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


def test_adjacent_pairs_hash_each_neighbouring_pair_in_int32_and_skip_padding():
    ids = np.array([[5, -7, 9, 0], [2**31 - 1, 3, 0, 0]], np.int32)
    buckets, valid = (np.asarray(t) for t in bag_buckets(ids, 1000, pairs=True))
    exact = ids[:, :-1].astype(np.int64) * PAIR_MULTIPLIER + ids[:, 1:]
    assert exact.max() > 2**31  # the case wraps: the graph's int32 MUL must agree with a C int32 multiply
    pairs = exact.astype(np.int32)  # two's-complement wraparound
    np.testing.assert_array_equal(buckets, np.mod(np.concatenate([ids, pairs], axis=1).astype(np.int64), 1000))
    np.testing.assert_array_equal(valid, [[1, 1, 1, 0, 1, 1, 0], [1, 1, 0, 0, 1, 0, 0]])


def test_adjacent_pairs_enter_the_idf_and_the_round_trip(tmp_path):
    train = np.array([[1, 2, 0], [1, 2, 0], [1, 3, 0]], np.int32)  # the pair (1, 2) in two of three texts
    pair_bucket = (1 * PAIR_MULTIPLIER + 2) % 997
    idf = inverse_document_frequency(train, 997, pairs=True)
    assert idf[pair_bucket] == pytest.approx(np.log(4 / 3) + 1)
    assert inverse_document_frequency(train, 997)[pair_bucket] == pytest.approx(np.log(4 / 1) + 1)  # unseen
    config = TrainerConfig(architecture="bag", hidden=[], buckets=997, embedding_dim=4, pooling="tfidf", wide=True,
                           adjacent_pairs=True)
    model = build_embedding_bag(3, 3, config, train_ids=train)
    np.testing.assert_allclose(model.get_layer("trainer_wide").idf.numpy(), idf)
    assert_keras_round_trip(model, train, tmp_path)


def test_id_dropout_pads_whole_ids_in_training_only_and_keeps_the_rest_unchanged():
    ids = np.random.default_rng(0).integers(1, 2**31, size=(200, 50), dtype=np.int64).astype(np.int32)
    ids[:, 40:] = 0  # padding stays padding
    layer = IdDropout(0.25, seed=3)
    np.testing.assert_array_equal(np.asarray(layer(ids)), ids)  # inference: identity
    out = np.asarray(layer(ids, training=True))
    dropped = (out == 0) & (ids != 0)
    assert np.all((out == ids) | dropped)  # an id is kept whole or becomes padding
    assert np.all(out[:, 40:] == 0)
    assert 0.23 < dropped[:, :40].mean() < 0.27  # 8,000 ids at rate 0.25
    assert not np.array_equal(out, np.asarray(layer(ids, training=True)))  # a new mask every step
    np.testing.assert_array_equal(out, np.asarray(IdDropout(0.25, seed=3)(ids, training=True)))
    with pytest.raises(ValueError, match="Received: rate=1.0"):
        IdDropout(1.0)


def test_trainer_with_id_dropout_thins_both_parts_in_training_and_round_trips(tmp_path):
    ids = np.random.default_rng(1).integers(1, 2**31, size=(8, 6), dtype=np.int64).astype(np.int32)
    config = TrainerConfig(architecture="bag", hidden=[], buckets=64, embedding_dim=4, pooling="tfidf", wide=True,
                           dropout=0.0, id_dropout=0.5)
    model = build_embedding_bag(6, 3, config, train_ids=ids)
    assert model.get_layer("trainer_wide").input is model.get_layer("trainer_embedding_bag").input  # one mask
    assert not np.allclose(np.asarray(model(ids, training=True)), np.asarray(model(ids)))
    assert_keras_round_trip(model, ids, tmp_path)
    assert "trainer_id_dropout" not in [layer.name for layer in build_embedding_bag(
        6, 3, TrainerConfig(architecture="bag", hidden=[4], buckets=64, embedding_dim=4)).layers]
