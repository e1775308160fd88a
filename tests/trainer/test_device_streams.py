"""Each device of a traced tick runs its ops one at a time (trainer/device_streams.py); results do not change."""

import numpy as np
import tensorflow as tf

from projnet.trainer.device_streams import serialise_per_device
from tests.trainer.test_pipeline_engines import _config, _run, _weights, digits  # noqa: F401 (a fixture)


def _canonical(device: str) -> str:
    return tf.DeviceSpec.from_string(device).to_string()


def test_independent_ops_of_one_device_are_chained_and_other_devices_left_free():
    graph = tf.Graph()
    with graph.as_default():
        a = tf.constant(np.ones((4, 4), np.float32))
        with tf.device("/CPU:0"):
            first, second = tf.matmul(a, a, name="first"), tf.matmul(a, a, name="second")
        with tf.device("/CPU:1"):
            other = tf.matmul(a, a, name="other")
        chained = serialise_per_device(graph, first_op=1)  # past the constant, which has no device
    assert second.op.control_inputs == [first.op]  # the second matmul now waits for the first, in creation order
    assert first.op.control_inputs == [] and other.op.control_inputs == []  # CPU:1 does not wait for CPU:0
    assert chained == {tf.DeviceSpec.from_string(first.op.device).to_string(): 2}


def _tick_graph(engine, digits):
    from projnet.data.streams import training_stream

    x, y, ident, clip = next(training_stream("smooth", digits.x_train, digits.y_train, (8, 8, 1), 16, 0, 1))
    args = [tf.constant(x, tf.float32), tf.constant(y, tf.int32), tf.constant(ident, tf.int64), tf.constant(clip)]
    return engine._step.get_concrete_function(*args, engine.initial_buffers(), (True, True), True).graph


def test_a_sideways_tick_runs_one_op_at_a_time_per_device(digits):  # noqa: F811
    engine, _, _ = _run(_config("sideways", 2), digits, 3)
    graph = _tick_graph(engine, digits)
    per_device = {}
    for op in graph.get_operations():
        if op.device:
            per_device.setdefault(_canonical(op.device), []).append(op)
    assert len(per_device) == 2
    for device, ops in per_device.items():
        assert len(ops) > 50  # forward, backward and the optimizer's update
        for previous, op in zip(ops, ops[1:]):
            assert previous in op.control_inputs, f"{op.name} on {device} does not wait for {previous.name}"
        for op in ops:  # nothing waits for an op of the other device but data: the stages still overlap
            assert all(_canonical(c.device) == device for c in op.control_inputs if c.device)


def test_serial_devices_change_no_number(digits):  # noqa: F811
    for engine in ("bp", "sideways"):
        serial, _, _ = _run(_config(engine, 2, serial_devices=True), digits, 12)
        free, _, _ = _run(_config(engine, 2, serial_devices=False), digits, 12)
        for a, b in zip(_weights(serial), _weights(free)):
            np.testing.assert_allclose(a, b, atol=1e-6)
