"""Pipeline schedules as plain data: what every stage computes in every slot, with no devices in it.

A *tick* is one call of an engine's step: one batch enters the pipeline. A *slot* is a part of a
tick whose cells may depend only on earlier slots, so the cells of one slot can run at once on
their stages' devices. Samples are numbered by the tick that fed them (sample t enters at tick t).

- `bp`: exact backprop through the staged trainer. A tick is 2K slots: forward through stages
  0..K-1, then backward through K-1..0; one stage works per slot.
- `sideways` (Malinowski et al. 2020): one slot per tick. Stage k forwards sample t-k (its input
  buffer, filled at the last tick) and sends back the gradient that arrived from stage k+1 at the
  last tick, which belongs to sample t-2(K-1)+k, through the Jacobian at the activation it holds
  now (sample t-k): activations are overwritten, never stashed.
- `dni` (Jaderberg et al. 2016), pipelined: one slot per tick. Stage k forwards sample t-k and
  updates at once from a synthetic gradient for that same sample; the last stage uses the true loss
  gradient. Stage k's synthetic-gradient model regresses the input gradient that stage k+1 sent
  back for sample t-k-2 (produced two ticks ago: one tick there, one tick back).
- `gpipe` (simulation only): M micro-batches forward through the pipeline, then backward, then one
  update; bubble (K-1)/(M+K-1).

Updates: a stage applies its parameter (pseudo-)gradients, accumulated over `update_every` ticks,
at the end of every `update_every`-th tick in which it has received one.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass

from projnet.registry import SIMULATED_ENGINES


@dataclass(frozen=True)
class StageWork:
    """One stage's work in one slot; None where it has nothing of that kind to do."""

    forward: int | None = None  # sample whose activation the stage computes
    backward: int | None = None  # sample whose loss gradient (true or synthetic) the stage sends back
    jacobian_at: int | None = None  # sample whose activation the backward Jacobian is taken at
    synthetic_fit: int | None = None  # dni: sample whose returned gradient the synthetic model regresses
    update: bool = False  # parameters change at the end of this slot

    def __str__(self) -> str:
        parts = []
        if self.forward is not None:
            parts.append(f"F{self.forward}")
        if self.backward is not None:
            at = "" if self.jacobian_at == self.backward else f"@{self.jacobian_at}"
            parts.append(f"B{self.backward}{at}")
        if self.synthetic_fit is not None:
            parts.append(f"S{self.synthetic_fit}")
        if self.update:
            parts.append("U")
        return " ".join(parts) or "."

    @property
    def busy(self) -> bool:
        return self.forward is not None or self.backward is not None


@dataclass(frozen=True)
class Slot:
    tick: int
    work: tuple[StageWork, ...]  # one per stage


def _valid(sample: int, ticks: int) -> int | None:
    return sample if 0 <= sample < ticks else None


def _mark_updates(slots: list[Slot], flags: tuple[bool, ...]) -> list[Slot]:
    """One tick's slots with stage k's update marked where `flags[k]`: on its last backward in the tick, or
    on the tick's last slot when its gradient came in an earlier tick of the cycle."""
    marked = [list(slot.work) for slot in slots]
    for k, update in enumerate(flags):
        if update:
            backwards = [i for i, slot in enumerate(slots) if slot.work[k].backward is not None]
            i = (backwards or [len(slots) - 1])[-1]
            marked[i][k] = dataclasses.replace(marked[i][k], update=True)
    return [Slot(s.tick, tuple(w)) for s, w in zip(slots, marked)]


def tick_slots(engine: str, stages: int, ticks: int, t: int, micro_batches: int = 4) -> list[Slot]:
    """The slots of tick `t` of a `ticks`-tick run, without update marks."""
    K = stages
    if engine == "bp":
        forward = [Slot(t, tuple(StageWork(forward=t) if k == j else StageWork() for k in range(K))) for j in range(K)]
        return forward + [Slot(t, tuple(StageWork(backward=t, jacobian_at=t) if k == j else StageWork()
                                        for k in range(K))) for j in reversed(range(K))]
    if engine == "sideways":
        work = []
        for k in range(K):
            grad = _valid(t - 2 * (K - 1) + k, ticks)
            work.append(StageWork(forward=_valid(t - k, ticks), backward=grad,
                                  jacobian_at=None if grad is None else t - k))
        return [Slot(t, tuple(work))]
    if engine == "dni":
        work = []
        for k in range(K):
            sample = _valid(t - k, ticks)
            fit = _valid(t - k - 2, ticks) if k < K - 1 else None
            work.append(StageWork(forward=sample, backward=sample, jacobian_at=sample, synthetic_fit=fit))
        return [Slot(t, tuple(work))]
    M = micro_batches  # gpipe: micro-batch m of tick t is sample t * M + m
    forward = [Slot(t, tuple(StageWork(forward=t * M + s - k) if 0 <= s - k < M else StageWork() for k in range(K)))
               for s in range(M + K - 1)]
    return forward + [Slot(t, tuple(StageWork(backward=t * M + m, jacobian_at=t * M + m)
                                    if 0 <= (m := s - (K - 1 - k)) < M else StageWork() for k in range(K)))
                      for s in range(M + K - 1)]


