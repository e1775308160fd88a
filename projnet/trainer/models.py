"""Trainer (teacher) builders. Both take the same flat features as the student, so one batch feeds both."""

from __future__ import annotations

import keras

from projnet.config import TrainerConfig


def build_trainer(num_features: int, num_classes: int, image_shape: tuple[int, int, int],
                  trainer: TrainerConfig) -> keras.Model:
    if trainer.architecture == "mlp":
        return _build_mlp(num_features, num_classes, trainer)
    if trainer.architecture == "cnn":
        return _build_cnn(num_features, num_classes, image_shape, trainer)
    if trainer.architecture == "bag":  # text: the inputs are int32 feature ids
        from projnet.trainer.embedding_bag import build_embedding_bag

        return build_embedding_bag(num_features, num_classes, trainer)
    raise ValueError(f"unknown trainer architecture. Received: architecture={trainer.architecture!r}")


def _build_mlp(num_features: int, num_classes: int, trainer: TrainerConfig) -> keras.Model:
    inputs = keras.Input((num_features,), name="features")
    x = inputs
    for i, width in enumerate(trainer.hidden):
        x = keras.layers.Dense(width, activation="relu", name=f"trainer_hidden_{i}")(x)
        x = keras.layers.Dropout(trainer.dropout, name=f"trainer_dropout_{i}")(x)
    logits = keras.layers.Dense(num_classes, name="trainer_logits")(x)
    return keras.Model(inputs, logits, name="trainer")


def _build_cnn(num_features: int, num_classes: int, image_shape: tuple[int, int, int],
               trainer: TrainerConfig) -> keras.Model:
    """Two conv blocks, then the MLP head of `trainer.hidden[-1]` units."""
    inputs = keras.Input((num_features,), name="features")
    x = keras.layers.Reshape(image_shape, name="to_image")(inputs)  # (batch, h, w, c)
    for i, filters in enumerate((32, 64)):
        x = keras.layers.Conv2D(filters, 3, padding="same", activation="relu", name=f"trainer_conv_{i}")(x)
        x = keras.layers.MaxPooling2D(2, name=f"trainer_pool_{i}")(x)
    x = keras.layers.Flatten(name="flatten")(x)
    x = keras.layers.Dense(trainer.hidden[-1], activation="relu", name="trainer_hidden")(x)
    x = keras.layers.Dropout(trainer.dropout, name="trainer_dropout")(x)
    logits = keras.layers.Dense(num_classes, name="trainer_logits")(x)
    return keras.Model(inputs, logits, name="trainer")
