"""A projnet run, end to end: data -> joint training -> export -> device bench -> report.

Everything a run makes lands in its run directory; `export_existing_run` redoes the export half
from what training left there.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

from projnet import run_dir as names
from projnet.atomic_io import atomic_write_json, atomic_write_text, atomic_write_with
from projnet.config import RunConfig, get_key, known_keys
from projnet.config_settings import config_from_toml, config_to_toml
from projnet.data import load_dataset
from projnet.data.registry import absolute_dataset
from projnet.errors import ProjnetError, UsageError
from projnet.run_report import plot_training_curves


def train_and_export(config: RunConfig, out: Path, overwrite: bool = False, show_progress: bool = True,
                     resume: bool = False) -> dict:
    """Train trainer and student jointly, save both, then export; returns metrics.json's content.

    With `resume`, `out` is an existing run directory whose checkpoint training continues from.
    """
    splits = load_dataset(config.data)  # before the run directory: a missing data set leaves nothing behind
    check_before_training(config, splits)
    teacher = None
    if config.trainer.teacher:  # read and checked against the data before the run directory too
        from projnet.trainer.own_teacher import load_teacher

        teacher = load_teacher(Path(config.trainer.teacher).expanduser(), splits, config.trainer.teacher_trainable)
    devices = stage_devices(config) if config.pipelined else []  # before TensorFlow's first op and the run directory
    if not resume:
        out = names.prepare_run_dir(out, overwrite)  # takes the directory's lock
    else:
        names.acquire_lock(out)
    try:
        return _train_and_export_in(out, config, splits, devices, show_progress, resume, teacher)
    finally:
        names.release_lock(out)


def _train_and_export_in(out: Path, config: RunConfig, splits, devices: list[str], show_progress: bool,
                         resume: bool, teacher: tuple | None) -> dict:
    import keras
    import tensorflow as tf

    from projnet.export.export_run import export_run
    from projnet.projection.student import build_student
    from projnet.registry import backend
    from projnet.trainer.joint_training import CheckpointPolicy, train_jointly
    from projnet.trainer.models import build_trainer
    from projnet.trainer.pipeline_training import train_pipelined

    if not resume:
        dataset = absolute_dataset(config.data.dataset)  # so `projnet export` works from any folder
        config = dataclasses.replace(config, data=dataclasses.replace(config.data, dataset=dataset))
        if teacher is not None:
            config = dataclasses.replace(config, trainer=dataclasses.replace(config.trainer, teacher=teacher[1]["path"]))
        atomic_write_text(out / names.CONFIG, config_to_toml(config) + files_read_comment(splits))
        (out / names.CHECKPOINT_DIR).mkdir(exist_ok=True)  # the settings a resume must find unchanged
        atomic_write_text(out / names.CHECKPOINT_DIR / names.STARTED_CONFIG, config_to_toml(config))
    if config.train.deterministic:
        tf.config.experimental.enable_op_determinism()
    keras.utils.set_random_seed(config.train.seed)  # initialisation must not depend on what ran before
    centered = config.projection.center_inputs and backend(config.projection.backend).centered
    center = splits.x_train.mean(axis=0) if centered else None  # ids (text) and patches take no centre
    if config.pipelined:
        student = build_student(splits.num_features, splits.num_classes, config.projection, config.student, center,
                                splits.image_shape)
        pipeline = train_pipelined(config, splits, student, devices, show_progress, out, resume)
        trainer, history = pipeline.staged.model, pipeline.history
        atomic_write_json(out / names.PIPELINE, pipeline.summary(config))
    else:
        trainer = teacher[0] if teacher else build_trainer(splits.num_features, splits.num_classes,
                                                           splits.image_shape, config.trainer, splits.x_train)
        student = build_student(splits.num_features, splits.num_classes, config.projection, config.student, center,
                                splits.image_shape)
        policy = CheckpointPolicy(out, config.train.checkpoint_every_steps, resume)
        history = train_jointly(trainer, student, splits, config.train, config.objective, show_progress, policy)
    atomic_write_with(out / names.TRAINER_KERAS, trainer.save)
    atomic_write_with(out / names.STUDENT_KERAS, student.save)
    atomic_write_json(out / names.HISTORY, history.epochs)
    plot_training_curves(history.epochs, out / names.CURVES_PNG)
    return export_run(out, config, splits, trainer, student, show_progress, teacher[1] if teacher else None)


def files_read_comment(splits) -> str:
    """The input files' sizes and SHA-256 as TOML comments: config.toml says what the settings were applied to."""
    lines = [f"# read {f['path']}: {f.get('files', 1)} file(s), {f['bytes']} bytes, sha256 {f['sha256']}"
             for f in splits.files]
    return "\n" + "\n".join(lines) + "\n" if lines else ""


