"""Property-based bad data: whatever files a user points projnet at, a loader gives sane splits or one
clear error, and a refused start leaves no run directory.

Text CSVs of any structure (extra fields, BOM, Latin-1, one class, empty texts), IDX files with
damaged headers and bytes, npz archives of any keys, shapes and dtypes, numeric tables and sensor
series with any cells. The README quotes the number of cases (sum of CASES).
"""

from __future__ import annotations

import gzip
import io
import string

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from projnet.cli import app
from projnet.config import DataConfig
from projnet.data import load_dataset
from projnet.errors import ProjnetError, UsageError

CASES = {"text_csv": 150, "idx": 150, "npz": 100, "table": 150, "series": 80, "refused_cli": 60, "output_paths": 60}
FUZZ = dict(deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
cells = st.one_of(st.text(max_size=8), st.sampled_from(["1", "-2.5", "nan", "inf", "1e309", "", " 3 ", "x", "0x1f"]),
                  st.floats(allow_nan=False, allow_infinity=False).map(repr))


def loads_or_refuses(dataset: str, **data) -> None:
    """The property every source keeps: sane splits, or a ProjnetError / UsageError of one line."""
    try:
        splits = load_dataset(DataConfig(dataset=dataset, **data))
    except (ProjnetError, UsageError) as exc:
        assert str(exc) and "\n" not in str(exc), repr(str(exc))
        return
    assert splits.num_classes >= 2 and len(splits.x_train) and len(splits.x_test)
    assert len(splits.x_train) == len(splits.y_train) and splits.y_train.max() < splits.num_classes
    if splits.x_train.dtype != np.int32:
        assert np.all(np.isfinite(splits.x_train)) and np.all(np.isfinite(splits.x_test))


def csv_bytes(header: list[str], rows: list[list[str]], bom: bool, encoding: str) -> bytes:
    text = "\n".join(",".join(row) for row in [header, *rows]) + "\n"
    data = text.encode(encoding, "replace")
    return (b"\xef\xbb\xbf" if bom else b"") + data


@settings(max_examples=CASES["text_csv"], **FUZZ)
@given(rows=st.lists(st.lists(st.text(alphabet=string.ascii_letters + " é日,\"'\n", max_size=10), min_size=1,
                              max_size=4), max_size=30),
       labels=st.lists(st.sampled_from(["a", "b", "c", ""]), min_size=30, max_size=30),
       header=st.sampled_from([["text", "label"], ["text"], ["label", "text"], ["txt", "label"]]),
       bom=st.booleans(), encoding=st.sampled_from(["utf-8", "latin-1"]))
def test_any_text_csv_loads_or_is_refused(tmp_path, rows, labels, header, bom, encoding):
    body = [[*row[:-1], labels[i]] if len(header) > 1 else row for i, row in enumerate(rows)]
    path = tmp_path / "t.csv"
    path.write_bytes(csv_bytes(header, body, bom, encoding))
    loads_or_refuses(f"csv:{path}")


def idx_bytes(array: np.ndarray) -> bytes:
    return bytes([0, 0, 8, array.ndim]) + b"".join(int(n).to_bytes(4, "big") for n in array.shape) + \
        array.astype(np.uint8).tobytes()


@settings(max_examples=CASES["idx"], **FUZZ)
@given(role=st.sampled_from(["train-images-idx3-ubyte", "train-labels-idx1-ubyte", "t10k-images-idx3-ubyte",
                             "t10k-labels-idx1-ubyte"]),
       cut=st.integers(0, 200), edits=st.lists(st.tuples(st.integers(0, 40), st.integers(0, 255)), max_size=6),
       gz=st.booleans(), labels=st.lists(st.integers(0, 255), min_size=20, max_size=20))
def test_damaged_idx_files_load_or_are_refused(tmp_path, role, cut, edits, gz, labels):
    rng = np.random.default_rng(0)
    arrays = {"train-images-idx3-ubyte": rng.integers(0, 256, (20, 5, 4)),
              "train-labels-idx1-ubyte": np.array(labels) % 3 if cut % 2 else np.array(labels),
              "t10k-images-idx3-ubyte": rng.integers(0, 256, (9, 5, 4)), "t10k-labels-idx1-ubyte": np.arange(9) % 3}
    for name, array in arrays.items():
        raw = bytearray(idx_bytes(array))
        if name == role:
            for position, value in edits:
                raw[position % len(raw)] = value
            raw = raw[:len(raw) - cut] if cut < len(raw) else raw
        (tmp_path / (name + (".gz" if gz else ""))).write_bytes(gzip.compress(bytes(raw)) if gz else bytes(raw))
    loads_or_refuses(f"idx:{tmp_path}")


arrays = st.one_of(
    st.tuples(st.integers(0, 12), st.integers(1, 5)).map(lambda s: np.random.default_rng(s[0]).random(s)),
    st.tuples(st.integers(0, 12), st.integers(1, 4), st.integers(1, 4)).map(
        lambda s: np.random.default_rng(1).integers(0, 256, s).astype(np.uint8)),
    st.lists(st.integers(-3, 3), max_size=12).map(np.array),
    st.lists(st.sampled_from(["a", "b"]), max_size=12).map(np.array),
    st.just(np.array([[np.nan, 1.0]] * 6)), st.just(np.zeros(())))


@settings(max_examples=CASES["npz"], **FUZZ)
@given(content=st.dictionaries(st.sampled_from(["x_train", "y_train", "x_test", "y_test", "labels", "other"]),
                               arrays, max_size=5), damage=st.integers(0, 3))
def test_any_npz_loads_or_is_refused(tmp_path, content, damage):
    buffer = io.BytesIO()
    np.savez(buffer, **content)
    data = buffer.getvalue()
    (tmp_path / "d.npz").write_bytes(data[:len(data) * damage // 4] if damage else data)
    loads_or_refuses(f"npz:{tmp_path / 'd.npz'}")


@settings(max_examples=CASES["table"], **FUZZ)
@given(header=st.lists(st.sampled_from(["a", "b", "label", "c", ""]), min_size=1, max_size=4),
       rows=st.lists(st.lists(cells, min_size=1, max_size=5), max_size=25), bom=st.booleans())
def test_any_table_loads_or_is_refused(tmp_path, header, rows, bom):
    (tmp_path / "t.csv").write_bytes(csv_bytes(header, rows, bom, "utf-8"))
    loads_or_refuses(f"table:{tmp_path / 't.csv'}")


@settings(max_examples=CASES["series"], **FUZZ)
@given(sessions=st.integers(1, 6), length=st.integers(0, 40), window=st.integers(1, 30), stride=st.integers(1, 30),
       labels=st.lists(st.sampled_from(["walk", "run", "sit"]), min_size=6, max_size=6), bad_cell=st.booleans())
def test_any_series_loads_or_is_refused(tmp_path, sessions, length, window, stride, labels, bad_cell):
    rng = np.random.default_rng(length)
    rows = [[f"s{s}", str(t), f"{rng.normal():.3f}", f"{rng.normal():.3f}", labels[s]]
            for s in range(sessions) for t in range(length)]
    if bad_cell and rows:
        rows[len(rows) // 2][2] = "n/a"
    (tmp_path / "s.csv").write_bytes(csv_bytes(["session", "time", "ax", "ay", "label"], rows, False, "utf-8"))
    loads_or_refuses(f"series:{tmp_path / 's.csv'}", window=window, stride=stride)


broken_sources = st.one_of(
    st.text(alphabet=string.ascii_letters + "/ é", min_size=1, max_size=12).map(lambda name: ("missing", name)),
    st.tuples(st.sampled_from(["idx:", "images:", "npz:", "table:", "series:", "csv:"]),
              st.binary(max_size=40)).map(lambda t: ("bytes", t)))


@settings(max_examples=CASES["refused_cli"], **FUZZ)
@given(source=broken_sources)
def test_a_refused_start_leaves_no_run_directory(tmp_path_factory, source):
    """Missing paths and random bytes under every source: exit 1 or 2, one line, and --out never exists."""
    root = tmp_path_factory.mktemp("src")
    kind, detail = source
    if kind == "missing":
        dataset = f"npz:{root / 'nowhere' / detail}"
    else:
        prefix, data = detail
        target = root / "data"
        if prefix in ("idx:", "images:"):
            target.mkdir()
            (target / "train-images-idx3-ubyte").write_bytes(data)  # in a class folder for images:
        else:
            target.write_bytes(data)
        dataset = prefix + str(target)
    out = root / "run"
    result = CliRunner().invoke(app, ["train-and-export", "--dataset", dataset, "--out", str(out), "--quiet"])
    assert result.exit_code in (1, 2), (dataset, result.output)
    assert result.stderr.startswith("error: ") and result.stderr.count("\n") == 1, result.stderr
    assert not out.exists()


@settings(max_examples=CASES["output_paths"], **FUZZ)
@given(name=st.text(alphabet=string.ascii_letters + "./é \\", min_size=1, max_size=10),
       suffix=st.sampled_from(["", ".json", ".JSON", ".txt", "/", ".json/x"]))
def test_any_output_path_is_written_or_refused_before_work(digits_run, tmp_path_factory, name, suffix):
    """`inspect --json PATH`: written, or one line (suffix, folder, existing file) with nothing left behind."""
    folder = tmp_path_factory.mktemp("outputs")
    target = folder / (name + suffix)
    result = CliRunner().invoke(app, ["inspect", str(digits_run / "student_int8.tflite"), "--json", str(target)])
    assert result.exit_code in (0, 1, 2), result.output
    if result.exit_code:
        assert result.stderr.startswith("error: ") and result.stderr.count("\n") == 1, result.stderr
        assert sorted(p.name for p in folder.rglob("*")) == sorted(p.name for p in folder.rglob("*") if p.is_dir())
    else:
        assert target.is_file() and target.read_text().startswith("{")
