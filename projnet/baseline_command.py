"""`projnet baseline`: train the plain alternative a user would ship instead, on the same ids and splits."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer

from projnet.cli_options import DataDir, Overwrite, SetOptions
from projnet.atomic_io import refuse_to_replace


def baseline_command(
    dataset: Annotated[str, typer.Option(help="Data set (banking77, csv:PATH, fashion_mnist, digits, ...).")] = "banking77",
    family: Annotated[str, typer.Option(help="Text: hashed_linear (TF-IDF buckets + linear) or embedding_bag; "
                                             "images: mlp or cnn.")] = "hashed_linear",
    size: Annotated[int, typer.Option(help="Text: buckets (a power of two keeps FLOOR_MOD cheap); mlp: hidden "
                                           "units; cnn: first-layer filters (the second has twice as many).")] = 512,
    out: Annotated[Optional[Path], typer.Option(help="Folder for baseline_int8.tflite, its featurizer spec and "
                                                     "metrics.json [default: runs/<dataset>-baseline-<family>-<size>].")] = None,
    seed: Annotated[int, typer.Option(help="Initialisation and data order.")] = 0,
    set_: SetOptions = None,
    data_dir: DataDir = None,
    overwrite: Overwrite = False,
) -> None:
    """Train a plain baseline on labels; export it as int8 .tflite (text: with the student's featurizer)."""
    from projnet.baselines.baseline_run import BaselineSpec

    from projnet.baselines.baseline_run import check_family_fits
    from projnet.data import dataset_input_kind

    spec = BaselineSpec(family, size)  # refuses a bad family or size before any work
    # and a family that cannot read the data set (an unknown data set is refused here too)
    check_family_fits(family, dataset_input_kind(dataset), dataset)
    out = out or Path("runs") / f"{dataset.replace(':', '_').replace('/', '_')}-baseline-{spec.name}"
    refuse_to_replace(out, overwrite, "--out")

    from projnet.native_output import import_tensorflow_quietly

    import_tensorflow_quietly()
    from projnet.baselines.baseline_run import train_baseline, write_baseline
    from projnet.config_settings import resolve_config
    from projnet.data import dataset_defaults, load_dataset

    overrides = {"data.dataset": dataset, **({"data.data_dir": str(data_dir)} if data_dir is not None else {})}
    config = resolve_config(set_options=list(set_ or []), dataset_defaults=dataset_defaults, overrides=overrides)
    splits = load_dataset(config.data)
    tflite, figures = train_baseline(spec, splits, seed)
    figures["command"] = (f"projnet baseline --dataset {dataset} --family {family} --size {size} --seed {seed}"
                          + "".join(f" --set {s}" for s in set_ or []))
    model = write_baseline(out, tflite, figures, splits)
    typer.echo(f"{model}: int8 test accuracy {figures['accuracy']:.4f}, {figures['size_bytes'] / 1024:.1f} KB "
               f"(float {figures['float_accuracy']:.4f}, int8/float agreement {figures['agreement']:.4f})")
