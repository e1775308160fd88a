"""Which stage's device the student shares in a pipelined run (`pipeline.student_placement`).

The student's step (forward, backward, update: 1.5 to 2.3 ms a tick in benchmarks/pipeline_trace.py)
runs beside one stage, so it should join the stage with the most time to spare. Counting forward
multiply-adds ("multiply_adds") misses two things that a trace of a K = 2 sideways tick showed:
stage 0 computes no input gradient for its first layer, so its backward is cheaper than its
multiply-adds say, and every op has a fixed cost, so a stage of more (smaller) layers is slower than
its multiply-adds say. "measured" times each stage's forward and backward alone on its own device,
on a batch of the run's size, before the first tick, and picks the fastest. Where the student lives
changes no number the run computes (the same kernels on every device of a kind), only the time a
tick takes. It is not the default: on this 2-core host, at 784-512x6-10 and K = 2, the stages came
out within 6 % of each other once traced beside each other (7.8 and 8.3 ms a tick without the
student), so neither placement beat the other (sideways 12.55 / 11.24 ms a tick measured, 12.74 /
10.99 by multiply-adds, interleaved; docs/pipeline.md); it is for stages that differ more than that.
"""

from __future__ import annotations

import statistics
import time

import numpy as np
import tensorflow as tf

from projnet.trainer.stages import StagedTrainer


def stage_step_ms(staged: StagedTrainer, batch_size: int, repeats: int = 9) -> list[float]:
    """Median ms of each stage's forward + backward (weights, and its input unless it is stage 0) alone on its device.

    The stages take turns within each repeat: timed one whole stage after the other, two equal stages
    read 5.2 to 8.1 ms and the stage timed first was the slower in 3 runs of 4. Inference-mode forward
    (training=False), so no dropout draws a number from the run's random streams.
    """
    rng = np.random.default_rng(0)
    steps = []
    for k, (stage, device) in enumerate(zip(staged.stages, staged.devices)):
        with tf.device(device):
            x = tf.constant(rng.standard_normal((batch_size, *stage.inputs[0].shape[1:])).astype(np.float32))

        @tf.function
        def forward_backward(x, stage=stage, device=device, input_gradient=k > 0):
            with tf.device(device):
                with tf.GradientTape() as tape:
                    tape.watch(x)
                    y = stage(x, training=False)
                    loss = tf.reduce_sum(y * y)  # any scalar: the backward's cost does not depend on it
                sources = list(stage.trainable_variables) + ([x] if input_gradient else [])
                grads = tape.gradient(loss, sources)
                return tf.add_n([tf.reduce_sum(g) for g in grads])  # one small value to wait on

        for _ in range(2):  # trace and warm up off the clock
            forward_backward(x).numpy()
        steps.append((forward_backward, x))
    runs: list[list[float]] = [[] for _ in steps]
    for _ in range(repeats):
        for times, (forward_backward, x) in zip(runs, steps):
            started = time.perf_counter()
            forward_backward(x).numpy()
            times.append((time.perf_counter() - started) * 1e3)
    return [statistics.median(times) for times in runs]


def place_student(staged: StagedTrainer, placement: str, batch_size: int) -> tuple[str, list[float] | None]:
    """(the device the student shares, each stage's measured ms or None): "measured" or "multiply_adds"."""
    if placement == "measured":
        stage_ms = stage_step_ms(staged, batch_size)
        return staged.devices[min(range(len(stage_ms)), key=stage_ms.__getitem__)], stage_ms
    costs = staged.stage_costs
    return staged.devices[min(range(len(costs)), key=costs.__getitem__)], None
