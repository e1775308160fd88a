"""The TFLite Model Metadata a run's student carries: what it is, what its input means, its labels.

Written into every exported student (export/model_metadata.py has the format), so that MediaPipe,
Android's Task Library or a user's own code needs nothing from projnet: labels.txt (class names in
output order) on the output; on the input, the normalization that turns the data into what the model
takes, its range, and for text the featurizer spec (featurizer.json, with its SHA-256 in the file's
description, which `projnet predict` checks a spec beside the model against).
"""

from __future__ import annotations

import platform
from importlib import metadata as package_metadata

from projnet.config import RunConfig
from projnet.data.splits import DatasetSplits
from projnet.device_bench.metadata_reader import FEATURIZER_FILE, FEATURIZER_SHA_PREFIX, LABELS_FILE
from projnet.device_bench.text_featurizer import featurizer_bytes, featurizer_sha256
from projnet.errors import ProjnetError
from projnet.export.model_metadata import (COLOR_RGB, FILE_DESCRIPTIONS, FILE_TENSOR_AXIS_LABELS, AssociatedFile,
                                           ModelDescription, TensorDescription)
from projnet.export.student_input import IDS, IMAGE, WHITE



def export_versions() -> dict:
    """The converter and runtime that made and checked the file (metrics.json "export_versions", metadata)."""
    import projnet

    found = {"projnet": projnet.__version__, "python": platform.python_version()}
    for name in ("tensorflow", "ai-edge-litert"):
        try:
            found[name] = package_metadata.version(name)
        except package_metadata.PackageNotFoundError:
            found[name] = "absent"
    return found


def labels_bytes(splits: DatasetSplits) -> bytes:
    """One class name a line, in output order (newlines inside a name become spaces)."""
    return ("\n".join(name.replace("\n", " ").replace("\r", " ") for name in splits.class_names) + "\n").encode()


def _quantization(tensor: dict) -> str:
    q = tensor["quantization"]
    return f"{tensor['dtype']}, value = (q - {q['zero_point']}) * {q['scale']:.9g}" if q else tensor["dtype"]


def _input(splits: DatasetSplits, kind: str, tensor: dict) -> tuple[TensorDescription, dict[str, bytes]]:
    height, width, channels = splits.image_shape
    if kind == IMAGE:
        gray = "; grayscale data: the graph reads the first channel (grey in R, G and B)" if channels == 1 else ""
        given = "uint8 pixels 0-255 (quantization scale 1/255)" if tensor["dtype"] == "uint8" else \
            "float32 pixel / 255"
        return TensorDescription(
            "pixels", f"RGB image {width}x{height}, {given}{gray}", image_color_space=COLOR_RGB,
            image_size=(width, height), mean=(0.0,) * 3, std=(WHITE,) * 3, minimum=(0.0,) * 3,
            maximum=(WHITE,) * 3), {}
    if kind == IDS:
        digest = featurizer_sha256(splits.featurizer)
        spec = AssociatedFile(FEATURIZER_FILE, f"projnet text featurizer spec (text -> ids); {FEATURIZER_SHA_PREFIX}"
                                               f"{digest}", FILE_DESCRIPTIONS)
        return TensorDescription("ids", f"{tensor['shape'][-1]} int32 feature ids of one text, made by the "
                                        f"featurizer that {FEATURIZER_FILE} specifies; 0 pads", files=(spec,)), \
            {FEATURIZER_FILE: featurizer_bytes(splits.featurizer)}
    what = f"one row of {splits.num_features} values in [0, 1] ({_quantization(tensor)})"
    if splits.layout == "image" and splits.pixel_max:  # row = pixel / pixel_max, H x W x C order
        return TensorDescription("features", f"{what}: {height}x{width}x{channels} pixels / {splits.pixel_max:g}, "
                                             f"row-major", mean=(0.0,), std=(splits.pixel_max,), minimum=(0.0,),
                                 maximum=(1.0,)), {}
    if splits.scaling:  # row = (x - subtract) * multiply per column: (x - mean) / std
        mean = tuple(float(v) for v in splits.scaling["subtract"])
        std = tuple(1.0 / float(v) for v in splits.scaling["multiply"])
        return TensorDescription("features", f"{what}: columns {', '.join(splits.scaling['columns'])} scaled with "
                                             f"the training split's range", mean=mean, std=std, minimum=(0.0,),
                                 maximum=(1.0,)), {}
    return TensorDescription("features", f"{what}, as the data set's loader gave them"), {}


def student_metadata(splits: DatasetSplits, config: RunConfig, kind: str, mode: str, inputs: list[dict],
                     outputs: list[dict]) -> tuple[ModelDescription, dict[str, bytes]]:
    """The description and associated files of a student converted in `mode`, whose input and output
    tensors (flatbuffer_reader's dicts) are `inputs` and `outputs`."""
    if len(outputs) != 1 or outputs[0]["shape"][-1] != splits.num_classes:
        raise ProjnetError(f"the student gives {[o['shape'] for o in outputs]} but {splits.name} has "
                           f"{splits.num_classes} class names: its labels would not match")
    tensor, files = _input(splits, kind, inputs[0])
    scores = "probabilities (softmax)" if kind == IMAGE else "logits (apply a softmax for probabilities)"
    labels = AssociatedFile(LABELS_FILE, f"the {splits.num_classes} class names, one a line, in output order",
                            FILE_TENSOR_AXIS_LABELS)
    output = TensorDescription("probabilities" if kind == IMAGE else "logits",
                               f"{scores} of the {splits.num_classes} classes ({_quantization(outputs[0])})",
                               files=(labels,))
    versions = export_versions()
    made = ", ".join(f"{name} {version}" for name, version in versions.items())
    description = ModelDescription(
        name=f"projnet {config.projection.backend} student: {splits.name}",
        description=f"ProjectionNet student ({config.projection.backend} projection, {config.num_bits} bits) for "
                    f"{splits.description or splits.name}, {splits.num_classes} classes, {mode} export. Made with {made}.",
        version=f"projnet {versions['projnet']}", author=config.export.author, license=config.export.license,
        inputs=(tensor,), outputs=(output,))
    return description, {**files, LABELS_FILE: labels_bytes(splits)}


def with_student_metadata(model: bytes, splits: DatasetSplits, config: RunConfig, kind: str, mode: str) -> bytes:
    """The converted student with its metadata and associated files."""
    from projnet.device_bench.flatbuffer_reader import GRAPH_INPUTS, GRAPH_OUTPUTS, graph_tensors, root
    from projnet.export.model_metadata import with_metadata

    graph = root(model)
    description, files = student_metadata(splits, config, kind, mode, graph_tensors(graph, GRAPH_INPUTS),
                                          graph_tensors(graph, GRAPH_OUTPUTS))
    return with_metadata(model, description, files)
