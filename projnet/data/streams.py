"""Training streams: what enters the pipeline at each tick, as full batches of (features, labels, ids).

- `shuffled`: the usual shuffled mini-batches of the training split.
- `smooth`: a synthetic video, the kind of input Sideways assumes. Each of the B lanes of a batch
  plays a clip: one training image drifting, turning and zooming slowly, one frame per tick, all
  frames labelled with the image's class; a lane starts a new clip (another image) when its clip
  ends. Consecutive ticks therefore carry nearly the same images, as consecutive video frames do.

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


def training_stream(kind: str, x: np.ndarray, y: np.ndarray, image_shape: tuple[int, int, int],
                    batch_size: int, seed: int, epoch: int, clip_length: int = 16):
    """The stream of one epoch; seeded by (seed, epoch), so a resumed epoch replays the same frames."""
    rng = np.random.default_rng([seed, epoch])
    if kind == "shuffled":
        return shuffled_stream(x, y, batch_size, rng)
    if kind == "smooth":
        return smooth_stream(x, y, image_shape, batch_size, rng, SmoothMotion(clip_length=clip_length))
    raise ValueError(f"unknown stream. Received: stream={kind!r}")
