"""What a shipped student takes and gives: RGB pixels and probabilities for images, scaled rows otherwise.

MediaPipe's ImageClassifier and Android's Task Library ImageClassifier classify a model whose input
is a [1, H, W, 3] RGB image (uint8 for quantized models) and whose output is uint8 or float32 scores;
they refuse projnet's training form, flat [1, H*W*C] rows of int8-quantized [0, 1] values and int8
logits. So an image student is exported inside a wrapper:

    image [1, H, W, 3] -> (grayscale data: the first channel) -> flat row -> the trained student
        -> softmax -> probabilities [1, classes]

The image holds pixel / 255. For int8 the input is uint8 with scale 1/255 and zero point 0, so a
uint8 value is the pixel itself (the calibration set holds a black and a white image to pin that
range), and the graph's first op only shifts the zero point to the flat student's int8 (-128): no
multiplier, nothing rounded, the same on every runtime. An in-graph x / 255 was tried first: its MUL
rounds, and tflite-runtime 2.14 rounded it otherwise than LiteRT on digits' rows (measured). The
output is float32 (one DEQUANTIZE of the int8 softmax). The other modes take float32 pixel / 255;
the metadata's normalization (mean 0, std 255) tells MediaPipe so. The int8 row is, value for value,
the flat int8 student's input (digits' 0-16 counts arrive as 8-bit grey), so its bits and its class
are that student's.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np

from projnet.config import RunConfig
from projnet.data.splits import DatasetSplits
from projnet.errors import UsageError

IMAGE, FEATURES, IDS = "image", "features", "ids"
WHITE = 255.0  # the largest uint8 pixel: the image input is pixel / 255


def why_not_an_image_input(splits: DatasetSplits, config: RunConfig) -> str | None:
    """The reason this run's student cannot take an image input, or None when it can."""
    from projnet.registry import backend

    channels = splits.image_shape[2]
    if splits.layout != "image":
        return f"{splits.name}'s rows are {splits.layout}, not images"
    if splits.pixel_max is None:
        return f"{splits.name}'s pixels are not integers (a float array), so no uint8 image holds them exactly"
    if channels not in (1, 3):
        return f"{splits.name}'s images have {channels} channels; an image input takes 1 (grayscale) or 3 (RGB)"
    if backend(config.projection.backend).export_route != "converter":
        return f"projection.backend={config.projection.backend} writes its graph by hand around flat bits"
    if config.export.quant == "qat":
        return "export.quant=qat converts a tf_keras twin of the student in its own worker, with flat rows"
    return None


def student_input_kind(splits: DatasetSplits, config: RunConfig) -> str:
    """IMAGE, FEATURES or IDS (text); an explicit export.student_input=image that cannot be is refused."""
    if np.issubdtype(splits.x_train.dtype, np.integer):
        return IDS
    wanted = config.export.student_input
    reason = why_not_an_image_input(splits, config)
    if wanted == "image" and reason:
        raise UsageError(f"export.student_input=image cannot be: {reason}; use export.student_input=features")
    if wanted == "features" or reason:
        return FEATURES
    return IMAGE


def image_student(student, splits: DatasetSplits):
    """The Keras model that ships: pixels in, probabilities out, the trained student in the middle."""
    import keras

    height, width, channels = splits.image_shape
    pixels = keras.Input((height, width, 3), name="pixels")
    # grayscale data reads the first channel: MediaPipe replicates grey into R, G and B, and a slice is exact
    # on every runtime (an int8 MEAN rounds differently on tflite-runtime 2.14, measured)
    x = pixels if channels == 3 else pixels[..., :1]
    x = keras.ops.reshape(x, (-1, height * width * channels))  # a constant shape: one RESHAPE op, no SHAPE/PACK
    probabilities = keras.layers.Softmax(name="probabilities")(student(x))
    return keras.Model(pixels, probabilities, name=f"{student.name}_image")


def image_rows(x: np.ndarray, splits: DatasetSplits) -> np.ndarray:
    """Flat [0, 1] rows -> the RGB images the image student takes, float32 in [0, 1]: quantized for the int8
    file (scale 1/255) they are the 8-bit pixels, and digits' 0-16 counts round(count * 255 / 16), as the
    flat int8 student's input quantization gives them too."""
    height, width, channels = splits.image_shape
    pixels = x.reshape(len(x), height, width, channels).astype(np.float32)
    return np.repeat(pixels, 3, axis=3) if channels == 1 else pixels


def image_calibration_rows(representative: np.ndarray, splits: DatasetSplits) -> np.ndarray:
    """The calibration images, plus a black and a white image when they lack a 0 or a 255 pixel: the uint8
    input then has scale 1/255, zero point 0 (a uint8 value is the pixel). When the rows span the range
    already (digits, Fashion-MNIST), calibration is the flat student's, range for range."""
    rows = image_rows(representative, splits)
    if rows.min() == 0.0 and rows.max() == 1.0:
        return rows
    extremes = np.stack([np.zeros_like(rows[0]), np.ones_like(rows[0])])
    return np.concatenate([rows, extremes])


@dataclass(frozen=True)
class ShippedStudent:
    """The Keras model that is converted, the kind of input it takes, its calibration rows, and how a
    split's flat rows become its inputs."""

    kind: str
    model: object  # keras.Model
    calibration: np.ndarray
    rows: Callable[[np.ndarray], np.ndarray]


def shipped_student(student, splits: DatasetSplits, config: RunConfig, representative: np.ndarray) -> ShippedStudent:
    kind = student_input_kind(splits, config)
    if kind != IMAGE:
        return ShippedStudent(kind, student, representative, lambda x: x)
    return ShippedStudent(kind, image_student(student, splits), image_calibration_rows(representative, splits),
                          lambda x: image_rows(x, splits))
