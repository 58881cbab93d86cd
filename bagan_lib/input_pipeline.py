"""tf.data input pipelines: uint8 images in, shuffled batches in [-1, 1] out, prefetched.

Images are resized and scaled once, up front (``prepare_images``), and kept
in memory as float32: the datasets of the papers fit easily. The
pipeline then only shuffles, batches and prefetches, so the training step
never waits for input.
"""

from __future__ import annotations

import numpy as np

from .data.preprocess import prepare_images
from .errors import KitError


def cap_per_class(y, max_per_class: int | None, *, seed: int = 0) -> np.ndarray:
    """Indices keeping at most ``max_per_class`` images of each class (a profile's size cap), in order."""
    y = np.asarray(y)
    if max_per_class is None:
        return np.arange(len(y))
    rng = np.random.default_rng(seed)
    keep = [rng.permutation(np.flatnonzero(y == c))[:max_per_class] for c in np.unique(y)]
    return np.sort(np.concatenate(keep))


def image_dataset(x_uint8, y, *, image_size: int, batch_size: int, seed: int = 0, channels: int | None = None,
                  shuffle: bool = True, drop_remainder: bool = True):
    """A ``tf.data.Dataset`` of ``(images in [-1, 1], int32 labels)`` batches."""
    import tensorflow as tf

    if len(x_uint8) < batch_size and drop_remainder:
        raise KitError(f"Only {len(x_uint8)} training images for a batch of {batch_size}.",
                       "use a smaller batch_size or more data (e.g. a lower imbalance rate).")
    images = prepare_images(np.asarray(x_uint8), image_size, channels)
    labels = np.asarray(y, dtype=np.int32)
    data = tf.data.Dataset.from_tensor_slices((images, labels))
    if shuffle:
        data = data.shuffle(len(labels), seed=seed, reshuffle_each_iteration=True)
    return data.batch(batch_size, drop_remainder=drop_remainder).prefetch(tf.data.AUTOTUNE)
