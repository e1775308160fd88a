"""Where a pipelined run's student runs: beside the stage that is fastest when timed, or with fewest multiply-adds."""

import numpy as np
import pytest

from projnet.config import TrainerConfig
from projnet.config_settings import resolve_config
from projnet.errors import UsageError
from projnet.trainer.stages import build_staged_trainer
from projnet.trainer.student_placement import place_student, stage_step_ms
from tests.trainer.test_pipeline_engines import CPUS, _config, _engine, digits  # noqa: F401  (fixture)


def _staged(hidden):
    return build_staged_trainer(64, 10, (8, 8, 1), TrainerConfig(hidden=hidden, dropout=0.0), CPUS[:2])


def test_the_student_joins_the_stage_that_is_fastest_when_timed():
    # 64-16-16-2048-2048-10: stage 0 (64-16-16-2048, 36 k multiply-adds) against stage 1 (2048-2048-10, 4.2 M)
    staged = _staged([16, 16, 2048, 2048])
    assert staged.block_ranges == [(0, 3), (3, 5)]
    ms = stage_step_ms(staged, 256)
    assert len(ms) == 2 and ms[1] > 5 * ms[0] > 0, ms  # 100x the arithmetic: no host is that noisy
    assert place_student(staged, "measured", 256) == ("/CPU:0", pytest.approx(ms, rel=10))
    assert place_student(staged, "multiply_adds", 256) == ("/CPU:0", None)


def test_timing_the_stages_changes_no_weight_and_draws_no_random_number():
    import random

    import keras
    import tensorflow as tf

    def draws():  # every stream a run's dropout, shuffling or initialisation could read after placement
        return (random.random(), np.random.random(), tf.random.uniform(()).numpy(), keras.random.uniform(()).numpy(),
                keras.random.SeedGenerator().next().numpy().tolist())

    staged = _staged([32, 32, 32])
    before = [v.numpy().copy() for v in staged.model.variables]
    keras.utils.set_random_seed(5)
    expected = draws()
    keras.utils.set_random_seed(5)
    stage_step_ms(staged, 64, repeats=2)
    assert draws() == expected
    for a, b in zip(before, staged.model.variables):
        np.testing.assert_array_equal(a, b.numpy())


def test_the_engine_runs_the_student_on_the_placed_device(digits):  # noqa: F811
    for placement in ("measured", "multiply_adds"):
        engine, _ = _engine(_config("sideways", 3, student_placement=placement), digits, 8)
        staged = engine.parts.staged
        assert engine.parts.student_device in CPUS[:3]
        if placement == "measured":
            assert len(staged.stage_step_ms) == 3
            assert engine.parts.student_device == CPUS[int(np.argmin(staged.stage_step_ms))]
        else:
            assert staged.stage_step_ms is None
            assert engine.parts.student_device == CPUS[int(np.argmin(staged.stage_costs))]


def test_an_unknown_placement_is_refused():
    with pytest.raises(UsageError, match="pipeline.student_placement must be one of: measured, multiply_adds"):
        resolve_config(None, ["pipeline.student_placement=fastest"])
