"""Which device each pipeline stage runs on: GPUs, logical CPU devices, or TensorFlow workers elsewhere.

Default: every GPU when there are GPUs; else K logical CPU devices with one intra-op thread each,
so that one core models one accelerator (logical devices add no parallelism of their own; what
runs concurrently is decided by the ops' data dependencies and the inter-op pool). Remote stages are
`tf.distribute.Server` workers named by `--cluster host:port,...`, whose devices are
`/job:worker/task:N/device:CPU:0`. Both must be set up before TensorFlow runs its first op.
"""

from __future__ import annotations

import socket
import sys

import tensorflow as tf

from projnet.errors import ProjnetError, UsageError

CONNECT_TIMEOUT_S = 5.0  # a worker that has not accepted a TCP connection by then is reported, not waited for


def logical_cpus(count: int) -> list[str]:
    """`count` logical CPU devices with one intra-op thread each (or the ones already configured)."""
    cpu = tf.config.list_physical_devices("CPU")[0]
    try:
        tf.config.set_logical_device_configuration(cpu, [tf.config.LogicalDeviceConfiguration()] * count)
        tf.config.threading.set_intra_op_parallelism_threads(1)
        # one inter-op thread per stage: measured on 2 cores, 2 threads ran two stages' forward + backward in
        # 16.2 ms against 14.4 ms for the slower alone; 4 threads took 19.7 ms, 8 took 21.3 (oversubscribed)
        tf.config.threading.set_inter_op_parallelism_threads(count)
    except RuntimeError:  # TensorFlow already runs: use what it has
        pass
    have = [d.name for d in tf.config.list_logical_devices("CPU")]
    if len(have) < count:
        raise ProjnetError(f"{count} stages need {count} logical CPU devices but TensorFlow was started with "
                           f"{len(have)}; set the stages up before any TensorFlow work, or pass --devices")
    return have[:count]


def parse_address(address: str) -> tuple[str, int]:
    host, sep, port = address.rpartition(":")
    if not sep or not host or not port.isdigit() or not 0 < int(port) < 65536:
        raise UsageError(f"a cluster worker must be host:port. Received: {address!r}")
    return host, int(port)


def connect_cluster(addresses: list[str], timeout_s: float = CONNECT_TIMEOUT_S) -> list[str]:
    """Check every worker answers within `timeout_s`, connect to the cluster, return the workers' CPU devices."""
    for address in addresses:
        host, port = parse_address(address)
        try:
            socket.create_connection((host, port), timeout=timeout_s).close()
        except OSError as exc:
            raise ProjnetError(f"cannot reach cluster worker {address} within {timeout_s:g} s "
                               f"({exc.strerror or exc}); is its tf.distribute.Server running?") from None
    tf.config.experimental_connect_to_cluster(tf.train.ClusterSpec({"worker": list(addresses)}))
    return [f"/job:worker/task:{i}/device:CPU:0" for i in range(len(addresses))]


def resolve_devices(stages: int, devices: list[str], cluster: list[str], share_devices: bool) -> list[str]:
    """One device per stage; fewer devices than stages is refused unless sharing was asked for."""
    if cluster:
        available = connect_cluster(cluster)
        available = devices or available
    elif devices:
        cpu_indices = [tf.DeviceSpec.from_string(d).device_index for d in devices
                       if (tf.DeviceSpec.from_string(d).device_type or "").upper() == "CPU"]
        if cpu_indices:  # /CPU:1 exists only once logical CPU devices are configured
            logical_cpus(max(i or 0 for i in cpu_indices) + 1)
        available = list(devices)
    elif tf.config.list_physical_devices("GPU"):
        available = [d.name for d in tf.config.list_logical_devices("GPU")]
    else:
        available = logical_cpus(stages)
    known = {d.name for d in tf.config.list_logical_devices()}
    for device in available:
        if not device.startswith("/job:worker") and _canonical(device) not in known:
            raise UsageError(f"unknown device {device!r}; this machine has: {', '.join(sorted(known))}")
    if len(available) < stages:
        if not share_devices:
            raise UsageError(f"pipeline.stages={stages} needs {stages} devices but only {len(available)} "
                             f"({', '.join(available)}) are given; pass --share-devices to put several "
                             f"stages on one device")
        print(f"warning: {stages} stages share {len(available)} device(s); stages on one device do not "
              f"run in parallel", file=sys.stderr)
    return [available[k % len(available)] for k in range(stages)]


def _canonical(device: str) -> str:
    """'/GPU:0' and '/device:GPU:0' as TensorFlow lists them: '/device:GPU:0'."""
    spec = tf.DeviceSpec.from_string(device)
    return f"/device:{spec.device_type}:{spec.device_index}" if spec.device_type else device
