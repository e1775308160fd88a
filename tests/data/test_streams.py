"""The training streams: the smooth one is a slowly changing video of labelled clips; both cover an epoch's samples."""

import numpy as np
import pytest

from projnet.config import DataConfig
from projnet.data import load_dataset
from projnet.data.streams import training_stream, warp_images


@pytest.fixture(scope="module")
def digits():
    return load_dataset(DataConfig())


def test_identity_warp_returns_the_image(digits):
    images = digits.x_train[:5].reshape(5, 8, 8, 1)
    np.testing.assert_allclose(warp_images(images, np.zeros(5), np.ones(5), np.zeros((5, 2))), images, atol=1e-6)
    shifted = warp_images(images, np.zeros(5), np.ones(5), np.tile([0.0, 1.0], (5, 1)))  # one pixel right
    np.testing.assert_allclose(shifted[:, :, 1:], images[:, :, :-1], atol=1e-6)


def test_smooth_stream_is_clips_of_one_image(digits):
    ticks = list(training_stream("smooth", digits.x_train, digits.y_train, (8, 8, 1), 16, seed=0, epoch=1))
    assert len(ticks) == len(digits.x_train) // 16
    x = np.stack([t[0] for t in ticks])  # (ticks, lanes, 64)
    y = np.stack([t[1] for t in ticks])
    clip = np.stack([t[3] for t in ticks])
    ids = np.concatenate([t[2] for t in ticks])
    assert len(np.unique(ids)) == len(ids)
    same = clip[1:] == clip[:-1]  # (ticks - 1, lanes): a lane stays in its clip ...
    assert np.all(y[1:][same] == y[:-1][same])  # ... and its label
    for lane in range(16):  # a lane changes clip every 16 ticks (its first clip entered mid-way)
        changes = np.flatnonzero(~same[:, lane])
        assert np.all(np.diff(changes) == 16)
    step = np.abs(x[1:] - x[:-1]).mean(axis=-1)[same].mean()
    between = np.abs(digits.x_train[:200] - digits.x_train[200:400]).mean()
    assert step < 0.25 * between  # consecutive frames are far closer than two images


def test_shuffled_stream_has_no_clips_and_no_repeats(digits):
    ticks = list(training_stream("shuffled", digits.x_train, digits.y_train, (8, 8, 1), 32, seed=0, epoch=1))
    rows = np.concatenate([t[0] for t in ticks])
    assert len(ticks) == len(digits.x_train) // 32
    from collections import Counter

    available, drawn = Counter(r.tobytes() for r in digits.x_train), Counter(r.tobytes() for r in rows)
    assert all(available[r] >= n for r, n in drawn.items())  # every row comes from the split, none twice
    assert all(np.all(t[3] == 0) for t in ticks)
    again = list(training_stream("shuffled", digits.x_train, digits.y_train, (8, 8, 1), 32, seed=0, epoch=1))
    np.testing.assert_array_equal(again[3][0], ticks[3][0])  # (seed, epoch) fixes the stream
    other = list(training_stream("shuffled", digits.x_train, digits.y_train, (8, 8, 1), 32, seed=0, epoch=2))
    assert not np.array_equal(other[3][0], ticks[3][0])


def test_motion_speed_scales_the_smooth_streams_motion(digits):
    def mean_step(speed):
        ticks = list(training_stream("smooth", digits.x_train, digits.y_train, (8, 8, 1), 16, 0, 1,
                                     motion_speed=speed))
        x, clip = np.stack([t[0] for t in ticks]), np.stack([t[3] for t in ticks])
        return np.abs(x[1:] - x[:-1]).mean(axis=-1)[clip[1:] == clip[:-1]].mean()

    assert mean_step(0.0) == 0.0  # still images
    assert 1.5 < mean_step(2.0) / mean_step(1.0) < 2.5  # twice the motion, about twice the change per frame


def test_walk_stream_plays_real_neighbouring_images_of_one_class(digits):
    ticks = list(training_stream("walk", digits.x_train, digits.y_train, (8, 8, 1), 16, seed=0, epoch=1))
    assert len(ticks) == len(digits.x_train) // 16
    x, y, clip = (np.stack([t[i] for t in ticks]) for i in (0, 1, 3))
    rows = {tuple(row) for row in digits.x_train.round(6)}
    assert all(tuple(row) in rows for row in x[:5].reshape(-1, 64).round(6))  # real training images, not warped
    same = clip[1:] == clip[:-1]
    assert np.all(y[1:][same] == y[:-1][same])  # a clip stays in one class
    step = np.abs(x[1:] - x[:-1]).mean(axis=-1)[same].mean()
    same_class = [np.abs(digits.x_train[digits.y_train == c][:40, None] - digits.x_train[digits.y_train == c][None, :40])
                  .mean() for c in range(10)]
    assert step < 0.8 * np.mean(same_class)  # neighbours on the walk are closer than two images of a class
