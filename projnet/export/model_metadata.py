"""TFLite Model Metadata inside every exported student, so that nothing around the model needs projnet.

The metadata is the flatbuffer that TFLite's metadata_schema.fbs defines (file identifier "M001"),
stored in one of the model's buffers under the metadata entry "TFLITE_METADATA"; the files it names
(labels.txt, featurizer.json) are appended to the .tflite as a stored (uncompressed) zip archive.
That is the layout tflite-support's and MediaPipe's metadata writers produce, and what MediaPipe's
ImageClassifier, Android's Task Library and their MetadataDisplayer read. It is built here with the
plain flatbuffers Builder, from the schema's field numbers below, because the generated metadata
module ships only with tflite-support (protobuf<4, which TensorFlow cannot share) and MediaPipe.

The schema puts a union in two slots (its type, then its table), so Content and ProcessUnit count
their fields that way. Only fields of metadata version 1.0.0 are used: any parser since 2020 reads it.
"""

from __future__ import annotations

import io
import zipfile
from dataclasses import dataclass

import flatbuffers
import numpy as np

from projnet.device_bench.metadata_reader import METADATA_ENTRY, METADATA_IDENTIFIER

MIN_PARSER_VERSION = "1.0.0"
# enums of metadata_schema.fbs
FILE_UNKNOWN, FILE_DESCRIPTIONS, FILE_TENSOR_AXIS_LABELS = 0, 1, 2
COLOR_RGB, COLOR_GRAYSCALE = 1, 2
CONTENT_FEATURE, CONTENT_IMAGE = 1, 2  # ContentProperties union members
OPTIONS_NORMALIZATION = 1  # ProcessUnitOptions union member


@dataclass(frozen=True)
class AssociatedFile:
    name: str
    description: str
    kind: int = FILE_UNKNOWN  # FILE_TENSOR_AXIS_LABELS: one class name a line, in output order


@dataclass(frozen=True)
class TensorDescription:
    name: str
    description: str
    image_color_space: int = 0  # COLOR_RGB / COLOR_GRAYSCALE for an image input; 0: a feature tensor
    image_size: tuple[int, int] | None = None  # (width, height)
    mean: tuple[float, ...] = ()  # NormalizationOptions: the model wants (x - mean) / std; none if empty
    std: tuple[float, ...] = ()
    minimum: tuple[float, ...] = ()  # Stats: the range of the values the tensor holds
    maximum: tuple[float, ...] = ()
    files: tuple[AssociatedFile, ...] = ()


@dataclass(frozen=True)
class ModelDescription:
    name: str
    description: str
    version: str
    author: str
    license: str
    inputs: tuple[TensorDescription, ...]
    outputs: tuple[TensorDescription, ...]


def _strings(b: flatbuffers.Builder, values) -> int:
    offsets = [b.CreateString(v) for v in values]
    b.StartVector(4, len(offsets), 4)
    for offset in reversed(offsets):
        b.PrependUOffsetTRelative(offset)
    return b.EndVector()


def _tables(b: flatbuffers.Builder, offsets: list[int]) -> int:
    b.StartVector(4, len(offsets), 4)
    for offset in reversed(offsets):
        b.PrependUOffsetTRelative(offset)
    return b.EndVector()


def _floats(b: flatbuffers.Builder, values) -> int:
    return b.CreateNumpyVector(np.asarray(values, np.float32))


def _associated_file(b: flatbuffers.Builder, file: AssociatedFile) -> int:
    name, description = b.CreateString(file.name), b.CreateString(file.description)
    b.StartObject(5)  # name, description, type, locale, version
    b.PrependUOffsetTRelativeSlot(0, name, 0)
    b.PrependUOffsetTRelativeSlot(1, description, 0)
    b.PrependInt8Slot(2, file.kind, 0)
    return b.EndObject()


def _content(b: flatbuffers.Builder, tensor: TensorDescription) -> int:
    if tensor.image_color_space:
        size = 0
        if tensor.image_size:
            b.StartObject(2)  # ImageSize: width, height
            b.PrependUint32Slot(0, tensor.image_size[0], 0)
            b.PrependUint32Slot(1, tensor.image_size[1], 0)
            size = b.EndObject()
        b.StartObject(2)  # ImageProperties: color_space, default_size
        b.PrependInt8Slot(0, tensor.image_color_space, 0)
        if size:
            b.PrependUOffsetTRelativeSlot(1, size, 0)
        properties, kind = b.EndObject(), CONTENT_IMAGE
    else:
        b.StartObject(0)  # FeatureProperties: no fields
        properties, kind = b.EndObject(), CONTENT_FEATURE
    b.StartObject(3)  # Content: content_properties_type, content_properties, range
    b.PrependUint8Slot(0, kind, 0)
    b.PrependUOffsetTRelativeSlot(1, properties, 0)
    return b.EndObject()


