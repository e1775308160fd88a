"""Sideways' stale-gradient corrections (trainer/staleness.py): the rates age_lr gives, the run bp_warmup makes."""

import numpy as np
import pytest

from projnet.config import DataConfig, ProjectionConfig, StudentConfig
from projnet.data import DatasetSplits, load_dataset
from projnet.projection.student import build_student
from projnet.trainer.pipeline_training import train_pipelined
from projnet.trainer.staleness import gradient_age, refusal, scales_rate_by_age, stashes, warms_up
from tests.trainer.test_pipeline_engines import CPUS, _batches, _config, _engine


@pytest.fixture(scope="module")
def digits() -> DatasetSplits:
    return load_dataset(DataConfig())


def test_gradient_ages_follow_the_sideways_schedule():
    from projnet.config import PipelineConfig
    from projnet.trainer.staleness import resolved

    assert PipelineConfig().staleness == "auto"
    assert [resolved("auto", e) for e in ("bp", "sideways", "dni")] == ["none", "age_lr", "none"]
    assert resolved("stash", "sideways") == "stash" and refusal("auto", "dni") is None
    assert [gradient_age("sideways", 4, k) for k in range(4)] == [6, 4, 2, 0]  # stage 0: 2(K-1) ticks old
    assert [gradient_age(e, 3, 0) for e in ("bp", "dni")] == [0, 0]
    assert refusal("none", "bp") is None and refusal("age_lr", "sideways") is None
    assert "pipeline.engine=dni has none" in refusal("bp_warmup", "dni")
    assert "pipeline.engine=bp has none" in refusal("age_lr+weight_stash", "bp")
    assert [stashes(m) for m in ("none", "age_lr", "stash", "weight_stash", "age_lr+weight_stash")] == [
        (False, False), (False, False), (True, False), (True, True), (True, True)]
    assert [scales_rate_by_age(m) for m in ("none", "age_lr", "weight_stash", "age_lr+weight_stash")] == [
        False, True, False, True]
    assert [warms_up(m) for m in ("none", "age_lr", "bp_warmup", "age_lr+bp_warmup", "age_lr+weight_stash")] == [
        False, False, True, True, False]
    assert scales_rate_by_age("age_lr+bp_warmup") and stashes("age_lr+bp_warmup") == (False, False)


def test_age_lr_divides_each_stage_rate_by_a_power_of_its_age_and_fades_over_the_warmup(digits):
    config = _config("sideways", 3, epochs=2, learning_rate=1e-3, staleness="age_lr", age_fade_epochs=1,
                     age_exponent=1.0)  # PipeMare's own schedule
    engine, _ = _engine(config, digits, ticks=40)  # 20 ticks an epoch: the scale fades over 20 updates
    optimizers = engine.parts.stage_optimizers

    def rates(step: int) -> list[float]:
        for optimizer in optimizers:
            optimizer.iterations.assign(step)
        return [float(optimizer.learning_rate) for optimizer in optimizers]

    np.testing.assert_allclose(rates(0), [1e-3 / 4, 1e-3 / 2, 1e-3], rtol=1e-6)  # ages 4, 2, 0
    np.testing.assert_allclose(rates(10), [1e-3 / 2, 1e-3 / 2 ** 0.5, 1e-3], rtol=1e-6)  # p = 1/2
    np.testing.assert_allclose(rates(20), [1e-3] * 3, rtol=1e-6)
    np.testing.assert_allclose(rates(35), [1e-3] * 3, rtol=1e-6)
    constant, _ = _engine(_config("sideways", 3, epochs=2, learning_rate=1e-3, staleness="age_lr"),
                          digits, ticks=40)
    for step in (0, 35):  # age_fade_epochs=0, the default: the scale never fades; age_exponent=2, the default
        for optimizer in constant.parts.stage_optimizers:
            optimizer.iterations.assign(step)
        np.testing.assert_allclose([float(o.learning_rate) for o in constant.parts.stage_optimizers],
                                   [1e-3 / 16, 1e-3 / 4, 1e-3], rtol=1e-6)
    plain, _ = _engine(_config("sideways", 3, epochs=2, learning_rate=1e-3, staleness="none"), digits, ticks=40)
    assert [float(o.learning_rate) for o in plain.parts.stage_optimizers] == pytest.approx([1e-3] * 3)


def test_age_lr_after_a_bp_warmup_scales_only_the_pipeline_updates(digits):
    """age_lr+bp_warmup: the warm-up's backprop updates (20 a epoch here) at the full rate, then age_lr's."""
    config = _config("sideways", 3, epochs=3, learning_rate=1e-3, staleness="age_lr+bp_warmup", warmup_epochs=1)
    engine, _ = _engine(config, digits, ticks=60)

    def rates(step: int) -> list[float]:
        for optimizer in engine.parts.stage_optimizers:
            optimizer.iterations.assign(step)
        return [float(optimizer.learning_rate) for optimizer in engine.parts.stage_optimizers]

    np.testing.assert_allclose(rates(0), [1e-3] * 3, rtol=1e-6)
    np.testing.assert_allclose(rates(19), [1e-3] * 3, rtol=1e-6)
    np.testing.assert_allclose(rates(20), [1e-3 / 16, 1e-3 / 4, 1e-3], rtol=1e-6)  # ages 4, 2, 0; exponent 2
    np.testing.assert_allclose(rates(59), [1e-3 / 16, 1e-3 / 4, 1e-3], rtol=1e-6)


