"""One optimizer update, as every custom ``train_step`` of the kit makes it: dense gradients, the replicas' share,
dynamic loss scaling; and :class:`CustomStepModel`, the base of those models.

**Adam as the paper and its reference code compute it.** An ``Embedding``
layer's gradient reaches the optimizer as ``tf.IndexedSlices``, one row per
sample, so a class that appears k times in a batch has k rows with the same
index. Keras 3's TensorFlow optimizers apply such gradients row by row
(``scatter_add``): Adam's second moment then accumulates ``sum_i g_i^2 - k v``
for that class instead of ``(sum_i g_i)^2 - v``, which is not Adam
(tests/gan/test_optimizer_step.py shows the difference on three rows).
TensorFlow 2.2's optimizers, which the BAGAN-GP reference ran on, summed
repeated rows first. Summing them here (``tf.convert_to_tensor`` on the slices)
restores the textbook update; the embedding tables are ``n_classes`` rows, so
this costs nothing.

**Several replicas** (``tf.distribute``): each replica differentiates its loss
divided by the number of replicas, so the summed (all-reduced) gradients are
those of the global batch (:func:`scaled_loss`).

**float16** (the ``mixed_float16`` policy): small gradients underflow in
float16, so the loss is multiplied by a large scale before the backward pass
and the gradients divided by it before the update: Keras 3's
``LossScaleOptimizer`` (:func:`loss_scaled`) with its dynamic scale (2^15 at
the start; a step whose gradients are not finite is skipped and halves the
scale; 2000 finite steps in a row double it). The scale multiplies the loss
*after* the replica division and divides the dense gradients *before* Adam, so
the summed embedding rows above and the replicas' share are unchanged. bfloat16
has float32's exponent range and needs no scaling.
"""

from __future__ import annotations

import keras
import tensorflow as tf


def replica_position() -> tuple[int, object]:
    """(number of replicas in sync, this replica's index): (1, 0) outside a multi-device strategy."""
    context = tf.distribute.get_replica_context()
    if context is None or context.num_replicas_in_sync == 1:
        return 1, 0
    return context.num_replicas_in_sync, context.replica_id_in_sync_group


def several_replicas() -> bool:
    """A strategy with more than one replica is active (e.g. inside a 2-device ``strategy.scope()``)."""
    return tf.distribute.has_strategy() and tf.distribute.get_strategy().num_replicas_in_sync > 1


def several_workers() -> bool:
    """The active strategy's replicas span several processes (``MultiWorkerMirroredStrategy`` with 2+ workers)."""
    if not tf.distribute.has_strategy():
        return False
    strategy = tf.distribute.get_strategy()
    return strategy.num_replicas_in_sync > len(strategy.extended.worker_devices)


class CustomStepModel(keras.Model):
    """The base of the kit's models with their own ``train_step``: built before ``fit``, under any strategy.

    Their networks are built when made and their optimizers in ``compile``, so
    ``fit`` has nothing left to build. Two steps of Keras 3.15's ``fit`` fail under
    ``MultiWorkerMirroredStrategy`` with several workers, and are adapted here:

    * its symbolic build all-reduces a data batch (an ``(images, labels)`` tuple,
      which TensorFlow's collective reduce refuses) only to build what is unbuilt:
      skipped, as everything is built;
    * it averages a step's outputs over the replicas along axis 0, which a scalar
      has not: :meth:`step_logs` gives them that axis on several workers.
    """

    def _maybe_symbolic_build(self, iterator=None, data_batch=None):
        """Nothing to build (see the class docstring)."""

    @staticmethod
    def step_logs(trackers) -> dict:
        """The trackers' results as ``train_step`` returns them: scalars, of shape (1,) on several workers."""
        results = {tracker.name: tracker.result() for tracker in trackers}
        if several_workers():
            return {name: tf.reshape(value, (1,)) for name, value in results.items()}
        return results


def replica_draw(draw, n, *shape):
    """``draw((n,) + shape)`` for this replica: its slice of the draw for all replicas' samples.

    With one device this is just the draw. With R replicas every replica draws
    the ``(R * n,) + shape`` tensor from the same seed state and keeps rows
    ``[i * n, (i + 1) * n)``: together they hold exactly what one device would
    have drawn for the global batch, and the seed states stay equal.
    """
    replicas, index = replica_position()
    if replicas == 1:
        return draw((n,) + shape)
    return draw((n * replicas,) + shape)[index * n:(index + 1) * n]


def gather_replicas(x):
    """Every replica's ``x`` stacked in replica order, on every replica (the global batch's rows).

    Each replica puts its rows in its own slot of a zero tensor and the replicas
    sum them: exact, since every entry has one non-zero summand. (TensorFlow
    2.21's ``ReplicaContext.all_gather`` fails under ``MultiWorkerMirroredStrategy``
    with "destinations can not be empty"; an all-reduce works under every strategy.)
    """
    replicas, index = replica_position()
    if replicas == 1:
        return x
    slot = tf.reshape(tf.one_hot(index, replicas, dtype=x.dtype), (replicas,) + (1,) * len(x.shape))
    placed = tf.distribute.get_replica_context().all_reduce("sum", slot * x[None])
    return tf.reshape(placed, tf.concat([[-1], tf.shape(x)[1:]], axis=0))


def loss_scaled(optimizer, compute_dtype: str):
    """``optimizer`` wrapped in dynamic loss scaling when the network it updates computes in float16; else itself."""
    if compute_dtype == "float16" and not isinstance(optimizer, keras.optimizers.LossScaleOptimizer):
        return keras.optimizers.LossScaleOptimizer(optimizer)
    return optimizer


def scaled_loss(optimizer, loss):
    """What the tape differentiates: ``loss / replicas``, times the optimizer's loss scale (1 without scaling)."""
    return optimizer.scale_loss(loss / replica_position()[0])


def dense(gradient):
    """The gradient as a dense tensor; repeated rows of ``IndexedSlices`` are summed."""
    return tf.convert_to_tensor(gradient) if isinstance(gradient, tf.IndexedSlices) else gradient


def apply_gradients(optimizer, gradients, variables) -> None:
    """``optimizer.apply_gradients`` with dense gradients (see the module docstring).

    With loss scaling and several replicas, a replica whose gradients are not
    finite makes every replica's not finite: Keras' ``LossScaleOptimizer`` decides
    to skip a step from the first replica's gradients alone (before they are
    summed), so an overflow on another replica would otherwise reach the weights.
    """
    gradients = [dense(g) for g in gradients]
    if isinstance(optimizer, keras.optimizers.LossScaleOptimizer) and replica_position()[0] > 1:
        local = tf.cast(tf.logical_not(optimizer.check_finite(gradients)), tf.float32)
        overflowed = tf.distribute.get_replica_context().all_reduce("sum", local) > 0
        first = next(i for i, g in enumerate(gradients) if g is not None)
        gradients[first] = gradients[first] + tf.where(overflowed, float("nan"), 0.0)
    optimizer.apply_gradients(list(zip(gradients, variables)))
