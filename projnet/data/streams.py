"""Training streams: what enters the pipeline at each tick, as full batches of (features, labels, ids).

- `shuffled`: the usual shuffled mini-batches of the training split.
- `smooth`: a synthetic video, the kind of input Sideways assumes. Each of the B lanes of a batch
  plays a clip: one training image drifting, turning and zooming slowly, one frame per tick, all
  frames labelled with the image's class; a lane starts a new clip (another image) when its clip
  ends. Consecutive ticks therefore carry nearly the same images, as consecutive video frames do.
  `motion_speed` multiplies its per-frame shift, turn and zoom (0: still images).
- `walk`: a sequence of real images instead of a synthetic motion. Each class's training images are
  ordered by a greedy nearest-neighbour walk (each next image is the nearest not yet visited); a lane
  plays `clip_length` consecutive images of one class's walk, then jumps to another walk at random.
  Consecutive frames are different real samples that look alike, as in a slow camera pan.

Each tick yields (features, labels, ids, clips). Every frame has a unique integer id (its position in
the epoch's stream), so a test can follow a sample through the pipeline; `clips` names the clip each
row belongs to (all zeros for shuffled batches, which have none), so that Sideways can keep a
gradient from crossing into the next clip. An epoch is `len(x) // B` ticks: as many samples as one pass over the
data, whichever the stream.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Iterator

import numpy as np



@dataclass(frozen=True)
class SmoothMotion:
    clip_length: int = 16  # frames per clip: long enough that the pipeline's K-1 tick delay is a small lag
    # per-frame motion, slow as in video: with 4x these, Sideways' Jacobians (taken 2(K-1) frames after the
    # gradient's own frame) stray far enough that it fell 5 points behind bp on Fashion-MNIST; with these, 1.7
    max_shift_px: float = 0.03  # per frame and per 8 px of image side (0.1 px per frame on 28 x 28)
    max_turn_deg: float = 0.4  # rotation per frame
    max_zoom: float = 0.0025  # relative scale change per frame


def shuffled_stream(x: np.ndarray, y: np.ndarray, batch_size: int, rng: np.random.Generator
                    ) -> Iterator[tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]]:
    """One epoch of shuffled full batches; the remainder of a pass waits for the next epoch's shuffle."""
    order = rng.permutation(len(x))
    for start in range(0, len(x) - batch_size + 1, batch_size):
        batch = order[start:start + batch_size]
        yield x[batch], y[batch], np.arange(start, start + batch_size, dtype=np.int64), np.zeros(batch_size, np.int64)


def warp_images(images: np.ndarray, angle: np.ndarray, scale: np.ndarray, shift: np.ndarray) -> np.ndarray:
    """Rotate by `angle` (radians), scale and shift (pixels) each image about its centre, bilinearly.

    images (B, H, W, C); angle, scale (B,); shift (B, 2) as (dy, dx). Outside the image reads 0.
    """
    b, h, w, c = images.shape
    yy, xx = np.meshgrid(np.arange(h) - (h - 1) / 2, np.arange(w) - (w - 1) / 2, indexing="ij")  # (H, W)
    cos, sin = np.cos(angle)[:, None, None], np.sin(angle)[:, None, None]
    inv = 1.0 / scale[:, None, None]
    # each output pixel reads the input at the inverse transform of its position
    src_y = inv * (cos * (yy - shift[:, 0, None, None]) + sin * (xx - shift[:, 1, None, None])) + (h - 1) / 2
    src_x = inv * (-sin * (yy - shift[:, 0, None, None]) + cos * (xx - shift[:, 1, None, None])) + (w - 1) / 2
    y0, x0 = np.floor(src_y).astype(int), np.floor(src_x).astype(int)  # (B, H, W)
    fy, fx = (src_y - y0)[..., None], (src_x - x0)[..., None]
    lane = np.arange(b)[:, None, None]

    def read(yi, xi):
        inside = ((yi >= 0) & (yi < h) & (xi >= 0) & (xi < w))[..., None]
        return np.where(inside, images[lane, np.clip(yi, 0, h - 1), np.clip(xi, 0, w - 1)], 0.0)

    out = ((1 - fy) * (1 - fx) * read(y0, x0) + (1 - fy) * fx * read(y0, x0 + 1)
           + fy * (1 - fx) * read(y0 + 1, x0) + fy * fx * read(y0 + 1, x0 + 1))
    return out.astype(images.dtype)


