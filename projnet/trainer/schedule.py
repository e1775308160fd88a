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


def _with_updates(slots: list[Slot], stages: int, update_every: int) -> list[Slot]:
    """Mark each stage's update at the end of every `update_every`-th tick once it has a gradient.

    The mark goes on the stage's last backward in that tick, or on the tick's last slot when the
    gradient came in an earlier tick of the cycle.
    """
    marked = [list(slot.work) for slot in slots]
    by_tick: dict[int, list[int]] = {}  # one pass: the run's schedule is built before its first tick
    for i, slot in enumerate(slots):
        by_tick.setdefault(slot.tick, []).append(i)
    pending = [False] * stages
    for t in sorted(by_tick):
        in_tick = by_tick[t]
        for k in range(stages):
            backwards = [i for i in in_tick if slots[i].work[k].backward is not None]
            pending[k] = pending[k] or bool(backwards)
            if pending[k] and (t + 1) % update_every == 0:
                i = (backwards or in_tick)[-1]
                marked[i][k] = dataclasses.replace(marked[i][k], update=True)
                pending[k] = False
    return [Slot(s.tick, tuple(w)) for s, w in zip(slots, marked)]


def pipeline_schedule(engine: str, stages: int, ticks: int, update_every: int = 1,
                      micro_batches: int = 4) -> list[Slot]:
    """Every slot of `ticks` ticks of `engine` on `stages` stages, in order."""
    if engine not in SIMULATED_ENGINES:
        raise ValueError(f"unknown engine. Received: engine={engine!r}")
    if stages < 1 or ticks < 0 or update_every < 1 or micro_batches < 1:
        raise ValueError(f"stages, update_every and micro_batches must be >= 1 and ticks >= 0. Received: "
                         f"stages={stages}, ticks={ticks}, update_every={update_every}, "
                         f"micro_batches={micro_batches}")
    K = stages
    slots: list[Slot] = []
    for t in range(ticks):
        if engine == "bp":
            for j in range(K):
                slots.append(Slot(t, tuple(StageWork(forward=t) if k == j else StageWork() for k in range(K))))
            for j in reversed(range(K)):
                slots.append(Slot(t, tuple(StageWork(backward=t, jacobian_at=t) if k == j else StageWork()
                                           for k in range(K))))
        elif engine == "sideways":
            work = []
            for k in range(K):
                grad = _valid(t - 2 * (K - 1) + k, ticks)
                work.append(StageWork(forward=_valid(t - k, ticks), backward=grad,
                                      jacobian_at=None if grad is None else t - k))
            slots.append(Slot(t, tuple(work)))
        elif engine == "dni":
            work = []
            for k in range(K):
                sample = _valid(t - k, ticks)
                fit = _valid(t - k - 2, ticks) if k < K - 1 else None
                work.append(StageWork(forward=sample, backward=sample, jacobian_at=sample, synthetic_fit=fit))
            slots.append(Slot(t, tuple(work)))
        else:  # gpipe: micro-batch m of tick t is sample t * M + m
            M = micro_batches
            for s in range(M + K - 1):
                slots.append(Slot(t, tuple(StageWork(forward=t * M + s - k) if 0 <= s - k < M else StageWork()
                                           for k in range(K))))
            for s in range(M + K - 1):
                slots.append(Slot(t, tuple(
                    StageWork(backward=t * M + m, jacobian_at=t * M + m) if 0 <= (m := s - (K - 1 - k)) < M
                    else StageWork() for k in range(K))))
    return _with_updates(slots, K, update_every)


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
