"""The engines `bp`, `sideways` and `dni` on one stage/buffer machinery, with the student trained alongside.

One call of `PipelineEngine.step` is one tick (trainer/schedule.py says what each stage does in it).
Between ticks the pipeline's state is a dict of tensors, `buffers`: what each stage will read at
the next tick. Within a `sideways` or `dni` tick every stage reads only the buffers of the last
tick, so the stages have no data dependencies between them and TensorFlow runs them concurrently,
each on its own device; `bp` has to run them one after another. Each stage has its own tape,
opened and read under the stage's device, so its backward pass runs there too, and its own
optimizer, whose state lives there.

Buffers, all of the previous tick (K stages; lists run over stage boundaries 0..K-2):
  act[b], label[b], ident[b], clip[b], valid[b]: what stage b produced for stage b+1: the activation
      and the label, id, clip and validity of the sample it belongs to (they ride with the activation);
  grad[b], grad_clip[b], grad_valid[b], grad_ident[b]: the gradient stage b+1 sent back w.r.t. its
      input, and the clip, validity and id of the sample whose loss it carries (sideways: the gradient stage b propagates next, only on rows
      whose current activation is of the same clip: a gradient never crosses a clip boundary, as
      truncated backprop through time never crosses a sequence boundary; dni: the target of stage b's
      synthetic-gradient model);
  stash1[b], stash2[b] (+ labels, dni): stage b's outputs one and two ticks ago, which the returned
      gradient of the same sample meets two ticks later;
  delay_x/y/ident/valid: the student's delay line, so that the student sees the input and label of
      the sample whose trainer output leaves the pipeline (K-1 ticks late for sideways and dni);
  stash_in_{k} (sideways with `stash_inputs`): stage k's inputs of the last 2(K-1-k) ticks, newest
      first: the oldest is the input of the sample whose gradient arrives, so that stage k recomputes
      its forward there and takes the Jacobian at the gradient's own sample (one more forward a tick);
  wstash_{k}_{j} (`stash_weights` too): stage k's trainable variable j at the start of each of those
      ticks, so that the recomputed forward also uses the weights the sample was forwarded with.
"""

from __future__ import annotations

from dataclasses import dataclass

import keras
import tensorflow as tf

from projnet.config import ObjectiveConfig
from projnet.projection.objective import cross_entropy, student_terms, trainer_loss
from projnet.registry import ENGINES
from projnet.trainer.device_streams import serialise_per_device
from projnet.trainer.stages import StagedTrainer


@dataclass
class EngineParts:
    """What an engine trains: the staged trainer, the student and one optimizer per stage."""

    staged: StagedTrainer
    student: keras.Model
    stage_optimizers: list[keras.optimizers.Optimizer]
    student_optimizer: keras.optimizers.Optimizer
    objective: ObjectiveConfig
    num_classes: int
    update_every: int = 1
    student_device: str | None = None  # None: wherever TensorFlow puts it (the client, for remote stages)
    synthetic_models: list[keras.Model] | None = None  # dni: one per stage boundary
    synthetic_optimizers: list[keras.optimizers.Optimizer] | None = None
    serial_devices: bool = True  # chain each device's ops, so that a device never borrows another's core
    stash_inputs: bool = False  # sideways, pipeline.staleness=stash: the Jacobian at the gradient's own sample
    stash_weights: bool = False  # and at the weights that sample was forwarded with (pipeline.staleness=weight_stash)