def pipeline_schedule(engine: str, stages: int, ticks: int, update_every: int = 1,
                      micro_batches: int = 4) -> list[Slot]:
    """Every slot of `ticks` ticks of `engine` on `stages` stages, in order (linear in the ticks; a run asks
    for its ticks one at a time instead: TickUpdates)."""
    if engine not in SIMULATED_ENGINES:
        raise ValueError(f"unknown engine. Received: engine={engine!r}")
    if stages < 1 or ticks < 0 or update_every < 1 or micro_batches < 1:
        raise ValueError(f"stages, update_every and micro_batches must be >= 1 and ticks >= 0. Received: "
                         f"stages={stages}, ticks={ticks}, update_every={update_every}, "
                         f"micro_batches={micro_batches}")
    slots: list[Slot] = []
    for t in range(ticks):
        slots += _mark_updates(tick_slots(engine, stages, ticks, t, micro_batches),
                               updates_at(engine, stages, ticks, t, update_every))
    return slots


def _has_backward(engine: str, stages: int, ticks: int, t: int, k: int) -> bool:
    """Whether stage k sends a gradient back (and so has one to apply) in tick t: the closed form of each
    engine's backward cells, so that update flags need no table of the run."""
    if not 0 <= t < ticks:
        return False
    if engine == "sideways":
        return 0 <= t - 2 * (stages - 1) + k < ticks
    if engine == "dni":
        return t - k >= 0
    return True  # bp and gpipe: every stage sends back every tick's samples


def updates_at(engine: str, stages: int, ticks: int, t: int, update_every: int = 1) -> tuple[bool, ...]:
    """Which stages apply their update at the end of tick `t`, in O(stages x update_every).

    A stage updates at the end of every `update_every`-th tick if it received a gradient in that cycle:
    a gradient of an earlier cycle was applied at that cycle's end, so only this cycle's ticks count.
    """
    if (t + 1) % update_every:
        return (False,) * stages
    cycle = range(t - update_every + 1, t + 1)
    return tuple(any(_has_backward(engine, stages, ticks, s, k) for s in cycle) for k in range(stages))


class TickUpdates(Sequence):
    """The update flags of every tick of a run, computed when asked: nothing is built before the first tick."""

    def __init__(self, engine: str, stages: int, ticks: int, update_every: int = 1):
        self.engine, self.stages, self.ticks, self.update_every = engine, stages, ticks, update_every

    def __len__(self) -> int:
        return self.ticks

    def __getitem__(self, t):
        if isinstance(t, slice):
            return [self[i] for i in range(*t.indices(self.ticks))]
        if not 0 <= t < self.ticks:
            raise IndexError(f"tick {t} of {self.ticks}")
        return updates_at(self.engine, self.stages, self.ticks, t, self.update_every)


def schedule_table(slots: list[Slot]) -> list[list[str]]:
    """The schedule as strings, one row per slot and one column per stage: what the tests assert."""
    return [[str(w) for w in slot.work] for slot in slots]


def updates_in_tick(slots: list[Slot], tick: int) -> tuple[bool, ...]:
    """Which stages apply their update at the end of `tick`: what an engine's step is told."""
    rows = [s.work for s in slots if s.tick == tick]
    return tuple(any(row[k].update for row in rows) for k in range(len(rows[0])))


def simulated_utilisation(engine: str, stages: int, ticks: int = 256, micro_batches: int = 4,
                          backward_cost: float = 2.0) -> float:
    """Mean fraction of time the stages are busy, from the schedule alone.

    Cost model: a forward of one batch costs 1, a backward `backward_cost`; a GPipe micro-batch
    costs 1/M of that; a slot lasts as long as its slowest cell. Transfers between devices and the
    update itself are free here, so this is an upper bound on what a real run reaches.
    """
    scale = 1.0 / micro_batches if engine == "gpipe" else 1.0
    busy = elapsed = 0.0
    for slot in pipeline_schedule(engine, stages, ticks, micro_batches=micro_batches):
        costs = [scale * ((w.forward is not None) + backward_cost * (w.backward is not None)) for w in slot.work]
        busy += sum(costs)
        elapsed += max(costs)
    return busy / (stages * elapsed) if elapsed else 0.0
