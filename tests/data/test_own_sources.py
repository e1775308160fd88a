"""Your own data: idx:, npz:, images:, table: and series: read what they are given, record the bytes they
read, and refuse bad input in one line before any run directory exists."""

import gzip

import numpy as np
import pytest
from PIL import Image

from projnet.config import DataConfig
from projnet.data import describe_datasets, load_dataset
from projnet.data.series_source import series_windows, split_by_session
from projnet.data.synthetic_activity import write_activity_csv
from projnet.errors import ProjnetError


def write_idx(path, array, gz):
    raw = bytes([0, 0, 8, array.ndim]) + b"".join(int(n).to_bytes(4, "big") for n in array.shape)
    raw += array.astype(np.uint8).tobytes()
    path.write_bytes(gzip.compress(raw) if gz else raw)


def idx_set(directory, stem_sep="-", test="t10k", gz=True, n=(40, 20), size=(12, 10), labels=None):
    rng = np.random.default_rng(0)
    directory.mkdir(parents=True, exist_ok=True)
    suffix = ".gz" if gz else ""
    for split, count in (("train", n[0]), (test, n[1])):
        write_idx(directory / f"{split}-images{stem_sep}idx3-ubyte{suffix}", rng.integers(0, 256, (count, *size)), gz)
        write_idx(directory / f"{split}-labels{stem_sep}idx1-ubyte{suffix}",
                  labels if labels is not None and split == "train" else np.arange(count) % 4, gz)
    return directory


@pytest.mark.parametrize("sep,test,gz", [("-", "t10k", True), (".", "t10k", False), ("-", "test", False),
                                         (".", "test", True)])
def test_idx_reads_name_variants_gzipped_or_raw(tmp_path, sep, test, gz):
    directory = idx_set(tmp_path / "kmnist", sep, test, gz)
    splits = load_dataset(DataConfig(dataset=f"idx:{directory}"))
    assert splits.image_shape == (12, 10, 1) and splits.num_features == 120 and splits.num_classes == 4
    assert len(splits.x_test) == 20 and len(splits.x_train) + len(splits.x_val) == 40
    assert [f["path"].rsplit("/", 1)[1].split("-")[0] for f in splits.files] == ["train", "train", test, test]
    assert all(len(f["sha256"]) == 64 and f["bytes"] > 0 for f in splits.files)


def test_idx_missing_files_are_named_never_replaced(tmp_path):
    (tmp_path / "empty").mkdir()
    with pytest.raises(ProjnetError, match=r"lacks IDX files for train_images: train-images-idx3-ubyte or "
                                           r"train-images\.idx3-ubyte \(\.gz or raw\)"):
        load_dataset(DataConfig(dataset=f"idx:{tmp_path / 'empty'}"))
    with pytest.raises(ProjnetError, match="is not a directory"):
        load_dataset(DataConfig(dataset=f"idx:{tmp_path / 'nowhere'}"))


@pytest.mark.parametrize("damage,message", [
    ("count", "holds 40 images but .* 39 labels"),
    ("size", "holds 12x10 images but .* 8x8"),
    ("header", "truncated or padded: header says"),
    ("stray_label", r"class\(es\) 200 have fewer than 2 training examples"),
])
def test_idx_files_that_disagree(tmp_path, damage, message):
    directory = idx_set(tmp_path / "d", labels=np.r_[np.arange(39) % 4, 200] if damage == "stray_label" else None)
    rng = np.random.default_rng(1)
    if damage == "count":
        write_idx(directory / "train-labels-idx1-ubyte.gz", np.arange(39) % 4, True)
    if damage == "size":
        write_idx(directory / "t10k-images-idx3-ubyte.gz", rng.integers(0, 256, (20, 8, 8)), True)
    if damage == "header":
        path = directory / "train-images-idx3-ubyte.gz"
        path.write_bytes(gzip.compress(gzip.decompress(path.read_bytes())[:-7]))
    with pytest.raises(ProjnetError, match=message):
        load_dataset(DataConfig(dataset=f"idx:{directory}"))


