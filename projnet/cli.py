"""The `projnet` command line: thin verbs over the library.

Errors reach the user as one line on stderr with exit code 1 (domain) or 2 (usage); set
PROJNET_DEBUG=1 for the traceback. TensorFlow is imported only by the commands that train or export.
"""

from __future__ import annotations

import importlib.util
import os
import sys
from pathlib import Path
from typing import Annotated, Any, Optional

import typer
from rich.console import Console
from rich.table import Table

from projnet import __version__
from projnet.baseline_command import baseline_command
from projnet.cli_errors import OneLineErrorGroup
from projnet.config_command import config_command
from projnet.pipeline_bench_command import pipeline_bench_command
from projnet.cli_options import ConfigFile, DataDir, JsonOut, Overwrite, Quiet, Seed, SetOptions, check_outputs
from projnet.errors import Interrupted, ProjnetError, UsageError
from projnet.native_output import import_tensorflow_quietly

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")  # before any lazy TensorFlow import: keep logs quiet

stdout = Console()
stderr = Console(stderr=True)


app = typer.Typer(cls=OneLineErrorGroup, add_completion=False, no_args_is_help=True,
                  pretty_exceptions_enable=False, rich_markup_mode=None,
                  help="Train a trainer and a projection-network student jointly; ship the student as .tflite.")


def _write_json(path: Path | None, obj: Any, overwrite: bool) -> None:
    if path is None:
        return
    from projnet.atomic_io import atomic_write_json, refuse_to_replace

    refuse_to_replace(path, overwrite)
    atomic_write_json(path, obj)


def _short_path(path: str) -> str:
    """The file and its folder: enough to tell two runs' models apart; --json keeps the full path."""
    return str(Path(Path(path).parent.name) / Path(path).name)


@app.command("train-and-export")
def train_and_export_command(
    dataset: Annotated[Optional[str], typer.Option(metavar="NAME", show_default="digits", help="Data set name (see `projnet datasets`).")] = None,
    out: Annotated[Optional[Path], typer.Option(metavar="DIR", help="Run directory [default: runs/<dataset>-<time>].")] = None,
    config: ConfigFile = None,
    set_: SetOptions = None,
    data_dir: DataDir = None,
    seed: Seed = None,
    deterministic: Annotated[bool, typer.Option(help="Deterministic TF ops: same seed, same bytes.")] = False,
    quant: Annotated[Optional[str], typer.Option(metavar="MODE", show_default="int8", help="Export mode: int8, dynamic, float16 or qat.")] = None,
    teacher: Annotated[Optional[Path], typer.Option(metavar="FILE.keras", help="A .keras model you trained, as the (frozen) trainer.")] = None,
    resume: Annotated[Optional[Path], typer.Option(metavar="RUN_DIR", help="Continue an interrupted run directory.")] = None,
    engine: Annotated[Optional[str], typer.Option(metavar="ENGINE", show_default="bp", help="Trainer engine: bp, sideways or dni.")] = None,
    stages: Annotated[Optional[int], typer.Option(metavar="K", show_default="1", help="Cut the trainer into K stages, one per device.")] = None,
    devices: Annotated[Optional[str], typer.Option(
        metavar="DEVICE,...", help="Stage devices, comma-separated (/GPU:0,/CPU:1,...) [default: every GPU, else K logical CPUs].")] = None,
    cluster: Annotated[Optional[str], typer.Option(
        metavar="HOST:PORT,...", help="host:port,... of `projnet worker` processes; stage k runs on worker k.")] = None,
    share_devices: Annotated[bool, typer.Option(help="Allow fewer devices than stages.")] = False,
    stream: Annotated[Optional[str], typer.Option(metavar="STREAM", show_default="shuffled", help="Training stream: shuffled or smooth (video-like).")] = None,
    overwrite: Overwrite = False,
    quiet: Quiet = False,
) -> None:
    """Train trainer and student jointly, export the student as .tflite, benchmark, report."""
    import_tensorflow_quietly()
    from projnet.config_settings import resolve_config
    from projnet.data import dataset_defaults
    from projnet.run import resume_run, train_and_export
    from projnet.run_dir import default_run_dir
    from projnet.run_report import rich_table

    if resume is not None:
        given = [name for name, value in (("--dataset", dataset), ("--out", out), ("--config", config),
                                          ("--set", set_), ("--data-dir", data_dir), ("--seed", seed),
                                          ("--quant", quant), ("--engine", engine), ("--stages", stages),
                                          ("--devices", devices), ("--cluster", cluster), ("--stream", stream),
                                          ("--teacher", teacher))
                 if value is not None and value != []]
        if given:
            raise UsageError(f"--resume continues a run with its own config.toml; drop {', '.join(given)}")
        metrics = resume_run(resume, show_progress=not quiet)
        out = resume
    else:
        overrides = {"data.dataset": dataset, "data.data_dir": None if data_dir is None else str(data_dir),
                     "train.seed": seed, "projection.seed": seed, "train.deterministic": deterministic or None,
                     "export.quant": quant, "trainer.teacher": None if teacher is None else str(teacher),
                     "pipeline.engine": engine, "pipeline.stages": stages, "pipeline.devices": _comma_list(devices),
                     "pipeline.cluster": _comma_list(cluster), "pipeline.share_devices": share_devices or None,
                     "pipeline.stream": stream}
        run_config = resolve_config(config, list(set_ or []), dataset_defaults,
                                    {key: value for key, value in overrides.items() if value is not None})
        out = out or default_run_dir(run_config.data.dataset)
        metrics = train_and_export(run_config, out, overwrite=overwrite, show_progress=not quiet)
    stdout.print(rich_table(metrics, stdout.width))
    stdout.print(f"run directory: {out}  (report: {out / 'report.md'})")


