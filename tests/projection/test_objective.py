import numpy as np
import pytest
import tensorflow as tf

from projnet.config import ObjectiveConfig
from projnet.projection.objective import joint_objective


def _log_softmax(z):
    z = z - z.max(axis=-1, keepdims=True)
    return z - np.log(np.exp(z).sum(axis=-1, keepdims=True))


def test_terms_match_a_numpy_reference():
    rng = np.random.default_rng(0)
    labels = np.array([0, 2, 1, 2])
    t_logits, s_logits = rng.standard_normal((4, 3)), rng.standard_normal((4, 3))
    cfg = ObjectiveConfig(trainer_weight=0.5, student_weight=2.0, distill_weight=3.0, temperature=4.0)
    terms = joint_objective(tf.constant(labels), tf.constant(t_logits), tf.constant(s_logits), cfg)
    ce_t = -_log_softmax(t_logits)[np.arange(4), labels].mean()
    ce_s = -_log_softmax(s_logits)[np.arange(4), labels].mean()
    p, log_p, log_q = np.exp(_log_softmax(t_logits / 4)), _log_softmax(t_logits / 4), _log_softmax(s_logits / 4)
    kl = 16 * (p * (log_p - log_q)).sum(axis=1).mean()
    np.testing.assert_allclose(float(terms.trainer_ce), ce_t, rtol=1e-6)
    np.testing.assert_allclose(float(terms.student_ce), ce_s, rtol=1e-6)
    np.testing.assert_allclose(float(terms.distillation), kl, rtol=1e-6)
    np.testing.assert_allclose(float(terms.total), 0.5 * ce_t + 2 * ce_s + 3 * kl, rtol=1e-6)


@pytest.mark.parametrize("distill_into_trainer", [False, True])
def test_stop_gradient_switch(distill_into_trainer):
    """Only the distillation term: its gradient reaches the trainer's logits only when switched on."""
    rng = np.random.default_rng(1)
    t_logits = tf.Variable(rng.standard_normal((8, 5)), dtype=tf.float32)
    s_logits = tf.Variable(rng.standard_normal((8, 5)), dtype=tf.float32)
    cfg = ObjectiveConfig(trainer_weight=0.0, student_weight=0.0, distill_weight=1.0,
                          distill_into_trainer=distill_into_trainer)
    with tf.GradientTape() as tape:
        total = joint_objective(tf.constant(rng.integers(0, 5, 8)), t_logits, s_logits, cfg).total
    grad_trainer, grad_student = tape.gradient(total, [t_logits, s_logits])
    assert float(tf.reduce_max(tf.abs(grad_student))) > 1e-3
    if distill_into_trainer:
        assert float(tf.reduce_max(tf.abs(grad_trainer))) > 1e-3
    else:
        assert grad_trainer is None or float(tf.reduce_max(tf.abs(grad_trainer))) == 0.0


def test_distillation_is_zero_when_the_student_matches():
    logits = tf.constant(np.random.default_rng(2).standard_normal((6, 4)), dtype=tf.float32)
    terms = joint_objective(tf.constant([0, 1, 2, 3, 0, 1]), logits, logits, ObjectiveConfig())
    assert abs(float(terms.distillation)) < 1e-6
