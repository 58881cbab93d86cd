"""One optimizer update with every gradient dense: Adam as the paper and its reference code compute it.

An ``Embedding`` layer's gradient reaches the optimizer as ``tf.IndexedSlices``,
one row per sample, so a class that appears k times in a batch has k rows with
the same index. Keras 3's TensorFlow optimizers apply such gradients row by row
(``scatter_add``): Adam's second moment then accumulates ``sum_i g_i^2 -
k v`` for that class instead of ``(sum_i g_i)^2 - v``, which is not Adam
(tests/gan/test_optimizer_step.py shows the difference on three rows). TensorFlow
2.2's optimizers, which the BAGAN-GP reference ran on, summed repeated rows
first. Summing them here (``tf.convert_to_tensor`` on the slices) restores the
textbook update; the embedding tables are ``n_classes`` rows, so this costs
nothing.
"""

from __future__ import annotations

import tensorflow as tf


def dense(gradient):
    """The gradient as a dense tensor; repeated rows of ``IndexedSlices`` are summed."""
    return tf.convert_to_tensor(gradient) if isinstance(gradient, tf.IndexedSlices) else gradient


def apply_gradients(optimizer, gradients, variables) -> None:
    """``optimizer.apply_gradients`` with dense gradients (see the module docstring)."""
    optimizer.apply_gradients([(dense(g), v) for g, v in zip(gradients, variables)])