def build_synthetic_models(staged: StagedTrainer, num_classes: int, learning_rate: float, hidden: list[int] = ()
                           ) -> tuple[list[keras.Model], list[keras.optimizers.Optimizer]]:
    """A synthetic-gradient model per stage boundary, conditioned on the label (cDNI): linear, or `hidden`
    ReLU layers first (the DNI paper's MNIST models had two of 1024).

    It predicts B * dL/dh (the per-sample gradient) from [h, one_hot(y)]; its last layer starts at zero,
    so the first synthetic gradients are zero rather than noise (Jaderberg et al. 2016, Sec. 3).
    """
    models, optimizers = [], []
    for k, stage in enumerate(staged.stages[:-1]):
        width = int(stage.output_shape[-1])
        with tf.device(staged.devices[k]):
            model = keras.Sequential([keras.Input((width + num_classes,)),
                                      *[keras.layers.Dense(h, activation="relu") for h in hidden],
                                      keras.layers.Dense(width, kernel_initializer="zeros")],
                                     name=f"synthetic_gradient_{k}")
            optimizer = keras.optimizers.Adam(learning_rate)
            optimizer.build(model.trainable_variables)
        models.append(model)
        optimizers.append(optimizer)
    return models, optimizers


class PipelineEngine:
    """Walks ticks of one engine; `step` returns the new buffers and the tick's figures."""

    def __init__(self, engine: str, parts: EngineParts, batch_size: int, num_features: int):
        if engine not in ENGINES:
            raise ValueError(f"unknown engine. Received: engine={engine!r}")
        self.engine, self.parts = engine, parts
        self.stages, self.devices = parts.staged.stages, parts.staged.devices
        self.K = len(self.stages)
        self.delay = 0 if engine == "bp" else self.K - 1
        self.batch_size, self.num_features = batch_size, num_features
        self.accumulators = None
        if parts.update_every > 1:
            self.accumulators = []
            for stage, device in zip(self.stages, self.devices):
                with tf.device(device):
                    self.accumulators.append([tf.Variable(tf.zeros_like(v), trainable=False)
                                              for v in stage.trainable_variables])
        self._step = tf.function(self._tick, reduce_retracing=True)

    def initial_buffers(self) -> dict:
        """An empty pipeline: zeros everywhere, nothing valid."""
        B, bounds = self.batch_size, range(self.K - 1)
        width = [int(self.stages[b].output_shape[-1]) for b in bounds]
        zeros = lambda shape, dtype=tf.float32: tf.zeros(shape, dtype)  # noqa: E731
        buffers = {"act": [zeros((B, width[b])) for b in bounds], "label": [zeros((B,), tf.int32) for _ in bounds],
                   "ident": [zeros((B,), tf.int64) for _ in bounds], "clip": [zeros((B,), tf.int64) for _ in bounds],
                   "valid": [zeros(()) for _ in bounds], "grad": [zeros((B, width[b])) for b in bounds],
                   "grad_clip": [zeros((B,), tf.int64) for _ in bounds], "grad_valid": [zeros(()) for _ in bounds],
                   "grad_ident": [zeros((B,), tf.int64) for _ in bounds],  # the samples each gradient belongs to
                   "delay_x": [zeros((B, self.num_features)) for _ in range(self.delay)],
                   "delay_y": [zeros((B,), tf.int32) for _ in range(self.delay)],
                   "delay_ident": [zeros((B,), tf.int64) for _ in range(self.delay)],
                   "delay_valid": [zeros(()) for _ in range(self.delay)]}
        if self.engine == "dni":
            for name in ("stash1", "stash2"):
                buffers[name] = [zeros((B, width[b])) for b in bounds]
                buffers[name + "_label"] = [zeros((B,), tf.int32) for _ in bounds]
        if self.engine == "sideways" and self.parts.stash_inputs:
            inputs = [self.num_features] + width
            for k in bounds:
                buffers[f"stash_in_{k}"] = [zeros((B, inputs[k])) for _ in range(2 * (self.K - 1 - k))]
                for j, v in enumerate(self.stages[k].trainable_variables if self.parts.stash_weights else []):
                    with tf.device(self.devices[k]):  # beside the weights they copy
                        buffers[f"wstash_{k}_{j}"] = [tf.identity(v) for _ in range(2 * (self.K - 1 - k))]
        if self.engine == "bp":  # nothing crosses a tick boundary
            buffers = {k: [] for k in buffers}
        return buffers

    def step(self, x, y, ident, buffers: dict, updates: tuple[bool, ...], student_update: bool = True,
             clip=None) -> tuple[dict, dict]:
        """One tick; `updates[k]` says whether stage k applies its update at the end of it (the schedule's U).

        `student_update` is False while no trainer output has left the pipeline yet. `clip` names each
        row's clip in a smooth stream (None: one clip, as for shuffled batches: nothing is masked).
        """
        x = tf.convert_to_tensor(x, tf.float32)
        y = tf.convert_to_tensor(y, tf.int32)
        ident = tf.convert_to_tensor(ident, tf.int64)
        clip = tf.zeros_like(ident) if clip is None else tf.convert_to_tensor(clip, tf.int64)
        return self._step(x, y, ident, clip, buffers, tuple(bool(u) for u in updates), bool(student_update))

    # -- the tick -----------------------------------------------------------------------------------

    def _tick(self, x, y, ident, clip, buffers, updates, student_update):
        graph = tf.compat.v1.get_default_graph()  # the tick's FuncGraph while tracing
        self.traced_graph = graph  # op name -> device, for benchmarks/pipeline_trace.py
        first_op = len(graph.get_operations())
        new, figures = self._tick_ops(x, y, ident, clip, buffers, updates, student_update)
        if self.parts.serial_devices:
            serialise_per_device(graph, first_op)
        return new, figures

    def _tick_ops(self, x, y, ident, clip, buffers, updates, student_update):
        objective, K = self.parts.objective, self.K
        new = {key: [None] * len(value) for key, value in buffers.items()}
        grad_norms = [tf.constant(0.0)] * K
        synthetic_loss = tf.constant(0.0)
        none = tf.constant(-1, tf.int64)
        # per stage, the sample (ident of the batch's first row) it forwards, whose gradient it applies and
        # sends back, and whose activation that gradient's Jacobian is taken at; -1 for none: the pairing
        # test holds these to the schedule's table tick by tick
        forwarded, backward, jacobian_at = [none] * K, [none] * K, [none] * K
        if self.engine == "bp":
            logits, label, out_ident, valid, grad_norms = self._backprop(x, y, ident, updates)
            forwarded = backward = jacobian_at = [ident[0]] * K
        for k in range(K if self.engine != "bp" else 0):
            with tf.device(self.devices[k]):
                if k == 0:
                    a, label_in, ident_in, clip_in, valid_in = x, y, ident, clip, tf.constant(1.0)
                else:
                    a, label_in, clip_in = buffers["act"][k - 1], buffers["label"][k - 1], buffers["clip"][k - 1]
                    ident_in, valid_in = buffers["ident"][k - 1], buffers["valid"][k - 1]
                origin_clip = clip_in  # the clip of the sample whose gradient this stage sends back
                stage = self.stages[k]
                with tf.GradientTape() as tape:
                    if k > 0:  # stage 0's input is the data: no gradient to send back
                        tape.watch(a)
                    out = stage(a, training=True)
                    if k == K - 1:
                        loss = valid_in * trainer_loss(label_in, out, objective)
                sources = stage.trainable_variables + ([a] if k > 0 else [])
                holds = tf.where(valid_in > 0, ident_in[0], none)
                forwarded[k] = holds
                if k == K - 1 or self.engine == "dni":  # its own sample's (true or synthetic) gradient
                    origin_ident, origin_valid, backward[k], jacobian_at[k] = ident_in, valid_in, holds, holds
                else:  # sideways: the gradient stage k+1 sent at the last tick, through the activation held now
                    origin_ident, origin_valid = buffers["grad_ident"][k], buffers["grad_valid"][k]
                    backward[k] = tf.where(buffers["grad_valid"][k] > 0, origin_ident[0], none)
                    jacobian_at[k] = tf.where(buffers["grad_valid"][k] > 0, holds, none)
                if k == K - 1:
                    grads = tape.gradient(loss, sources)
                    logits, label, out_ident, valid = out, label_in, ident_in, valid_in
                elif self.engine == "sideways" and self.parts.stash_inputs:
                    origin_clip = buffers["grad_clip"][k]
                    grads = self._stashed_gradient(k, a, buffers, new)
                    jacobian_at[k] = backward[k]
                elif self.engine == "sideways":
                    origin_clip = buffers["grad_clip"][k]
                    same_clip = tf.cast(tf.equal(clip_in, origin_clip), tf.float32)[:, None]  # (batch, 1)
                    grads = tape.gradient(out, sources, output_gradients=buffers["grad"][k] * same_clip)
                else:  # dni: the synthetic gradient of this very sample
                    synthetic = valid_in * self._synthetic(k, out, label_in) / self.batch_size
                    grads = tape.gradient(out, sources, output_gradients=synthetic)
                    synthetic_loss += self._fit_synthetic(k, buffers)
                    new["stash2"][k], new["stash2_label"][k] = buffers["stash1"][k], buffers["stash1_label"][k]
                    new["stash1"][k], new["stash1_label"][k] = out, label_in
                grad_norms[k] = self._update(k, grads[:len(stage.trainable_variables)], updates[k])
                if k < K - 1:
                    new["act"][k], new["label"][k], new["ident"][k], new["valid"][k] = out, label_in, ident_in, valid_in
                    new["clip"][k] = clip_in
                if k > 0:
                    new["grad"][k - 1], new["grad_valid"][k - 1] = grads[-1], origin_valid
                    new["grad_clip"][k - 1], new["grad_ident"][k - 1] = origin_clip, origin_ident
        student_x, student_y, student_ident, student_valid = self._delayed(x, y, ident, buffers, new)
        student_terms = self._student_step(student_x, student_y, logits, student_valid, student_update)
        trainer_ce = cross_entropy(label, logits)
        figures = {"trainer_ce": trainer_ce, **student_terms, "valid": valid, "synthetic_loss": synthetic_loss,
                   "grad_norms": tf.stack(grad_norms), "trainer_ident": out_ident, "student_ident": student_ident,
                   "student_valid": student_valid, "forward_ident": tf.stack(forwarded),
                   "backward_ident": tf.stack(backward), "jacobian_ident": tf.stack(jacobian_at)}
        return new, figures

    def _backprop(self, x, y, ident, updates):
        """Exact backprop: forward through the stages in turn, then backward, each stage on its device."""
        tapes, inputs, outputs, a = [], [], [], x
        for k, stage in enumerate(self.stages):
            with tf.device(self.devices[k]):
                tape = tf.GradientTape()
                with tape:
                    if k > 0:
                        tape.watch(a)
                    out = stage(a, training=True)
                    if k == self.K - 1:
                        loss = trainer_loss(y, out, self.parts.objective)
                tapes.append(tape)
                inputs.append(a)
                outputs.append(out)
                a = out
        grad_norms, upstream = [None] * self.K, None
        for k in reversed(range(self.K)):
            with tf.device(self.devices[k]):
                weights = self.stages[k].trainable_variables
                sources = weights + ([inputs[k]] if k > 0 else [])  # stage 0's input is the data
                if k == self.K - 1:
                    grads = tapes[k].gradient(loss, sources)
                else:
                    grads = tapes[k].gradient(outputs[k], sources, output_gradients=upstream)
                grad_norms[k] = self._update(k, grads[:len(weights)], updates[k])
                upstream = grads[-1]
        return outputs[-1], y, ident, tf.constant(1.0), grad_norms

    def _stashed_gradient(self, k, a, buffers, new):
        """Stage k's gradients for the sample whose output gradient arrived, at that sample's own (stashed) input
        with today's weights; shifts the stash: `a` in, the oldest input out."""
        line = buffers[f"stash_in_{k}"]
        new[f"stash_in_{k}"] = [a] + line[:-1]
        stashed, stage = line[-1], self.stages[k]
        if not self.parts.stash_weights:
            with tf.GradientTape() as tape:
                if k > 0:
                    tape.watch(stashed)
                out = stage(stashed, training=True)
            sources = stage.trainable_variables + ([stashed] if k > 0 else [])
            return tape.gradient(out, sources, output_gradients=buffers["grad"][k])
        weights = []
        for j, variable in enumerate(stage.trainable_variables):
            old = buffers[f"wstash_{k}_{j}"]
            new[f"wstash_{k}_{j}"] = [tf.identity(variable)] + old[:-1]  # before this tick's update
            weights.append(old[-1])
        with tf.GradientTape() as tape:
            tape.watch(weights + ([stashed] if k > 0 else []))
            out, _ = stage.stateless_call(weights, [v.value for v in stage.non_trainable_variables], stashed,
                                          training=True)
        return tape.gradient(out, weights + ([stashed] if k > 0 else []), output_gradients=buffers["grad"][k])

    def _synthetic(self, k, h, labels):
        features = tf.concat([tf.stop_gradient(h), tf.one_hot(labels, self.parts.num_classes)], axis=-1)
        return self.parts.synthetic_models[k](features)  # (batch, width): predicted B * dL/dh

    def _fit_synthetic(self, k, buffers):
        """Regress stage k's synthetic model on the gradient stage k+1 returned for its output two ticks ago."""
        model, optimizer = self.parts.synthetic_models[k], self.parts.synthetic_optimizers[k]
        target = tf.stop_gradient(buffers["grad"][k]) * self.batch_size
        with tf.GradientTape() as tape:
            predicted = self._synthetic(k, buffers["stash2"][k], buffers["stash2_label"][k])
            loss = buffers["grad_valid"][k] * tf.reduce_mean(tf.reduce_sum(tf.square(predicted - target), axis=-1))
        optimizer.apply_gradients(zip(tape.gradient(loss, model.trainable_variables), model.trainable_variables))
        return loss

    def _update(self, k, grads, apply):
        """Apply (or accumulate) stage k's parameter (pseudo-)gradients; returns their global norm."""
        with tf.name_scope(f"update_stage_{k}"):  # the scopes name the trace's categories (pipeline_trace.py)
            self._apply(k, grads, apply)
        with tf.name_scope(f"grad_norm_stage_{k}"):
            return tf.linalg.global_norm(grads)

    def _apply(self, k, grads, apply):
        optimizer, variables = self.parts.stage_optimizers[k], self.stages[k].trainable_variables
        if self.accumulators is None:
            if apply:
                optimizer.apply_gradients(zip(grads, variables))
        else:
            for acc, g in zip(self.accumulators[k], grads):
                acc.assign_add(g)
            if apply:
                optimizer.apply_gradients(zip([acc / self.parts.update_every for acc in self.accumulators[k]],
                                              variables))
                for acc in self.accumulators[k]:
                    acc.assign(tf.zeros_like(acc))

    def _delayed(self, x, y, ident, buffers, new):
        """The input that entered `delay` ticks ago; shift the delay line by one."""
        if self.delay == 0:
            return x, y, ident, tf.constant(1.0)
        incoming = (x, y, ident, tf.constant(1.0))
        names = ("delay_x", "delay_y", "delay_ident", "delay_valid")
        for name, value in zip(names, incoming):
            new[name] = [value] + buffers[name][:-1]
        return tuple(buffers[name][-1] for name in names)

    def _student_step(self, x, y, trainer_logits, valid, apply):
        """The student's CE and distillation from the trainer output of the same sample, and its update."""
        objective, student = self.parts.objective, self.parts.student
        with tf.device(self.parts.student_device or ""), tf.name_scope("student_step"):  # forward, backward, update
            with tf.GradientTape() as tape:
                logits = student(x, training=True)
                loss, student_ce, distillation = student_terms(y, logits, tf.stop_gradient(trainer_logits), objective)
                loss = valid * loss
            if apply:
                grads = tape.gradient(loss, student.trainable_variables)
                self.parts.student_optimizer.apply_gradients(zip(grads, student.trainable_variables))
        return {"student_ce": student_ce, "distillation": distillation, "student_loss": loss}