def smooth_stream(x: np.ndarray, y: np.ndarray, image_shape: tuple[int, int, int], batch_size: int,
                  rng: np.random.Generator, motion: SmoothMotion = SmoothMotion()
                  ) -> Iterator[tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]]:
    """One epoch of video-like batches: lane i of tick t is frame t - start of lane i's current clip."""
    ticks = len(x) // batch_size
    images = x.reshape((-1,) + tuple(image_shape))
    side = float(image_shape[0]) / 8.0
    source = np.zeros(batch_size, dtype=np.int64)
    clip, clips_started = np.zeros(batch_size, dtype=np.int64), 0
    velocity, turn, zoom = np.zeros((batch_size, 2)), np.zeros(batch_size), np.zeros(batch_size)
    frame = np.full(batch_size, motion.clip_length)  # every lane draws a clip at tick 0 ...
    start = rng.integers(0, motion.clip_length, batch_size)  # ... entered at a random frame, so lanes change clips at different ticks
    for t in range(ticks):
        new = frame >= motion.clip_length
        if n_new := int(new.sum()):
            source[new] = rng.integers(0, len(x), n_new)
            velocity[new] = rng.uniform(-1, 1, (n_new, 2)) * motion.max_shift_px * side
            turn[new] = np.deg2rad(rng.uniform(-1, 1, n_new) * motion.max_turn_deg)
            zoom[new] = rng.uniform(-1, 1, n_new) * motion.max_zoom
            frame[new] = start[new] if t == 0 else 0
            clip[new] = np.arange(clips_started, clips_started + n_new)
            clips_started += n_new
        phase = frame - (motion.clip_length - 1) / 2  # the clip passes through the original image mid-way
        frames = warp_images(images[source], turn * phase, 1.0 + zoom * phase, velocity * phase[:, None])
        yield (frames.reshape(batch_size, -1), y[source],
               np.arange(t * batch_size, (t + 1) * batch_size, dtype=np.int64), clip.copy())
        frame = frame + 1


def nearest_neighbour_walks(x: np.ndarray, y: np.ndarray, seed: int) -> list[np.ndarray]:
    """Per class, its rows in the order of a greedy nearest-neighbour walk from a random start. Distances
    are taken in a 32-dimensional random projection of the rows (close to the true ones, and fast)."""
    rng = np.random.default_rng(seed)
    projected = x.reshape(len(x), -1) @ rng.normal(size=(int(np.prod(x.shape[1:])), 32)).astype(np.float32)
    walks = []
    for label in np.unique(y):
        members = np.flatnonzero(y == label)
        points, left = projected[members], np.ones(len(members), bool)
        at = int(rng.integers(len(members)))
        order = [at]
        left[at] = False
        for _ in range(len(members) - 1):
            distance = np.where(left, np.sum((points - points[at]) ** 2, axis=1), np.inf)
            at = int(np.argmin(distance))
            order.append(at)
            left[at] = False
        walks.append(members[np.array(order)])
    return walks


_WALKS: dict = {}  # (rows' identity, seed) -> walks: built once per run, not once per epoch


def walk_stream(x: np.ndarray, y: np.ndarray, batch_size: int, rng: np.random.Generator, clip_length: int,
                seed: int) -> Iterator[tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]]:
    """One epoch of batches whose lanes play `clip_length` consecutive images of a class's walk."""
    key = (id(x), x.shape, seed)
    if key not in _WALKS:
        _WALKS.clear()
        _WALKS[key] = nearest_neighbour_walks(x, y, seed)
    walks = _WALKS[key]
    walk, position = np.zeros(batch_size, np.int64), np.zeros(batch_size, np.int64)
    clip, clips_started = np.zeros(batch_size, np.int64), 0
    frame = np.full(batch_size, clip_length)
    start = rng.integers(0, clip_length, batch_size)  # lanes change clips at different ticks
    for t in range(len(x) // batch_size):
        new = frame >= clip_length
        for lane in np.flatnonzero(new):
            walk[lane] = rng.integers(len(walks))
            position[lane] = rng.integers(max(len(walks[walk[lane]]) - clip_length, 1))
        n_new = int(new.sum())
        frame[new] = start[new] if t == 0 else 0
        clip[new] = np.arange(clips_started, clips_started + n_new)
        clips_started += n_new
        rows = np.array([walks[w][min(p + f, len(walks[w]) - 1)] for w, p, f in zip(walk, position, frame)])
        yield x[rows], y[rows], np.arange(t * batch_size, (t + 1) * batch_size, dtype=np.int64), clip.copy()
        frame = frame + 1


def training_stream(kind: str, x: np.ndarray, y: np.ndarray, image_shape: tuple[int, int, int],
                    batch_size: int, seed: int, epoch: int, clip_length: int = 16, motion_speed: float = 1.0):
    """The stream of one epoch; seeded by (seed, epoch), so a resumed epoch replays the same frames."""
    rng = np.random.default_rng([seed, epoch])
    if kind == "shuffled":
        return shuffled_stream(x, y, batch_size, rng)
    if kind == "smooth":
        base = SmoothMotion()
        motion = SmoothMotion(clip_length, base.max_shift_px * motion_speed, base.max_turn_deg * motion_speed,
                              base.max_zoom * motion_speed)
        return smooth_stream(x, y, image_shape, batch_size, rng, motion)
    if kind == "walk":
        return walk_stream(x, y, batch_size, rng, clip_length, seed)
    raise ValueError(f"unknown stream. Received: stream={kind!r}")
