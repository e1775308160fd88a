"""The schedules as exact tables: which sample every stage forwards, which gradient it sends back, when it updates."""

import pytest

from projnet.trainer.schedule import pipeline_schedule, schedule_table, simulated_utilisation, updates_in_tick


def test_bp_runs_one_stage_at_a_time():
    assert schedule_table(pipeline_schedule("bp", 2, 2)) == [
        ["F0", "."], [".", "F0"], [".", "B0 U"], ["B0 U", "."],
        ["F1", "."], [".", "F1"], [".", "B1 U"], ["B1 U", "."]]


def test_sideways_three_stages():
    """Stage k forwards sample t-k and sends back sample t-2(K-1)+k's gradient through its current activation."""
    assert schedule_table(pipeline_schedule("sideways", 3, 6)) == [
        ["F0", ".", "."],
        ["F1", "F0", "."],
        ["F2", "F1", "F0 B0 U"],
        ["F3", "F2 B0@2 U", "F1 B1 U"],
        ["F4 B0@4 U", "F3 B1@3 U", "F2 B2 U"],
        ["F5 B1@5 U", "F4 B2@4 U", "F3 B3 U"]]


def test_sideways_with_one_stage_is_backprop():
    assert schedule_table(pipeline_schedule("sideways", 1, 3)) == [["F0 B0 U"], ["F1 B1 U"], ["F2 B2 U"]]


def test_dni_updates_at_once_and_fits_on_returned_gradients():
    assert schedule_table(pipeline_schedule("dni", 3, 4)) == [
        ["F0 B0 U", ".", "."],
        ["F1 B1 U", "F0 B0 U", "."],
        ["F2 B2 S0 U", "F1 B1 U", "F0 B0 U"],
        ["F3 B3 S1 U", "F2 B2 S0 U", "F1 B1 U"]]


def test_gpipe_fills_drains_and_updates_once():
    assert schedule_table(pipeline_schedule("gpipe", 2, 1, micro_batches=3)) == [
        ["F0", "."], ["F1", "F0"], ["F2", "F1"], [".", "F2"],
        [".", "B0"], ["B0", "B1"], ["B1", "B2 U"], ["B2 U", "."]]


def test_update_cycle_accumulates_over_ticks():
    """update_every=2: the stage's gradients of two ticks are applied together, at the end of every second tick."""
    table = schedule_table(pipeline_schedule("sideways", 2, 5, update_every=2))
    assert table == [["F0", "."], ["F1", "F0 B0 U"], ["F2 B0@2", "F1 B1"], ["F3 B1@3 U", "F2 B2 U"],
                     ["F4 B2@4", "F3 B3"]]
    slots = pipeline_schedule("sideways", 2, 5, update_every=2)
    assert [updates_in_tick(slots, t) for t in range(5)] == [(False, False), (False, True), (False, False),
                                                              (True, True), (False, False)]


def test_the_first_update_of_a_cycle_waits_for_its_end():
    table = schedule_table(pipeline_schedule("sideways", 2, 4, update_every=3))
    assert [row[0] for row in table] == ["F0", "F1", "F2 B0@2 U", "F3 B1@3"]
    assert [row[1] for row in table] == [".", "F0 B0", "F1 B1 U", "F2 B2"]


@pytest.mark.parametrize("stages", [2, 4, 8, 16])
def test_simulated_utilisation(stages):
    assert simulated_utilisation("bp", stages) == pytest.approx(1 / stages)
    assert simulated_utilisation("gpipe", stages, micro_batches=4) == pytest.approx(4 / (4 + stages - 1))
    # sideways and dni lose only the pipeline's fill, once per run
    assert 1 - 3 * stages / 256 < simulated_utilisation("sideways", stages, ticks=256) < 1
    assert 1 - 3 * stages / 256 < simulated_utilisation("dni", stages, ticks=256) < 1


def test_bad_arguments():
    with pytest.raises(ValueError, match="unknown engine"):
        pipeline_schedule("pipedream", 2, 3)
    with pytest.raises(ValueError, match="stages=0"):
        pipeline_schedule("bp", 0, 3)


@pytest.mark.parametrize("engine", ["bp", "sideways", "dni", "gpipe"])
def test_tick_updates_are_the_tables_flags_without_the_table(engine):
    """What a run reads (TickUpdates, one tick at a time) is what the full schedule marks."""
    from projnet.trainer.schedule import TickUpdates

    for stages in range(1, 5):
        for update_every in range(1, 4):
            slots = pipeline_schedule(engine, stages, 11, update_every, micro_batches=3)
            flags = TickUpdates(engine, stages, 11, update_every)
            assert len(flags) == 11 and list(flags) == [updates_in_tick(slots, t) for t in range(11)]
    assert TickUpdates(engine, 2, 10**9)[10**9 - 1] == (True, True)  # nothing built: any tick of a huge run
    with pytest.raises(IndexError, match="tick 5 of 5"):
        TickUpdates(engine, 2, 5)[5]
