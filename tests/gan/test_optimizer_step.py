"""Adam on embedding gradients with repeated rows equals Adam on the summed, dense gradient."""

from __future__ import annotations


import keras
import numpy as np
import tensorflow as tf

from bagan_lib.gan.optimizer_step import apply_gradients, dense

LR, BETA_1, BETA_2, EPS = 1e-3, 0.5, 0.9, 1e-7


def slices():
    """Rows 0, 0 and 1 of a 3x2 table: class 0 twice in the batch, class 2 absent."""
    return tf.IndexedSlices(tf.constant([[1.0, 1.0], [1.0, 1.0], [3.0, 3.0]]), tf.constant([0, 0, 1]),
                            tf.constant([3, 2]))


def adam_twice(gradient, apply, loss_scaled=False):
    table = keras.Variable(np.zeros((3, 2), "float32"))
    adam = keras.optimizers.Adam(LR, beta_1=BETA_1, beta_2=BETA_2, epsilon=EPS)
    optimizer = keras.optimizers.LossScaleOptimizer(adam) if loss_scaled else adam
    optimizer.build([table])
    for _ in range(2):
        apply(optimizer, gradient, table)
    return table.numpy(), adam._velocities[0].numpy()


def textbook_adam(g, steps=2):
    m = v = w = np.zeros_like(g)
    for t in range(1, steps + 1):
        m, v = BETA_1 * m + (1 - BETA_1) * g, BETA_2 * v + (1 - BETA_2) * g ** 2
        w = w - LR * np.sqrt(1 - BETA_2 ** t) / (1 - BETA_1 ** t) * m / (np.sqrt(v) + EPS)
    return w, v


def test_dense_sums_repeated_rows():
    np.testing.assert_array_equal(dense(slices()).numpy(), [[2, 2], [3, 3], [0, 0]])
    plain = tf.ones((2, 2))
    assert dense(plain) is plain


def test_adam_with_summed_rows_is_textbook_adam_and_keras_row_by_row_is_not():
    summed = np.array([[2.0, 2.0], [3.0, 3.0], [0.0, 0.0]], "float32")
    want_w, want_v = textbook_adam(summed)
    ours_w, ours_v = adam_twice(slices(), lambda opt, g, v: apply_gradients(opt, [g], [v]))
    np.testing.assert_allclose(ours_v, want_v, rtol=1e-6)
    np.testing.assert_allclose(ours_w, want_w, rtol=1e-5)
    # Keras 3 applies the slices row by row: class 0's second moment is wrong (0.38, not 0.76)
    keras_w, keras_v = adam_twice(slices(), lambda opt, g, v: opt.apply_gradients([(g, v)]))
    assert abs(keras_v[0, 0] - want_v[0, 0]) > 0.3
    np.testing.assert_allclose(keras_v[1], want_v[1], rtol=1e-6)  # a row seen once is right either way


def test_with_loss_scaling_the_summed_rows_update_is_still_textbook_adam():
    """float16's dynamic loss scaling divides the (summed, dense) gradient by its scale before Adam: the same update."""
    scale = 2.0 ** 15
    rows = slices()
    scaled = tf.IndexedSlices(rows.values * scale, rows.indices, rows.dense_shape)  # what the scaled loss gives
    want_w, want_v = textbook_adam(np.array([[2.0, 2.0], [3.0, 3.0], [0.0, 0.0]], "float32"))
    ours_w, ours_v = adam_twice(scaled, lambda opt, g, v: apply_gradients(opt, [g], [v]), loss_scaled=True)
    np.testing.assert_allclose(ours_v, want_v, rtol=1e-6)
    np.testing.assert_allclose(ours_w, want_w, rtol=1e-5)
