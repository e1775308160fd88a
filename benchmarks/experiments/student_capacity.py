"""Why projnet students sit under the plain-MLP front on Fashion-MNIST: what readouts of random bits reach.

The sweep (benchmarks/experiments/pareto.py) found every int8 student under the front of plain int8 MLPs trained
on labels. This script asks whether another way of using the bits closes the gap, at equal weight
bytes (int8: one byte per weight of a matrix; biases, scales and the file's own overhead left out, so
the comparison favours neither side). Every variant reads the same `structured` projections (random
signs + Walsh-Hadamard, centred on the training mean) and is distilled from the same CNN trainer:

- `bits`:       [z_j > 0] for n projections, the ProjectionNet bit;
- `levels L`:   [z_j > q_l] at L training quantiles of each projection (hyperplanes off the centre);
- `fern d`:     each group of d bits picks one of 2^d buckets; a one-hot of the bucket feeds the readout;
- `+aug`:       also distilled on 4 augmented copies of the training split (flips, shifts, mixup)
                labelled by the trainer itself, KL to the trainer's outputs only ("consistent"
                distillation: the student sees more of the trainer's function than its 54,000
                training images show). A first version that also used the trainer's argmax as a hard
                label on the blends did no better (0.8276 and 0.8426 for the first two +aug rows).

The plain MLPs 784 -> h -> 10 are trained on labels alone, as in the sweep. Float Keras accuracy on
the 10,000 test images (int8 export costs the students < 0.1 point, docs/memory.md).

    .venv/bin/python -m benchmarks.experiments.student_capacity     # ~15 minutes on 2 cores; writes results/student_capacity.json
    .venv/bin/python -m benchmarks.experiments.student_capacity --only bits-1024-h16+aug   # re-run some variants into the JSON
"""

from __future__ import annotations

import argparse
import json
import os
import time
from dataclasses import replace
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

from projnet.native_output import import_tensorflow_quietly  # noqa: E402

RESULTS = Path(__file__).parent.parent / "results"  # benchmarks/results, beside the live benchmarks
# (name, projections, encoding, levels or fern bits, hidden widths, augmented distillation)
VARIANTS = [
    ("bits-1024-linear", 1024, "bits", 1, [], False),
    ("bits-1536-linear", 1536, "bits", 1, [], False),
    ("bits-4096-linear", 4096, "bits", 1, [], False),
    ("levels3-512-linear", 512, "levels", 3, [], False),
    ("fern4-384-linear", 384, "fern", 4, [], False),
    ("fern6-144-linear", 144, "fern", 6, [], False),
    ("fern8-48-linear", 48, "fern", 8, [], False),
    ("bits-1024-h16", 1024, "bits", 1, [16], False),
    ("bits-1024-h16+aug", 1024, "bits", 1, [16], True),
    ("levels3-512-linear+aug", 512, "levels", 3, [], True),
    ("levels2-1024-h32", 1024, "levels", 2, [32], False),
    ("bits-4096-h64", 4096, "bits", 1, [64], False),
    ("bits-4096-h64+aug", 4096, "bits", 1, [64], True),
]
BASELINE_HIDDEN = [8, 16, 32, 64, 128]


def project(x, layer):
    """Centred structured projections z = H S ... (x) - H S ... (mean), in row blocks: (n, projections)."""
    import numpy as np
    from keras import ops

    return np.concatenate([np.asarray(layer.project(ops.convert_to_tensor(x[i:i + 4096]))) + np.asarray(layer.offsets)
                           for i in range(0, len(x), 4096)])


def encode(z, encoding: str, levels: int, thresholds):
    """(n, projections) real projections -> (n, features) float {0, 1} inputs of the readout."""
    import numpy as np

    if encoding == "fern":
        groups = (z > 0).reshape(len(z), -1, levels)  # (n, T, d)
        bucket = (groups * (1 << np.arange(levels))).sum(-1)  # (n, T) in [0, 2^d)
        onehot = np.zeros((len(z), bucket.shape[1], 1 << levels), np.float32)
        np.put_along_axis(onehot, bucket[:, :, None], 1.0, axis=2)
        return onehot.reshape(len(z), -1)
    return (z[:, :, None] > thresholds).reshape(len(z), -1).astype(np.float32)  # (n, projections * levels)


def augmented_copies(x, copies: int, seed: int):
    """Flipped, shifted and (half of them) mixed-up copies of 28 x 28 images, as flat rows."""
    import numpy as np

    rng = np.random.default_rng(seed)
    images, out = x.reshape(-1, 28, 28), []
    for _ in range(copies):
        a = images.copy()
        flip = rng.random(len(a)) < 0.5
        a[flip] = a[flip, :, ::-1]
        a = np.roll(a, tuple(rng.integers(-2, 3, size=2)), axis=(1, 2)).reshape(len(a), -1)
        lam = rng.random((len(a), 1)).astype(np.float32)
        mixed = lam * a + (1 - lam) * a[rng.permutation(len(a))]
        out.append(np.where((rng.random(len(a)) < 0.5)[:, None], mixed, a).astype(np.float32))
    return np.concatenate(out)


