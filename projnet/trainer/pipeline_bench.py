"""Benchmark the engines: the same trainer, devices and samples with bp, sideways and dni; plus the schedule's plan.

Each engine trains in a fresh child process (`python -m projnet.trainer.pipeline_bench SPEC.json`),
so that its logical devices and thread pools are set up before TensorFlow starts and its peak RSS
is its own. A child reports steady-state samples/s (the first epoch, which traces every update
pattern, is left out), final test accuracy of trainer and student, peak RSS, test accuracy against
samples seen, and each device's busy fraction, estimated as (the stage's forward + backward time
when it runs alone on its device) / (the engine's time per tick). `--repeats N` runs the engines
N times, interleaved, and reports each engine's median run beside every run's figures.

    projnet pipeline-bench --stages 2 --engines bp,sideways,dni --json bench.json --plot bench.png
"""

from __future__ import annotations

import dataclasses
import json
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

from projnet.errors import ProjnetError, UsageError
from projnet.trainer.schedule import simulated_utilisation
from projnet.trainer.staleness import warms_up


@dataclass
class BenchSpec:
    """One engine's benchmark run; the parent writes it as JSON for the child."""

    engine: str
    stages: int
    dataset: str = "fashion_mnist"  # 10,000 test images: accuracy differences of half a point are real
    stream: str = "smooth"
    epochs: int = 5  # sideways starts slower (its first updates are from a filling pipeline): 3 epochs left it 2.2 points behind, 5 left it 1.9
    batch_size: int = 256  # compute per tick grows with the batch, the (memory-bound) updates do not
    # ~6 M multiply-adds per sample, cut 2.9 M / 3.2 M at K = 2: compute dominates and the stages balance
    trainer_hidden: list[int] = field(default_factory=lambda: [1024] * 6)
    learning_rate: float = 3e-4  # Sideways' delayed gradients want a smaller step than Adam's usual 1e-3 (docs/pipeline.md)
    synthetic_learning_rate: float = 0.0  # dni's synthetic-gradient models (0 = learning_rate)
    dni_stage_learning_rate: float = 1e-4  # dni's stages fed synthetic gradients
    synthetic_hidden: list[int] = field(default_factory=lambda: [1024])  # dni's synthetic models' ReLU layers
    clip_length: int = 16
    update_every: int = 1
    # sideways' stale-gradient correction (trainer/staleness.py): "sideways" in --engines is the uncorrected
    # engine, "sideways+age_lr" (what a run's "auto" default picks) the corrected one
    staleness: str = "none"
    warmup_epochs: int = 1  # bp_warmup's backprop epochs
    age_fade_epochs: int = 0  # age_lr's fade (0: never)
    age_exponent: float = 2.0  # age_lr: stage k's rate / age_k^this (the run default, config.py)
    cut_slack: float = 0.05  # sideways: the stage cut's slack towards fresher stages (the run default, config.py)
    seed: int = 0
    serial_devices: bool = True  # each device runs one op at a time (trainer/device_streams.py)
    curve_points: int = 6  # test accuracy this many times along the run (each evaluation slows the next ticks a little)
    data_dir: str = ""

    @property
    def name(self) -> str:
        """The engine as --engines names it and the report keys it: "sideways", "sideways+bp_warmup"."""
        return self.engine if self.staleness == "none" else f"{self.engine}+{self.staleness}"


