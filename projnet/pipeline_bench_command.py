"""`projnet pipeline-bench`: the same trainer, devices and samples with each engine; the table, JSON and plot."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer
from rich.console import Console
from rich.table import Table

from projnet.atomic_io import atomic_write_json, refuse_to_replace
from projnet.cli_options import DataDir, JsonOut, Overwrite, check_outputs
from projnet.errors import UsageError

stdout = Console()
stderr = Console(stderr=True)


def pipeline_bench_command(
    stages: Annotated[int, typer.Option(min=1, max=64, help="K: trainer stages, one logical CPU (or GPU) each.")] = 2,
    engines: Annotated[str, typer.Option(help="Comma-separated engines to compare; ENGINE+METHOD adds a staleness "
                                         "correction (sideways+age_lr, sideways+bp_warmup).")] = "bp,sideways,dni",
    dataset: Annotated[str, typer.Option(help="Data set name (see `projnet datasets`).")] = "fashion_mnist",
    stream: Annotated[str, typer.Option(help="shuffled or smooth.")] = "smooth",
    epochs: Annotated[int, typer.Option(min=1, help="Passes over the training split (same samples for every engine).")] = 5,
    learning_rate: Annotated[float, typer.Option(help="Adam's rate, for every engine.")] = 3e-4,
    batch_size: Annotated[int, typer.Option(min=1, help="Samples per tick.")] = 256,
    trainer_hidden: Annotated[str, typer.Option(help="MLP trainer widths, comma-separated.")] = "1024,1024,1024,1024,1024,1024",
    serial_devices: Annotated[bool, typer.Option(
        help="Each device runs one op at a time, as an accelerator does; --no-serial-devices lets a busy stage's "
             "independent ops borrow idle devices' cores (TensorFlow's default).")] = True,
    seed: Annotated[int, typer.Option(help="Initialisation and stream seed.")] = 0,
    warmup_epochs: Annotated[int, typer.Option(min=1, help="bp_warmup: epochs of backprop first.")] = 1,
    age_fade_epochs: Annotated[int, typer.Option(min=0, help="age_lr: epochs over which the age scale fades "
                                                 "(0: never).")] = 0,
    age_exponent: Annotated[float, typer.Option(min=0.0, max=8.0, help="age_lr: stage k's rate / age_k^this.")] = 2.0,
    cut_slack: Annotated[float, typer.Option(min=0.0, max=1.0, help="sideways: how much more than the balanced cut's "
                                             "largest stage a stage may cost to move weights to fresher stages.")] = 0.05,
    repeats: Annotated[int, typer.Option(min=1, max=20, help="Run the engines this many times, interleaved; "
                                         "report each engine's median run and every run's figures.")] = 1,
    data_dir: DataDir = None,
    json_out: JsonOut = None,
    plot: Annotated[Optional[Path], typer.Option(help="Draw accuracy against samples and the simulated plan to this PNG.")] = None,
    overwrite: Overwrite = False,
) -> None:
    """Train the same trainer with each engine on the same devices and samples: samples/s, busy, memory, accuracy."""
    from projnet.trainer.pipeline_bench import BenchSpec, check_spec, pipeline_bench, plot_bench
    from projnet.registry import ENGINES, STALENESS_METHODS, STREAMS
    from projnet.trainer.staleness import refusal, warms_up

    names = [e.strip() for e in engines.split(",") if e.strip()]
    pairs = [(n.partition("+")[0], n.partition("+")[2] or "none") for n in names]  # bare: uncorrected
    methods = [m for m in STALENESS_METHODS if m != "auto"]  # a comparison names what it runs
    unknown = [n for n, (e, m) in zip(names, pairs) if e not in ENGINES or m not in methods]
    if unknown or not names:
        raise UsageError(f"--engines takes a comma list of {', '.join(ENGINES)}, each optionally +METHOD "
                         f"({', '.join(methods[1:])}). Received: {engines!r}")
    for engine, method in pairs:
        if refusal(method, engine):
            raise UsageError(refusal(method, engine))
    if any(warms_up(m) for _, m in pairs) and warmup_epochs >= epochs:
        raise UsageError(f"--warmup-epochs {warmup_epochs} of backprop leave none of --epochs {epochs} to the pipeline")
    if stream not in STREAMS:
        raise UsageError(f"--stream must be one of: {', '.join(STREAMS)}. Received: {stream!r}")
    try:
        hidden = [int(w) for w in trainer_hidden.split(",")]
    except ValueError:
        raise UsageError(f"--trainer-hidden takes comma-separated widths. Received: {trainer_hidden!r}") from None
    if stages > len(hidden) + 1:
        raise UsageError(f"--stages {stages} but the trainer has only {len(hidden) + 1} layers with weights")
    check_outputs(overwrite, json=(json_out, ".json"), plot=(plot, ".png"))
    specs = [BenchSpec(engine=e, stages=stages, dataset=dataset, stream=stream, epochs=epochs, batch_size=batch_size,
                       trainer_hidden=hidden, learning_rate=learning_rate, seed=seed, data_dir=str(data_dir or ""),
                       serial_devices=serial_devices, staleness=m, warmup_epochs=warmup_epochs,
                       age_fade_epochs=age_fade_epochs, age_exponent=age_exponent, cut_slack=cut_slack)
             for e, m in pairs]
    check_spec(specs[0])
    table = Table(title=f"pipeline-bench: {dataset}, {stream} stream, K={stages} logical devices")
    for column in ("engine", "samples/s", "vs bp (runs)", "busy per device", "peak RSS", "trainer acc", "student acc"):
        table.add_column(column, justify="left" if column == "engine" else "right")

    def show(result: dict) -> None:
        stderr.print(f"{result['engine']}: {result['samples_per_s']:.0f} samples/s, "
                     f"test accuracy {result['test_accuracy']:.4f}")

    stderr.print(f"training {', '.join(names)} in turn (each in its own process), {repeats} time(s)")
    report = pipeline_bench(specs, repeats=repeats, on_result=show,
                            on_line=lambda run, line: stderr.print(f"{run}: {line}", highlight=False))
    for name, r in report["engines"].items():
        speedup = report["speedup_vs_bp"].get(name)
        versus = (f"{speedup['median_ratio']:.2f}x ({', '.join(f'{x:.2f}' for x in speedup['pair_ratios'])})"
                  if speedup else ("1.00x" if name == "bp" else "-"))
        if speedup and "whole_run_ratio" in speedup:  # bp_warmup: its warm-up epochs at bp's rate
            versus += f"; whole run {speedup['whole_run_ratio']:.2f}x"
        table.add_row(name, f"{r['samples_per_s']:.0f}", versus, " / ".join(f"{b:.2f}" for b in r["busy_fraction"]),
                      f"{r['peak_rss_mb']:.0f} MB", f"{r['test_accuracy']:.4f}", f"{r['student_test_accuracy']:.4f}")
    stdout.print(table)
    plan = Table(title="simulated utilisation from the schedule (no transfer costs)")
    for column in report["simulated"][0]:
        plan.add_column(column, justify="right")
    for row in report["simulated"]:
        plan.add_row(*[str(v) if k == "stages" else f"{v:.3f}" for k, v in row.items()])
    stdout.print(plan)
    if json_out is not None:
        refuse_to_replace(json_out, overwrite)
        atomic_write_json(json_out, report)
    if plot is not None:
        plot_bench(report, plot)
