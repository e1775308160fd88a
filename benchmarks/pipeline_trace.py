"""Where a pipeline tick's time goes, per device: a profiler trace of bp and sideways ticks (issue 20, item 6).

    .venv/bin/python -m benchmarks.pipeline_trace --engines bp,sideways --hidden 1024x1024x1024x1024x1024x1024 \
        --batch 256 --stages 2 --json benchmarks/results/pipeline_trace_k2.json \
        --plot benchmarks/results/pipeline_trace_k2.png

Each engine runs in its own process (the logical devices are set up before TensorFlow starts), built
as `projnet pipeline-bench` builds its runs, on Fashion-MNIST smooth-stream frames: 20 warm-up ticks,
`--ticks` timed ticks without the profiler (the tick time that counts), then `--ticks` ticks under
`tf.profiler`. Every op of the traced ticks is put in a (device, category) cell by
projnet/trainer/tick_trace.py: forward, backward, update (the optimizer), student (its forward,
backward and update), grad_norm (the reported gradient norms), transfer, other (losses, masks,
bookkeeping). Prints a table, writes the JSON and a stacked-bar plot. Compare ratios within one run.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

WARMUP = 20


def trace_one(args: argparse.Namespace) -> dict:
    """One engine, in this process: untraced tick times, then a trace's summary."""
    from benchmarks.pipeline_tick import tick_setup

    name, _, placement = args.one.partition(":")
    engine, batches, updates, _ = tick_setup(name, args.hidden, args.batch, args.stages, True, "",
                                             WARMUP + 2 * args.ticks, placement or "multiply_adds")
    import tensorflow as tf

    from projnet.trainer.tick_trace import op_devices, summarise

    buffers, untraced = engine.initial_buffers(), []
    with tempfile.TemporaryDirectory() as logdir:
        for t, (x, y, ident, clip) in enumerate(batches):
            if t == WARMUP + args.ticks:
                tf.profiler.experimental.start(logdir)
            started = time.perf_counter()
            buffers, figures = engine.step(x, y, ident, buffers, updates[t], t >= engine.delay, clip)
            float(figures["trainer_ce"])  # wait for the tick's outputs, as the training loop does
            if WARMUP <= t < WARMUP + args.ticks:
                untraced.append(time.perf_counter() - started)
        tf.profiler.experimental.stop()
        trace = next(Path(logdir).rglob("*.xplane.pb")).read_bytes()
    summary = summarise(trace, op_devices(engine.traced_graph))
    untraced.sort()
    return {"engine": args.one, "stages": args.stages, "hidden": args.hidden, "batch": args.batch,
            "student_placement": placement or "multiply_adds", "student_device": engine.parts.student_device,
            "stage_step_ms": engine.parts.staged.stage_step_ms, "stage_multiply_adds": engine.parts.staged.stage_costs,
            "untraced_tick_ms": round(untraced[len(untraced) // 2] * 1e3, 3), "traced": summary}


def print_table(runs: list[dict]) -> None:
    from projnet.trainer.tick_trace import CATEGORIES

    print(f"{'engine':10} {'device':9} " + " ".join(f"{c:>9}" for c in CATEGORIES) + f" {'busy':>8}  (ms per tick)")
    for run in runs:
        for device, cells in run["traced"]["devices"].items():
            print(f"{run['engine']:10} {device:9} " + " ".join(f"{cells[c]:9.2f}" for c in CATEGORIES)
                  + f" {cells['busy']:8.2f}")
        t = run["traced"]
        print(f"{run['engine']:10} tick {t['tick_ms']:.2f} ms traced, {run['untraced_tick_ms']:.2f} untraced; "
              f"busiest device {t['busiest_device_ms']:.2f}; not overlapped {t['not_overlapped_ms']:.2f}; "
              f"dispatch {t['dispatch_ms']:.2f}; devices busy at once {t['overlap']:.2f}")


def plot(runs: list[dict], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from projnet.trainer.tick_trace import CATEGORIES

    rows = [(f"{r['engine']} {d}", cells) for r in runs for d, cells in r["traced"]["devices"].items()]
    rows += [(f"{r['engine']} tick", {"tick": r["traced"]["tick_ms"]}) for r in runs]
    figure, axes = plt.subplots(figsize=(9, 0.5 * len(rows) + 1.5))
    for i, (label, cells) in enumerate(rows):
        left = 0.0
        for c in (*CATEGORIES, "tick"):
            width = cells.get(c, 0.0)
            if width:
                axes.barh(i, width, left=left, color=f"C{(CATEGORIES + ('tick',)).index(c)}",
                          label=c if c not in axes.get_legend_handles_labels()[1] else None)
                left += width
    axes.set_yticks(range(len(rows)), [label for label, _ in rows])
    axes.invert_yaxis()
    axes.set_xlabel("ms per tick (traced)")
    axes.set_title(f"Where a tick goes: K={runs[0]['stages']}, {runs[0]['hidden']}, batch {runs[0]['batch']}")
    axes.legend(loc="upper left", bbox_to_anchor=(1.01, 1), fontsize=8)
    figure.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(path, dpi=120)
    plt.close(figure)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--engines", default="bp,sideways",
                        help="ENGINE[:PLACEMENT],...: bp, sideways or dni; the student placed by 'multiply_adds' (the "
                             "default) or 'measured' (pipeline.student_placement); repeat them to interleave")
    parser.add_argument("--hidden", default="x".join(["1024"] * 6), help="trainer widths joined by x")
    parser.add_argument("--batch", type=int, default=256)
    parser.add_argument("--stages", type=int, default=2)
    parser.add_argument("--ticks", type=int, default=20)
    parser.add_argument("--json", type=Path, required=False)
    parser.add_argument("--plot", type=Path, required=False)
    parser.add_argument("--one", help=argparse.SUPPRESS)  # the child process: one ENGINE[:PLACEMENT]
    args = parser.parse_args()
    if args.one:
        print(json.dumps(trace_one(args)))
        return 0
    runs = []
    for engine in args.engines.split(","):
        name, _, placement = engine.partition(":")
        if name not in ("bp", "sideways", "dni") or placement not in ("", "measured", "multiply_adds"):
            parser.error(f"--engines: {engine!r} is not ENGINE[:PLACEMENT] (bp, sideways, dni; measured, multiply_adds)")
    for engine in args.engines.split(","):
        child = [sys.executable, "-m", "benchmarks.pipeline_trace", "--one", engine, "--hidden", args.hidden,
                 "--batch", str(args.batch), "--stages", str(args.stages), "--ticks", str(args.ticks)]
        done = subprocess.run(child, check=True, capture_output=True, text=True)
        runs.append(json.loads(done.stdout.strip().splitlines()[-1]))
    print_table(runs)
    ticks = {}  # engine -> its runs' untraced tick times; repeats (--engines bp,sideways,bp,sideways) interleave
    for run in runs:
        ticks.setdefault(run["engine"], []).append(run["untraced_tick_ms"])
    medians = {engine: statistics.median(times) for engine, times in ticks.items()}
    for engine in medians:
        name, _, placement = engine.partition(":")
        bp = "bp:" + placement if placement else "bp"  # against bp with the student placed alike
        if name != "bp" and bp in medians:
            print(f"{engine} / {bp} samples/s (untraced, median of {len(ticks[engine])}): "
                  f"{medians[bp] / medians[engine]:.2f}x")
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps({"runs": runs}, indent=2) + "\n")
    if args.plot:
        plot(runs, args.plot)
    return 0


if __name__ == "__main__":
    sys.exit(main())