def readout(num_inputs: int, hidden: list[int], seed: int):
    import keras

    keras.utils.set_random_seed(seed)
    inputs = keras.Input((num_inputs,))
    x = inputs
    for width in hidden:
        x = keras.layers.Dense(width, activation="relu")(x)
    return keras.Model(inputs, keras.layers.Dense(10)(x))


def weight_bytes(model) -> int:
    """int8 bytes of the model's weight matrices (one byte per weight)."""
    return sum(int(w.shape[0]) * int(w.shape[1]) for w in model.trainable_weights if len(w.shape) == 2)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=RESULTS / "student_capacity.json")
    parser.add_argument("--cache", type=Path, default=Path("runs/pareto-cache"))
    parser.add_argument("--teacher-epochs", type=int, default=6)
    parser.add_argument("--student-epochs", type=int, default=8)
    parser.add_argument("--copies", type=int, default=4, help="augmented copies of the training split for +aug")
    parser.add_argument("--only", default="", help="comma list of variant names: run these, keep the JSON's others")
    args = parser.parse_args(argv)
    only = [name for name in args.only.split(",") if name]
    unknown = sorted(set(only) - {v[0] for v in VARIANTS})
    if unknown:
        parser.error(f"unknown variants: {', '.join(unknown)}")
    import_tensorflow_quietly()
    import numpy as np

    from benchmarks.experiments.pareto import cached_teacher_model, train_plain_mlp
    from projnet.atomic_io import atomic_write_json
    from projnet.config_settings import resolve_config
    from projnet.data import dataset_defaults, load_dataset
    from projnet.projection.structured_projection import StructuredProjection
    from projnet.trainer.fixed_teacher import distil_from_logits
    from projnet.trainer.joint_training import predict_logits

    config = resolve_config(set_options=["data.dataset=fashion_mnist"], dataset_defaults=dataset_defaults)
    splits = load_dataset(config.data)
    teacher_config = replace(config, train=replace(config.train, epochs=args.teacher_epochs))
    teacher, teacher_accuracy = cached_teacher_model(splits, teacher_config, args.cache, show=True)
    train = replace(config.train, epochs=args.student_epochs)
    x_aug = augmented_copies(splits.x_train, args.copies, seed=1)
    logits, logits_aug = predict_logits(teacher, splits.x_train), predict_logits(teacher, x_aug)
    results = {"settings": {"teacher_epochs": args.teacher_epochs, "teacher_test_accuracy": teacher_accuracy,
                            "student_epochs": args.student_epochs, "augmented_rows": len(x_aug),
                            "accuracy": "float Keras, 10,000 test images"}, "points": {}}
    if only and args.out.exists():
        results["points"] = json.loads(args.out.read_text())["points"]

    for h in [] if only else BASELINE_HIDDEN:
        mlp = train_plain_mlp(splits, h, train)
        accuracy = float(np.mean(predict_logits(mlp, splits.x_test).argmax(1) == splits.y_test))
        results["points"][f"plain-mlp-h{h}"] = {"accuracy": accuracy, "weight_bytes": weight_bytes(mlp)}
        print(f"plain-mlp-h{h}: {accuracy:.4f} at {weight_bytes(mlp) / 1024:.1f} KB of weights", flush=True)

    for name, projections, encoding, levels, hidden, augmented in VARIANTS:
        if only and name not in only:
            continue
        started = time.perf_counter()
        layer = StructuredProjection(projections // 8, 8, seed=config.projection.seed)
        layer.build((None, splits.num_features))
        layer.center_on(splits.x_train.mean(axis=0))
        z_train = project(splits.x_train, layer)
        thresholds = np.zeros((1, projections, 1), np.float32)
        if encoding == "levels":  # quantiles (l + 0.5) / L of each projection on the training split
            thresholds = np.quantile(z_train, (np.arange(levels) + 0.5) / levels, axis=0).T[None].astype(np.float32)
        x_train, y_train, teacher_logits = encode(z_train, encoding, levels, thresholds), splits.y_train, logits
        objective = config.objective
        if augmented:  # blends have no true label: the student matches the trainer's outputs alone
            x_train = np.concatenate([x_train, encode(project(x_aug, layer), encoding, levels, thresholds)])
            y_train = np.concatenate([y_train, np.zeros(len(x_aug), y_train.dtype)])  # unused: CE weight 0
            teacher_logits = np.concatenate([logits, logits_aug])
            objective = replace(objective, student_weight=0.0)
        x_test = encode(project(splits.x_test, layer), encoding, levels, thresholds)
        x_val = encode(project(splits.x_val, layer), encoding, levels, thresholds)  # the driver validates on it
        bits = replace(splits, x_train=x_train, y_train=y_train, x_val=x_val, x_test=x_test)
        student = readout(x_train.shape[1], hidden, train.seed)
        distil_from_logits(student, bits, teacher_logits, train, objective, show_progress=False)
        accuracy = float(np.mean(predict_logits(student, x_test).argmax(1) == splits.y_test))
        results["points"][name] = {"accuracy": accuracy, "weight_bytes": weight_bytes(student),
                                   "readout_inputs": int(x_train.shape[1]), "seconds": time.perf_counter() - started}
        print(f"{name}: {accuracy:.4f} at {weight_bytes(student) / 1024:.1f} KB of weights", flush=True)
        atomic_write_json(args.out, results)
    atomic_write_json(args.out, results)


if __name__ == "__main__":
    main()
