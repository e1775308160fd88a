"""The reference featurizer: exact ids, normalization, bad input, the shipped spec, and no TensorFlow."""

import json
import subprocess
import sys

import numpy as np
import pytest

from projnet.device_bench.text_featurizer import (FeaturizerSpec, featurize, features, fnv1a_32, load_spec,
                                                  spec_path)
from projnet.errors import ProjnetError


def test_fnv1a_32_matches_the_published_test_vectors():
    # from the FNV reference test suite (Fowler, Noll, Vo): "", "a", "foobar"
    assert fnv1a_32(b"") == 0x811C9DC5
    assert fnv1a_32(b"a") == 0xE40C292C
    assert fnv1a_32(b"foobar") == 0xBF9CF968


def test_exact_features_and_ids_of_one_text():
    assert features("Top-up, please!", FeaturizerSpec()) == [
        "w:top", "w:up", "w:please", "c:^to", "c:top", "c:op$", "c:^up", "c:up$",
        "c:^pl", "c:ple", "c:lea", "c:eas", "c:ase", "c:se$"]
    ids = featurize("Top-up, please!", FeaturizerSpec(max_ids=8))
    assert ids.dtype == np.int32 and ids.tolist() == [
        1931901127, -1549397175, -988449638, -1730046649, 1812181171, -2139693279, -2082229553, 212931251]
    assert fnv1a_32(b"w:top") == 1931901127  # the first id is the word's hash, as a positive int32


def test_word_and_character_ngram_orders():
    spec = FeaturizerSpec(word_ngrams=3, char_ngrams=5)
    assert features("Top-up a card", spec) == [
        "w:top", "w:up", "w:a", "w:card", "b:top up", "b:up a", "b:a card", "3:top up a", "3:up a card",
        "c:^top$", "c:^up$", "c:^a$", "c:^card", "c:card$"]
    assert features("a b", FeaturizerSpec(char_ngrams=0)) == ["w:a", "w:b"]


def test_normalization_folds_width_ligatures_and_case():
    spec = FeaturizerSpec()
    np.testing.assert_array_equal(featurize("Ｃａｒｄ ＦＩＸ", spec), featurize("card fix", spec))
    np.testing.assert_array_equal(featurize("ﬁx", spec), featurize("FIX", spec))


def test_repeated_features_appear_once():
    spec = FeaturizerSpec(char_ngrams=0)
    ids = featurize("card card CARD lost", spec)
    assert np.count_nonzero(ids) == 2


def test_invalid_utf8_bytes_become_replacement_characters_which_separate_words():
    spec = FeaturizerSpec()
    np.testing.assert_array_equal(featurize(b"card \xff\xfe lost", spec), featurize("card lost", spec))
    np.testing.assert_array_equal(featurize(b"ca\xffrd", spec), featurize("ca rd", spec))
    # argv's undecodable bytes arrive as lone surrogates: same result as the raw bytes
    np.testing.assert_array_equal(featurize("ca\udcffrd", spec), featurize(b"ca\xffrd", spec))


def test_empty_and_symbol_only_texts_give_only_padding():
    spec = FeaturizerSpec()
    for text in ("", "   ", "?!", b"", b"\xff"):
        assert not featurize(text, spec).any()


def test_long_texts_are_cut_at_max_chars_then_at_max_ids():
    spec = FeaturizerSpec(max_ids=128, max_chars=20)
    np.testing.assert_array_equal(featurize("lost card " * 2 + "exchange rate", spec),
                                  featurize("lost card lost card ", spec))
    many = " ".join(f"w{i}" for i in range(500))
    full = featurize(many, FeaturizerSpec(max_ids=16, max_chars=100_000))
    assert np.count_nonzero(full) == 16
    np.testing.assert_array_equal(full, featurize(" ".join(f"w{i}" for i in range(16)), FeaturizerSpec(max_ids=16, char_ngrams=0)))


def _write_spec(tmp_path, spec):
    path = spec_path(tmp_path / "student_int8.tflite")
    path.write_text(json.dumps(spec.to_json()))
    return path


def test_spec_round_trip_checks_its_test_vectors(tmp_path):
    spec = FeaturizerSpec(max_ids=16, labels=["a", "b"])
    spec.test_vectors = [{"text": t, "ids": featurize(t, spec).tolist()} for t in ("where is my card", "")]
    path = _write_spec(tmp_path, spec)
    assert path.name == "student_int8.featurizer.json"
    loaded = load_spec(path)
    assert loaded == spec
    doc = json.loads(path.read_text())
    assert "fnv1a" in doc["hash"] and "NFKC" in doc["steps"] and "max_chars" in doc["steps"]
    doc["test_vectors"][0]["ids"][0] += 1
    path.write_text(json.dumps(doc))
    with pytest.raises(ProjnetError, match="test vector 'where is my card' gives other ids here"):
        load_spec(path)


@pytest.mark.parametrize("content, message", [
    ("{not json", "cannot read featurizer spec"),
    ('{"format": "other"}', "is not a projnet-text-featurizer file"),
    ('{"format": "projnet-text-featurizer", "version": 99}', "has version 99"),
    ('{"format": "projnet-text-featurizer", "version": 1}', "is missing or has a bad field"),
])
def test_bad_spec_files_are_refused_in_one_line(tmp_path, content, message):
    path = tmp_path / "m.featurizer.json"
    path.write_text(content)
    with pytest.raises(ProjnetError, match=message):
        load_spec(path)
    with pytest.raises(ProjnetError, match="featurizer spec not found"):
        load_spec(tmp_path / "absent.featurizer.json")


def test_reference_featurizer_and_predict_import_no_tensorflow():
    code = ("import sys, projnet.device_bench.text_featurizer, projnet.device_bench.text_predict; "
            "print('tensorflow' in sys.modules or 'keras' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