def _comma_list(text: str | None) -> list[str] | None:
    return None if text is None else [item.strip() for item in text.split(",") if item.strip()]


@app.command("worker")
def worker_command(
    cluster: Annotated[str, typer.Option(help="host:port of every worker, comma-separated, the same list everywhere.")],
    task: Annotated[int, typer.Option(help="Which of them this process is (0-based).")],
    lifetime: Annotated[float, typer.Option(help="Stop after this many seconds (0: run until killed).")] = 0.0,
    threads: Annotated[int, typer.Option(min=0, help="Cap the worker's thread pools (0: every core).")] = 0,
) -> None:
    """Serve pipeline stages for `train-and-export --cluster` (a tf.distribute.Server)."""
    import_tensorflow_quietly()
    from projnet.trainer.worker import serve

    serve(_comma_list(cluster), task, lifetime, threads)


@app.command("export")
def export_command(
    run_dir: Annotated[Path, typer.Argument(help="A run directory made by train-and-export.")],
    quiet: Quiet = False,
) -> None:
    """Re-export a run directory's student and trainer to .tflite and re-benchmark them."""
    import_tensorflow_quietly()
    from projnet.run import export_existing_run
    from projnet.run_report import rich_table

    stdout.print(rich_table(export_existing_run(run_dir, show_progress=not quiet), stdout.width))