def stage_devices(config: RunConfig) -> list[str]:
    """The device of each trainer stage (trainer/devices.py); refuses bad device lists before any work."""
    from projnet.trainer.devices import resolve_devices

    t = config.pipeline
    return resolve_devices(t.stages, t.devices, t.cluster, t.share_devices)


def check_before_training(config: RunConfig, splits) -> None:
    """Refuse, before any training, a backend that does not fit the data or an int8 calibration set too small."""
    from projnet.export.export_run import representative_rows
    from projnet.export.student_input import student_input_kind
    from projnet.projection.patch_geometry import readout_shapes
    from projnet.registry import QUANT_MODES, backend, check_backend_fits, input_kind
    from projnet.trainer.models import weighted_layer_count

    check_backend_fits(config.projection.backend, splits.x_train, splits.name)
    pixel_models = []
    if splits.layout == "features" and backend(config.projection.backend).output == "bit_map":
        pixel_models.append("projection.backend=patch")  # a series window is fine: a 1-wide image
    if splits.layout in ("features", "series") and config.trainer.architecture == "cnn":
        pixel_models.append("trainer.architecture=cnn")
    if pixel_models:
        what = "a table's columns" if splits.layout == "features" else "windows of sensor samples"
        raise UsageError(f"{', '.join(pixel_models)} reads images but {splits.name} holds {what}; use "
                         f"projection.backend=dense and trainer.architecture=mlp")
    if backend(config.projection.backend).output == "bit_map":  # the map must survive every pool of the readout
        p, s = config.projection, config.student
        readout_shapes(splits.image_shape, p.patch_size, p.patch_stride, s.bit_pool, len(s.conv_filters))
    kind = input_kind(splits.x_train)  # text data sets have int32 ids
    if kind == "ids" and config.objective.mixup_distill_weight > 0:
        raise UsageError(f"objective.mixup_distill_weight must be 0 for {splits.name}: mixup blends float "
                         f"features and {splits.name} has integer ids. Received: "
                         f"objective.mixup_distill_weight={config.objective.mixup_distill_weight}")
    if (config.trainer.architecture == "bag") != (kind == "ids"):
        raise UsageError(f"trainer.architecture={config.trainer.architecture} does not fit {splits.name}'s {kind} "
                         f"inputs; use {'bag' if kind == 'ids' else 'mlp or cnn'}")
    if config.pipelined and config.trainer.teacher:
        raise UsageError(f"--teacher is a model of its own, which pipeline.stages={config.pipeline.stages} cannot cut into "
                         f"stages; train with the plain loop (pipeline.engine=bp, pipeline.stages=1)")
    if config.pipelined and kind == "ids":
        raise UsageError(f"pipeline.engine={config.pipeline.engine} with pipeline.stages={config.pipeline.stages} and "
                         f"pipeline.stream={config.pipeline.stream} takes float features; {splits.name} has integer ids: "
                         f"train it with the plain loop (pipeline.engine=bp, pipeline.stages=1, pipeline.stream=shuffled)")
    convolutions = [n for n, has in (("trainer.architecture=cnn", config.trainer.architecture == "cnn"),
                                     ("student.conv_filters", bool(config.student.conv_filters))) if has]
    if config.pipelined and config.pipeline.serial_devices and convolutions:
        # Chaining each device's ops (trainer/device_streams.py) and convolutions give a graph that TensorFlow's
        # grappler optimizer turns into a cycle ("N nodes in a cycle" at the first tick); with grappler off it runs.
        raise UsageError(f"pipeline.serial_devices=true does not work yet with convolutions ({', '.join(convolutions)}): "
                         f"TensorFlow's graph optimizer turns the per-device op chains into a cycle; pass "
                         f"--set pipeline.serial_devices=false")
    ticks_per_epoch = len(splits.x_train) // config.train.batch_size
    if config.pipelined and config.pipeline.update_every > ticks_per_epoch:  # no stage would update in an epoch
        raise UsageError(f"pipeline.update_every={config.pipeline.update_every} ticks is longer than an epoch "
                         f"({len(splits.x_train)} training rows / train.batch_size={config.train.batch_size} = "
                         f"{ticks_per_epoch} ticks): a stage would apply no update in a whole epoch; use at most "
                         f"{ticks_per_epoch}")
    if config.pipeline.stages > weighted_layer_count(config.trainer):
        raise UsageError(f"pipeline.stages={config.pipeline.stages} but the {config.trainer.architecture} trainer has only "
                         f"{weighted_layer_count(config.trainer)} layers with weights to cut between")
    if QUANT_MODES[config.export.quant].needs_representative:
        representative_rows(splits, config)
    student_input_kind(splits, config)  # export.student_input=image on data that has no images is refused now


