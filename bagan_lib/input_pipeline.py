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


def epoch_order(n_images: int, epoch: int, seed: int) -> np.ndarray:
    """The order of the training images in ``epoch``: a permutation that depends only on (seed, epoch)."""
    return np.random.default_rng([seed, epoch]).permutation(n_images)


def step_batches(images, labels, *, batch_size: int, steps_per_epoch: int, seed: int, start_step: int,
                 end_step: int):
    """A ``tf.data.Dataset`` of the batches of global steps ``start_step .. end_step - 1``.

    Batch ``s`` is the ``s % steps_per_epoch``-th slice of :func:`epoch_order` for
    epoch ``s // steps_per_epoch``: it depends only on the seed and ``s``, so a run
    resumed at step ``s`` sees exactly the batches the uninterrupted run saw. Every
    epoch is a fresh permutation; the last ``n - steps_per_epoch * batch_size``
    images of each permutation are left out of that epoch.
    """
    import tensorflow as tf

    n = len(labels)
    if steps_per_epoch * batch_size > n:
        raise KitError(f"{steps_per_epoch} steps of {batch_size} images need {steps_per_epoch * batch_size} "
                       f"images, but there are {n}.", "lower steps_per_epoch or batch_size.")
    first, last = start_step // steps_per_epoch, (end_step - 1) // steps_per_epoch
    order = np.concatenate([epoch_order(n, e, seed)[:steps_per_epoch * batch_size] for e in range(first, last + 1)])
    offset = (start_step - first * steps_per_epoch) * batch_size
    order = order[offset:offset + (end_step - start_step) * batch_size]
    images = tf.constant(np.asarray(images, dtype=np.float32))
    labels = tf.constant(np.asarray(labels, dtype=np.int32))
    data = tf.data.Dataset.from_tensor_slices(order.astype(np.int64)).batch(batch_size, drop_remainder=True)
    return data.map(lambda idx: (tf.gather(images, idx), tf.gather(labels, idx))).prefetch(tf.data.AUTOTUNE)