@app.command("bench")
def bench_command(
    models: Annotated[list[Path], typer.Argument(help=".tflite files to benchmark.")],
    threads: Annotated[int, typer.Option(min=1, help="Interpreter threads.")] = 1,
    min_time: Annotated[float, typer.Option(min=0.01, help="Seconds of timed runs, at least.")] = 1.0,
    warmup: Annotated[int, typer.Option(min=0, help="Untimed runs first.")] = 20,
    json_out: JsonOut = None,
    plot: Annotated[Optional[Path], typer.Option(help="Also draw latency, size and accuracy to this PNG.")] = None,
    target: Annotated[str, typer.Option(
        help="Where to run: local, ssh://[user@]host[:port], qemu-aarch64, adb or adb:SERIAL.")] = "local",
    benchmark_binary: Annotated[Optional[Path], typer.Option(
        help="For --target adb: the official benchmark_model binary built for the phone.")] = None,
    remote_python: Annotated[str, typer.Option(
        help="For --target ssh: the host's Python (with numpy and a TFLite runtime).")] = "python3",
    ssh_config: Annotated[Optional[Path], typer.Option(help="For --target ssh: an ssh_config file (ssh -F).")] = None,
    connect_timeout: Annotated[int, typer.Option(min=1, help="For --target ssh: seconds to reach the host.")] = 10,
    qemu_root: Annotated[Optional[Path], typer.Option(
        help="For --target qemu-aarch64: where the arm64 sysroot is built and cached "
             "(default $PROJNET_QEMU_ROOT or ~/.cache/projnet/qemu-aarch64).")] = None,
    input_npy: Annotated[Optional[Path], typer.Option(
        "--input", help="For --target local: a .npy input in the model's shape and dtype (default: random).")] = None,
    no_xnnpack: Annotated[bool, typer.Option("--no-xnnpack", help="Builtin kernels only, no XNNPack delegate.")] = False,
    overwrite: Overwrite = False,
) -> None:
    """Latency percentiles and peak memory of .tflite models, each in its own process."""
    from projnet.device_bench.model_file import read_model
    from projnet.device_bench.runner import BenchSettings
    from projnet.device_bench.targets import TargetOptions, bench_models, check_target_options, parse_target

    kind, _ = parse_target(target)  # a malformed target is a usage error before anything runs
    for model in models:
        read_model(model)  # refuse a bad file before spending time on the others
    check_outputs(overwrite, json=(json_out, ".json"), plot=(plot, ".png"))
    if plot is not None and importlib.util.find_spec("matplotlib") is None:
        raise ProjnetError("--plot needs matplotlib, which is not installed here: pip install matplotlib")
    settings = BenchSettings(threads=threads, min_time_s=min_time, warmup_runs=warmup, use_xnnpack=not no_xnnpack)
    options = TargetOptions(benchmark_binary=benchmark_binary, remote_python=remote_python, ssh_config=ssh_config,
                            connect_timeout_s=connect_timeout, qemu_root=qemu_root, input_npy=input_npy)
    check_target_options(kind, settings, options)
    if input_npy is not None and not input_npy.is_file():
        raise ProjnetError(f"--input {input_npy}: no such file")
    from projnet.bench_table import bench_table

    results, failures, stopped = bench_models(models, target, settings, options)
    stdout.print(bench_table(results, failures, threads, _short_path, stdout.width))
    if not stopped and not failures:  # else the one error line below is all stderr says
        from projnet.metadata_lines import missing_metadata_notes

        for line in missing_metadata_notes(models):
            stderr.print(line)
    _write_json(json_out, results + failures, overwrite)
    if plot is not None:
        from projnet.device_bench.compare_plot import plot_comparison

        if results:
            plot_comparison(results, plot)
    if stopped:
        raise Interrupted(f"interrupted after {len(results) + len(failures)} of {len(models)} models; the table"
                          f"{' and ' + str(json_out) if json_out else ''} hold the finished ones")
    if failures:
        raise ProjnetError(f"{len(failures)} of {len(models)} models failed; first: {failures[0]['model']}: "
                           f"{failures[0]['error']}")


@app.command("inspect")
def inspect_command(
    model: Annotated[Path, typer.Argument(help="A .tflite file.")],
    json_out: JsonOut = None,
    overwrite: Overwrite = False,
) -> None:
    """Operators, input/output shapes, dtypes and quantization of a .tflite model."""
    from projnet.device_bench.inspect_model import describe_model

    check_outputs(overwrite, json=(json_out, ".json"))
    info = describe_model(model)
    stdout.print(f"{info['model']}: {info['size_bytes']} bytes, {len(info['ops'])} ops")
    stdout.print("ops: " + ", ".join(f"{name} x{count} (v{info['op_versions'][name]})"
                                     for name, count in info["op_counts"].items()))
    stdout.print(f"min_runtime_version: {info['min_runtime_version'] or 'not recorded'}")
    if info["non_builtin_ops"]:
        stdout.print(f"non-builtin ops: {', '.join(info['non_builtin_ops'])}")
    stdout.print(f"loads here: {info['runtime'] if info['loads_here'] else 'no: ' + info['load_error']}")
    from projnet.metadata_lines import metadata_lines

    for line in metadata_lines(info):
        stdout.print(line, soft_wrap=line.startswith("  "))
    table = Table()
    for column in ("io", "name", "shape", "dtype", "scale", "zero point"):
        table.add_column(column)
    for kind in ("inputs", "outputs"):
        for t in info[kind]:
            q = t["quantization"] or {}
            table.add_row(kind[:-1], t["name"], str(t["shape"]), t["dtype"], f"{q.get('scale', '-')}",
                          f"{q.get('zero_point', '-')}")
    stdout.print(table)
    _write_json(json_out, info, overwrite)


