"""Every setting of a run as dataclasses, with their bounds and the checks that refuse bad values.

Resolution order, later wins: dataclass defaults -> the data set's own defaults (sized per data
set) -> the TOML file -> `--set` overrides. `config_settings.resolve_config` is the one entry point;
config_settings.py also reads and writes the TOML.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass, field
from typing import Any

from projnet.errors import UsageError
from projnet.registry import (BACKENDS, ENGINES, LR_SCHEDULES, MAX_BITS_PER_FUNCTION, MAX_NUM_FUNCTIONS,
                              MAX_PATCH_SIZE, MAX_TOKEN_CODES, STALENESS_METHODS, STREAMS, STUDENT_INPUTS, STUDENT_PLACEMENTS,
                              TRAINER_ARCHITECTURES, TRAINER_POOLINGS, check_quant_mode, one_of)
from projnet.trainer.staleness import refusal as staleness_refusal, resolved as resolved_staleness, warms_up

# Bounds that turn a typo into a one-line refusal before any work, instead of a numpy or TensorFlow
# traceback (or hours of training) later: far beyond any sensible run, well inside what the libraries take.
SEED_LIMIT = 1 << 32  # numpy's default_rng and keras.utils.set_random_seed take 0 .. 2^32 - 1
MAX_EPOCHS = 100_000
MAX_BATCH = 1 << 20
MAX_WIDTH = 1 << 16  # a Dense or embedding width
MAX_BUCKETS = 1 << 24  # trainer embedding rows: 16 M x 64 float32 is already 4 GB


@dataclass
class DataConfig:
    dataset: str = "digits"  # the bundled scikit-learn digits: always available, trains in seconds
    data_dir: str = ""  # extra directory searched first for data files ("" = only the standard places)
    validation_fraction: float = 0.1  # of the training data, for per-epoch validation
    test_fraction: float = 0.2  # only for data sets without an official test split
    split_seed: int = 0  # fixed so that every run of a data set sees the same splits
    text_column: str = "text"  # text data sets (csv:PATH, banking77): the column holding the text ...
    label_column: str = "label"  # ... and the one holding its label (banking77 sets "category")
    csv_encoding: str = "utf-8"  # text CSVs are decoded strictly in this encoding (a UTF-8 BOM is skipped)
    labels_file: str = ""  # JSON list or one label a line; "" = the training split's labels, sorted
    text_max_ids: int = 128  # the text model's input length: ids past it are cut (BANKING77 mean: 66)
    text_max_chars: int = 1000  # texts are cut to this many characters before featurizing (bounds its time)
    text_word_ngrams: int = 1  # words only: word bigrams cost the hashed student 1.6 points on BANKING77
    text_char_ngrams: int = 3  # character trigrams of each word (0 = none)
    skip_empty_texts: bool = False  # text rows with no letters or digits are refused; true drops them instead
    description: str = ""  # your words for the data set, kept in metrics.json and the report
    image_size: int = 0  # images:DIR: resize every image to this square size (0 = keep, all must agree)
    image_mode: str = "auto"  # images:DIR: "L" (grayscale), "RGB", or "auto" (RGB when any image has colour)
    window: int = 50  # series:FILE: samples per window ...
    stride: int = 25  # ... and samples between window starts
    session_column: str = "session"  # series:FILE: one recording per value; no recording is in two splits
    time_column: str = "time"  # series:FILE: samples are ordered by it inside each session


IMAGE_MODES = ("auto", "L", "RGB")


@dataclass
class ProjectionConfig:
    backend: str = "dense"  # stored random hyperplanes: the baseline (every backend: projnet/registry.py)
    num_functions: int = 24  # T projection functions ...
    bits_per_function: int = 8  # ... of d bits each: T * d bits feed the student
    seed: int = 1  # derives the hyperplanes; stored with the model, so export needs no seed
    center_inputs: bool = True  # hyperplanes through the training mean: pixel data is all >= 0
    patch_size: int = 3  # patch backend: each bit reads a k x k window of the image ...
    patch_stride: int = 1  # ... and the window moves this many pixels at a time


@dataclass
class StudentConfig:
    hidden: list[int] = field(default_factory=lambda: [40])  # 192 bits x 40: digits' int8 file stays under 32 KB
    token_dim: int = 24  # token backend: E, the width of each code's learned row (T * 2^d x E int8 bytes)
    token_pairs: bool = False  # token backend: also project each pair of neighbouring ids (mostly word bigrams)
    bit_pool: int = 2  # patch backend: the bit map is average-pooled by this much (1 = not) ...
    conv_filters: list[int] = field(default_factory=list)  # ... then read by 3x3 convolutions, each 2x2 max-pooled


@dataclass
class TrainerConfig:
    architecture: str = "mlp"  # "mlp" or "cnn" over features; "bag" (hashed embedding bag) over text ids
    hidden: list[int] = field(default_factory=lambda: [512, 256])  # MLP widths: big next to the student
    dropout: float = 0.2  # the trainer is over-parameterised for digits; dropout keeps it honest
    buckets: int = 65536  # "bag" (text): ids modulo this many embedding rows; few collisions for ~40k n-grams
    embedding_dim: int = 64  # "bag": the width of each id's embedding
    pooling: str = "mean"  # "bag": "mean" of the rows, or "tfidf" (idf-weighted, L2-normalised, ReLU): trainer/embedding_bag.py
    wide: bool = False  # "bag": add a linear TF-IDF model's logits to the MLP's (wide & deep)
    adjacent_pairs: bool = False  # "bag": also a hashed feature per pair of neighbouring ids (mostly word bigrams)
    id_dropout: float = 0.0  # "bag", training only: each id becomes padding with this probability (word dropout)
    teacher: str = ""  # a .keras model you trained (--teacher): the trainer, instead of one built from the above
    teacher_trainable: bool = False  # false: the teacher is frozen and only the student learns; true: fine-tuned


@dataclass
class ObjectiveConfig:
    trainer_weight: float = 1.0  # l1: CE(labels, trainer)
    student_weight: float = 1.0  # l2: CE(labels, student)
    distill_weight: float = 1.0  # l3: T^2 KL(trainer || student), the ProjectionNet coupling
    temperature: float = 2.0  # softens the trainer's outputs so the student sees class similarity
    distill_into_trainer: bool = False  # stop-gradient by default: the student must not drag the trainer
    mixup_distill_weight: float = 1.0  # l4: also distil on mixup blends of the batch (0 = off; 0 in pipelined runs)


@dataclass
class PipelineConfig:
    """The trainer cut into stages on several devices; any value but the defaults trains with the pipelined loop."""

    engine: str = "bp"  # plain backprop; "sideways" and "dni" pipeline the trainer across devices (trainer/schedule.py)
    stages: int = 1  # K: the trainer cut into K stages, one per device; 1 = not pipelined
    devices: list[str] = field(default_factory=list)  # stage k on devices[k]; [] = every GPU, else K logical CPUs
    cluster: list[str] = field(default_factory=list)  # host:port of tf.distribute.Server workers for the stages
    share_devices: bool = False  # fewer devices than stages is refused unless this says to share them
    serial_devices: bool = True  # each device runs one op at a time, as an accelerator does (trainer/device_streams.py)
    stream: str = "shuffled"  # "smooth": a slowly moving video of the training images, what Sideways assumes
    clip_length: int = 16  # frames per clip of the smooth and walk streams
    motion_speed: float = 1.0  # multiplies the smooth stream's per-frame shift, turn and zoom: Sideways' smoothness axis
    update_every: int = 1  # pipelined engines: ticks whose (pseudo-)gradients are summed into one update
    staleness: str = "auto"  # sideways' stale-gradient correction: "auto" = age_lr for sideways (trainer/staleness.py)
    warmup_epochs: int = 1  # staleness "bp_warmup": the epochs trained with backprop before the pipeline starts
    age_fade_epochs: int = 0  # staleness "age_lr": the epochs over which the age scale fades to 1 (0: it never does)
    age_exponent: float = 2.0  # staleness "age_lr": stage k's rate / age_k^this; 2 kept K = 2 within 1 point, 1 did not
    # K = 4 (1024x6): 1.91 -> 1.37 points behind bp with age_lr (seed 0; README, "Fresher stages")
    cut_slack: float = 0.05  # sideways: a stage may cost this much over the balanced largest to move weights later
    student_placement: str = "multiply_adds"  # the student joins the stage of fewest multiply-adds, or "measured": fastest
    synthetic_learning_rate: float = 0.0  # dni: the synthetic-gradient models' Adam rate (0 = learning_rate)
    dni_stage_learning_rate: float = 1e-4  # dni: stages fed synthetic gradients; Adam makes their noise full-size steps
    # dni's synthetic models' ReLU layers ([] = linear cDNI); Fashion-MNIST K=2 trainer: linear 0.25, [1024] 0.836, bp 0.862
    synthetic_hidden: list[int] = field(default_factory=lambda: [1024])  # a linear model cannot carry a 1024-wide stage


@dataclass
class TrainConfig:
    epochs: int = 60  # the student needs ~2,000 steps on digits; the report's curves show the plateau
    batch_size: int = 32  # small batches: more steps for the student on small data sets
    learning_rate: float = 1e-3  # Adam's usual default, for both networks
    student_learning_rate: float = 0.0  # 0 = learning_rate; the small student often wants a larger one
    lr_schedule: str = "cosine"  # "cosine" decays to zero over the run; "constant" keeps it
    seed: int = 0  # initialisation, data order, dropout and mixup draws
    checkpoint_every_steps: int = 0  # 0 = a checkpoint at each epoch end only
    deterministic: bool = False  # TF's deterministic ops: same seed -> byte-identical .tflite files


@dataclass
class ExportConfig:
    representative_samples: int = 500  # int8 calibration draws from the training split
    min_representative_samples: int = 20  # fewer than this and the int8 ranges are guesses
    baselines: bool = True  # also train the plain models that fit the student's size, to say which to ship
    quant: str = "int8"  # full-integer PTQ: the smallest file a stock runtime runs (modes: projnet/registry.py)
    # image: [1, H, W, 3] RGB pixels in (uint8 when int8), probabilities out; features: the flat scaled rows
    student_input: str = "auto"  # image where the data and export allow it: what MediaPipe and the Task Library classify
    author: str = "projnet"  # the metadata's author field: set it to who trained the model
    license: str = "not stated (set export.license)"  # the metadata's licence field: the model's terms are the user's


@dataclass
class BenchConfig:
    threads: int = 1  # one thread: what a phone gives a background model
    min_time_s: float = 1.0  # timed runs go on at least this long
    warmup_runs: int = 20  # untimed runs first: caches, lazy allocations and XNNPACK packing settle


@dataclass
class RunConfig:
    data: DataConfig = field(default_factory=DataConfig)
    projection: ProjectionConfig = field(default_factory=ProjectionConfig)
    student: StudentConfig = field(default_factory=StudentConfig)
    trainer: TrainerConfig = field(default_factory=TrainerConfig)
    objective: ObjectiveConfig = field(default_factory=ObjectiveConfig)
    train: TrainConfig = field(default_factory=TrainConfig)
    pipeline: PipelineConfig = field(default_factory=PipelineConfig)
    export: ExportConfig = field(default_factory=ExportConfig)
    bench: BenchConfig = field(default_factory=BenchConfig)

    def validate(self) -> "RunConfig":
        """Refuse values that are well-typed but make no sense, naming the key and the value."""
        spec = BACKENDS.get(self.projection.backend, BACKENDS["dense"])  # an unknown name is refused below
        token_codes = self.projection.num_functions << max(0, min(self.projection.bits_per_function, 32))  # T * 2^d
        checks = [
            ("projection.num_functions", 1 <= self.projection.num_functions <= MAX_NUM_FUNCTIONS,
             f"between 1 and {MAX_NUM_FUNCTIONS}"),
            ("projection.bits_per_function", 1 <= self.projection.bits_per_function <= MAX_BITS_PER_FUNCTION,
             f"between 1 and {MAX_BITS_PER_FUNCTION}"),
            ("projection.backend", self.projection.backend in BACKENDS, f"one of: {one_of(BACKENDS)}"),
            ("trainer.architecture", self.trainer.architecture in TRAINER_ARCHITECTURES,
             f"one of: {one_of(TRAINER_ARCHITECTURES)}"),
            ("trainer.buckets", 1 <= self.trainer.buckets <= MAX_BUCKETS, f"between 1 and {MAX_BUCKETS}"),
            ("student.token_dim", 1 <= self.student.token_dim <= 1024, "between 1 and 1024"),
            ("projection.patch_size", 1 <= self.projection.patch_size <= MAX_PATCH_SIZE,
             f"between 1 and {MAX_PATCH_SIZE}"),
            ("projection.patch_stride", 1 <= self.projection.patch_stride <= MAX_PATCH_SIZE,
             f"between 1 and {MAX_PATCH_SIZE}"),
            ("student.bit_pool", 1 <= self.student.bit_pool <= MAX_PATCH_SIZE, f"between 1 and {MAX_PATCH_SIZE}"),
            ("student.conv_filters", all(1 <= f <= MAX_WIDTH for f in self.student.conv_filters),
             f"a list of filter counts between 1 and {MAX_WIDTH}"),
            ("student.conv_filters", not self.student.conv_filters or spec.output == "bit_map",
             f"empty for projection.backend={self.projection.backend}: convolutions read a map of bits, which only "
             f"{one_of(b.name for b in BACKENDS.values() if b.output == 'bit_map')} makes"),
            ("student.token_pairs", not self.student.token_pairs or spec.output == "token_codes",
             f"false for projection.backend={self.projection.backend}: pairs of ids are projected by "
             f"{one_of(b.name for b in BACKENDS.values() if b.output == 'token_codes')} only"),
            ("projection.bits_per_function", self.projection.bits_per_function <= spec.max_bits_per_function,
             f"at most {spec.max_bits_per_function} for projection.backend={self.projection.backend}"),
            ("projection.num_functions", spec.output != "token_codes" or token_codes <= MAX_TOKEN_CODES,
             f"such that T * 2^d <= {MAX_TOKEN_CODES} code-table rows for projection.backend="
             f"{self.projection.backend} (T * 2^d = {token_codes})"),
            ("trainer.pooling", self.trainer.pooling in TRAINER_POOLINGS, f"one of: {one_of(TRAINER_POOLINGS)}"),
            ("trainer.embedding_dim", 1 <= self.trainer.embedding_dim <= MAX_WIDTH, f"between 1 and {MAX_WIDTH}"),
            ("data.text_max_ids", 1 <= self.data.text_max_ids <= 4096, "between 1 and 4096"),
            ("data.text_max_chars", self.data.text_max_chars >= 1, "at least 1"),
            ("data.text_word_ngrams", 1 <= self.data.text_word_ngrams <= 4, "between 1 and 4"),
            ("data.text_char_ngrams", 0 <= self.data.text_char_ngrams <= 8, "between 0 and 8"),
            ("data.image_size", 0 <= self.data.image_size <= 1024, "between 0 (keep) and 1024"),
            ("data.image_mode", self.data.image_mode in IMAGE_MODES, f"one of: {one_of(IMAGE_MODES)}"),
            ("data.window", 1 <= self.data.window <= 100_000, "between 1 and 100000"),
            ("data.stride", 1 <= self.data.stride <= 100_000, "between 1 and 100000"),
            ("trainer.dropout", 0.0 <= self.trainer.dropout < 1.0, "in [0, 1)"),
            ("trainer.id_dropout", 0.0 <= self.trainer.id_dropout < 1.0, "in [0, 1)"),
            ("pipeline.engine", self.pipeline.engine in ENGINES, f"one of: {one_of(ENGINES)}"),
            ("pipeline.stages", 1 <= self.pipeline.stages <= 64, "between 1 and 64"),
            ("pipeline.stream", self.pipeline.stream in STREAMS, f"one of: {one_of(STREAMS)}"),
            ("pipeline.clip_length", self.pipeline.clip_length >= 1, "at least 1"),
            ("pipeline.motion_speed", 0.0 <= self.pipeline.motion_speed < 1e6, "0 or more (0: still images)"),
            ("pipeline.update_every", self.pipeline.update_every >= 1, "at least 1"),
            ("pipeline.staleness", self.pipeline.staleness in STALENESS_METHODS, f"one of: {one_of(STALENESS_METHODS)}"),
            ("pipeline.cut_slack", 0.0 <= self.pipeline.cut_slack <= 1.0, "between 0 and 1"),
            ("pipeline.student_placement", self.pipeline.student_placement in STUDENT_PLACEMENTS,
             f"one of: {one_of(STUDENT_PLACEMENTS)}"),
            ("pipeline.warmup_epochs", 1 <= self.pipeline.warmup_epochs <= MAX_EPOCHS, f"between 1 and {MAX_EPOCHS}"),
            ("pipeline.age_fade_epochs", 0 <= self.pipeline.age_fade_epochs <= MAX_EPOCHS, f"between 0 and {MAX_EPOCHS}"),
            ("pipeline.age_exponent", 0.0 <= self.pipeline.age_exponent <= 8.0, "between 0 and 8"),
            ("pipeline.synthetic_learning_rate", 0.0 <= self.pipeline.synthetic_learning_rate < math.inf,
             "non-negative (0 = train.learning_rate)"),
            ("pipeline.dni_stage_learning_rate", 0.0 < self.pipeline.dni_stage_learning_rate < math.inf, "positive"),
            ("train.epochs", 1 <= self.train.epochs <= MAX_EPOCHS, f"between 1 and {MAX_EPOCHS}"),
            ("train.seed", 0 <= self.train.seed < SEED_LIMIT, "in [0, 2^32) (numpy and TensorFlow seeds)"),
            ("projection.seed", 0 <= self.projection.seed < SEED_LIMIT, "in [0, 2^32) (numpy seeds)"),
            ("data.split_seed", 0 <= self.data.split_seed < SEED_LIMIT, "in [0, 2^32) (numpy seeds)"),
            ("train.lr_schedule", self.train.lr_schedule in LR_SCHEDULES, f"one of: {one_of(LR_SCHEDULES)}"),
            ("train.batch_size", 1 <= self.train.batch_size <= MAX_BATCH, f"between 1 and {MAX_BATCH}"),
            ("train.checkpoint_every_steps", 0 <= self.train.checkpoint_every_steps < SEED_LIMIT, "0 or more"),
            ("train.learning_rate", 0.0 < self.train.learning_rate < math.inf, "positive"),
            ("train.student_learning_rate", 0.0 <= self.train.student_learning_rate < math.inf,
             "non-negative (0 = train.learning_rate)"),
            ("objective.temperature", 0.0 < self.objective.temperature < math.inf, "positive"),
            ("data.validation_fraction", 0.0 < self.data.validation_fraction < 0.5, "in (0, 0.5)"),
            ("data.test_fraction", 0.0 < self.data.test_fraction < 0.5, "in (0, 0.5)"),
            ("export.representative_samples", self.export.representative_samples >= 1, "at least 1"),
            ("export.student_input", self.export.student_input in STUDENT_INPUTS, f"one of: {one_of(STUDENT_INPUTS)}"),
            ("bench.threads", self.bench.threads >= 1, "at least 1"),
            ("bench.min_time_s", self.bench.min_time_s > 0, "positive"),
        ]
        checks += [("student.hidden", all(1 <= h <= MAX_WIDTH for h in self.student.hidden),
                    f"a list of widths between 1 and {MAX_WIDTH}"),
                   ("pipeline.synthetic_hidden", all(1 <= h <= MAX_WIDTH for h in self.pipeline.synthetic_hidden),
                    f"a list of widths between 1 and {MAX_WIDTH}"),
                   ("trainer.hidden", all(1 <= h <= MAX_WIDTH for h in self.trainer.hidden) and (
                       self.trainer.hidden or self.trainer.pooling == "tfidf"),  # the tfidf bag is a hidden layer
                    "a non-empty list of positive widths")]
        for w in ("trainer_weight", "student_weight", "distill_weight", "mixup_distill_weight"):
            checks.append((f"objective.{w}", getattr(self.objective, w) >= 0, "non-negative"))
        for key, ok, expected in checks:
            if not ok:
                raise UsageError(f"{key} must be {expected}. Received: {key}={get_key(self, key)!r}")
        if self.pipelined:
            self._refuse_what_the_pipeline_cannot_honour()
        check_quant_mode(self.export.quant, self.projection.backend)
        return self

    def _refuse_what_the_pipeline_cannot_honour(self) -> None:
        """Settings the pipelined loop would otherwise drop without a word, each refused with the reason."""
        loop = f"the {self.pipeline.engine} engine with pipeline.stages={self.pipeline.stages}"
        if self.objective.distill_into_trainer:
            raise UsageError(f"objective.distill_into_trainer=true needs the plain backprop loop; {loop} trains the "
                             f"trainer from its own loss only")
        why_not = staleness_refusal(self.pipeline.staleness, self.pipeline.engine)
        if why_not:
            raise UsageError(why_not)
        if warms_up(resolved_staleness(self.pipeline.staleness, self.pipeline.engine)) and (
                self.pipeline.warmup_epochs >= self.train.epochs):
            raise UsageError(f"pipeline.warmup_epochs={self.pipeline.warmup_epochs} backprop epochs leave none of "
                             f"train.epochs={self.train.epochs} to the pipeline; use fewer than {self.train.epochs}")
        if self.objective.mixup_distill_weight > 0:
            raise UsageError(f"objective.mixup_distill_weight={self.objective.mixup_distill_weight:g} needs the plain "
                             f"backprop loop: the mixup term runs the whole trainer on blended rows, for which {loop} "
                             f"has no slot; set it to 0")

    @property
    def pipelined(self) -> bool:
        """Whether the staged pipeline loop trains this run (else the plain backprop loop does)."""
        p = self.pipeline
        return p.engine != "bp" or p.stages > 1 or p.stream != "shuffled" or bool(p.devices or p.cluster)

    @property
    def num_bits(self) -> int:
        return self.projection.num_functions * self.projection.bits_per_function


def _sections(config: RunConfig) -> dict[str, Any]:
    return {f.name: getattr(config, f.name) for f in dataclasses.fields(config)}


def get_key(config: RunConfig, key: str) -> Any:
    section, name = key.split(".", 1)
    return getattr(getattr(config, section), name)


def known_keys() -> list[str]:
    return [f"{s}.{f.name}" for s, sec in _sections(RunConfig()).items() for f in dataclasses.fields(sec)]
