"""Where a pipeline tick's time goes: a profiler trace (XSpace) of some ticks, summed per device and kind of work.

TensorFlow's profiler records one event per op run on the host's executor threads, named
"op_name:OpType". The tick's FuncGraph says which device each op was placed on, and the engine's name
scopes (pipeline_engines.py) say what the op is for, so every op lands in one (device, category)
cell. Per device, the sum of its cells is the time it was busy in a tick; the rest of the tick it
waited (for the other devices' outputs, for the host). With one core per device and each device's
ops chained (device_streams.py), the busiest device bounds the tick from below: the tick minus that
bound is what did not overlap.

Only the host plane is read: the logical CPU devices of one machine, which is what CI and this
project's benchmarks have. A GPU's kernels live on planes of their own and are not attributed here
(`gpu_planes` in the summary counts them, so a reader knows the table is partial).
"""

from __future__ import annotations

import statistics
from collections import defaultdict

CATEGORIES = ("forward", "backward", "update", "student", "synthetic", "grad_norm", "transfer", "other")
TRANSFER_OPS = frozenset({"_Send", "_Recv", "_HostSend", "_HostRecv"})
CALL_OPS = frozenset({"PartitionedCall", "StatefulPartitionedCall"})  # they enclose ops counted on their own
UNPLACED = "unplaced"


def op_category(op_name: str, op_type: str) -> str:
    """What an op of the tick is for, from its type and the engine's name scopes."""
    if op_type in TRANSFER_OPS:
        return "transfer"
    first = op_name.split("/", 1)[0]
    if first == "student_step":
        return "student"
    if "synthetic_gradient_" in op_name:
        return "synthetic"
    if first.startswith("update_stage_"):
        return "update"
    if first.startswith("grad_norm_stage_"):
        return "grad_norm"
    if first == "gradient_tape" and "trainer_stage_" in op_name:
        return "backward"
    if first.startswith("trainer_stage_"):
        return "forward"
    return "other"


def op_devices(graph) -> dict[str, str]:
    """Op name or name scope -> its device, short form ("CPU:1"), for a traced graph.

    The placer, not the graph, puts some ops (a variable's ReadVariableOp goes beside the variable), so
    every name scope whose placed ops all share one device maps to it too: a stage's scope is its device's.
    """
    import tensorflow as tf

    devices: dict[str, str] = {}
    scopes: dict[str, set[str]] = defaultdict(set)
    for op in graph.get_operations():
        if op.device:
            spec = tf.DeviceSpec.from_string(op.device)
            devices[op.name] = f"{spec.device_type}:{spec.device_index}"
            scope = op.name
            while "/" in scope:
                scope = scope.rpartition("/")[0]
                scopes[scope].add(devices[op.name])
    for scope, found in scopes.items():
        if len(found) == 1 and scope not in devices:
            devices[scope] = next(iter(found))
    return devices


def _device(op_name: str, device_of: dict[str, str]) -> str:
    """The op's device, or that of its nearest enclosing name scope: the runtime names the nodes it adds (a
    variable's read, a fused op's parts) under the op they serve."""
    while op_name:
        if op_name in device_of:
            return device_of[op_name]
        op_name = op_name.rpartition("/")[0]
    return UNPLACED


def _op_event(name: str) -> tuple[str, str] | None:
    """("op_name", "OpType") of an executor event, None for the executor's own events ("ExecutorState::...")."""
    if "::" in name or " " in name or ":" not in name:
        return None
    op_name, op_type = name.rsplit(":", 1)
    return (op_name, op_type) if op_type not in CALL_OPS else None


def summarise(xspace: bytes, device_of: dict[str, str], tick_function: str = "_tick") -> dict:
    """Per-tick milliseconds per device and category, the tick itself, and what did not overlap."""
    from tensorflow.tsl.profiler.protobuf import xplane_pb2

    space = xplane_pb2.XSpace.FromString(xspace)
    host = next((p for p in space.planes if p.name == "/host:CPU"), None)
    if host is None:
        raise ValueError("the trace has no /host:CPU plane")
    ticks, executed = [], 0
    busy_ps: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    unplaced_ps: dict[str, int] = defaultdict(int)  # the ops no device claims, by name: what a reader checks first
    for line in host.lines:
        for event in line.events:
            name = host.event_metadata[event.metadata_id].name
            if name == tick_function:
                ticks.append(event.duration_ps)
            elif name.startswith("EagerLocalExecute: __inference_" + tick_function):
                executed += event.duration_ps
            elif (op := _op_event(name)) is not None:
                device = UNPLACED if op[1] in TRANSFER_OPS else _device(op[0], device_of)
                busy_ps[device][op_category(*op)] += event.duration_ps
                if device == UNPLACED:
                    unplaced_ps[name] += event.duration_ps
    if not ticks:
        raise ValueError(f"the trace holds no call of {tick_function!r}")
    n, ms = len(ticks), lambda ps: round(ps / n / 1e9, 3)  # noqa: E731  (ps summed over n ticks -> ms per tick)
    devices = {device: {c: ms(cells.get(c, 0)) for c in CATEGORIES} for device, cells in sorted(busy_ps.items())}
    for cells in devices.values():
        cells["busy"] = round(sum(cells[c] for c in CATEGORIES), 3)
    tick_ms = round(statistics.median(ticks) / 1e9, 3)
    placed = [cells["busy"] for device, cells in devices.items() if device != UNPLACED]
    bound = max(placed, default=0.0)
    return {"ticks": n, "tick_ms": tick_ms, "tick_ms_mean": ms(sum(ticks)),
            "dispatch_ms": ms(sum(ticks) - executed),  # the Python side of a call: arguments, lookup, return
            "devices": devices, "busiest_device_ms": bound,
            "not_overlapped_ms": round(tick_ms - bound, 3),
            "overlap": round(sum(placed) / tick_ms, 3) if tick_ms else 0.0,  # devices busy at once, on average
            "unplaced_ops": {k: ms(v) for k, v in sorted(unplaced_ps.items(), key=lambda kv: -kv[1])[:8]},
            "gpu_planes": sum(p.name.startswith("/device:GPU") for p in space.planes)}