def test_npz_rows_images_and_missing_keys(tmp_path):
    rng = np.random.default_rng(0)
    np.savez(tmp_path / "rows.npz", x_train=rng.random((30, 5)), y_train=np.arange(30) % 3,
             labels=np.array(["a", "b", "c"]))
    rows = load_dataset(DataConfig(dataset=f"npz:{tmp_path / 'rows.npz'}"))
    assert rows.layout == "features" and rows.num_features == 5 and rows.class_names == ("a", "b", "c")
    np.savez(tmp_path / "images.npz", x_train=rng.integers(0, 256, (30, 6, 6, 3)).astype(np.uint8),
             y_train=np.arange(30) % 3, x_test=rng.integers(0, 256, (9, 6, 6, 3)).astype(np.uint8),
             y_test=np.arange(9) % 3)
    images = load_dataset(DataConfig(dataset=f"npz:{tmp_path / 'images.npz'}"))
    assert images.image_shape == (6, 6, 3) and len(images.x_test) == 9 and images.x_train.max() <= 1.0
    np.savez(tmp_path / "bad.npz", x=rng.random((30, 5)), y=np.arange(30) % 3)
    with pytest.raises(ProjnetError, match="must hold x_train and y_train .* it holds x, y"):
        load_dataset(DataConfig(dataset=f"npz:{tmp_path / 'bad.npz'}"))
    x = rng.random((30, 5))
    x[7, 2] = np.nan
    np.savez(tmp_path / "nan.npz", x_train=x, y_train=np.arange(30) % 3)
    with pytest.raises(ProjnetError, match="row 7 has a NaN or infinite feature"):
        load_dataset(DataConfig(dataset=f"npz:{tmp_path / 'nan.npz'}"))
    (tmp_path / "text.npz").write_text("not a zip")
    with pytest.raises(ProjnetError, match="is not a NumPy .npz archive"):
        load_dataset(DataConfig(dataset=f"npz:{tmp_path / 'text.npz'}"))


def image_folder(root, classes=("shirt", "bag"), per_class=6, size=(9, 7), mode="L"):
    rng = np.random.default_rng(0)
    for name in classes:
        (root / name).mkdir(parents=True, exist_ok=True)
        for i in range(per_class):
            shape = (size[1], size[0], 3) if mode == "RGB" else (size[1], size[0])
            Image.fromarray(rng.integers(0, 256, shape).astype(np.uint8), mode).save(root / name / f"{i}.png")
    return root


def test_image_folder_grayscale_rgb_and_odd_names(tmp_path):
    root = image_folder(tmp_path / "my images", classes=("t-shirt top", "sandale été", "bag"), per_class=12)
    splits = load_dataset(DataConfig(dataset=f"images:{root}", test_fraction=0.25))
    assert splits.class_names == ("bag", "sandale été", "t-shirt top") and splits.image_shape == (7, 9, 1)
    assert len(splits.x_test) == 9 and splits.files[0]["files"] == 36
    rgb = image_folder(tmp_path / "rgb", mode="RGB")
    Image.new("L", (9, 7), 128).save(rgb / "bag" / "gray.png")  # mixed modes: all read as RGB
    splits = load_dataset(DataConfig(dataset=f"images:{rgb}", image_size=5))
    assert splits.image_shape == (5, 5, 3) and splits.num_features == 75


def test_image_folder_train_test_subfolders(tmp_path):
    image_folder(tmp_path / "d" / "train", per_class=10)
    image_folder(tmp_path / "d" / "test", per_class=3)
    splits = load_dataset(DataConfig(dataset=f"images:{tmp_path / 'd'}"))
    assert len(splits.x_test) == 6 and len(splits.x_train) + len(splits.x_val) == 20


@pytest.mark.parametrize("damage,message", [
    ("empty_class", "class folder\\(s\\) 'hat' hold no bmp/jpeg/jpg/png files"),
    ("corrupt", "broken.png is not an image Pillow can read"),
    ("sizes", "images differ in size .* set data.image_size"),
    ("no_classes", "has no class subfolders"),
])
def test_image_folder_bad_input(tmp_path, damage, message):
    root = image_folder(tmp_path / "d") if damage != "no_classes" else tmp_path / "d"
    root.mkdir(exist_ok=True)
    if damage == "empty_class":
        (root / "hat").mkdir()
    if damage == "corrupt":
        (root / "bag" / "broken.png").write_bytes(b"\x89PNG not really")
    if damage == "sizes":
        Image.new("L", (4, 4)).save(root / "bag" / "small.png")
    with pytest.raises(ProjnetError, match=message):
        load_dataset(DataConfig(dataset=f"images:{root}"))


def test_table_scales_on_the_training_split(tmp_path):
    path = tmp_path / "t.csv"
    rows = ["a,b,label"] + [f"{i},{1000 + 10 * i},{'yes' if i % 2 else 'no'}" for i in range(40)]
    path.write_text("\n".join(rows) + "\n")
    splits = load_dataset(DataConfig(dataset=f"table:{path}"))
    assert splits.class_names == ("no", "yes") and splits.layout == "features"
    assert splits.x_train.min() == 0.0 and splits.x_train.max() == 1.0
    assert splits.scaling["columns"] == ["a", "b"] and splits.scaling["multiply"][0] > 0


@pytest.mark.parametrize("cell,message", [("nan", "line 5, column 'b' is 'nan', not a finite 32-bit number"),
                                          ("abc", "line 5, column 'b' is 'abc'"),
                                          ("1e300", "line 5, column 'b' is '1e300', not a finite 32-bit")])
def test_table_refuses_non_numbers(tmp_path, cell, message):
    path = tmp_path / "t.csv"
    rows = ["a,b,label"] + [f"{i},{cell if i == 3 else i},{i % 2}" for i in range(20)]
    path.write_text("\n".join(rows) + "\n")
    with pytest.raises(ProjnetError, match=message):
        load_dataset(DataConfig(dataset=f"table:{path}"))


