"""The joint ProjectionNet objective.

L = l1 * CE(y, trainer) + l2 * CE(y, student) + l3 * T^2 * KL(softmax(trainer/T) || softmax(student/T))

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


def joint_objective(labels: tf.Tensor, trainer_logits: tf.Tensor, student_logits: tf.Tensor,
                    objective: ObjectiveConfig) -> ObjectiveTerms:
    """Batch-mean loss terms; `labels` are int class ids of shape (batch,)."""
    trainer_ce = tf.reduce_mean(tf.nn.sparse_softmax_cross_entropy_with_logits(labels, trainer_logits))
    student_ce = tf.reduce_mean(tf.nn.sparse_softmax_cross_entropy_with_logits(labels, student_logits))
    teacher = trainer_logits if objective.distill_into_trainer else tf.stop_gradient(trainer_logits)
    t = objective.temperature
    teacher_probs = tf.nn.softmax(teacher / t)  # (batch, classes)
    kl = tf.reduce_sum(teacher_probs * (tf.nn.log_softmax(teacher / t) - tf.nn.log_softmax(student_logits / t)),
                       axis=-1)  # (batch,)
    distillation = t * t * tf.reduce_mean(kl)
    total = (objective.trainer_weight * trainer_ce + objective.student_weight * student_ce
             + objective.distill_weight * distillation)
    return ObjectiveTerms(total, trainer_ce, student_ce, distillation)
