"""The shapes a patch student goes through, known without TensorFlow: for refusing bad settings up front.

The patch projection slides a k x k window with stride s over the H x W x C image ("valid": no
padding, so no bit reads made-up pixels): an H' x W' map with H' = (H - k) // s + 1. The readout then
average-pools that map by `bit_pool` and halves it once per learned convolution (2 x 2 max pools).
A pool (or a convolution's kernel) never spans more than the map along an axis: on a map one column
wide, as a sensor window of T samples x C channels gives (the patch reads every channel at once), the
pools and kernels run along time only.
"""

from __future__ import annotations

from projnet.errors import UsageError


def bit_map_shape(image_shape: tuple[int, int, int], patch_size: int, stride: int) -> tuple[int, int]:
    """(H', W') of the bit map, or a one-line refusal when the window does not fit the image."""
    height, width, channels = image_shape
    if patch_size > min(height, width):
        raise UsageError(f"projection.patch_size must be at most the image's {height}x{width} pixels. "
                         f"Received: projection.patch_size={patch_size}")
    return (height - patch_size) // stride + 1, (width - patch_size) // stride + 1


def pool_window(shape: tuple[int, int], pool: int) -> tuple[int, int]:
    """The pool along each axis: `pool`, or 1 where the map is narrower than it."""
    return tuple(pool if n >= pool else 1 for n in shape)


def readout_shapes(image_shape: tuple[int, int, int], patch_size: int, stride: int, bit_pool: int,
                   num_convs: int) -> list[tuple[int, int]]:
    """The map's (height, width) after the projection, the bit pool and each learned convolution's pool.

    Refuses settings that pool the map away to nothing, naming the stage where it vanishes.
    """
    shapes = [bit_map_shape(image_shape, patch_size, stride)]
    stages = [("student.bit_pool", bit_pool)] + [(f"student.conv_filters[{i}]", 2) for i in range(num_convs)]
    for key, pool in stages:
        if pool <= 1:
            continue
        height, width = shapes[-1]
        if max(height, width) < pool:
            raise UsageError(
                f"{key}: the {height}x{width} map left by a {patch_size}x{patch_size} patch at stride {stride} on "
                f"{image_shape[0]}x{image_shape[1]} images cannot be pooled by {pool}; use a smaller "
                f"projection.patch_stride, student.bit_pool or fewer student.conv_filters")
        window = pool_window((height, width), pool)
        shapes.append((height // window[0], width // window[1]))
    return shapes
