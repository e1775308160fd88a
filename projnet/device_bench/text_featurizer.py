"""The reference text featurizer: text -> padded int32 feature ids, exactly as a phone app must do it.

Pure Python (unicodedata and numpy only, never TensorFlow): this is the definition a port to Java,
Kotlin or Swift reproduces, and what `projnet predict` and the text benchmark run before the model.
One character and one byte at a time, on purpose: the training side (projnet/data/text_features.py)
computes the same ids with a regex and vectorised numpy, and a test holds the two to identical ids.

The steps (every parameter is in the spec shipped as MODEL.featurizer.json beside the .tflite):
1. bytes are decoded as UTF-8; invalid bytes become U+FFFD (the replacement character);
2. the text is cut to its first `max_chars` code points;
3. Unicode NFKC, then lower case (Python's str.lower, the Unicode default case mapping);
4. words: maximal runs of characters for which Python's str.isalnum() is true (Unicode letters and
   numbers); everything else separates words and is dropped;
5. features, in this order: every word ("w:" + word); when `word_ngrams` >= 2, every pair of
   adjacent words ("b:" + word + " " + next word), and so on up to `word_ngrams` words (prefix
   "3:", "4:", ...; words joined by one space); when `char_ngrams` = n >= 1, every run of n characters
   of every word wrapped in "^" and "$" ("c:" + the run; n = 3: "card" -> "^ca", "car", "ard", "rd$";
   a wrapped word shorter than n gives itself);
6. each feature's UTF-8 bytes are hashed with 32-bit FNV-1a (offset basis 2166136261, prime
   16777619, multiply modulo 2^32), read as a two's-complement int32; a hash equal to the pad id 0
   becomes 1;
7. repeated ids are dropped (the first one stays), then the list is cut to `max_ids`;
8. the ids fill a row of `max_ids` int32, padded with 0.
"""

from __future__ import annotations

import hashlib
import json
import unicodedata
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np

from projnet.errors import ProjnetError

FORMAT = "projnet-text-featurizer"
VERSION = 1
PAD_ID = 0
FNV_OFFSET = 2166136261
FNV_PRIME = 16777619


@dataclass
class FeaturizerSpec:
    """Everything needed to turn text into the model's input, and its output back into labels."""

    max_ids: int = 128  # the model's input length; BANKING77 texts give 99 ids at the 99th percentile
    max_chars: int = 1000  # longer texts are cut first, so featurizing stays bounded (BANKING77 max: 433)
    word_ngrams: int = 1  # words alone: word bigrams made the hashed student 1.6 points worse on BANKING77
    char_ngrams: int = 3  # character trigrams of each word: spelling variants and typos share features
    pad_id: int = PAD_ID
    labels: list[str] = field(default_factory=list)  # output index -> label
    test_vectors: list[dict] = field(default_factory=list)  # {"text": ..., "ids": [...]} checked on load
    model_sha256: str = ""  # the .tflite this spec was exported beside ("" in specs from before it was recorded)

    def to_json(self) -> dict:
        return {"format": FORMAT, "version": VERSION, "hash": "fnv1a_32 over UTF-8, as int32; 0 -> 1",
                "steps": __doc__.split("The steps", 1)[1].split("\n", 1)[1].strip(),
                "model_input": "one int32 tensor (1, max_ids): the ids row of step 8",
                "model_output": "(1, len(labels)) logits in label order; an int8 output is dequantized with its "
                                "scale and zero point; softmax gives probabilities", **asdict(self)}

    @classmethod
    def from_json(cls, doc: dict, where: str = "featurizer spec") -> "FeaturizerSpec":
        if not isinstance(doc, dict) or doc.get("format") != FORMAT:
            raise ProjnetError(f"{where} is not a {FORMAT} file")
        if doc.get("version") != VERSION:
            raise ProjnetError(f"{where} has version {doc.get('version')!r}; this projnet reads version {VERSION}")
        try:
            spec = cls(max_ids=int(doc["max_ids"]), max_chars=int(doc["max_chars"]), pad_id=int(doc["pad_id"]),
                       word_ngrams=int(doc["word_ngrams"]), char_ngrams=int(doc["char_ngrams"]),
                       labels=[str(label) for label in doc["labels"]], test_vectors=list(doc["test_vectors"]),
                       model_sha256=str(doc.get("model_sha256", "")))
        except (KeyError, TypeError, ValueError) as exc:
            raise ProjnetError(f"{where} is missing or has a bad field: {exc}") from None
        if spec.pad_id != PAD_ID or min(spec.max_ids, spec.max_chars, spec.word_ngrams) < 1 or spec.char_ngrams < 0:
            raise ProjnetError(f"{where} has unsupported values: pad_id={spec.pad_id}, max_ids={spec.max_ids}, "
                               f"max_chars={spec.max_chars}, word_ngrams={spec.word_ngrams}, "
                               f"char_ngrams={spec.char_ngrams}")
        return spec


