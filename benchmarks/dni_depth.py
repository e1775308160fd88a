"""DNI's synthetic-gradient model: linear (cDNI) against one ReLU layer of 1024, against bp, K = 2.

    .venv/bin/python benchmarks/dni_depth.py --seeds 0,1,2 --json benchmarks/results/dni_depth.json

Fashion-MNIST: the pipeline-bench trainer (1024 x 6 MLP, batch 256, Adam 3e-4, 5 epochs = 300,000
samples, smooth stream); digits: 256 x 3, batch 32, Adam 1e-3, 30 epochs. Stages fed synthetic
gradients learn at 1e-4 (pipeline.dni_stage_learning_rate). Prints and writes the trainer's test
accuracy per run and the median gap to bp.
"""

from __future__ import annotations

import argparse
import json
import statistics
from pathlib import Path

SETTINGS = {  # dataset -> (trainer hidden, batch, learning rate, epochs)
    "fashion_mnist": ([1024] * 6, 256, 3e-4, 5),
    "digits": ([256] * 3, 32, 1e-3, 30),
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--datasets", default="digits,fashion_mnist")
    parser.add_argument("--seeds", default="0,1,2")
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    import tensorflow as tf

    cpu = tf.config.list_physical_devices("CPU")[0]  # one logical device per stage, before any op
    tf.config.set_logical_device_configuration(cpu, [tf.config.LogicalDeviceConfiguration()] * 2)
    from projnet.config import (DataConfig, ObjectiveConfig, PipelineConfig, ProjectionConfig, RunConfig,
                                StudentConfig, TrainConfig, TrainerConfig)
    from projnet.data import load_dataset
    from projnet.projection.student import build_student
    from projnet.trainer.joint_training import accuracy
    from projnet.trainer.pipeline_training import train_pipelined

    runs, summary = [], []
    for dataset in args.datasets.split(","):
        data = load_dataset(DataConfig(dataset=dataset))
        hidden, batch, rate, epochs = SETTINGS[dataset]
        found: dict[str, list[float]] = {}
        for seed in (int(s) for s in args.seeds.split(",")):
            for label, engine, synthetic in (("bp", "bp", []), ("dni linear", "dni", []), ("dni [1024]", "dni", [1024])):
                config = RunConfig(trainer=TrainerConfig(hidden=hidden, dropout=0.0),
                                   train=TrainConfig(batch_size=batch, lr_schedule="cosine", epochs=epochs,
                                                     learning_rate=rate, seed=seed),
                                   pipeline=PipelineConfig(engine=engine, stages=2, stream="smooth",
                                                           synthetic_hidden=synthetic, dni_stage_learning_rate=1e-4),
                                   objective=ObjectiveConfig(mixup_distill_weight=0.0))
                student = build_student(data.num_features, data.num_classes, ProjectionConfig(),
                                        StudentConfig(hidden=[32]), data.x_train.mean(axis=0))
                run = train_pipelined(config, data, student, ["/CPU:0", "/CPU:1"], show_progress=False)
                acc = accuracy(run.staged.model, data.x_test, data.y_test)
                found.setdefault(label, []).append(acc)
                runs.append({"dataset": dataset, "variant": label, "seed": seed, "trainer_test_accuracy": acc})
                print(f"{dataset} seed {seed} {label:11s} {acc:.4f}", flush=True)
        for label, values in found.items():
            gaps = [100 * (b - v) for b, v in zip(found["bp"], values)]
            summary.append({"dataset": dataset, "variant": label, "median_accuracy": statistics.median(values),
                            "median_gap_points": statistics.median(gaps), "gaps_points": gaps})
            print(f"{dataset} {label:11s} median {statistics.median(values):.4f}  gap to bp "
                  f"{statistics.median(gaps):+.2f} points (per seed {', '.join(f'{g:+.2f}' for g in gaps)})")
    if args.json:
        args.json.write_text(json.dumps({"stages": 2, "summary": summary, "runs": runs}, indent=1) + "\n")


if __name__ == "__main__":
    main()
