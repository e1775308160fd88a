"""The text trainer trained alone, on labels only, as the joint loop trains it (it takes no gradient from
the student: objective.distill_into_trainer is off), to compare trainer settings without a student.

    .venv/bin/python -m benchmarks.experiments.text_trainer_alone --seeds 0,1,2 \
        --variants base=,id_dropout_0.1=trainer.id_dropout=0.1 \
        --json benchmarks/results/text_trainer_alone.json

Each variant is NAME=KEY=VALUE;KEY=VALUE (empty: the text defaults). The batches, the initialisation
and the optimizer are the joint loop's, so a variant's final accuracy with no setting changed equals
the trainer accuracy of `projnet train-and-export --dataset D --seed S` (checked on BANKING77 seeds 0, 1
and 2). Each (variant, seed) trains in a fresh process, as a CLI run does: in one process a second seed's
run drew other numbers than the CLI's. Test accuracy every 5 epochs shows where the trainer peaks.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import time
from pathlib import Path


def train_alone(dataset: str, seed: int, settings: list[str]) -> dict:
    import keras
    import numpy as np
    import tensorflow as tf

    from projnet.config_settings import resolve_config
    from projnet.data.registry import dataset_defaults, load_dataset
    from projnet.trainer.embedding_bag import build_embedding_bag
    from projnet.trainer.joint_training import accuracy, make_optimizer

    config = resolve_config(set_options=[f"data.dataset={dataset}", f"train.seed={seed}"] + settings,
                            dataset_defaults=dataset_defaults)
    splits = load_dataset(config.data)
    keras.utils.set_random_seed(seed)
    trainer = build_embedding_bag(splits.x_train.shape[1], len(splits.class_names), config.trainer, splits.x_train)
    train = config.train
    steps = -(-len(splits.y_train) // train.batch_size)
    optimizer = make_optimizer(train, steps, train.learning_rate)
    cross_entropy = keras.losses.SparseCategoricalCrossentropy(from_logits=True)

    @tf.function
    def step(x, y):
        with tf.GradientTape() as tape:
            loss = cross_entropy(y, trainer(x, training=True))
        optimizer.apply_gradients(zip(tape.gradient(loss, trainer.trainable_variables), trainer.trainable_variables))
        return loss

    rng, curve, started = np.random.default_rng(seed), [], time.perf_counter()
    for epoch in range(train.epochs):
        order = rng.permutation(len(splits.y_train))
        for s in range(steps):
            rows = order[s * train.batch_size:(s + 1) * train.batch_size]
            step(tf.constant(splits.x_train[rows]), tf.constant(splits.y_train[rows]))
        if (epoch + 1) % 5 == 0 or epoch + 1 == train.epochs:
            curve.append({"epoch": epoch + 1, "test_accuracy": accuracy(trainer, splits.x_test, splits.y_test)})
            print(f"  seed {seed} epoch {epoch + 1}: test {curve[-1]['test_accuracy']:.4f} "
                  f"({time.perf_counter() - started:.0f} s)", file=sys.stderr, flush=True)
    return {"seed": seed, "test_accuracy": curve[-1]["test_accuracy"], "curve": curve}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dataset", default="banking77")
    parser.add_argument("--seeds", default="0,1,2")
    parser.add_argument("--variants", default="base=", help="NAME=KEY=VALUE;KEY=VALUE,...")
    parser.add_argument("--json", type=Path)
    parser.add_argument("--one", help=argparse.SUPPRESS)  # the child process: SEED;KEY=VALUE;...
    args = parser.parse_args()
    if args.one:
        from projnet.native_output import import_tensorflow_quietly

        import_tensorflow_quietly()
        seed, *settings = args.one.split(";")
        print(json.dumps(train_alone(args.dataset, int(seed), settings)))
        return 0
    results = []
    for variant in args.variants.split(","):
        name, _, settings = variant.partition("=")
        settings = [s for s in settings.split(";") if s]
        print(f"{name}: {' '.join(settings) or 'the text defaults'}", flush=True)
        runs = []
        for seed in args.seeds.split(","):
            child = [sys.executable, "-m", "benchmarks.experiments.text_trainer_alone", "--dataset", args.dataset,
                     "--one", ";".join([seed] + settings)]
            done = subprocess.run(child, check=True, stdout=subprocess.PIPE, text=True)
            runs.append(json.loads(done.stdout.strip().splitlines()[-1]))
        accuracies = [r["test_accuracy"] for r in runs]
        results.append({"name": name, "settings": settings, "test_accuracy": statistics.median(accuracies),
                        "test_accuracy_runs": accuracies, "runs": runs})
        print(f"{name}: median {results[-1]['test_accuracy']:.4f} ({' / '.join(f'{a:.4f}' for a in accuracies)})")
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps({"dataset": args.dataset, "variants": results}, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
