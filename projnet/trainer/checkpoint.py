"""Training checkpoints: every variable that decides the rest of a run, written atomically with a checksum.

A checkpoint holds the trainer's and the student's variables (Keras 3 counts dropout's seed
generator states among them), both optimizers' variables, the mixup generator's state, and a
`TrainingState` (epoch, position inside the epoch, numpy data-order RNG state, the epoch's running
sums, the history so far). Resuming from it continues the run exactly where it stopped.

On disk, in `<run_dir>/checkpoint/`: `state-<step>.npz` (the arrays), then `manifest.json` (the
state and the npz's SHA-256). The manifest is written last and names its npz, so a crash at any
moment leaves either the previous complete checkpoint or the new one, never a mix.
"""

from __future__ import annotations

import dataclasses
import hashlib
import io
import json
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from projnet.atomic_io import atomic_write_bytes, atomic_write_json
from projnet.errors import ProjnetError
from projnet.run_dir import CHECKPOINT_DIR

MANIFEST = "manifest.json"
FORMAT_VERSION = 2  # 2: the manifest names every variable's path, and restoring matches by it
READABLE_FORMATS = (1, 2)  # 1: by position only


@dataclass
class TrainingState:
    """Where a run stands: enough, with the variables, to continue it bit for bit."""

    epochs_done: int = 0
    steps_in_epoch: int = 0  # batches of epoch `epochs_done + 1` already applied
    global_step: int = 0
    epoch_rng_state: dict = field(default_factory=dict)  # numpy RNG state that drew this epoch's order
    epoch_sums: dict[str, float] = field(default_factory=dict)  # loss terms x rows, summed over the epoch so far
    rows_in_epoch: int = 0  # the training rows behind epoch_sums (their means divide by it)
    history: list[dict] = field(default_factory=list)


@dataclass
class Checkpoint:
    state: TrainingState
    arrays: dict[str, np.ndarray]
    paths: dict[str, list[str]] = field(default_factory=dict)  # group -> each stored variable's path, in order


def variable_path(variable) -> str:
    """A variable's name inside its model (Keras 3: "dense_1/kernel", "adam/dense_1_kernel_momentum")."""
    return str(getattr(variable, "path", None) or getattr(variable, "name", ""))


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def variable_groups(trainer, student, trainer_optimizer, student_optimizer, generator) -> dict[str, list]:
    """The variables a checkpoint stores, in a fixed order per group."""
    return {"trainer": list(trainer.variables), "student": list(student.variables),
            "trainer_optimizer": list(trainer_optimizer.variables),
            "student_optimizer": list(student_optimizer.variables), "generator": [generator.state]}


def save_checkpoint(run_dir: Path, groups: dict[str, list], state: TrainingState) -> Path:
    """Write the arrays, then the manifest that commits them; remove the checkpoint it replaces."""
    directory = Path(run_dir) / CHECKPOINT_DIR
    directory.mkdir(exist_ok=True)
    arrays = {f"{name}/{i:04d}": np.asarray(v.numpy()) for name, vs in groups.items() for i, v in enumerate(vs)}
    buffer = io.BytesIO()
    np.savez(buffer, **arrays)
    data = buffer.getvalue()
    npz_name = f"state-{state.global_step:08d}.npz"
    atomic_write_bytes(directory / npz_name, data)
    manifest = {"format": FORMAT_VERSION, "arrays": npz_name, "sha256": _sha256(data),
                "counts": {name: len(vs) for name, vs in groups.items()},
                "paths": {name: [variable_path(v) for v in vs] for name, vs in groups.items()},
                "state": dataclasses.asdict(state)}
    atomic_write_json(directory / MANIFEST, manifest)
    for old in directory.glob("state-*.npz"):
        if old.name != npz_name:
            old.unlink()
    return directory / MANIFEST


def load_checkpoint(run_dir: Path) -> Checkpoint:
    """Read and verify a checkpoint; a damaged one is refused, never half-loaded."""
    directory = Path(run_dir) / CHECKPOINT_DIR
    manifest_path = directory / MANIFEST
    if not manifest_path.is_file():
        raise ProjnetError(f"no checkpoint in {run_dir} (missing {CHECKPOINT_DIR}/{MANIFEST})")
    try:
        manifest = json.loads(manifest_path.read_text())
        npz_path = directory / manifest["arrays"]
        data = npz_path.read_bytes()
        expected, state = manifest["sha256"], TrainingState(**manifest["state"])
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise ProjnetError(f"checkpoint in {directory} is unreadable: {exc}") from None
    if manifest.get("format") not in READABLE_FORMATS:
        raise ProjnetError(f"checkpoint in {directory} has format {manifest.get('format')}, expected one of "
                           f"{', '.join(map(str, READABLE_FORMATS))}")
    if _sha256(data) != expected:
        raise ProjnetError(f"checkpoint {npz_path} is corrupt: its SHA-256 does not match the manifest")
    with np.load(io.BytesIO(data)) as archive:
        arrays = {key: archive[key] for key in archive.files}
    return Checkpoint(state, arrays, manifest.get("paths", {}))


def occurrences(paths: list[str]) -> list[str]:
    """Each path with its occurrence number: two dropout layers' seed states share a path."""
    seen: dict[str, int] = {}
    named = []
    for path in paths:
        seen[path] = seen.get(path, 0) + 1
        named.append(f"{path}#{seen[path]}")
    return named


def restore_variables(groups: dict[str, list], arrays: dict[str, np.ndarray],
                      paths: dict[str, list[str]] | None = None) -> None:
    """Assign checkpointed values to live variables, refusing any shape or count mismatch.

    Matched by variable path when the checkpoint names them (format 2) and every live path is among
    them, so a model whose variables come in another order still gets each value in its own variable.
    Otherwise by position, as format 1 did: Keras numbers unnamed models and layers per process
    ("sequential_1"), so the same model built after others has other paths.
    """
    for name, variables in groups.items():
        stored = sorted(k for k in arrays if k.startswith(f"{name}/"))
        if len(stored) != len(variables):
            raise ProjnetError(f"checkpoint holds {len(stored)} {name} variables, the model has {len(variables)}")
        keys = stored
        names = (paths or {}).get(name)
        if names and len(names) == len(stored):
            by_path = dict(zip(occurrences(names), stored))
            live = occurrences([variable_path(v) for v in variables])
            if all(p in by_path for p in live):
                keys = [by_path[p] for p in live]
        for variable, key in zip(variables, keys):
            if tuple(arrays[key].shape) != tuple(variable.shape):
                raise ProjnetError(f"checkpoint variable {key} has shape {arrays[key].shape}, "
                                   f"the model's has {tuple(variable.shape)}")
            variable.assign(arrays[key])
