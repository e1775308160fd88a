"""The projection layers as the rest of projnet meets them: built from the registry, found by type.

Every backend's layer class is named by its registry entry ("module:Class") and imported here, in
one place, when it is first needed: building a student, or loading a saved `.keras` file (Keras must
know every custom class before it reads one).
"""

from __future__ import annotations

from importlib import import_module
from pathlib import Path

import keras

from projnet.config import ProjectionConfig
from projnet.projection.projection_layer import ProjectionLayer
from projnet.registry import BACKENDS, backend

# Custom layers outside the projection backends that saved models hold.
OTHER_LAYERS = ("projnet.trainer.embedding_bag:HashedEmbeddingBag", "projnet.projection.static_reshape:StaticReshape",
                "projnet.trainer.own_teacher:ProbabilitiesToLogits")


def layer_class(path: str) -> type:
    module, _, name = path.partition(":")
    return getattr(import_module(module), name)


def make_projection_layer(projection: ProjectionConfig, image_shape=None) -> ProjectionLayer:
    """The configured backend's layer. Named "bit_projection" so .tflite tensor names stay as they were.

    `image_shape` (H, W, C) is the data set's: backends that see pixels as an image (patch) need it.
    """
    cls = layer_class(backend(projection.backend).layer)
    return cls.from_settings(projection, image_shape, name="bit_projection")


def register_all() -> None:
    """Import every custom layer class, so that Keras can deserialize any projnet model."""
    for path in [spec.layer for spec in BACKENDS.values()] + list(OTHER_LAYERS):
        layer_class(path)


def load_model(path: str | Path) -> keras.Model:
    """A projnet `.keras` file (trainer or student), with every custom layer registered first."""
    check_keras_file(path)
    register_all()
    return keras.saving.load_model(path)


def check_keras_file(path: str | Path) -> None:
    """Refuse a missing or truncated .keras in words that say which (Keras says "File not found" for both)."""
    import zipfile

    from projnet.errors import ProjnetError

    path = Path(path)
    if not path.is_file():
        raise ProjnetError(f"{path}: no such file")
    if not zipfile.is_zipfile(path):
        raise ProjnetError(f"{path} is damaged: not a complete .keras archive (a .keras file is a zip; this one is "
                           f"truncated or is another kind of file)")


def projection_layer(student: keras.Model) -> ProjectionLayer:
    """The student's one projection layer, whatever it is named."""
    found = [layer for layer in student.layers if isinstance(layer, ProjectionLayer)]
    if len(found) != 1:
        raise ValueError(f"a student has exactly one projection layer. Received: {len(found)} in {student.name!r}")
    return found[0]
