"""tf.data input: the training images in a fixed order per (seed, step), batched and prefetched (distributed over
the replicas of a ``tf.distribute`` strategy).

The images are resized and scaled to [-1, 1] once, up front
(:func:`bagan_lib.data.prepare_images`), and kept in memory: the datasets of
the papers fit easily. The batch of global step ``s`` depends only on the seed
and ``s`` (:func:`step_batches`), so a run resumed at step ``s`` sees exactly
the batches an uninterrupted run sees, and the training step never waits for
input (prefetching). The order is made one epoch at a time, as the batches are
consumed: memory does not depend on the number of epochs (``--epochs 10**9``
starts as fast as ``--epochs 3``).
"""

from __future__ import annotations

import numpy as np
import tensorflow as tf

from bagan_lib.errors import KitError


def cap_per_class(y, max_per_class, *, seed: int = 0) -> np.ndarray:
    """Indices keeping at most ``max_per_class`` images of each class (a profile's size cap), in order.

    ``max_per_class``: one cap for all classes, a sequence of caps (one per class), or None (keep all).
    """
    y = np.asarray(y)
    if max_per_class is None:
        return np.arange(len(y))
    caps = np.broadcast_to(np.asarray(max_per_class), (int(y.max()) + 1,)) if len(y) else ()
    rng = np.random.default_rng(seed)
    keep = [rng.permutation(np.flatnonzero(y == c))[:int(caps[c])] for c in np.unique(y)]
    return np.sort(np.concatenate(keep))


def epoch_order(n_images: int, epoch: int, seed: int) -> np.ndarray:
    """The order of the training images in ``epoch``: a permutation that depends only on (seed, epoch)."""
    return np.random.default_rng([seed, epoch]).permutation(n_images)


def step_indices(n_images: int, *, batch_size: int, steps_per_epoch: int, seed: int, start_step: int, end_step: int):
    """The image indices of the batches of global steps ``start_step .. end_step - 1``, one array per step.

    A generator: each epoch's permutation is made when its first batch is
    needed and dropped after its last, so only one epoch's order is in memory.
    """
    epoch, order = None, None
    for step in range(start_step, end_step):
        e, i = divmod(step, steps_per_epoch)
        if e != epoch:
            epoch, order = e, epoch_order(n_images, e, seed)
        yield order[i * batch_size:(i + 1) * batch_size]


def step_batches(images, labels, *, batch_size: int, steps_per_epoch: int, seed: int, start_step: int,
                 end_step: int):
    """A ``tf.data.Dataset`` of the batches of global steps ``start_step .. end_step - 1``.

    Batch ``s`` is the ``s % steps_per_epoch``-th slice of :func:`epoch_order` for
    epoch ``s // steps_per_epoch``: it depends only on the seed and ``s``, so a run
    resumed at step ``s`` sees exactly the batches the uninterrupted run saw. Every
    epoch is a fresh permutation; the last ``n - steps_per_epoch * batch_size``
    images of each permutation are left out of that epoch. The indices come from
    :func:`step_indices`, lazily.
    """

    n = len(labels)
    if steps_per_epoch * batch_size > n:
        raise KitError(f"{steps_per_epoch} steps of {batch_size} images need {steps_per_epoch * batch_size} "
                       f"images, but there are {n}.", "lower steps_per_epoch or batch_size.")
    settings = dict(batch_size=batch_size, steps_per_epoch=steps_per_epoch, seed=seed, start_step=start_step,
                    end_step=end_step)
    images = tf.constant(np.asarray(images, dtype=np.float32))
    labels = tf.constant(np.asarray(labels, dtype=np.int32))
    strategy = tf.distribute.get_strategy()
    if strategy.num_replicas_in_sync == 1:
        return _gathered_batches(images, labels, _global_batches(n, settings), batch_size)

    def pipeline_batches(context):
        """This input pipeline's (one per worker) contiguous share of every global batch, cut per replica."""
        per_replica = context.get_per_replica_batch_size(batch_size)
        share = batch_size // context.num_input_pipelines
        start = context.input_pipeline_id * share
        indices = _global_batches(n, settings).map(lambda idx: idx[start:start + share]).unbatch()
        return _gathered_batches(images, labels, indices.batch(per_replica, drop_remainder=True), per_replica)

    return strategy.distribute_datasets_from_function(pipeline_batches)


def _global_batches(n: int, settings: dict):
    """The image indices of every global batch, from :func:`step_indices` (lazily, one epoch's order at a time)."""
    return tf.data.Dataset.from_generator(lambda: step_indices(n, **settings),
                                          output_signature=tf.TensorSpec((settings["batch_size"],), tf.int64))


def _gathered_batches(images, labels, indices, batch_size: int):
    """The rows of ``images, labels`` of each batch of ``indices`` (batches of ``batch_size``), prefetched."""
    return indices.map(lambda idx: (tf.gather(images, idx), tf.gather(labels, idx))).prefetch(tf.data.AUTOTUNE)
