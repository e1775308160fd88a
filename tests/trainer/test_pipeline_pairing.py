"""Every gradient pairs with the right samples, tick by tick, on a stream that never repeats a batch: the
sample each stage forwards, the sample whose gradient it applies and sends back, and the sample whose
activation that gradient's Jacobian was taken at are the engine's own records (ids riding with the
buffers), held to the schedule's table (trainer/schedule.py) for every tick of K = 2, 3, 4."""

import numpy as np
import pytest

from projnet.trainer.schedule import pipeline_schedule
from projnet.trainer.schedule import TickUpdates
from tests.trainer.test_pipeline_engines import _config, _engine, digits  # noqa: F401  (digits: a fixture)


def _per_tick(engine: str, stages: int, ticks: int) -> list[list[tuple]]:
    """The table's (forward, backward, jacobian_at) per tick and stage, -1 for none (bp: one of each a tick)."""
    rows = [[[-1, -1, -1] for _ in range(stages)] for _ in range(ticks)]
    for slot in pipeline_schedule(engine, stages, ticks):
        for k, work in enumerate(slot.work):
            for i, sample in enumerate((work.forward, work.backward, work.jacobian_at)):
                if sample is not None:
                    rows[slot.tick][k][i] = sample
    return [[tuple(cell) for cell in row] for row in rows]


@pytest.mark.parametrize("engine", ["sideways", "dni", "bp"])
@pytest.mark.parametrize("stages", [2, 3, 4])
def test_every_gradient_pairs_with_the_schedules_samples(digits, engine, stages):
    ticks = 3 * stages + 2
    config = _config(engine, stages)
    engine_, _ = _engine(config, digits, ticks)
    rng = np.random.default_rng(stages)
    B = config.train.batch_size
    updates = TickUpdates(engine, stages, ticks)
    buffers, seen = engine_.initial_buffers(), []
    for t in range(ticks):  # sample t is batch t: new rows every tick, each row carrying t as its id
        rows = rng.choice(len(digits.x_train), B, replace=False)
        x, y, ident = digits.x_train[rows], digits.y_train[rows], np.full(B, t, np.int64)
        buffers, figures = engine_.step(x, y, ident, buffers, updates[t], t >= engine_.delay)
        seen.append([tuple(int(figures[name].numpy()[k]) for name in ("forward_ident", "backward_ident",
                                                                       "jacobian_ident")) for k in range(stages)])
    assert seen == _per_tick(engine, stages, ticks)
