"""A TensorFlow worker that hosts pipeline stages for a trainer running elsewhere.

Start one per machine (or per port on one machine) with the same cluster list, then train with
`projnet train-and-export --cluster host:port,host:port ...`: stage k runs on worker k.
"""

from __future__ import annotations

import time

from projnet.trainer.devices import parse_address


def check_port_free(address: str) -> None:
    """Refuse, in one line, a port another process holds: gRPC would log noise, then raise UnknownError."""
    import socket

    from projnet.errors import ProjnetError

    _, port = parse_address(address)
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as gRPC does: a TIME_WAIT port is free
        try:
            probe.bind(("", port))  # every interface, where the gRPC server listens
        except OSError as exc:
            raise ProjnetError(f"cannot serve on {address}: {exc.strerror or exc} (another process holds the port?); "
                               f"pick another port in --cluster") from None


def serve(cluster: list[str], task: int, lifetime_s: float = 0.0, threads: int = 0) -> None:
    """Run worker `task` of `cluster` until killed, or for `lifetime_s` seconds when that is positive.

    `threads` > 0 caps both of the worker's thread pools, so that one worker process models one
    accelerator that runs one op at a time (0: TensorFlow's defaults, every core).
    """
    import tensorflow as tf

    for address in cluster:
        parse_address(address)
    if not 0 <= task < len(cluster):
        from projnet.errors import UsageError

        raise UsageError(f"--task must name one of the {len(cluster)} workers (0..{len(cluster) - 1}). "
                         f"Received: --task {task}")
    check_port_free(cluster[task])
    config = None
    if threads > 0:
        config = tf.compat.v1.ConfigProto(intra_op_parallelism_threads=threads,
                                          inter_op_parallelism_threads=threads)
    server = tf.distribute.Server(tf.train.ClusterSpec({"worker": cluster}), job_name="worker", task_index=task,
                                  protocol="grpc", config=config, start=True)
    print(f"worker {task} serving on {cluster[task]} ({server.target})", flush=True)
    if lifetime_s > 0:
        time.sleep(lifetime_s)  # a bounded worker, as tests and demos want: it stops by itself
    else:
        server.join()