@app.command("predict")
def predict_command(
    model: Annotated[Path, typer.Argument(help="A text student .tflite (its MODEL.featurizer.json beside it).")],
    texts: Annotated[Optional[list[str]], typer.Argument(help="Texts to classify; none: one per line of stdin.")] = None,
    top_k: Annotated[int, typer.Option("--top-k", min=1, help="How many labels to show.")] = 3,
    as_json: Annotated[bool, typer.Option("--json", help="One JSON object per text on stdout.")] = False,
    spec: Annotated[Optional[Path], typer.Option(help="The featurizer spec [default: MODEL.featurizer.json].")] = None,
    skip_empty: Annotated[bool, typer.Option("--skip-empty", help="Skip texts with no letters or digits (blank "
                                             "lines included), counted on stderr, instead of stopping at the first.")] = False,
) -> None:
    """Top-k labels with probabilities for each text, featurized as the shipped spec says (no TensorFlow)."""
    import json
    import signal

    import numpy as np

    from projnet.device_bench.text_predict import EmptyText, TextClassifier
    from projnet.fd_redirect import captured_native_output

    with captured_native_output():  # LiteRT announces its XNNPACK delegate on fd 2 at the first invoke
        classifier = TextClassifier.load(model, spec)
        classifier.logits(np.zeros(classifier.spec.max_ids, np.int32))
    if classifier.missing_metadata:  # it works from the spec beside it; a deployment tool would want these
        stderr.print(f"note: {model} lacks {'; '.join(classifier.missing_metadata)}; labels and featurizer come from "
                     f"{classifier.spec_source}")
    signal.siginterrupt(signal.SIGINT, True)  # a native library installed it with SA_RESTART: Ctrl-C would wait for input
    inputs = texts if texts else (line.rstrip(b"\r\n") for line in sys.stdin.buffer)
    skipped = []
    for number, text in enumerate(inputs, start=1):
        try:
            result = classifier.predict(text, top_k)
        except EmptyText as exc:
            if not skip_empty:
                raise ProjnetError(f"{'text' if texts else 'line'} {number}: {exc}; pass --skip-empty to skip such "
                                   f"texts") from None
            skipped.append(number)
            continue
        except ProjnetError as exc:
            raise ProjnetError(f"{'text' if texts else 'line'} {number}: {exc}") from None
        if as_json:
            typer.echo(json.dumps(result, ensure_ascii=False))
            continue
        shown = "  ".join(f"{t['label']} {t['probability']:.3f}" for t in result["top"])
        typer.echo(f"{shown}{'  (truncated)' if result['truncated'] else ''}")
    if skipped:
        shown = ", ".join(map(str, skipped[:10])) + (", ..." if len(skipped) > 10 else "")
        stderr.print(f"skipped {len(skipped)} empty {'text' if texts else 'line'}(s): {shown}")


@app.command("datasets")
def datasets_command(data_dir: DataDir = None) -> None:
    """Data sets projnet knows, whether each is available here, and where it was found."""
    from projnet.config import DataConfig
    from projnet.data import describe_datasets

    table = Table()
    for column in ("name", "available", "where", "description"):
        table.add_column(column)
    for row in describe_datasets(DataConfig(data_dir=str(data_dir or ""))):
        table.add_row(row["name"], {True: "yes", False: "no"}.get(row["available"], row["available"]), row["where"],
                      row["description"])
    stdout.print(table)


app.command("baseline")(baseline_command)
app.command("pipeline-bench")(pipeline_bench_command)
app.command("config")(config_command)


def _print_version(value: bool) -> None:
    if value:
        typer.echo(f"projnet {__version__}")
        raise typer.Exit()


@app.callback()
def _root(version: Annotated[bool, typer.Option("--version", callback=_print_version, is_eager=True,
                                                help="Print projnet's version and exit.")] = False) -> None:
    """Train a trainer and a projection-network student jointly; ship the student as .tflite."""


def main() -> None:
    app()


if __name__ == "__main__":
    main()
