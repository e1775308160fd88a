"""Trainer (teacher) builders. Both take the same flat features as the student, so one batch feeds both.

A trainer is a chain of layers (`trainer_layers`): `build_trainer` connects them into one model, and
the pipeline engines cut the same chain into stages (trainer/stages.py).
"""

from __future__ import annotations

import keras

from projnet.config import TrainerConfig


def build_trainer(num_features: int, num_classes: int, image_shape: tuple[int, int, int],
                  trainer: TrainerConfig, train_features=None) -> keras.Model:
    """`train_features`: the training split, which the text trainer's "tfidf" pooling reads its idf off."""
    if trainer.architecture == "bag":  # text: the inputs are int32 feature ids, not a chain of float layers
        from projnet.trainer.embedding_bag import build_embedding_bag

        return build_embedding_bag(num_features, num_classes, trainer, train_features)
    inputs = keras.Input((num_features,), name="features")
    x = inputs
    for layer in trainer_layers(num_classes, image_shape, trainer):
        x = layer(x)
    return keras.Model(inputs, x, name="trainer")


def trainer_layers(num_classes: int, image_shape: tuple[int, int, int],
                   trainer: TrainerConfig) -> list[keras.layers.Layer]:
    """The trainer's layers in order, not yet built: flat features in, logits out."""
    if trainer.architecture == "mlp":
        return _mlp_layers(num_classes, trainer)
    if trainer.architecture == "cnn":
        return _cnn_layers(num_classes, image_shape, trainer)
    raise ValueError(f"unknown trainer architecture. Received: architecture={trainer.architecture!r}")


def weighted_layer_count(trainer: TrainerConfig) -> int:
    """Layers with weights, the most stages the trainer can be cut into; known without building anything."""
    if trainer.architecture == "bag":
        return 1  # the embedding bag is not cut into stages
    return len(trainer.hidden) + 1 if trainer.architecture == "mlp" else 4  # cnn: two convs, hidden, logits


def _mlp_layers(num_classes: int, trainer: TrainerConfig) -> list[keras.layers.Layer]:
    layers = []
    for i, width in enumerate(trainer.hidden):
        layers.append(keras.layers.Dense(width, activation="relu", name=f"trainer_hidden_{i}"))
        layers.append(keras.layers.Dropout(trainer.dropout, name=f"trainer_dropout_{i}"))
    return layers + [keras.layers.Dense(num_classes, name="trainer_logits")]


def _cnn_layers(num_classes: int, image_shape: tuple[int, int, int],
                trainer: TrainerConfig) -> list[keras.layers.Layer]:
    """Two conv blocks, then the MLP head of `trainer.hidden[-1]` units."""
    layers: list[keras.layers.Layer] = [keras.layers.Reshape(image_shape, name="to_image")]  # (batch, h, w, c)
    for i, filters in enumerate((32, 64)):
        layers.append(keras.layers.Conv2D(filters, 3, padding="same", activation="relu", name=f"trainer_conv_{i}"))
        layers.append(keras.layers.MaxPooling2D(2, name=f"trainer_pool_{i}"))
    return layers + [keras.layers.Flatten(name="flatten"),
                     keras.layers.Dense(trainer.hidden[-1], activation="relu", name="trainer_hidden"),
                     keras.layers.Dropout(trainer.dropout, name="trainer_dropout"),
                     keras.layers.Dense(num_classes, name="trainer_logits")]