def _train(config, digits):
    student = build_student(64, 10, ProjectionConfig(), StudentConfig(hidden=[16]), digits.x_train.mean(axis=0))
    return train_pipelined(config, digits, student, CPUS[:config.pipeline.stages], show_progress=False)


def test_bp_warmup_is_backprop_for_its_epochs_then_the_pipeline(digits):
    """Epoch 1 of sideways+bp_warmup is epoch 1 of staged bp to the last bit; epoch 2 is not (Sideways took over)."""
    warmed = _train(_config("sideways", 2, epochs=2, staleness="bp_warmup", warmup_epochs=1), digits)
    bp = _train(_config("bp", 2, epochs=2), digits)
    sideways = _train(_config("sideways", 2, epochs=2), digits)
    first, second = warmed.history.epochs
    assert first == bp.history.epochs[0]
    assert first != sideways.history.epochs[0]
    assert second["loss"] != bp.history.epochs[1]["loss"] and second["loss"] != sideways.history.epochs[1]["loss"]
    assert warmed.samples_per_s > 0  # its pipeline epoch is on the clock when it is the run's last
    scaled = _train(_config("sideways", 2, epochs=2, staleness="age_lr+bp_warmup", warmup_epochs=1), digits)
    assert scaled.history.epochs[0] == first  # the warm-up is backprop at the full rate either way
    assert scaled.history.epochs[1]["loss"] != second["loss"]  # then stage 0 steps at 1/4 of the rate


def test_stash_takes_each_gradient_at_its_own_sample_on_a_moving_stream(digits):
    """Frozen weights, a stream that never repeats a batch: with the stash every stage's gradient is exactly
    backprop's gradient of the sample it belongs to (Sideways' own is not: its Jacobian is at a later frame)."""
    from projnet.trainer.pipeline_engines import PipelineEngine

    K, ticks = 3, 9
    batches = _batches(digits, ticks)
    bp_engine, _ = _engine(_config("bp", K), digits, ticks)
    bp_norms = [np.asarray(bp_engine.step(x, y, i, bp_engine.initial_buffers(), (False,) * K, False)[1]["grad_norms"])
                for x, y, i, _ in batches]
    for method in ("stash", "weight_stash", "none"):
        engine, _ = _engine(_config("sideways", K, staleness=method), digits, ticks)
        assert isinstance(engine, PipelineEngine) and engine.parts.stash_inputs == (method != "none")
        buffers, matched = engine.initial_buffers(), []
        for tick, (x, y, ident, _) in enumerate(batches):
            buffers, figures = engine.step(x, y, ident, buffers, (False,) * K, False)
            for k in range(K - 1):
                sample = tick - 2 * (K - 1) + k  # whose gradient stage k applies at this tick
                if sample >= 0:
                    assert int(figures["backward_ident"][k]) == batches[sample][2][0]
                    got, want = float(figures["grad_norms"][k]), float(bp_norms[sample][k])
                    matched.append(got == pytest.approx(want, rel=1e-5))
                    if method != "none":
                        assert int(figures["jacobian_ident"][k]) == batches[sample][2][0]
        assert len(matched) == 5 + 6 and all(matched) == (method != "none"), (method, matched)


@pytest.mark.parametrize("method", ["weight_stash", "age_lr+weight_stash"])
def test_weight_stash_recomputes_with_the_weights_each_sample_was_forwarded_with(digits, method):
    """Updates on: the weights stage 0 takes an arriving gradient at are its weights of 2(K-1) ticks ago;
    age_lr+weight_stash also divides stage k's rate by its gradient's age squared (the default exponent)."""
    K, ticks = 3, 8
    engine, _ = _engine(_config("sideways", K, learning_rate=1e-3, staleness=method), digits, ticks)
    want = [1e-3 / 16, 1e-3 / 4, 1e-3] if method.startswith("age_lr") else [1e-3] * 3  # ages 4, 2, 0
    np.testing.assert_allclose([float(o.learning_rate) for o in engine.parts.stage_optimizers], want, rtol=1e-6)
    stage0 = engine.parts.staged.stages[0]
    buffers, history = engine.initial_buffers(), []
    for tick, (x, y, ident, _) in enumerate(_batches(digits, ticks)):
        history.append([v.numpy() for v in stage0.trainable_variables])  # at the start of the tick
        if tick >= 2 * (K - 1):
            for j, weights in enumerate(history[tick - 2 * (K - 1)]):
                np.testing.assert_array_equal(buffers[f"wstash_0_{j}"][-1].numpy(), weights)
        buffers, _ = engine.step(x, y, ident, buffers, (True,) * K, tick >= engine.delay)
    assert not np.array_equal(history[0][0], history[-1][0])  # the weights did move