def check_model_fits_data(student, splits) -> None:
    """Refuse a saved student whose input is not this data set's rows (an RGB set for a grayscale model, ...)."""
    from projnet.projection.layers import projection_layer

    wanted = int(student.input.shape[-1])
    if wanted == splits.num_features:
        return
    layer = projection_layer(student)
    takes = "x".join(map(str, layer.image_shape)) + " images" if hasattr(layer, "image_shape") else "rows"
    height, width, channels = splits.image_shape
    raise ProjnetError(f"the student takes {takes} of {wanted} values but {splits.name} has {splits.num_features} "
                       f"({height}x{width}x{channels}); export it with the data set it was trained on")


def resume_run(run_dir: Path, show_progress: bool = True) -> dict:
    """Continue an interrupted run from its checkpoint with its own config.toml, then export."""
    from projnet.trainer.checkpoint import MANIFEST

    run_dir = names.require_run_dir(run_dir, names.CONFIG)
    if not (run_dir / names.CHECKPOINT_DIR / MANIFEST).is_file():
        finished = [n for n in (names.METRICS, names.STUDENT_KERAS, names.TRAINER_KERAS) if (run_dir / n).exists()]
        if finished:  # its checkpoint was deleted: starting over would replace the finished models
            raise ProjnetError(f"{run_dir} has no checkpoint to resume from ({names.CHECKPOINT_DIR}/{MANIFEST} is "
                               f"missing) but holds a finished run ({', '.join(finished)}); train it again with "
                               f"--overwrite")
        import sys  # killed before its first checkpoint: nothing to lose, so the run starts over, and says so

        print(f"{run_dir}: no checkpoint yet, the run starts over", file=sys.stderr)
    config = config_from_toml(run_dir / names.CONFIG)
    started = run_dir / names.CHECKPOINT_DIR / names.STARTED_CONFIG
    if started.is_file():
        before = config_from_toml(started)
        edited = [key for key in known_keys() if get_key(before, key) != get_key(config, key)]
        if edited:
            raise ProjnetError(f"{run_dir / names.CONFIG} was edited after the run started ({', '.join(edited)}); "
                               f"--resume continues the run as it started: undo the edit, or start a new run")
    return train_and_export(config, run_dir, show_progress=show_progress, resume=True)


def export_existing_run(run_dir: Path, show_progress: bool = True) -> dict:
    """Re-export a run directory from its config.toml, trainer.keras and student.keras."""
    from projnet.export.export_run import export_run
    from projnet.projection.layers import load_model

    run_dir = names.require_run_dir(run_dir, names.CONFIG, names.TRAINER_KERAS, names.STUDENT_KERAS)
    config = config_from_toml(run_dir / names.CONFIG)
    splits = load_dataset(config.data)
    try:
        trainer = load_model(run_dir / names.TRAINER_KERAS)
        student = load_model(run_dir / names.STUDENT_KERAS)
    except (OSError, ValueError, KeyError) as exc:
        raise ProjnetError(f"cannot load the models in {run_dir}: {str(exc).splitlines()[0]}") from None
    check_model_fits_data(student, splits)
    teacher = None
    if config.trainer.teacher:  # the run's trainer is the user's teacher: say so again in the new metrics
        from projnet.trainer.own_teacher import teacher_record

        teacher = teacher_record(Path(config.trainer.teacher), trainer, config.trainer.teacher_trainable)
    return export_run(run_dir, config, splits, trainer, student, show_progress, teacher)
