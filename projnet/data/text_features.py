"""The training featurizer: many texts -> padded int32 feature ids, vectorised.

It computes what the reference featurizer (projnet/device_bench/text_featurizer.py, whose docstring
is the definition) computes, by another route: words come from one regex, and the FNV-1a hashes of
all of a data set's distinct feature strings are computed together in numpy, one byte position at a
time across every string. tests/data/test_text_features.py holds the two to identical ids on the
whole BANKING77 test set, so a bug in either shows up as a mismatch.
"""

from __future__ import annotations

import re
import unicodedata

import numpy as np

from projnet.device_bench.text_featurizer import FNV_OFFSET, FNV_PRIME, PAD_ID, FeaturizerSpec, as_text, ngram_prefix

WORD = re.compile(r"[^\W_]+")  # \w is str.isalnum() plus "_" in Python's re: this is str.isalnum() runs


def feature_strings(text: str | bytes, spec: FeaturizerSpec) -> list[str]:
    tokens = WORD.findall(unicodedata.normalize("NFKC", as_text(text)[:spec.max_chars]).lower())
    grams = [ngram_prefix(n) + " ".join(run) for n in range(1, spec.word_ngrams + 1)
             for run in zip(*(tokens[k:] for k in range(n)))]
    if spec.char_ngrams:
        n = spec.char_ngrams
        wrapped = ["^" + w + "$" for w in tokens]
        grams += ["c:" + w[i:i + n] for w in wrapped for i in range(max(len(w) - n + 1, 1))]
    return grams


def fnv1a_32_many(strings: list[str]) -> np.ndarray:
    """(len(strings),) uint32 FNV-1a hashes of the strings' UTF-8 bytes, all at once."""
    encoded = [s.encode("utf-8") for s in strings]
    lengths = np.array([len(b) for b in encoded], np.int64)
    width = int(lengths.max()) if len(encoded) else 0
    table = np.zeros((len(encoded), width), np.uint8)  # (strings, longest) bytes, zero-padded
    for row, data in enumerate(encoded):
        table[row, :len(data)] = np.frombuffer(data, np.uint8)
    hashes = np.full(len(encoded), FNV_OFFSET, np.uint32)
    for position in range(width):
        live = lengths > position  # strings that still have a byte here
        mixed = (hashes ^ table[:, position]) * np.uint32(FNV_PRIME)  # uint32 wraps modulo 2^32
        hashes = np.where(live, mixed, hashes)
    return hashes


def featurize_texts(texts, spec: FeaturizerSpec) -> np.ndarray:
    """(len(texts), max_ids) int32: every text's distinct ids in order, cut to max_ids, padded with 0."""
    per_text = [feature_strings(t, spec) for t in texts]
    vocabulary = sorted({s for strings in per_text for s in strings})
    ids = fnv1a_32_many(vocabulary).view(np.int32).copy()
    ids[ids == PAD_ID] = 1  # the pad id is reserved
    lookup = dict(zip(vocabulary, ids.tolist()))
    out = np.full((len(texts), spec.max_ids), PAD_ID, np.int32)
    for row, strings in enumerate(per_text):
        distinct = list(dict.fromkeys(lookup[s] for s in strings))[:spec.max_ids]
        out[row, :len(distinct)] = distinct
    return out
