"""Cut the trainer into K contiguous stages of balanced cost and build each on its own device.

A *block* is a layer with weights plus the weightless layers after it (dropout, pooling,
flattening); weightless layers before the first weighted one join the first block. Stages are
contiguous runs of blocks chosen to minimise the most expensive stage, where a block costs its
multiply-adds per sample (a stage's forward and backward time both scale with it).

Where the stages' gradients are stale (sideways: stage k's are 2(K-1-k) ticks old), `fresh_partition`
then moves blocks towards the later stages, whose gradients are fresher, as long as no stage costs more
than `pipeline.cut_slack` over the balanced cut's largest: the pipeline's tick time is its largest
stage's, so a 5 % slack costs at most 5 % of the samples/s. At K = 4 on the 1024x6 MLP it puts one
1024x1024 layer where the balanced cut had two in stage 0 and three layers in the last stage, for 0.5 %
more multiply-adds in the largest stage (README, "Fresher stages").
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass

import keras
import tensorflow as tf

from projnet.config import TrainerConfig
from projnet.errors import UsageError
from projnet.trainer.models import trainer_layers


@dataclass
class StagedTrainer:
    """The trainer as stages: `stages[k]` lives on `devices[k]`; `model` chains them for evaluation and export."""

    stages: list[keras.Model]
    devices: list[str]
    model: keras.Model
    block_ranges: list[tuple[int, int]]  # [first, last) block indices of each stage
    stage_costs: list[int]  # multiply-adds per sample of each stage
    stage_step_ms: list[float] | None = None  # each stage's forward + backward alone, when timed to place the student


def multiply_adds(layer: keras.layers.Layer, input_shape: tuple) -> int:
    """Multiply-adds per sample of a Dense or Conv2D layer on `input_shape` (batch first); 0 for the rest."""
    if isinstance(layer, keras.layers.Dense):
        return int(input_shape[-1]) * layer.units
    if isinstance(layer, keras.layers.Conv2D):
        out = layer.compute_output_shape(input_shape)  # (batch, h, w, filters)
        kh, kw = layer.kernel_size
        return int(out[1] * out[2]) * kh * kw * int(input_shape[-1]) * layer.filters
    return 0


def layer_blocks(layers: list[keras.layers.Layer], num_features: int) -> tuple[list[list[int]], list[int]]:
    """Group layer indices into blocks (one weighted layer each) and cost every block."""
    blocks: list[list[int]] = []
    costs: list[int] = []
    leading: list[int] = []
    shape: tuple = (None, num_features)
    for i, layer in enumerate(layers):
        cost = multiply_adds(layer, shape)
        weighted = isinstance(layer, (keras.layers.Dense, keras.layers.Conv2D))
        if weighted:
            blocks.append(leading + [i])
            costs.append(cost)
            leading = []
        elif blocks:
            blocks[-1].append(i)
        else:
            leading.append(i)
        shape = layer.compute_output_shape(shape)
    return blocks, costs


def _best_cut(costs: list[int], parts: int, extend, empty) -> list[tuple[int, int]]:
    """Contiguous [first, last) ranges of `costs` in `parts` non-empty groups with the smallest score, by
    dynamic programming: `extend(score, k, group)` scores a cut whose group k costs `group` after groups
    0..k-1 scored `score` (None: not allowed); `empty` scores no groups. Ties keep the earliest cut."""
    n = len(costs)
    if not 1 <= parts <= n:
        raise ValueError(f"cannot cut {n} blocks into {parts} stages")
    prefix = list(itertools.accumulate(costs, initial=0))
    # best[p][i]: the best score of the first i blocks cut into p groups (None: no allowed cut)
    best = [[None] * (n + 1) for _ in range(parts + 1)]
    cut = [[0] * (n + 1) for _ in range(parts + 1)]
    best[0][0] = empty
    for p in range(1, parts + 1):
        for i in range(p, n + 1):
            for j in range(p - 1, i):
                if best[p - 1][j] is None:
                    continue
                candidate = extend(best[p - 1][j], p - 1, prefix[i] - prefix[j])
                if candidate is not None and (best[p][i] is None or candidate < best[p][i]):
                    best[p][i], cut[p][i] = candidate, j
    ranges, i = [], n
    for p in range(parts, 0, -1):
        ranges.append((cut[p][i], i))
        i = cut[p][i]
    return ranges[::-1]


def balanced_partition(costs: list[int], parts: int) -> list[tuple[int, int]]:
    """Contiguous [first, last) ranges of `costs` in `parts` non-empty groups minimising the largest sum."""
    return _best_cut(costs, parts, lambda largest, k, group: max(largest, group), 0)


def fresh_partition(costs: list[int], ages: list[int], slack: float) -> list[tuple[int, int]]:
    """The cut into len(ages) stages that puts the least cost x gradient age in stages, none costing more
    than (1 + slack) x the balanced cut's largest; ties go to the smaller largest stage. With no stale
    gradient (every age 0) it is `balanced_partition`'s cut."""
    balanced = balanced_partition(costs, len(ages))
    if not any(ages):
        return balanced
    cap = (1 + slack) * max(sum(costs[a:b]) for a, b in balanced)

    def extend(score, k, group):  # score: (stale cost, largest stage)
        return None if group > cap else (score[0] + ages[k] * group, max(score[1], group))

    return _best_cut(costs, len(ages), extend, (0, 0))


def build_staged_trainer(num_features: int, num_classes: int, image_shape: tuple[int, int, int],
                         trainer: TrainerConfig, devices: list[str], gradient_ages: list[int] | None = None,
                         cut_slack: float = 0.0) -> StagedTrainer:
    """One stage per device, its variables created on that device; refuses more stages than blocks.
    `gradient_ages[k]`: how old stage k's gradients are (none given: all fresh, the balanced cut)."""
    layers = trainer_layers(num_classes, image_shape, trainer)
    blocks, costs = layer_blocks(layers, num_features)
    if len(devices) > len(blocks):
        raise UsageError(f"pipeline.stages={len(devices)} but the {trainer.architecture} trainer has only "
                         f"{len(blocks)} layers with weights to cut between; use at most {len(blocks)} stages")
    ranges = fresh_partition(costs, gradient_ages or [0] * len(devices), cut_slack)
    stages, shape = [], (None, num_features)
    for k, ((first, last), device) in enumerate(zip(ranges, devices)):
        stage_layers = [layers[i] for b in range(first, last) for i in blocks[b]]
        with tf.device(device):  # variables (and later the stage's optimizer state) live on its device
            stage = keras.Sequential([keras.Input(shape[1:])] + stage_layers, name=f"trainer_stage_{k}")
        stages.append(stage)
        shape = stage.output_shape
    inputs = keras.Input((num_features,), name="features")
    x = inputs
    for stage in stages:
        x = stage(x)
    model = keras.Model(inputs, x, name="trainer")
    return StagedTrainer(stages, list(devices), model, ranges, [sum(costs[a:b]) for a, b in ranges])
