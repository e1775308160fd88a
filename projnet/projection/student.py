"""The ProjectionNet student: input -> projection -> (token backends: code rows, mean over ids) -> Dense layers -> logits."""

from __future__ import annotations

import keras
import numpy as np

from projnet.config import ProjectionConfig, StudentConfig
from projnet.projection.layers import make_projection_layer, projection_layer
from projnet.projection.static_reshape import flatten
from projnet.registry import backend


def build_student(num_features: int, num_classes: int, projection: ProjectionConfig,
                  student: StudentConfig, center: np.ndarray | None = None,
                  image_shape: tuple[int, int, int] | None = None) -> keras.Model:
    """A Keras 3 functional model whose only non-builtin-looking piece is the bit projection.

    A backend that takes ids (hashed) gets an int32 input named "ids" of `num_features` ids per row.
    A backend that makes a bit map (patch) needs the data set's `image_shape` (H, W, C).
    """
    chosen = backend(projection.backend)
    if chosen.input_kind == "ids":
        inputs = keras.Input((num_features,), dtype="int32", name="ids")
    else:
        inputs = keras.Input((num_features,), name="features")
    if chosen.output == "bit_map" and image_shape is None:
        raise ValueError(f"projection.backend={projection.backend} needs the images' (height, width, channels)")
    bit_layer = make_projection_layer(projection, image_shape)
    ids = inputs
    if chosen.output == "token_codes" and student.token_pairs:
        from projnet.projection.token_projection import AdjacentIdPairs

        ids = AdjacentIdPairs(name="student_id_pairs")(inputs)  # (batch, 2L - 1)
    x = bit_layer(ids)  # (batch, T * d) bits in {0, 1}, or (batch, L, T) codes for token backends
    if center is not None:
        bit_layer.center_on(center)
    if chosen.output == "token_codes":
        from projnet.projection.token_projection import TokenPool

        rows = keras.layers.Embedding(bit_layer.num_codes, student.token_dim, name="student_code_rows",
                                      embeddings_initializer=keras.initializers.RandomNormal(stddev=0.05))(x)
        x = TokenPool(name="student_token_pool")(rows, ids)  # (batch, E)
    if chosen.output == "bit_map":
        x = bit_map_readout(x, student)
    for i, width in enumerate(student.hidden):
        x = keras.layers.Dense(width, activation="relu", name=f"student_hidden_{i}")(x)
    logits = keras.layers.Dense(num_classes, name="student_logits")(x)
    return keras.Model(inputs, logits, name="student")


def bit_map_readout(bits, student: StudentConfig):
    """(batch, H', W', F) bits -> flat features: an average pool (bits become local counts), then the convolutions.

    Average, not max: a max of bits is an OR and forgets how many patches of the window fired (the
    average was 0.2 points ahead of max on Fashion-MNIST after 4 epochs).
    """
    from projnet.projection.patch_geometry import pool_window

    x = bits
    if student.bit_pool > 1:
        x = keras.layers.AveragePooling2D(pool_window(x.shape[1:3], student.bit_pool), name="student_bit_pool")(x)
    for i, filters in enumerate(student.conv_filters):
        kernel = tuple(min(3, n) for n in x.shape[1:3])  # a 3-wide kernel on a 1-wide map would be 2/3 zeros
        x = keras.layers.Conv2D(filters, kernel, padding="same", activation="relu", name=f"student_conv_{i}")(x)
        x = keras.layers.MaxPooling2D(pool_window(x.shape[1:3], 2), name=f"student_conv_pool_{i}")(x)
    return flatten(x, name="student_flatten")


def projection_submodel(student: keras.Model) -> keras.Model:
    """The student cut after its projection: input -> bits, for bit-parity checks."""
    return keras.Model(student.input, projection_layer(student).output, name="student_bits")
