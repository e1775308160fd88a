"""Text data sets: the two featurizers agree, csv:PATH reads and refuses what it should, BANKING77 loads."""

import json

import numpy as np
import pytest

from projnet.config import DataConfig
from projnet.data import dataset_defaults, load_dataset
from projnet.data.text_csv import BANKING77_ENV, locate_banking77, read_csv
from projnet.data.text_features import featurize_texts
from projnet.device_bench.text_featurizer import FeaturizerSpec, featurize_batch
from projnet.errors import ProjnetError, UsageError
from tests.helpers import require_banking77

TRICKY = ["", "  ", "Top-up, please!", "ＣＡＲＤ ﬁx naïve café", "snake_case__words", "x" * 3000, "a b c d e",
          "日本語のテキスト", "€42.50 £7", "tab\tnew\nline", "\ufffd\ufffd", "ǅ ß İ", "e\u0301 é"]


@pytest.mark.parametrize("spec", [FeaturizerSpec(), FeaturizerSpec(word_ngrams=3, char_ngrams=2, max_ids=64),
                                  FeaturizerSpec(char_ngrams=0, max_chars=10), FeaturizerSpec(max_ids=4)])
def test_training_and_reference_featurizers_agree_on_tricky_texts(spec):
    np.testing.assert_array_equal(featurize_texts(TRICKY, spec), featurize_batch(TRICKY, spec))


def test_training_and_reference_featurizers_agree_on_the_whole_banking77_test_set():
    root = require_banking77()
    texts = [t for t in read_csv(root / "test.csv", DataConfig(label_column="category"))[0]]
    assert len(texts) == 3080
    spec = FeaturizerSpec()
    training, reference = featurize_texts(texts, spec), featurize_batch(texts, spec)
    assert int(np.sum(training != reference)) == 0
    assert np.count_nonzero(reference, axis=1).min() >= 1  # no BANKING77 text is empty


def test_banking77_splits_labels_and_defaults():
    require_banking77()
    splits = load_dataset(DataConfig(dataset="banking77", label_column="category"))
    assert (len(splits.x_train), len(splits.x_val), len(splits.x_test)) == (9000, 1003, 3080)
    assert splits.x_train.dtype == np.int32 and splits.x_train.shape[1] == 128 and splits.num_classes == 77
    assert splits.class_names[0] == "card_arrival"  # categories.json's order, not sorted
    assert splits.featurizer["labels"] == list(splits.class_names) and len(splits.texts_test) == 3080
    assert dataset_defaults("banking77")["projection.backend"] == "token"


def test_banking77_is_found_through_data_dir_and_the_environment(tmp_path, monkeypatch):
    monkeypatch.delenv(BANKING77_ENV, raising=False)
    (tmp_path / "train.csv").write_text("text,category\nhi,a\n")
    (tmp_path / "test.csv").write_text("text,category\nhi,a\n")
    assert locate_banking77(DataConfig(data_dir=str(tmp_path))) == str(tmp_path)
    monkeypatch.setenv(BANKING77_ENV, str(tmp_path))
    assert locate_banking77(DataConfig()) == str(tmp_path)


def _write(path, rows, header="text,label"):
    path.write_text(header + "\n" + "".join(f"{t},{label}\n" for t, label in rows), encoding="utf-8")


def test_csv_directory_with_labels_from_the_data(tmp_path):
    _write(tmp_path / "train.csv", [(f"lost card {i}", "lost") for i in range(30)] + [(f"top up {i}", "top_up") for i in range(30)])
    _write(tmp_path / "test.csv", [("card lost", "lost"), ("top me up", "top_up")])
    splits = load_dataset(DataConfig(dataset=f"csv:{tmp_path}"))
    assert splits.class_names == ("lost", "top_up") and splits.y_test.tolist() == [0, 1]
    assert len(splits.x_train) + len(splits.x_val) == 60 and splits.x_test.dtype == np.int32
    assert dataset_defaults(f"csv:{tmp_path}")["trainer.architecture"] == "bag"


def test_single_csv_file_is_split_and_a_labels_file_orders_the_classes(tmp_path):
    _write(tmp_path / "all.csv", [(f"text {i}", "b" if i % 2 else "a") for i in range(100)], header="utterance,intent")
    (tmp_path / "labels.json").write_text(json.dumps(["b", "a", "c"]))
    splits = load_dataset(DataConfig(dataset=f"csv:{tmp_path / 'all.csv'}", text_column="utterance",
                                     label_column="intent", labels_file=str(tmp_path / "labels.json")))
    assert splits.class_names == ("b", "a", "c") and len(splits.x_test) == 20
    assert set(splits.y_test.tolist()) == {0, 1}


