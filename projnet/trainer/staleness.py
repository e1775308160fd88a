"""Corrections for Sideways' stale gradients (`pipeline.staleness`), chosen by measurement (README, "Pipelines").

In a `sideways` tick stage k applies the gradient of a sample it forwarded 2(K-1-k) ticks ago, taken
through the Jacobian at the activation it holds now (trainer/schedule.py): the deeper the pipeline and
the earlier the stage, the older and the more mismatched its gradient. The methods (their names: registry.STALENESS_METHODS):
- "auto", the default: "age_lr" for sideways, "none" for the engines that have no stale gradient
  (`resolved`): the one measured to help (README, "Staleness at depth");
- "none": every stage at the run's learning rate;
- "age_lr": PipeMare's learning-rate rescheduling (Yang et al. 2021), made steeper: stage k's rate
  divided by age_k^(e p), e = `pipeline.age_exponent` (2; PipeMare's is 1), with p falling linearly
  from 1 to 0 over `pipeline.age_fade_epochs` (0, the default: p = 1 for the whole run), so the oldest
  gradients take the smallest steps. At K = 2 (1024x6, Fashion smooth stream, seeds 0/1/2) e = 1 left
  sideways 1.11-1.29 points behind bp and e = 2 0.50-0.83; at K = 4, 1.91 against 2.75 (seed 0);
- "bp_warmup": the first `pipeline.warmup_epochs` epochs train with exact backprop over the same stages,
  devices and optimizers, then the pipeline fills and Sideways takes over from a trained start;
- "stash": stage k keeps its inputs of the last 2(K-1-k) ticks and takes the Jacobian of an arriving
  gradient at that gradient's own sample (recomputing its forward there: one more forward a tick)
  instead of at the activation it holds now; the gradient is still 2(K-1-k) updates old. This is
  PipeDream's activation stashing without its weight stashing, and no longer Sideways' approximation;
- "weight_stash": "stash", and the recomputed forward also uses the weights the sample was forwarded
  with (PipeDream's weight stashing, Narayanan et al. 2019): each gradient is the exact gradient of the
  model versions the sample met, applied 2(K-1-k) updates late; 2(K-1-k) copies of stage k's weights.
- "age_lr+weight_stash": both at once: each gradient exact for the sample and the weights it met, and
  applied with age_lr's per-stage rate. At K = 4 (seeds 0/1/2) it was 0.09-0.23 points closer to bp than
  age_lr alone on every seed; "stash" with age_lr was not (seed 0, README "Staleness at depth").
- "age_lr+bp_warmup": bp_warmup's backprop epochs at the full rate, then age_lr's rates for the pipeline:
  the early stages, whose steps age_lr shrinks most, keep the features backprop gave them instead of
  staying near their initialisation. At K = 8 (1024x10, seeds 0/1/2) 2.32 / 2.13 / 1.76 points behind bp with
  `pipeline.age_exponent=1` against age_lr's 3.84, at K = 4 0.92 against 1.37 (README, "A backprop
  start at depth"); it spends its warm-up epochs at bp's speed, so `auto` stays age_lr.
`bp` has no stale gradient and `dni`'s stages update from a synthetic gradient of the very sample they
forward: both refuse a method (`refusal`). No TensorFlow here: the config check reads this module
before TensorFlow starts; the rate schedule itself is `AgeScaledRate` in trainer/pipeline_training.py.
"""

from __future__ import annotations

STALE_ENGINES = ("sideways",)  # the engines whose stages apply gradients older than their weights


def scales_rate_by_age(method: str) -> bool:
    """Whether a resolved method divides each stage's rate by its gradient's age (age_lr's part)."""
    return "age_lr" in method.split("+")  # a combined method names its parts: "age_lr+weight_stash"


def stashes(method: str) -> tuple[bool, bool]:
    """Whether a resolved method stashes each stage's inputs, and its weights too (PipeDream's parts)."""
    parts = method.split("+")
    weights = "weight_stash" in parts
    return weights or "stash" in parts, weights


def warms_up(method: str) -> bool:
    """Whether a resolved method trains its first `pipeline.warmup_epochs` with exact backprop (bp_warmup's part)."""
    return "bp_warmup" in method.split("+")


def gradient_age(engine: str, stages: int, k: int) -> int:
    """Ticks between stage k's forward of a sample and the update that applies that sample's gradient."""
    return 2 * (stages - 1 - k) if engine in STALE_ENGINES else 0


def resolved(method: str, engine: str) -> str:
    """The method a run uses: "auto" picks "age_lr" where gradients are stale, else "none"."""
    if method != "auto":
        return method
    return "age_lr" if engine in STALE_ENGINES else "none"


def refusal(method: str, engine: str) -> str | None:
    """Why `method` cannot be used with `engine`, or None where it can ("auto" always can)."""
    if method in ("auto", "none") or engine in STALE_ENGINES:
        return None
    why = {"bp": "exact backprop applies every gradient to the weights it was taken at",
           "dni": "each dni stage updates from a synthetic gradient of the very sample it forwards"}
    return (f"pipeline.staleness={method} corrects stale gradients, and pipeline.engine={engine} has none: "
            f"{why.get(engine, 'its gradients are not stale')}; use it with pipeline.engine=sideways")
