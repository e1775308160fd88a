"""The tick trace (benchmarks/pipeline_trace.py): every op of a real traced tick lands on its device and category."""

import tempfile
from pathlib import Path

import pytest
import tensorflow as tf

from projnet.trainer.tick_trace import CATEGORIES, UNPLACED, op_category, op_devices, summarise
from tests.trainer.test_pipeline_engines import _batches, _config, _engine, digits  # noqa: F401  (fixture)
from projnet.trainer.schedule import TickUpdates


@pytest.mark.parametrize("name, op_type, category", [
    ("trainer_stage_1_1/trainer_hidden_4_1/Relu", "_MklNativeFusedMatMul", "forward"),
    ("gradient_tape/trainer_stage_0_1/trainer_hidden_1_1/MatMul/MatMul_1", "_MklMatMul", "backward"),
    ("update_stage_1/fused_adam/ResourceApplyAdam_2", "ResourceApplyAdam", "update"),
    ("grad_norm_stage_0/global_norm/L2Loss", "L2Loss", "grad_norm"),
    ("student_step/gradient_tape/student_1/student_hidden_0_1/MatMul/MatMul", "_MklMatMul", "student"),
    ("student_step/fused_adam/ResourceApplyAdam", "ResourceApplyAdam", "student"),
    ("gradient_tape/synthetic_gradient_0_1/dense_1/MatMul", "_MklMatMul", "synthetic"),
    ("buffers_4/_8", "_Send", "transfer"),
    ("SparseSoftmaxCrossEntropyWithLogits/SparseSoftmaxCrossEntropyWithLogits", "SparseSoftmaxCrossEntropyWithLogits",
     "other"),
])
def test_op_category(name, op_type, category):
    assert op_category(name, op_type) == category


def test_a_trace_without_the_tick_is_refused():
    from tensorflow.tsl.profiler.protobuf import xplane_pb2

    space = xplane_pb2.XSpace()
    space.planes.add(name="/host:CPU")
    with pytest.raises(ValueError, match="no call of '_tick'"):
        summarise(space.SerializeToString(), {})
    with pytest.raises(ValueError, match="no /host:CPU plane"):
        summarise(xplane_pb2.XSpace().SerializeToString(), {})


def test_a_traced_sideways_tick_is_attributed_to_its_stages_devices(digits):  # noqa: F811
    """Three stages on three logical CPUs: each stage's forward, backward and update on its own device, the
    student on the device the engine chose for it and nowhere else, no device busier than the tick."""
    config, warmup, traced = _config("sideways", 3), 6, 4
    engine, _ = _engine(config, digits, warmup + traced)
    updates, buffers = TickUpdates("sideways", 3, warmup + traced, 1), engine.initial_buffers()
    with tempfile.TemporaryDirectory() as logdir:
        for t, (x, y, ident, clip) in enumerate(_batches(digits, warmup + traced)):
            if t == warmup:
                tf.profiler.experimental.start(logdir)
            buffers, figures = engine.step(x, y, ident, buffers, updates[t], t >= engine.delay, clip)
            float(figures["trainer_ce"])
        tf.profiler.experimental.stop()
        summary = summarise(next(Path(logdir).rglob("*.xplane.pb")).read_bytes(), op_devices(engine.traced_graph))
    assert summary["ticks"] == traced
    student_device = tf.DeviceSpec.from_string(engine.parts.student_device)
    student_device = f"{student_device.device_type}:{student_device.device_index}"
    for k in range(3):
        cells = summary["devices"][f"CPU:{k}"]
        assert cells["forward"] > 0 and cells["backward"] > 0 and cells["update"] > 0, (k, cells)
        assert (cells["student"] > 0) == (f"CPU:{k}" == student_device), (k, cells)
        assert cells["busy"] <= summary["tick_ms_mean"] * 1.02, (k, cells, summary["tick_ms_mean"])
    unplaced = summary["devices"].get(UNPLACED, dict.fromkeys(CATEGORIES, 0.0))
    assert unplaced["forward"] == unplaced["backward"] == unplaced["update"] == unplaced["student"] == 0.0, summary["unplaced_ops"]
    assert summary["busiest_device_ms"] == max(summary["devices"][f"CPU:{k}"]["busy"] for k in range(3))