def test_csv_without_the_named_columns_is_refused(tmp_path):
    _write(tmp_path / "all.csv", [("hello", "x")], header="sentence,label")
    with pytest.raises(ProjnetError, match=r"has no column 'text' \(its columns: sentence, label\); set data.text_column"):
        load_dataset(DataConfig(dataset=f"csv:{tmp_path / 'all.csv'}"))


def test_test_labels_unseen_in_training_are_refused(tmp_path):
    _write(tmp_path / "train.csv", [("a", "x"), ("b", "y")] * 10)
    _write(tmp_path / "test.csv", [("c", "z"), ("d", "x"), ("e", "w")])
    with pytest.raises(ProjnetError, match=r"test.csv has 2 label\(s\) not among the 2 labels of the training split .*'w', 'z'"):
        load_dataset(DataConfig(dataset=f"csv:{tmp_path}"))


def test_rows_without_a_label_and_missing_paths_are_refused(tmp_path):
    _write(tmp_path / "all.csv", [("a", "x"), ("b", "")])
    with pytest.raises(ProjnetError, match=r"1 row\(s\) have no label \(first at line 3\)"):
        load_dataset(DataConfig(dataset=f"csv:{tmp_path / 'all.csv'}"))
    with pytest.raises(ProjnetError, match="no such CSV file, or a directory without train.csv and test.csv"):
        load_dataset(DataConfig(dataset=f"csv:{tmp_path / 'absent'}"))
    with pytest.raises(UsageError, match="known: digits, fashion_mnist, banking77, csv:PATH"):
        load_dataset(DataConfig(dataset="csv:"))


def test_a_text_set_with_one_class_is_refused(tmp_path):
    path = tmp_path / "one.csv"
    path.write_text("text,label\n" + "".join(f"text number {i},only\n" for i in range(30)))
    with pytest.raises(ProjnetError, match=r"one.csv has 1 class\(es\) in column 'label'; a classifier needs at least 2$"):
        load_dataset(DataConfig(dataset=f"csv:{path}"))


def test_csv_structure_and_encoding_are_checked_not_guessed(tmp_path):
    """Extra fields used to shift the label (" with comma"), Latin-1 became U+FFFD, a BOM hid the column."""
    from pathlib import Path

    extra = tmp_path / "extra.csv"
    extra.write_text("text,label\nhello there,a\nsome text, with comma,b\n")
    with pytest.raises(ProjnetError, match=r"extra.csv: line 3 has 3 fields, the header 2; quote texts that contain commas$"):
        read_csv(extra, DataConfig())
    latin = tmp_path / "latin.csv"
    latin.write_bytes("text,label\ncafé,a\nbye,b\n".encode("latin-1"))
    with pytest.raises(ProjnetError, match=r"latin.csv is not utf-8 \(byte 0xe9 at offset 14\); re-save it as UTF-8 "
                                           r"or set data.csv_encoding \(e.g. latin-1\)$"):
        read_csv(latin, DataConfig())
    assert read_csv(latin, DataConfig(csv_encoding="latin-1")) == (["café", "bye"], ["a", "b"])
    bom = tmp_path / "bom.csv"
    bom.write_bytes(b"\xef\xbb\xbftext,label\nhello,a\nbye,b\n")
    assert read_csv(Path(bom), DataConfig()) == (["hello", "bye"], ["a", "b"])


def test_texts_without_features_are_refused_or_dropped_when_asked(tmp_path):
    from projnet.config import DataConfig
    from projnet.data import load_dataset
    from projnet.errors import ProjnetError

    rows = ["text,label"] + [("card lost,a" if i % 3 else "?!,b") if i % 2 else "top up,b" for i in range(60)]
    (tmp_path / "t.csv").write_text("\n".join(rows) + "\n")
    with pytest.raises(ProjnetError, match=r"10 text\(s\) have no letters or digits, so no features \(first: .*t.csv "
                                           r"line 5\); remove them, or set data.skip_empty_texts=true"):
        load_dataset(DataConfig(dataset=f"csv:{tmp_path / 't.csv'}"))
    splits = load_dataset(DataConfig(dataset=f"csv:{tmp_path / 't.csv'}", skip_empty_texts=True))
    assert len(splits.x_train) + len(splits.x_val) + len(splits.x_test) == 50
    assert all(rows.any(axis=1).all() for rows in (splits.x_train, splits.x_val, splits.x_test))
    assert len(splits.texts_test) == len(splits.x_test)
