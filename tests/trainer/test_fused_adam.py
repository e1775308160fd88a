"""FusedAdam (TensorFlow's fused kernel) against Keras' Adam, which it replaces in pipelined runs."""

import keras
import numpy as np
import pytest
import tensorflow as tf

from projnet.trainer.fused_adam import FusedAdam


def _train(optimizer, steps: int = 6, seed: int = 0) -> list[np.ndarray]:
    rng = np.random.default_rng(seed)
    variables = [keras.Variable(rng.normal(size=shape).astype("float32")) for shape in ((7, 5), (5,))]
    optimizer.build(variables)

    @tf.function
    def step(grads):
        optimizer.apply_gradients(zip(grads, variables))

    for _ in range(steps):
        step([tf.constant(rng.normal(size=v.shape).astype("float32")) for v in variables])
    return [v.numpy() for v in variables] + [v.numpy() for v in optimizer.variables]


@pytest.mark.parametrize("schedule", ["constant", "cosine"])
def test_fused_adam_equals_keras_adam(schedule):
    def rate():
        return 1e-2 if schedule == "constant" else keras.optimizers.schedules.CosineDecay(1e-2, decay_steps=6)

    fused, plain = _train(FusedAdam(rate())), _train(keras.optimizers.Adam(rate()))
    assert len(fused) == len(plain)  # same state variables: checkpoints hold the same arrays
    for a, b in zip(fused, plain):
        np.testing.assert_allclose(a, b, rtol=1e-6, atol=1e-6)
    assert not np.allclose(fused[0], _train(keras.optimizers.Adam(1e-3))[0], atol=1e-4)  # the rate matters


def test_fused_adam_moves_weights_against_the_gradient():
    w = keras.Variable(np.zeros(3, np.float32))
    optimizer = FusedAdam(0.1)
    optimizer.build([w])
    optimizer.apply_gradients([(tf.constant([1.0, -1.0, 0.0]), w)])
    np.testing.assert_allclose(w.numpy(), [-0.1, 0.1, 0.0], atol=1e-5)  # Adam's first step is lr * sign(g)
