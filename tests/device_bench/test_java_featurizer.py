"""The plain-Java featurizer (projnet/device_bench/ProjnetFeaturizer.java), compiled with javac, gives the
reference's ids: on every spec's test vectors, on generated texts from many scripts, and on all of
BANKING77's 3,080 test texts."""

import csv
import json
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest

import projnet
from projnet.data.text_csv import TEST_VECTOR_TEXTS
from projnet.device_bench.text_featurizer import FeaturizerSpec, featurize
from tests.helpers import require_banking77, require_system_dependency

JAVA_FILE = Path(projnet.__file__).parent / "device_bench" / "ProjnetFeaturizer.java"
# letters, numbers and separators whose case, normalization or word rules differ from ASCII's
PIECES = ["card", "Top-Up", "ÉTÉ", "naïve", "ΟΔΟΣ ", "Σίσυφος", "straße", "İstanbul", "ﬁx", "Ｃａｒｄ", "①②", "½",
          "x²", "Ⅻ", "٣٤", "१२", "日本語", "カード", "한국어", "привет", "e\u0301", "👍🏽", "𝐁𝐨𝐥𝐝", "\u00a0", "\t",
          "_", "€42", "don't", "a.b,c", "?!", "  ", "0", "\ufffd", "ǅ", "ﬀ", "Ǆungla", "ⓐ", "🇩🇪", "௰፩", "q\u0301x", "ʰ"]


def generated_texts(count: int = 1500, seed: int = 0) -> list[str]:
    rng = np.random.default_rng(seed)
    return ["".join(rng.choice(PIECES, size=rng.integers(1, 12))) for _ in range(count)]


@pytest.fixture(scope="module")
def java_classes(tmp_path_factory) -> Path:
    require_system_dependency(shutil.which("javac") is not None, "javac is not installed (Debian's default-jdk-headless)")
    out = tmp_path_factory.mktemp("java")
    subprocess.run(["javac", "-d", str(out), str(JAVA_FILE)], check=True, capture_output=True)
    return out


def java_ids(classes: Path, spec: FeaturizerSpec, texts: list[str], tmp_path: Path) -> np.ndarray:
    (tmp_path / "spec.json").write_text(json.dumps(spec.to_json(), ensure_ascii=False), encoding="utf-8")
    done = subprocess.run(["java", "-cp", str(classes), "ProjnetFeaturizer", str(tmp_path / "spec.json")],
                          input="".join(json.dumps(t) + "\n" for t in texts), capture_output=True, text=True,
                          encoding="utf-8")
    assert done.returncode == 0, done.stderr
    return np.array([[int(i) for i in line.split()] for line in done.stdout.splitlines()], np.int32)


def with_vectors(spec: FeaturizerSpec) -> FeaturizerSpec:
    spec.test_vectors = [{"text": t, "ids": [int(i) for i in featurize(t, spec)]} for t in TEST_VECTOR_TEXTS]
    return spec


@pytest.mark.parametrize("word_ngrams,char_ngrams,max_ids", [(1, 3, 128), (2, 0, 16), (3, 4, 64), (1, 1, 8)])
def test_java_matches_the_reference_on_generated_texts(java_classes, tmp_path, word_ngrams, char_ngrams, max_ids):
    spec = with_vectors(FeaturizerSpec(max_ids=max_ids, max_chars=40, word_ngrams=word_ngrams,
                                       char_ngrams=char_ngrams, labels=["a", "b"]))
    texts = list(TEST_VECTOR_TEXTS) + generated_texts()
    np.testing.assert_array_equal(java_ids(java_classes, spec, texts, tmp_path),
                                  np.stack([featurize(t, spec) for t in texts]))


def test_java_refuses_a_spec_whose_test_vectors_disagree(java_classes, tmp_path):
    spec = with_vectors(FeaturizerSpec(labels=["a"]))
    spec.test_vectors[2]["ids"][0] += 1
    (tmp_path / "spec.json").write_text(json.dumps(spec.to_json()))
    done = subprocess.run(["java", "-cp", str(java_classes), "ProjnetFeaturizer", str(tmp_path / "spec.json")],
                          input="", capture_output=True, text=True)
    assert done.returncode != 0 and "gives other ids" in done.stderr


def test_java_matches_the_reference_on_banking77(java_classes, tmp_path):
    root = require_banking77()
    with open(root / "test.csv", newline="", encoding="utf-8") as f:
        texts = [row["text"] for row in csv.DictReader(f)]
    assert len(texts) == 3080
    spec = with_vectors(FeaturizerSpec(labels=["a"]))  # the text defaults' featurizer
    np.testing.assert_array_equal(java_ids(java_classes, spec, texts, tmp_path),
                                  np.stack([featurize(t, spec) for t in texts]))
