import pytest

from projnet.atomic_io import atomic_write_bytes, atomic_write_with
from projnet.errors import ProjnetError


def test_failed_write_keeps_the_old_file_and_leaves_no_temporary(tmp_path):
    target = tmp_path / "model.tflite"
    target.write_bytes(b"old")

    def broken_writer(tmp):
        open(tmp, "wb").write(b"half")
        raise OSError("disk full")

    with pytest.raises(ProjnetError, match="cannot write .*model.tflite: disk full"):
        atomic_write_with(target, broken_writer)
    assert target.read_bytes() == b"old"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["model.tflite"]


def test_write_replaces_and_keeps_suffix(tmp_path):
    seen = []
    atomic_write_with(tmp_path / "m.keras", lambda tmp: (seen.append(tmp), open(tmp, "wb").write(b"x")))
    assert seen[0].endswith(".keras")
    assert atomic_write_bytes(tmp_path / "m.keras", b"new").read_bytes() == b"new"
