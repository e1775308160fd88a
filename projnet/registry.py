"""The names projnet knows and the rules between them: one table each, and no TensorFlow.

Config validation, the CLI, the exporter and the engines all read these tables, so a name is
spelt once. Importing this module costs numpy and nothing else (tests/test_import_graph.py keeps
it so): device installs and `--help` must not pay for TensorFlow.

Adding a projection backend is one layer file plus one `BackendSpec` here (docs/adding_a_backend.md).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from projnet.errors import UsageError

MAX_NUM_FUNCTIONS = 1024  # T: beyond this the projection alone outgrows any on-device budget
MAX_BITS_PER_FUNCTION = 32  # d: TFLite's LSH_PROJECTION caps d at 32; keep one range for all backends
MAX_TOKEN_CODES = 1 << 22  # token backend: T * 2^d table rows; 4M rows is 96 MB of int8 at E = 24, past any device
MAX_PATCH_SIZE = 32  # patch backend: k, stride and pools beyond this exceed any image projnet reads
INT32_MIN, INT32_MAX = -(1 << 31), (1 << 31) - 1


@dataclass(frozen=True)
class BackendSpec:
    """What a projection backend is, for everything that must know without building it."""

    name: str
    input_kind: str  # "dense" (float feature rows) or "ids" (int32 feature ids, 0 = padding)
    stores_matrix: bool  # whether the .tflite holds a D x (T * d) projection matrix
    layer: str  # "module:Class" of its ProjectionLayer subclass, imported only when a model is built
    description: str
    export_route: str = "converter"  # "converter": TFLiteConverter alone; "lsh_splice": see export/lsh_export.py
    max_bits_per_function: int = MAX_BITS_PER_FUNCTION
    centered: bool = False  # whether the projection's origin moves to the training mean (projection.center_inputs)
    output: str = "bits"  # "bits": (batch, T * d) in {0, 1}; "token_codes": (batch, L, T) int32 codes per id;
    # "bit_map": (batch, H', W', T * d) in {0, 1}, one pixel per image patch


BACKENDS: dict[str, BackendSpec] = {spec.name: spec for spec in (
    BackendSpec("dense", "dense", True, "projnet.projection.bit_projection:BitProjection",
                "stored random hyperplanes through the training mean (FULLY_CONNECTED, GREATER)", centered=True),
    BackendSpec("structured", "dense", False, "projnet.projection.structured_projection:StructuredProjection",
                "random signs and Walsh-Hadamard transforms; no stored matrix", centered=True),
    BackendSpec("lsh", "dense", False, "projnet.projection.lsh_projection:LshProjection",
                "TFLite's builtin LSH_PROJECTION, written into the flatbuffer", export_route="lsh_splice", centered=True,
                max_bits_per_function=32),  # the op packs one seed row's bits in an int32
    BackendSpec("hashed", "ids", False, "projnet.projection.hashed_projection:HashedProjection",
                "one SimHash of a text's bag of ids, hashed in int32 in the graph"),
    BackendSpec("token", "ids", False, "projnet.projection.token_projection:TokenProjection",
                "each id hashed on its own into T codes of d bits, read by a learned table, mean over the text",
                max_bits_per_function=16, output="token_codes"),  # 2^d table rows per function: d <= 16
    BackendSpec("patch", "dense", False, "projnet.projection.patch_projection:PatchProjection",
                "T * d fixed zero-sum random filters slid over k x k image patches (CONV_2D): a map of bits",
                output="bit_map"),
)}


@dataclass(frozen=True)
class QuantMode:
    """An export quantization mode; every backend takes it unless `refused` names it with the reason."""

    name: str
    description: str
    needs_representative: bool  # int8 calibration rows from the training split
    refused: tuple[tuple[str, str], ...] = ()  # (backend, why it cannot take this mode)


_FLOAT_INPUT_HASH = "LSH_PROJECTION hashes the bytes of a float input; an int8 input would hash other bytes"
QUANT_MODES: dict[str, QuantMode] = {mode.name: mode for mode in (
    QuantMode("int8", "full-integer post-training quantization: int8 weights, activations, input, output "
              "(id inputs: the int32 ids and the integer hashing stay int32)", True,
              (("lsh", _FLOAT_INPUT_HASH),)),
    QuantMode("dynamic", "dynamic range: int8 weights (tensors of 1024+ elements), float activations", False),
    QuantMode("float16", "float16 weights, float32 compute", False),
    QuantMode("qat", "full-integer int8 after quantization-aware fine-tuning (TFMOT, tf_keras twin)", True,
              (("lsh", _FLOAT_INPUT_HASH),
               ("hashed", "the QAT worker's tf_keras twin has no hashed projection; int8 PTQ keeps "
                          "hashed bits exact, so use int8"),
               ("token", "the QAT worker's tf_keras twin has no token projection; int8 PTQ keeps its codes "
                         "exact, so use int8"),
               ("patch", "the QAT worker's tf_keras twin has no patch projection or convolutional readout; "
                         "use int8"))),
)}

ENGINES = ("bp", "sideways", "dni")  # how the trainer is trained (trainer/schedule.py)
STALENESS_METHODS = ("auto", "none", "age_lr", "bp_warmup", "stash", "weight_stash", "age_lr+weight_stash", "age_lr+bp_warmup")  # sideways' stale-gradient corrections (trainer/staleness.py)
STUDENT_PLACEMENTS = ("measured", "multiply_adds")  # pipelined runs: which stage's device the student shares (trainer/student_placement.py)
SIMULATED_ENGINES = ENGINES + ("gpipe",)  # the schedule can also lay out GPipe, for comparison only
STUDENT_INPUTS = ("auto", "image", "features")  # what a shipped student takes (export/student_input.py)
STREAMS = ("shuffled", "smooth", "walk")  # the order training rows arrive in (data/streams.py)
TRAINER_ARCHITECTURES = ("mlp", "cnn", "bag")  # trainer/models.py; "bag" takes ids
TRAINER_POOLINGS = ("mean", "tfidf")  # trainer/embedding_bag.py: how the "bag" pools a text's id rows
LR_SCHEDULES = ("cosine", "constant")


def one_of(names) -> str:
    return ", ".join(names)


def backend(name: str) -> BackendSpec:
    if name not in BACKENDS:
        raise UsageError(f"unknown projection backend {name!r}; known: {one_of(BACKENDS)}")
    return BACKENDS[name]


def quant_modes_for(backend_name: str) -> list[str]:
    """The quant modes a backend can export, in table order."""
    return [m.name for m in QUANT_MODES.values() if backend_name not in dict(m.refused)]


def check_quant_mode(mode: str, backend_name: str) -> QuantMode:
    """The mode's entry, or a one-line refusal for an unknown mode or one this backend cannot take."""
    if mode not in QUANT_MODES:
        raise UsageError(f"export.quant must be one of: {one_of(QUANT_MODES)}. Received: export.quant={mode!r}")
    entry = QUANT_MODES[mode]
    reason = dict(entry.refused).get(backend_name)
    if reason is not None:
        raise UsageError(f"export.quant={mode} is not available for projection.backend={backend_name}: {reason}; "
                         f"use one of: {one_of(quant_modes_for(backend_name))}")
    return entry


def input_kind(x: np.ndarray) -> str:
    """"ids" for integer feature arrays, "dense" for float ones."""
    return "ids" if np.issubdtype(x.dtype, np.integer) else "dense"


def check_backend_fits(name: str, x: np.ndarray, dataset: str) -> None:
    """Refuse, in one line, a backend whose input kind is not the data set's, or ids the graph cannot hold."""
    wanted, have = backend(name).input_kind, input_kind(x)
    if wanted != have:
        fitting = [b.name for b in BACKENDS.values() if b.input_kind == have]
        raise UsageError(f"projection.backend={name} takes {wanted} inputs but {dataset} has {have} inputs; "
                         f"use one of: {one_of(fitting) or 'none'}")
    if have == "ids" and x.size and (x.min() < INT32_MIN or x.max() > INT32_MAX):
        # the model's input is int32: a wider id would be wrapped silently and hash as another id
        raise UsageError(f"{dataset} has feature ids outside int32 ([{int(x.min())}, {int(x.max())}]); the "
                         f"model's id input is int32: hash ids into [{INT32_MIN}, {INT32_MAX}] first")