def _normalization(b: flatbuffers.Builder, tensor: TensorDescription) -> int:
    mean, std = _floats(b, tensor.mean), _floats(b, tensor.std)
    b.StartObject(2)  # NormalizationOptions: mean, std
    b.PrependUOffsetTRelativeSlot(0, mean, 0)
    b.PrependUOffsetTRelativeSlot(1, std, 0)
    options = b.EndObject()
    b.StartObject(2)  # ProcessUnit: options_type, options
    b.PrependUint8Slot(0, OPTIONS_NORMALIZATION, 0)
    b.PrependUOffsetTRelativeSlot(1, options, 0)
    return b.EndObject()


def _tensor(b: flatbuffers.Builder, tensor: TensorDescription) -> int:
    name, description = b.CreateString(tensor.name), b.CreateString(tensor.description)
    content = _content(b, tensor)
    units = _tables(b, [_normalization(b, tensor)]) if tensor.mean else 0
    stats = 0
    if tensor.minimum:
        maximum, minimum = _floats(b, tensor.maximum), _floats(b, tensor.minimum)
        b.StartObject(2)  # Stats: max, min
        b.PrependUOffsetTRelativeSlot(0, maximum, 0)
        b.PrependUOffsetTRelativeSlot(1, minimum, 0)
        stats = b.EndObject()
    files = _tables(b, [_associated_file(b, f) for f in tensor.files]) if tensor.files else 0
    b.StartObject(7)  # name, description, dimension_names, content, process_units, stats, associated_files
    b.PrependUOffsetTRelativeSlot(0, name, 0)
    b.PrependUOffsetTRelativeSlot(1, description, 0)
    b.PrependUOffsetTRelativeSlot(3, content, 0)
    for slot, offset in ((4, units), (5, stats), (6, files)):
        if offset:
            b.PrependUOffsetTRelativeSlot(slot, offset, 0)
    return b.EndObject()


def metadata_flatbuffer(model: ModelDescription) -> bytes:
    """The ModelMetadata table ("M001") for one subgraph."""
    b = flatbuffers.Builder(1024)
    inputs = _tables(b, [_tensor(b, t) for t in model.inputs])
    outputs = _tables(b, [_tensor(b, t) for t in model.outputs])
    graph_name = b.CreateString(model.name)
    b.StartObject(10)  # SubGraphMetadata: name, description, input/output_tensor_metadata, ...
    b.PrependUOffsetTRelativeSlot(0, graph_name, 0)
    b.PrependUOffsetTRelativeSlot(2, inputs, 0)
    b.PrependUOffsetTRelativeSlot(3, outputs, 0)
    graph = b.EndObject()
    graphs = _tables(b, [graph])
    fields = [b.CreateString(v) for v in (model.name, model.description, model.version, model.author,
                                          model.license, MIN_PARSER_VERSION)]
    b.StartObject(8)  # name, description, version, subgraph_metadata, author, license, associated_files, min_parser_version
    for slot, offset in zip((0, 1, 2, 4, 5, 7), fields):
        b.PrependUOffsetTRelativeSlot(slot, offset, 0)
    b.PrependUOffsetTRelativeSlot(3, graphs, 0)
    b.Finish(b.EndObject(), file_identifier=METADATA_IDENTIFIER)
    return bytes(b.Output())


def with_metadata(model: bytes, description: ModelDescription, files: dict[str, bytes]) -> bytes:
    """`model` with `description` in its TFLITE_METADATA buffer and `files` appended as a stored zip.

    Every file a tensor names must be given, and nothing else: a reader looks the names up in the zip.
    The rest of the flatbuffer (other metadata entries such as min_runtime_version, every buffer) is kept.
    """
    from ai_edge_litert import schema_py_generated as schema

    named = {f.name for t in (*description.inputs, *description.outputs) for f in t.files}
    if named != set(files):
        raise ValueError(f"the metadata names files {sorted(named)}; given {sorted(files)}")
    graph = schema.ModelT.InitFromPackedBuf(bytearray(model), 0)
    buffer = schema.BufferT()
    buffer.data = np.frombuffer(metadata_flatbuffer(description), np.uint8)
    graph.buffers.append(buffer)
    entry = schema.MetadataT()
    entry.name, entry.buffer = METADATA_ENTRY, len(graph.buffers) - 1
    graph.metadata = [m for m in (graph.metadata or []) if m.name.decode() != METADATA_ENTRY] + [entry]
    b = flatbuffers.Builder(len(model) + 4096)
    b.Finish(graph.Pack(b), file_identifier=b"TFL3")
    packed = io.BytesIO(bytes(b.Output()))
    packed.seek(0, io.SEEK_END)
    # appended after the flatbuffer: interpreters never read past it, zip readers find it from the end
    with zipfile.ZipFile(packed, "a", compression=zipfile.ZIP_STORED) as archive:
        for name, data in sorted(files.items()):
            archive.writestr(zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0)), data)  # fixed date: same bytes
    return packed.getvalue()
