"""Time one pipeline tick of an engine, without the loop around it: what docs/pipeline.md's tick table holds.

    python benchmarks/pipeline_tick.py ENGINE HIDDEN BATCH K [--free-devices] [--cluster host:port,...]
    python benchmarks/pipeline_tick.py sideways 1024x1024x1024x1024x1024x1024 256 2

Fashion-MNIST smooth-stream frames are rendered first; 20 warm-up ticks, then 40 timed ones. Run each
engine in its own process (the logical devices are set up before TensorFlow starts) on a quiet machine,
and compare the ratio of two runs, not the absolute figures. Prints one JSON line.
"""

from __future__ import annotations

import argparse
import json
import time


def tick_setup(engine_name: str, hidden: str, batch: int, stages: int, serial_devices: bool, cluster: str,
               total: int, student_placement: str = "multiply_adds") -> tuple:
    """(engine, the stream's first `total` batches, the schedule's updates, ms to render a batch), built the way
    `projnet pipeline-bench` builds its runs; call before TensorFlow has started (it sets up logical devices)."""
    from projnet.native_output import import_tensorflow_quietly

    import_tensorflow_quietly()
    from projnet.trainer.devices import resolve_devices

    devices = resolve_devices(stages, [], [c for c in cluster.split(",") if c], False)
    from projnet.data import load_dataset
    from projnet.data.streams import training_stream
    from projnet.projection.student import build_student
    from projnet.trainer.pipeline_bench import BenchSpec, _run_config
    from projnet.trainer.pipeline_training import assemble_engine
    from projnet.trainer.schedule import TickUpdates

    spec = BenchSpec(engine=engine_name, stages=stages, batch_size=batch,
                     trainer_hidden=[int(h) for h in hidden.split("x")], serial_devices=serial_devices)
    config = _run_config(spec)
    config.pipeline.student_placement = student_placement
    splits = load_dataset(config.data)
    student = build_student(splits.num_features, splits.num_classes, config.projection, config.student,
                            splits.x_train.mean(axis=0), splits.image_shape)
    engine, _ = assemble_engine(config, splits.num_features, splits.num_classes, splits.image_shape, student,
                                devices, total)
    stream = training_stream("smooth", splits.x_train, splits.y_train, splits.image_shape, batch, 0, 1)
    started = time.perf_counter()
    batches = [next(stream) for _ in range(total)]
    render_ms = (time.perf_counter() - started) / total * 1e3
    return engine, batches, TickUpdates(engine_name, stages, total, 1), render_ms


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("engine", choices=["bp", "sideways", "dni"])
    parser.add_argument("hidden", help="trainer widths joined by x, e.g. 1024x1024")
    parser.add_argument("batch", type=int)
    parser.add_argument("stages", type=int)
    parser.add_argument("--free-devices", action="store_true", help="TensorFlow's default: no one-op-at-a-time chains")
    parser.add_argument("--cluster", default="", help="projnet worker addresses, one per stage")
    parser.add_argument("--ticks", type=int, default=40)
    args = parser.parse_args()

    engine, batches, updates, render_ms = tick_setup(args.engine, args.hidden, args.batch, args.stages,
                                                     not args.free_devices, args.cluster, 20 + args.ticks)
    buffers, samples = engine.initial_buffers(), []
    for t, (x, y, ident, clip) in enumerate(batches):
        started = time.perf_counter()
        buffers, figures = engine.step(x, y, ident, buffers, updates[t], t >= engine.delay, clip)
        float(figures["trainer_ce"])
        if t >= 20:
            samples.append(time.perf_counter() - started)
    samples.sort()
    tick_ms = samples[len(samples) // 2] * 1e3
    print(json.dumps({"engine": args.engine, "hidden": args.hidden, "batch": args.batch, "stages": args.stages,
                      "serial_devices": not args.free_devices, "tick_ms_median": round(tick_ms, 2),
                      "samples_per_s": round(args.batch / tick_ms * 1e3), "stream_render_ms": round(render_ms, 2)}))


if __name__ == "__main__":
    main()