def _run_config(spec: BenchSpec):
    from projnet.config_settings import resolve_config
    from projnet.data import dataset_defaults

    overrides = {"data.dataset": spec.dataset, "pipeline.engine": spec.engine, "pipeline.stages": spec.stages,
                 "pipeline.stream": spec.stream, "train.epochs": spec.epochs, "train.batch_size": spec.batch_size,
                 "train.learning_rate": spec.learning_rate, "train.seed": spec.seed, "trainer.architecture": "mlp",
                 "pipeline.synthetic_learning_rate": spec.synthetic_learning_rate,
                 "pipeline.dni_stage_learning_rate": spec.dni_stage_learning_rate,
                 "pipeline.synthetic_hidden": list(spec.synthetic_hidden),
                 "pipeline.clip_length": spec.clip_length, "pipeline.update_every": spec.update_every,
                 "pipeline.staleness": spec.staleness, "pipeline.warmup_epochs": spec.warmup_epochs,
                 "pipeline.age_fade_epochs": spec.age_fade_epochs, "pipeline.age_exponent": spec.age_exponent,
                 "pipeline.cut_slack": spec.cut_slack,
                 "pipeline.serial_devices": spec.serial_devices, "trainer.hidden": list(spec.trainer_hidden),
                 "trainer.dropout": 0.0, "objective.mixup_distill_weight": 0.0}  # every engine runs the pipelined loop
    if spec.data_dir:
        overrides["data.data_dir"] = spec.data_dir
    if dataset_defaults(spec.dataset).get("student.conv_filters"):
        # A convolutional student cannot run on serial devices yet (run.check_before_training): keep the
        # dense student the pipeline figures in the README were measured with (the earlier fashion_mnist default).
        overrides.update({"projection.backend": "dense", "projection.num_functions": 64,
                          "projection.bits_per_function": 8, "student.hidden": [128], "student.conv_filters": []})
    return resolve_config(None, [], dataset_defaults, overrides)


def check_spec(spec: BenchSpec) -> None:
    """Refuse, in this process and before any engine starts, a data set pipeline-bench cannot train on."""
    from projnet.data import dataset_input_kind

    _run_config(spec)  # an unknown data set or a bad value: a UsageError here, not in a child process
    if dataset_input_kind(spec.dataset) != "dense":
        raise UsageError(f"pipeline-bench trains float-feature trainers; {spec.dataset} has text ids: use digits "
                         f"or fashion_mnist")


def stage_seconds(staged, batch_size: int, repeats: int = 20) -> list[float]:
    """Median time of one stage's forward + backward on its own device, one stage at a time."""
    import numpy as np
    import tensorflow as tf

    times = []
    for stage, device in zip(staged.stages, staged.devices):
        with tf.device(device):
            a = tf.random.uniform((batch_size,) + tuple(stage.input_shape[1:]))

        @tf.function
        def forward_backward(a, stage=stage, device=device):
            with tf.device(device), tf.GradientTape() as tape:
                tape.watch(a)
                out = stage(a, training=True)
            return tape.gradient(out, stage.trainable_variables + [a], output_gradients=tf.ones_like(out))

        forward_backward(a)
        samples = []
        for _ in range(repeats):
            started = time.perf_counter()
            forward_backward(a)[-1].numpy()
            samples.append(time.perf_counter() - started)
        times.append(float(np.median(samples)))
    return times


