"""The plain image models a user would ship instead of a student, trained on labels alone.

- "mlp": flat pixels -> Dense(size, relu) -> classes, the front the global students lost to;
- "cnn": the tiny CNN, two 3 x 3 convolutions of `size` and 2 * `size` filters, each 2 x 2
  max-pooled, then Dense -> classes.

Both take the same flat float rows as the students (reshaped in the graph with one RESHAPE) and go
through the same converter, so size and latency compare like for like. The training is what a user
would do: Adam with a cosine decay, the weights of the best validation epoch kept.
"""

from __future__ import annotations

import keras

from projnet.baselines.hashed_linear import fit_on_labels
from projnet.projection.static_reshape import StaticReshape, flatten

LEARNING_RATE = 2e-3
EPOCHS = 20  # with the cosine decay to zero; early stopping (patience 5) keeps the best validation epoch
BATCH_SIZE = 128  # large data sets; small ones take smaller batches (batch_size_for)


def weight_count(family: str, size: int, image_shape: tuple[int, int, int], num_classes: int) -> int:
    """Weights and biases of the model, without building it: for fitting a byte budget."""
    height, width, channels = image_shape
    if family == "mlp":
        return (height * width * channels + 1) * size + (size + 1) * num_classes
    pooled = (height // 2 // 2) * (width // 2 // 2)
    return (9 * channels + 1) * size + (9 * size + 1) * 2 * size + (pooled * 2 * size + 1) * num_classes


def estimated_int8_bytes(family: str, size: int, image_shape: tuple[int, int, int], num_classes: int) -> int:
    """A byte per weight, plus per output channel an int32 bias, a float scale and an int64 zero point."""
    outputs = size + num_classes if family == "mlp" else 3 * size + num_classes
    return weight_count(family, size, image_shape, num_classes) + 16 * outputs


def build_image_baseline(family: str, size: int, image_shape: tuple[int, int, int], num_classes: int,
                         name: str) -> keras.Model:
    inputs = keras.Input((image_shape[0] * image_shape[1] * image_shape[2],), name="features")
    if family == "mlp":
        x = keras.layers.Dense(size, activation="relu", name="hidden")(inputs)
    else:
        x = StaticReshape(image_shape, name="to_image")(inputs)
        for i, filters in enumerate((size, 2 * size)):
            x = keras.layers.Conv2D(filters, 3, padding="same", activation="relu", name=f"conv_{i}")(x)
            x = keras.layers.MaxPooling2D(2, name=f"pool_{i}")(x)
        x = flatten(x, name="flatten")
    return keras.Model(inputs, keras.layers.Dense(num_classes, name="logits")(x), name=name)


def batch_size_for(rows: int) -> int:
    """128 on Fashion-MNIST's 54,000 rows; down to 16 on digits' 1,293, so that 20 epochs are still ~1,600 steps."""
    return max(16, min(BATCH_SIZE, rows // 80))


def train_image_baseline(family: str, size: int, splits, seed: int, name: str) -> keras.Model:
    keras.utils.set_random_seed(seed)  # before building: the initial weights come from the seed too
    model = build_image_baseline(family, size, splits.image_shape, splits.num_classes, name)
    batch_size = batch_size_for(len(splits.x_train))
    steps = EPOCHS * -(-len(splits.x_train) // batch_size)
    schedule = keras.optimizers.schedules.CosineDecay(LEARNING_RATE, steps)
    return fit_on_labels(model, splits, EPOCHS, schedule, batch_size=batch_size, seed=seed)
