"""The joint ProjectionNet objective.

L = l1 * CE(y, trainer) + l2 * CE(y, student) + l3 * T^2 * KL(softmax(trainer/T) || softmax(student/T))

An optional fourth term distils on mixup interpolations of the batch, x~ = lam x + (1 - lam) x_perm:
l4 * T^2 * KL(trainer(x~) || student(x~)). It enlarges the student's transfer set beyond the labelled
rows and needs no labels (measured effect on digits: README, benchmarks).

The T^2 factor keeps the distillation gradients' scale independent of the temperature (Hinton et
al. 2015). By default the trainer's logits pass through stop_gradient in the KL term, so the
student learns from the trainer without pulling the trainer towards itself.
"""

from __future__ import annotations

from dataclasses import dataclass

import tensorflow as tf

from projnet.config import ObjectiveConfig


@dataclass
class ObjectiveTerms:
    total: tf.Tensor
    trainer_ce: tf.Tensor
    student_ce: tf.Tensor
    distillation: tf.Tensor


def cross_entropy(labels: tf.Tensor, logits: tf.Tensor) -> tf.Tensor:
    """Batch-mean CE of int class ids (batch,) against logits (batch, classes)."""
    return tf.reduce_mean(tf.nn.sparse_softmax_cross_entropy_with_logits(labels, logits))


def trainer_loss(labels: tf.Tensor, trainer_logits: tf.Tensor, objective: ObjectiveConfig) -> tf.Tensor:
    """l1 * CE(y, trainer): the trainer's own term, which every engine's last stage minimises."""
    return objective.trainer_weight * cross_entropy(labels, trainer_logits)


def student_terms(labels: tf.Tensor, student_logits: tf.Tensor, teacher_logits: tf.Tensor,
                  objective: ObjectiveConfig) -> tuple[tf.Tensor, tf.Tensor, tf.Tensor]:
    """(l2 * CE + l3 * T^2 KL, CE, KL): the student's terms; the caller decides whether the teacher's
    logits carry a gradient (only the joint loop's distill_into_trainer lets them)."""
    student_ce = cross_entropy(labels, student_logits)
    distillation = distillation_kl(teacher_logits, student_logits, objective.temperature)
    return objective.student_weight * student_ce + objective.distill_weight * distillation, student_ce, distillation


def joint_objective(labels: tf.Tensor, trainer_logits: tf.Tensor, student_logits: tf.Tensor,
                    objective: ObjectiveConfig) -> ObjectiveTerms:
    """Batch-mean loss terms; `labels` are int class ids of shape (batch,)."""
    trainer_ce = cross_entropy(labels, trainer_logits)
    teacher = trainer_logits if objective.distill_into_trainer else tf.stop_gradient(trainer_logits)
    _, student_ce, distillation = student_terms(labels, student_logits, teacher, objective)
    # summed in this order (l1 + l2 + l3) so that runs stay bit-identical to earlier releases
    total = (objective.trainer_weight * trainer_ce + objective.student_weight * student_ce
             + objective.distill_weight * distillation)
    return ObjectiveTerms(total, trainer_ce, student_ce, distillation)


def distillation_kl(teacher_logits: tf.Tensor, student_logits: tf.Tensor, temperature: float) -> tf.Tensor:
    """T^2 * mean over the batch of KL(softmax(teacher/T) || softmax(student/T))."""
    t = temperature
    teacher_log_probs = tf.nn.log_softmax(teacher_logits / t)  # (batch, classes)
    kl = tf.reduce_sum(tf.exp(teacher_log_probs) * (teacher_log_probs - tf.nn.log_softmax(student_logits / t)),
                       axis=-1)  # (batch,)
    return t * t * tf.reduce_mean(kl)


def mixup_inputs(x: tf.Tensor, generator: tf.random.Generator) -> tf.Tensor:
    """Each row mixed with a random partner from the same batch, lam ~ U(0, 1) per row.

    Draws from an explicit generator, whose state a checkpoint can hold, so a resumed run mixes
    exactly the rows the uninterrupted run would have mixed.
    """
    batch = tf.shape(x)[0]
    lam = generator.uniform((batch, 1), dtype=x.dtype)  # (batch, 1)
    partners = tf.gather(x, tf.argsort(generator.uniform((batch,))))  # a random permutation of the batch
    return lam * x + (1.0 - lam) * partners
