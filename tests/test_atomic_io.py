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


def test_json_gets_null_for_nan_and_infinities(tmp_path):
    import json

    from projnet.atomic_io import atomic_write_json

    path = atomic_write_json(tmp_path / "m.json", {"loss": float("nan"), "runs": [1.0, float("inf")], "ok": 0.5})
    assert json.loads(path.read_text()) == {"loss": None, "runs": [1.0, None], "ok": 0.5}
    assert "NaN" not in path.read_text() and "Infinity" not in path.read_text()


def test_a_write_syncs_the_file_and_its_folder_and_never_touches_the_umask(tmp_path, monkeypatch):
    import os

    from projnet.atomic_io import atomic_write_text

    synced = []
    real_fsync = os.fsync
    monkeypatch.setattr(os, "fsync", lambda fd: (synced.append(os.readlink(f"/proc/self/fd/{fd}")), real_fsync(fd)))
    monkeypatch.setattr(os, "umask", lambda *_: pytest.fail("the umask was changed while writing"))
    path = atomic_write_text(tmp_path / "a.txt", "x")
    assert path.read_text() == "x" and len(synced) == 2
    assert synced[0].startswith(str(tmp_path / ".a.")) and synced[1] == str(tmp_path)
