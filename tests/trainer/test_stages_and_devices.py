"""Cutting the trainer into balanced stages and choosing their devices; the refusals, one line each."""

import itertools
import socket

import numpy as np
import pytest

from projnet.config import TrainerConfig
from projnet.errors import ProjnetError, UsageError
from projnet.trainer.devices import connect_cluster, resolve_devices
from projnet.trainer.models import build_trainer, trainer_layers, weighted_layer_count
from projnet.trainer.stages import balanced_partition, build_staged_trainer, fresh_partition, layer_blocks


def test_balanced_partition_minimises_the_largest_stage():
    assert balanced_partition([1, 1, 1, 1], 2) == [(0, 2), (2, 4)]
    assert balanced_partition([8, 1, 1, 1, 1, 1, 1, 1, 1], 2) == [(0, 1), (1, 9)]
    assert balanced_partition([3, 3, 2, 2, 2], 3) == [(0, 1), (1, 3), (3, 5)]
    assert balanced_partition([5, 4, 3], 3) == [(0, 1), (1, 2), (2, 3)]


MLP_1024X6 = [784 * 1024] + [1024 * 1024] * 5 + [1024 * 10]  # pipeline-bench's trainer on Fashion-MNIST
SIDEWAYS_K4_AGES = [6, 4, 2, 0]


def test_fresh_partition_moves_weights_to_the_fresher_stages_within_the_slack():
    assert balanced_partition(MLP_1024X6, 4) == [(0, 2), (2, 3), (3, 5), (5, 7)]  # two layers in stage 0
    # 5 %: the last stage takes three layers (2,107,152 multiply-adds against the balanced 2,097,152)
    assert fresh_partition(MLP_1024X6, SIDEWAYS_K4_AGES, 0.05) == [(0, 1), (1, 2), (2, 4), (4, 7)]
    # no slack: among the cuts as balanced as the best, the one with the least weight in old stages
    assert fresh_partition(MLP_1024X6, SIDEWAYS_K4_AGES, 0.0) == [(0, 1), (1, 3), (3, 5), (5, 7)]
    assert fresh_partition(MLP_1024X6, [0, 0, 0, 0], 0.05) == balanced_partition(MLP_1024X6, 4)  # bp, dni
    assert fresh_partition(MLP_1024X6, [2, 0], 0.05) == [(0, 3), (3, 7)]  # K = 2: nothing within 5 %


def every_cut(n: int, parts: int):
    for inner in itertools.combinations(range(1, n), parts - 1):
        bounds = (0, *inner, n)
        yield list(zip(bounds[:-1], bounds[1:]))


def test_fresh_partition_is_the_least_stale_cut_inside_the_cap():
    rng = np.random.default_rng(0)
    for _ in range(200):
        n, parts = int(rng.integers(2, 9)), int(rng.integers(2, 5))
        parts = min(parts, n)
        costs = [int(c) for c in rng.integers(1, 20, n)]
        ages = [2 * (parts - 1 - k) for k in range(parts)]
        slack = float(rng.choice([0.0, 0.05, 0.3]))
        cap = (1 + slack) * max(sum(costs[a:b]) for a, b in balanced_partition(costs, parts))

        def key(cut):
            groups = [sum(costs[a:b]) for a, b in cut]
            return sum(a * g for a, g in zip(ages, groups)), max(groups)

        allowed = [cut for cut in every_cut(n, parts) if key(cut)[1] <= cap]
        assert key(fresh_partition(costs, ages, slack)) == min(map(key, allowed)), (costs, parts, slack)


def test_blocks_and_their_multiply_adds():
    mlp = trainer_layers(10, (8, 8, 1), TrainerConfig(hidden=[30, 20]))
    blocks, costs = layer_blocks(mlp, 64)
    assert blocks == [[0, 1], [2, 3], [4]]  # dense + its dropout, ..., logits
    assert costs == [64 * 30, 30 * 20, 20 * 10]
    cnn = trainer_layers(10, (8, 8, 1), TrainerConfig(architecture="cnn", hidden=[16]))
    blocks, costs = layer_blocks(cnn, 64)
    assert len(blocks) == weighted_layer_count(TrainerConfig(architecture="cnn")) == 4
    assert blocks[0] == [0, 1, 2]  # reshape joins the first conv, pooling follows it
    assert costs[0] == 8 * 8 * 9 * 1 * 32 and costs[1] == 4 * 4 * 9 * 32 * 64


def test_staged_trainer_is_the_trainer_cut_in_pieces():
    config = TrainerConfig(hidden=[40, 30, 20], dropout=0.0)
    staged = build_staged_trainer(64, 10, (8, 8, 1), config, ["/CPU:0", "/CPU:1"])
    assert staged.block_ranges == [(0, 1), (1, 4)]  # 64*40 = 2560 against 40*30 + 30*20 + 20*10 = 2000
    assert staged.stage_costs == [2560, 2000]
    whole = build_trainer(64, 10, (8, 8, 1), config)
    whole.set_weights(staged.model.get_weights())
    x = np.random.default_rng(0).random((5, 64), dtype=np.float32)
    np.testing.assert_allclose(np.asarray(staged.model(x)), np.asarray(whole(x)), atol=1e-6)
    assert staged.model.count_params() == whole.count_params()


def test_more_stages_than_layers_is_refused():
    with pytest.raises(UsageError, match=r"pipeline.stages=4 but the mlp trainer has only 3 layers with weights"):
        build_staged_trainer(64, 10, (8, 8, 1), TrainerConfig(hidden=[8, 8]), ["/CPU:0"] * 4)


def test_default_devices_are_logical_cpus():
    assert [d.split(":")[-1] for d in resolve_devices(3, [], [], False)] == ["0", "1", "2"]


def test_fewer_devices_than_stages(capsys):
    with pytest.raises(UsageError, match=r"pipeline.stages=3 needs 3 devices but only 2 \(/CPU:0, /CPU:1\) are given; "
                                         r"pass --share-devices"):
        resolve_devices(3, ["/CPU:0", "/CPU:1"], [], False)
    assert resolve_devices(3, ["/CPU:0", "/CPU:1"], [], True) == ["/CPU:0", "/CPU:1", "/CPU:0"]
    assert "warning: 3 stages share 2 device(s)" in capsys.readouterr().err


def test_unknown_device_is_refused():
    with pytest.raises(UsageError, match=r"unknown device '/GPU:3'"):
        resolve_devices(2, ["/CPU:0", "/GPU:3"], [], False)


def test_too_many_logical_cpus_after_start():
    with pytest.raises(ProjnetError, match=r"9 stages need 9 logical CPU devices but TensorFlow was started with 4"):
        resolve_devices(9, [], [], False)


def test_unreachable_worker_fails_fast():
    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    with pytest.raises(ProjnetError, match=rf"cannot reach cluster worker 127.0.0.1:{port} within 2 s"):
        connect_cluster([f"127.0.0.1:{port}"], timeout_s=2)
    with pytest.raises(UsageError, match=r"a cluster worker must be host:port. Received: 'localhost'"):
        connect_cluster(["localhost"])
