"""Sideways against backprop as the input gets less smooth: the smooth stream at several motion speeds,
and the walk stream of real neighbouring images, on digits, K = 2, the same seeds for both engines.

    .venv/bin/python benchmarks/smoothness.py --speeds 0,1,2,4,8 --seeds 0,1,2 \\
        --json benchmarks/results/smoothness_digits.json --plot benchmarks/results/smoothness_digits.png

Sideways takes each gradient's Jacobian at an activation 2(K-1) frames later than the gradient's own
frame: the faster the motion, the further apart the two, so the gap to bp should grow with the speed.
Per point: the trainer's test accuracy, median over seeds, for bp and sideways, and the gap.
"""

from __future__ import annotations

import argparse
import json
import statistics
from pathlib import Path


def plot(rows: list[dict], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    smooth = [r for r in rows if r["stream"] == "smooth"]
    fig, ax = plt.subplots(figsize=(6.4, 4))
    ax.plot([r["motion_speed"] for r in smooth], [r["gap_points"] for r in smooth], "o-", label="smooth stream")
    for r in rows:
        if r["stream"] == "walk":
            ax.axhline(r["gap_points"], color="C1", linestyle="--", label="walk stream (real images)")
    ax.axhline(0, color="grey", linewidth=0.8)
    ax.set_xlabel("smooth stream motion speed (x the default per-frame shift, turn, zoom)")
    ax.set_ylabel("bp minus sideways test accuracy (points)")
    ax.set_title("Sideways' gap to bp against smoothness (digits, K = 2)")
    ax.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=120)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--speeds", default="0,1,2,4,8")
    parser.add_argument("--seeds", default="0,1,2")
    parser.add_argument("--epochs", type=int, default=15)
    parser.add_argument("--json", type=Path)
    parser.add_argument("--plot", type=Path)
    parser.add_argument("--from-json", type=Path, help="only draw --plot from an earlier run's JSON")
    args = parser.parse_args()
    if args.from_json:
        plot(json.loads(args.from_json.read_text())["rows"], args.plot)
        return
    import tensorflow as tf

    cpu = tf.config.list_physical_devices("CPU")[0]  # two logical devices, one per stage, before any op
    tf.config.set_logical_device_configuration(cpu, [tf.config.LogicalDeviceConfiguration()] * 2)
    from projnet.config import (DataConfig, ObjectiveConfig, PipelineConfig, ProjectionConfig, RunConfig,
                                StudentConfig, TrainConfig, TrainerConfig)
    from projnet.data import load_dataset
    from projnet.projection.student import build_student
    from projnet.trainer.joint_training import accuracy
    from projnet.trainer.pipeline_training import train_pipelined

    digits = load_dataset(DataConfig())
    streams = [("smooth", float(s)) for s in args.speeds.split(",")] + [("walk", 0.0)]
    rows = []
    for stream, speed in streams:
        found = {}
        for engine in ("bp", "sideways"):
            runs = []
            for seed in (int(s) for s in args.seeds.split(",")):
                config = RunConfig(trainer=TrainerConfig(hidden=[256, 128], dropout=0.0),
                                   train=TrainConfig(batch_size=32, lr_schedule="cosine", epochs=args.epochs, seed=seed),
                                   pipeline=PipelineConfig(engine=engine, stages=2, stream=stream, motion_speed=speed),
                                   objective=ObjectiveConfig(mixup_distill_weight=0.0))
                student = build_student(64, 10, ProjectionConfig(), StudentConfig(hidden=[32]),
                                        digits.x_train.mean(axis=0))
                run = train_pipelined(config, digits, student, ["/CPU:0", "/CPU:1"], show_progress=False)
                runs.append(accuracy(run.staged.model, digits.x_test, digits.y_test))
            found[engine] = runs
        row = {"stream": stream, "motion_speed": speed, "bp": statistics.median(found["bp"]),
               "sideways": statistics.median(found["sideways"]), "bp_runs": found["bp"],
               "sideways_runs": found["sideways"]}
        row["gap_points"] = 100 * (row["bp"] - row["sideways"])
        rows.append(row)
        label = f"{stream} x{speed:g}" if stream == "smooth" else stream
        print(f"{label:12s} bp {row['bp']:.4f}  sideways {row['sideways']:.4f}  gap {row['gap_points']:+.2f} points",
              flush=True)
    if args.json:
        args.json.write_text(json.dumps({"data": "digits", "stages": 2, "epochs": args.epochs, "rows": rows},
                                        indent=1) + "\n")
    if args.plot:
        plot(rows, args.plot)

if __name__ == "__main__":
    main()