def test_table_refuses_a_repeated_column_name(tmp_path):
    # Found by the bad-data fuzz suite: two 'a' columns made a ragged array and a bare ValueError.
    path = tmp_path / "t.csv"
    path.write_text("a,a,b,label\n" + "".join(f"{i},{i},{i},{i % 2}\n" for i in range(20)))
    with pytest.raises(ProjnetError, match="the header names column 'a' more than once"):
        load_dataset(DataConfig(dataset=f"table:{path}"))


def test_series_windows_and_no_recording_in_two_splits(tmp_path):
    path = write_activity_csv(tmp_path / "acc.csv", recordings_per_activity=5, seconds=6.0)
    data = DataConfig(dataset=f"series:{path}", window=50, stride=25)
    x, labels, sessions, channels = series_windows(path, data)
    assert channels == ["ax", "ay", "az"] and x.shape[1] == 150
    train, val, test = split_by_session(sessions, data)
    parts = [set(sessions[i].tolist()) for i in (train, val, test)]
    assert all(parts) and not (parts[0] & parts[1] or parts[0] & parts[2] or parts[1] & parts[2])
    assert len(train) + len(val) + len(test) == len(x)
    splits = load_dataset(data)
    assert splits.image_shape == (50, 3, 1) and splits.num_classes == 4 and splits.layout == "series"


def test_series_shorter_than_a_window(tmp_path):
    path = write_activity_csv(tmp_path / "acc.csv", recordings_per_activity=1, seconds=1.0)
    with pytest.raises(ProjnetError, match="no recording has data.window=500 samples .*; lower data.window"):
        load_dataset(DataConfig(dataset=f"series:{path}", window=500, stride=100))


def test_datasets_lists_every_source():
    names = [row["name"] for row in describe_datasets(DataConfig())]
    assert names[-6:] == ["csv:PATH", "idx:DIR", "images:DIR", "npz:FILE", "table:FILE", "series:FILE"]


@pytest.mark.parametrize("make,message", [
    (lambda d: (d / "empty").mkdir() or f"idx:{d / 'empty'}", "lacks IDX files for train_images"),
    (lambda d: np.savez(d / "x.npz", x=np.zeros(3)) or f"npz:{d / 'x.npz'}", "must hold x_train and y_train"),
    (lambda d: (image_folder(d / "im") / "hat").mkdir() or f"images:{d / 'im'}", "class folder(s) 'hat' hold no"),
    (lambda d: f"series:{write_activity_csv(d / 'a.csv', 1, 0.5)}", "no recording has data.window=50 samples"),
    (lambda d: (d / "t.csv").write_text("a,label\n1,x\nnope,y\n") and f"table:{d / 't.csv'}",
     "line 3, column 'a' is 'nope', not a finite 32-bit number"),
])
def test_bad_own_data_is_one_line_before_the_run_directory(tmp_path, make, message):
    from typer.testing import CliRunner

    from projnet.cli import app
    from tests.helpers import one_line_error

    out = tmp_path / "run"
    result = CliRunner().invoke(app, ["train-and-export", "--dataset", make(tmp_path), "--out", str(out), "--quiet"])
    assert result.exit_code == 1 and message in one_line_error(result.stderr)
    assert not out.exists()


def test_pixel_models_are_refused_for_tables(tmp_path):
    from typer.testing import CliRunner

    from projnet.cli import app
    from tests.helpers import one_line_error

    (tmp_path / "t.csv").write_text("a,b,label\n" + "".join(f"{i},{i * 2},{i % 2}\n" for i in range(20)))
    result = CliRunner().invoke(app, ["train-and-export", "--dataset", f"table:{tmp_path / 't.csv'}", "--out",
                                      str(tmp_path / "run"), "--set", "trainer.architecture=cnn"])
    assert result.exit_code == 2
    assert "trainer.architecture=cnn reads images but table:" in one_line_error(result.stderr)


def test_idx_with_zero_images_and_fashion_with_other_sizes(tmp_path, monkeypatch):
    from projnet.data import fashion_mnist

    directory = idx_set(tmp_path / "zero")
    write_idx(directory / "t10k-images-idx3-ubyte.gz", np.zeros((0, 12, 10)), True)
    with pytest.raises(ProjnetError, match=r"holds no items \(its header says \(0, 12, 10\)\)"):
        load_dataset(DataConfig(dataset=f"idx:{directory}"))
    other = idx_set(tmp_path / "other")  # 12x10 images of 4 classes under Fashion-MNIST's names
    with pytest.raises(ProjnetError, match="12x10 images of 4 classes, not Fashion-MNIST's 28x28 of 10; use --dataset "
                                           "idx:"):
        load_dataset(DataConfig(dataset="fashion_mnist", data_dir=str(other)))