def spec_path(model_path: str | Path) -> Path:
    """MODEL.tflite -> MODEL.featurizer.json."""
    path = Path(model_path)
    return path.with_name(path.stem + ".featurizer.json")


def load_spec(path: str | Path) -> FeaturizerSpec:
    """Read a spec and check its test vectors against this featurizer."""
    try:
        doc = json.loads(Path(path).read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ProjnetError(f"featurizer spec not found: {path} (export writes it beside the .tflite)") from None
    except (OSError, ValueError) as exc:
        raise ProjnetError(f"cannot read featurizer spec {path}: {exc}") from None
    return checked_spec(doc, str(path))


def checked_spec(doc: dict, where: str) -> FeaturizerSpec:
    """A spec from its JSON object, its test vectors checked against this featurizer."""
    spec = FeaturizerSpec.from_json(doc, where)
    for vector in spec.test_vectors:
        got = [int(i) for i in featurize(vector["text"], spec)]
        if got != [int(i) for i in vector["ids"]]:
            raise ProjnetError(f"{where}: test vector {vector['text']!r} gives other ids here; "
                               f"this featurizer does not match the one the model was trained with")
    return spec


def featurizer_bytes(featurizer: dict) -> bytes:
    """A spec in one canonical form (without the model_sha256 a spec beside a model adds): the bytes that
    ship inside the model's metadata, and whose SHA-256 the metadata records."""
    doc = {key: value for key, value in featurizer.items() if key != "model_sha256"}
    return json.dumps(doc, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def featurizer_sha256(featurizer: dict) -> str:
    return hashlib.sha256(featurizer_bytes(featurizer)).hexdigest()


def fnv1a_32(data: bytes) -> int:
    """32-bit FNV-1a of `data`, as an unsigned int."""
    h = FNV_OFFSET
    for byte in data:
        h = ((h ^ byte) * FNV_PRIME) & 0xFFFFFFFF
    return h


def to_int32_id(h: int) -> int:
    """An unsigned 32-bit hash as the model's int32 id; the pad id maps to 1."""
    signed = h - (1 << 32) if h >= 1 << 31 else h
    return 1 if signed == PAD_ID else signed


def as_text(text: str | bytes) -> str:
    """UTF-8 bytes (invalid ones -> U+FFFD) or a str (lone surrogates from argv -> U+FFFD) as clean text."""
    if isinstance(text, str):
        try:
            return text.encode("utf-8").decode("utf-8")
        except UnicodeEncodeError:  # lone surrogates: argv's undecodable bytes, or broken strings
            try:
                text = text.encode("utf-8", "surrogateescape")
            except UnicodeEncodeError:
                text = text.encode("utf-8", "surrogatepass")
    return text.decode("utf-8", "replace")


def normalize(text: str | bytes, max_chars: int) -> str:
    return unicodedata.normalize("NFKC", as_text(text)[:max_chars]).lower()


def words(text: str) -> list[str]:
    """Maximal runs of str.isalnum() characters, one character at a time."""
    found, current = [], []
    for char in text:
        if char.isalnum():
            current.append(char)
        elif current:
            found.append("".join(current))
            current = []
    if current:
        found.append("".join(current))
    return found


def ngram_prefix(n: int) -> str:
    return {1: "w:", 2: "b:"}.get(n, f"{n}:")


def features(text: str | bytes, spec: FeaturizerSpec) -> list[str]:
    """The feature strings of a text, in the spec's order, repeats included."""
    tokens = words(normalize(text, spec.max_chars))
    grams = []
    for n in range(1, spec.word_ngrams + 1):
        for start in range(len(tokens) - n + 1):
            grams.append(ngram_prefix(n) + " ".join(tokens[start:start + n]))
    n = spec.char_ngrams
    for w in tokens if n else ():
        wrapped = f"^{w}$"
        for start in range(max(len(wrapped) - n + 1, 1)):
            grams.append("c:" + wrapped[start:start + n])
    return grams


def featurize(text: str | bytes, spec: FeaturizerSpec) -> np.ndarray:
    """(max_ids,) int32: the text's distinct feature ids in order, padded with 0."""
    ids, seen = [], set()
    for gram in features(text, spec):
        feature_id = to_int32_id(fnv1a_32(gram.encode("utf-8")))
        if feature_id not in seen:
            seen.add(feature_id)
            ids.append(feature_id)
            if len(ids) == spec.max_ids:
                break
    row = np.full(spec.max_ids, spec.pad_id, np.int32)
    row[:len(ids)] = ids
    return row


def featurize_batch(texts, spec: FeaturizerSpec) -> np.ndarray:
    """(len(texts), max_ids) int32."""
    return np.stack([featurize(t, spec) for t in texts]) if len(texts) else np.zeros((0, spec.max_ids), np.int32)
