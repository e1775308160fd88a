import gzip

import numpy as np
import pytest

from projnet.config import DataConfig
from projnet.data import describe_datasets, load_dataset
from projnet.data import fashion_mnist
from projnet.errors import ProjnetError, UsageError
from tests.helpers import require_system_dependency


def test_digits_splits_are_fixed_disjoint_and_stratified():
    a, b = load_dataset(DataConfig()), load_dataset(DataConfig())
    np.testing.assert_array_equal(a.x_test, b.x_test)
    np.testing.assert_array_equal(a.y_train, b.y_train)
    assert len(a.x_train) + len(a.x_val) + len(a.x_test) == 1797
    assert len(a.x_test) == 359 and a.num_features == 64 and a.num_classes == 10
    assert set(np.unique(a.y_test)) == set(range(10))
    assert 0.0 <= a.x_train.min() and a.x_train.max() <= 1.0 and a.x_train.dtype == np.float32
    other = load_dataset(DataConfig(split_seed=7))
    assert not np.array_equal(other.y_test, a.y_test)


def test_unknown_dataset():
    with pytest.raises(UsageError, match="unknown data set 'mnist'; known: digits, fashion_mnist"):
        load_dataset(DataConfig(dataset="mnist"))


def _write_idx(path, array):
    header = bytes([0, 0, 8, array.ndim]) + b"".join(int(n).to_bytes(4, "big") for n in array.shape)
    with gzip.open(path, "wb") as f:
        f.write(header + array.astype(np.uint8).tobytes())


def _fake_fashion(directory, n_train=200, n_test=50):
    rng = np.random.default_rng(0)
    _write_idx(directory / fashion_mnist.FILES["train_images"], rng.integers(0, 256, (n_train, 28, 28)))
    _write_idx(directory / fashion_mnist.FILES["train_labels"], np.arange(n_train) % 10)
    _write_idx(directory / fashion_mnist.FILES["test_images"], rng.integers(0, 256, (n_test, 28, 28)))
    _write_idx(directory / fashion_mnist.FILES["test_labels"], np.arange(n_test) % 10)


@pytest.fixture
def no_system_fashion(tmp_path, monkeypatch):
    monkeypatch.setenv("KERAS_HOME", str(tmp_path / "keras-home"))
    monkeypatch.setattr(fashion_mnist, "DEBIAN_DIR", tmp_path / "not-installed")


def test_fashion_from_data_dir_keeps_official_test_split(tmp_path, no_system_fashion):
    _fake_fashion(tmp_path)
    splits = load_dataset(DataConfig(dataset="fashion_mnist", data_dir=str(tmp_path)))
    assert splits.x_test.shape == (50, 784) and len(splits.x_train) + len(splits.x_val) == 200
    assert splits.source == str(tmp_path) and splits.image_shape == (28, 28, 1)
    assert splits.x_train.max() <= 1.0


def test_fashion_missing_says_where_it_looked(tmp_path, no_system_fashion):
    with pytest.raises(ProjnetError) as info:
        load_dataset(DataConfig(dataset="fashion_mnist", data_dir=str(tmp_path / "empty")))
    message = str(info.value)  # a --data-dir is the only place looked in: never another copy instead
    assert "empty" in message and "keras-home" not in message and "t10k-images-idx3-ubyte" in message
    with pytest.raises(ProjnetError) as info:
        load_dataset(DataConfig(dataset="fashion_mnist"))
    message = str(info.value)
    assert "keras-home" in message and "not-installed" in message
    assert "apt-get install dataset-fashion-mnist" in message
    rows = {r["name"]: r for r in describe_datasets(DataConfig(data_dir=str(tmp_path)))}
    assert rows["digits"]["available"] and not rows["fashion_mnist"]["available"]


def test_fashion_truncated_file(tmp_path, no_system_fashion):
    _fake_fashion(tmp_path)
    path = tmp_path / fashion_mnist.FILES["train_images"]
    raw = gzip.open(path).read()
    with gzip.open(path, "wb") as f:
        f.write(raw[:-100])
    with pytest.raises(ProjnetError, match="truncated"):
        load_dataset(DataConfig(dataset="fashion_mnist", data_dir=str(tmp_path)))
    path.write_bytes(b"not gzip at all")
    with pytest.raises(ProjnetError, match="is not an IDX file"):
        load_dataset(DataConfig(dataset="fashion_mnist", data_dir=str(tmp_path)))


def test_real_fashion_mnist():
    require_system_dependency(bool(fashion_mnist.locate_fashion_mnist(DataConfig())),
                              "Fashion-MNIST is not installed (Debian's dataset-fashion-mnist)")
    splits = load_dataset(DataConfig(dataset="fashion_mnist"))
    assert splits.x_test.shape == (10000, 784)
    assert len(splits.x_train) == 54000 and len(splits.x_val) == 6000
    assert np.bincount(splits.y_test).tolist() == [1000] * 10
