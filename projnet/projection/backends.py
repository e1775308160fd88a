"""The projection backends: which layer each builds, and which kind of input it takes.

One table, read by the student builder and by the checks that refuse a backend for the wrong input
before any work. "dense" inputs are float feature rows (pixels); "ids" are integer feature ids.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import keras
import numpy as np

from projnet.config import ProjectionConfig
from projnet.errors import UsageError


@dataclass(frozen=True)
class Backend:
    name: str
    input_kind: str  # "dense" (float features) or "ids" (integer feature ids)
    stores_matrix: bool  # whether the .tflite holds a D x (T * d) projection matrix
    make_layer: Callable[[ProjectionConfig], keras.layers.Layer]


def _dense(projection: ProjectionConfig) -> keras.layers.Layer:
    from projnet.projection.bit_projection import BitProjection

    return BitProjection(projection.num_functions, projection.bits_per_function, seed=projection.seed,
                         name="bit_projection")


def _structured(projection: ProjectionConfig) -> keras.layers.Layer:
    from projnet.projection.structured_projection import StructuredProjection

    return StructuredProjection(projection.num_functions, projection.bits_per_function, seed=projection.seed,
                                name="bit_projection")


def _lsh(projection: ProjectionConfig) -> keras.layers.Layer:
    from projnet.projection.lsh_projection import LshProjection

    return LshProjection(projection.num_functions, projection.bits_per_function, seed=projection.seed,
                         name="bit_projection")


def _hashed(projection: ProjectionConfig) -> keras.layers.Layer:
    from projnet.projection.hashed_projection import HashedProjection

    return HashedProjection(projection.num_functions, projection.bits_per_function, seed=projection.seed,
                            name="bit_projection")


BACKENDS: dict[str, Backend] = {
    "dense": Backend("dense", "dense", True, _dense),
    "structured": Backend("structured", "dense", False, _structured),
    "lsh": Backend("lsh", "dense", False, _lsh),
    "hashed": Backend("hashed", "ids", False, _hashed),
}


def backend(name: str) -> Backend:
    if name not in BACKENDS:
        raise UsageError(f"unknown projection backend {name!r}; known: {', '.join(BACKENDS)}")
    return BACKENDS[name]


def input_kind(x: np.ndarray) -> str:
    """"ids" for integer feature arrays, "dense" for float ones."""
    return "ids" if np.issubdtype(x.dtype, np.integer) else "dense"


def check_backend_fits(name: str, x: np.ndarray, dataset: str) -> None:
    """Refuse, in one line, a backend whose input kind is not the data set's."""
    wanted, have = backend(name).input_kind, input_kind(x)
    if wanted != have:
        fitting = [b.name for b in BACKENDS.values() if b.input_kind == have]
        raise UsageError(f"projection.backend={name} takes {wanted} inputs but {dataset} has {have} inputs; "
                         f"use one of: {', '.join(fitting) or 'none'}")