def run_engine(spec: BenchSpec) -> dict:
    """Train one engine as `spec` says, in this (fresh) process; returns its figures."""
    from projnet.native_output import import_tensorflow_quietly

    import_tensorflow_quietly()
    from projnet.data import load_dataset
    from projnet.device_bench.runner import peak_rss_mb
    from projnet.projection.student import build_student
    from projnet.trainer.devices import resolve_devices
    from projnet.trainer.joint_training import accuracy
    from projnet.trainer.pipeline_training import train_pipelined

    config = _run_config(spec)
    devices = resolve_devices(spec.stages, [], [], False)  # K logical CPUs, one thread each: before TF starts
    splits = load_dataset(config.data)
    student = build_student(splits.num_features, splits.num_classes, config.projection, config.student,
                            splits.x_train.mean(axis=0), splits.image_shape)
    ticks = spec.epochs * (len(splits.x_train) // spec.batch_size)
    started = time.perf_counter()
    run = train_pipelined(config, splits, student, devices, show_progress=True,  # epoch lines for the parent
                          curve_every=max(1, ticks // spec.curve_points) if spec.curve_points else 0)
    wall = time.perf_counter() - started
    per_stage = stage_seconds(run.staged, spec.batch_size)
    tick_s = spec.batch_size / run.samples_per_s
    return {"engine": spec.name, "stages": spec.stages, "devices": devices, "samples": ticks * spec.batch_size,
            "samples_per_s": run.samples_per_s, "wall_s": wall,
            "test_accuracy": accuracy(run.staged.model, splits.x_test, splits.y_test),
            "student_test_accuracy": accuracy(student, splits.x_test, splits.y_test),
            "peak_rss_mb": peak_rss_mb(), "stage_seconds_alone": per_stage,
            "busy_fraction": [min(1.0, s / tick_s) for s in per_stage],
            "stage_multiply_adds": run.staged.stage_costs, "curve": run.curve}


def simulated_table(max_stages: int = 16, micro_batches: tuple[int, ...] = (4, 16)) -> list[dict]:
    """Utilisation by the schedule alone (trainer/schedule.py's cost model) for K = 2..max_stages."""
    rows = []
    for stages in range(2, max_stages + 1):
        row = {"stages": stages, "bp": simulated_utilisation("bp", stages),
               "sideways": simulated_utilisation("sideways", stages), "dni": simulated_utilisation("dni", stages)}
        for m in micro_batches:
            row[f"gpipe_m{m}"] = simulated_utilisation("gpipe", stages, micro_batches=m)
        rows.append(row)
    return rows


def run_child(spec: BenchSpec, timeout_s: float, on_line=None) -> dict:
    """One engine's run in a fresh child process; its result dict. `on_line` gets each of the child's
    progress lines (one per epoch, "sideways x2 epoch 3/5 val acc ...") as it prints them."""
    with tempfile.TemporaryDirectory() as tmp:
        spec_path, result_path = Path(tmp) / "spec.json", Path(tmp) / "result.json"
        spec_path.write_text(json.dumps(dataclasses.asdict(spec)))
        child = subprocess.Popen([sys.executable, "-m", "projnet.trainer.pipeline_bench", str(spec_path),
                                  str(result_path)], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        lines: list[str] = []

        def forward() -> None:  # a thread, so that the timeout below still holds while the child is quiet
            for line in child.stderr:
                lines.append(line.rstrip("\n"))
                if on_line is not None and line.startswith(f"{spec.engine} x{spec.stages} "):
                    on_line(line.rstrip("\n"))

        reader = threading.Thread(target=forward, daemon=True)
        reader.start()
        try:
            child.wait(timeout=timeout_s)
        except subprocess.TimeoutExpired:
            child.kill()
            child.wait()
            raise ProjnetError(f"pipeline-bench: the {spec.name} run did not finish in {timeout_s:g} s; its "
                               f"process was stopped") from None
        finally:
            reader.join(timeout=5)
        if child.returncode != 0 or not result_path.exists():
            last = ([line for line in lines if line.strip()] or ["no output"])[-1]
            raise ProjnetError(f"pipeline-bench: the {spec.name} run failed: {last}")
        return json.loads(result_path.read_text())


def summarise_repeats(runs: dict[str, list[dict]]) -> tuple[dict, dict]:
    """Each engine's median run (by samples/s) with every run's figures beside it, and speed-ups over bp.

    A shared host moves one run's samples/s by ~5%, so a single ratio is a coin toss near a bar. The
    engines run interleaved (bp, sideways, dni, bp, ...), so run i of two engines saw the same host;
    `speedup_vs_bp` holds the ratio of medians and each pair's own ratio.
    """
    engines = {}
    for name, results in runs.items():
        ordered = sorted(results, key=lambda r: r["samples_per_s"])
        median = dict(ordered[(len(ordered) - 1) // 2])  # the lower median: a real run, never an average
        median["samples_per_s_runs"] = [r["samples_per_s"] for r in results]
        median["test_accuracy_runs"] = [r["test_accuracy"] for r in results]
        median["student_test_accuracy_runs"] = [r["student_test_accuracy"] for r in results]
        engines[name] = median
    speedups = {}
    if "bp" in runs:
        for name, results in runs.items():
            if name != "bp":
                speedups[name] = {
                    "median_ratio": engines[name]["samples_per_s"] / engines["bp"]["samples_per_s"],
                    "pair_ratios": [r["samples_per_s"] / b["samples_per_s"] for r, b in zip(results, runs["bp"])]}
    return engines, speedups


def pipeline_bench(specs: list[BenchSpec], repeats: int = 1, timeout_s: float = 3600, on_result=None,
                   on_line=None) -> dict:
    """Run every spec `repeats` times, each in its own child process, interleaved; the report --json writes.
    `on_line(run, line)` gets each engine's epoch lines as they come ("run 2/6: sideways x2 epoch 1/5 ...")."""
    runs: dict[str, list[dict]] = {spec.name: [] for spec in specs}
    total = repeats * len(specs)
    for repeat in range(repeats):
        for i, spec in enumerate(specs):
            run = f"run {repeat * len(specs) + i + 1}/{total}"
            runs[spec.name].append(run_child(spec, timeout_s, None if on_line is None else
                                             (lambda line, run=run: on_line(run, line))))
            if on_result is not None:
                on_result(runs[spec.name][-1])
    engines, speedups = summarise_repeats(runs)
    first = specs[0]
    for spec in specs:
        if warms_up(spec.staleness) and "bp" in engines:
            # its samples/s is its pipeline's (the warm-up's backprop epochs are off its clock): the whole run's
            # rate counts those epochs at the bp run's measured rate
            pipe, bp = engines[spec.name]["samples_per_s"], engines["bp"]["samples_per_s"]
            whole = spec.epochs / (spec.warmup_epochs / bp + (spec.epochs - spec.warmup_epochs) / pipe)
            engines[spec.name]["whole_run_samples_per_s"] = whole
            speedups[spec.name]["whole_run_ratio"] = whole / bp
    return {"stages": first.stages, "dataset": first.dataset, "stream": first.stream, "epochs": first.epochs,
            "batch_size": first.batch_size, "trainer_hidden": first.trainer_hidden,
            "learning_rate": first.learning_rate, "serial_devices": first.serial_devices, "repeats": repeats,
            "warmup_epochs": first.warmup_epochs, "age_fade_epochs": first.age_fade_epochs,
            "age_exponent": first.age_exponent, "cut_slack": first.cut_slack,
            "engines": engines, "speedup_vs_bp": speedups, "simulated": simulated_table()}


def plot_bench(report: dict, path: Path) -> None:
    """Test accuracy against samples seen, one line per engine (trainer solid, student dashed)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from projnet.atomic_io import atomic_write_with

    fig, (curves, plan) = plt.subplots(1, 2, figsize=(11, 4))
    for name, result in report["engines"].items():
        samples = [p["samples"] for p in result["curve"]]
        line, = curves.plot(samples, [p["trainer_test_accuracy"] for p in result["curve"]],
                            label=f"{name} trainer ({result['samples_per_s']:.0f} samples/s)")
        curves.plot(samples, [p["student_test_accuracy"] for p in result["curve"]], "--", color=line.get_color(),
                    label=f"{name} student")
    curves.set(xlabel="training samples", ylabel="test accuracy",
               title=f"{report['dataset']}, {report['stream']} stream, K={report['stages']}")
    curves.legend(fontsize=8)
    simulated = report["simulated"]
    for key in [k for k in simulated[0] if k != "stages"]:
        plan.plot([r["stages"] for r in simulated], [r[key] for r in simulated], marker=".", label=key)
    plan.set(xlabel="stages K", ylabel="simulated utilisation", title="schedule alone (no transfers)")
    plan.legend(fontsize=8)
    fig.tight_layout()
    atomic_write_with(path, lambda tmp: fig.savefig(tmp, dpi=100))
    plt.close(fig)


def main(argv: list[str]) -> None:
    """The child: read a spec, train, write the result."""
    spec_path, result_path = argv
    result = run_engine(BenchSpec(**json.loads(Path(spec_path).read_text())))
    Path(result_path).write_text(json.dumps(result))


if __name__ == "__main__":
    main(sys.argv[1:])
